"""Load: concurrent routed calls over failing and hung candidates; every call answers or raises, the stats add up.

Run it from the repository root::

    python benchmarks/load.py                    # full: 1,000 calls a scenario, 5 latency rounds
    python benchmarks/load.py --quick            # a smoke run: 60 calls a scenario, 1 latency round
    python benchmarks/load.py --only ainvoke,batch --calls 500 --json

Scenarios (``--only``), each over three priced candidates (small, medium, large) that are offline fakes:

- ``ainvoke``: N concurrent `RouterChatModel.ainvoke` (``asyncio.gather``).
- ``batch``: one N-item threaded `RouterChatModel.batch` (``max_concurrency``).
- ``astream`` / ``stream``: N streams (concurrent tasks / threads), each closed by its consumer half-way.
- ``llama``: N concurrent `RouterLLM.achat`, N `RouterLLM.chat` on threads, N `astream_chat` closed half-way.
- ``latency``: healthy candidates; the routed call and the candidate called directly, in interleaved rounds of N
  concurrent calls (async) and of an N-item thread pool (sync): p50/p99 latency and what routing adds.
- ``memory``: tracemalloc over two rounds of the ``ainvoke`` and ``batch`` scenarios: bytes retained per call,
  growth in the second round (flat memory: ~0), and the peak over the baseline per call of a round.

Faults are seeded per (call, candidate), so a run is reproducible whatever the interleaving: each attempt raises a
provider-like error with probability ``--fail`` (0.3) and hangs (never answers) with probability ``--hang`` (0.1);
the router's ``timeout=`` must then fall back to another candidate. The candidates count what they did (the
ground truth); the script checks the router's answers, errors and `RoutingStats` against it and prints every
invariant as ``ok`` or ``FAIL`` (exit status 1 on a failure):

- every call answers or raises (none hangs past a generous budget), and a raise is an `AllCandidatesFailedError`
  (or a candidate's own error, the drop-in contract of `langroute.errors`);
- a call raises exactly when every candidate failed for it (computed from the seeded faults);
- answers come from the candidate their decision names;
- `RoutingStats` is exact: answered calls == the sum of ``calls``, raised calls == ``failed``; per candidate,
  ``calls + errors`` == its invocations, provider errors seen == injected, ``errors`` == provider errors +
  timeouts, and every hung attempt timed out (async: and was cancelled). A healthy attempt slower than the
  timeout under load also times out: the table counts those as ``late`` (a call may then raise although one of
  its candidates was healthy, so ``raised`` may exceed ``all failed``);
- every candidate stream opened is closed; no task is left pending and no thread is left behind (once hung sync
  calls are released: Python cannot stop a thread, so an abandoned sync call runs until its candidate returns).

Sync hung calls block until the scenario ends (a stand-in for a provider that stalls longer than the timeout).
Latencies are wall-clock on whatever else the machine is running: compare the routed and direct columns of one
run (measured in the same rounds), not numbers across machines.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import random
import re
import statistics
import sys
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere: measure this checkout's langroute
    sys.path.insert(0, str(ROOT))

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, BaseCallbackHandler, CallbackManagerForLLMRun  # noqa: E402
from langchain_core.messages import BaseMessage  # noqa: E402
from langchain_core.outputs import ChatGenerationChunk, ChatResult  # noqa: E402
from overhead import machine as overhead_machine  # noqa: E402 - benchmarks/ is this script's directory
from pydantic import SkipValidation  # noqa: E402

from langroute import AllCandidatesFailedError, Candidate, CandidateTimeoutError  # noqa: E402
from langroute.langchain import DECISION_EVENT, RouterChatModel, RoutingStats  # noqa: E402
from langroute.langchain.testing import StandInChatModel  # noqa: E402

SCENARIOS = ("ainvoke", "batch", "astream", "stream", "llama", "latency", "memory")
PACKAGES = ("langchain-core", "llama-index-core", "pydantic")
PRICES = {"small": (0.15, 0.6), "medium": (1.0, 4.0), "large": (2.5, 10.0)}  # USD per 1M tokens (illustrative)
THRESHOLDS = [0.2, 0.45]
PROMPTS = (  # HeuristicScorer sends these to small, medium and large respectively
    "hi, how are you?",
    "Write a Python function that parses a CSV file, validates each row against a JSON schema, and writes the "
    "valid rows to PostgreSQL with retries; include tests.",
    "Prove that the sum of the first n odd numbers is n^2, then derive the closed form of sum k^2 and analyse "
    "the complexity of computing it.",
)
KEY = re.compile(r"\[#(\d+)\]")


def prompt(i: int) -> str:
    """Call `i`'s prompt: its key (which seeds the faults) and one of three difficulties."""
    return f"[#{i}] {PROMPTS[i % len(PROMPTS)]}"


# -- faults and the candidates' own account -------------------------------------------------------------------------


class ProviderError(Exception):
    """A provider SDK's error, shaped like ``openai.APIError`` (a status code)."""

    def __init__(self, message: str, status_code: int = 503) -> None:
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True)
class Faults:
    """Seeded per (call key, candidate): ``raise`` with probability `fail`, ``hang`` with `hang`, else ``answer``."""

    seed: int = 12
    fail: float = 0.3
    hang: float = 0.1

    def fate(self, text: str, label: str) -> str:
        found = KEY.search(text)
        if found is None or not (self.fail or self.hang):
            return "answer"
        draw = random.Random(f"{self.seed}:{found[1]}:{label}").random()
        return "raise" if draw < self.fail else "hang" if draw < self.fail + self.hang else "answer"

    def all_fail(self, i: int, labels: Sequence[str]) -> bool:
        """Whether every candidate fails call `i` (then the call must raise)."""
        return all(self.fate(prompt(i), label) != "answer" for label in labels)


class Ledger:
    """What the candidates did, counted by themselves: the ground truth the router's stats are checked against.

    Events per candidate: ``invoked``, ``raised``, ``hung``, ``answered`` (returned or started streaming an answer),
    ``cancelled`` (an async call cancelled by the router's timeout), ``released`` (a hung sync call let go at the end),
    ``opened`` / ``closed`` (streams).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[tuple[str, str]] = Counter()
        self.release = threading.Event()

    def add(self, label: str, event: str) -> None:
        with self._lock:
            self.counts[(label, event)] += 1

    def get(self, label: str, event: str) -> int:
        with self._lock:
            return self.counts[(label, event)]

    def total(self, event: str) -> int:
        with self._lock:
            return sum(n for (_, name), n in self.counts.items() if name == event)

    def settle(self, budget: float = 30.0) -> bool:
        """Release the hung sync calls and wait until they returned; whether they all did within `budget` s."""
        self.release.set()
        deadline = time.monotonic() + budget
        while self.total("released") < self._hung_sync() and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.total("released") >= self._hung_sync()

    def _hung_sync(self) -> int:
        return self.total("hung") - self.total("hung_async")


class LoadChatModel(StandInChatModel):
    """A stand-in chat model with seeded faults and a simulated latency; it reports what it did to a `Ledger`."""

    faults: SkipValidation[Faults]
    ledger: SkipValidation[Ledger]
    latency: float = 0.0

    def _fate(self, messages: list[BaseMessage]) -> str:
        fate = self.faults.fate(str(messages[-1].content), self.label)
        self.ledger.add(self.label, "invoked")
        if fate == "raise":
            self.ledger.add(self.label, "raised")
            raise ProviderError(f"{self.label}: 503 service unavailable")
        return fate

    def _hang(self) -> None:
        self.ledger.add(self.label, "hung")
        self.ledger.release.wait()
        self.ledger.add(self.label, "released")

    async def _ahang(self) -> None:
        self.ledger.add(self.label, "hung")
        self.ledger.add(self.label, "hung_async")
        await asyncio.Event().wait()  # never set: only the router's timeout ends this call

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self._fate(messages) == "hang":
            self._hang()
            raise ProviderError(f"{self.label}: released after the run (nobody is waiting for this answer)")
        if self.latency:
            time.sleep(self.latency)
        self.ledger.add(self.label, "answered")
        return super()._generate(messages, stop, run_manager, **kwargs)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        fate = self._fate(messages)
        try:
            if fate == "hang":
                await self._ahang()
            if self.latency:
                await asyncio.sleep(self.latency)
        except asyncio.CancelledError:
            self.ledger.add(self.label, "cancelled")
            raise
        self.ledger.add(self.label, "answered")
        return super()._generate(messages, stop, None, **kwargs)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        self.ledger.add(self.label, "opened")
        try:
            if self._fate(messages) == "hang":
                self._hang()
                return
            if self.latency:
                time.sleep(self.latency)
            self.ledger.add(self.label, "answered")
            yield from super()._stream(messages, stop, run_manager, **kwargs)
        finally:
            self.ledger.add(self.label, "closed")

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        self.ledger.add(self.label, "opened")
        try:
            fate = self._fate(messages)
            try:
                if fate == "hang":
                    await self._ahang()
                if self.latency:
                    await asyncio.sleep(self.latency)
            except asyncio.CancelledError:
                self.ledger.add(self.label, "cancelled")
                raise
            self.ledger.add(self.label, "answered")
            for chunk in super()._stream(messages, stop, None, **kwargs):
                if run_manager:
                    await run_manager.on_llm_new_token(str(chunk.message.content), chunk=chunk)
                yield chunk
                await asyncio.sleep(0)  # a network stream yields to the loop between chunks
        finally:
            self.ledger.add(self.label, "closed")


def candidates(faults: Faults, ledger: Ledger, latency: float) -> list[Candidate]:
    return [
        Candidate(
            name, LoadChatModel(label=name, faults=faults, ledger=ledger, latency=latency), input_cost=i, output_cost=o
        )
        for name, (i, o) in PRICES.items()
    ]


def chat_router(faults: Faults, ledger: Ledger, timeout: float | None, latency: float = 0.0) -> RouterChatModel:
    return RouterChatModel(models=candidates(faults, ledger, latency), thresholds=THRESHOLDS, timeout=timeout)


class Decisions(BaseCallbackHandler):
    """Count the router's decisions: first choices, and fallbacks by the failed candidate and why (error / timeout)."""

    run_inline = True

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.first: Counter[str] = Counter()
        self.fell: Counter[tuple[str, str]] = Counter()

    def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kwargs: Any) -> None:
        if name == DECISION_EVENT and isinstance(data, Mapping):
            self.seen(data)

    def seen(self, decision: Mapping[str, Any]) -> None:
        with self._lock:
            if decision["fallback_from"] is None:
                self.first[decision["model"]] += 1
                return
            failed, _, why = decision["reason"].rpartition("; fallback: ")[2].partition(" ")
            self.fell[(failed, "timeout" if why.startswith("timed out") else "error")] += 1


# -- checks -----------------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one scenario's calls did, and the checks run on it."""

    scenario: str
    calls: int
    answered: int = 0
    raised: int = 0
    pending: int = 0
    expected_raised: int = 0
    timeouts: int = 0
    late: int = 0
    streams: str = "-"
    wall_s: float = 0.0
    p50_ms: float | None = None
    p99_ms: float | None = None
    first: dict[str, int] = field(default_factory=dict)
    checks: list[tuple[str, bool, str]] = field(default_factory=list)

    def check(self, name: str, ok: bool, detail: str = "") -> None:
        self.checks.append((name, bool(ok), detail))

    @property
    def ok(self) -> bool:
        return all(ok for _, ok, _ in self.checks)


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def own_error(exc: BaseException) -> bool:
    """A raise the drop-in contract allows: every candidate failed, or one candidate's own error."""
    if isinstance(exc, AllCandidatesFailedError):
        return all(isinstance(e, ProviderError | CandidateTimeoutError) for e in exc.errors.values())
    return isinstance(exc, ProviderError | CandidateTimeoutError)


def account(
    out: Outcome,
    results: Sequence[tuple[str, Any, float] | None],
    faults: Faults,
    ledger: Ledger,
    stats: Any,
    decisions: Decisions,
    labels: Sequence[str],
    model_of: Callable[[Any], tuple[str, str]],
    sync: bool,
) -> None:
    """Fill `out` from the calls' results and run the invariants against the candidates' ledger and the stats."""
    done = [r for r in results if r is not None]
    out.pending = len(results) - len(done)
    out.answered = sum(1 for kind, _, _ in done if kind == "answered")
    out.raised = sum(1 for kind, _, _ in done if kind == "raised")
    out.expected_raised = sum(1 for i in range(out.calls) if faults.all_fail(i, labels))
    latencies = [seconds for _, _, seconds in done if seconds is not None]
    if latencies:
        out.p50_ms, out.p99_ms = statistics.median(latencies) * 1e3, percentile(latencies, 0.99) * 1e3
    out.first = dict(sorted(decisions.first.items()))
    errors = [value for kind, value, _ in done if kind == "raised"]
    final: Counter[tuple[str, str]] = Counter()  # the error that ended each raised call
    for exc in errors:
        if isinstance(exc, AllCandidatesFailedError) and exc.errors:
            name, last = list(exc.errors.items())[-1]
            final[(name, "timeout" if isinstance(last, CandidateTimeoutError) else "error")] += 1
    mislabelled = 0
    for kind, value, _ in done:
        if kind == "answered":
            model, text = model_of(value)
            mislabelled += f"[stand-in {model}]" not in text
    summary = stats.summary()
    out.check(
        "every call answered or raised",
        out.pending == 0 and out.answered + out.raised == out.calls,
        f"{out.answered} answered + {out.raised} raised of {out.calls}, {out.pending} pending",
    )
    strange = [e for e in errors if not own_error(e)]
    out.check(
        "raises are AllCandidatesFailedError or a candidate's own error",
        not strange,
        f"{len(strange)} other: {sorted({type(e).__name__ for e in strange})}" if strange else "",
    )
    late = 0
    for label in labels:
        seen_timeouts = decisions.fell[(label, "timeout")] + final[(label, "timeout")]
        cancelled = ledger.get(label, "cancelled")
        hung = ledger.get(label, "hung")
        late += max(0, seen_timeouts - hung)  # healthy attempts slower than the timeout: a false timeout under load
        row = summary.get(label, {"calls": 0, "errors": 0})
        invoked = ledger.get(label, "invoked")
        out.check(
            f"{label}: calls + errors == invocations",
            row["calls"] + row["errors"] == invoked,
            f"{row['calls']} + {row['errors']} vs {invoked}",
        )
        seen_errors = decisions.fell[(label, "error")] + final[(label, "error")]
        out.check(
            f"{label}: provider errors seen == injected",
            seen_errors == ledger.get(label, "raised"),
            f"{seen_errors} vs {ledger.get(label, 'raised')}",
        )
        out.check(
            f"{label}: errors == provider errors + timeouts",
            row["errors"] == seen_errors + seen_timeouts,
            f"{row['errors']} vs {seen_errors} + {seen_timeouts}",
        )
        if sync:
            out.check(
                f"{label}: every hung attempt timed out", seen_timeouts >= hung, f"{seen_timeouts} vs {hung} hung"
            )
        else:
            out.check(
                f"{label}: every hung attempt timed out and was cancelled",
                seen_timeouts >= hung and cancelled >= hung,
                f"{seen_timeouts} timeouts, {cancelled} cancelled, {hung} hung",
            )
        out.timeouts += seen_timeouts
    out.late = late
    calls = sum(row["calls"] for row in summary.values())
    out.check(
        "stats: sum of calls == answered, failed == raised",
        calls == out.answered and stats.failed == out.raised,
        f"calls {calls} vs {out.answered}; failed {stats.failed} vs {out.raised}",
    )
    if late == 0:
        out.check(
            "raised == calls on which every candidate failed",
            out.raised == out.expected_raised,
            f"{out.raised} vs {out.expected_raised}",
        )
    else:  # a false timeout (a healthy answer later than the timeout) can turn an answer into a raise
        out.check(
            "raised >= calls on which every candidate failed",
            out.raised >= out.expected_raised,
            f"{out.raised} vs {out.expected_raised} ({late} late answers)",
        )
    out.check("answers come from the candidate their decision names", mislabelled == 0, f"{mislabelled} mislabelled")


# -- running calls ----------------------------------------------------------------------------------------------------

Result = tuple[str, Any, float | None]  # ("answered" | "raised", the answer or the error, seconds)


async def gather(n: int, call: Callable[[int], Awaitable[Any]], budget: float) -> tuple[list[Result | None], int]:
    """Run ``call(i)`` for i < n as concurrent tasks: each result (``None``: still pending after `budget` s, then
    cancelled), and how many other tasks were left pending once they ended."""

    async def one(i: int) -> Result:
        start = time.perf_counter()
        try:
            value = await call(i)
        except Exception as exc:  # counting what the caller sees
            return ("raised", exc, time.perf_counter() - start)
        return ("answered", value, time.perf_counter() - start)

    tasks = [asyncio.create_task(one(i)) for i in range(n)]
    done, pending = await asyncio.wait(tasks, timeout=budget)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for _ in range(3):
        await asyncio.sleep(0)
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    return [task.result() if task in done else None for task in tasks], len(others)


def threaded(n: int, call: Callable[[int], Any], workers: int, budget: float) -> list[Result | None]:
    """``call(i)`` for i < n on `workers` threads, within `budget` s (``None``: that call had not returned)."""
    results: list[Result | None] = [None] * n

    def one(i: int) -> None:
        start = time.perf_counter()
        try:
            value = call(i)
        except Exception as exc:  # counting what the caller sees
            results[i] = ("raised", exc, time.perf_counter() - start)
            return
        results[i] = ("answered", value, time.perf_counter() - start)

    pool = ThreadPoolExecutor(workers, "load-caller")
    for i in range(n):
        pool.submit(one, i)
    waiter = threading.Thread(target=pool.shutdown, name="load-waiter", daemon=True)
    waiter.start()
    waiter.join(budget)
    return list(results)


def in_thread(fn: Callable[[], Any], budget: float) -> Any:
    """``fn()`` on a daemon thread; ``None`` when it has not returned within `budget` s."""
    box: list[Any] = []
    thread = threading.Thread(target=lambda: box.append(fn()), name="load-batch", daemon=True)
    thread.start()
    thread.join(budget)
    return box[0] if box else None


def leftover_threads(before: set[threading.Thread], budget: float = 10.0) -> list[str]:
    """Threads started since `before` that are still alive after `budget` s (the routers must be dropped first)."""
    deadline = time.monotonic() + budget
    while True:
        gc.collect()
        extra = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
        if not extra or time.monotonic() > deadline:
            return sorted(extra)
        time.sleep(0.05)


def lc_answer(message: Any) -> tuple[str, str]:
    return message.response_metadata["langroute"]["model"], str(message.content)


def checked(run: Callable[[Ledger], Outcome]) -> Outcome:
    """Run a scenario with a fresh `Ledger`, then the checks that need its routers gone: hung calls returned,
    streams closed, threads ended (a router's thread pool stops once the router is garbage-collected)."""
    before = set(threading.enumerate())
    ledger = Ledger()
    try:
        out = run(ledger)
    finally:
        ledger.release.set()  # even when the scenario crashed: blocked worker threads would keep Python from exiting
    settled = ledger.settle()
    out.check("hung sync calls returned once released", settled, "" if settled else "some never returned")
    gc.collect()
    opened, closed = ledger.total("opened"), ledger.total("closed")
    if opened:
        out.streams = f"{closed}/{opened}"
        out.check("every candidate stream closed", opened == closed, f"{closed} of {opened}")
    left = leftover_threads(before)
    out.check(
        "no thread left behind", not left, ", ".join(left[:5]) + (f" (+{len(left) - 5})" if len(left) > 5 else "")
    )
    return out


# -- LangChain scenarios ------------------------------------------------------------------------------------------


def scenario_ainvoke(n: int, args: argparse.Namespace, ledger: Ledger) -> Outcome:
    faults = Faults(args.seed, args.fail, args.hang)
    router = chat_router(faults, ledger, args.timeout)
    stats, decisions = RoutingStats(), Decisions()
    config: Any = {"callbacks": [stats, decisions]}
    start = time.perf_counter()
    results, tasks_left = asyncio.run(gather(n, lambda i: router.ainvoke(prompt(i), config=config), args.budget))
    out = Outcome(f"ainvoke x{n} concurrent", n, wall_s=time.perf_counter() - start)
    account(out, results, faults, ledger, stats, decisions, list(PRICES), lc_answer, sync=False)
    out.check("no task left pending", tasks_left == 0, f"{tasks_left} tasks")
    return out


def scenario_batch(n: int, args: argparse.Namespace, ledger: Ledger) -> Outcome:
    faults = Faults(args.seed, args.fail, args.hang)
    router = chat_router(faults, ledger, args.timeout)
    stats, decisions = RoutingStats(), Decisions()
    config: Any = {"callbacks": [stats, decisions], "max_concurrency": args.concurrency}
    start = time.perf_counter()
    answers = in_thread(
        lambda: router.batch([prompt(i) for i in range(n)], config, return_exceptions=True), args.budget
    )
    out = Outcome(f"batch x{n}, {args.concurrency} threads", n, wall_s=time.perf_counter() - start)
    results: list[Result | None] = (
        [None] * n
        if answers is None
        else [("raised", a, None) if isinstance(a, Exception) else ("answered", a, None) for a in answers]
    )
    account(out, results, faults, ledger, stats, decisions, list(PRICES), lc_answer, sync=True)
    return out


LATENCY_TIMEOUT = 30.0  # seconds: a timeout that does not fire in the latency rounds (see `scenario_latency`)
HALF = 8  # chunks a stream consumer reads before it closes the stream (the stand-in's answer has ~17)


def stream_answer(chunks: list[Any]) -> tuple[str, str]:
    return chunks[0].response_metadata["langroute"]["model"], "".join(str(c.content) for c in chunks)


def scenario_astream(n: int, args: argparse.Namespace, ledger: Ledger) -> Outcome:
    faults = Faults(args.seed, args.fail, args.hang)
    router = chat_router(faults, ledger, args.timeout)
    stats, decisions = RoutingStats(), Decisions()
    config: Any = {"callbacks": [stats, decisions]}

    async def consume(i: int) -> list[Any]:
        stream = router.astream(prompt(i), config=config)
        chunks: list[Any] = []
        try:
            async for chunk in stream:
                chunks.append(chunk)
                if len(chunks) == HALF:
                    break
        finally:
            await stream.aclose()
        return chunks

    start = time.perf_counter()
    results, tasks_left = asyncio.run(gather(n, consume, args.budget))
    out = Outcome(f"astream x{n} concurrent, closed half-way", n, wall_s=time.perf_counter() - start)
    account(out, results, faults, ledger, stats, decisions, list(PRICES), stream_answer, sync=False)
    out.check("no task left pending", tasks_left == 0, f"{tasks_left} tasks")
    return out


def scenario_stream(n: int, args: argparse.Namespace, ledger: Ledger) -> Outcome:
    faults = Faults(args.seed, args.fail, args.hang)
    router = chat_router(faults, ledger, args.timeout)
    stats, decisions = RoutingStats(), Decisions()
    config: Any = {"callbacks": [stats, decisions]}

    def consume(i: int) -> list[Any]:
        stream = router.stream(prompt(i), config=config)
        chunks: list[Any] = []
        try:
            for chunk in stream:
                chunks.append(chunk)
                if len(chunks) == HALF:
                    break
        finally:
            stream.close()
        return chunks

    start = time.perf_counter()
    results = threaded(n, consume, args.concurrency, args.budget)
    out = Outcome(f"stream x{n}, {args.concurrency} threads, closed half-way", n, wall_s=time.perf_counter() - start)
    account(out, results, faults, ledger, stats, decisions, list(PRICES), stream_answer, sync=True)
    return out


# -- LlamaIndex -------------------------------------------------------------------------------------------------------


def llama_parts(notes: list[str]) -> tuple[Any, Any, Any] | None:
    """(the fake LLM class, `RouterLLM`, `RoutingStats`), or ``None`` with a note when they cannot be imported."""
    try:
        from llama_index.core.base.llms.types import (
            ChatMessage,
            ChatResponse,
            ChatResponseAsyncGen,
            CompletionResponse,
            CompletionResponseGen,
            LLMMetadata,
        )
        from llama_index.core.llms import CustomLLM

        from langroute.llama_index import RouterLLM, RoutingStats
    except ImportError as exc:
        notes.append(f"llama skipped: {exc}")
        return None
    if "timeout" not in RouterLLM.model_fields:
        notes.append("llama skipped: this checkout's RouterLLM has no timeout=")
        return None

    class LoadLLM(CustomLLM):
        """`LoadChatModel` for LlamaIndex: seeded faults, a simulated latency, OpenAI-shaped token usage."""

        label: str
        faults: Any
        ledger: Any
        latency: float = 0.0

        @property
        def metadata(self) -> LLMMetadata:
            return LLMMetadata(model_name=self.label, is_chat_model=True)

        def _fate(self, messages: Sequence[Any]) -> str:
            fate = self.faults.fate(str(messages[-1].content), self.label)
            self.ledger.add(self.label, "invoked")
            if fate == "raise":
                self.ledger.add(self.label, "raised")
                raise ProviderError(f"{self.label}: 503 service unavailable")
            return fate

        def _answer(self, messages: Sequence[Any]) -> ChatResponse:
            self.ledger.add(self.label, "answered")
            text = f"[stand-in {self.label}] This is where the {self.label} model would answer."
            usage = {
                "prompt_tokens": sum(len(str(m.content)) for m in messages) // 4,
                "completion_tokens": len(text) // 4,
            }
            return ChatResponse(message=ChatMessage(role="assistant", content=text), additional_kwargs=usage)

        def chat(self, messages: Sequence[Any], **kwargs: Any) -> ChatResponse:
            if self._fate(messages) == "hang":
                self.ledger.add(self.label, "hung")
                self.ledger.release.wait()
                self.ledger.add(self.label, "released")
                raise ProviderError(f"{self.label}: released after the run")
            if self.latency:
                time.sleep(self.latency)
            return self._answer(messages)

        async def achat(self, messages: Sequence[Any], **kwargs: Any) -> ChatResponse:
            fate = self._fate(messages)
            try:
                if fate == "hang":
                    self.ledger.add(self.label, "hung")
                    self.ledger.add(self.label, "hung_async")
                    await asyncio.Event().wait()
                if self.latency:
                    await asyncio.sleep(self.latency)
            except asyncio.CancelledError:
                self.ledger.add(self.label, "cancelled")
                raise
            return self._answer(messages)

        def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
            return CompletionResponse(text=self.chat([ChatMessage(role="user", content=prompt)]).message.content or "")

        def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
            yield self.complete(prompt)

        async def astream_chat(self, messages: Sequence[Any], **kwargs: Any) -> ChatResponseAsyncGen:
            async def chunks() -> ChatResponseAsyncGen:
                self.ledger.add(self.label, "opened")
                try:
                    fate = self._fate(messages)
                    try:
                        if fate == "hang":
                            self.ledger.add(self.label, "hung")
                            self.ledger.add(self.label, "hung_async")
                            await asyncio.Event().wait()
                        if self.latency:
                            await asyncio.sleep(self.latency)
                    except asyncio.CancelledError:
                        self.ledger.add(self.label, "cancelled")
                        raise
                    whole = self._answer(messages)
                    text = ""
                    for word in re.split(r"(\s)", str(whole.message.content)):
                        text += word
                        yield ChatResponse(message=ChatMessage(role="assistant", content=text), delta=word)
                        await asyncio.sleep(0)
                    yield ChatResponse(
                        message=ChatMessage(role="assistant", content=text),
                        delta="",
                        additional_kwargs=whole.additional_kwargs,
                    )
                finally:
                    self.ledger.add(self.label, "closed")

            return chunks()

    return LoadLLM, RouterLLM, RoutingStats


def scenario_llama(n: int, args: argparse.Namespace, notes: list[str]) -> list[Outcome]:
    parts = llama_parts(notes)
    if parts is None:
        return []
    from llama_index.core.base.llms.types import ChatMessage
    from llama_index.core.instrumentation import get_dispatcher
    from llama_index.core.instrumentation.event_handlers import BaseEventHandler

    from langroute.llama_index import RoutingDecisionEvent

    load_llm, router_llm, routing_stats = parts

    class DecisionEvents(BaseEventHandler):
        decisions: Any = None

        def handle(self, event: Any, **kwargs: Any) -> None:
            if isinstance(event, RoutingDecisionEvent) and event.outer_id is None:
                self.decisions.seen(event.decision_dict())

    def llama_answer(response: Any) -> tuple[str, str]:
        return response.additional_kwargs["langroute"]["model"], str(response.message.content)

    def llama_stream_answer(chunks: list[Any]) -> tuple[str, str]:
        return chunks[0].additional_kwargs["langroute"]["model"], str(chunks[-1].message.content)

    def one(mode: str, ledger: Ledger) -> Outcome:
        faults = Faults(args.seed, args.fail, args.hang)
        models = [
            Candidate(name, load_llm(label=name, faults=faults, ledger=ledger), input_cost=i, output_cost=o)
            for name, (i, o) in PRICES.items()
        ]
        llm = router_llm(models=models, thresholds=THRESHOLDS, timeout=args.timeout)
        stats, decisions = routing_stats(), Decisions()
        handler = DecisionEvents(decisions=decisions)
        root = get_dispatcher()
        root.add_event_handler(stats)
        root.add_event_handler(handler)
        try:
            start = time.perf_counter()
            if mode == "achat":

                def call(i: int) -> Awaitable[Any]:
                    return llm.achat([ChatMessage(role="user", content=prompt(i))])

                results, tasks_left = asyncio.run(gather(n, call, args.budget))
                out = Outcome(f"RouterLLM.achat x{n} concurrent", n, wall_s=time.perf_counter() - start)
                out.check("no task left pending", tasks_left == 0, f"{tasks_left} tasks")
            elif mode == "chat":

                def chat(i: int) -> Any:
                    return llm.chat([ChatMessage(role="user", content=prompt(i))])

                results = threaded(n, chat, args.concurrency, args.budget)
                out = Outcome(f"RouterLLM.chat x{n}, {args.concurrency} threads", n, wall_s=time.perf_counter() - start)
            else:

                async def consume(i: int) -> list[Any]:
                    stream = await llm.astream_chat([ChatMessage(role="user", content=prompt(i))])
                    chunks: list[Any] = []
                    try:
                        async for chunk in stream:
                            chunks.append(chunk)
                            if len(chunks) == HALF:
                                break
                    finally:
                        await stream.aclose()
                    return chunks

                results, tasks_left = asyncio.run(gather(n, consume, args.budget))
                out = Outcome(
                    f"RouterLLM.astream_chat x{n} concurrent, closed half-way", n, wall_s=time.perf_counter() - start
                )
                out.check("no task left pending", tasks_left == 0, f"{tasks_left} tasks")
            answer = llama_stream_answer if mode == "astream_chat" else llama_answer
            account(out, results, faults, ledger, stats, decisions, list(PRICES), answer, sync=mode == "chat")
        finally:
            root.event_handlers.remove(stats)
            root.event_handlers.remove(handler)
        return out

    return [checked(lambda ledger, mode=mode: one(mode, ledger)) for mode in ("achat", "chat", "astream_chat")]


# -- latency: routed vs direct, healthy candidates ----------------------------------------------------------------


@dataclass
class LatencyRow:
    mode: str
    variant: str
    p50_ms: float
    p99_ms: float
    added_p50_ms: float | None
    added_p99_ms: float | None
    round_p50_ms: tuple[float, float]  # lowest and highest p50 of one round: the run's noise
    calls_per_s: float
    errors: int  # calls that raised or did not return (healthy candidates: a timeout under load); not timed
    attempts_per_call: float = 1.0  # candidate calls per routed call, async and sync together (> 1: fallbacks)


def latency_rows(
    mode: str,
    samples: Mapping[str, list[list[float]]],
    walls: Mapping[str, list[float]],
    errors: Mapping[str, int],
    n: int,
) -> list[LatencyRow]:
    base = [s for r in samples["direct"] for s in r]
    base50, base99 = statistics.median(base), percentile(base, 0.99)
    rows = []
    for variant, rounds in samples.items():
        pooled = [s for r in rounds for s in r]
        p50, p99 = statistics.median(pooled), percentile(pooled, 0.99)
        per_round = [statistics.median(r) * 1e3 for r in rounds]
        added = (None, None) if variant == "direct" else ((p50 - base50) * 1e3, (p99 - base99) * 1e3)
        rows.append(
            LatencyRow(
                mode,
                variant,
                p50 * 1e3,
                p99 * 1e3,
                *added,
                (min(per_round), max(per_round)),
                n / statistics.median(walls[variant]),
                errors[variant],
            )
        )
    return rows


def scenario_latency(n: int, rounds: int, args: argparse.Namespace) -> list[LatencyRow]:
    """Healthy candidates: the direct call and four routed variants, each round of `n` calls in turn (the order
    rotates every round), after a warm-up round; p50/p99 pooled over the rounds.

    The timeout here (`LATENCY_TIMEOUT`) never fires, so its rows show what the timeout machinery costs; a timeout
    near the loaded latency makes healthy attempts time out and fall back (``attempts/call`` > 1).
    """
    healthy = Faults(args.seed, 0.0, 0.0)
    ledgers = {name: Ledger() for name in ("direct", "plain", "limited")}
    direct = LoadChatModel(label="small", faults=healthy, ledger=ledgers["direct"], latency=args.latency)
    plain = chat_router(healthy, ledgers["plain"], None, args.latency)
    limited = chat_router(healthy, ledgers["limited"], LATENCY_TIMEOUT, args.latency)
    counted: Any = {"callbacks": [RoutingStats()]}
    timeout = f"timeout={LATENCY_TIMEOUT:g}"
    variants: dict[str, tuple[Callable[[int], Awaitable[Any]], Callable[[int], Any]]] = {
        "direct": (lambda i: direct.ainvoke(prompt(i)), lambda i: direct.invoke(prompt(i))),
        "routed": (lambda i: plain.ainvoke(prompt(i)), lambda i: plain.invoke(prompt(i))),
        f"routed, {timeout}": (lambda i: limited.ainvoke(prompt(i)), lambda i: limited.invoke(prompt(i))),
        "routed, RoutingStats": (
            lambda i: plain.ainvoke(prompt(i), config=counted),
            lambda i: plain.invoke(prompt(i), config=counted),
        ),
        f"routed, {timeout}, RoutingStats": (
            lambda i: limited.ainvoke(prompt(i), config=counted),
            lambda i: limited.invoke(prompt(i), config=counted),
        ),
    }
    rows: list[LatencyRow] = []
    for mode in ("async", "sync"):
        samples: dict[str, list[list[float]]] = {name: [] for name in variants}
        walls: dict[str, list[float]] = {name: [] for name in variants}
        errors = dict.fromkeys(variants, 0)
        names = list(variants)
        for r in range(rounds + 1):  # round 0 warms up
            for name in names[r % len(names) :] + names[: r % len(names)]:  # rotate the order each round
                gc.collect()
                start = time.perf_counter()
                if mode == "async":
                    results, _ = asyncio.run(gather(n, variants[name][0], args.budget))
                else:
                    results = threaded(n, variants[name][1], args.concurrency, args.budget)
                wall = time.perf_counter() - start
                if r:
                    timed = [seconds for kind, _, seconds in filter(None, results) if kind == "answered" and seconds]
                    samples[name].append(timed)
                    walls[name].append(wall)
                    errors[name] += n - len(timed)
        label = f"async, {n} concurrent" if mode == "async" else f"sync, {n} calls on {args.concurrency} threads"
        rows += latency_rows(label, samples, walls, errors, n)
    calls = n * (rounds + 1) * 2  # each variant: every round, async and sync
    for row in rows:
        ledger = ledgers["direct" if row.variant == "direct" else "limited" if "timeout" in row.variant else "plain"]
        shared = 1 if row.variant == "direct" else 2  # two routed variants share each router
        row.attempts_per_call = ledger.total("invoked") / (calls * shared)
    return rows


# -- memory -----------------------------------------------------------------------------------------------------------


@dataclass
class MemoryRow:
    scenario: str
    calls: int
    retained_b_per_call: float
    growth_b_per_call: float  # in the second round: ~0 when memory is flat
    peak_kb_per_call: float  # peak over the baseline during a round, per call of the round


def memory_row(mode: str, n: int, args: argparse.Namespace) -> MemoryRow:
    """tracemalloc over two rounds of `n` calls (``ainvoke`` concurrent, or one threaded ``batch``)."""
    faults, ledger = Faults(args.seed, args.fail, args.hang), Ledger()
    router = chat_router(faults, ledger, args.timeout)
    config: Any = {"callbacks": [RoutingStats()]}

    def run(offset: int, count: int) -> None:
        if mode == "ainvoke":
            asyncio.run(gather(count, lambda i: router.ainvoke(prompt(offset + i), config=config), args.budget))
        else:
            inputs = [prompt(offset + i) for i in range(count)]
            options = {**config, "max_concurrency": args.concurrency}
            in_thread(lambda: router.batch(inputs, options, return_exceptions=True), args.budget)
        ledger.settle()  # hung sync calls return, so their threads' memory is released
        ledger.release = threading.Event()

    try:
        run(10 * n, min(n, 100))  # warm-up: imports, caches, the router's thread pool
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        after = []
        peak = 0
        for r in (1, 2):
            tracemalloc.reset_peak()
            run(r * n, n)
            peak = max(peak, tracemalloc.get_traced_memory()[1])
            gc.collect()
            after.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
        ledger.release.set()
    label = f"ainvoke x{n} concurrent" if mode == "ainvoke" else f"batch x{n}, {args.concurrency} threads"
    return MemoryRow(
        f"{label} ({args.fail:.0%} failing, {args.hang:.0%} hung)",
        n,
        (after[0] - base) / n,
        (after[1] - after[0]) / n,
        (peak - base) / n / 1024,
    )


# -- report -----------------------------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """overhead.py's machine description, with the 1-minute load average."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {**overhead_machine(PACKAGES), "load_1min": load}


def markdown(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:,.1f}" if abs(value) < 1e5 else f"{value:,.0f}"
        return str(value)

    cells = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(header)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"]
    lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row, raw in zip(cells, rows, strict=True):
        padded = [
            c.ljust(w) if i < 2 and isinstance(v, str) else c.rjust(w)
            for i, (c, w, v) in enumerate(zip(row, widths, raw, strict=True))
        ]
        lines.append("| " + " | ".join(padded) + " |")
    return "\n".join(lines)


def report(
    command: str,
    info: Mapping[str, Any],
    args: argparse.Namespace,
    outcomes: Sequence[Outcome],
    latency: Sequence[LatencyRow],
    memory: Sequence[MemoryRow],
    notes: Sequence[str],
) -> str:
    lines = [
        f"command: {command}",
        f"machine: {info['cpu']}, {info['cores']} cores, load {info['load_1min']:.2f}, Python {info['python']}, "
        f"{info['platform']}",
        "packages: " + ", ".join(f"{k} {v}" for k, v in info["packages"].items()) + f"; langroute {info['langroute']}",
        f"faults: {args.fail:.0%} of attempts raise, {args.hang:.0%} hang (seed {args.seed}); "
        f"timeout={args.timeout:g} s; candidates small/medium/large, thresholds {THRESHOLDS}",
    ]
    lines += [f"note: {note}" for note in dict.fromkeys(notes)]
    if outcomes:
        lines += ["", "Every call answers or raises, and the stats add up:", ""]
        lines.append(
            markdown(
                (
                    "scenario",
                    "answered",
                    "raised",
                    "all failed",
                    "timeouts",
                    "late",
                    "streams closed",
                    "p50 ms",
                    "p99 ms",
                    "wall s",
                    "checks",
                ),
                [
                    (
                        o.scenario,
                        o.answered,
                        o.raised,
                        o.expected_raised,
                        o.timeouts,
                        o.late,
                        o.streams,
                        o.p50_ms,
                        o.p99_ms,
                        f"{o.wall_s:.2f}",
                        f"{sum(ok for _, ok, _ in o.checks)}/{len(o.checks)} ok",
                    )
                    for o in outcomes
                ],
            )
        )
        lines.append("")
        lines.append(
            "first choices: "
            + "; ".join(
                f"{o.scenario.split(' x')[0]} " + ", ".join(f"{k} {v}" for k, v in o.first.items()) for o in outcomes
            )
        )
        for o in outcomes:
            for name, ok, detail in o.checks:
                if not ok:
                    lines.append(f"FAIL {o.scenario}: {name}: {detail}")
        if all(o.ok for o in outcomes):
            lines.append(
                "all checks ok: "
                + "; ".join(sorted({name for o in outcomes for name, _, _ in o.checks if ":" not in name}))
            )
    if latency:
        lines += [
            "",
            f"Latency, healthy candidates answering after {args.latency * 1e3:g} ms (routed vs direct, "
            "interleaved rounds):",
            "",
        ]
        lines.append(
            markdown(
                (
                    "mode",
                    "variant",
                    "p50 ms",
                    "p99 ms",
                    "added p50 ms",
                    "added p99 ms",
                    "p50 per round ms",
                    "calls/s",
                    "errors",
                    "attempts/call",
                ),
                [
                    (
                        r.mode,
                        r.variant,
                        r.p50_ms,
                        r.p99_ms,
                        r.added_p50_ms,
                        r.added_p99_ms,
                        f"{r.round_p50_ms[0]:.1f}-{r.round_p50_ms[1]:.1f}",
                        r.calls_per_s,
                        r.errors,
                        f"{r.attempts_per_call:.2f}",
                    )
                    for r in latency
                ],
            )
        )
    if memory:
        lines += ["", "Memory (tracemalloc, two rounds after a warm-up):", ""]
        lines.append(
            markdown(
                ("scenario", "calls a round", "retained B/call", "round-2 growth B/call", "peak KB/call"),
                [(m.scenario, m.calls, m.retained_b_per_call, m.growth_b_per_call, m.peak_kb_per_call) for m in memory],
            )
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--calls", type=int, default=1000, help="calls a scenario (default 1000)")
    parser.add_argument("--rounds", type=int, default=5, help="latency rounds a variant (default 5)")
    parser.add_argument("--concurrency", type=int, default=32, help="threads of the sync scenarios (default 32)")
    parser.add_argument("--fail", type=float, default=0.3, help="share of attempts that raise (default 0.3)")
    parser.add_argument("--hang", type=float, default=0.1, help="share of attempts that hang (default 0.1)")
    parser.add_argument("--timeout", type=float, default=0.5, help="the router's timeout= in seconds (default 0.5)")
    parser.add_argument("--latency", type=float, default=0.05, help="healthy candidates' answer time, s (0.05)")
    parser.add_argument("--seed", type=int, default=12, help="seed of the faults (default 12)")
    parser.add_argument("--budget", type=float, default=300.0, help="seconds after which a call counts as hung")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 60 calls a scenario, 1 latency round")
    parser.add_argument("--json", action="store_true", help="print the results and the machine as JSON")
    parser.add_argument("--only", default=",".join(SCENARIOS), help=f"comma-separated scenarios of {SCENARIOS}")
    args = parser.parse_args(argv)
    chosen = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(SCENARIOS))
    if unknown:
        parser.error(f"--only: unknown scenario(s) {unknown}; choose from {list(SCENARIOS)}")
    if not 0 <= args.fail + args.hang <= 1 or args.fail < 0 or args.hang < 0:
        parser.error(f"--fail {args.fail} and --hang {args.hang}: need two shares in [0, 1] whose sum is at most 1")
    if args.quick:
        args.calls, args.rounds = min(args.calls, 60), 1
    logging.getLogger("langroute").setLevel(logging.ERROR)  # a fallback per failed attempt would flood stderr

    notes: list[str] = []
    outcomes: list[Outcome] = []
    latency: list[LatencyRow] = []
    memory: list[MemoryRow] = []
    runners: dict[str, Callable[[], Any]] = {
        "ainvoke": lambda: outcomes.append(checked(lambda ledger: scenario_ainvoke(args.calls, args, ledger))),
        "batch": lambda: outcomes.append(checked(lambda ledger: scenario_batch(args.calls, args, ledger))),
        "astream": lambda: outcomes.append(checked(lambda ledger: scenario_astream(args.calls, args, ledger))),
        "stream": lambda: outcomes.append(checked(lambda ledger: scenario_stream(args.calls, args, ledger))),
        "llama": lambda: outcomes.extend(scenario_llama(args.calls, args, notes)),
        "latency": lambda: latency.extend(scenario_latency(args.calls, args.rounds, args)),
        "memory": lambda: memory.extend(memory_row(mode, args.calls, args) for mode in ("ainvoke", "batch")),
    }
    for name in chosen:
        runners[name]()
    command = " ".join(["python", "benchmarks/load.py", *(sys.argv[1:] if argv is None else argv)])
    info = machine()
    if args.json:
        payload = {
            "command": command,
            "machine": info,
            "parameters": {k: v for k, v in vars(args).items() if k not in ("json", "only")},
            "notes": notes,
            "scenarios": [asdict(o) | {"ok": o.ok} for o in outcomes],
            "latency": [asdict(r) for r in latency],
            "memory": [asdict(m) for m in memory],
        }
        print(json.dumps(payload, indent=1))
    else:
        print(report(command, info, args, outcomes, latency, memory, notes))
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
