"""Routing overhead, measured side by side with calling the candidate directly and with the alternatives.

Run it from the repository root (``make bench`` runs the full version)::

    python benchmarks/overhead.py                 # full: 2,000 iterations a variant
    python benchmarks/overhead.py --quick         # a smoke run: a few iterations, same rows
    python benchmarks/overhead.py --only invoke,scorer --iterations 5000 --json
    python benchmarks/overhead.py --readme benchmarks/README.md   # also write the table into the README

Every variant of one table cell runs in the same loop, interleaved (A B C A B C ...), after a warm-up, so the
machine's noise hits them alike. Each row gives p50 and p99 in microseconds and, for routed calls, p50 as a
ratio to calling the candidate directly in the same loop: on a noisy machine that ratio is the figure.

Rows "RuleClassifier + 3 candidates" and "everything on" switch on what 0.3 added (see `release_variants`).

Sections (``--only``): ``invoke``, ``ainvoke``, ``stream``, ``batch`` (LangChain, at 2 B, 2 KB and 100 KB prompts),
``llama`` (LlamaIndex ``MockLLM.chat`` vs ``RouterLLM.chat``), ``scorer`` (scoring alone), ``inloop`` (the same
scorer timed inside ``RouterChatModel.invoke`` in the invoke loop, and outside it cold and warm), ``import`` (cold
``import langroute``) and ``memory`` (per router instance, and retained per call).

Rows for `LearnedScorer.pretrained()`, `RouterLLM` and the PyPI ``langchain-model-router`` appear when they can
be imported; otherwise a note says why they were skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere: measure this checkout's langroute
    sys.path.insert(0, str(ROOT))

SECTIONS = ("invoke", "ainvoke", "stream", "batch", "llama", "scorer", "inloop", "import", "memory")
PACKAGES = ("langchain-core", "langchain", "llama-index-core", "pydantic", "numpy", "langchain-model-router")
FRAMEWORKS = ("langchain_core", "langchain", "langgraph", "llama_index", "numpy", "pydantic")
REPLY = "w " * 7 + "w\n"  # 16 tokens when GenericFakeChatModel streams it (8 words, 8 whitespace tokens)
BATCH = 32
START, END = "<!-- overhead:start -->", "<!-- overhead:end -->"  # the table's place in benchmarks/README.md
SLOW = 0.005  # seconds a call above which a variant is sampled less often (see `measure`) ...
SLOW_FACTOR = 20  # ... when it is also this many times slower than the fastest variant of its loop


@dataclass
class Row:
    """One line of the table."""

    section: str
    mode: str
    size: str
    variant: str
    p50_us: float | None
    p99_us: float | None
    ratio: float | None = None  # p50 / the direct call's p50 in the same loop
    note: str = ""


def prompt(size: int) -> str:
    """A deterministic English prompt with a little code and maths in it, `size` characters long."""
    paragraph = (
        "Please review the following design and explain the trade-offs. The service must handle 500 requests "
        "per second; first it parses the input, then it validates the schema and writes to the database. "
        "def handle(request): return process(request) if request.ok else None. What is the expected latency? "
    )
    return (paragraph * (size // len(paragraph) + 1))[:size] if size > 2 else "hi"


SIZES = {"2 B": 2, "2 KB": 2048, "100 KB": 102_400}


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(variants: dict[str, Callable[[], object]], iterations: int, warmup: int) -> dict[str, list[float]]:
    """Time each variant `iterations` times, interleaved, after `warmup` untimed rounds; seconds per call.

    Each round runs the variants in a fresh (seeded) random order: a call pays for the CPU caches that the call
    before it evicted (after ~1 ms of regex-heavy code a router call takes up to ~90 us more), so a fixed order
    would charge each variant for its fixed predecessor. Shuffled, every variant follows every other alike.

    A variant whose fastest warm-up call takes more than `SLOW` seconds and `SLOW_FACTOR` times the fastest variant's
    is timed only every k-th round (k = its time / that budget), so one pathological row cannot take the whole run;
    its row says how many samples it has.
    """
    fastest = dict.fromkeys(variants, math.inf)
    for _ in range(warmup):
        for name, fn in variants.items():
            start = time.perf_counter()
            fn()
            fastest[name] = min(fastest[name], time.perf_counter() - start)
    budget = max(SLOW, SLOW_FACTOR * min(fastest.values()))
    strides = {name: max(1, math.ceil(seconds / budget)) for name, seconds in fastest.items()}
    samples: dict[str, list[float]] = {name: [] for name in variants}
    order = list(variants.items())
    shuffle = random.Random(0).shuffle
    gc.collect()
    clock = time.perf_counter
    for i in range(iterations):
        shuffle(order)
        for name, fn in order:
            if i % strides[name]:
                continue
            start = clock()
            fn()
            samples[name].append(clock() - start)
    return samples


async def ameasure(
    variants: dict[str, Callable[[], Awaitable[object]]], iterations: int, warmup: int
) -> dict[str, list[float]]:
    """`measure` for coroutine functions, timed inside one running event loop (same shuffled order)."""
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(warmup):
        for fn in variants.values():
            await fn()
    order = list(variants.items())
    shuffle = random.Random(0).shuffle
    gc.collect()
    clock = time.perf_counter
    for _ in range(iterations):
        shuffle(order)
        for name, fn in order:
            start = clock()
            await fn()
            samples[name].append(clock() - start)
    return samples


def rows_from(section: str, mode: str, size: str, samples: dict[str, list[float]], base: str | None) -> list[Row]:
    base_p50 = statistics.median(samples[base]) if base else None
    most = max(len(values) for values in samples.values())
    rows = []
    for name, values in samples.items():
        p50, p99 = statistics.median(values), percentile(values, 0.99)
        ratio = round(p50 / base_p50, 2) if base_p50 else None
        note = f"{len(values)} samples" if len(values) < most else ""
        rows.append(Row(section, mode, size, name, round(p50 * 1e6, 1), round(p99 * 1e6, 1), ratio, note))
    return rows


# -- LangChain ------------------------------------------------------------------------------------------------------


def langchain_variants(notes: list[str]) -> dict[str, Any]:
    """Build the models once: the candidates, the router variants and the alternatives a user would write."""
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.runnables import RunnableBranch, RunnableLambda

    from langroute import HeuristicScorer
    from langroute.langchain import RouterChatModel

    def fake() -> GenericFakeChatModel:
        return GenericFakeChatModel(messages=itertools.repeat(REPLY))

    small, large = fake(), fake()
    models = {"small": small, "large": large}

    def is_long(value: object) -> bool:  # the rule a user would write by hand: a length cut-off
        return len(str(value)) > 1000

    default = RouterChatModel(models=models)
    variants: dict[str, tuple[Any, dict[str, Any]]] = {
        "direct GenericFakeChatModel": (small, {}),
        "RouterChatModel (HeuristicScorer)": (RouterChatModel(models=models, scorer=HeuristicScorer()), {}),
        "RouterChatModel (forced route)": (default, {"route": "small"}),
    }
    if default.scorer.name != "HeuristicScorer":
        variants[f"RouterChatModel (default: {default.scorer.name})"] = (default, {})
    variants.update(release_variants(small, large, notes))
    learned = learned_scorer(notes)
    if learned is not None:
        variants["RouterChatModel (LearnedScorer)"] = (RouterChatModel(models=models, scorer=learned), {})
    variants["RunnableLambda -> model"] = (RunnableLambda(lambda x: large if is_long(x) else small), {})
    variants["RunnableBranch"] = (RunnableBranch((is_long, large), small), {})
    try:
        from langchain_model_router import ChatRouter, HeuristicStrategy
    except ImportError:
        notes.append("langchain-model-router is not installed: its rows are skipped (pip install '.[bench]')")
    else:
        routes = {"small": small, "large": large}
        variants["langchain-model-router (no strategy)"] = (
            ChatRouter(routes=routes, default_route="small"),
            {},
        )
        variants["langchain-model-router (callable)"] = (
            ChatRouter(
                routes=routes, default_route="small", strategy=lambda r: "large" if len(r.text) > 1000 else "small"
            ),
            {},
        )
        variants["langchain-model-router (HeuristicStrategy)"] = (
            ChatRouter(routes=routes, default_route="small", strategy=HeuristicStrategy("small", "large")),
            {},
        )
    return variants


RULES: list[tuple[str, str]] = [  # ten task rules of the kind the docs show; none matches the benchmark's prompt
    (r"(?i)\b(contract|liability|indemnif\w*|gdpr|lawsuit|clause)\b", "legal"),
    (r"(?i)\b(diagnos\w*|symptoms?|dosage|prescription|patient)\b", "medical"),
    (r"(?i)\b(invoice|tax|revenue|ebitda|balance sheet)\b", "finance"),
    (r"(?i)\b(translate|translation|in french|in german|in spanish)\b", "translation"),
    (r"(?i)\b(select|insert|update|delete)\b.*\b(from|into|where)\b", "sql"),
    (r"(?i)\b(vulnerab\w*|exploit|cve-\d+|xss|csrf)\b", "security"),
    (r"(?i)\b(poem|story|lyrics|haiku|novel)\b", "creative"),
    (r"(?i)\b(refund|order number|tracking number|my account)\b", "support"),
    (r"(?i)\b(integral|derivative|theorem|prove that|eigen\w*)\b", "math"),
    (r"```|\bimport \w+|\bclass \w+\(", "code"),
]
ROUTES = {"legal": ["medium", "large"], "medical": ["large"], "code": ["medium", "large"], "math": ["medium", "large"]}


def release_variants(small: Any, large: Any, notes: list[str]) -> dict[str, tuple[Any, dict[str, Any]]]:
    """The routers with what 0.3 added switched on at its defaults (the default scorer in both).

    "RuleClassifier, 3 candidates": three priced `Candidate`s, a `RuleClassifier` with ten rules (none matches
    the prompt, so every rule is searched) and task routes. "everything on": the same plus a `FeedbackStore`
    (in-memory SQLite); sticky tool loops are on by default in both, and telemetry is on whenever
    ``opentelemetry-api`` is installed (no SDK is configured here: the API's no-op providers).
    """
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

    from langroute import Candidate, RuleClassifier
    from langroute.feedback import FeedbackStore
    from langroute.langchain import RouterChatModel

    try:
        import opentelemetry.trace  # noqa: F401
    except ImportError:
        notes.append("opentelemetry-api is not installed: the 'everything on' row runs without telemetry")
    medium = GenericFakeChatModel(messages=itertools.repeat(REPLY))

    def three() -> list[Any]:
        return [
            Candidate("small", small, input_cost=0.15, output_cost=0.6),
            Candidate("medium", medium, input_cost=1.0, output_cost=4.0),
            Candidate("large", large, input_cost=5.0, output_cost=15.0),
        ]

    rules = RuleClassifier(RULES)
    return {
        "RouterChatModel (RuleClassifier + 3 candidates)": (
            RouterChatModel(models=three(), classifier=rules, routes=ROUTES),
            {},
        ),
        "RouterChatModel (everything on)": (
            RouterChatModel(models=three(), classifier=rules, routes=ROUTES, feedback=FeedbackStore()),
            {},
        ),
    }


def learned_scorer(notes: list[str]) -> Any:
    try:
        from langroute.scorers.learned import LearnedScorer

        return LearnedScorer.pretrained()
    except (ImportError, AttributeError) as exc:
        notes.append(f"LearnedScorer is not available on this checkout ({type(exc).__name__}): its rows are skipped")
        return None


def run_langchain(mode: str, iterations: int, warmup: int, notes: list[str]) -> list[Row]:
    variants = langchain_variants(notes)
    direct = "direct GenericFakeChatModel"
    rows: list[Row] = []
    for size, chars in SIZES.items():
        text = prompt(chars)
        if mode == "ainvoke":

            def acall(model: Any, kw: dict[str, Any], text: str = text) -> Callable[[], Awaitable[object]]:
                return lambda: model.ainvoke(text, **kw)

            samples = asyncio.run(ameasure({n: acall(m, kw) for n, (m, kw) in variants.items()}, iterations, warmup))
        else:
            samples = measure({n: call(mode, m, kw, text) for n, (m, kw) in variants.items()}, iterations, warmup)
        rows += rows_from(mode, mode, size, samples, direct)
    close_stores(variants)
    return rows


def close_stores(variants: dict[str, tuple[Any, dict[str, Any]]]) -> None:
    """Drain and close the variants' feedback stores, so their writer threads' backlog (the features of every
    recorded decision) does not run on into the next section's loop or the memory section's count."""
    for model, _ in variants.values():
        store = getattr(model, "feedback", None)
        if store is not None:
            store.close()


def call(mode: str, model: Any, kwargs: dict[str, Any], text: str) -> Callable[[], object]:
    if mode == "invoke":
        return lambda: model.invoke(text, **kwargs)
    if mode == "stream":
        return lambda: sum(1 for _ in model.stream(text, **kwargs))
    inputs = [text] * BATCH
    return lambda: model.batch(inputs, **kwargs)


# -- LlamaIndex -----------------------------------------------------------------------------------------------------


def run_llama(iterations: int, warmup: int, notes: list[str]) -> list[Row]:
    try:
        from llama_index.core.base.llms.types import ChatMessage
        from llama_index.core.llms import MockLLM
    except ImportError:
        notes.append("llama-index-core is not installed: the LlamaIndex rows are skipped")
        return []
    small, large = MockLLM(), MockLLM()
    variants: dict[str, Any] = {"direct MockLLM": small}
    try:
        from langroute import HeuristicScorer
        from langroute.llama_index import RouterLLM
    except ImportError as exc:
        notes.append(f"RouterLLM is not available on this checkout ({exc}): only the direct MockLLM row is measured")
    else:
        variants["RouterLLM (HeuristicScorer)"] = RouterLLM(
            models={"small": small, "large": large}, scorer=HeuristicScorer()
        )
    rows: list[Row] = []
    for size, chars in SIZES.items():
        messages = [ChatMessage(role="user", content=prompt(chars))]
        fns = {name: (lambda llm=llm, messages=messages: llm.chat(messages)) for name, llm in variants.items()}
        rows += rows_from("llama", "chat", size, measure(fns, iterations, warmup), "direct MockLLM")
    return rows


# -- scorers, import, memory ----------------------------------------------------------------------------------------


def run_scorers(iterations: int, warmup: int, notes: list[str]) -> list[Row]:
    from langroute import HeuristicScorer, as_conversation
    from langroute.router import default_scorer

    scorers: dict[str, Any] = {"HeuristicScorer": HeuristicScorer()}
    default = default_scorer()
    if default.name not in ("HeuristicScorer", "LearnedScorer"):
        scorers[f"{default.name} (the default)"] = default
    learned = learned_scorer(notes)
    if learned is not None:
        scorers["LearnedScorer.pretrained()"] = learned
    rows: list[Row] = []
    for size, chars in {"2 B": 2, "100 B": 100, "2 KB": 2048, "100 KB": 102_400, "1 MB": 1_048_576}.items():
        conversation = as_conversation(prompt(chars))
        fns = {name: (lambda s=s, conversation=conversation: s.score(conversation)) for name, s in scorers.items()}
        rows += rows_from("scorer", "score", size, measure(fns, iterations, warmup), None)
    return rows


def run_inloop(iterations: int, warmup: int, notes: list[str]) -> list[Row]:
    """`HeuristicScorer.rate` timed inside `RouterChatModel.invoke`, in the invoke section's loop, and outside it.

    The loop's other variants run between two calls of the scorer (~1 ms of LangChain, pydantic and regex code), so
    the scorer starts with its code and data out of the CPU caches: "cold" is the call right after the loop's other
    variants, "warm" the same call made again at once, as a micro-benchmark would. Inside `invoke` the scorer
    costs what "cold" does, not what the `scorer` section (warm) says.
    """
    from langroute import HeuristicScorer, as_conversation
    from langroute.langchain import RouterChatModel

    clock = time.perf_counter
    inside: list[float] = []

    class TimedHeuristicScorer(HeuristicScorer):
        __slots__ = ()

        def rate(self, conversation: Any) -> Any:
            start = clock()
            score = HeuristicScorer.rate(self, conversation)
            inside.append(clock() - start)
            return score

    variants = langchain_variants(notes)
    timed = RouterChatModel(models=variants["RouterChatModel (forced route)"][0].models, scorer=TimedHeuristicScorer())
    scorer = HeuristicScorer()
    rows: list[Row] = []
    for size, chars in SIZES.items():
        text = prompt(chars)
        conversation = as_conversation(text)
        cold: list[float] = []
        warm: list[float] = []

        def twice(conversation: Any = conversation, cold: list[float] = cold, warm: list[float] = warm) -> None:
            start = clock()
            scorer.rate(conversation)
            middle = clock()
            scorer.rate(conversation)
            cold.append(middle - start)
            warm.append(clock() - middle)

        fns = {name: call("invoke", model, kw, text) for name, (model, kw) in variants.items()}
        fns["RouterChatModel (timed HeuristicScorer)"] = lambda text=text: timed.invoke(text)
        fns["rate twice"] = twice
        inside.clear()
        measure(fns, iterations, warmup)
        found = {
            "HeuristicScorer.rate inside invoke": inside[-iterations:],
            "HeuristicScorer.rate after another variant": cold[-iterations:],
            "HeuristicScorer.rate again at once (warm)": warm[-iterations:],
        }
        rows += rows_from("inloop", "rate", size, found, None)
    return rows


def run_import(notes: list[str], repeats: int = 7) -> list[Row]:
    code = (
        "import sys, time; t = time.perf_counter(); import langroute; d = time.perf_counter() - t; "
        f"print(d, sorted({{m.partition('.')[0] for m in sys.modules}} & {set(FRAMEWORKS)!r}))"
    )
    times, loaded = [], set()
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
        seconds, _, frameworks = out.stdout.partition(" ")
        times.append(float(seconds))
        loaded.update(json.loads(frameworks.strip().replace("'", '"')))
    frameworks = sorted(loaded - {"pydantic"})
    note = f"loads {', '.join(frameworks)}" if frameworks else "no framework loaded"
    median, slowest = statistics.median(times) * 1e6, max(times) * 1e6
    return [
        Row("import", "cold", "-", f"import langroute (median of {repeats})", round(median), round(slowest), None, note)
    ]


def run_memory(calls: int) -> list[Row]:
    """Bytes per router instance, and bytes still allocated after `calls` more calls (tracemalloc)."""
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

    from langroute.langchain import RouterChatModel

    models = {name: GenericFakeChatModel(messages=itertools.repeat(REPLY)) for name in ("small", "large")}
    RouterChatModel(models=models)  # import-time and first-use allocations are not per instance
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    routers = [RouterChatModel(models=models) for _ in range(100)]
    per_instance = (tracemalloc.get_traced_memory()[0] - before) / len(routers)
    rows = [Row("memory", "tracemalloc", "-", "RouterChatModel instance", None, None, None, f"{per_instance:,.0f} B")]
    text = prompt(2048)
    for name, call in (("direct invoke", models["small"].invoke), ("RouterChatModel.invoke", routers[0].invoke)):
        for _ in range(200):  # warm LangChain's and our first-use allocations before counting
            call(text)
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(calls):
            call(text)
        gc.collect()
        retained = tracemalloc.get_traced_memory()[0] - before
        note = f"{retained:+,} B after {calls:,} calls ({retained / calls:+.2f} B a call)"
        rows.append(Row("memory", "tracemalloc", "2 KB", f"retained: {name}", None, None, None, note))
    tracemalloc.stop()
    return rows


# -- report ---------------------------------------------------------------------------------------------------------


def machine(packages: tuple[str, ...] = PACKAGES) -> dict[str, Any]:
    """The CPU, cores, Python, platform, this checkout's commit and the versions of `packages` (also used by
    load.py)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break
    except OSError:
        pass
    versions = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "langroute": commit.stdout.strip() or "unknown",
        "packages": versions,
    }


def table(rows: list[Row]) -> str:
    widths = (7, 11, 6, 47, 9, 9, 8)
    header = ("section", "mode", "prompt", "variant", "p50 us", "p99 us", "x direct", "note")

    def cell(value: float | None, digits: int) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    def line(cells: tuple[str, ...]) -> str:
        padded = [c.ljust(w) if i < 4 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=False))]
        return "| " + " | ".join([*padded, cells[-1]]) + " |"

    lines = [line(header), "|" + "|".join("-" * (w + 2) for w in (*widths, 6)) + "|"]
    for r in rows:
        values = (cell(r.p50_us, 1), cell(r.p99_us, 1), cell(r.ratio, 2))
        lines.append(line((r.section, r.mode, r.size, r.variant, *values, r.note)))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--iterations", type=int, default=2000, help="timed calls per variant (default 2000)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 20 iterations, 2 warm-up rounds")
    parser.add_argument("--json", action="store_true", help="print the rows and the machine as JSON")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections of {SECTIONS}")
    parser.add_argument("--readme", metavar="PATH", help=f"also write the table between {START} / {END} in PATH")
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        parser.error(f"--only: unknown section(s) {unknown}; choose from {list(SECTIONS)}")
    iterations = 20 if args.quick else args.iterations
    warmup = 2 if args.quick else max(20, iterations // 20)
    batch_iterations = max(1, iterations // 10) if not args.quick else 3

    notes: list[str] = []
    rows: list[Row] = []
    for section in sections:
        if section in ("invoke", "ainvoke", "stream"):
            rows += run_langchain(section, iterations, warmup, notes)
        elif section == "batch":
            rows += run_langchain("batch", batch_iterations, max(2, warmup // 10), notes)
        elif section == "llama":
            rows += run_llama(iterations, warmup, notes)
        elif section == "scorer":
            rows += run_scorers(iterations, warmup, notes)
        elif section == "inloop":
            rows += run_inloop(iterations, warmup, notes)
        elif section == "import":
            rows += run_import(notes, repeats=3 if args.quick else 7)
        elif section == "memory":
            rows += run_memory(200 if args.quick else 10_000)
    command = " ".join(["python", "benchmarks/overhead.py", *(sys.argv[1:] if argv is None else argv)])
    info = machine()
    if args.json:
        print(
            json.dumps(
                {"command": command, "machine": info, "notes": notes, "rows": [asdict(r) for r in rows]}, indent=1
            )
        )
        return 0
    lines = [
        f"command: {command}",
        f"machine: {info['cpu']}, {info['cores']} cores, Python {info['python']}, {info['platform']}",
        "packages: " + ", ".join(f"{k} {v}" for k, v in info["packages"].items()) + f"; langroute {info['langroute']}",
        f"iterations: {iterations} a variant (batch: {batch_iterations} batches of {BATCH}), interleaved in a "
        f"shuffled order, {warmup} warm-up rounds",
        *(f"note: {note}" for note in dict.fromkeys(notes)),
    ]
    print("\n".join(lines))
    print(table(rows))
    if args.readme:
        write_readme(Path(args.readme), lines, table(rows))
    return 0


def write_readme(path: Path, lines: list[str], rows: str) -> None:
    """Replace what stands between `START` and `END` in `path` with this run's header and table."""
    text = path.read_text(encoding="utf-8")
    head, start, rest = text.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise SystemExit(f"--readme {path}: no {START} ... {END} markers to write between")
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    header = [f"Command: `{lines[0].partition(': ')[2]}`, {stamp}.", ""]
    header += [f"- {line}" for line in lines[1:]]
    path.write_text(head + start + "\n" + "\n".join([*header, "", rows]) + "\n" + end + tail, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
