"""`RoutingDecision`: which candidate handles a call, and why. Built only by `RoutingPolicy`.

Every adapter reports the same `to_dict()` form: LangChain in a ``"langroute_decision"`` custom event and in
``AIMessage.response_metadata["langroute"]``, LlamaIndex in a ``RoutingDecisionEvent`` and in
``response.additional_kwargs["langroute"]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, NamedTuple

from langroute.errors import CandidateTimeoutError

__all__ = ["DECISION_FIELDS", "RoutingDecision"]

_NO_EXCLUSIONS: Final = MappingProxyType({})


class RoutingDecision(NamedTuple):
    """The outcome of routing one call (immutable; a `NamedTuple` because it is built on every call, and a frozen
    dataclass of this many fields costs ~4x more to build; `_replace` gives a changed copy).

    Attributes:
        id: unique per decision (32 hex digits, or the framework's run id); feedback refers to it.
        model: name of the candidate that handles the call.
        score: the scorer's value in [0, 1]; ``None`` when nothing was scored (forced, sticky tool loop).
        scorer: name of the configured scorer (its class name).
        reason: why: the scorer's explanation, the task, the forced or sticky route, fallbacks and escalations.
            Starts with ``"sticky"`` for a sticky decision; says ``"timed out"`` after a timeout.
        candidates: all candidate names, cheapest first.
        ladder: the candidates the score was mapped onto (the task's route, else all candidates).
        thresholds: the ladder's score cut-offs (one fewer than the ladder).
        task: the request's task (given with ``task=`` or found by the classifier), or ``None``.
        excluded: candidates set aside for this call, name -> why (capabilities, an open circuit breaker).
        fallback_from: the candidate first chosen, when it failed and `model` is a fallback; else ``None``.
        forced: whether the route was forced by the caller (``route=...``) rather than scored.
        sticky: whether the candidate was kept from earlier in the tool loop or thread.
        explored: whether the candidate was drawn at random to explore (``explore=``).
        propensity: the probability that the policy picked `model` for this call (1.0 when deterministic;
            ``None`` for forced routes); what off-policy learning weighs outcomes with.
        escalated_from: the candidate whose answer failed a check, when this decision escalates; else ``None``.
        escalation: ``"<check>: <why>"`` for the failed check that caused the escalation; else ``None``.
        shadow: whether the call runs in shadow mode (answered by the shadow model, routing only reported).
        would_route: in shadow mode, the candidate routing would have chosen; else ``None``.
        cost_usd: what this call cost (escalated attempts included), once the answer's usage is known and the
            candidates are priced; ``None`` before the call (in decision events) or when unknown.
        baseline_cost_usd: what the same tokens would have cost on the strongest candidate.
        would_cost_usd: in shadow mode, what the same tokens would have cost on `would_route`.
        inner: when the candidate is itself a router (nested routers), the inner router's decision dict; the
            call is counted once, at the outermost router, and this keeps what the inner router chose.
    """

    id: str
    model: str
    score: float | None
    scorer: str
    reason: str
    candidates: tuple[str, ...]
    ladder: tuple[str, ...]
    thresholds: tuple[float, ...]
    task: str | None = None
    excluded: Mapping[str, str] = _NO_EXCLUSIONS
    fallback_from: str | None = None
    forced: bool = False
    sticky: bool = False
    explored: bool = False
    propensity: float | None = 1.0
    escalated_from: str | None = None
    escalation: str | None = None
    shadow: bool = False
    would_route: str | None = None
    cost_usd: float | None = None
    baseline_cost_usd: float | None = None
    would_cost_usd: float | None = None
    inner: Mapping[str, Any] | None = None

    @property
    def index(self) -> int:
        """Position of `model` in the ladder (0 = cheapest)."""
        return self.ladder.index(self.model)

    def to_dict(self) -> dict[str, Any]:
        """The decision as a JSON-ready dict: the one serialisation every adapter reports."""
        # unpacked once, not read field by field: a named field is a descriptor call (~2x the cost on every call)
        (id, model, score, scorer, reason, candidates, ladder, thresholds, task, excluded, fallback_from, forced,
         sticky, explored, propensity, escalated_from, escalation, shadow, would_route, cost_usd, baseline_cost_usd,
         would_cost_usd, inner) = self  # fmt: skip
        return {
            "id": id,
            "model": model,
            "score": score,
            "scorer": scorer,
            "reason": reason,
            "candidates": list(candidates),
            "ladder": list(ladder),
            "thresholds": list(thresholds),
            "task": task,
            "excluded": dict(excluded) if excluded else {},
            "fallback_from": fallback_from,
            "forced": forced,
            "sticky": sticky,
            "explored": explored,
            "propensity": propensity,
            "escalated_from": escalated_from,
            "escalation": escalation,
            "shadow": shadow,
            "would_route": would_route,
            "cost_usd": cost_usd,
            "baseline_cost_usd": baseline_cost_usd,
            "would_cost_usd": would_cost_usd,
            "inner": dict(inner) if inner is not None else None,
        }

    def fallback(self, model: str, error: BaseException | None) -> RoutingDecision:
        """The decision to try `model` because the current one raised `error`."""
        if isinstance(error, CandidateTimeoutError):
            why = f"timed out after {error.timeout:g} s"
        else:
            why = f"raised {type(error).__name__}" if error is not None else "raised an error"
        return _changed(
            self,
            model=model,
            fallback_from=self.fallback_from or self.model,
            reason=f"{self.reason}; fallback: {self.model} {why}",
        )

    def escalate(self, model: str, escalation: str) -> RoutingDecision:
        """The decision to ask `model` because the current candidate's answer failed a check (`escalation`)."""
        return _changed(
            self,
            model=model,
            escalated_from=self.model,
            escalation=escalation,
            reason=f"{self.reason}; escalated: {self.model}'s answer failed {escalation}",
        )

    def with_inner(self, inner: Mapping[str, Any] | None) -> RoutingDecision:
        """The decision with the inner router's decision dict (when the candidate is a router itself)."""
        return _new(RoutingDecision, (*self[:22], inner)) if inner is not None else self

    def with_cost(
        self, cost_usd: float | None, baseline_cost_usd: float | None, would_cost_usd: float | None = None
    ) -> RoutingDecision:
        """The decision with the call's cost filled in (after the answer)."""
        return _new(RoutingDecision, (*self[:19], cost_usd, baseline_cost_usd, would_cost_usd, self[22]))


DECISION_FIELDS: Final = RoutingDecision._fields
"""The keys of `RoutingDecision.to_dict()`, in order."""

_new: Final = tuple.__new__  # builds a decision from its values without the generated keyword `__new__` (~8k instr.)
_INDEX: Final = {name: i for i, name in enumerate(DECISION_FIELDS)}
assert DECISION_FIELDS[19:] == ("cost_usd", "baseline_cost_usd", "would_cost_usd", "inner")


def _changed(decision: RoutingDecision, **changes: Any) -> RoutingDecision:
    """`decision._replace(**changes)`, for the fields the policy changes, at a fifth of its cost."""
    values = list(decision)
    for name, value in changes.items():
        values[_INDEX[name]] = value
    return _new(RoutingDecision, values)  # type: ignore[no-any-return]


def _build_decision(
    id: str,
    model: str,
    score: float | None,
    scorer: str,
    reason: str,
    candidates: tuple[str, ...],
    ladder: tuple[str, ...],
    thresholds: tuple[float, ...],
    task: str | None,
    excluded: Mapping[str, str],
    forced: bool,
    sticky: bool,
    propensity: float | None,
) -> RoutingDecision:
    """A new decision (what `RoutingPolicy` builds), positionally and without the keyword `__new__`."""
    values = (id, model, score, scorer, reason, candidates, ladder, thresholds, task, excluded, None, forced, sticky)
    return _new(RoutingDecision, (*values, False, propensity, None, None, False, None, None, None, None, None))  # type: ignore[no-any-return]
