"""Per-attempt timeouts, shared by both adapters: a timed-out attempt raises `CandidateTimeoutError` and falls back.

- Async calls: ``asyncio.wait_for`` around the candidate's coroutine; the candidate's call is cancelled.
- Sync calls: the candidate runs on a worker thread of the router's pool and the caller waits at most the
  timeout. Python cannot stop a thread, so a timed-out sync call keeps running in the background until the
  candidate returns (its result is dropped). Prefer also setting the candidate's own client timeout (e.g.
  ``ChatOpenAI(timeout=...)``, ``OpenAI(timeout=...)``) so the abandoned call ends too. A call never waits
  for a pool thread: when every thread is busy (e.g. held by abandoned calls), it gets a thread of its own.
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

_CLOCK_SLACK: Final = 1e-3  # seconds: the event loop may run a timer up to its clock resolution early

END: Final = object()
"""What `next_chunk` / `anext_chunk` return at the end of a stream."""


class TimeoutPool:
    """Threads for sync calls with a timeout (owned by one router, started lazily, never at import time).

    A call runs on an idle pool thread, or on a new daemon thread when all `max_workers` are busy, for instance
    held by hung calls abandoned after their timeout: it never waits in a queue, where its timeout would run out
    before its candidate is even called (and healthy candidates would time out behind a hung one).
    """

    def __init__(self, max_workers: int = 32) -> None:
        self.max_workers = max_workers
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._busy = 0  # calls submitted to the pool and not yet finished

    def submit(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        """Run `fn` on a worker thread in a copy of the caller's context (tracing and callbacks follow)."""
        context = contextvars.copy_context()
        with self._lock:
            pool = None
            if self._busy < self.max_workers:
                self._busy += 1
                if self._pool is None:
                    self._pool = concurrent.futures.ThreadPoolExecutor(self.max_workers, "langroute-timeout")
                pool = self._pool
        if pool is None:
            return _on_new_thread(context, fn)
        future = pool.submit(context.run, fn)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, future: concurrent.futures.Future[Any]) -> None:
        with self._lock:
            self._busy -= 1

    def shutdown(self) -> None:
        """Stop the pool's threads once their calls end."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


def _on_new_thread(context: contextvars.Context, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
    """Run `fn` in `context` on a new daemon thread (it ends when `fn` returns)."""
    future: concurrent.futures.Future[T] = concurrent.futures.Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            result = context.run(fn)
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller, as a pool thread does
            future.set_exception(exc)
        else:
            future.set_result(result)

    threading.Thread(target=run, name="langroute-timeout-extra", daemon=True).start()
    return future


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
    """Await `awaitable`, or cancel it and raise `CandidateTimeoutError` after `timeout` seconds.

    A ``TimeoutError`` the candidate raises itself before the deadline (its client's own timeout, e.g. aiohttp's)
    escapes unchanged, as any other error of the candidate does.

    ``asyncio.wait_for`` on purpose, not ``asyncio.timeout``: an answer that is ready when the timer fires but not
    yet handed back is still returned. On a saturated event loop (1,000 concurrent calls, benchmarks/load.py) that
    made ~300 fewer false timeouts per 1,000 calls than ``asyncio.timeout``, for ~0.1-0.2 ms more a call.
    """
    if timeout is None:
        return await awaitable
    loop = asyncio.get_running_loop()
    start = loop.time()
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except asyncio.TimeoutError:
        if loop.time() - start < timeout - _CLOCK_SLACK:
            raise  # the candidate's own timeout, before ours
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
