"""Feedback from anywhere in a LlamaIndex app: a `RoutingFeedbackEvent` that a `FeedbackHandler` records.

A UI that shows an answer knows its decision id (``response.additional_kwargs["langroute"]["id"]``, or the
``decision_id`` of the `RoutingDecisionEvent` / `RoutingResultEvent`). When the user clicks thumbs up or down,
dispatch the feedback; the handler records it in the router's feedback store:

```python
from llama_index.core.instrumentation import get_dispatcher
from langroute import FeedbackStore
from langroute.llama_index import FeedbackHandler, RouterLLM, RoutingFeedbackEvent

llm = RouterLLM(models=..., feedback=FeedbackStore("sqlite:///feedback.db"), explore=0.05)
feedback = FeedbackHandler(llm=llm)
get_dispatcher().add_event_handler(feedback)

# in the UI's thumbs handler:
get_dispatcher().event(RoutingFeedbackEvent(id=decision_id, score=1.0, comment="helpful"))
llm.learn()  # later, e.g. every few hundred feedbacks
```

A score outside [0, 1] or NaN is refused when the event is built (a pydantic `ValidationError`, a `ValueError`).
LlamaIndex's dispatcher swallows a handler's exceptions, so an unknown decision id cannot reach the caller: the
handler logs it at WARNING (the id only) and keeps it in ``handler.rejected``. Call ``llm.record_feedback(...)``
directly when the caller must see that error.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import TYPE_CHECKING, Any, Final

from llama_index.core.bridge.pydantic import Field, PrivateAttr, SerializeAsAny
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent

if TYPE_CHECKING:
    from langroute.llama_index.llm import RouterLLM

__all__ = ["FeedbackHandler", "RoutingFeedbackEvent"]

logger = logging.getLogger(__name__)

_MAX_REJECTED: Final = 100


class RoutingFeedbackEvent(BaseEvent):
    """How good a routed answer was, from a user or an evaluator: dispatch it; a `FeedbackHandler` records it."""

    decision_id: str = Field(alias="id", min_length=1, description="The decision's id (the decision dict's 'id').")
    score: float = Field(ge=0.0, le=1.0, allow_inf_nan=False, description="Quality in [0, 1]: thumbs up 1, down 0.")
    comment: str | None = Field(default=None, description="Optional free text, stored with the outcome.")

    @classmethod
    def class_name(cls) -> str:
        """Name used in serialised events."""
        return "RoutingFeedbackEvent"


class FeedbackHandler(BaseEventHandler):
    """Record every `RoutingFeedbackEvent` with ``llm.record_feedback`` (durable when it returns).

    Args:
        llm: the `RouterLLM` whose decisions the feedback is about (its ``feedback=`` store records it).
    """

    llm: SerializeAsAny[Any] = Field(exclude=True, description="The RouterLLM whose feedback store records it.")
    _rejected: deque[tuple[str, str]] = PrivateAttr(default_factory=lambda: deque(maxlen=_MAX_REJECTED))

    @classmethod
    def class_name(cls) -> str:
        """Name used in serialised handlers."""
        return "FeedbackHandler"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        """Record a `RoutingFeedbackEvent`; other events are ignored."""
        if not isinstance(event, RoutingFeedbackEvent):
            return
        router_llm: RouterLLM = self.llm
        try:
            router_llm.record_feedback(event.decision_id, event.score, event.comment)
        except ValueError as exc:  # unknown id, or no feedback store: the dispatcher would swallow it silently
            logger.warning("feedback for decision %s not recorded: %s", event.decision_id, type(exc).__name__)
            self._rejected.append((event.decision_id, str(exc)))

    @property
    def rejected(self) -> list[tuple[str, str]]:
        """The latest feedback events that could not be recorded (at most 100): ``(decision id, why)``."""
        return list(self._rejected)
