"""Feedback from anywhere in a LlamaIndex app: a `RoutingFeedbackEvent` that a `FeedbackHandler` records.

A UI that shows an answer knows its decision id (``response.additional_kwargs["langroute"]["id"]``, or the
``decision_id`` of the `RoutingDecisionEvent` / `RoutingResultEvent`). When the user clicks thumbs up or down,
dispatch the feedback; the handler records it in the router's feedback store:

```python
from llama_index.core.instrumentation import get_dispatcher
from langroute import FeedbackStore
from langroute.llama_index import FeedbackHandler, RouterLLM, RoutingFeedbackEvent

llm = RouterLLM(models=..., feedback=FeedbackStore("sqlite:///feedback.db"), explore=0.05)
feedback = FeedbackHandler(llm)
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
    """Record every `RoutingFeedbackEvent` with ``target.record_feedback`` (durable when it returns).

    Args:
        target: what records the outcome: a `RouterLLM` or the core `Router` (anything with
            ``record_feedback(id, score, comment)``), whose ``feedback=`` store keeps it.

    Raises:
        TypeError: `target` has no ``record_feedback``.
    """

    target: SerializeAsAny[Any] = Field(exclude=True, description="The RouterLLM (or Router) that records feedback.")
    _rejected: deque[tuple[str, str]] = PrivateAttr(default_factory=lambda: deque(maxlen=_MAX_REJECTED))

    def __init__(self, target: Any = None, **data: Any) -> None:
        target = data.pop("target", target)
        if not callable(getattr(target, "record_feedback", None)):
            raise TypeError(
                f"target={type(target).__name__}: expected a RouterLLM or Router (anything with "
                "record_feedback(id, score, comment))"
            )
        super().__init__(target=target, **data)

    @classmethod
    def class_name(cls) -> str:
        """Name used in serialised handlers."""
        return "FeedbackHandler"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        """Record a `RoutingFeedbackEvent`; other events are ignored."""
        if not isinstance(event, RoutingFeedbackEvent):
            return
        target: RouterLLM = self.target
        try:
            target.record_feedback(event.decision_id, event.score, event.comment)
        except ValueError as exc:  # unknown id, or no feedback store: the dispatcher would swallow it silently
            logger.warning("feedback for decision %s not recorded: %s", event.decision_id, type(exc).__name__)
            self._rejected.append((event.decision_id, str(exc)))

    @property
    def rejected(self) -> list[tuple[str, str]]:
        """The latest feedback events that could not be recorded (at most 100): ``(decision id, why)``."""
        return list(self._rejected)
