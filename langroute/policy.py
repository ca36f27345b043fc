"""`RoutingPolicy`: map a score onto a ladder of candidates ordered cheapest -> strongest. Pure, no I/O.

Rule: a score ``s`` goes to the first candidate ``i`` of the ladder with ``s < thresholds[i]``, else to the last.
The ladder is the request's task route (``routes={"legal": ["premium"]}``) or every candidate. Candidates that
cannot serve the request (``excluded``) are skipped: the nearest capable one at or above the scored tier is
chosen, else the strongest capable one below it.

```python
from langroute import RoutingPolicy, Score

policy = RoutingPolicy(["small", "medium", "large"])   # thresholds default to [1/3, 2/3]
policy.decide(Score(0.5, "length"), scorer="HeuristicScorer").model   # 'medium'
policy.decide(Score(0.5), scorer="X", excluded={"medium": "no vision"}).model  # 'large'
policy.force("large", scorer="HeuristicScorer").forced                 # True

routed = RoutingPolicy(["small", "code", "large"], routes={"code": ["code", "large"]})
routed.decide(Score(0.1), scorer="X", task="code").model               # 'code'
```
"""

from __future__ import annotations

import math
import os
from bisect import bisect_right
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from types import MappingProxyType
from typing import Any, Final

from langroute.candidates import Candidate
from langroute.decision import RoutingDecision, _build_decision, _changed
from langroute.errors import ConfigError, NoCapableCandidateError
from langroute.scorers.base import Score

__all__ = ["DEFAULT_LADDER", "Ladder", "RoutingPolicy", "default_thresholds", "new_decision_id"]

DEFAULT_LADDER: Final = "default"
"""The key of the full ladder in a ``thresholds={...}`` dict."""

_NONE: Final[Mapping[str, str]] = MappingProxyType({})


def default_thresholds(n: int) -> tuple[float, ...]:
    """Evenly spaced cut-offs for `n` candidates: ``(0.5,)`` for two, ``(1/3, 2/3)`` for three."""
    return tuple(i / n for i in range(1, n))


def new_decision_id() -> str:
    """A fresh decision id: 32 random hex digits (a valid ``uuid.UUID(hex=...)`` argument)."""
    return os.urandom(16).hex()


@dataclass(frozen=True, slots=True)
class Ladder:
    """Candidate names cheapest first, and the score cut-offs between them."""

    task: str | None
    names: tuple[str, ...]
    thresholds: tuple[float, ...]

    def choose(self, score: float) -> int:
        """Index of the rung for `score`."""
        return bisect_right(self.thresholds, score)


@dataclass(frozen=True, slots=True, init=False)
class RoutingPolicy:
    """Candidates (cheapest first), task ladders, and the thresholds of each ladder.

    Args:
        candidates: candidate names or `Candidate` objects, cheapest first; at least one, no duplicates.
        thresholds: ascending cut-offs in [0, 1], one fewer than candidates (``None`` spaces them evenly); or a
            dict ladder name -> cut-offs, with ``"default"`` for the full ladder (missing ladders: evenly spaced).
        routes: task name -> candidate names, cheapest first: that task's own ladder. Requests with no task, or
            a task without a route, use every candidate.

    Raises:
        ConfigError: empty or duplicate candidates; a route naming an unknown candidate or empty; thresholds of
            the wrong length, unsorted, out of [0, 1], or for a ladder that does not exist.
    """

    candidates: tuple[str, ...]
    specs: Mapping[str, Candidate]
    thresholds: tuple[float, ...]
    ladders: Mapping[str, Ladder]
    full: Ladder

    def __init__(
        self,
        candidates: Sequence[str | Candidate],
        thresholds: Sequence[float] | Mapping[str, Sequence[float]] | None = None,
        *,
        routes: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        specs = _check_candidates(candidates)
        names = tuple(specs)
        ladders = _check_routes(routes, names)
        cuts = _thresholds_by_ladder(thresholds, {DEFAULT_LADDER: names, **ladders})
        full = Ladder(None, names, cuts.get(DEFAULT_LADDER) or default_thresholds(len(names)))
        object.__setattr__(self, "candidates", names)
        object.__setattr__(self, "specs", MappingProxyType(specs))
        object.__setattr__(self, "thresholds", full.thresholds)
        object.__setattr__(self, "full", full)
        object.__setattr__(
            self,
            "ladders",
            MappingProxyType(
                {
                    task: Ladder(task, ladder, cuts.get(task) or default_thresholds(len(ladder)))
                    for task, ladder in ladders.items()
                }
            ),
        )

    @property
    def tasks(self) -> tuple[str, ...]:
        """The tasks that have their own ladder."""
        return tuple(self.ladders)

    def ladder(self, task: str | None) -> Ladder:
        """The ladder of `task`: its route, else every candidate."""
        if task is None:
            return self.full
        return self.ladders.get(task, self.full)

    def choose(self, score: float) -> int:
        """Index of the candidate for `score` on the full ladder (no exclusions)."""
        return self.full.choose(score)

    # -- building decisions -------------------------------------------------------------------------------------

    def decide(
        self,
        score: Score,
        *,
        scorer: str,
        task: str | None = None,
        excluded: Mapping[str, str] = _NONE,
        reason: str | None = None,
        id: str | None = None,
    ) -> RoutingDecision:
        """The decision for a scored call.

        Args:
            score: the scorer's verdict.
            scorer: the scorer's name, for the record.
            task: the request's task; picks the ladder.
            excluded: candidates that cannot serve this call, name -> why.
            reason: the reason to report (defaults to the score's); `decide` adds why it moved past an
                excluded tier.
            id: the decision id (a fresh one by default).

        Raises:
            NoCapableCandidateError: every candidate of the ladder is excluded.
        """
        ladder = self.ladder(task)
        rung = ladder.choose(score.value)
        why = score.reason if reason is None else reason
        chosen = ladder.names[rung]
        if excluded and chosen in excluded:
            chosen = _capable(ladder, rung, excluded, task)
            why = f"{why}; {ladder.names[rung]} excluded ({excluded[ladder.names[rung]]}), took {chosen}"
        return self._build(chosen, score.value, scorer, why, ladder, task, excluded, id)

    def force(
        self,
        route: str,
        *,
        scorer: str,
        task: str | None = None,
        excluded: Mapping[str, str] = _NONE,
        id: str | None = None,
    ) -> RoutingDecision:
        """The decision for a call forced onto candidate `route` (nothing scored, no fallback).

        Raises:
            ConfigError: `route` is not a candidate (the message lists the valid names).
            NoCapableCandidateError: `route` cannot serve the request (e.g. images to a text-only model).
        """
        if route not in self.specs:
            raise ConfigError(f"route={route!r} is not a candidate; choose one of {list(self.candidates)}")
        if route in excluded:
            raise NoCapableCandidateError(f"route={route!r} cannot serve this request: {excluded[route]}")
        ladder = self.ladder(task)
        reason = f"forced route {route!r}"
        return self._build(route, None, scorer, reason, ladder, task, excluded, id, forced=True, propensity=None)

    def stick(
        self,
        model: str,
        *,
        scorer: str,
        why: str,
        task: str | None = None,
        excluded: Mapping[str, str] = _NONE,
        score: float | None = None,
        id: str | None = None,
    ) -> RoutingDecision | None:
        """A sticky decision for `model` (kept from the tool loop or thread), or ``None`` when it cannot stay:
        not on the request's ladder, or excluded for this call."""
        ladder = self.ladder(task)
        if model not in ladder.names or model in excluded:
            return None
        return self._build(model, score, scorer, f"sticky: {why}", ladder, task, excluded, id, sticky=True)

    def explore(self, decision: RoutingDecision, model: str, propensity: float) -> RoutingDecision:
        """`decision` redirected to `model`, drawn at random with probability `propensity` (exploration)."""
        reason = f"{decision.reason}; explored: drew {model} at random (p={propensity:.3f})"
        return _changed(decision, model=model, explored=True, propensity=propensity, reason=reason)

    def shadow(self, decision: RoutingDecision, model: str) -> RoutingDecision:
        """`decision` answered by the shadow `model`; the routed candidate is kept as ``would_route``."""
        reason = f"shadow: answered by {model}; routing would choose {decision.model} ({decision.reason})"
        return _changed(decision, model=model, shadow=True, would_route=decision.model, reason=reason)

    def _build(
        self,
        model: str,
        score: float | None,
        scorer: str,
        reason: str,
        ladder: Ladder,
        task: str | None,
        excluded: Mapping[str, str],
        id: str | None,
        *,
        forced: bool = False,
        sticky: bool = False,
        propensity: float | None = 1.0,
    ) -> RoutingDecision:
        if excluded and not isinstance(excluded, MappingProxyType):
            excluded = MappingProxyType(excluded)
        return _build_decision(
            new_decision_id() if id is None else id,
            model,
            score,
            scorer,
            reason,
            self.candidates,
            ladder.names,
            ladder.thresholds,
            task,
            excluded,
            forced,
            sticky,
            propensity,
        )

    # -- after a failure or a failed check ----------------------------------------------------------------------

    def fallback_order(self, model: str, ladder: Sequence[str] | None = None) -> list[str]:
        """Who to try after `model` fails: the stronger rungs upwards, then the weaker ones downwards."""
        names = tuple(ladder) if ladder is not None else self.candidates
        i = names.index(model)
        return [*names[i + 1 :], *reversed(names[:i])]

    def next_fallback(
        self, decision: RoutingDecision, tried: Collection[str], error: BaseException | None = None
    ) -> RoutingDecision | None:
        """The decision to try after `decision.model` failed, or ``None`` when no candidate is left.

        The order starts from the candidate first chosen: the stronger ones of its ladder upwards, then the weaker
        ones downwards, skipping the candidates already `tried` and those excluded for the call.
        """
        origin = decision.fallback_from or decision.model
        if origin not in decision.ladder:
            return None
        for name in self.fallback_order(origin, decision.ladder):
            if name not in tried and name not in decision.excluded:
                return decision.fallback(name, error)
        return None

    def next_escalation(
        self, decision: RoutingDecision, tried: Collection[str], escalation: str
    ) -> RoutingDecision | None:
        """The decision to ask the next stronger capable candidate after a failed check, or ``None``."""
        if decision.model not in decision.ladder:
            return None
        for name in decision.ladder[decision.ladder.index(decision.model) + 1 :]:
            if name not in tried and name not in decision.excluded:
                return decision.escalate(name, escalation)
        return None


def _capable(ladder: Ladder, rung: int, excluded: Mapping[str, str], task: str | None) -> str:
    """The nearest capable candidate at or above `rung`, else the strongest capable one below it."""
    for name in ladder.names[rung:]:
        if name not in excluded:
            return name
    for name in reversed(ladder.names[:rung]):
        if name not in excluded:
            return name
    where = f"task {task!r}'s ladder" if task is not None and ladder.task is not None else "the candidates"
    missing = "; ".join(f"{name}: {excluded[name]}" for name in ladder.names)
    raise NoCapableCandidateError(f"no candidate of {where} can serve this request ({missing})")


def _check_candidates(candidates: Sequence[str | Candidate]) -> dict[str, Candidate]:
    if isinstance(candidates, str) or not isinstance(candidates, Sequence):
        raise ConfigError(f"models={candidates!r:.80}: expected a list or dict of candidate models, cheapest first")
    if not candidates:
        raise ConfigError("models is empty: give at least one candidate model, cheapest first")
    specs: dict[str, Candidate] = {}
    for item in candidates:
        spec = item if isinstance(item, Candidate) else None
        name = spec.name if spec is not None else item
        if not isinstance(name, str) or not name:
            raise ConfigError(f"models: candidate name {name!r} must be a non-empty str")
        if name in specs:
            raise ConfigError(f"models: candidate names must be unique, got {name!r} twice")
        specs[name] = spec if spec is not None else Candidate(name, None)
    return specs


def _check_routes(routes: Mapping[str, Sequence[str]] | None, names: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    if routes is None:
        return {}
    if not isinstance(routes, Mapping):
        raise ConfigError(f"routes={routes!r:.80}: expected a dict task name -> candidate names, cheapest first")
    ladders: dict[str, tuple[str, ...]] = {}
    for task, ladder in routes.items():
        if not isinstance(task, str) or not task or task == DEFAULT_LADDER:
            raise ConfigError(f"routes: task name {task!r} must be a non-empty str other than {DEFAULT_LADDER!r}")
        if isinstance(ladder, str) or not isinstance(ladder, Sequence):
            raise ConfigError(f"routes[{task!r}]={ladder!r:.60}: expected a list of candidate names, cheapest first")
        if not ladder:
            raise ConfigError(f"routes[{task!r}] is empty: give at least one candidate name")
        for name in ladder:
            if name not in names:
                raise ConfigError(
                    f"routes[{task!r}] names {name!r}, which is not a candidate; candidates: {list(names)}"
                )
        if len(set(ladder)) != len(ladder):
            raise ConfigError(f"routes[{task!r}]={list(ladder)}: a candidate appears twice")
        order = sorted(ladder, key=names.index)
        if list(ladder) != order:
            raise ConfigError(
                f"routes[{task!r}]={list(ladder)}: list the candidates cheapest first, in the order of models ({order})"
            )
        ladders[task] = tuple(ladder)
    return ladders


def _thresholds_by_ladder(
    thresholds: Sequence[float] | Mapping[str, Sequence[float]] | None, ladders: Mapping[str, tuple[str, ...]]
) -> dict[str, tuple[float, ...]]:
    if thresholds is None:
        return {}
    if isinstance(thresholds, Mapping):
        out = {}
        for key, cuts in thresholds.items():
            if key not in ladders:
                raise ConfigError(
                    f"thresholds[{key!r}]: no such ladder; use {DEFAULT_LADDER!r} for all candidates or a task of "
                    f"routes: {[k for k in ladders if k != DEFAULT_LADDER]}"
                )
            field = "thresholds" if key == DEFAULT_LADDER else f"thresholds[{key!r}]"
            out[key] = check_thresholds(cuts, len(ladders[key]), field)
        return out
    return {DEFAULT_LADDER: check_thresholds(thresholds, len(ladders[DEFAULT_LADDER]))}


def check_thresholds(thresholds: Any, n: int, field: str = "thresholds") -> tuple[float, ...]:
    """`thresholds` as a tuple of floats if they are `n` - 1 ascending numbers in [0, 1], else `ConfigError`."""
    fix = "run 'langroute calibrate' to compute them, or pass thresholds=None for evenly spaced ones"
    if isinstance(thresholds, (str, bytes)) or not isinstance(thresholds, Sequence):
        raise ConfigError(f"{field}={thresholds!r:.80}: expected a list of {n - 1} floats; {fix}")
    cuts = tuple(thresholds)
    if len(cuts) != n - 1:
        raise ConfigError(
            f"{field}={list(cuts)!r}: need {n - 1} ascending values in [0, 1] for {n} candidates "
            f"(got {len(cuts)}); {fix}"
        )
    for t in cuts:
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or not 0 <= t <= 1:
            raise ConfigError(f"{field}={list(cuts)!r}: value {t!r} is not a number in [0, 1]; {fix}")
    if any(b < a for a, b in pairwise(cuts)):
        raise ConfigError(f"{field}={list(cuts)!r}: values must be ascending; {fix}")
    return tuple(float(t) for t in cuts)
