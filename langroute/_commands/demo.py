"""``langroute demo``: route a dozen varied prompts and show each decision, then the traffic share.

Offline by default: the candidates are stand-in chat models that answer ``[stand-in <name>] ...`` and make no
network call. ``--models openai:gpt-4o-mini,openai:gpt-4o`` uses real models through
`langchain.chat_models.init_chat_model` (needs the ``langchain`` package, the provider package and its API key).
"""

from __future__ import annotations

import argparse
import textwrap
from typing import Any, Final

DEMO_PROMPTS: Final[tuple[tuple[str, str], ...]] = (
    ("greeting", "hi!"),
    ("small talk", "Thanks, that was helpful. Have a good evening!"),
    ("lookup", "What is the capital of Australia?"),
    ("translation", "Translate 'Where is the train station?' into Spanish."),
    ("definition", "Define the word 'ephemeral'."),
    ("summary", "Summarize the plot of Romeo and Juliet in three sentences."),
    ("email", "Write a short, polite email asking my landlord to fix the heating. It must mention it broke on Monday."),
    (
        "code review",
        "Review this Python function for bugs and edge cases:\n```python\ndef average(xs):\n"
        "    return sum(xs) / len(xs)\n```",
    ),
    (
        "sql",
        "Write a SQL query that returns the top 3 customers by total order value in 2024, joining orders and "
        "customers; explain why you chose that join.",
    ),
    (
        "debugging",
        "My Python asyncio service deadlocks under load. Explain step by step how to diagnose it, which tools to "
        "use, and what the usual causes are. Then implement a watchdog that dumps every task's stack.",
    ),
    (
        "proof",
        "Prove that there are infinitely many primes, then prove that the sum of the reciprocals of the primes "
        "diverges. Be rigorous and justify each step.",
    ),
    (
        "system design",
        "Design a multi-region, strongly consistent key-value store. First, compare Raft and Paxos and explain the "
        "trade-offs. Then define the API, the replication protocol and the failure handling step by step. Derive "
        "the expected write latency as an equation of the round-trip times, implement the leader lease logic in "
        "Python with unit tests, and finally analyze the complexity. It must survive the loss of a region, should "
        "keep p99 writes under 200 ms, and must not lose acknowledged writes.",
    ),
)
"""(label, prompt) pairs the demo routes: from chit-chat to multi-step design."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the demo's options."""
    parser.add_argument(
        "--models",
        help="real models, cheapest first, as provider:name,provider:name (uses init_chat_model and your API keys); "
        "default: three offline stand-ins",
    )
    parser.add_argument("--thresholds", help="comma-separated score cut-offs, one fewer than models")
    parser.add_argument("--answers", action="store_true", help="also print each model's answer")


def run(args: argparse.Namespace) -> int:
    """Build the router, route every demo prompt, print the decisions and the share per model."""
    from langroute.langchain import RouterChatModel, RoutingStats

    models = _real_models(args.models) if args.models else _stand_ins()
    thresholds = [float(t) for t in args.thresholds.split(",")] if args.thresholds else None
    router = RouterChatModel(models=models, thresholds=thresholds)
    stats = RoutingStats()
    kind = "real models" if args.models else "offline stand-in models (no API calls; pass --models for real ones)"
    print(f"langroute demo: {len(models)} candidates, cheapest first: {', '.join(router.models)}  [{kind}]")
    print(f"scorer: {router.scorer!r}, thresholds: {[round(t, 3) for t in router.router.policy.thresholds]}\n")
    rows = []
    for label, prompt in DEMO_PROMPTS:
        message = router.invoke(prompt, config={"callbacks": [stats]})
        decision = message.response_metadata["langroute"]
        rows.append((label, prompt, decision, message.content))
    _print_table(rows, answers=args.answers)
    print("\ntraffic per model:")
    print(textwrap.indent(str(stats), "  "))
    if not args.models:
        prices = ", ".join(f"{name} ${inp:g}/${out:g}" for name, (inp, out) in _EXAMPLE_PRICES.items())
        print(f"  (example prices per 1M input/output tokens, not quotes: {prices})")
    return 0


_EXAMPLE_PRICES: dict[str, tuple[float, float]] = {"small": (0.15, 0.6), "medium": (1.0, 4.0), "large": (2.5, 10.0)}
"""Stand-in prices in USD per 1M input / output tokens, so the demo can show the money table (not real quotes)."""


def _stand_ins() -> list[Any]:
    from langroute.candidates import Candidate
    from langroute.langchain.testing import StandInChatModel

    return [
        Candidate(name, StandInChatModel(label=name), input_cost=inp, output_cost=out)
        for name, (inp, out) in _EXAMPLE_PRICES.items()
    ]


def _real_models(spec: str) -> dict[str, Any]:
    try:
        from langchain.chat_models import init_chat_model
    except ImportError as exc:
        raise ImportError('--models needs the langchain package: pip install "langchain>=1.0"') from exc
    names = [name.strip() for name in spec.split(",") if name.strip()]
    if len(names) < 2:
        raise ValueError(
            f"--models={spec!r}: give at least two models, cheapest first, e.g. openai:gpt-4o-mini,openai:gpt-4o"
        )
    return {name: init_chat_model(name) for name in names}


def _print_table(rows: list[tuple[str, str, dict[str, Any], Any]], *, answers: bool) -> None:
    header = f"{'prompt':<16} {'text':<44} {'score':>5}  {'model':<10} reason"
    print(header)
    print("-" * len(header))
    for label, prompt, decision, content in rows:
        text = " ".join(prompt.split())
        text = text if len(text) <= 44 else text[:41] + "..."
        print(f"{label:<16} {text:<44} {decision['score']:>5.2f}  {decision['model']:<10} {decision['reason']}")
        if answers:
            print(textwrap.indent(textwrap.shorten(str(content), 200), "    -> "))
