"""Per-attempt timeouts: sync calls on a worker thread, async with wait_for, stream chunks."""

from __future__ import annotations

import asyncio
import contextvars
import subprocess
import sys
import threading
import time

import pytest

from langroute import CandidateTimeoutError
from langroute.timeouts import END, TimeoutPool, acall, anext_chunk, call, next_chunk

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="unset")


def test_sync_call_times_out_without_waiting_for_the_candidate():
    pool = TimeoutPool()
    release = threading.Event()
    with pytest.raises(CandidateTimeoutError, match=r"candidate 'slow' timed out: no answer within 0\.01 s") as info:
        call(lambda: release.wait(30), 0.01, "slow", pool)
    assert isinstance(info.value, TimeoutError)
    assert (info.value.candidate, info.value.timeout) == ("slow", 0.01)
    release.set()
    pool.shutdown()


def test_sync_call_runs_in_the_callers_context_and_returns():
    pool = TimeoutPool()
    VAR.set("caller")
    assert call(VAR.get, 5, "fast", pool) == "caller"
    assert call(lambda: 1, None, "fast", pool) == 1  # no timeout: called directly
    pool.shutdown()


def test_hung_calls_holding_every_pool_thread_do_not_time_out_a_healthy_call():
    """Abandoned hung calls keep their threads; a healthy call must still run at once, not queue behind them."""
    pool = TimeoutPool(max_idle=2)
    release = threading.Event()
    for _ in range(3):
        with pytest.raises(CandidateTimeoutError):
            call(lambda: release.wait(30), 0.01, "hung", pool)
    VAR.set("caller")
    assert call(VAR.get, 5, "healthy", pool) == "caller"  # on a thread of its own, in the caller's context
    with pytest.raises(ZeroDivisionError):
        call(lambda: 1 / 0, 5, "broken", pool)  # its error reaches the caller too
    release.set()
    pool.shutdown()


async def test_async_call_is_cancelled_on_timeout():
    cancelled = asyncio.Event()

    async def hang() -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with pytest.raises(CandidateTimeoutError):
        await acall(hang(), 0.01, "slow")
    assert cancelled.is_set()
    assert await acall(asyncio.sleep(0, result=3), None, "fast") == 3


async def test_a_candidates_own_timeout_error_escapes_unchanged():
    class ReadTimeout(TimeoutError):
        """A client library's own timeout (aiohttp's ServerTimeoutError is a TimeoutError)."""

    async def own_client_timeout() -> None:
        raise ReadTimeout("read timed out")

    with pytest.raises(ReadTimeout, match="read timed out"):
        await acall(own_client_timeout(), 5, "slow")


def test_stream_chunks_time_out_and_end():
    pool = TimeoutPool()
    release = threading.Event()

    def chunks():
        yield "a"
        release.wait(30)
        yield "b"

    stream = chunks()
    assert next_chunk(stream, 1, "s", pool) == "a"
    with pytest.raises(CandidateTimeoutError):
        next_chunk(stream, 0.01, "s", pool)
    release.set()
    assert next_chunk(iter([]), None, "s", pool) is END
    pool.shutdown()


async def test_async_stream_chunks_time_out():
    async def chunks():
        yield "a"
        await asyncio.sleep(30)
        yield "b"

    stream = chunks()
    assert await anext_chunk(stream, 1, "s") == "a"
    with pytest.raises(CandidateTimeoutError):
        await anext_chunk(stream, 0.01, "s")


def test_idle_threads_end_and_are_reused():
    pool = TimeoutPool(max_idle=1, idle_seconds=0.05)
    assert [call(lambda i=i: i, 5, "c", pool) for i in range(3)] == [0, 1, 2]
    assert pool.threads == 1  # one thread served the three calls in turn
    deadline = time.monotonic() + 30
    while pool.threads and time.monotonic() < deadline:
        time.sleep(0.01)
    assert pool.threads == 0  # idle past idle_seconds: it ended


def test_a_candidate_that_hangs_forever_does_not_keep_the_process_alive():
    """Regression: pool threads were joined at interpreter exit, so a script with a hung sync candidate never ended."""
    script = (
        "import threading; from langroute.timeouts import TimeoutPool, call\n"
        "from langroute.errors import CandidateTimeoutError\n"
        "try:\n    call(threading.Event().wait, 0.01, 'hung', TimeoutPool())\n"
        "except CandidateTimeoutError:\n    print('timed out')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout.strip()) == (0, "timed out")
