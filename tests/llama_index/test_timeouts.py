"""Timeouts through `RouterLLM`: a hung candidate falls back to a healthy one (sync on the router's thread pool,
async with cancellation, streams before their first chunk); after the first chunk a stream raises."""

from __future__ import annotations

import pytest
from llama_index.core.base.llms.types import ChatMessage

from langroute import CallableScorer, Candidate, CandidateTimeoutError
from langroute.llama_index import RouterLLM
from tests.llama_index.conftest import scripted

EASY = CallableScorer(lambda pairs: 0.1)
TIMEOUT = 0.05


def _decision(response):
    return response.additional_kwargs["langroute"]


def test_a_hung_sync_call_falls_back(hanging, events):
    llm = RouterLLM(models={"hung": hanging(), "ok": scripted("ok")}, scorer=EASY, timeout=TIMEOUT)
    response = llm.complete("hi")
    decision = _decision(response)
    assert (response.text, decision["model"], decision["fallback_from"]) == ("hi", "ok", "hung")  # the mock echoes
    assert decision["reason"].endswith("fallback: hung timed out after 0.05 s")
    assert [d.model for d in events.decisions()] == ["hung", "ok"]


async def test_a_hung_async_call_is_cancelled_and_falls_back(hanging):
    llm = RouterLLM(models={"hung": hanging(), "ok": scripted("ok")}, scorer=EASY, timeout=TIMEOUT)
    decision = _decision(await llm.acomplete("hi"))
    assert (decision["model"], decision["fallback_from"]) == ("ok", "hung")
    assert "timed out" in decision["reason"]


@pytest.mark.parametrize("at", ["call", "first_chunk"])
def test_a_stream_that_hangs_before_its_first_chunk_falls_back(hanging, at):
    llm = RouterLLM(models={"hung": hanging(at=at), "ok": scripted("ok")}, scorer=EASY, stream_timeout=TIMEOUT)
    chunks = list(llm.stream_complete("hi"))
    assert [_decision(c)["model"] for c in chunks] == ["ok"]
    assert "hung timed out" in _decision(chunks[0])["reason"]


@pytest.mark.parametrize("at", ["call", "first_chunk"])
async def test_an_async_stream_that_hangs_before_its_first_chunk_falls_back(hanging, at):
    llm = RouterLLM(models={"hung": hanging(at=at), "ok": scripted("ok")}, scorer=EASY, timeout=TIMEOUT)
    chunks = [chunk async for chunk in await llm.astream_complete("hi")]  # stream_timeout defaults to timeout
    assert [_decision(c)["model"] for c in chunks] == ["ok"]


def test_a_stream_that_hangs_after_its_first_chunk_raises(hanging, stats):
    llm = RouterLLM(
        models={"hung": hanging(at="second_chunk"), "ok": scripted("ok")}, scorer=EASY, stream_timeout=TIMEOUT
    )
    stream = llm.stream_complete("hi")
    assert next(stream).delta == "first"
    with pytest.raises(CandidateTimeoutError, match="hung"):
        next(stream)
    assert stats.failed == 1
    assert stats.summary()["hung"]["errors"] == 1


async def test_an_async_stream_that_hangs_after_its_first_chunk_raises(hanging, stats):
    llm = RouterLLM(models={"hung": hanging(at="second_chunk"), "ok": scripted("ok")}, scorer=EASY, timeout=TIMEOUT)
    stream = await llm.astream_complete("hi")
    assert (await anext(stream)).delta == "first"
    with pytest.raises(CandidateTimeoutError):
        await anext(stream)
    assert (stats.failed, stats.summary()["hung"]["errors"], stats.summary()["ok"]["calls"]) == (1, 1, 0)


def test_a_candidates_own_timeout_wins(hanging):
    llm = RouterLLM(
        models=[Candidate("hung", hanging(), timeout=TIMEOUT), Candidate("ok", scripted("ok"))],
        scorer=EASY,
        timeout=60,
    )
    assert _decision(llm.chat([ChatMessage(role="user", content="hi")]))["fallback_from"] == "hung"


def test_a_single_candidate_times_out_with_a_timeout_error(hanging):
    llm = RouterLLM(models={"hung": hanging()}, timeout=TIMEOUT)
    with pytest.raises(TimeoutError, match=r"hung"):
        llm.complete("hi")


def test_a_circuit_breaker_skips_a_failing_candidate(hanging):
    llm = RouterLLM(
        models={"hung": hanging(), "ok": scripted("ok")}, scorer=EASY, timeout=TIMEOUT, cooldown=600, max_failures=1
    )
    assert _decision(llm.complete("hi"))["fallback_from"] == "hung"
    decision = _decision(llm.complete("again"))
    assert (decision["model"], decision["fallback_from"]) == ("ok", None)
    assert decision["excluded"]["hung"].startswith("circuit open: 1 failures in a row")
