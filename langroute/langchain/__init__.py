"""LangChain adapter: `RouterChatModel`, a real `BaseChatModel` that routes each call, and `RoutingStats`.

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

__all__ = ["DECISION_EVENT", "FEEDBACK_EVENT", "FeedbackHandler", "RouterChatModel", "RoutingStats"]
