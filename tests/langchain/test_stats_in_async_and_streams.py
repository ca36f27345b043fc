"""`RoutingStats` in async calls and with streams that end early: what the load benchmark (benchmarks/load.py) found."""

from __future__ import annotations

import asyncio
import threading
from typing import Any
from uuid import UUID

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

from langroute import RouterChatModel
from langroute.callbacks import RoutingStats

from .helpers import fixed, replies


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
