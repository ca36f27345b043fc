"""``langroute train``: fit a `LearnedScorer` on labelled JSONL records and save it."""

from __future__ import annotations

import argparse

from langroute._commands._common import add_data, add_progress, progress_bar
from langroute.evaluation.data import load_records

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``langroute train``."""
    add_data(parser, "labelled records (label = (1 + strong - weak) / 2, see Record.label)")
    parser.add_argument("--out", required=True, metavar="MODEL.json", help="where to save the model (atomically)")
    parser.add_argument("--epochs", type=int, default=200, help="full-batch training steps (default 200)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial weights (default 0)")
    parser.add_argument("--buckets", type=int, default=1 << 15, help="hashed n-gram buckets (default 32768)")
    parser.add_argument("--l2", type=float, default=1e-3, help="L2 penalty of the dense weights")
    parser.add_argument("--sparse-l2", type=float, default=1e-3, help="L2 penalty of the n-gram weights")
    add_progress(parser)


def run(args: argparse.Namespace) -> int:
    """Train, save, and print a one-line summary."""
    from langroute.scorers.learned import LearnedScorer

    records = load_records(args.data)
    scorer = LearnedScorer(
        buckets=args.buckets, l2=args.l2, sparse_l2=args.sparse_l2, epochs=args.epochs, seed=args.seed
    )
    with progress_bar(args, "training", args.epochs) as bar:
        scorer.fit([r.prompt for r in records], [r.label for r in records], progress=bar.update)
    path = scorer.save(args.out)
    print(f"trained on {len(records)} records from {len(args.data)} file(s); model saved to {path}")
    return 0
