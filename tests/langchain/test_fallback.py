"""Fallback: stronger candidates first, then weaker; streams only before the first chunk."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

from langroute import AllCandidatesFailedError, RouterChatModel
from langroute.callbacks import RoutingStats
from langroute.langchain.testing import FakeToolChatModel

from .helpers import BrokenChatModel, MidStreamFailure, RunLog, fixed, replies


def _three(failing: set[str]) -> dict[str, GenericFakeChatModel]:
    return {
        name: BrokenChatModel(messages=replies("never"), error=f"{name} down")
        if name in failing
        else GenericFakeChatModel(messages=replies(f"{name} ok"))
        for name in ("small", "medium", "large")
    }


def test_falls_back_to_the_stronger_candidate_first():
    log = RunLog()
    router = RouterChatModel(models=_three({"medium"}), scorer=fixed(0.5))
    out = router.invoke("hi", config={"callbacks": [log]})
    assert out.content == "large ok"
    decision = out.response_metadata["langroute"]
    assert decision["model"] == "large"
    assert decision["fallback_from"] == "medium"
    assert [data["model"] for _, data, _ in log.events] == ["medium", "large"]  # reported again on fallback
    assert "fallback: medium raised ConnectionError" in decision["reason"]


def test_then_the_weaker_ones():
    out = RouterChatModel(models=_three({"medium", "large"}), scorer=fixed(0.5)).invoke("hi")
    assert out.content == "small ok"
    assert out.response_metadata["langroute"]["fallback_from"] == "medium"


async def test_async_fallback():
    out = await RouterChatModel(models=_three({"small"}), scorer=fixed(0.0)).ainvoke("hi")
    assert out.response_metadata["langroute"]["model"] == "medium"


def test_all_failing_lists_each_candidates_exception():
    router = RouterChatModel(models=_three({"small", "medium", "large"}), scorer=fixed(0.0))
    with pytest.raises(AllCandidatesFailedError) as info:
        router.invoke("hi")
    message = str(info.value)
    for name in ("small", "medium", "large"):
        assert f"{name}: ConnectionError: {name} down" in message
    assert list(info.value.errors) == ["small", "medium", "large"]


def test_forced_route_does_not_fall_back():
    router = RouterChatModel(models=_three({"large"}), scorer=fixed(0.0))
    with pytest.raises(ConnectionError, match="large down"):
        router.invoke("hi", route="large")


def test_fallbacks_can_be_turned_off():
    router = RouterChatModel(models=_three({"small"}), scorer=fixed(0.0), fallbacks=False)
    with pytest.raises(ConnectionError, match="small down"):
        router.invoke("hi")


def test_stream_falls_back_before_the_first_chunk():
    chunks = list(RouterChatModel(models=_three({"small"}), scorer=fixed(0.0)).stream("hi"))
    assert "".join(str(c.content) for c in chunks) == "medium ok"
    assert chunks[0].response_metadata["langroute"]["fallback_from"] == "small"


async def test_astream_falls_back_before_the_first_chunk():
    chunks = [c async for c in RouterChatModel(models=_three({"small"}), scorer=fixed(0.0)).astream("hi")]
    assert "".join(str(c.content) for c in chunks) == "medium ok"


def test_stream_does_not_fall_back_after_the_first_chunk():
    models = {
        "small": MidStreamFailure(messages=replies("a b c")),
        "large": GenericFakeChatModel(messages=replies("x")),
    }
    router = RouterChatModel(models=models, scorer=fixed(0.0))
    received = []
    with pytest.raises(ConnectionError, match="cut mid-stream"):
        for chunk in router.stream("hi"):
            received.append(chunk.content)
    assert received == ["a"]


def test_routing_stats_counts_calls_fallbacks_errors_and_tokens():
    from langchain_core.messages import AIMessage
    from langchain_core.messages.ai import UsageMetadata

    usage = UsageMetadata(input_tokens=10, output_tokens=4, total_tokens=14)
    models = {
        "small": FakeToolChatModel(messages=replies(AIMessage("s", usage_metadata=usage))),  # streams usage too
        "large": FakeToolChatModel(messages=replies(AIMessage("l", usage_metadata=usage))),
    }
    stats = RoutingStats()
    router = RouterChatModel(models=models, scorer=fixed(0.0))
    router.invoke("hi", config={"callbacks": [stats]})
    list(router.stream("hi", config={"callbacks": [stats]}))
    broken = RouterChatModel(
        models={"small": BrokenChatModel(messages=replies("x")), "large": models["large"]}, scorer=fixed(0.0)
    )
    broken.invoke("hi", config={"callbacks": [stats]})
    summary = stats.summary()
    counted = ("calls", "fallbacks", "errors", "input_tokens", "output_tokens")
    assert {k: summary["small"][k] for k in counted} == {
        "calls": 2,
        "fallbacks": 0,
        "errors": 1,
        "input_tokens": 20,
        "output_tokens": 8,
    }
    assert {k: summary["large"][k] for k in counted} == {
        "calls": 1,
        "fallbacks": 1,
        "errors": 0,
        "input_tokens": 10,
        "output_tokens": 4,
    }
    assert summary["small"]["cost_usd"] == 0.0  # no prices: counted in tokens only
    assert stats.failed == 0
    table = str(stats)
    assert table.splitlines()[0].split() == [
        "model",
        "calls",
        "share",
        "fallbacks",
        "errors",
        "escalated",
        "in",
        "tok",
        "out",
        "tok",
        "cost",
        "$",
    ]
    assert "67%" in table
    assert "33%" in table
