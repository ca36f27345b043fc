"""``langroute report --store URL --out report.html``: one self-contained HTML page on the feedback loop."""

from __future__ import annotations

import argparse
from pathlib import Path

from langroute._commands.feedback import add_store
from langroute.feedback import FeedbackStore

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``langroute report``."""
    add_store(parser)
    parser.add_argument("--out", type=Path, required=True, metavar="report.html", help="the HTML file to write")
    parser.add_argument("--buckets", type=int, default=24, help="time buckets over the recorded span (default: 24)")
    parser.add_argument("--title", default="langroute feedback report", help="the page's title")


def run(args: argparse.Namespace) -> int:
    """Read the store and write the report."""
    from langroute.feedback.report import write_report

    with FeedbackStore(args.store) as store:
        path = write_report(store, args.out, buckets=args.buckets, title=args.title)
    print(f"wrote {path}")
    return 0
