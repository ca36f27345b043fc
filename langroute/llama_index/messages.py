"""Read LlamaIndex messages into the core's `Conversation`.

Roles come from `MessageRole` values; text from each message's `TextBlock`s. Media blocks (image, audio, video,
document) are counted, not read. Tool-call and thinking blocks are left out: they are not what the user asked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from llama_index.core.base.llms.types import ChatMessage, TextBlock

from langroute.conversation import Conversation, as_conversation

if TYPE_CHECKING:
    from llama_index.core.llms.llm import LLM
    from llama_index.core.prompts import BasePromptTemplate

__all__ = ["chat_conversation", "prompt_conversation", "template_conversation", "tools_conversation"]

_MEDIA_BLOCKS: Final = frozenset({"image", "audio", "video", "document"})


def chat_conversation(
    messages: Sequence[ChatMessage], *, has_tools: bool = False, structured_output: bool = False
) -> Conversation:
    """The `Conversation` a scorer sees for a list of `ChatMessage`."""
    pairs: list[tuple[str, list[Any]]] = []
    for message in messages:
        parts: list[Any] = []
        for block in message.blocks:
            if isinstance(block, TextBlock):
                parts.append(block.text)
            elif getattr(block, "block_type", None) in _MEDIA_BLOCKS:
                parts.append({"type": block.block_type})
        pairs.append((message.role.value, parts))
    return as_conversation(pairs, has_tools=has_tools, structured_output=structured_output)


def prompt_conversation(prompt: str, *, structured_output: bool = False) -> Conversation:
    """The `Conversation` for a completion prompt: one user turn."""
    return as_conversation(prompt, structured_output=structured_output)


def tools_conversation(
    user_msg: str | ChatMessage | None,
    chat_history: Sequence[ChatMessage] | None,
    *,
    has_tools: bool,
) -> Conversation:
    """The `Conversation` for a ``*_with_tools`` call: the history, then the new user message."""
    messages = list(chat_history or [])
    if isinstance(user_msg, str):
        messages.append(ChatMessage(role="user", content=user_msg))
    elif user_msg is not None:
        messages.append(user_msg)
    return chat_conversation(messages, has_tools=has_tools)


def template_conversation(
    prompt: BasePromptTemplate, prompt_args: Mapping[str, Any], *, llm: LLM | None = None
) -> Conversation:
    """The `Conversation` for a ``*structured_predict`` call: `prompt` formatted with `prompt_args` (as chat messages).

    `llm` is the one a `SelectorPromptTemplate` selects for (the router).
    """
    return chat_conversation(prompt.format_messages(llm=llm, **prompt_args), structured_output=True)
