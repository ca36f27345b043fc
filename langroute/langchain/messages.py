"""Convert LangChain messages into the core `Conversation` a scorer reads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from langchain_core.messages import BaseMessage, ChatMessage

from langroute.conversation import Conversation, Role, as_conversation

__all__ = ["to_conversation"]

_ROLES: Final[dict[str, Role]] = {
    "system": "system",
    "developer": "system",
    "human": "user",
    "ai": "assistant",
    "tool": "tool",
    "function": "tool",
}


def to_conversation(messages: Sequence[BaseMessage], *, has_tools: bool = False) -> Conversation:
    """Read LangChain messages as a `Conversation`; a `ChatMessage` with an unknown role counts as ``user``."""
    return as_conversation([(_role(m), m.content) for m in messages], has_tools=has_tools)


def _role(message: BaseMessage) -> str:
    if isinstance(message, ChatMessage):
        role = message.role.lower()
        return role if role in ("system", "user", "assistant", "tool") else _ROLES.get(role, "user")
    return _ROLES.get(message.type, "user")
