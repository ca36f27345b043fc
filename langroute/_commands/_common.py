"""Arguments and helpers shared by the ``eval``, ``train`` and ``calibrate`` sub-commands."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path

from langroute.errors import ConfigError
from langroute.evaluation.progress import ProgressBar
from langroute.scorers import SCORER_NAMES, Scorer, get_scorer

__all__ = [
    "add_data",
    "add_progress",
    "add_scorer",
    "count",
    "dump_json",
    "floats",
    "fraction",
    "progress_bar",
    "resolve_scorer",
]


def add_data(parser: argparse.ArgumentParser, help_text: str) -> None:
    """Add the required ``--data FILE.jsonl...`` option."""
    parser.add_argument("--data", nargs="+", required=True, metavar="FILE.jsonl", type=Path, help=help_text)


def add_scorer(parser: argparse.ArgumentParser) -> None:
    """Add ``--scorer NAME|PATH``."""
    parser.add_argument(
        "--scorer",
        default="transfer",
        metavar="|".join([*SCORER_NAMES, "PATH"]),
        help="a registered scorer, or a model saved by 'langroute train' (--data or --from-store); "
        "default: transfer, the router's default",
    )


def add_progress(parser: argparse.ArgumentParser) -> None:
    """Add ``--progress`` (force the progress bar on stderr even when it is not a terminal)."""
    parser.add_argument("--progress", action="store_true", default=None, help="always show the progress bar")


def progress_bar(args: argparse.Namespace, label: str, total: int) -> ProgressBar:
    """A progress bar on stderr, shown on a terminal or when ``--progress`` was given."""
    return ProgressBar(label, total, enabled=args.progress or sys.stderr.isatty())


def resolve_scorer(value: str, option: str = "--scorer") -> Scorer:
    """A registered scorer by name, or a saved model by path (`LearnedScorer` or `FeedbackScorer`, by its format).

    Raises:
        ConfigError: `value` is neither a registered name nor an existing file.
        InputError: the file is not a langroute scorer model (the message names the file).
    """
    if value in SCORER_NAMES:
        return get_scorer(value)
    path = Path(value)
    if path.is_file():
        from langroute.feedback.learner import load_scorer

        return load_scorer(path)
    raise ConfigError(f"{option} {value!r}: not a registered scorer ({', '.join(SCORER_NAMES)}) nor an existing file")


def floats(option: str) -> Callable[[str], list[float]]:
    """An argparse type reading comma-separated finite numbers, e.g. ``0.7,0.3``."""

    def parse(text: str) -> list[float]:
        try:
            values = [float(part) for part in text.split(",") if part.strip()]
        except ValueError:
            values = [math.nan]
        if not all(map(math.isfinite, values)):
            raise argparse.ArgumentTypeError(f"{option} {text[:40]!r}: expected comma-separated finite numbers")
        return values

    return parse


def fraction(option: str) -> Callable[[str], float]:
    """An argparse type reading a number in (0, 1], e.g. ``0.95``; NaN and percentages are refused."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not 0.0 < value <= 1.0:  # NaN fails too
            raise argparse.ArgumentTypeError(f"{option} {text[:40]!r}: expected a fraction in (0, 1], e.g. 0.95")
        return value

    return parse


def count(option: str) -> Callable[[str], int]:
    """An argparse type reading an int >= 0."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = -1
        if value < 0:
            raise argparse.ArgumentTypeError(f"{option} {text[:40]!r}: expected an integer >= 0")
        return value

    return parse


def dump_json(data: object, *, indent: int | None = None) -> str:
    """`data` as strict JSON: a float that is not finite (NaN, inf) becomes ``null``, never the invalid ``NaN``."""
    return json.dumps(_finite(data), indent=indent, allow_nan=False)


def _finite(data: object) -> object:
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: _finite(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(value) for value in data]
    return data
