"""LangChain callback handlers for routing: ``from langroute.callbacks import FeedbackHandler, RoutingStats``.

Needs the ``langchain`` extra (`pip install "langroute[langchain]"`); the handler itself lives in
`langroute.langchain.callbacks`.
"""

from __future__ import annotations

from langroute.langchain.callbacks import FEEDBACK_EVENT, FeedbackHandler, RoutingStats

__all__ = ["FEEDBACK_EVENT", "FeedbackHandler", "RoutingStats"]
