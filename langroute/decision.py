"""`RoutingDecision`: which candidate handles a call, and why. Built only by `RoutingPolicy`.

Every adapter reports the same `to_dict()` form: LangChain in a ``"langroute_decision"`` custom event and in
``AIMessage.response_metadata["langroute"]``, LlamaIndex in a ``RoutingDecisionEvent`` and in
``response.additional_kwargs["langroute"]``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

__all__ = ["RoutingDecision"]


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    """The outcome of routing one call.

    Attributes:
        model: name of the candidate that handles the call.
        score: the scorer's value in [0, 1]; ``None`` for a forced route (nothing was scored).
        scorer: name of the configured scorer (its class name).
        reason: why: the scorer's explanation, the forced route, or the fallback that happened.
        candidates: all candidate names, cheapest first.
        thresholds: the score cut-offs in force (one fewer than candidates).
        fallback_from: the candidate first chosen, when it failed and `model` is a fallback; else ``None``.
        forced: whether the route was forced by the caller (``route=...``) rather than scored.
    """

    model: str
    score: float | None
    scorer: str
    reason: str
    candidates: tuple[str, ...]
    thresholds: tuple[float, ...]
    fallback_from: str | None = None
    forced: bool = False

    @property
    def index(self) -> int:
        """Position of `model` among the candidates (0 = cheapest)."""
        return self.candidates.index(self.model)

    def to_dict(self) -> dict[str, Any]:
        """The decision as a JSON-ready dict: the one serialisation every adapter reports."""
        return {
            "model": self.model,
            "score": self.score,
            "scorer": self.scorer,
            "reason": self.reason,
            "candidates": list(self.candidates),
            "thresholds": list(self.thresholds),
            "fallback_from": self.fallback_from,
            "forced": self.forced,
        }

    def fallback(self, model: str, error: BaseException | None) -> RoutingDecision:
        """The decision to try `model` because the current one raised `error`."""
        why = type(error).__name__ if error is not None else "an error"
        return replace(
            self,
            model=model,
            fallback_from=self.fallback_from or self.model,
            reason=f"{self.reason}; fallback: {self.model} raised {why}",
        )
