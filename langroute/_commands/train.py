"""``langroute train``: fit a `LearnedScorer` on labelled JSONL records, or adapt one from a feedback store.

    langroute train --data labelled.jsonl --out model.json
    langroute train --from-store sqlite:///feedback.db --out adapted.json [--base learned|MODEL.json]

Both write the model atomically; ``--scorer adapted.json`` (``eval``, ``calibrate``) and `get_scorer` load it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from langroute._commands._common import add_progress, progress_bar, resolve_scorer
from langroute.errors import ConfigError

__all__ = ["add_arguments", "run"]

DEFAULT_BATCH = 10_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``langroute train`` (hyper-parameters default to `LearnedScorer`'s)."""
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--data",
        nargs="+",
        metavar="FILE.jsonl",
        type=Path,
        help="labelled records (label = (1 + strong - weak) / 2, see Record.label): train a LearnedScorer",
    )
    source.add_argument(
        "--from-store",
        metavar="URL",
        help="a feedback store (SQLite path, sqlite:///path.db, postgresql+psycopg://...): adapt --base to its "
        "labelled records with FeedbackLearner",
    )
    parser.add_argument("--out", required=True, metavar="MODEL.json", help="where to save the model (atomically)")
    parser.add_argument(
        "--base",
        default="learned",
        metavar="learned|heuristic|MODEL.json",
        help="--from-store: the scorer the router used before learning (default: learned, the shipped model)",
    )
    parser.add_argument(
        "--batch", type=int, default=DEFAULT_BATCH, help=f"--from-store: records read per batch ({DEFAULT_BATCH})"
    )
    parser.add_argument("--epochs", type=int, help="--data: full-batch training steps")
    parser.add_argument("--seed", type=int, help="--data: seed of the initial weights (same data and seed, same model)")
    parser.add_argument("--buckets", type=int, help="--data: hashed n-gram buckets")
    parser.add_argument("--l2", type=float, help="--data: L2 penalty of the dense weights")
    parser.add_argument("--sparse-l2", type=float, help="--data: L2 penalty of the n-gram weights")
    add_progress(parser)


def run(args: argparse.Namespace) -> int:
    """Train or adapt, save, and print a one-line summary."""
    if args.from_store is not None:
        return _from_store(args)
    from langroute.evaluation.data import load_records
    from langroute.scorers.learned import LearnedScorer

    records = load_records(args.data)
    chosen = {name: getattr(args, name) for name in ("epochs", "seed", "buckets", "l2", "sparse_l2")}
    scorer = LearnedScorer(**{name: value for name, value in chosen.items() if value is not None})
    with progress_bar(args, "training", scorer.epochs) as bar:
        scorer.fit([r.prompt for r in records], [r.label for r in records], progress=bar.update)
    path = scorer.save(args.out)
    print(f"trained on {len(records)} records from {len(args.data)} file(s); model saved to {path}")
    return 0


def _from_store(args: argparse.Namespace) -> int:
    """``--from-store``: the learner over every labelled record, in bounded batches; save the adapted scorer."""
    from langroute.feedback import FeedbackStore
    from langroute.feedback.learner import FeedbackLearner, FeedbackScorer

    unused = [f"--{name.replace('_', '-')}" for name in ("epochs", "seed", "buckets", "l2", "sparse_l2")]
    given = [option for option in unused if getattr(args, option[2:].replace("-", "_")) is not None]
    if given:
        raise ConfigError(f"{', '.join(given)}: options of 'train --data'; 'train --from-store' does not take them")
    if args.batch < 1:
        raise ConfigError(f"--batch {args.batch}: expected an integer >= 1 (records read per batch)")
    base = resolve_scorer(args.base, "--base")
    if isinstance(base, FeedbackScorer):
        raise ConfigError(
            f"--base {args.base}: an adapted (feedback) scorer; 'train --from-store' relearns from the whole store, "
            "so pass the scorer it adapted (e.g. --base learned)"
        )
    learner = FeedbackLearner(base)
    with FeedbackStore(args.from_store) as store:
        total = int(store.stats()["outcomes"])
        read = 0
        with progress_bar(args, "learning from the store", max(total, 1)) as bar:
            while True:
                batch = list(store.labelled(since=learner.cursor, limit=args.batch))
                if not batch:
                    break
                learner.update(batch)
                read += len(batch)
                bar.update(min(read, total), max(total, read))
    skipped = ", ".join(f"{reason} {n}" for reason, n in sorted(learner.skipped.items())) or "none"
    scorer = learner.scorer()
    if not isinstance(scorer, FeedbackScorer):
        print(
            f"nothing to learn from: {read} labelled record(s) read, none usable (skipped: {skipped}); no model written"
        )
        return 1
    path = scorer.save(args.out)
    print(
        f"learned from {learner.records} of {read} labelled records (skipped: {skipped}); "
        f"adapted {scorer.base.name} saved to {path}"
    )
    return 0
