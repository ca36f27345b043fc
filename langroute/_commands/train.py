"""``langroute train``: fit a `LearnedScorer` on labelled JSONL records and save it."""

from __future__ import annotations

import argparse

from langroute._commands._common import add_data, add_progress, progress_bar
from langroute.evaluation.data import load_records

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``langroute train`` (hyper-parameters default to `LearnedScorer`'s)."""
    add_data(parser, "labelled records (label = (1 + strong - weak) / 2, see Record.label)")
    parser.add_argument("--out", required=True, metavar="MODEL.json", help="where to save the model (atomically)")
    parser.add_argument("--epochs", type=int, help="full-batch training steps")
    parser.add_argument("--seed", type=int, help="seed of the initial weights (same data and seed, same model)")
    parser.add_argument("--buckets", type=int, help="hashed n-gram buckets")
    parser.add_argument("--l2", type=float, help="L2 penalty of the dense weights")
    parser.add_argument("--sparse-l2", type=float, help="L2 penalty of the n-gram weights")
    add_progress(parser)


def run(args: argparse.Namespace) -> int:
    """Train, save, and print a one-line summary."""
    from langroute.scorers.learned import LearnedScorer

    records = load_records(args.data)
    chosen = {name: getattr(args, name) for name in ("epochs", "seed", "buckets", "l2", "sparse_l2")}
    scorer = LearnedScorer(**{name: value for name, value in chosen.items() if value is not None})
    with progress_bar(args, "training", scorer.epochs) as bar:
        scorer.fit([r.prompt for r in records], [r.label for r in records], progress=bar.update)
    path = scorer.save(args.out)
    print(f"trained on {len(records)} records from {len(args.data)} file(s); model saved to {path}")
    return 0
