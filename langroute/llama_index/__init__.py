"""LlamaIndex adapter: `RouterLLM`, a native `FunctionCallingLLM` that routes each call.

```python
from llama_index.core import Settings
from llama_index.core.llms import MockLLM
from langroute.llama_index import RouterLLM

Settings.llm = RouterLLM(models={"small": MockLLM(), "large": MockLLM(max_tokens=64)})
```

Every decision is dispatched as a `RoutingDecisionEvent` through LlamaIndex's instrumentation and is attached to
each response as ``response.additional_kwargs["langroute"]``.
"""

from __future__ import annotations

try:
    import llama_index.core  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra installed
    raise ImportError('langroute.llama_index needs llama-index-core: pip install "langroute[llama-index]"') from exc

from langroute.llama_index.events import RoutingDecisionEvent
from langroute.llama_index.llm import RouterLLM
from langroute.llama_index.structured import RoutedStructuredLLM

__all__ = ["RoutedStructuredLLM", "RouterLLM", "RoutingDecisionEvent"]
