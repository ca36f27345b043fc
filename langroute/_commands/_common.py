"""Arguments and helpers shared by the ``eval``, ``train`` and ``calibrate`` sub-commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from langroute.errors import ConfigError
from langroute.evaluation.progress import ProgressBar
from langroute.scorers import SCORER_NAMES, Scorer, get_scorer

__all__ = ["add_data", "add_progress", "add_scorer", "floats", "progress_bar", "resolve_scorer"]


def add_data(parser: argparse.ArgumentParser, help_text: str) -> None:
    """Add the required ``--data FILE.jsonl...`` option."""
    parser.add_argument("--data", nargs="+", required=True, metavar="FILE.jsonl", type=Path, help=help_text)


def add_scorer(parser: argparse.ArgumentParser) -> None:
    """Add ``--scorer NAME|PATH``."""
    parser.add_argument(
        "--scorer",
        default="heuristic",
        metavar="|".join([*SCORER_NAMES, "PATH"]),
        help="a registered scorer, or the path of a model saved by 'langroute train' (default: heuristic)",
    )


def add_progress(parser: argparse.ArgumentParser) -> None:
    """Add ``--progress`` (force the progress bar on stderr even when it is not a terminal)."""
    parser.add_argument("--progress", action="store_true", default=None, help="always show the progress bar")


def progress_bar(args: argparse.Namespace, label: str, total: int) -> ProgressBar:
    """A progress bar on stderr, shown on a terminal or when ``--progress`` was given."""
    return ProgressBar(label, total, enabled=args.progress or sys.stderr.isatty())


def resolve_scorer(value: str) -> Scorer:
    """A registered scorer by name, or a saved `LearnedScorer` by path.

    Raises:
        ConfigError: `value` is neither a registered name nor an existing file.
    """
    if value in SCORER_NAMES:
        return get_scorer(value)
    path = Path(value)
    if path.is_file():
        from langroute.scorers.learned import LearnedScorer

        return LearnedScorer.load(path)
    raise ConfigError(f"--scorer {value!r}: not a registered scorer ({', '.join(SCORER_NAMES)}) nor an existing file")


def floats(option: str) -> Callable[[str], list[float]]:
    """An argparse type reading comma-separated numbers, e.g. ``0.7,0.3``."""

    def parse(text: str) -> list[float]:
        try:
            return [float(part) for part in text.split(",") if part.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(f"{option} {text!r}: expected comma-separated numbers") from None

    return parse
