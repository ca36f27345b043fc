"""Hostile input: regex rules with and without RE2 and text windows, and event-loop stalls of `ascore`.

Run it from the repository root (about a minute; ``--quick`` skips the 7-second unbounded run)::

    python benchmarks/hostile_input.py [--quick]

Each timing is the best of `--repeat` runs (wall clock, one process; the machine may be shared, so read the
numbers as orders of magnitude). The stall section runs a ticker task every 1 ms next to ``ascore`` and reports
the longest gap between ticks: how long the event loop was held.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time
from collections.abc import Callable

from langroute import Conversation, RuleScorer, Score, Scorer, as_conversation


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def fmt(seconds: float) -> str:
    return f"{seconds * 1e3:10.3f} ms"


def regex_section(repeat: int, quick: bool) -> None:
    print("\n## RuleScorer regexes (best of", repeat, "runs)")
    evil = "a" * 30 + "b"
    re2_rules = RuleScorer([(r"(a+)+$", 0.9)], window=None, turns=None, engine="re2")
    print(f"(a+)+$ on 'a'*30+'b'        re2, no windows   {fmt(best(lambda: re2_rules.score(evil), repeat))}")
    re_rules = RuleScorer([(r"(a+)+$", 0.9)], engine="re")
    for n in (16, 18, 20):
        t = best(lambda n=n: re_rules.score("a" * n + "b"), 1)
        guess = f"x2 per extra 'a': 'a'*30 ~ {t * 2 ** (30 - n):.0f} s"
        print(f"(a+)+$ on 'a'*{n}+'b'        re, windows       {fmt(t)}   ({guess})")
    prompt = "a" * 100_000  # 100 KB, no 'b' or 'c': every start backtracks over the rest of the line
    five = as_conversation([("user", prompt)] * 5)
    variants: list[tuple[str, RuleScorer, object, int]] = [
        ("re2, no windows", RuleScorer([(r"a.*b.*c", 0.9)], window=None, turns=None, engine="re2"), prompt, repeat),
        ("re2, windows", RuleScorer([(r"a.*b.*c", 0.9)], engine="re2"), prompt, repeat),
        ("re, windows", RuleScorer([(r"a.*b.*c", 0.9)], engine="re"), prompt, repeat),
        ("re, windows, 5 turns of 100 KB", RuleScorer([(r"a.*b.*c", 0.9)], engine="re"), five, repeat),
        ("re, windows, (?s), 5 turns", RuleScorer([(r"(?s)a.*b.*c", 0.9)], engine="re"), five, 1),
    ]
    if not quick:
        variants.append(("re, no windows (0.2)", RuleScorer([(r"a.*b.*c", 0.9)], window=None, engine="re"), prompt, 1))
    for label, scorer, conv, runs in variants:
        print(f"a.*b.*c on 100 KB   {label:34s} {fmt(best(lambda s=scorer, c=conv: s.score(c), runs))}")
    short = "Please prove that the square root of two is irrational, and explain each step."
    rules = [(r"(?i)\b(prove|theorem|lemma)\b", 0.9), (r"(?i)\btranslate\b", 0.1), (r"```", 0.8)]
    for engine in ("re", "re2"):
        scorer = RuleScorer(rules, engine=engine)  # type: ignore[arg-type]
        t = best(lambda s=scorer: [s.score(short) for _ in range(1000)], repeat) / 1000
        print(f"3 rules on an 80-character prompt, {engine:3s}              {t * 1e6:10.2f} us a call")


class SlowScorer(Scorer):
    """Pure-Python work proportional to the text: a stand-in for a user's CPU-bound scorer."""

    def rate(self, conversation: Conversation) -> Score:
        text = conversation.text
        vowels = sum(1 for _ in range(6) for ch in text if ch in "aeiou")  # ~0.3 s on 1 MB here
        return Score(min(1.0, vowels / 1e7), "vowels")


async def stall(scorer: Scorer, conversation: Conversation) -> tuple[float, float]:
    gaps: list[float] = []
    stop = False

    async def ticker() -> None:
        last = time.perf_counter()
        while not stop:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    start = time.perf_counter()
    await scorer.ascore(conversation)
    elapsed = time.perf_counter() - start
    stop = True
    await task
    return max(gaps), elapsed


def stall_section() -> None:
    print("\n## ascore of a slow CPU-bound scorer on 1 MB: the longest event-loop stall (ticker every 1 ms)")
    big = as_conversation("hello world " * 87_382)
    for label, limit in (("offload_chars=None (0.2: inline)", None), ("offload_chars=32768 (default)", 32_768)):
        scorer = SlowScorer()
        scorer.offload_chars = limit
        worst, elapsed = asyncio.run(stall(scorer, big))
        print(f"{label:36s} longest stall {fmt(worst)}, ascore took {fmt(elapsed)}")
    small = as_conversation("hi")
    inline, hop = SlowScorer(), SlowScorer()
    hop.offload_chars = 0

    async def many(scorer: Scorer) -> None:
        for _ in range(2000):
            await scorer.ascore(small)

    for label, scorer in (("inline", inline), ("worker thread", hop)):
        t = best(lambda s=scorer: asyncio.run(many(s)), 3) / 2000
        print(f"ascore('hi') {label:23s} {t * 1e6:10.2f} us a call")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the unbounded 0.2 run (about 7 s)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"$ python {' '.join(sys.argv)}")
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    regex_section(args.repeat, args.quick)
    stall_section()


if __name__ == "__main__":
    main()
