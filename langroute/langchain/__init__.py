"""LangChain adapter: `RouterChatModel` (a real `BaseChatModel` that routes each call), `RoutingMiddleware` (routes
each step of a LangChain v1 `create_agent`), `RoutingStats` and `FeedbackHandler` (callback handlers).

```python
from langroute.langchain import RouterChatModel

router = RouterChatModel(models={"small": small_model, "large": large_model})
router.invoke("hi").response_metadata["langroute"]["model"]   # 'small'
```
"""

from __future__ import annotations

try:
    import langchain_core  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError('langroute.langchain needs langchain-core: pip install "langroute[langchain]"') from exc

from langroute.langchain.callbacks import FEEDBACK_EVENT, FeedbackHandler, RoutingStats
from langroute.langchain.chat_model import DECISION_EVENT, RouterChatModel

__all__ = [
    "DECISION_EVENT",
    "FEEDBACK_EVENT",
    "FeedbackHandler",
    "RouterChatModel",
    "RoutingMiddleware",
    "RoutingStats",
]


def __getattr__(name: str) -> object:
    """Import `RoutingMiddleware` on first use: it needs the ``langchain`` package (v1 agents), not only the core."""
    if name == "RoutingMiddleware":
        try:
            from langroute.langchain.middleware import RoutingMiddleware
        except ImportError as exc:
            raise ImportError(
                'RoutingMiddleware needs langchain>=1.0 (create_agent): pip install "langroute[agents]"'
            ) from exc
        return RoutingMiddleware
    raise AttributeError(f"module 'langroute.langchain' has no attribute {name!r}")
