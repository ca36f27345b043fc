"""Routing quality of the scorers: whole-subject 5-fold CV and a held-out split, or leave-task-out.

    python benchmarks/quality.py --readme benchmarks/README.md --plot benchmarks/quality_curves.png
    python benchmarks/quality.py --leave-task-out --readme benchmarks/README.md --plot benchmarks/leave_task_out.png

`--leave-task-out` (see `leave_task_out.py`) holds out each task family of all the development data in turn
(RouteLLM MMLU subject groups and GSM8K, each DCRouter task), trains the candidate recipes on the rest, and reports
per-family APGR, saving at 95% and lift with bootstrap sds against seeded random routing.

Default mode:

Rows: random scores, prompt length, `HeuristicScorer`, `LearnedScorer` trained by the recipe of
`benchmarks/train_pretrained.py` inside each fold (cross-validation table), and the shipped
`LearnedScorer.pretrained()` (held-out table; it never saw those subjects or prompts). Folds hold out whole MMLU
subjects (subjects sharing a prompt count as one) and GSM8K prompts, identical prompts always together.
Columns: APGR, CPT(50%), CPT(80%), cost saving at 95% of the strong model's quality, each with a 95% bootstrap
interval. `--sample N` runs on N records per dataset (a smoke test).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_pretrained import DATA, EVERYDAY_FILE, TARGETS, dev_records, holdout_split, train_model

from langroute import HeuristicScorer
from langroute.evaluation import Record, group_folds, load_records
from langroute.evaluation.progress import ProgressBar
from langroute.evaluation.report import Row, format_table, make_row
from langroute.scorers.learned import PRETRAINED_PATH, LearnedScorer

MARK_START, MARK_END = "<!-- quality:start -->", "<!-- quality:end -->"
MARK_START_LTO, MARK_END_LTO = "<!-- leave-task-out:start -->", "<!-- leave-task-out:end -->"


def _sample(records: Sequence[Record], n: int | None) -> list[Record]:
    if not n:
        return list(records)
    out = []
    for dataset in dict.fromkeys(r.dataset for r in records):
        group = [r for r in records if r.dataset == dataset]
        out += random.Random(0).sample(group, min(n, len(group)))
    return out


def _baselines() -> dict[str, Callable[[list[Record]], list[float]]]:
    heuristic = HeuristicScorer()
    return {
        "random": lambda rs: [random.Random(f"random:{r.prompt}").random() for r in rs],
        "length": lambda rs: [float(len(r.prompt)) for r in rs],
        "HeuristicScorer": lambda rs: [heuristic.score(r.prompt) for r in rs],
    }


def cross_validated(
    records: list[Record], everyday: list[Record], folds: int, epochs: int | None, target: str = "gain"
) -> list[float]:
    """Out-of-fold scores of a LearnedScorer trained by the recipe (plus the everyday prompts) in each fold."""
    fold_of = group_folds(records, k=folds, seed=0)
    scores = [0.0] * len(records)
    overrides = {"epochs": epochs} if epochs else {}
    with ProgressBar(f"cross-validation ({target})", folds) as bar:
        for fold in range(folds):
            train = [r for r, f in zip(records, fold_of, strict=True) if f != fold]
            model = train_model([*train, *everyday], target=target, **overrides)
            for i, (record, f) in enumerate(zip(records, fold_of, strict=True)):
                if f == fold:
                    scores[i] = model.score(record.prompt)
            bar.advance()
    return scores


def rows_for(label: str, records: list[Record], scorers: dict[str, list[float]], resamples: int) -> list[Row]:
    rows = []
    for dataset in dict.fromkeys(r.dataset for r in records):
        index = [i for i, r in enumerate(records) if r.dataset == dataset]
        weak = [records[i].weak for i in index]
        strong = [records[i].strong for i in index]
        for name, scores in scorers.items():
            rows.append(
                make_row(name, f"{dataset} ({label})", [scores[i] for i in index], weak, strong, resamples=resamples)
            )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resamples", type=int, default=200, help="bootstrap resamples (default 200)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--sample", type=int, default=None, help="records per dataset (smoke test)")
    parser.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs (smoke test)")
    parser.add_argument("--plot", type=Path, help="write the curves as a PNG")
    parser.add_argument("--readme", type=Path, help=f"replace the text between {MARK_START} and {MARK_END}")
    parser.add_argument("--model", type=Path, default=PRETRAINED_PATH, help="the pretrained model to evaluate")
    parser.add_argument("--target-study", action="store_true", help="also compare training targets in the same CV")
    parser.add_argument("--leave-task-out", action="store_true", help="hold out each task family in turn instead")
    parser.add_argument("--random-seeds", type=int, default=50, help="random routings per family (leave-task-out)")
    parser.add_argument("--only", action="append", help="leave-task-out: a scorer to run (repeat; default: all)")
    args = parser.parse_args(argv)
    if args.leave_task_out:
        from leave_task_out import run

        return run(args, argv, MARK_START_LTO, MARK_END_LTO)
    started = time.perf_counter()

    records = _sample(dev_records(), args.sample)
    everyday = load_records([DATA / EVERYDAY_FILE])
    baselines = _baselines()

    cv_scores = {name: fn(records) for name, fn in baselines.items()}
    cv_scores["LearnedScorer (CV)"] = cross_validated(records, everyday, args.folds, args.epochs)
    cv_rows = rows_for(f"{args.folds}-fold CV", records, cv_scores, args.resamples)

    _, held_out = holdout_split(records)
    pretrained = LearnedScorer.load(args.model)
    held_scores = {name: fn(held_out) for name, fn in baselines.items()}
    held_scores["LearnedScorer.pretrained()"] = [pretrained.score(r.prompt) for r in held_out]
    held_rows = rows_for("held-out", held_out, held_scores, args.resamples)

    study: list[str] = []
    if args.target_study:
        study_rows = []
        for target in TARGETS:
            scores = cross_validated(records, everyday, args.folds, args.epochs, target)
            study_rows += rows_for(f"{args.folds}-fold CV", records, {f"target: {target}": scores}, args.resamples)
        study = [
            "",
            "Training target of the LearnedScorer (same folds, same recipe otherwise; 'gain' is what ships):",
            "",
            format_table(sorted(study_rows, key=lambda row: row.dataset, reverse=True)),
        ]

    command = "python benchmarks/quality.py " + " ".join(sys.argv[1:] if argv is None else argv)
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()}"
    subjects = ", ".join(pretrained.metadata.get("held_out_subjects", [])) or "(not recorded)"
    report = "\n".join(
        [
            f"Command: `{command.strip()}`  ",
            f"Machine: {machine}; took {time.perf_counter() - started:.0f} s.",
            "",
            f"Whole-subject {args.folds}-fold cross-validation on the DEV data "
            f"({sum(r.dataset == 'mmlu' for r in records)} MMLU, {sum(r.dataset == 'gsm8k' for r in records)} "
            "GSM8K records):",
            "",
            format_table(cv_rows),
            "",
            f"Held-out split ({len(held_out)} records the shipped model never saw; MMLU subjects: {subjects}):",
            "",
            format_table(held_rows),
            *study,
        ]
    )
    print(report)
    if args.plot:
        from langroute.evaluation.plot import plot_curves

        plot_curves([*cv_rows, *held_rows], args.plot, title="Quality vs share of strong calls")
        print(f"\nplot written to {args.plot}")
    if args.readme:
        replace_marked(args.readme, report, MARK_START, MARK_END)
    return 0


def replace_marked(path: Path, report: str, start: str, end: str) -> None:
    """Replace the text between the markers `start` and `end` of the file `path` with `report`."""
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"{path}: markers {start} ... {end} not found")
    path.write_text(pattern.sub(lambda _: f"{start}\n{report}\n{end}", text), encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
