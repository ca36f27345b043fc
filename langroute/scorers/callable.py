"""`CallableScorer`: turn any function into a scorer.

```python
from langroute import CallableScorer

by_turns = CallableScorer(lambda conv: min(1.0, len(conv) / 10))     # conv: [(role, text), ...], newest last

async def ask_service(conv):                                          # async functions work too
    return 0.7
remote = CallableScorer(ask_service)
```
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from langroute.conversation import Conversation
from langroute.scorers.base import Score, Scorer, check_score

__all__ = ["CallableScorer"]


class CallableScorer(Scorer):
    """A scorer backed by `fn(conversation) -> float`, sync or async.

    Args:
        fn: receives the conversation as a list of ``(role, text)`` pairs (newest last; a `str` input becomes
            ``[("user", text)]``) and returns a float in [0, 1], or a coroutine giving one.
        label: how the reason names the function; defaults to its ``__name__``.

    Raises:
        TypeError: `fn` is not callable.

    A result outside [0, 1] (or not a number) raises `ScoreError`, a `ValueError`. Calling `score` on an async
    `fn` from inside a running event loop runs it on a worker thread; prefer `ascore` there. Under `ascore`, a
    sync `fn` runs inline for conversations of up to `offload_chars` characters (32,768) and in a worker thread
    above that; give an async `fn` when it does I/O.
    """

    __slots__ = ("_fn", "_label")

    def __init__(
        self,
        fn: Callable[[list[tuple[str, str]]], float | Awaitable[float]],
        *,
        label: str | None = None,
    ) -> None:
        if not callable(fn):
            raise TypeError(f"fn={fn!r}: expected a function taking [(role, text), ...] and returning a float")
        self._fn = fn
        self._label = label or getattr(fn, "__name__", type(fn).__name__)

    def rate(self, conversation: Conversation) -> Score:
        """Call `fn`; an async `fn` is run to completion."""
        result: Any = self._fn(conversation.pairs())
        if inspect.isawaitable(result):
            result = _run_sync(result)
        return self._score(result)

    async def arate(self, conversation: Conversation) -> Score:
        """Call `fn`, awaiting it when it is async; a sync `fn` runs in a worker thread above `offload_chars`."""
        limit = self.offload_chars
        if limit is not None and conversation.char_count > limit and not inspect.iscoroutinefunction(self._fn):
            import asyncio

            result: Any = await asyncio.to_thread(self._fn, conversation.pairs())
        else:
            result = self._fn(conversation.pairs())
        if inspect.isawaitable(result):
            result = await result
        return self._score(result)

    def _score(self, result: object) -> Score:
        value = check_score(result, f"{self.name}({self._label})").value
        return Score(value, f"{self._label} returned {value:.3f}")


def _run_sync(awaitable: Awaitable[Any]) -> Any:
    import asyncio  # here, not at the top: asyncio costs ~20 ms of `import langroute`, and only this path needs it
    import concurrent.futures

    async def wrap() -> Any:
        return await awaitable

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(wrap())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, wrap()).result()
