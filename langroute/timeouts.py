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
import queue
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Final, TypeAlias, TypeVar

from langroute.errors import CandidateTimeoutError

__all__ = ["END", "TimeoutPool", "acall", "anext_chunk", "call", "next_chunk"]

T = TypeVar("T")

_CLOCK_SLACK: Final = 1e-3  # seconds: the event loop may run a timer up to its clock resolution early

END: Final = object()
"""What `next_chunk` / `anext_chunk` return at the end of a stream."""


class TimeoutPool:
    """Daemon threads for sync calls with a timeout (owned by one router, started lazily, never at import time).

    A call runs on an idle thread, or on a new one when none is idle (for instance while hung calls abandoned after
    their timeout hold the others): it never waits in a queue, where its timeout would run out before its candidate
    is even called. The threads are daemon threads, so a candidate that hangs forever cannot keep the process from
    exiting; an idle thread ends after `idle_seconds`, at most `max_idle` wait for work, and all idle threads end
    when the pool is shut down or garbage-collected (with its router).
    """

    def __init__(self, max_idle: int = 32, idle_seconds: float = 5.0) -> None:
        self._workers = _Workers(max_idle, idle_seconds)
        weakref.finalize(self, self._workers.close)

    @property
    def threads(self) -> int:
        """Worker threads alive (busy or idle)."""
        return self._workers.threads

    def submit(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        """Run `fn` on a worker thread in a copy of the caller's context (tracing and callbacks follow)."""
        return self._workers.submit(fn)

    def shutdown(self) -> None:
        """Let idle threads end now and busy ones when their call returns (later calls each get a thread that ends
        with the call)."""
        self._workers.close()


class _Workers:
    """The threads and the task queue of a `TimeoutPool` (apart from it, so that the threads do not keep the pool
    alive: when the pool is collected, its finalizer closes this)."""

    def __init__(self, max_idle: int, idle_seconds: float) -> None:
        self.max_idle = max_idle
        self.idle_seconds = idle_seconds
        self._tasks: queue.SimpleQueue[_Task | None] = queue.SimpleQueue()  # None wakes an idle thread to end
        self._lock = threading.Lock()
        self._idle = 0  # threads waiting for a task and not yet promised one
        self._closing = False
        self.threads = 0  # threads alive

    def submit(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        with self._lock:
            spawn = self._idle == 0
            if spawn:
                self.threads += 1
            else:
                self._idle -= 1  # promised this task
        self._tasks.put((future, contextvars.copy_context(), fn))
        if spawn:
            threading.Thread(target=self._work, name="langroute-timeout", daemon=True).start()
        return future

    def _work(self) -> None:
        while True:
            try:
                task = self._tasks.get(timeout=self.idle_seconds)
            except queue.Empty:
                with self._lock:
                    if self._idle > 0:  # not promised a task: retire
                        self._idle -= 1
                        self.threads -= 1
                        return
                continue  # a task is on its way to this thread
            if task is not None and task[0].set_running_or_notify_cancel():
                future, context, fn = task
                try:
                    result = context.run(fn)
                except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
                    future.set_exception(exc)
                else:
                    future.set_result(result)
            with self._lock:
                if self._closing or self._idle >= self.max_idle:
                    self.threads -= 1
                    return
                self._idle += 1

    def close(self) -> None:
        with self._lock:
            self._closing = True
            idle, self._idle = self._idle, 0
        for _ in range(idle):
            self._tasks.put(None)


_Task: TypeAlias = "tuple[concurrent.futures.Future[Any], contextvars.Context, Callable[[], Any]]"


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
