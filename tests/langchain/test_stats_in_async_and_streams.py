"""`RoutingStats` in async calls and with streams that end early: what the load benchmark (benchmarks/load.py) found."""

from __future__ import annotations

import asyncio
import threading
from typing import Any
from uuid import UUID

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

from langroute import FeedbackStore, RouterChatModel
from langroute.callbacks import RoutingStats

from .helpers import HangingChatModel, fixed, replies


class _ThreadOfEachEvent(RoutingStats):
    """`RoutingStats` that also records the thread each decision event is counted on."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: set[int] = set()

    def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.threads.add(threading.get_ident())
        super().on_custom_event(name, data, run_id=run_id, **kwargs)


async def test_async_calls_are_counted_on_the_event_loop_not_via_its_thread_pool():
    stats = _ThreadOfEachEvent()
    router = RouterChatModel(
        models={
            "small": GenericFakeChatModel(messages=replies("s")),
            "large": GenericFakeChatModel(messages=replies("l")),
        },
        scorer=fixed(0.0),
    )
    await asyncio.gather(*(router.ainvoke("hi", config={"callbacks": [stats]}) for _ in range(5)))
    assert stats.threads == {threading.get_ident()}
    assert stats.summary()["small"]["calls"] == 5


def _router(**kwargs: Any) -> RouterChatModel:
    return RouterChatModel(
        models={
            "small": GenericFakeChatModel(messages=replies("small says a few words")),
            "large": GenericFakeChatModel(messages=replies("large says a few words")),
        },
        scorer=fixed(0.0),
        **kwargs,
    )


def test_a_stream_closed_by_its_consumer_counts_as_answered_not_failed():
    stats, store = RoutingStats(), FeedbackStore()
    router = _router(feedback=store)
    stream = router.stream("hi", config={"callbacks": [stats]})
    first = next(stream)
    stream.close()
    summary = stats.summary()
    assert (summary["small"]["calls"], summary["small"]["errors"], stats.failed) == (1, 0, 0)
    store.flush()
    (result,) = store.results()
    assert result["id"] == first.response_metadata["langroute"]["id"]
    assert (result["served"], result["failed"]) == ("small", False)


async def test_an_async_stream_closed_by_its_consumer_counts_as_answered_not_failed():
    stats = RoutingStats()
    stream = _router().astream("hi", config={"callbacks": [stats]})
    await anext(stream)
    await stream.aclose()
    summary = stats.summary()
    assert (summary["small"]["calls"], summary["small"]["errors"], stats.failed) == (1, 0, 0)


async def test_a_cancelled_call_is_neither_answered_nor_failed():
    stats = RoutingStats()
    hung = HangingChatModel(messages=replies("late"))
    router = RouterChatModel(
        models={"hung": hung, "ok": GenericFakeChatModel(messages=replies("ok"))}, scorer=fixed(0.0)
    )
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(router.ainvoke("hi", config={"callbacks": [stats]}), 0.05)
    summary = stats.summary()
    assert (summary["hung"]["calls"], summary["hung"]["errors"], stats.failed) == (0, 0, 0)
