"""``langroute feedback export | import | stats --store URL``: move and inspect a feedback store's records."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from langroute.feedback import FeedbackStore

__all__ = ["add_arguments", "add_store", "run"]


def add_store(parser: argparse.ArgumentParser) -> None:
    """Add the required ``--store URL`` option."""
    parser.add_argument(
        "--store",
        required=True,
        metavar="URL",
        help="the feedback store: a SQLite path, sqlite:///path.db or postgresql+psycopg://user:pw@host/db",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``export``, ``import`` and ``stats`` actions and their options."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = actions.add_parser("export", help="write every record as JSON lines")
    add_store(export)
    export.add_argument("--out", type=Path, metavar="FILE.jsonl", help="output file (default: standard output)")
    imported = actions.add_parser("import", help="read JSON lines written by 'export' into the store")
    add_store(imported)
    imported.add_argument("file", type=Path, metavar="FILE.jsonl", help="a file written by 'langroute feedback export'")
    stats = actions.add_parser("stats", help="counts, traffic and mean feedback per model, exploration, drops")
    add_store(stats)
    stats.add_argument("--json", action="store_true", help="print the statistics as one JSON object")


def _print_stats(stats: dict[str, Any], store: FeedbackStore) -> None:
    print(f"store      {store!r} (schema version {stats['schema_version']})")
    print(
        f"decisions  {stats['decisions']:,}   results {stats['results']:,}   outcomes {stats['outcomes']:,} "
        f"(on {stats['labelled']:,} decisions)"
    )
    print(f"explored   {stats['explored']:,} ({stats['exploration_share']:.1%})   dropped {stats['dropped']:,}")
    if not stats["models"]:
        return
    width = max(5, *(len(name) for name in stats["models"]))
    print(f"\n{'model':<{width}}  {'chosen':>9}  {'share':>6}  {'served':>9}  {'outcomes':>9}  mean feedback")
    for name, m in stats["models"].items():
        mean = "-" if m["mean_feedback"] is None else f"{m['mean_feedback']:.3f}"
        print(
            f"{name:<{width}}  {m['decisions']:>9,}  {m['share']:>6.1%}  {m['served']:>9,}  {m['outcomes']:>9,}  {mean}"
        )


def run(args: argparse.Namespace) -> int:
    """Run the chosen action."""
    with FeedbackStore(args.store) as store:
        if args.action == "export":
            counts = store.export(args.out if args.out is not None else sys.stdout)
            where = args.out or "standard output"
            print(f"exported {json.dumps(counts)} to {where}", file=sys.stderr)
        elif args.action == "import":
            counts = store.import_(args.file)
            print(f"imported {json.dumps(counts)} from {args.file} (records already present were skipped)")
        else:
            stats = store.stats()
            if args.json:
                print(json.dumps(stats, indent=2))
            else:
                _print_stats(stats, store)
    return 0
