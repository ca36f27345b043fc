"""Scorers: how hard is a conversation, from 0 (trivial) to 1 (hardest).

`get_scorer(name)` builds one by name (the CLI's ``--scorer`` choices come from the same table).
"""

from __future__ import annotations

import importlib
from typing import Any, Final

from langroute.errors import ConfigError
from langroute.scorers.base import Score, Scorer

__all__ = ["SCORER_NAMES", "Score", "Scorer", "get_scorer"]

_SCORERS: Final[dict[str, str]] = {
    "heuristic": "langroute.scorers.heuristic:HeuristicScorer",
    "learned": "langroute.scorers.learned:LearnedScorer.pretrained",
    "transfer": "langroute.scorers.transfer:TransferScorer.pretrained",
}

SCORER_NAMES: Final[tuple[str, ...]] = tuple(sorted(_SCORERS))
"""Names `get_scorer` accepts."""


def get_scorer(name: str, **options: Any) -> Scorer:
    """Build the scorer registered as `name` with `options`.

    Raises:
        ConfigError: `name` is not registered (the message lists the valid names).
    """
    if name not in _SCORERS:
        raise ConfigError(f"unknown scorer {name!r}; choose one of {sorted(_SCORERS)}")
    module, _, path = _SCORERS[name].partition(":")
    factory: Any = importlib.import_module(module)
    for attr in path.split("."):  # "Class" or "Class.factory_classmethod"
        factory = getattr(factory, attr)
    scorer: Scorer = factory(**options)
    return scorer
