"""Convert LangChain messages into the core `Conversation` a scorer reads, with the facts routing needs."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Final

from langchain_core.messages import BaseMessage, ChatMessage

from langroute.conversation import Conversation, Role, Turn, as_conversation

__all__ = ["to_conversation", "tool_loop_model"]

_ROLES: Final[dict[str, Role]] = {
    "system": "system",
    "developer": "system",
    "human": "user",
    "ai": "assistant",
    "tool": "tool",
    "function": "tool",
}


def to_conversation(
    messages: Sequence[BaseMessage],
    *,
    has_tools: bool = False,
    structured_output: bool = False,
    tool_loop_model: str | None = None,
) -> Conversation:
    """Read LangChain messages as a `Conversation`; a `ChatMessage` with an unknown role counts as ``user``."""
    turns = []
    for message in messages:  # the common case: plain-text messages of the known types, read directly
        role = _ROLES.get(message.type)
        content = message.content
        if role is None or type(content) is not str:  # ChatMessage, content parts: the general reader
            return as_conversation(
                [(_role(m), m.content) for m in messages],
                has_tools=has_tools,
                structured_output=structured_output,
                tool_loop_model=tool_loop_model,
            )
        turns.append(Turn(role, content))
    return Conversation(tuple(turns), 0, False, has_tools, structured_output, tool_loop_model)


def tool_loop_model(messages: Sequence[BaseMessage], names: Collection[str]) -> str | None:
    """The candidate that issued the pending tool calls, when `messages` end in a tool result; else ``None``.

    It is the ``model`` of the decision in ``response_metadata["langroute"]`` of the newest AI message with tool
    calls; when that names no candidate of `names` (an outer router's decision), the decision it keeps under
    ``"inner"`` is read instead.
    """
    if not messages or messages[-1].type != "tool":
        return None
    for message in reversed(messages):
        if message.type == "ai" and getattr(message, "tool_calls", None):
            decision = message.response_metadata.get("langroute")
            while isinstance(decision, Mapping):
                model = decision.get("model")
                if model in names:
                    return model  # type: ignore[no-any-return]
                decision = decision.get("inner")
            return None
    return None


def _role(message: BaseMessage) -> str:
    if isinstance(message, ChatMessage):
        role = message.role.lower()
        return role if role in ("system", "user", "assistant", "tool") else _ROLES.get(role, "user")
    return _ROLES.get(message.type, "user")
