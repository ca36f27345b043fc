"""Per-attempt timeouts, shared by both adapters: a timed-out attempt raises `CandidateTimeoutError` and falls back.

- Async calls: ``asyncio.wait_for`` around the candidate's coroutine; the candidate's call is cancelled.
- Sync calls: the candidate runs on a worker thread of the router's pool and the caller waits at most the
  timeout. Python cannot stop a thread, so a timed-out sync call keeps running in the background until the
  candidate returns (its result is dropped). Prefer also setting the candidate's own client timeout (e.g.
  ``ChatOpenAI(timeout=...)``, ``OpenAI(timeout=...)``) so the abandoned call ends too.
- Streams: ``stream_timeout`` bounds the wait for the first chunk and between chunks. Before the first chunk a
  timeout falls back like an error; after it the stream raises `CandidateTimeoutError` (one answer per stream).

Without a timeout these helpers call straight through (no thread, no task).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Final, TypeVar

from langroute.errors import CandidateTimeoutError

__all__ = ["END", "TimeoutPool", "acall", "anext_chunk", "call", "next_chunk"]

T = TypeVar("T")

END: Final = object()
"""What `next_chunk` / `anext_chunk` return at the end of a stream."""


class TimeoutPool:
    """A lazily started thread pool for sync calls with a timeout (owned by one router, never at import time)."""

    def __init__(self, max_workers: int = 32) -> None:
        self.max_workers = max_workers
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        """Run `fn` on a worker thread in a copy of the caller's context (tracing and callbacks follow)."""
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = concurrent.futures.ThreadPoolExecutor(self.max_workers, "langroute-timeout")
        context = contextvars.copy_context()
        return self._pool.submit(context.run, fn)

    def shutdown(self) -> None:
        """Stop the pool's threads once their calls end."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def call(fn: Callable[[], T], timeout: float | None, candidate: str, pool: TimeoutPool) -> T:
    """``fn()``, or `CandidateTimeoutError` when it takes longer than `timeout` seconds (``None``: no limit)."""
    if timeout is None:
        return fn()
    future = pool.submit(fn)
    try:
        return future.result(timeout)
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise CandidateTimeoutError(candidate, timeout) from None


async def acall(awaitable: Awaitable[T], timeout: float | None, candidate: str) -> T:
    """Await `awaitable`, or cancel it and raise `CandidateTimeoutError` after `timeout` seconds."""
    if timeout is None:
        return await awaitable
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except asyncio.TimeoutError:
        raise CandidateTimeoutError(candidate, timeout) from None


def next_chunk(chunks: Iterator[T], timeout: float | None, candidate: str, pool: TimeoutPool) -> Any:
    """The next chunk of a sync stream (`END` at its end), waiting at most `timeout` seconds."""
    if timeout is None:
        return next(chunks, END)
    return call(lambda: next(chunks, END), timeout, candidate, pool)


async def anext_chunk(chunks: AsyncIterator[T], timeout: float | None, candidate: str) -> Any:
    """The next chunk of an async stream (`END` at its end), waiting at most `timeout` seconds."""
    if timeout is None:
        return await anext(chunks, END)
    return await acall(anext(chunks, END), timeout, candidate)
