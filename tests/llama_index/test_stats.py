"""`langroute.llama_index.RoutingStats`: calls, errors, escalations and money per candidate, failed calls, nested
routers counted once, shadow mode's would-be saving; the same summary as LangChain's (one `RoutingTally`)."""

from __future__ import annotations

import asyncio

import pytest
from llama_index.core.base.llms.types import ChatMessage

from langroute import AllCandidatesFailedError, CallableScorer, Candidate
from langroute.checks import empty_answer
from langroute.llama_index import RouterLLM
from langroute.stats import COUNTERS
from tests.llama_index.conftest import FailingLLM, RaisingLLM, scripted

HARD = CallableScorer(lambda pairs: 0.9 if "hard" in pairs[-1][1] else 0.1)


def _msgs(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


def _priced(small_text: str | None = None) -> RouterLLM:
    return RouterLLM(
        models=[
            Candidate("small", scripted("small", small_text, usage=(1000, 100)), input_cost=1.0, output_cost=2.0),
            Candidate("large", scripted("large", usage=(1000, 100)), input_cost=10.0, output_cost=20.0),
        ],
        scorer=HARD,
    )


def test_calls_tokens_cost_and_savings(stats):
    llm = _priced()
    for text in ["a", "b", "c", "hard"]:
        llm.chat(_msgs(text))
    small, large = stats.summary()["small"], stats.summary()["large"]
    assert (small["calls"], small["input_tokens"], small["output_tokens"]) == (3, 3000, 300)
    assert small["cost_usd"] == pytest.approx(3 * 0.0012)
    assert large["cost_usd"] == pytest.approx(0.012)
    assert set(small) == set(COUNTERS)
    savings = stats.savings()
    assert savings["cost_usd"] == pytest.approx(3 * 0.0012 + 0.012)
    assert savings["baseline_cost_usd"] == pytest.approx(4 * 0.012)
    assert savings["saved_share"] == pytest.approx(1 - 0.0156 / 0.048)
    assert savings["baseline_model"] == "large"
    text = str(stats)
    assert "cost $" in text.splitlines()[0]
    assert "saved $0.0324 (68%, an estimate)" in text
    stats.reset()
    assert stats.summary() == {}


async def test_streams_and_async_calls_count_once_each(stats):
    llm = _priced()
    list(llm.stream_chat(_msgs("a")))
    [chunk async for chunk in await llm.astream_chat(_msgs("hard"))]
    await llm.achat(_msgs("b"))
    summary = stats.summary()
    assert (summary["small"]["calls"], summary["large"]["calls"]) == (2, 1)
    assert summary["large"]["cost_usd"] == pytest.approx(0.012)


def test_each_error_once_and_failed_calls(stats):
    llm = RouterLLM(models={"a": FailingLLM(message="x"), "b": FailingLLM(message="y")})
    with pytest.raises(AllCandidatesFailedError):
        llm.complete("hi")
    summary = stats.summary()
    assert (summary["a"]["errors"], summary["b"]["errors"], stats.failed) == (1, 1, 1)
    assert "failed on every candidate: 1" in str(stats)


def test_a_fallback_counts_the_error_and_the_fallback(stats):
    llm = RouterLLM(models={"a": FailingLLM(), "b": scripted("b")})
    llm.complete("hi")
    summary = stats.summary()
    assert (summary["a"]["errors"], summary["b"]["calls"], summary["b"]["fallbacks"], stats.failed) == (1, 1, 1, 0)


def test_an_error_after_the_first_chunk_is_counted(stats):
    llm = RouterLLM(models={"a": FailingLLM(chunks_before_error=1), "b": scripted("b")})
    stream = llm.stream_complete("hi")
    assert next(stream).delta == "x"
    with pytest.raises(RuntimeError, match="boom"):
        next(stream)
    summary = stats.summary()
    assert (summary["a"]["errors"], summary["a"]["calls"], summary["b"]["calls"], stats.failed) == (1, 0, 0, 1)


def test_a_stream_closed_early_counts_as_answered(stats):
    llm = RouterLLM(models={"small": scripted("small")})
    stream = llm.stream_chat(_msgs("hi"))
    next(stream)
    stream.close()
    assert (stats.summary()["small"]["calls"], stats.failed) == (1, 0)


def test_escalations_and_their_wasted_tokens(stats):
    llm = _priced(small_text="")
    llm.chat(_msgs("a"))  # no checks: the empty answer is served
    llm.escalate = [empty_answer]
    response = llm.chat(_msgs("a"))
    assert response.additional_kwargs["langroute"]["cost_usd"] == pytest.approx(0.0012 + 0.012)
    summary = stats.summary()
    assert (summary["small"]["escalations"], summary["small"]["calls"], summary["large"]["calls"]) == (1, 1, 1)
    assert summary["large"]["cost_usd"] == pytest.approx(0.0132)  # the answer's cost includes the wasted call


def test_a_failed_escalation_counts_its_error_and_the_kept_answer(stats):
    llm = RouterLLM(
        models={"small": scripted("small", text=""), "large": RaisingLLM(error=RuntimeError("down"))},
        escalate=[empty_answer],
    )
    llm.chat(_msgs("hi"))
    summary = stats.summary()
    assert (summary["small"]["calls"], summary["small"]["escalations"], summary["large"]["errors"]) == (1, 1, 1)
    assert stats.failed == 0


def test_nested_routers_are_counted_once_with_the_inner_decision_kept(stats, events):
    inner = RouterLLM(models={"mini": scripted("mini"), "pro": scripted("pro")}, scorer=HARD)
    outer = RouterLLM(models={"pool": inner, "large": scripted("large")}, scorer=CallableScorer(lambda pairs: 0.1))
    responses = [outer.chat(_msgs(text)) for text in ["a", "hard", "b", "c", "d"]]
    summary = stats.summary()
    assert set(summary) == {"pool", "large"}
    assert (summary["pool"]["calls"], summary["large"]["calls"]) == (5, 0)
    decisions = [r.additional_kwargs["langroute"] for r in responses]
    assert [d["model"] for d in decisions] == ["pool"] * 5
    assert [d["inner"]["model"] for d in decisions] == ["mini", "pro", "mini", "mini", "mini"]
    assert decisions[1]["inner"]["candidates"] == ["mini", "pro"]
    outer_ids = {e.outer_id for e in events.decisions() if e.model in ("mini", "pro")}
    assert outer_ids == {d["id"] for d in decisions}  # the inner events name the outer call
    chunks = list(outer.stream_chat(_msgs("hard")))
    assert chunks[-1].additional_kwargs["langroute"]["inner"]["model"] == "pro"
    assert stats.summary()["pool"]["calls"] == 6


def test_shadow_mode_reports_would_be_shares_and_saving(stats):
    llm = _priced()
    llm.mode = "shadow"
    for text in ["a", "b", "c", "hard"]:
        assert llm.chat(_msgs(text)).additional_kwargs["langroute"]["model"] == "large"
    summary = stats.summary()
    assert (summary["large"]["calls"], summary["small"]["would_calls"], summary["large"]["would_calls"]) == (4, 3, 1)
    savings = stats.savings()
    assert savings["would_cost_usd"] == pytest.approx(3 * 0.0012 + 0.012)
    assert savings["would_saved_usd"] == pytest.approx(4 * 0.012 - 0.0156)
    assert "shadow mode: routing would send small 75%, large 25% and save $0.0324" in str(stats)


async def test_a_cancelled_call_is_not_a_failure(stats, hanging):
    llm = RouterLLM(models={"hung": hanging(), "ok": scripted("ok")})
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(llm.acomplete("hi"), 0.05)
    assert (stats.failed, stats.summary()["hung"]["errors"]) == (0, 0)


def test_stats_are_an_event_handler_that_ignores_other_events(stats):
    llm = RouterLLM(models={"small": scripted("small")})
    llm.chat(_msgs("hi"))
    assert stats.class_name() == "RoutingStats"
    assert stats.tally.summary() == stats.summary()
