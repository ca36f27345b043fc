"""Fixtures for the LlamaIndex adapter tests: named stand-in candidates, failing LLMs, provider-like errors, event
capture."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from llama_index.core import Settings
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.bridge.pydantic import Field
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_completion_callback
from llama_index.core.llms.mock import MockFunctionCallingLLM

from langroute import RuleScorer
from langroute.llama_index import RoutingDecisionEvent

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
def clean_settings() -> Iterator[None]:
    """Restore LlamaIndex's global `Settings` after a test that sets them."""
    saved = (Settings._llm, Settings._callback_manager, Settings._embed_model)
    try:
        yield
    finally:
        Settings._llm, Settings._callback_manager, Settings._embed_model = saved
