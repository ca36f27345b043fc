"""Fixtures for the LlamaIndex adapter tests: named stand-in candidates, failing LLMs, provider-like errors, event
capture."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from types import SimpleNamespace
from typing import Any, Literal

import pytest
from llama_index.core import Settings
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_completion_callback
from llama_index.core.llms.mock import MockFunctionCallingLLM

from langroute import RuleScorer
from langroute.llama_index import RoutingDecisionEvent, RoutingResultEvent, RoutingStats

HARD = "hard"
"""A prompt containing this word scores 0.9 with `rule_scorer()`; anything else scores 0.1."""


def rule_scorer() -> RuleScorer:
    """Deterministic routes: 'hard' -> 0.9 (the strong candidate), else 0.1 (the cheap one)."""
    return RuleScorer([(rf"(?i)\b{HARD}\b", 0.9)], default=0.1)


def named(name: str) -> MockFunctionCallingLLM:
    """A function-calling stand-in whose chat answers start with its name."""

    def reply(messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        return ChatMessage(role="assistant", content=f"{name}: {messages[-1].content}")

    return MockFunctionCallingLLM(response_generator=reply)


class FailingLLM(CustomLLM):
    """A candidate that raises `RuntimeError(message)`; streams raise after `chunks_before_error` chunks."""

    message: str = "boom"
    chunks_before_error: int = 0
    window: int = 4096

    @classmethod
    def class_name(cls) -> str:
        return "FailingLLM"

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(context_window=self.window, model_name=f"failing-{self.message}")

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        raise RuntimeError(self.message)

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        def gen() -> CompletionResponseGen:
            for i in range(self.chunks_before_error):
                yield CompletionResponse(text="x" * (i + 1), delta="x")
            raise RuntimeError(self.message)

        return gen()


class APIError(Exception):
    """A provider SDK's base error, shaped like ``openai.APIError`` (a status code and a response)."""

    def __init__(self, message: str, *, status_code: int, response: object = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.response = response


class RateLimitError(APIError):
    """Retrying the same model later fixes it (HTTP 429)."""


class BadRequestError(APIError):
    """Retrying the same model does not fix it (HTTP 400: a context overflow, a refused payload...)."""


class RaisingLLM(MockFunctionCallingLLM):
    """A function-calling candidate whose every call raises `error` (the same object each time) and is counted.

    ``fails`` limits how many calls raise (``None``: all); later calls answer like `MockFunctionCallingLLM`.
    """

    error: Any = None
    fails: int | None = None
    calls: int = 0

    def _maybe_raise(self) -> None:
        self.calls += 1
        if self.fails is None or self.calls <= self.fails:
            raise self.error

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        self._maybe_raise()
        return super().chat(messages, **kwargs)

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        self._maybe_raise()
        return super().stream_chat(messages, **kwargs)

    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        self._maybe_raise()
        return await super().astream_chat(messages, **kwargs)

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        self._maybe_raise()
        return super().complete(prompt, formatted, **kwargs)


class ScriptedLLM(MockFunctionCallingLLM):
    """A function-calling stand-in that reports token usage as a real integration does and records its calls.

    ``usage=(input, output)`` is reported on every response (and every streamed chunk): with ``shape="openai"``
    in ``additional_kwargs`` (``prompt_tokens`` / ``completion_tokens``, as llama-index-llms-openai does), with
    ``shape="anthropic"`` in ``raw["usage"]`` as an object with ``input_tokens`` / ``output_tokens``. ``seen``
    records each call's method and keyword arguments (what reached the candidate).
    """

    usage: tuple[int, int] | None = None
    shape: Literal["openai", "anthropic"] = "openai"
    seen: list[tuple[str, dict[str, Any]]] = Field(default_factory=list)

    def _report(self, response: ChatResponse) -> ChatResponse:
        if self.usage is not None:
            if self.shape == "openai":
                response.additional_kwargs = {"prompt_tokens": self.usage[0], "completion_tokens": self.usage[1]}
            else:
                usage = SimpleNamespace(input_tokens=self.usage[0], output_tokens=self.usage[1])
                response.raw = {"usage": usage, "stop_reason": "end_turn"}
        return response

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        self.seen.append(("chat", {k: v for k, v in kwargs.items() if k != "tools"}))
        return self._report(super().chat(messages, **kwargs))

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        self.seen.append(("stream_chat", {k: v for k, v in kwargs.items() if k != "tools"}))
        return (self._report(chunk) for chunk in super().stream_chat(messages, **kwargs))

    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        self.seen.append(("astream_chat", {k: v for k, v in kwargs.items() if k != "tools"}))
        chunks = await super().astream_chat(messages, **kwargs)

        async def gen() -> AsyncIterator[ChatResponse]:
            async for chunk in chunks:
                yield self._report(chunk)

        return gen()


def scripted(name: str, text: str | None = None, **fields: Any) -> ScriptedLLM:
    """A `ScriptedLLM` answering `text` (default: ``"<name>: <last message>"``); calls the tools it is given once."""

    def reply(messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        if kwargs.get("tools") and messages[-1].role != "tool" and text is None:
            return _call_every_tool(kwargs["tools"])
        return ChatMessage(role="assistant", content=f"{name}: {messages[-1].content}" if text is None else text)

    return ScriptedLLM(response_generator=reply, **fields)


def _call_every_tool(tools: Sequence[Any]) -> ChatMessage:
    from llama_index.core.base.llms.types import ToolCallBlock

    blocks = [ToolCallBlock(tool_call_id=f"call-{tool.metadata.name}", tool_name=tool.metadata.name) for tool in tools]
    return ChatMessage(role="assistant", blocks=blocks)


class HangingLLM(CustomLLM):
    """A candidate that hangs: before answering (``at="call"``), before its first chunk, or after it.

    Sync calls block on an event that `release` sets (tests release it at teardown, so no thread is left behind);
    async calls wait until cancelled.
    """

    at: Literal["call", "first_chunk", "second_chunk"] = "call"
    _released: threading.Event = PrivateAttr(default_factory=threading.Event)

    @classmethod
    def class_name(cls) -> str:
        return "HangingLLM"

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="hanging")

    def release(self) -> None:
        self._released.set()

    def _hang(self) -> None:
        self._released.wait(timeout=30)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        self._hang()
        return CompletionResponse(text="late")

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        if self.at == "call":
            self._hang()

        def gen() -> CompletionResponseGen:
            if self.at == "first_chunk":
                self._hang()
            yield CompletionResponse(text="first", delta="first")
            self._hang()
            yield CompletionResponse(text="first late", delta=" late")

        return gen()

    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseAsyncGen:
        if self.at == "call":
            await asyncio.Event().wait()

        async def gen() -> CompletionResponseAsyncGen:
            if self.at == "first_chunk":
                await asyncio.Event().wait()
            yield CompletionResponse(text="first", delta="first")
            await asyncio.Event().wait()

        return gen()


class EventCapture(BaseEventHandler):
    """Records every instrumentation event; assertions happen outside `handle` (the dispatcher swallows errors)."""

    events: list[BaseEvent] = Field(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "EventCapture"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(event)

    def decisions(self) -> list[RoutingDecisionEvent]:
        return [event for event in self.events if isinstance(event, RoutingDecisionEvent)]

    def results(self) -> list[RoutingResultEvent]:
        return [event for event in self.events if isinstance(event, RoutingResultEvent)]


@pytest.fixture
def scorer() -> RuleScorer:
    """See `rule_scorer`."""
    return rule_scorer()


@pytest.fixture
def make_named() -> Any:
    """See `named`."""
    return named


@pytest.fixture
def make_failing() -> Any:
    """`FailingLLM(**fields)`."""
    return FailingLLM


@pytest.fixture
def events() -> Iterator[EventCapture]:
    """An `EventCapture` attached to the root dispatcher for the duration of a test."""
    capture = EventCapture()
    root = get_dispatcher()
    root.add_event_handler(capture)
    try:
        yield capture
    finally:
        root.event_handlers.remove(capture)


@pytest.fixture
def stats() -> Iterator[RoutingStats]:
    """A `RoutingStats` handler attached to the root dispatcher for the duration of a test."""
    handler = RoutingStats()
    root = get_dispatcher()
    root.add_event_handler(handler)
    try:
        yield handler
    finally:
        root.event_handlers.remove(handler)


@pytest.fixture
def hanging() -> Iterator[Any]:
    """`HangingLLM(**fields)`; every one made is released at teardown (no blocked thread outlives the test)."""
    made: list[HangingLLM] = []

    def make(**fields: Any) -> HangingLLM:
        made.append(HangingLLM(**fields))
        return made[-1]

    try:
        yield make
    finally:
        for llm in made:
            llm.release()


@pytest.fixture
def clean_settings() -> Iterator[None]:
    """Restore LlamaIndex's global `Settings` after a test that sets them."""
    saved = (Settings._llm, Settings._callback_manager, Settings._embed_model)
    try:
        yield
    finally:
        Settings._llm, Settings._callback_manager, Settings._embed_model = saved
