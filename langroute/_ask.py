"""Ask a chat model a question: the plumbing `LLMScorer` and `LLMClassifier` share.

`model` is a LangChain chat model (``invoke`` / ``ainvoke`` taking ``(role, text)`` pairs, returning a message
with ``content``) or a LlamaIndex LLM (``chat`` / ``achat``, or ``complete`` / ``acomplete``). Errors of the model
itself propagate.
"""

from __future__ import annotations

from typing import Any, Final

from langroute.conversation import Conversation
from langroute.errors import ConfigError

__all__ = ["ModelAsker", "transcript"]

_WINDOW: Final = 4096


def transcript(conversation: Conversation) -> str:
    """The conversation as ``role: text`` lines, its first and last 4 KB when longer."""
    text = "\n".join(f"{turn.role}: {turn.text}" for turn in conversation.turns)
    if len(text) > 2 * _WINDOW:
        text = text[:_WINDOW] + "\n[...]\n" + text[-_WINDOW:]
    return text


def _reply_text(reply: Any) -> str:
    """The text of a LangChain message, a LlamaIndex ChatResponse / CompletionResponse, or a str."""
    if isinstance(reply, str):
        return reply
    message = getattr(reply, "message", None)  # LlamaIndex ChatResponse
    if message is not None:
        reply = message
    content = getattr(reply, "content", None)
    if content is None:
        content = getattr(reply, "text", "")
    if isinstance(content, list):  # LangChain content blocks
        return " ".join(p if isinstance(p, str) else str(p.get("text", "")) for p in content if p)
    return str(content or "")


class ModelAsker:
    """Send a system instruction and a user text to `model` and return the reply's text.

    Raises:
        ConfigError: `model` has none of the supported methods.
    """

    def __init__(self, model: Any) -> None:
        if not any(hasattr(model, name) for name in ("invoke", "chat", "complete")):
            raise ConfigError(
                f"model is {type(model).__name__}; expected a LangChain chat model (invoke) or a LlamaIndex LLM "
                "(chat or complete)"
            )
        self.model = model

    def _request(self, system: str, user: str, cue: str) -> tuple[str, Any]:
        if hasattr(self.model, "invoke"):
            return "invoke", [("system", system), ("human", user)]
        if hasattr(self.model, "chat"):
            from llama_index.core.llms import ChatMessage

            return "chat", [ChatMessage(role="system", content=system), ChatMessage(role="user", content=user)]
        return "complete", f"{system}\n\n{user}\n{cue}"

    def ask(self, system: str, user: str, cue: str = "") -> str:
        """The model's reply text; `cue` ends a completion prompt (e.g. ``"Rating:"``) for completion-only LLMs."""
        kind, request = self._request(system, user, cue)
        return _reply_text(getattr(self.model, kind)(request))

    async def aask(self, system: str, user: str, cue: str = "") -> str:
        """Async `ask` (``ainvoke`` / ``achat`` / ``acomplete``)."""
        kind, request = self._request(system, user, cue)
        return _reply_text(await getattr(self.model, "a" + kind)(request))
