"""Leave-task-out routing quality: `python benchmarks/quality.py --leave-task-out` (this module does the work).

Each task family of the development data is held out in turn: the 7 MMLU subject groups and GSM8K of RouteLLM
(Mixtral-8x7B vs GPT-4), and the 8 DCRouter tasks (Llama-3.1-8B vs Nemotron-51B); see `train_transfer.family`.
Every candidate recipe of `train_transfer.CANDIDATES` is trained on the other families (plus the everyday prompts)
and scores the held-out one; the fixed scorers (prompt length, `HeuristicScorer`, `LearnedScorer.pretrained()`)
score it as shipped. Per family: APGR, saving at 95% of the strong model's quality and lift (share of the oracle's
gain over random routing), each with a bootstrap sd (the same resamples for every scorer), next to seeded random
routing (mean and sd over `--random-seeds` draws). Families whose gap is below `GAP_MIN` get no APGR in the mean.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from train_pretrained import dev_records, holdout_split
from train_transfer import CANDIDATES, all_records, family

from langroute import HeuristicScorer
from langroute.evaluation import Record
from langroute.evaluation.families import GAP_MIN, Family, FamilyResult, leave_family_out
from langroute.evaluation.metrics import apgr
from langroute.evaluation.progress import ProgressBar
from langroute.scorers.learned import PRETRAINED_PATH, LearnedScorer

PRETRAINED = "LearnedScorer.pretrained()"


def _sample(records: Sequence[Record], n: int | None) -> list[Record]:
    """At most `n` records per family (and all train-only records), seeded: a smoke test."""
    if not n:
        return list(records)
    by_family: dict[str | None, list[Record]] = {}
    for record in records:
        by_family.setdefault(family(record), []).append(record)
    out: list[Record] = []
    for name, group in by_family.items():
        out += group if name is None else random.Random(f"sample:{name}").sample(group, min(n, len(group)))
    return out


def _seen_share(records: Sequence[Record]) -> dict[str, float]:
    """Family -> share of its prompts that the shipped `LearnedScorer.pretrained()` was trained on."""
    train, _ = holdout_split(dev_records())
    trained = {r.prompt for r in train}
    totals: dict[str, list[int]] = {}
    for record in records:
        name = family(record)
        if name is not None:
            seen = totals.setdefault(name, [0, 0])
            seen[0] += record.prompt in trained
            seen[1] += 1
    return {name: hit / n for name, (hit, n) in totals.items()}


def _fixed_scores(records: Sequence[Record], only: set[str] | None) -> dict[str, list[float]]:
    heuristic = HeuristicScorer()
    pretrained = LearnedScorer.load(PRETRAINED_PATH)
    makers = {
        "length": lambda r: float(len(r.prompt)),
        "HeuristicScorer": lambda r: heuristic.score(r.prompt),
        PRETRAINED: lambda r: pretrained.score(r.prompt),
    }
    out = {}
    for name, make in makers.items():
        if only is None or name in only:
            with ProgressBar(f"scoring ({name})", len(records)) as bar:
                out[name] = [make(r) for r in records]
                bar.update(len(records))
    return out


def evaluate_all(
    records: Sequence[Record], *, resamples: int, random_seeds: int, only: set[str] | None = None
) -> tuple[list[FamilyResult], dict[str, dict[int, float]], dict[str, Family]]:
    """Run the protocol; return every (scorer, family) result, each scorer's held-out scores, and the families."""
    fixed = _fixed_scores(records, only)
    trainers = {name: make for name, make in CANDIDATES.items() if only is None or name in only}
    folds = list(leave_family_out(records, family))
    results: list[FamilyResult] = []
    held_out: dict[str, dict[int, float]] = {name: {} for name in [*fixed, *trainers]}
    families: dict[str, Family] = {}
    with ProgressBar("leave-task-out", len(folds) * (1 + len(trainers))) as bar:
        for name, train, test in folds:
            fam = Family(name, [records[i].weak for i in test], [records[i].strong for i in test], resamples=resamples)
            families[name] = fam
            results.append(fam.random(seeds=random_seeds))
            for label, scores in fixed.items():
                threshold = statistics.median(scores[i] for i in train)
                results.append(fam.result(label, [scores[i] for i in test], threshold=threshold))
                held_out[label].update((i, scores[i]) for i in test)
            bar.advance()
            train_records = [records[i] for i in train]
            for label, make in trainers.items():
                scorer = make(train_records)
                scores = [scorer.score(records[i].prompt) for i in test]
                results.append(fam.result(label, scores, threshold=0.5))
                held_out[label].update(zip(test, scores, strict=True))
                bar.advance()
    return results, held_out, families


# ------------------------------------------------------------------------------------------------------ reporting
def _scorers(results: Sequence[FamilyResult]) -> list[str]:
    return list(dict.fromkeys(r.scorer for r in results))


def _families(results: Sequence[FamilyResult]) -> list[str]:
    return list(dict.fromkeys(r.family for r in results))


def _index(results: Sequence[FamilyResult]) -> dict[tuple[str, str], FamilyResult]:
    return {(r.scorer, r.family): r for r in results}


def _table(header: Sequence[str], lines: Sequence[Sequence[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(line) + " |" for line in lines]
    return "\n".join(out)


def summary(
    results: Sequence[FamilyResult], records: Sequence[Record], held_out: dict[str, dict[int, float]]
) -> list[dict[str, object]]:
    """Per scorer: the means over held-out families, the families lost to random, pooled APGR per source."""
    index = _index(results)
    names = _families(results)
    well = [f for f in names if index["random", f].gap >= GAP_MIN]
    out = []
    for scorer in _scorers(results):
        rows = [index[scorer, f] for f in names]
        rand = [index["random", f] for f in names]
        below = [r.family for r, q in zip(rows, rand, strict=True) if scorer != "random" and _below(r, q)]
        saving_lost = [r.family for r, q in zip(rows, rand, strict=True) if r.saving.value < q.saving.value - 1e-9]
        shares = [r.share for r in rows if r.share is not None]
        pooled = {}
        for source in ("routellm", "dcrouter"):
            idx = [
                i
                for i in held_out.get(scorer, {})
                if (family(records[i]) or "").startswith("dcrouter") == (source == "dcrouter")
            ]
            if scorer != "random" and idx:
                pooled[source] = apgr(
                    [held_out[scorer][i] for i in idx], [records[i].weak for i in idx], [records[i].strong for i in idx]
                )
        out.append(
            {
                "scorer": scorer,
                "apgr": statistics.fmean(index[scorer, f].apgr.value for f in well),
                "lift": statistics.fmean(r.lift.value for r in rows),
                "saving": statistics.fmean(r.saving.value for r in rows),
                "below": below,
                "saving_lost": saving_lost,
                "share_sd": statistics.pstdev(shares) if len(shares) > 1 else math.nan,
                "pooled": pooled,
            }
        )
    return out


def _below(result: FamilyResult, random_result: FamilyResult) -> bool:
    """More than one bootstrap sd below random routing: on APGR, or on lift where the gap is small."""
    if result.gap >= GAP_MIN:
        return result.apgr.value < random_result.apgr.value - result.apgr.sd
    return result.lift.value < random_result.lift.value - result.lift.sd


def report(
    results: Sequence[FamilyResult],
    records: Sequence[Record],
    held_out: dict[str, dict[int, float]],
    seen: dict[str, float],
    header: Sequence[str],
) -> str:
    """The Markdown report: summary, then per-family APGR, saving @ 95%, lift and calibration tables."""
    index = _index(results)
    scorers = _scorers(results)
    names = _families(results)
    well = [f for f in names if index["random", f].gap >= GAP_MIN]
    ill = [f for f in names if f not in well]
    rows = summary(results, records, held_out)
    lines = []
    for row in rows:
        pooled = row["pooled"]
        assert isinstance(pooled, dict)
        lines.append(
            [
                str(row["scorer"]),
                f"{row['apgr']:.3f}",
                f"{row['lift']:+.3f}",
                f"{row['saving']:.3f}",
                ", ".join(row["below"]) or "none",  # type: ignore[arg-type]
                str(len(row["saving_lost"])),  # type: ignore[arg-type]
                " / ".join(f"{pooled[s]:.3f}" if s in pooled else "-" for s in ("routellm", "dcrouter")),
                f"{row['share_sd']:.3f}",
            ]
        )
    seen_note = ", ".join(f"{f} {seen[f]:.0%}" for f in names if seen.get(f))
    parts = [
        *header,
        "",
        f"Summary over {len(names)} held-out families ({len(well)} with a weak-to-strong gap >= {GAP_MIN}: mean "
        f"APGR over those; lift and saving over all). 'below random' lists the families where the scorer is more "
        "than one bootstrap sd below random routing (APGR, or lift where the gap is small); 'saving < random' "
        "counts the families where its saving @ 95% is below random's mean; 'pooled' is APGR over all held-out "
        "prompts of a source at once (RouteLLM / DCRouter), which also rewards recognising the task; 'share sd' is "
        "the sd across families of the share sent to the strong model at one threshold (the training median): "
        "0 means one threshold means the same traffic share on every task.",
        "",
        _table(
            ["scorer", "mean APGR", "mean lift", "mean saving", "below random - 1 sd", "saving < random", "pooled APGR",
             "share sd"],
            lines,
        ),
        "",
        f"`{PRETRAINED}` (and the blend that uses it) was trained on most RouteLLM families (share of each "
        f"family's prompts it saw: {seen_note}); "
        "its numbers there are in-sample, not held out. Every other trained row was retrained without the family.",
        "",
        "APGR per held-out family (± bootstrap sd; random: mean ± sd over seeded random scores):",
        "",
        _table(
            ["family", "n", "gap", *scorers],
            [[f, str(index["random", f].n), f"{index['random', f].gap:+.3f}",
              *(_cell(index[s, f].apgr, seen.get(f) if "pretrained" in s else None) for s in scorers)] for f in well],
        ),
        "",
        f"Families with a small or negative gap (< {GAP_MIN}; APGR is ill-conditioned): saving @ 95% of the strong "
        "model's quality and lift (share of the oracle's gain over random routing; 0 = random, 1 = oracle):",
        "",
        _table(
            ["family", "n", "gap", *(f"{s}: saving / lift" for s in scorers)],
            [[f, str(index["random", f].n), f"{index['random', f].gap:+.3f}",
              *(f"{index[s, f].saving.value:.3f} / {index[s, f].lift.value:+.3f} ± {index[s, f].lift.sd:.3f}"
                for s in scorers)] for f in ill],
        ),
        "",
        "Saving @ 95% of the strong model's quality, every family (RouteLLM prices; ± bootstrap sd):",
        "",
        _table(["family", *scorers], [[f, *(_cell(index[s, f].saving) for s in scorers)] for f in names]),
        "",
        "Lift per family (± bootstrap sd):",
        "",
        _table(["family", *scorers], [[f, *(_cell(index[s, f].lift, signed=True) for s in scorers)] for f in names]),
        "",
        "Share of each family sent to the strong model at the scorer's training-median threshold (calibration):",
        "",
        _table(
            ["family", *scorers[1:]],
            [[f, *(f"{index[s, f].share:.2f}" if index[s, f].share is not None else "-" for s in scorers[1:])]
             for f in names],
        ),
    ]  # fmt: skip
    return "\n".join(parts)


def _cell(estimate: object, seen: float | None = None, *, signed: bool = False) -> str:
    value, sd = estimate.value, estimate.sd  # type: ignore[attr-defined]
    text = f"{value:+.3f} ± {sd:.3f}" if signed else f"{value:.3f} ± {sd:.3f}"
    return f"{text} (seen)" if seen else text


def run(args: argparse.Namespace, argv: Sequence[str] | None, start: str, end: str) -> int:
    """`quality.py --leave-task-out`: evaluate, print the report, and write the plot / README section if asked."""
    started = time.perf_counter()
    records = _sample(all_records(), args.sample)
    only = set(args.only) if args.only else None
    results, held_out, _ = evaluate_all(records, resamples=args.resamples, random_seeds=args.random_seeds, only=only)
    command = "python benchmarks/quality.py " + " ".join(sys.argv[1:] if argv is None else argv)
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()}"
    header = [f"Command: `{command.strip()}`  ", f"Machine: {machine}; took {time.perf_counter() - started:.0f} s."]
    text = report(results, records, held_out, _seen_share(records), header)
    print(text)
    if args.plot:
        from langroute.evaluation.plot import plot_families

        plot_families(results, args.plot, title="Leave-task-out: each family held out in turn")
        print(f"\nplot written to {args.plot}")
    if args.readme:
        from quality import replace_marked

        replace_marked(Path(args.readme), text, start, end)
    return 0
