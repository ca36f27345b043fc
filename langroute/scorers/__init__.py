"""Scorers: how hard is a conversation, from 0 (trivial) to 1 (hardest).

`get_scorer(name)` builds one by name (the CLI's ``--scorer`` choices come from the same table).
"""

from __future__ import annotations

import importlib
import os
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
    """Build the scorer registered as `name` with `options`, or load the model saved in the file `name`.

    ```python
    get_scorer("learned")                  # LearnedScorer.pretrained()
    get_scorer("adapted.json")             # a model saved by `langroute train` (--data or --from-store)
    ```

    Raises:
        ConfigError: `name` is neither registered (the message lists the valid names) nor an existing file, or
            options were given with a file.
        InputError: the file is not a langroute scorer model (the message names it).
    """
    if name not in _SCORERS:
        if os.path.isfile(name):
            if options:
                raise ConfigError(f"get_scorer({name!r}): a saved model takes no options; got {sorted(options)}")
            from langroute.feedback.learner import load_scorer

            return load_scorer(name)
        raise ConfigError(f"unknown scorer {name!r}; choose one of {sorted(_SCORERS)} or the path of a saved model")
    module, _, path = _SCORERS[name].partition(":")
    factory: Any = importlib.import_module(module)
    for attr in path.split("."):  # "Class" or "Class.factory_classmethod"
        factory = getattr(factory, attr)
    scorer: Scorer = factory(**options)
    return scorer
