"""Structured output through `RouterLLM`: route first, then the chosen candidate's own implementation.

`StructuredOutputMixin` gives `RouterLLM` its ``structured_predict`` family and ``as_structured_llm``;
`RoutedStructuredLLM` is what ``as_structured_llm`` returns: each call routes, then runs the chosen candidate's own
``as_structured_llm(output_cls)``.

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

from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Sequence
from typing import TYPE_CHECKING, Any, cast

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
)
from llama_index.core.bridge.pydantic import BaseModel, Field
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.llms.llm import LLM
from llama_index.core.llms.structured_llm import StructuredLLM
from llama_index.core.prompts import BasePromptTemplate
from llama_index.core.types import Model

from langroute.conversation import Conversation
from langroute.llama_index.messages import chat_conversation, prompt_conversation, template_conversation
from langroute.llama_index.responses import aresumed, atagged_stream, resumed, tagged, tagged_stream

if TYPE_CHECKING:
    from langroute.decision import RoutingDecision
    from langroute.llama_index.llm import RouterLLM

__all__ = ["RoutedStructuredLLM", "StructuredOutputMixin"]

dispatcher = get_dispatcher(__name__)


class StructuredOutputMixin:
    """`RouterLLM`'s structured output: each method routes the formatted prompt through ``_delegate``.

    Listed before `FunctionCallingLLM` among `RouterLLM`'s bases, so these replace `LLM`'s generic programs.
    """

    if TYPE_CHECKING:  # provided by RouterLLM
        _delegate: Callable[..., tuple[RoutingDecision, Any]]
        _adelegate: Callable[..., Awaitable[tuple[RoutingDecision, Any]]]

    @dispatcher.span
    def structured_predict(
        self,
        output_cls: type[Model],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Model:
        """Route the formatted `prompt`, then run the chosen candidate's own `structured_predict`.

        The candidate builds its own program (function calling, a native JSON mode, its own
        ``pydantic_program_mode``, which the router's, when set, overrides). ``llm_kwargs={"route": "name"}`` forces
        a candidate; ``route`` is not forwarded.
        """
        conversation, route, kwargs = self._structured_request(prompt, llm_kwargs, prompt_args)
        _, output = self._delegate("structured_predict", conversation, route, (output_cls, prompt), kwargs)
        return output

    @dispatcher.span
    async def astructured_predict(
        self,
        output_cls: type[Model],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Model:
        """Async `structured_predict`."""
        conversation, route, kwargs = self._structured_request(prompt, llm_kwargs, prompt_args)
        _, output = await self._adelegate("astructured_predict", conversation, route, (output_cls, prompt), kwargs)
        return output

    @dispatcher.span
    def stream_structured_predict(
        self,
        output_cls: type[Model],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Generator[Any, None, None]:
        """Route, then stream the chosen candidate's own partial objects (fallback before the first one)."""
        conversation, route, kwargs = self._structured_request(prompt, llm_kwargs, prompt_args)
        _, opened = self._delegate("stream_structured_predict", conversation, route, (output_cls, prompt), kwargs, True)
        return resumed(opened)

    @dispatcher.span
    async def astream_structured_predict(
        self,
        output_cls: type[Model],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> AsyncGenerator[Any, None]:
        """Async `stream_structured_predict`."""
        conversation, route, kwargs = self._structured_request(prompt, llm_kwargs, prompt_args)
        args = (output_cls, prompt)
        _, opened = await self._adelegate("astream_structured_predict", conversation, route, args, kwargs, True)
        return aresumed(opened)

    def as_structured_llm(self, output_cls: type[BaseModel], **kwargs: Any) -> StructuredLLM:
        """An LLM answering `output_cls` JSON: each call routes, then runs the chosen candidate's ``as_structured_llm``.

        ``FunctionAgent(output_cls=...)`` and ``AgentWorkflow(output_cls=...)`` take this path. `kwargs` go to the
        candidate's ``as_structured_llm``; responses carry the decision like `chat`'s.
        """
        return RoutedStructuredLLM(llm=self, output_cls=output_cls, options=kwargs)

    def _structured_request(
        self, prompt: BasePromptTemplate, llm_kwargs: dict[str, Any] | None, prompt_args: dict[str, Any]
    ) -> tuple[Conversation, str | None, dict[str, Any]]:
        """``(conversation, route, kwargs)`` for a ``*structured_predict`` call; `route` comes out of `llm_kwargs`."""
        route = None
        if llm_kwargs is not None:
            llm_kwargs = dict(llm_kwargs)  # programs pop keys from it; the caller's dict stays as it was
            route = llm_kwargs.pop("route", None)
        conversation = template_conversation(prompt, prompt_args, llm=cast("LLM", self))
        return conversation, route, {"llm_kwargs": llm_kwargs, **prompt_args}


class RoutedStructuredLLM(StructuredLLM):
    """A `StructuredLLM` over a `RouterLLM`: route each call, then call the chosen candidate's structured LLM.

    Every method (``chat``, ``achat``, ``stream_chat``, ``astream_chat`` and the ``complete`` family) scores the
    messages like `RouterLLM.chat`, reports the `RoutingDecisionEvent`, falls back like it, and calls the same
    method on ``candidate.as_structured_llm(output_cls, **options)``; ``route="name"`` forces a candidate.
    """

    options: dict[str, Any] = Field(
        default_factory=dict, exclude=True, description="Keyword arguments for each candidate's as_structured_llm."
    )

    @classmethod
    def class_name(cls) -> str:
        """Name used in serialised LLMs."""
        return "RoutedStructuredLLM"

    def _routed(self) -> RouterLLM:
        """The `RouterLLM` whose candidates answer (the ``llm`` field)."""
        return cast("RouterLLM", self.llm)

    def _structured(self, candidate: LLM) -> LLM:
        return candidate.as_structured_llm(self.output_cls, **self.options)

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Route `messages`, then call the chosen candidate's structured LLM's `chat`."""
        route = kwargs.pop("route", None)
        conversation = chat_conversation(messages, structured_output=True)
        decision, response = self._routed()._delegate(
            "chat", conversation, route, (messages,), kwargs, target=self._structured
        )
        return tagged(response, decision)

    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Async `chat`."""
        route = kwargs.pop("route", None)
        conversation = chat_conversation(messages, structured_output=True)
        decision, response = await self._routed()._adelegate(
            "achat", conversation, route, (messages,), kwargs, target=self._structured
        )
        return tagged(response, decision)

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Route `messages`, then stream the chosen candidate's partial objects as JSON."""
        route = kwargs.pop("route", None)
        conversation = chat_conversation(messages, structured_output=True)
        decision, opened = self._routed()._delegate(
            "stream_chat", conversation, route, (messages,), kwargs, True, target=self._structured
        )
        return tagged_stream(opened, decision)

    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        """Async `stream_chat`."""
        route = kwargs.pop("route", None)
        conversation = chat_conversation(messages, structured_output=True)
        decision, opened = await self._routed()._adelegate(
            "astream_chat", conversation, route, (messages,), kwargs, True, target=self._structured
        )
        return atagged_stream(opened, decision)

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Route `prompt`, then call the chosen candidate's structured LLM's `complete`."""
        route = kwargs.pop("route", None)
        decision, response = self._routed()._delegate(
            "complete",
            prompt_conversation(prompt, structured_output=True),
            route,
            (prompt, formatted),
            kwargs,
            target=self._structured,
        )
        return tagged(response, decision)

    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Async `complete`."""
        route = kwargs.pop("route", None)
        decision, response = await self._routed()._adelegate(
            "acomplete",
            prompt_conversation(prompt, structured_output=True),
            route,
            (prompt, formatted),
            kwargs,
            target=self._structured,
        )
        return tagged(response, decision)

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        """Route, then the candidate's structured `stream_complete` (LlamaIndex's own raises NotImplementedError)."""
        route = kwargs.pop("route", None)
        conversation = prompt_conversation(prompt, structured_output=True)
        decision, opened = self._routed()._delegate(
            "stream_complete", conversation, route, (prompt, formatted), kwargs, True, target=self._structured
        )
        return tagged_stream(opened, decision)

    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseAsyncGen:
        """Async `stream_complete`."""
        route = kwargs.pop("route", None)
        conversation = prompt_conversation(prompt, structured_output=True)
        decision, opened = await self._routed()._adelegate(
            "astream_complete", conversation, route, (prompt, formatted), kwargs, True, target=self._structured
        )
        return atagged_stream(opened, decision)
