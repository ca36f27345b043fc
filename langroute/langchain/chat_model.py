"""`RouterChatModel`: a LangChain chat model that sends each call to the right candidate model."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final, cast
from uuid import UUID

from langchain_core.callbacks import (
    AsyncCallbackManager,
    AsyncCallbackManagerForLLMRun,
    CallbackManager,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.base import LangSmithParams
from langchain_core.language_models.model_profile import ModelProfile
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult, LLMResult
from langchain_core.runnables import Runnable, RunnableConfig, ensure_config
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field, field_validator, model_validator
from typing_extensions import Self

from langroute.conversation import Conversation
from langroute.decision import RoutingDecision
from langroute.langchain.messages import to_conversation
from langroute.router import Router, check_models, check_scorer, default_scorer
from langroute.scorers.base import Scorer

__all__ = ["DECISION_EVENT", "RouterChatModel"]


DECISION_EVENT: Final = "langroute_decision"
"""Name of the LangChain custom event that carries each routing decision (its data is the decision dict)."""

_ROUTING_FIELDS: Final = frozenset({"models", "scorer", "thresholds", "fallbacks"})
_TOOL_OPTIONS: Final = "langroute_tool_options"  # bound kwarg holding bind_tools options for the candidate


class RouterChatModel(BaseChatModel):
    """Send each call to the cheapest candidate chat model that can handle it.

    A scorer rates the conversation from 0 (trivial) to 1 (hardest); the thresholds map the score onto the
    candidates, cheapest first; the call is delegated to the chosen model, whose run is a child of the
    router's run. Every decision is reported as a ``"langroute_decision"`` custom event (before the first
    token) and in ``response_metadata["langroute"]``.

    Setup:
        `pip install "langroute[langchain]"`
    Key init args:
        models: chat models by name, cheapest first.  scorer: how hard a conversation is.
        thresholds: score cut-offs, one fewer than models (default: evenly spaced).
    Instantiate:
        ```python
        from langroute import RouterChatModel
        router = RouterChatModel(models={"small": small, "large": large}, thresholds=[0.6])
        ```
    Invoke:
        ```python
        msg = router.invoke("hi")
        msg.response_metadata["langroute"]   # {'model': 'small', 'score': 0.03, 'reason': 'simple=1.00', ...}
        router.invoke("hi", route="large")   # force a candidate; also router.bind(route="large")
        ```
    Stream / Async:
        ```python
        for chunk in router.stream("Explain CRDTs step by step"): print(chunk.content, end="")
        await router.ainvoke("hi")
        ```
    Tool calling / Structured output:
        ```python
        router.bind_tools([get_weather]).invoke("Weather in Paris?").tool_calls
        router.with_structured_output(Answer).invoke("2 + 2?")
        ```

    Fallback: when the chosen candidate raises before producing output, the stronger candidates are tried,
    then the weaker ones (streams only before their first chunk); the decision then has ``fallback_from``.
    Forced routes do not fall back. In `stream`/`astream`, a ``run_id`` given in the config names the run of
    the candidate that produces the tokens (so `astream_events` reports every token exactly once).
    """

    models: dict[str, BaseChatModel]
    """Candidate chat models by name, ordered cheapest -> strongest."""

    scorer: Scorer = Field(default_factory=default_scorer)
    """How hard a conversation is, in [0, 1]. Defaults to `HeuristicScorer()`."""

    thresholds: list[float] | None = None
    """Ascending score cut-offs in [0, 1], one fewer than models; ``None`` spaces them evenly."""

    fallbacks: bool = True
    """When the chosen candidate raises, try the others (stronger first, then weaker)."""

    temperature: float | None = None
    """Sampling temperature forwarded to the chosen candidate on every call, when set."""

    max_tokens: int | None = None
    """Output token limit forwarded to the chosen candidate on every call, when set."""

    stop: list[str] | None = None
    """Default stop sequences forwarded to the chosen candidate (a per-call ``stop`` wins)."""

    @field_validator("models", mode="before")
    @classmethod
    def _check_models(cls, value: object) -> dict[str, BaseChatModel]:
        return check_models(value, BaseChatModel, "a LangChain chat model (BaseChatModel)")

    @field_validator("scorer", mode="before")
    @classmethod
    def _check_scorer(cls, value: object) -> Scorer:
        return check_scorer(value)

    @model_validator(mode="after")
    def _build_router(self) -> Self:
        self.router  # noqa: B018 - build it now, so a bad config fails at construction
        return self

    @cached_property
    def router(self) -> Router:
        """The framework-free routing engine (scorer + policy) behind this model.

        A `cached_property` rather than a pydantic private attribute: it is read on every call, and reading a
        private attribute goes through `BaseModel.__getattr__` (about 2 us a read).
        """
        return Router(list(self.models), scorer=self.scorer, thresholds=self.thresholds, fallbacks=self.fallbacks)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """Copy the model; a copy whose routing fields change gets its own (validated) router."""
        copy = super().model_copy(update=update, deep=deep)
        if update and not _ROUTING_FIELDS.isdisjoint(update):
            copy.__dict__.pop("router", None)
            copy.router  # noqa: B018 - build it now, so a bad value fails here
        return copy

    def decide(self, input: LanguageModelInput, *, route: str | None = None) -> RoutingDecision:
        """The decision the router would make for `input`, without calling any model."""
        return self.router.decide(to_conversation(self._convert_input(input).to_messages()), route=route)

    # -- LangChain metadata -------------------------------------------------------------------------------------

    @property
    def _llm_type(self) -> str:
        return "langroute-router"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "candidates": list(self.models),
            "scorer": self.scorer.name,
            "thresholds": list(self.router.policy.thresholds),
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        route, model = kwargs.get("route"), kwargs.get("model")
        if not isinstance(model, str):
            model = route if route in self.models else next(iter(self.models))
        params = LangSmithParams(ls_provider="langroute", ls_model_name=model, ls_model_type="chat")
        temperature = kwargs.get("temperature", self.temperature)
        if isinstance(temperature, (int, float)):
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if isinstance(max_tokens, int):
            params["ls_max_tokens"] = max_tokens
        if stop or self.stop:
            params["ls_stop"] = stop or self.stop
        return params

    def _resolve_model_profile(self) -> ModelProfile | None:
        """What every candidate supports: booleans only if all have them, the smallest limits."""
        profiles = [model.profile for model in self.models.values()]
        if not profiles or any(p is None for p in profiles):
            return None
        merged: dict[str, Any] = {}
        for key in set.intersection(*(set(p) for p in profiles if p is not None)):
            values = [p[key] for p in profiles if p is not None]  # type: ignore[literal-required]
            if all(isinstance(v, bool) for v in values):
                merged[key] = all(values)
            elif all(isinstance(v, int) for v in values):
                merged[key] = min(values)
            elif all(v == values[0] for v in values):
                merged[key] = values[0]
        return cast(ModelProfile, merged)

    # -- tools --------------------------------------------------------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Any],
        *,
        tool_choice: str | dict[str, Any] | bool | None = None,
        route: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools; at call time the chosen candidate is bound with them through its own `bind_tools`.

        Args:
            tools: anything `convert_to_openai_tool` accepts; bound in OpenAI format (what LangGraph reads).
            tool_choice: passed to the candidate's `bind_tools`.
            route: force a candidate by name for every call of the binding.
            **kwargs: other `bind_tools` options (e.g. ``parallel_tool_calls``) passed to the candidate's.
        """
        bound: dict[str, Any] = {"tools": [convert_to_openai_tool(tool) for tool in tools]}
        if tool_choice is not None:
            bound["tool_choice"] = tool_choice
        if route is not None:
            self.router.policy.force(route, scorer=self.scorer.name)  # fail now on an unknown name
            bound["route"] = route
        if "ls_structured_output_format" in kwargs:  # traced on the router's run, never sent to a candidate
            bound["ls_structured_output_format"] = kwargs.pop("ls_structured_output_format")
        if kwargs:
            bound[_TOOL_OPTIONS] = kwargs
        return self.bind(**bound)

    # -- invoke and stream ------------------------------------------------------------------------------------
    # The router opens its own run (decision first, so the run's metadata names the chosen model), then calls
    # the candidate as a child run. It never emits tokens itself, so callback handlers (and LangGraph) see each
    # token once, from the candidate's run. `BaseChatModel.stream` calls `_stream` without a run manager and
    # its `invoke` adds a second pass of run bookkeeping, hence the public methods are overridden; `_generate`
    # serves the legacy `generate()` path with the same loop.

    def invoke(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AIMessage:
        """Route `input` and return the chosen candidate's answer, with ``response_metadata["langroute"]``."""
        config, messages, call = self._prepare(input, config, stop, kwargs)
        decision = self.router.decide(call.conversation, route=call.route)
        manager_args, start_args = self._run_args(config, stop, kwargs, decision)
        (run_manager,) = CallbackManager.configure(*manager_args).on_chat_model_start(
            self._serialized, [messages], run_id=config.pop("run_id", None), **start_args
        )
        try:
            if self.rate_limiter:
                self.rate_limiter.acquire(blocking=True)
            message = self._invoke_routed(messages, call, decision, run_manager)
        except BaseException as exc:
            run_manager.on_llm_error(exc, response=LLMResult(generations=[]))
            raise
        run_manager.on_llm_end(LLMResult(generations=[[ChatGeneration(message=message)]]))
        return message

    async def ainvoke(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AIMessage:
        """Async `invoke`."""
        config, messages, call = self._prepare(input, config, stop, kwargs)
        decision = await self.router.adecide(call.conversation, route=call.route)
        manager_args, start_args = self._run_args(config, stop, kwargs, decision)
        (run_manager,) = await AsyncCallbackManager.configure(*manager_args).on_chat_model_start(
            self._serialized, [messages], run_id=config.pop("run_id", None), **start_args
        )
        try:
            if self.rate_limiter:
                await self.rate_limiter.aacquire(blocking=True)
            message = await self._ainvoke_routed(messages, call, decision, run_manager)
        except BaseException as exc:
            await run_manager.on_llm_error(exc, response=LLMResult(generations=[]))
            raise
        await run_manager.on_llm_end(LLMResult(generations=[[ChatGeneration(message=message)]]))
        return message

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        call = self._call(messages, stop, kwargs)
        decision = self.router.decide(call.conversation, route=call.route)
        message = self._invoke_routed(messages, call, decision, run_manager)
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        call = self._call(messages, stop, kwargs)
        decision = await self.router.adecide(call.conversation, route=call.route)
        message = await self._ainvoke_routed(messages, call, decision, run_manager)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _invoke_routed(
        self,
        messages: list[BaseMessage],
        call: _Call,
        decision: RoutingDecision,
        run_manager: CallbackManagerForLLMRun | None,
    ) -> AIMessage:
        child = _child_manager(run_manager, CallbackManager)
        attempts = self.router.attempts(decision)
        for attempt in attempts:
            _report(attempt, run_manager)
            try:
                message = call.model(attempt).invoke(messages, {"callbacks": child}, stop=call.stop, **call.kwargs)
                return _with_decision(message, attempt)
            except Exception as exc:  # noqa: BLE001 - the fallback boundary
                attempts.failed(exc)
        raise AssertionError("unreachable: Attempts raises when no candidate is left")

    async def _ainvoke_routed(
        self,
        messages: list[BaseMessage],
        call: _Call,
        decision: RoutingDecision,
        run_manager: AsyncCallbackManagerForLLMRun | None,
    ) -> AIMessage:
        child = _child_manager(run_manager, AsyncCallbackManager)
        attempts = self.router.attempts(decision)
        for attempt in attempts:
            await _areport(attempt, run_manager)
            try:
                message = await call.model(attempt).ainvoke(
                    messages, {"callbacks": child}, stop=call.stop, **call.kwargs
                )
                return _with_decision(message, attempt)
            except Exception as exc:  # noqa: BLE001 - the fallback boundary
                attempts.failed(exc)
        raise AssertionError("unreachable: Attempts raises when no candidate is left")

    def stream(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> Iterator[AIMessageChunk]:
        """Stream the chosen candidate's own chunks; the first carries ``response_metadata["langroute"]``."""
        if not self._streams(kwargs):
            yield cast(AIMessageChunk, self.invoke(input, config, stop=stop, **kwargs))
            return
        config, messages, call = self._prepare(input, config, stop, kwargs)
        decision = self.router.decide(call.conversation, route=call.route)
        token_run_id = config.pop("run_id", None)
        manager_args, start_args = self._run_args(config, stop, kwargs, decision)
        (run_manager,) = CallbackManager.configure(*manager_args).on_chat_model_start(
            self._serialized, [messages], **start_args
        )
        chunks: list[AIMessageChunk] = []
        try:
            if self.rate_limiter:
                self.rate_limiter.acquire(blocking=True)
            for chunk in self._stream_routed(messages, call, decision, run_manager, token_run_id):
                chunks.append(chunk)
                yield chunk
        except BaseException as exc:
            run_manager.on_llm_error(exc, response=_llm_result(chunks))
            raise
        run_manager.on_llm_end(_llm_result(chunks))

    async def astream(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[AIMessageChunk]:
        """Async `stream`."""
        if not self._streams(kwargs):
            yield cast(AIMessageChunk, await self.ainvoke(input, config, stop=stop, **kwargs))
            return
        config, messages, call = self._prepare(input, config, stop, kwargs)
        decision = await self.router.adecide(call.conversation, route=call.route)
        token_run_id = config.pop("run_id", None)
        manager_args, start_args = self._run_args(config, stop, kwargs, decision)
        (run_manager,) = await AsyncCallbackManager.configure(*manager_args).on_chat_model_start(
            self._serialized, [messages], **start_args
        )
        chunks: list[AIMessageChunk] = []
        try:
            if self.rate_limiter:
                await self.rate_limiter.aacquire(blocking=True)
            async for chunk in self._astream_routed(messages, call, decision, run_manager, token_run_id):
                chunks.append(chunk)
                yield chunk
        except BaseException as exc:
            await run_manager.on_llm_error(exc, response=_llm_result(chunks))
            raise
        await run_manager.on_llm_end(_llm_result(chunks))

    def _stream_routed(
        self,
        messages: list[BaseMessage],
        call: _Call,
        decision: RoutingDecision,
        run_manager: CallbackManagerForLLMRun,
        run_id: UUID | None,
    ) -> Iterator[AIMessageChunk]:
        child = _child_manager(run_manager, CallbackManager)
        attempts = self.router.attempts(decision)
        for attempt in attempts:
            _report(attempt, run_manager)
            config: RunnableConfig = {"callbacks": child, "run_id": run_id} if run_id else {"callbacks": child}
            stream = call.model(attempt).stream(messages, config, stop=call.stop, **call.kwargs)
            try:
                first = next(stream, None)  # fall back only before the first chunk
            except Exception as exc:  # noqa: BLE001 - the fallback boundary
                attempts.failed(exc)
                run_id = None
                continue
            yield _first_chunk(first, attempt)
            yield from stream
            return

    async def _astream_routed(
        self,
        messages: list[BaseMessage],
        call: _Call,
        decision: RoutingDecision,
        run_manager: AsyncCallbackManagerForLLMRun,
        run_id: UUID | None,
    ) -> AsyncIterator[AIMessageChunk]:
        child = _child_manager(run_manager, AsyncCallbackManager)
        attempts = self.router.attempts(decision)
        for attempt in attempts:
            await _areport(attempt, run_manager)
            config: RunnableConfig = {"callbacks": child, "run_id": run_id} if run_id else {"callbacks": child}
            stream = call.model(attempt).astream(messages, config, stop=call.stop, **call.kwargs)
            try:
                first = await anext(stream, None)  # fall back only before the first chunk
            except Exception as exc:  # noqa: BLE001 - the fallback boundary
                attempts.failed(exc)
                run_id = None
                continue
            yield _first_chunk(first, attempt)
            async for chunk in stream:
                yield chunk
            return

    # -- helpers ------------------------------------------------------------------------------------------------

    def _streams(self, kwargs: Mapping[str, Any]) -> bool:
        if self.disable_streaming is True:
            return False
        return not (self.disable_streaming == "tool_calling" and kwargs.get("tools"))

    def _run_args(
        self, config: RunnableConfig, stop: list[str] | None, kwargs: dict[str, Any], decision: RoutingDecision
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Arguments of `CallbackManager.configure` and `on_chat_model_start` for the router's own run."""
        kwargs.pop("ls_structured_output_format", None)
        ls_params = self._get_ls_params(stop=stop, **{**kwargs, "route": decision.model})  # names the chosen model
        metadata = {**(config.get("metadata") or {}), **ls_params}
        manager_args = (
            config.get("callbacks"),
            self.callbacks,
            self.verbose,
            config.get("tags"),
            self.tags,
            metadata,
            self.metadata,
        )
        start_args = {
            "invocation_params": self._get_invocation_params(stop=stop, **kwargs),
            "options": {"stop": stop, **kwargs},
            "name": config.get("run_name"),
            "batch_size": 1,
        }
        return manager_args, start_args

    def _prepare(
        self, input: LanguageModelInput, config: RunnableConfig | None, stop: list[str] | None, kwargs: dict[str, Any]
    ) -> tuple[RunnableConfig, list[BaseMessage], _Call]:
        """The config, the input as messages, and the call's arguments split for router and candidate."""
        messages = self._convert_input(input).to_messages()
        return ensure_config(config), messages, self._call(messages, stop, kwargs)

    def _call(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]) -> _Call:
        kwargs = dict(kwargs)
        route = kwargs.pop("route", None)
        tools = kwargs.pop("tools", None)
        tool_options = dict(kwargs.pop(_TOOL_OPTIONS, None) or {})
        if "tool_choice" in kwargs:
            tool_options["tool_choice"] = kwargs.pop("tool_choice")
        kwargs.pop("ls_structured_output_format", None)
        for name in ("temperature", "max_tokens"):
            value = getattr(self, name)
            if value is not None:
                kwargs.setdefault(name, value)
        return _Call(
            models=self.models,
            # a forced route is not scored: skip reading the messages
            conversation=None if route is not None else to_conversation(messages, has_tools=bool(tools)),
            route=route,
            stop=stop if stop is not None else self.stop,
            tools=tools,
            tool_options=tool_options,
            kwargs=kwargs,
        )


@dataclass(frozen=True, slots=True)
class _Call:
    """One call's arguments, split into what the router uses and what the candidate gets."""

    models: Mapping[str, BaseChatModel]
    conversation: Conversation | None
    route: str | None
    stop: list[str] | None
    tools: list[dict[str, Any]] | None
    tool_options: dict[str, Any] = field(default_factory=dict)
    kwargs: dict[str, Any] = field(default_factory=dict)

    def model(self, decision: RoutingDecision) -> Runnable[LanguageModelInput, BaseMessage]:
        """The chosen candidate, bound with the call's tools when there are any."""
        model = self.models[decision.model]
        return model.bind_tools(self.tools, **self.tool_options) if self.tools else model


def _child_manager(run_manager: Any, manager_cls: type[Any]) -> Any:
    """A callback manager for the candidate's run: the router's inheritable handlers, tags and metadata."""
    if run_manager is None:
        return None
    manager = manager_cls(handlers=[], parent_run_id=run_manager.run_id)
    manager.set_handlers(run_manager.inheritable_handlers)
    manager.add_tags(run_manager.inheritable_tags)
    manager.add_metadata(run_manager.inheritable_metadata)
    return manager


def _event_manager(run_manager: Any, manager_cls: type[Any]) -> Any:
    """A manager that reaches all of the router run's handlers (local ones too), to report a decision."""
    return manager_cls(
        handlers=run_manager.handlers,
        parent_run_id=run_manager.run_id,
        tags=run_manager.tags,
        metadata=run_manager.metadata,
    )


def _report(decision: RoutingDecision, run_manager: CallbackManagerForLLMRun | None) -> None:
    if run_manager is not None and run_manager.handlers:  # no handler, no one to tell
        manager = _event_manager(run_manager, CallbackManager)
        manager.on_custom_event(DECISION_EVENT, decision.to_dict(), run_id=run_manager.run_id)


async def _areport(decision: RoutingDecision, run_manager: AsyncCallbackManagerForLLMRun | None) -> None:
    if run_manager is not None and run_manager.handlers:
        manager = _event_manager(run_manager, AsyncCallbackManager)
        await manager.on_custom_event(DECISION_EVENT, decision.to_dict(), run_id=run_manager.run_id)


def _with_decision(message: BaseMessage, decision: RoutingDecision) -> Any:
    metadata = {**message.response_metadata, "langroute": decision.to_dict()}
    return message.model_copy(update={"response_metadata": metadata})


def _first_chunk(chunk: AIMessageChunk | None, decision: RoutingDecision) -> AIMessageChunk:
    """The first chunk carries the decision (streamed metadata merges by concatenation: attach it once)."""
    return cast(AIMessageChunk, _with_decision(chunk if chunk is not None else AIMessageChunk(content=""), decision))


def _llm_result(chunks: list[AIMessageChunk]) -> LLMResult:
    if not chunks:
        return LLMResult(generations=[])
    merged = _as_chunk(chunks[0]) if len(chunks) == 1 else _as_chunk(chunks[0]) + [_as_chunk(c) for c in chunks[1:]]
    return LLMResult(generations=[[ChatGenerationChunk(message=merged)]])


def _as_chunk(message: BaseMessage) -> AIMessageChunk:
    """A candidate that cannot stream yields its whole `AIMessage` from `stream`; read it as one chunk."""
    if isinstance(message, AIMessageChunk):
        return message
    fields = message.model_dump(exclude={"type"})
    return AIMessageChunk(**fields)
