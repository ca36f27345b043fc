"""`RoutingDecisionEvent`: a routing decision as a LlamaIndex instrumentation event.

Attach a handler to the root dispatcher to see every decision:

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

from langroute.decision import RoutingDecision

__all__ = ["RoutingDecisionEvent"]


class RoutingDecisionEvent(BaseEvent):
    """A `RouterLLM` chose a candidate; dispatched before the call is delegated, and again on each fallback.

    The fields are exactly those of `RoutingDecision.to_dict()`; `decision_dict()` gives that dict back.
    """

    model: str = Field(description="Name of the candidate that handles the call.")
    score: float | None = Field(description="The scorer's value in [0, 1]; None for a forced route.")
    scorer: str = Field(description="Name of the configured scorer.")
    reason: str = Field(description="Why: the scorer's explanation, the forced route, or the fallback.")
    candidates: list[str] = Field(description="All candidate names, cheapest first.")
    thresholds: list[float] = Field(description="Score cut-offs in force, one fewer than candidates.")
    fallback_from: str | None = Field(
        default=None, description="The candidate first chosen, when it failed and `model` is a fallback."
    )
    forced: bool = Field(default=False, description="Whether the caller forced the route with `route=`.")

    @classmethod
    def class_name(cls) -> str:
        """Name used in serialised events."""
        return "RoutingDecisionEvent"

    @classmethod
    def from_decision(cls, decision: RoutingDecision) -> RoutingDecisionEvent:
        """Build the event for `decision` (in the active span)."""
        return cls(**decision.to_dict())

    def decision_dict(self) -> dict[str, Any]:
        """The decision as `RoutingDecision.to_dict()` gives it (no event bookkeeping fields)."""
        dumped = super().model_dump(include=set(_DECISION_FIELDS))
        return {name: dumped[name] for name in _DECISION_FIELDS}


_DECISION_FIELDS = (
    "model",
    "score",
    "scorer",
    "reason",
    "candidates",
    "thresholds",
    "fallback_from",
    "forced",
)
