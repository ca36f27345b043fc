"""Offline chat models and helpers for testing routing (and for the demo's stand-ins).

```python
from langchain_core.messages import AIMessage
from langroute.langchain.testing import DecisionRecorder, FakeToolChatModel, StandInChatModel

small = StandInChatModel(label="small")                      # answers "[stand-in small] ..." offline
large = FakeToolChatModel(messages=iter([AIMessage("", tool_calls=[...]), AIMessage("done")]))
recorder = DecisionRecorder()                                # collects every decision dict
router.invoke("hi", config={"callbacks": [recorder]}); recorder.decisions[-1]["model"]
```
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

__all__ = ["DecisionRecorder", "FakeToolChatModel", "StandInChatModel"]


def _chunks(message: AIMessage) -> Iterator[ChatGenerationChunk]:
    """Split a message into word chunks, then tool-call chunks, then a last chunk with usage and metadata."""
    content = message.content if isinstance(message.content, str) else ""
    for token in re.split(r"(\s)", content) if content else []:
        if token:
            yield ChatGenerationChunk(message=AIMessageChunk(content=token, id=message.id))
    for index, call in enumerate(message.tool_calls):
        tool_chunk = {"name": call["name"], "args": json.dumps(call["args"]), "id": call["id"], "index": index}
        yield ChatGenerationChunk(message=AIMessageChunk(content="", id=message.id, tool_call_chunks=[tool_chunk]))
    yield ChatGenerationChunk(
        message=AIMessageChunk(
            content="",
            id=message.id,
            usage_metadata=message.usage_metadata,
            response_metadata=message.response_metadata,
            chunk_position="last",
        )
    )


def _streamed(message: AIMessage, run_manager: CallbackManagerForLLMRun | None) -> Iterator[ChatGenerationChunk]:
    """`_chunks`, reporting each one to the run's handlers as a new token."""
    for chunk in _chunks(message):
        if run_manager:
            run_manager.on_llm_new_token(str(chunk.message.content), chunk=chunk)
        yield chunk


class FakeToolChatModel(GenericFakeChatModel):
    """`GenericFakeChatModel` that supports `bind_tools`, streams tool calls and usage, and records its calls.

    ``calls`` holds the keyword arguments of every call (tools included), so tests can check what reached it.
    """

    calls: list[dict[str, Any]] = Field(default_factory=list)
    """Keyword arguments received by each call, oldest first."""

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Any],
        *,
        tool_choice: str | dict[str, Any] | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools in OpenAI format (they are recorded, not used)."""
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], tool_choice=tool_choice, **kwargs)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.calls.append({"stop": stop, **kwargs})
        return super()._generate(messages, stop=stop, run_manager=run_manager, **kwargs)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        message = self._generate(messages, stop=stop, **kwargs).generations[0].message
        yield from _streamed(
            message if isinstance(message, AIMessage) else AIMessage(str(message.content)), run_manager
        )


class StandInChatModel(BaseChatModel):
    """An offline stand-in for a real chat model: answers ``[stand-in <label>] ...`` and reports token usage.

    It streams word by word and accepts `bind_tools` (it never calls tools), so it works in chains and agents.
    """

    label: str
    """The name shown in every answer, e.g. ``"small"``."""

    reply: str = "This is where the {label} model would answer."
    """The answer text; ``{label}`` is replaced by the label."""

    @property
    def _llm_type(self) -> str:
        return "langroute-stand-in"

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Any],
        *,
        tool_choice: str | dict[str, Any] | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Accept tools (ignored: a stand-in answers in text)."""
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    def _answer(self, messages: list[BaseMessage]) -> AIMessage:
        text = f"[stand-in {self.label}] " + self.reply.format(label=self.label)
        prompt_chars = sum(len(str(m.content)) for m in messages)
        usage = UsageMetadata(
            input_tokens=(prompt_chars + 3) // 4,
            output_tokens=(len(text) + 3) // 4,
            total_tokens=(prompt_chars + 3) // 4 + (len(text) + 3) // 4,
        )
        return AIMessage(content=text, usage_metadata=usage, response_metadata={"model_name": self.label})

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._answer(messages))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        yield from _streamed(self._answer(messages), run_manager)


class DecisionRecorder(BaseCallbackHandler):
    """Collect every ``"langroute_decision"`` event: ``decisions`` (dicts) and ``run_ids`` (the router runs)."""

    def __init__(self) -> None:
        self.decisions: list[dict[str, Any]] = []
        self.run_ids: list[UUID] = []

    def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """Record a routing decision."""
        if name == "langroute_decision":
            self.decisions.append(data)
            self.run_ids.append(run_id)
