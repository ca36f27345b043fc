"""Timeouts in RouterChatModel: a hung candidate falls back (sync, async, before a stream's first chunk)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain_core.messages import AIMessage

from langroute import Candidate, CandidateTimeoutError, RouterChatModel
from langroute.callbacks import RoutingStats
from langroute.langchain.testing import DecisionRecorder, FakeToolChatModel

from .helpers import HangingChatModel, fixed, replies


@pytest.fixture
def hung() -> Iterator[HangingChatModel]:
    model = HangingChatModel(messages=replies(AIMessage("late answer")))
    yield model
    model.release.set()  # let the abandoned worker thread finish


def _router(hung: HangingChatModel, **options: object) -> RouterChatModel:
    healthy = FakeToolChatModel(messages=replies("healthy answer"))
    return RouterChatModel(models={"hung": hung, "healthy": healthy}, scorer=fixed(0.0), **options)


def test_a_hung_candidate_times_out_and_falls_back(hung):
    recorder = DecisionRecorder()
    out = _router(hung, timeout=0.05).invoke("hi", config={"callbacks": [recorder]})
    assert out.content == "healthy answer"
    decision = out.response_metadata["langroute"]
    assert decision["fallback_from"] == "hung"
    assert "fallback: hung timed out after 0.05 s" in decision["reason"]
    assert [d["model"] for d in recorder.decisions] == ["hung", "healthy"]


async def test_an_async_call_is_cancelled_and_falls_back(hung):
    out = await _router(hung, timeout=0.05).ainvoke("hi")
    assert out.content == "healthy answer"
    assert "timed out" in out.response_metadata["langroute"]["reason"]


def test_a_candidate_timeout_wins_over_the_router_timeout(hung):
    healthy = FakeToolChatModel(messages=replies("healthy answer"))
    router = RouterChatModel(
        models=[Candidate("hung", hung, timeout=0.05), Candidate("healthy", healthy)], scorer=fixed(0.0), timeout=60
    )
    assert router.invoke("hi").content == "healthy answer"


def test_a_forced_hung_candidate_raises_the_timeout(hung):
    with pytest.raises(CandidateTimeoutError, match="candidate 'hung' timed out"):
        _router(hung, timeout=0.05).invoke("hi", route="hung")


def test_a_stream_falls_back_before_its_first_chunk(hung):
    chunks = list(_router(hung, stream_timeout=0.05).stream("hi"))
    assert "".join(str(c.content) for c in chunks) == "healthy answer"
    assert chunks[0].response_metadata["langroute"]["fallback_from"] == "hung"


async def test_an_async_stream_falls_back_before_its_first_chunk(hung):
    chunks = [chunk async for chunk in _router(hung, stream_timeout=0.05).astream("hi")]
    assert "".join(str(c.content) for c in chunks) == "healthy answer"


def test_after_the_first_chunk_a_stream_timeout_ends_the_stream_and_counts_once(hung):
    hung.after_first_chunk = True
    stats = RoutingStats()
    seen = []
    with pytest.raises(CandidateTimeoutError):
        for chunk in _router(hung, stream_timeout=0.05).stream("hi", config={"callbacks": [stats]}):
            seen.append(chunk.content)
    assert seen == ["late"]  # one answer per stream: no fallback after output
    assert stats.failed == 1
    assert stats.summary()["hung"]["errors"] == 1
    assert stats.summary()["healthy"]["calls"] == 0


def test_no_timeout_calls_straight_through():
    router = RouterChatModel(models={"only": FakeToolChatModel(messages=replies("x"))})
    router.invoke("hi")
    pool = router.router._pool
    assert pool is None or pool.threads == 0  # no worker thread was started
