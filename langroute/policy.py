"""`RoutingPolicy`: map a score onto candidates ordered cheapest -> strongest. Pure, no I/O.

Rule: a score ``s`` goes to the first candidate ``i`` with ``s < thresholds[i]``, else to the last one.

```python
from langroute import RoutingPolicy, Score

policy = RoutingPolicy(["small", "medium", "large"])   # thresholds default to [1/3, 2/3]
policy.decide(Score(0.5, "length"), scorer="HeuristicScorer").model   # 'medium'
policy.force("large", scorer="HeuristicScorer").forced                 # True
```
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from langroute.decision import RoutingDecision
from langroute.errors import ConfigError
from langroute.scorers.base import Score

__all__ = ["RoutingPolicy", "default_thresholds"]


def default_thresholds(n: int) -> tuple[float, ...]:
    """Evenly spaced cut-offs for `n` candidates: ``(0.5,)`` for two, ``(1/3, 2/3)`` for three."""
    return tuple(i / n for i in range(1, n))


@dataclass(frozen=True, slots=True, init=False)
class RoutingPolicy:
    """Candidates (cheapest first) and the thresholds between them.

    Args:
        candidates: candidate names, cheapest first; at least one, no duplicates.
        thresholds: ascending cut-offs in [0, 1], one fewer than candidates; ``None`` spaces them evenly.

    Raises:
        ConfigError: empty or duplicate candidates; thresholds of the wrong length, unsorted or out of [0, 1].
    """

    candidates: tuple[str, ...]
    thresholds: tuple[float, ...]

    def __init__(self, candidates: Sequence[str], thresholds: Sequence[float] | None = None) -> None:
        names = _check_candidates(candidates)
        cuts = default_thresholds(len(names)) if thresholds is None else _check_thresholds(thresholds, len(names))
        object.__setattr__(self, "candidates", names)
        object.__setattr__(self, "thresholds", cuts)

    def choose(self, score: float) -> int:
        """Index of the candidate for `score`."""
        return bisect_right(self.thresholds, score)

    def decide(self, score: Score, *, scorer: str) -> RoutingDecision:
        """The decision for a scored call."""
        return RoutingDecision(
            model=self.candidates[self.choose(score.value)],
            score=score.value,
            scorer=scorer,
            reason=score.reason,
            candidates=self.candidates,
            thresholds=self.thresholds,
        )

    def force(self, route: str, *, scorer: str) -> RoutingDecision:
        """The decision for a call forced onto candidate `route`.

        Raises:
            ConfigError: `route` is not a candidate (the message lists the valid names).
        """
        if route not in self.candidates:
            raise ConfigError(f"route={route!r} is not a candidate; choose one of {list(self.candidates)}")
        return RoutingDecision(
            model=route,
            score=None,
            scorer=scorer,
            reason=f"forced route {route!r}",
            candidates=self.candidates,
            thresholds=self.thresholds,
            forced=True,
        )

    def fallback_order(self, model: str) -> list[str]:
        """Who to try after `model` fails: the stronger candidates upwards, then the weaker ones downwards."""
        i = self.candidates.index(model)
        return [*self.candidates[i + 1 :], *reversed(self.candidates[:i])]

    def next_fallback(self, decision: RoutingDecision, errors: Mapping[str, BaseException]) -> RoutingDecision | None:
        """The decision to try after `decision.model` failed, or ``None`` when no candidate is left.

        `errors` maps each candidate tried so far to its exception. The order starts from the candidate first
        chosen: the stronger ones upwards, then the weaker ones downwards.
        """
        origin = decision.fallback_from or decision.model
        error = errors.get(decision.model)
        for name in self.fallback_order(origin):
            if name not in errors:
                return decision.fallback(name, error)
        return None


def _check_candidates(candidates: Sequence[str]) -> tuple[str, ...]:
    if isinstance(candidates, str) or not isinstance(candidates, Sequence):
        raise ConfigError(f"models={candidates!r}: expected a list or dict of candidate models, cheapest first")
    names = tuple(candidates)
    if not names:
        raise ConfigError("models is empty: give at least one candidate model, cheapest first")
    for name in names:
        if not isinstance(name, str) or not name:
            raise ConfigError(f"models: candidate name {name!r} must be a non-empty str")
    if len(set(names)) != len(names):
        raise ConfigError(f"models: candidate names must be unique, got {list(names)}")
    return names


def _check_thresholds(thresholds: Sequence[float], n: int) -> tuple[float, ...]:
    fix = "run 'langroute calibrate' to compute them, or pass thresholds=None for evenly spaced ones"
    if isinstance(thresholds, (str, bytes)) or not isinstance(thresholds, Sequence):
        raise ConfigError(f"thresholds={thresholds!r}: expected a list of {n - 1} floats; {fix}")
    cuts = tuple(thresholds)
    if len(cuts) != n - 1:
        raise ConfigError(
            f"thresholds={list(cuts)!r}: need {n - 1} ascending values in [0, 1] for {n} candidates "
            f"(got {len(cuts)}); {fix}"
        )
    for t in cuts:
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or not 0 <= t <= 1:
            raise ConfigError(f"thresholds={list(cuts)!r}: value {t!r} is not a number in [0, 1]; {fix}")
    if any(b < a for a, b in pairwise(cuts)):
        raise ConfigError(f"thresholds={list(cuts)!r}: values must be ascending; {fix}")
    return tuple(float(t) for t in cuts)
