"""``langroute eval``: routing-quality metrics of a scorer on labelled JSONL data, per dataset."""

from __future__ import annotations

import argparse
import sys

from langroute._commands._common import (
    add_data,
    add_progress,
    add_scorer,
    count,
    dump_json,
    floats,
    fraction,
    progress_bar,
    resolve_scorer,
)
from langroute.evaluation.data import load_records
from langroute.evaluation.metrics import DEFAULT_PRICES
from langroute.evaluation.report import evaluate_scorer, format_table

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``langroute eval``."""
    add_data(parser, 'labelled records: {"prompt", "weak_correct", "strong_correct"} per line')
    add_scorer(parser)
    parser.add_argument("--plot", metavar="CURVE.png", help="draw quality vs share of strong calls (needs matplotlib)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    parser.add_argument(
        "--resamples",
        type=count("--resamples"),
        default=200,
        help="bootstrap resamples for the 95%% intervals (0: none)",
    )
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    parser.add_argument(
        "--quality-target",
        type=fraction("--quality-target"),
        default=0.95,
        help="fraction of strong quality to keep, in (0, 1] (default 0.95)",
    )
    parser.add_argument(
        "--prices",
        type=floats("--prices"),
        default=list(DEFAULT_PRICES),
        metavar="WEAK,STRONG",
        help="price per call of the weak and strong model (default: %(default)s)",
    )
    add_progress(parser)


def run(args: argparse.Namespace) -> int:
    """Evaluate the scorer and print a table (or JSON); draw the plot if asked."""
    if len(args.prices) != 2:
        raise ValueError(f"--prices {args.prices!r}: expected two numbers, WEAK,STRONG")
    records = load_records(args.data)
    scorer = resolve_scorer(args.scorer)
    with progress_bar(args, f"scoring with {args.scorer}", len(records)) as bar:
        rows = evaluate_scorer(
            scorer,
            records,
            name=args.scorer,
            resamples=args.resamples,
            seed=args.seed,
            prices=(args.prices[0], args.prices[1]),
            quality_target=args.quality_target,
            progress=bar.update,
        )
    if args.json:
        print(dump_json([row.to_dict() for row in rows], indent=1))
    else:
        print(format_table(rows))
    if args.plot:
        from langroute.evaluation.plot import plot_curves

        # with --json, stdout stays pure JSON
        print(f"plot written to {plot_curves(rows, args.plot)}", file=sys.stderr if args.json else sys.stdout)
    return 0
