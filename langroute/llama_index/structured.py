"""`RoutedStructuredLLM`: what `RouterLLM.as_structured_llm` returns; each call routes, then runs the chosen
candidate's own ``as_structured_llm(output_cls)``.

```python
from pydantic import BaseModel
from llama_index.core.llms import ChatMessage

class Weather(BaseModel):
    city: str
    sunny: bool

structured = router.as_structured_llm(Weather)
response = structured.chat([ChatMessage(role="user", content="Weather in Oslo?")])
Weather.model_validate_json(response.message.content)
response.additional_kwargs["langroute"]["model"]  # the candidate that answered
```

LlamaIndex agents build their structured response this way (``FunctionAgent(output_cls=...)``), so the candidate's
own structured output (a native JSON mode, its own tool choice) serves it, as it would without the router.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
)
from llama_index.core.bridge.pydantic import Field
from llama_index.core.llms.llm import LLM
from llama_index.core.llms.structured_llm import StructuredLLM

from langroute.llama_index.llm import RouterLLM, _atagged_stream, _tagged, _tagged_stream
from langroute.llama_index.messages import chat_conversation, prompt_conversation

__all__ = ["RoutedStructuredLLM"]


class RoutedStructuredLLM(StructuredLLM):
    """A `StructuredLLM` over a `RouterLLM`: route each call, then call the chosen candidate's structured LLM.

    Every method (``chat``, ``achat``, ``stream_chat``, ``astream_chat`` and the ``complete`` family) scores the
    messages like `RouterLLM.chat`, reports the `RoutingDecisionEvent`, falls back like it, and calls the same
    method on ``candidate.as_structured_llm(output_cls, **options)``; ``route="name"`` forces a candidate.
    """

    llm: RouterLLM = Field(description="The router whose candidates answer.")
    options: dict[str, Any] = Field(
        default_factory=dict, exclude=True, description="Keyword arguments for each candidate's as_structured_llm."
    )

    @classmethod
    def class_name(cls) -> str:
        """Name used in serialised LLMs."""
        return "RoutedStructuredLLM"

    def _structured(self, candidate: LLM) -> LLM:
        return candidate.as_structured_llm(self.output_cls, **self.options)

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Route `messages`, then call the chosen candidate's structured LLM's `chat`."""
        route = kwargs.pop("route", None)
        conversation = chat_conversation(messages, structured_output=True)
        decision, response = self.llm._delegate(
            "chat", conversation, route, (messages,), kwargs, target=self._structured
        )
        return _tagged(response, decision)

    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Async `chat`."""
        route = kwargs.pop("route", None)
        conversation = chat_conversation(messages, structured_output=True)
        decision, response = await self.llm._adelegate(
            "achat", conversation, route, (messages,), kwargs, target=self._structured
        )
        return _tagged(response, decision)

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Route `messages`, then stream the chosen candidate's partial objects as JSON."""
        route = kwargs.pop("route", None)
        conversation = chat_conversation(messages, structured_output=True)
        decision, opened = self.llm._delegate(
            "stream_chat", conversation, route, (messages,), kwargs, True, target=self._structured
        )
        return _tagged_stream(opened, decision)

    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        """Async `stream_chat`."""
        route = kwargs.pop("route", None)
        conversation = chat_conversation(messages, structured_output=True)
        decision, opened = await self.llm._adelegate(
            "astream_chat", conversation, route, (messages,), kwargs, True, target=self._structured
        )
        return _atagged_stream(opened, decision)

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Route `prompt`, then call the chosen candidate's structured LLM's `complete`."""
        route = kwargs.pop("route", None)
        decision, response = self.llm._delegate(
            "complete",
            prompt_conversation(prompt, structured_output=True),
            route,
            (prompt, formatted),
            kwargs,
            target=self._structured,
        )
        return _tagged(response, decision)

    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Async `complete`."""
        route = kwargs.pop("route", None)
        decision, response = await self.llm._adelegate(
            "acomplete",
            prompt_conversation(prompt, structured_output=True),
            route,
            (prompt, formatted),
            kwargs,
            target=self._structured,
        )
        return _tagged(response, decision)

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        """Route, then the candidate's structured `stream_complete` (LlamaIndex's own raises NotImplementedError)."""
        route = kwargs.pop("route", None)
        conversation = prompt_conversation(prompt, structured_output=True)
        decision, opened = self.llm._delegate(
            "stream_complete", conversation, route, (prompt, formatted), kwargs, True, target=self._structured
        )
        return _tagged_stream(opened, decision)

    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseAsyncGen:
        """Async `stream_complete`."""
        route = kwargs.pop("route", None)
        conversation = prompt_conversation(prompt, structured_output=True)
        decision, opened = await self.llm._adelegate(
            "astream_complete", conversation, route, (prompt, formatted), kwargs, True, target=self._structured
        )
        return _atagged_stream(opened, decision)
