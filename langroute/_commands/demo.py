"""``langroute demo``: placeholder, filled in by the LangChain adapter work."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the demo's options."""
    parser.add_argument("--models", help="real models as provider:name,provider:name (cheapest first)")


def run(args: argparse.Namespace) -> int:
    """Run the demo."""
    print("demo: not yet implemented")
    return 0
