"""``langroute calibrate``: thresholds that send the wanted share of sample traffic to each candidate."""

from __future__ import annotations

import argparse

from langroute._commands._common import (
    add_data,
    add_progress,
    add_scorer,
    dump_json,
    floats,
    progress_bar,
    resolve_scorer,
)
from langroute.calibration import thresholds_for_shares
from langroute.evaluation.data import load_prompts

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``langroute calibrate``."""
    add_data(parser, 'sample traffic: one JSON object with a "prompt" per line')
    add_scorer(parser)
    parser.add_argument(
        "--shares",
        type=floats("--shares"),
        required=True,
        metavar="S1,S2,...",
        help="traffic share per candidate, cheapest first, summing to 1 (e.g. 0.7,0.3)",
    )
    parser.add_argument("--json", action="store_true", help="print the thresholds as a JSON list")
    add_progress(parser)


def run(args: argparse.Namespace) -> int:
    """Score the sample and print the thresholds."""
    prompts = load_prompts(args.data)
    scorer = resolve_scorer(args.scorer)
    scores = []
    with progress_bar(args, f"scoring with {args.scorer}", len(prompts)) as bar:
        for prompt in prompts:
            scores.append(scorer.score(prompt))
            bar.advance()
    thresholds = thresholds_for_shares(scores, args.shares)
    if args.json:
        print(dump_json(thresholds))
    else:
        print(f"thresholds for shares {args.shares} over {len(prompts)} prompts ({args.scorer}):")
        print(",".join(f"{t:.6g}" for t in thresholds))
    return 0
