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

from collections.abc import AsyncGenerator, Generator, Sequence
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

from langroute.llama_index.calls import Call, arun, run
from langroute.llama_index.messages import chat_conversation, prompt_conversation, template_conversation

if TYPE_CHECKING:
    from langroute.llama_index.llm import RouterLLM

__all__ = ["RoutedStructuredLLM", "StructuredOutputMixin"]

dispatcher = get_dispatcher(__name__)


class StructuredOutputMixin:
    """`RouterLLM`'s structured output: each method routes the formatted prompt through ``_delegate``.

    Listed before `FunctionCallingLLM` among `RouterLLM`'s bases, so these replace `LLM`'s generic programs.
    """

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
        a candidate and ``"task"`` / ``"thread_id"`` set the task and thread; none of them is forwarded.
        """
        return run(
            self._router_llm()._routing,
            self._structured_call("structured_predict", output_cls, prompt, llm_kwargs, prompt_args),
        )

    @dispatcher.span
    async def astructured_predict(
        self,
        output_cls: type[Model],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Model:
        """Async `structured_predict`."""
        call = self._structured_call("astructured_predict", output_cls, prompt, llm_kwargs, prompt_args)
        return await arun(self._router_llm()._routing, call)

    @dispatcher.span
    def stream_structured_predict(
        self,
        output_cls: type[Model],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Generator[Any, None, None]:
        """Route, then stream the chosen candidate's own partial objects (fallback before the first one)."""
        call = self._structured_call("stream_structured_predict", output_cls, prompt, llm_kwargs, prompt_args, True)
        return run(self._router_llm()._routing, call)

    @dispatcher.span
    async def astream_structured_predict(
        self,
        output_cls: type[Model],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> AsyncGenerator[Any, None]:
        """Async `stream_structured_predict`."""
        call = self._structured_call("astream_structured_predict", output_cls, prompt, llm_kwargs, prompt_args, True)
        return await arun(self._router_llm()._routing, call)

    def as_structured_llm(self, output_cls: type[BaseModel], **kwargs: Any) -> StructuredLLM:
        """An LLM answering `output_cls` JSON: each call routes, then runs the chosen candidate's ``as_structured_llm``.

        ``FunctionAgent(output_cls=...)`` and ``AgentWorkflow(output_cls=...)`` take this path. `kwargs` go to the
        candidate's ``as_structured_llm``; responses carry the decision like `chat`'s.
        """
        return RoutedStructuredLLM(llm=self, output_cls=output_cls, options=kwargs)

    def _router_llm(self) -> RouterLLM:
        return cast("RouterLLM", self)

    def _structured_call(
        self,
        method: str,
        output_cls: type[Model],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None,
        prompt_args: dict[str, Any],
        stream: bool = False,
    ) -> Call:
        """The `Call` of a ``*structured_predict`` method; ``route`` / ``task`` / ``thread_id`` come out of
        `llm_kwargs` (the caller's dict is left as it was)."""
        llm_kwargs = dict(llm_kwargs) if llm_kwargs is not None else None  # programs pop keys from it
        conversation = template_conversation(prompt, prompt_args, llm=cast("LLM", self))
        kwargs = {"llm_kwargs": llm_kwargs, **prompt_args}
        return Call(
            method,
            conversation,
            (output_cls, prompt),
            kwargs,
            stream=stream,
            output_cls=output_cls,
            tag=False,
            routing=llm_kwargs if llm_kwargs is not None else {},
        )


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

    def _call(
        self, method: str, conversation: Any, args: tuple[Any, ...], kwargs: dict[str, Any], **extra: Any
    ) -> Call:
        return Call(method, conversation, args, kwargs, output_cls=self.output_cls, target=self._structured, **extra)

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Route `messages`, then call the chosen candidate's structured LLM's `chat`."""
        conversation = chat_conversation(messages, structured_output=True)
        return run(self._routed()._routing, self._call("chat", conversation, (messages,), kwargs, messages=messages))

    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Async `chat`."""
        conversation = chat_conversation(messages, structured_output=True)
        return await arun(
            self._routed()._routing, self._call("achat", conversation, (messages,), kwargs, messages=messages)
        )

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Route `messages`, then stream the chosen candidate's partial objects as JSON."""
        conversation = chat_conversation(messages, structured_output=True)
        call = self._call("stream_chat", conversation, (messages,), kwargs, stream=True, messages=messages)
        return run(self._routed()._routing, call)

    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        """Async `stream_chat`."""
        conversation = chat_conversation(messages, structured_output=True)
        call = self._call("astream_chat", conversation, (messages,), kwargs, stream=True, messages=messages)
        return await arun(self._routed()._routing, call)

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Route `prompt`, then call the chosen candidate's structured LLM's `complete`."""
        conversation = prompt_conversation(prompt, structured_output=True)
        return run(self._routed()._routing, self._call("complete", conversation, (prompt, formatted), kwargs))

    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Async `complete`."""
        conversation = prompt_conversation(prompt, structured_output=True)
        return await arun(self._routed()._routing, self._call("acomplete", conversation, (prompt, formatted), kwargs))

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        """Route, then the candidate's structured `stream_complete` (LlamaIndex's own raises NotImplementedError)."""
        conversation = prompt_conversation(prompt, structured_output=True)
        return run(
            self._routed()._routing,
            self._call("stream_complete", conversation, (prompt, formatted), kwargs, stream=True),
        )

    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseAsyncGen:
        """Async `stream_complete`."""
        conversation = prompt_conversation(prompt, structured_output=True)
        call = self._call("astream_complete", conversation, (prompt, formatted), kwargs, stream=True)
        return await arun(self._routed()._routing, call)
