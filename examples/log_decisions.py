"""Print every routing decision from a LangChain callback handler, and count traffic with RoutingStats.

Run: ``python examples/log_decisions.py`` (offline stand-ins; real models when an API key is set).
Decisions arrive as the custom event ``"langroute_decision"`` on the router's run, before the first token, so
any handler (or LangSmith, or ``astream_events``) sees them.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from _models import candidate_models
from langchain_core.callbacks import BaseCallbackHandler

from langroute import RouterChatModel
from langroute.callbacks import RoutingStats


class PrintDecisions(BaseCallbackHandler):
    """Print each routing decision as it is made."""

    def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kwargs: Any) -> None:
        if name == "langroute_decision":
            score = "forced" if data["score"] is None else f"{data['score']:.2f}"
            fallback = f" (fallback from {data['fallback_from']})" if data["fallback_from"] else ""
            print(f"-> {data['model']}{fallback}  score={score}  reason: {data['reason']}")


stats = RoutingStats()
router = RouterChatModel(models=candidate_models(), callbacks=[PrintDecisions(), stats])
router.invoke("hello!")
router.invoke("Explain step by step how to prove that the halting problem is undecidable, with the formal argument.")
for _ in router.stream("Translate 'good night' to French."):
    pass
router.invoke("Summarize this in one line: the meeting moved to Tuesday.", route="large")
print()
print(stats)
