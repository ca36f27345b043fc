"""The feedback loop on domains the scorer never saw: learning curves from bandit feedback, on the RouteLLM data.

    python benchmarks/feedback.py --plot benchmarks/feedback_curves.png      # 5 shuffles, ~10 min on 2 cores
    python benchmarks/feedback.py --quick                                    # a smoke run, seconds

Each shuffle is one simulated deployment:

1. **Pretrain.** The recipe of `benchmarks/train_pretrained.py` is retrained on half of the MMLU subjects (plus the
   everyday prompts; no GSM8K): the "shipped" scorer of this deployment.
2. **New traffic.** MMLU: the other subjects, split into a stream (2,000 prompts) and a disjoint test part
   (1,000 prompts; identical prompts stay on one side). GSM8K (never seen at all): a 500-prompt stream and the
   other 284 prompts as test.
3. **Routing.** `langroute.Router(["weak", "strong"], scorer, thresholds)` decides each stream prompt, with the
   threshold calibrated on the first 100 stream prompts to send half of them to the strong model. Exploration as
   `Router(explore=...)` does it: a share `explore` of the calls goes to a model drawn uniformly from the ladder,
   recorded with its propensity (``explore / 2``, plus ``1 - explore`` for the policy's own choice).
4. **Feedback.** Only the chosen model's correctness (0 or 1) is revealed. Every 100 records (and at each
   checkpoint) the learner updates and the router swaps in `learner.scorer()`.
5. **Measured.** APGR on the test part after 0, 250, 500, 1,000, 2,000 records (GSM8K: 0, 100, 200, 300, 500),
   for: no learning; `FeedbackLearner` on bandit feedback (the method); the same learner with full information
   (both models' outcomes on every stream prompt); the recipe refit from scratch with full information (seen
   data plus the stream's true labels); `LearnedScorer.partial_fit` on full-information labels; naive bandit
   labels (``1 - outcome`` of the model that answered, through `partial_fit`: the mistake the learner avoids);
   and the oracle (true per-prompt gain). Over the stream: the quality and cost of the calls vs always-strong.

Mean and sd over the shuffles. `--json` writes every number; `--plot` draws the curves (needs matplotlib).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# One BLAS thread: on a small shared machine OpenBLAS's thread pool turns a 10 ms solve into a second of spinning.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from train_pretrained import DATA, EVERYDAY_FILE, dev_records, train_model

from langroute import Router
from langroute.calibration import thresholds_for_shares
from langroute.evaluation import Record, apgr, load_records
from langroute.evaluation.metrics import DEFAULT_PRICES
from langroute.evaluation.progress import ProgressBar
from langroute.feedback.learner import FeedbackLearner
from langroute.scorers.base import Scorer
from langroute.scorers.learned import LearnedScorer

MODELS = ("weak", "strong")
METHODS = (
    "no learning",
    "bandit (FeedbackLearner)",
    "full information (FeedbackLearner)",
    "refit from scratch (full info)",
    "partial_fit (full info)",
    "naive bandit labels",
)


@dataclass
class Scenario:
    """One new domain of one deployment: the stream, the test part and the checkpoints."""

    name: str
    stream: list[Record]
    test: list[Record]
    checkpoints: tuple[int, ...]


@dataclass
class Run:
    """The numbers of one method on one scenario of one shuffle."""

    curve: dict[int, float] = field(default_factory=dict)  # checkpoint -> APGR on the test part
    stream: dict[str, float] = field(default_factory=dict)  # quality / strong share over the stream
    seconds: list[float] = field(default_factory=list)  # learner.update times per call


def split_scenarios(records: Sequence[Record], seed: int, sizes: dict[str, int]) -> tuple[list[Record], list[Scenario]]:
    """(pretraining records, new-domain scenarios) of shuffle `seed`."""
    mmlu = [r for r in records if r.dataset == "mmlu"]
    subjects = sorted({r.domain for r in mmlu})
    random.Random(f"subjects:{seed}").shuffle(subjects)
    seen = set(subjects[: len(subjects) // 2])
    train = [r for r in mmlu if r.domain in seen]
    scenarios = []
    for name, pool in (("mmlu", [r for r in mmlu if r.domain not in seen]),
                       ("gsm8k", [r for r in records if r.dataset == "gsm8k"])):  # fmt: skip
        prompts = sorted({r.prompt for r in pool})
        random.Random(f"{name}:{seed}").shuffle(prompts)
        test_size = sizes[f"{name}_test"]
        test_prompts: set[str] = set()
        by_prompt: dict[str, int] = {}
        for r in pool:
            by_prompt[r.prompt] = by_prompt.get(r.prompt, 0) + 1
        count = 0
        for p in prompts:
            if count >= test_size:
                break
            test_prompts.add(p)
            count += by_prompt[p]
        test = [r for r in pool if r.prompt in test_prompts]
        stream = [r for r in pool if r.prompt not in test_prompts]
        random.Random(f"stream:{name}:{seed}").shuffle(stream)
        stream = stream[: sizes[f"{name}_stream"]]
        checkpoints = tuple(c for c in sizes[f"{name}_checkpoints"] if c <= len(stream))
        scenarios.append(Scenario(name, stream, test, checkpoints))
    return train, scenarios


def test_apgr(scorer: Scorer, test: Sequence[Record]) -> float:
    return apgr([scorer.score(r.prompt) for r in test], [r.weak for r in test], [r.strong for r in test])


def simulate_bandit(
    base: LearnedScorer,
    scenario: Scenario,
    *,
    seed: int,
    explore: float,
    learn_every: int,
    learner_options: dict[str, Any],
    naive: bool = False,
) -> Run:
    """Route the stream with exploration, reveal only the chosen model's outcome, learn as it goes."""
    rng = random.Random(f"explore:{scenario.name}:{seed}")
    sample = [base.score(r.prompt) for r in scenario.stream[:100]]
    thresholds = thresholds_for_shares(sample, [0.5, 0.5])
    learner = FeedbackLearner(base, **learner_options) if not naive else None
    naive_scorer = LearnedScorer.from_dict(base.to_dict()) if naive else None
    router = Router(list(MODELS), scorer=base if not naive else naive_scorer, thresholds=thresholds)
    run = Run()
    pending: list[dict[str, Any]] = []
    qualities, strong_calls = [], 0
    checkpoints = set(scenario.checkpoints)
    if 0 in checkpoints:
        run.curve[0] = test_apgr(router.scorer, scenario.test)
    for i, r in enumerate(scenario.stream, start=1):
        score = router.scorer.explain(r.prompt)
        decision = router.decide(r.prompt)
        model = decision.model
        propensity = 1.0
        if explore:
            if rng.random() < explore:
                model = rng.choice(MODELS)
            propensity = explore / len(MODELS) + (1 - explore) * (model == decision.model)
        outcome = r.strong if model == "strong" else r.weak
        qualities.append(outcome)
        strong_calls += model == "strong"
        record = {
            "id": f"{scenario.name}/{i}",
            "seq": i,
            "model": model,
            "candidates": list(MODELS),
            "score": score.value,
            "propensity": propensity,
            "explored": model != decision.model or None,
            "features": score.features,
            "outcome": outcome,
            "prompt": r.prompt,
        }
        pending.append(record)
        if i % learn_every == 0 or i in checkpoints:
            if learner is not None:
                started = time.perf_counter()
                learner.update(pending)
                run.seconds.append(time.perf_counter() - started)
                router.scorer = learner.scorer()
            else:  # naive: "the answer was bad -> needed the strong model", whichever model answered
                assert naive_scorer is not None
                naive_scorer.partial_fit([p["prompt"] for p in pending], [1.0 - p["outcome"] for p in pending])
            pending = []
        if i in checkpoints:
            run.curve[i] = test_apgr(router.scorer, scenario.test)
    strong = [r.strong for r in scenario.stream]
    run.stream = {
        "quality": statistics.fmean(qualities),
        "quality_vs_strong": statistics.fmean(qualities) / statistics.fmean(strong),
        "strong_share": strong_calls / len(scenario.stream),
        "cost_vs_strong": (strong_calls * DEFAULT_PRICES[1] + (len(qualities) - strong_calls) * DEFAULT_PRICES[0])
        / (len(qualities) * DEFAULT_PRICES[1]),
    }
    return run


def simulate_full_information(
    base: LearnedScorer, scenario: Scenario, *, learn_every: int, learner_options: dict[str, Any]
) -> Run:
    """The same learner, told both models' outcomes on every stream prompt (propensity 1)."""
    learner = FeedbackLearner(base, **learner_options)
    run = Run(curve={0: test_apgr(base, scenario.test)} if 0 in scenario.checkpoints else {})
    pending: list[dict[str, Any]] = []
    for i, r in enumerate(scenario.stream, start=1):
        score = base.explain(r.prompt)
        for model, outcome in zip(MODELS, (r.weak, r.strong), strict=True):
            pending.append({"model": model, "candidates": list(MODELS), "score": score.value, "propensity": 1.0,
                            "features": score.features, "outcome": outcome})  # fmt: skip
        if i % learn_every == 0 or i in scenario.checkpoints:
            learner.update(pending)
            pending = []
        if i in scenario.checkpoints:
            run.curve[i] = test_apgr(learner.scorer(), scenario.test)
    return run


def simulate_partial_fit(base: LearnedScorer, scenario: Scenario) -> Run:
    """`LearnedScorer.partial_fit` on the stream's full-information labels, ``(1 + strong - weak) / 2``."""
    scorer = LearnedScorer.from_dict(base.to_dict())
    run = Run()
    done = 0
    for checkpoint in scenario.checkpoints:
        batch = scenario.stream[done:checkpoint]
        if batch:
            scorer.partial_fit([r.prompt for r in batch], [r.label for r in batch])
        done = checkpoint
        run.curve[checkpoint] = test_apgr(scorer, scenario.test)
    return run


def simulate_refit(train: Sequence[Record], scenario: Scenario, base_apgr: float, epochs: int | None) -> Run:
    """The recipe retrained from scratch on the pretraining data plus the first n stream records, true labels."""
    run = Run(curve={0: base_apgr} if 0 in scenario.checkpoints else {})
    overrides = {"epochs": epochs} if epochs else {}
    for checkpoint in scenario.checkpoints:
        if checkpoint:
            model = train_model([*train, *scenario.stream[:checkpoint]], **overrides)
            run.curve[checkpoint] = test_apgr(model, scenario.test)
    return run


def oracle_apgr(test: Sequence[Record]) -> float:
    return apgr([r.strong - r.weak for r in test], [r.weak for r in test], [r.strong for r in test])


def run_benchmark(
    *,
    shuffles: int,
    sizes: dict[str, int],
    explore: Sequence[float],
    learn_every: int,
    learner_options: dict[str, Any],
    epochs: int | None,
    methods: Sequence[str],
    progress: bool | None = None,
) -> dict[str, Any]:
    """Every number of the benchmark, as a JSON-ready dict."""
    records = dev_records()
    everyday = load_records([DATA / EVERYDAY_FILE])
    results: dict[str, Any] = {"runs": []}
    steps = shuffles * 2
    with ProgressBar("feedback simulation (shuffle x domain)", steps, enabled=progress) as bar:
        for seed in range(shuffles):
            train, scenarios = split_scenarios(records, seed, sizes)
            pretraining = [*train, *everyday]
            base = train_model(pretraining, **({"epochs": epochs} if epochs else {}))
            for scenario in scenarios:
                runs: dict[str, Run] = {}
                base_apgr = test_apgr(base, scenario.test)
                runs["no learning"] = Run(curve=dict.fromkeys(scenario.checkpoints, base_apgr))
                options = {"explore": explore[0], "learn_every": learn_every, "learner_options": learner_options}
                if "bandit (FeedbackLearner)" in methods:
                    runs["bandit (FeedbackLearner)"] = simulate_bandit(base, scenario, seed=seed, **options)
                    for other in explore[1:]:  # the same learner with more (or less) exploration
                        runs[f"bandit, explore={other:g}"] = simulate_bandit(
                            base, scenario, seed=seed, **{**options, "explore": other}
                        )
                if "full information (FeedbackLearner)" in methods:
                    runs["full information (FeedbackLearner)"] = simulate_full_information(
                        base, scenario, learn_every=learn_every, learner_options=learner_options
                    )
                if "refit from scratch (full info)" in methods:
                    runs["refit from scratch (full info)"] = simulate_refit(pretraining, scenario, base_apgr, epochs)
                if "partial_fit (full info)" in methods:
                    runs["partial_fit (full info)"] = simulate_partial_fit(base, scenario)
                if "naive bandit labels" in methods:
                    runs["naive bandit labels"] = simulate_bandit(base, scenario, seed=seed, naive=True, **options)
                no_learning_stream = simulate_bandit(base, scenario, seed=seed, **{**options, "learn_every": 10**9})
                runs["no learning"].stream = no_learning_stream.stream
                for other in explore[1:]:
                    name = f"no learning, explore={other:g}"
                    runs[name] = Run(
                        curve=runs["no learning"].curve,
                        stream=simulate_bandit(
                            base, scenario, seed=seed, **{**options, "explore": other, "learn_every": 10**9}
                        ).stream,
                    )
                oracle = oracle_apgr(scenario.test)
                runs["oracle"] = Run(curve=dict.fromkeys(scenario.checkpoints, oracle))
                results["runs"].append(
                    {
                        "seed": seed,
                        "domain": scenario.name,
                        "stream": len(scenario.stream),
                        "test": len(scenario.test),
                        "methods": {name: vars(run) for name, run in runs.items()},
                    }
                )
                bar.advance()
    return results


def summarise(results: dict[str, Any]) -> dict[str, Any]:
    """Mean and sd over shuffles of every curve point and stream number, per domain and method."""
    out: dict[str, Any] = {}
    for domain in dict.fromkeys(run["domain"] for run in results["runs"]):
        runs = [run for run in results["runs"] if run["domain"] == domain]
        table: dict[str, Any] = {}
        for method in runs[0]["methods"]:
            curves = [run["methods"][method]["curve"] for run in runs]
            points = sorted({int(k) for c in curves for k in c})
            entry: dict[str, Any] = {"curve": {}, "lift": {}, "stream": {}}
            for p in points:
                values = [c.get(p, c.get(str(p))) for c in curves]
                base = [run["methods"]["no learning"]["curve"][p] for run in runs]
                lifts = [v - b for v, b in zip(values, base, strict=True)]
                entry["curve"][p] = _mean_sd(values)
                entry["lift"][p] = _mean_sd(lifts)
            streams = [run["methods"][method]["stream"] for run in runs if run["methods"][method]["stream"]]
            for key in streams[0] if streams else ():
                entry["stream"][key] = _mean_sd([s[key] for s in streams])
            seconds = [t for run in runs for t in run["methods"][method]["seconds"]]
            if seconds:
                entry["update_seconds_max"] = max(seconds)
            table[method] = entry
        out[domain] = {"shuffles": len(runs), "stream": runs[0]["stream"], "test": runs[0]["test"], "methods": table}
    return out


def _mean_sd(values: Sequence[float]) -> list[float]:
    return [statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0]


def format_tables(summary: dict[str, Any]) -> str:
    """Markdown tables: APGR (mean ± sd) per checkpoint and method, lift over no learning, and the stream."""
    lines = []
    for domain, data in summary.items():
        methods = data["methods"]
        points = list(methods["no learning"]["curve"])
        head = f"**{domain}** (new domain; stream {data['stream']}, test {data['test']} prompts, {data['shuffles']}"
        lines.append(f"{head} shuffles): APGR on the test part after n feedback records, mean ± sd")
        lines.append("")
        lines.append("| method | " + " | ".join(f"n={p}" for p in points) + " |")
        lines.append("|---|" + "---|" * len(points))
        for method, entry in methods.items():
            if method.startswith("no learning, "):  # the same curve as "no learning"; listed for its stream only
                continue
            cells = []
            for p in points:
                mean, sd = entry["curve"][p]
                lift = entry["lift"][p][0]
                extra = f" ({lift:+.3f})" if method not in ("no learning", "oracle") and p else ""
                cells.append(f"{mean:.3f} ± {sd:.3f}{extra}")
            lines.append(f"| {method} | " + " | ".join(cells) + " |")
        lines.append("")
        rows = [(m, e["stream"]) for m, e in methods.items() if e["stream"]]
        if rows:
            lines.append("Over the stream (the calls actually made), vs always calling the strong model:")
            lines.append("")
            lines.append("| router | quality | quality / strong's | strong share | cost / strong's |")
            lines.append("|---|---|---|---|---|")
            for method, s in rows:
                lines.append(
                    f"| {method} | {s['quality'][0]:.3f} ± {s['quality'][1]:.3f} | {s['quality_vs_strong'][0]:.3f} | "
                    f"{s['strong_share'][0]:.3f} | {s['cost_vs_strong'][0]:.3f} |"
                )
            lines.append("")
        timing = methods.get("bandit (FeedbackLearner)", {}).get("update_seconds_max")
        if timing is not None:
            lines.append(f"Slowest `learner.update` call in the stream: {timing * 1000:.0f} ms.")
            lines.append("")
    return "\n".join(lines)


def plot(summary: dict[str, Any], path: Path) -> Path:
    """The learning curves (mean ± sd band), one panel per domain."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(summary), figsize=(6 * len(summary), 4.2), squeeze=False)
    for ax, (domain, data) in zip(axes[0], summary.items(), strict=True):
        for method, entry in data["methods"].items():
            if method.startswith("no learning, "):
                continue
            if method == "oracle":  # far above the rest (~1.2-1.4): in the title, so the curves stay readable
                continue
            points = list(entry["curve"])
            means = [entry["curve"][p][0] for p in points]
            sds = [entry["curve"][p][1] for p in points]
            style = "--" if method == "no learning" else "-"
            (line,) = ax.plot(points, means, style, marker="o", markersize=3, label=method)
            low = [m - s for m, s in zip(means, sds, strict=True)]
            high = [m + s for m, s in zip(means, sds, strict=True)]
            ax.fill_between(points, low, high, color=line.get_color(), alpha=0.12)
        oracle = next(iter(data["methods"]["oracle"]["curve"].values()))[0]
        ax.set_title(f"{domain}: new domain, {data['shuffles']} shuffles (oracle APGR {oracle:.2f})")
        ax.set_xlabel("feedback records")
        ax.set_ylabel("APGR on the test part")
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def time_update(base: LearnedScorer, records: Sequence[Record], learner_options: dict[str, Any], n: int) -> float:
    """Seconds of one `learner.update` on `n` records (median of 3, after building the records)."""
    batch = []
    for i, r in enumerate(records[:n]):
        score = base.explain(r.prompt)
        model = MODELS[i % 2]
        batch.append({"model": model, "candidates": list(MODELS), "score": score.value, "propensity": 0.975,
                      "features": score.features, "outcome": r.strong if model == "strong" else r.weak})  # fmt: skip
    times = []
    for _ in range(3):
        learner = FeedbackLearner(base, **learner_options)
        started = time.perf_counter()
        learner.update(batch)
        learner.scorer()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shuffles", type=int, default=5)
    parser.add_argument(
        "--explore",
        default="0.05",
        help="exploration share(s), comma-separated: the first is the headline's, the others add bandit curves",
    )
    parser.add_argument("--learn-every", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 shuffles, small streams, short training")
    parser.add_argument("--tiny", action="store_true", help="the test suite's run: 1 shuffle, 60-prompt streams")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated subset of the methods")
    parser.add_argument("--option", action="append", default=[], help="a FeedbackLearner option, name=value")
    parser.add_argument("--json", type=Path, help="write every number here")
    parser.add_argument("--first", type=int, help="also print the tables of the first N shuffles only")
    parser.add_argument("--plot", type=Path, help="draw the learning curves to this PNG")
    args = parser.parse_args(argv)
    options = {k: json.loads(v) for k, _, v in (o.partition("=") for o in args.option)}
    sizes = {"mmlu_test": 1000, "mmlu_stream": 2000, "mmlu_checkpoints": (0, 250, 500, 1000, 2000),
             "gsm8k_test": 284, "gsm8k_stream": 500, "gsm8k_checkpoints": (0, 100, 200, 300, 500)}  # fmt: skip
    epochs = None
    shuffles = args.shuffles
    if args.quick:
        sizes = {"mmlu_test": 200, "mmlu_stream": 300, "mmlu_checkpoints": (0, 100, 300),
                 "gsm8k_test": 150, "gsm8k_stream": 200, "gsm8k_checkpoints": (0, 100, 200)}  # fmt: skip
        epochs, shuffles = 20, 2
    if args.tiny:
        sizes = {"mmlu_test": 60, "mmlu_stream": 60, "mmlu_checkpoints": (0, 30, 60),
                 "gsm8k_test": 60, "gsm8k_stream": 60, "gsm8k_checkpoints": (0, 30, 60)}  # fmt: skip
        epochs, shuffles = 3, 1
    methods = [m.strip() for m in args.methods.split(",")]
    started = time.perf_counter()
    command = "python benchmarks/feedback.py " + " ".join(argv if argv is not None else sys.argv[1:])
    print(f"Command: `{command.strip()}`")
    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; explore={args.explore}, learn every {args.learn_every} records; "
          f"FeedbackLearner options: {options or 'defaults'}")  # fmt: skip
    results = run_benchmark(
        shuffles=shuffles,
        sizes=sizes,
        explore=[float(e) for e in args.explore.split(",")],
        learn_every=args.learn_every,
        learner_options=options,
        epochs=epochs,
        methods=methods,
    )
    summary = summarise(results)
    print()
    print(format_tables(summary))
    if args.first and args.first < shuffles:
        first = {**results, "runs": [run for run in results["runs"] if run["seed"] < args.first]}
        print(f"The first {args.first} shuffles only:\n")
        print(format_tables(summarise(first)))
    if not (args.quick or args.tiny):
        base = train_model(split_scenarios(dev_records(), 0, sizes)[0])
        seconds = time_update(base, split_scenarios(dev_records(), 0, sizes)[1][0].stream, options, 2000)
        results["learn_2000_seconds"] = seconds
        print(f"`FeedbackLearner.update` on 2,000 records + `scorer()`: {seconds:.2f} s (median of 3)")
    print(f"\ntook {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, **results}, indent=1) + "\n")
    if args.plot:
        print(f"wrote {plot(summary, args.plot)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
