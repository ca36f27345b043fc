"""Small LangChain models for the tests: real fakes (subclasses of the stock ones), no mocks."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler, CallbackManagerForLLMRun
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from pydantic import Field

from langroute import CallableScorer, RouterChatModel
from langroute.langchain.testing import FakeToolChatModel


def replies(*texts: str | AIMessage) -> Iterator[AIMessage]:
    """An endless-enough iterator of replies for a fake model."""
    return iter([t if isinstance(t, AIMessage) else AIMessage(t) for t in texts] * 50)


class BrokenChatModel(GenericFakeChatModel):
    """Raises on every call, before producing output."""

    error: str = "provider down"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        raise ConnectionError(self.error)


class MidStreamFailure(GenericFakeChatModel):
    """Streams one chunk, then raises."""

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: Any = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kw: Any,
    ) -> Iterator[ChatGenerationChunk]:
        stream = super()._stream(messages, stop=stop, run_manager=run_manager, **kw)
        yield next(stream)
        raise ConnectionError("cut mid-stream")


def fixed(value: float) -> CallableScorer:
    """A scorer that always returns `value`."""
    return CallableScorer(lambda conv: value, label=f"fixed {value}")


def router_for(score: float, **models: Any) -> RouterChatModel:
    """A router over `models` whose scorer always returns `score`."""
    return RouterChatModel(models=models, scorer=fixed(score))


def two_models(small_reply: str = "small says hi", large_reply: str = "large says hi") -> dict[str, FakeToolChatModel]:
    return {
        "small": FakeToolChatModel(messages=replies(AIMessage(small_reply, id="small-id"))),
        "large": FakeToolChatModel(messages=replies(AIMessage(large_reply, id="large-id"))),
    }


class RunLog(BaseCallbackHandler):
    """Records chat model starts, ends, tokens and custom events with their run ids."""

    def __init__(self) -> None:
        self.starts: list[dict[str, Any]] = []
        self.tokens: list[tuple[str, Any]] = []
        self.events: list[tuple[str, Any, Any]] = []
        self.ends: list[Any] = []
        self.errors: list[Any] = []

    def on_chat_model_start(
        self,
        serialized: Any,
        messages: Any,
        *,
        run_id: Any,
        parent_run_id: Any = None,
        tags: Any = None,
        metadata: Any = None,
        **kwargs: Any,
    ) -> None:
        self.starts.append(
            {
                "run_id": run_id,
                "parent": parent_run_id,
                "tags": tags or [],
                "metadata": metadata or {},
                "name": kwargs.get("name"),
            }
        )

    def on_llm_new_token(self, token: str, *, run_id: Any, **kwargs: Any) -> None:
        self.tokens.append((token, run_id))

    def on_llm_end(self, response: Any, *, run_id: Any, **kwargs: Any) -> None:
        self.ends.append(run_id)

    def on_llm_error(self, error: BaseException, *, run_id: Any, **kwargs: Any) -> None:
        self.errors.append((run_id, error))

    def on_custom_event(self, name: str, data: Any, *, run_id: Any, **kwargs: Any) -> None:
        self.events.append((name, data, run_id))


class RaisingChatModel(GenericFakeChatModel):
    """Raises `error` (the same object every time) on each call and counts the calls."""

    error: BaseException
    calls: int = 0

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        self.calls += 1
        raise self.error


class HangingChatModel(GenericFakeChatModel):
    """Hangs until `release` is set (bounded at 10 s): before answering, or after its first streamed chunk."""

    release: threading.Event = Field(default_factory=threading.Event)
    after_first_chunk: bool = False

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        self.release.wait(10)
        return super()._generate(messages, stop=stop, run_manager=run_manager, **kw)

    async def _agenerate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        await asyncio.sleep(10)  # cancelled by the router's timeout
        return super()._generate(messages, stop=stop, **kw)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: Any = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kw: Any,
    ) -> Iterator[ChatGenerationChunk]:
        words = str(next(self.messages).content).split(" ")
        if not self.after_first_chunk:
            self.release.wait(10)
        yield ChatGenerationChunk(message=AIMessageChunk(content=words[0]))
        self.release.wait(10)
        for word in words[1:]:
            yield ChatGenerationChunk(message=AIMessageChunk(content=" " + word))
