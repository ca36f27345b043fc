"""Sticky tool loops for LlamaIndex: the router remembers which candidate issued each tool call.

LlamaIndex tool results are ``ChatMessage(role="tool", additional_kwargs={"tool_call_id": ...})`` (what
``FunctionAgent`` and ``AgentWorkflow`` append), and the assistant message that issued the calls carries no
decision. So `RouterLLM` remembers the ids of the tool calls in its answers (from ``*_with_tools`` calls and from
``get_tool_calls_from_response``), bounded, least recently used forgotten; a call whose newest message is a tool
result goes back to the candidate that issued that tool call.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Final

from llama_index.core.base.llms.types import ChatMessage, MessageRole

__all__ = ["MAX_TOOL_CALLS", "ToolCallMemory", "pending_tool_call"]

MAX_TOOL_CALLS: Final = 10_000
"""How many tool-call ids a `RouterLLM` remembers."""


class ToolCallMemory:
    """Tool-call id -> the candidate that issued it; thread-safe, bounded (least recently used forgotten)."""

    def __init__(self, capacity: int = MAX_TOOL_CALLS) -> None:
        self.capacity = capacity
        self._models: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, ids: Iterable[str], model: str) -> None:
        """Record that `model` issued the tool calls `ids`."""
        with self._lock:
            for call_id in ids:
                self._models[call_id] = model
                self._models.move_to_end(call_id)
            while len(self._models) > self.capacity:
                self._models.popitem(last=False)

    def model_for(self, call_id: str) -> str | None:
        """The candidate that issued tool call `call_id`, if remembered."""
        with self._lock:
            return self._models.get(call_id)

    def __len__(self) -> int:
        return len(self._models)


def pending_tool_call(messages: Sequence[ChatMessage]) -> str | None:
    """The tool-call id answered by the newest message, when it is a tool result; else ``None``."""
    if not messages:
        return None
    last = messages[-1]
    if last.role != MessageRole.TOOL:
        return None
    call_id = last.additional_kwargs.get("tool_call_id")
    return call_id if isinstance(call_id, str) and call_id else None
