"""LlamaIndex adapter: `RouterLLM`, a native `FunctionCallingLLM` that routes each call, and `RoutingStats`.

```python
from llama_index.core import Settings
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.llms import MockLLM
from langroute.llama_index import RouterLLM, RoutingStats

Settings.llm = RouterLLM(models={"small": MockLLM(), "large": MockLLM(max_tokens=64)})
stats = RoutingStats()
get_dispatcher().add_event_handler(stats)
```

Every attempt is dispatched as a `RoutingDecisionEvent` and every call ends with a `RoutingResultEvent` through
LlamaIndex's instrumentation; the final decision is attached to each response as
``response.additional_kwargs["langroute"]``. `FeedbackHandler` records `RoutingFeedbackEvent`s (thumbs from a UI).
"""

from __future__ import annotations

try:
    import llama_index.core  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra installed
    raise ImportError('langroute.llama_index needs llama-index-core: pip install "langroute[llama-index]"') from exc

from langroute.llama_index.events import RoutingDecisionEvent, RoutingResultEvent
from langroute.llama_index.feedback import FeedbackHandler, RoutingFeedbackEvent
from langroute.llama_index.llm import RouterLLM
from langroute.llama_index.stats import RoutingStats
from langroute.llama_index.structured import RoutedStructuredLLM

__all__ = [
    "FeedbackHandler",
    "RoutedStructuredLLM",
    "RouterLLM",
    "RoutingDecisionEvent",
    "RoutingFeedbackEvent",
    "RoutingResultEvent",
    "RoutingStats",
]
