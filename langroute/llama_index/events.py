"""Routing as LlamaIndex instrumentation events: `RoutingDecisionEvent` and `RoutingResultEvent`.

Attach a handler to the root dispatcher to see every decision (`langroute.llama_index.RoutingStats` is such a
handler):

```python
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from langroute.llama_index import RoutingDecisionEvent

class Decisions(BaseEventHandler):
    def handle(self, event, **kwargs):
        if isinstance(event, RoutingDecisionEvent):
            print(event.model, event.score, event.reason)

get_dispatcher().add_event_handler(Decisions())
```
"""

from __future__ import annotations

from typing import Any

from llama_index.core.bridge.pydantic import Field
from llama_index.core.instrumentation.events import BaseEvent

from langroute.decision import DECISION_FIELDS, RoutingDecision

__all__ = ["RoutingDecisionEvent", "RoutingResultEvent"]


class RoutingDecisionEvent(BaseEvent):
    """A `RouterLLM` chose a candidate; dispatched before each attempt: the first choice, each fallback, each
    escalation.

    The fields are those of `RoutingDecision.to_dict()` (its ``id`` is ``decision_id`` here, since LlamaIndex
    events have their own ``id_``), plus ``outer_id``; `decision_dict()` gives the decision dict back.
    """

    decision_id: str = Field(alias="id", description="Unique id of the decision; feedback refers to it.")
    model: str = Field(description="Name of the candidate that handles the call.")
    score: float | None = Field(description="The scorer's value in [0, 1]; None when nothing was scored.")
    scorer: str = Field(description="Name of the configured scorer.")
    reason: str = Field(description="Why: the score, task, forced or sticky route, fallbacks and escalations.")
    candidates: list[str] = Field(description="All candidate names, cheapest first.")
    ladder: list[str] = Field(description="The candidates the score was mapped onto (the task's route, else all).")
    thresholds: list[float] = Field(description="The ladder's score cut-offs, one fewer than its candidates.")
    task: str | None = Field(default=None, description="The request's task, given or classified.")
    excluded: dict[str, str] = Field(default_factory=dict, description="Candidates set aside, name -> why.")
    fallback_from: str | None = Field(
        default=None, description="The candidate first chosen, when it failed and `model` is a fallback."
    )
    forced: bool = Field(default=False, description="Whether the caller forced the route with `route=`.")
    sticky: bool = Field(default=False, description="Whether the candidate was kept from the tool loop or thread.")
    explored: bool = Field(default=False, description="Whether the candidate was drawn at random to explore.")
    propensity: float | None = Field(default=1.0, description="Probability that the policy picked `model`.")
    escalated_from: str | None = Field(default=None, description="The candidate whose answer failed a check.")
    escalation: str | None = Field(default=None, description="'<check>: <why>' of the failed check.")
    shadow: bool = Field(default=False, description="Whether the call runs in shadow mode.")
    would_route: str | None = Field(default=None, description="In shadow mode, what routing would have chosen.")
    cost_usd: float | None = Field(default=None, description="The call's cost, once known (None in events).")
    baseline_cost_usd: float | None = Field(default=None, description="The same tokens on the strongest model.")
    would_cost_usd: float | None = Field(default=None, description="In shadow mode, the same tokens on would_route.")
    inner: dict[str, Any] | None = Field(
        default=None, description="The inner router's decision, when the candidate is itself a router."
    )
    outer_id: str | None = Field(
        default=None,
        description="When this router is a candidate of another router: the outer decision's id (stats count the "
        "call once, at the outer router). Not part of the decision dict.",
    )

    @classmethod
    def class_name(cls) -> str:
        """Name used in serialised events."""
        return "RoutingDecisionEvent"

    @classmethod
    def from_decision(cls, decision: RoutingDecision, outer_id: str | None = None) -> RoutingDecisionEvent:
        """Build the event for `decision` (in the active span)."""
        return cls(**decision.to_dict(), outer_id=outer_id)

    def decision_dict(self) -> dict[str, Any]:
        """The decision as `RoutingDecision.to_dict()` gives it (no event bookkeeping fields)."""
        return {name: getattr(self, "decision_id" if name == "id" else name) for name in DECISION_FIELDS}


class RoutingResultEvent(BaseEvent):
    """A `RouterLLM` call ended: answered (the final decision, with its cost and token usage) or failed.

    Dispatched once per call, after the answer (for a stream: when it ends, or raises after its first chunk).
    ``decision`` is the final decision dict, the one in ``response.additional_kwargs["langroute"]``; for a failed
    call, the last decision tried. ``error`` is the exception's class name only (never its message, which may
    quote the prompt).
    """

    decision_id: str = Field(alias="id", description="Id of the call's decision (shared by its attempts).")
    decision: dict[str, Any] = Field(description="The final decision dict (the last one tried when it failed).")
    input_tokens: int | None = Field(default=None, description="The answer's input tokens, when reported.")
    output_tokens: int | None = Field(default=None, description="The answer's output tokens, when reported.")
    failed: bool = Field(default=False, description="Whether the call raised to the caller.")
    error: str | None = Field(default=None, description="Class name of the error that ended a failed call.")
    outer_id: str | None = Field(
        default=None, description="When this router is a candidate of another router: the outer decision's id."
    )

    @classmethod
    def class_name(cls) -> str:
        """Name used in serialised events."""
        return "RoutingResultEvent"
