"""The ``langroute`` command line: ``langroute demo | eval | calibrate | train | feedback | report``.

Each sub-command lives in its own module under `langroute._commands` and registers itself in `_COMMANDS`
(name -> module path), imported only when that command runs, so ``langroute demo`` never loads what
``langroute train`` needs. This is the only module that configures logging.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from typing import Final

__all__ = ["main"]

# name -> (module, one-line help). A module defines `add_arguments(parser)` and `run(args) -> int`.
_COMMANDS: Final[dict[str, tuple[str, str]]] = {
    "demo": ("langroute._commands.demo", "route a dozen varied prompts over stand-in (or real) models"),
    "eval": ("langroute._commands.eval", "measure a scorer's routing quality on labelled JSONL data"),
    "train": ("langroute._commands.train", "train a LearnedScorer on labelled JSONL data"),
    "calibrate": ("langroute._commands.calibrate", "thresholds that give each candidate its share of traffic"),
    "feedback": ("langroute._commands.feedback", "export, import or summarise a feedback store's records"),
    "report": ("langroute._commands.report", "an HTML page on the feedback loop: traffic, feedback, cost, calibration"),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command's arguments."""
    parser = argparse.ArgumentParser(prog="langroute", description="Model routing for LangChain and LlamaIndex.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log routing decisions to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, summary) in _COMMANDS.items():
        command = sub.add_parser(name, help=summary, description=summary)
        command.set_defaults(_module=module)
        importlib.import_module(module).add_arguments(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        code: int = importlib.import_module(args._module).run(args)
    except (ValueError, TypeError, ImportError, OSError) as exc:  # bad input or environment: one line, exit 2
        message = " ".join(str(exc).split())
        print(f"langroute {args.command}: error: {message}", file=sys.stderr)
        return 2
    return code
