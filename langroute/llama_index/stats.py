"""`RoutingStats`: a LlamaIndex instrumentation event handler that counts routing per candidate, in calls and money.

```python
from llama_index.core.instrumentation import get_dispatcher
from langroute.llama_index import RoutingStats

stats = RoutingStats()
get_dispatcher().add_event_handler(stats)     # every RouterLLM's events propagate to the root dispatcher
await agent.run("...")
stats.summary()["small"]["cost_usd"]          # per candidate: calls, fallbacks, errors, escalations, tokens, cost
stats.savings()                               # {'cost_usd', 'baseline_cost_usd', 'saved_usd', 'saved_share', ...}
print(stats)                                  # the money table
```

The same summary as LangChain's ``langroute.callbacks.RoutingStats``: both count on `langroute.stats.RoutingTally`.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent

from langroute.llama_index.events import RoutingDecisionEvent, RoutingResultEvent
from langroute.stats import RoutingTally

__all__ = ["RoutingStats"]


class RoutingStats(BaseEventHandler):
    """Count routing per candidate from `RoutingDecisionEvent`s and `RoutingResultEvent`s; thread-safe.

    Add it to a dispatcher (the root one sees every router): ``get_dispatcher().add_event_handler(stats)``.
    Per candidate (`summary`): ``calls`` answered, ``fallbacks`` served, ``errors`` (each error counted once,
    including the last one when every candidate failed, and a stream that broke after its first chunk),
    ``escalations`` (answers that failed a check and went to a stronger candidate), ``input_tokens`` /
    ``output_tokens`` (when the candidate reports usage), ``cost_usd`` (from `Candidate` prices; escalated-away
    answers included) and ``would_calls`` (shadow mode: calls routing would have sent it). `failed` counts calls
    that raised to the caller. A router used as a candidate of another router is counted once, at the outer one
    (the inner decision is kept in the outer decision dict's ``"inner"``). A cancelled call is not counted.
    """

    _tally: RoutingTally = PrivateAttr(default_factory=RoutingTally)

    @classmethod
    def class_name(cls) -> str:
        """Name used in serialised handlers."""
        return "RoutingStats"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        """Count a routing event; other events are ignored."""
        if isinstance(event, RoutingDecisionEvent):
            if event.outer_id is None:
                self._tally.decided(event.decision_id, event.decision_dict())
        elif isinstance(event, RoutingResultEvent) and event.outer_id is None:
            if event.failed:
                self._tally.failed(event.decision_id)
            elif event.error is not None:  # cancelled: neither answered nor failed
                self._tally.forget(event.decision_id)
            else:
                self._tally.answered(event.decision_id, event.decision, event.input_tokens, event.output_tokens)

    @property
    def tally(self) -> RoutingTally:
        """The framework-free counters (`langroute.stats.RoutingTally`)."""
        return self._tally

    @property
    def failed(self) -> int:
        """Calls that raised to the caller (every candidate failed, or a stream broke after its first chunk)."""
        return self._tally.failed_calls

    def summary(self) -> dict[str, dict[str, Any]]:
        """Counters per candidate name (see `langroute.stats.COUNTERS`)."""
        return self._tally.summary()

    def savings(self) -> dict[str, Any]:
        """Cost against always calling the strongest candidate (an estimate: see `RoutingTally.savings`)."""
        return self._tally.savings()

    def reset(self) -> None:
        """Zero every counter."""
        self._tally.reset()

    def __str__(self) -> str:
        return str(self._tally)
