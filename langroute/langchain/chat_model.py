"""`RouterChatModel`: a LangChain chat model that sends each call to the right candidate model."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
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
from langchain_core.outputs import ChatGeneration, ChatResult, LLMResult
from langchain_core.runnables import Runnable, RunnableConfig, ensure_config
from pydantic import BaseModel, Field, field_validator, model_validator
from typing_extensions import Self

from langroute.conversation import Conversation
from langroute.decision import RoutingDecision
from langroute.langchain._runs import (
    DECISION_EVENT,
    areport,
    child_manager,
    first_chunk,
    record,
    report,
    stream_record,
    with_decision,
)
from langroute.langchain.messages import to_conversation
from langroute.langchain.structured import StructuredOutput
from langroute.langchain.tools import TOOLS_KWARG, ToolBinding, openai_view
from langroute.router import Router, check_fallback_on, check_models, check_scorer, default_scorer
from langroute.scorers.base import Scorer

__all__ = ["DECISION_EVENT", "RouterChatModel"]


_ROUTING_FIELDS: Final = frozenset({"models", "scorer", "thresholds", "fallbacks", "fallback_on"})
_ROUTER_PROVIDER: Final = "langroute"  # ls_provider of the router's own run: never a priced provider


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
    Tool calling / Structured output (the chosen candidate's own `bind_tools` / `with_structured_output`
    receive the caller's objects and options unchanged):
        ```python
        router.bind_tools([get_weather], strict=True).invoke("Weather in Paris?").tool_calls
        router.with_structured_output(Answer, method="json_schema").invoke("2 + 2?")
        ```

    Fallback: when the chosen candidate raises before producing output, the stronger candidates are tried,
    then the weaker ones (streams only before their first chunk); the decision then has ``fallback_from``.
    Forced routes do not fall back. When only one candidate was tried its own exception escapes unchanged;
    when several failed, an `AllCandidatesFailedError` that is also their common class (see `langroute.errors`).
    Under a retry layer, ``fallback_on`` keeps attempts from multiplying. In `stream`/`astream`, a ``run_id``
    given in the config names the run of the candidate that produces the tokens (so `astream_events` reports
    every token exactly once).

    Tracing: the router's run (``ls_provider="langroute"``) holds the candidate's run, which carries the
    provider's identity and token usage; the router's run records the answer without ``usage_metadata``.
    """

    models: dict[str, BaseChatModel]
    """Candidate chat models by name, ordered cheapest -> strongest."""

    scorer: Scorer = Field(default_factory=default_scorer)
    """How hard a conversation is, in [0, 1]. Defaults to `HeuristicScorer()`."""

    thresholds: list[float] | None = None
    """Ascending score cut-offs in [0, 1], one fewer than models; ``None`` spaces them evenly."""

    fallbacks: bool = True
    """When the chosen candidate raises, try the others (stronger first, then weaker)."""

    fallback_on: tuple[type[BaseException], ...] | Callable[[BaseException], bool] | None = None
    """Which errors fall back: exception classes or a predicate ``error -> bool``; ``None``: any `Exception`.

    Other errors escape unchanged, so a retry layer around the router (``ModelRetryMiddleware``, LangGraph's
    ``RetryPolicy``) retries them on the same candidate instead of every attempt trying every candidate, e.g.
    ``fallback_on=lambda e: not getattr(e, "is_retryable", False)`` leaves rate limits and 5xx to the retries.
    """

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

    @field_validator("fallback_on", mode="before")
    @classmethod
    def _check_fallback_on(cls, value: object) -> object:
        return check_fallback_on(value)

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
        return Router(
            list(self.models),
            scorer=self.scorer,
            thresholds=self.thresholds,
            fallbacks=self.fallbacks,
            fallback_on=self.fallback_on,
        )

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
        """The router as middleware sees it: ``ls_provider`` is the candidates' provider when they all share one.

        `SummarizationMiddleware` (trusting provider-reported token counts) and `ProviderToolSearchMiddleware`
        read ``ls_provider`` here. The router's own run is tagged ``ls_provider="langroute"`` instead (see
        `_get_ls_params_with_defaults`), so tracing never prices it as a model call: the candidate's child run is
        the provider's call.
        """
        params = self._ls_params(stop, kwargs)
        providers = {model._get_ls_params().get("ls_provider") for model in self.models.values()}
        if len(providers) == 1 and isinstance(provider := providers.pop(), str):
            params["ls_provider"] = provider
        return params

    def _get_ls_params_with_defaults(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        """The metadata of the router's own run: ``ls_provider="langroute"``, the chosen candidate's name."""
        params = self._ls_params(stop, kwargs)
        params["ls_integration"] = "langchain_chat_model"
        return params

    def _ls_params(self, stop: list[str] | None, kwargs: Mapping[str, Any]) -> LangSmithParams:
        route, model = kwargs.get("route"), kwargs.get("model")
        if not isinstance(model, str):
            model = route if route in self.models else next(iter(self.models))
        params = LangSmithParams(ls_provider=_ROUTER_PROVIDER, ls_model_name=model, ls_model_type="chat")
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
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | Any],
        *,
        tool_choice: str | dict[str, Any] | bool | None = None,
        route: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools; at call time the chosen candidate's own `bind_tools` gets them exactly as given here.

        The candidate receives the original objects (``BaseTool`` with its ``extras``, Pydantic models,
        functions, provider tool dicts) and every option (``strict=True``, ``parallel_tool_calls``,
        ``response_format``...), so it converts them as it would without the router. The binding's ``tools``
        kwarg holds them in OpenAI format, which is what LangGraph reads from a bound model.

        Args:
            tools: tools in any form the candidates' `bind_tools` accept.
            tool_choice: passed to the candidate's `bind_tools`.
            route: force a candidate by name for every call of the binding.
            **kwargs: other `bind_tools` options, passed to the candidate's unchanged.
        """
        options = dict(kwargs)
        structured_format = options.pop("ls_structured_output_format", None)  # traced, never sent
        if tool_choice is not None:
            options["tool_choice"] = tool_choice
        view = [openai_view(tool) for tool in tools]
        bound: dict[str, Any] = {"tools": view, TOOLS_KWARG: ToolBinding(tools, options, view)}
        if route is not None:
            self.router.policy.force(route, scorer=self.scorer.name)  # fail now on an unknown name
            bound["route"] = route
        if structured_format is not None:
            bound["ls_structured_output_format"] = structured_format
        return self.bind(**bound)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type,
        *,
        include_raw: bool = False,
        route: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Route each call, then use the chosen candidate's own ``with_structured_output(schema, **kwargs)``.

        ``method=`` ("json_schema", "json_mode", "function_calling"), ``strict=`` and any other option reach the
        candidate unchanged, so it uses its native structured output. An answer that fails to parse falls back
        like an error. The router's ``temperature`` / ``max_tokens`` apply; call-time model arguments do not
        (as with a plain model's structured output).

        ```python
        router.with_structured_output(Answer, method="json_schema", strict=True).invoke("2 + 2?")
        out = router.with_structured_output(Answer, include_raw=True).invoke("2 + 2?")
        out["raw"].response_metadata["langroute"]["model"]   # the candidate that answered
        ```

        Args:
            schema: the output schema (Pydantic class, TypedDict, JSON schema or OpenAI tool dict).
            include_raw: return ``{"raw": AIMessage, "parsed": ..., "parsing_error": ...}``.
            route: force a candidate by name for every call.
            **kwargs: the candidate's `with_structured_output` options, passed unchanged.
        """
        if route is not None:
            self.router.policy.force(route, scorer=self.scorer.name)  # fail now on an unknown name
        return StructuredOutput(self, schema, include_raw=include_raw, options=kwargs, route=route)

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
        return self._routed(input, config, stop, kwargs)

    async def ainvoke(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AIMessage:
        """Async `invoke`."""
        return await self._arouted(input, config, stop, kwargs)

    def _routed(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None,
        stop: list[str] | None,
        kwargs: dict[str, Any],
        structured: StructuredOutput | None = None,
    ) -> Any:
        """One routed call in the router's own run: `invoke`, or a `with_structured_output` call."""
        config, messages, call = self._prepare(input, config, stop, kwargs, structured)
        decision = self.router.decide(call.conversation, route=call.route)
        manager_args, start_args = self._run_args(config, stop, kwargs, decision)
        (run_manager,) = CallbackManager.configure(*manager_args).on_chat_model_start(
            self._serialized, [messages], run_id=config.pop("run_id", None), **start_args
        )
        try:
            if self.rate_limiter:
                self.rate_limiter.acquire(blocking=True)
            message, result = self._invoke_routed(messages, call, decision, run_manager)
        except BaseException as exc:
            run_manager.on_llm_error(exc, response=LLMResult(generations=[]))
            raise
        run_manager.on_llm_end(record(message))
        return result

    async def _arouted(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None,
        stop: list[str] | None,
        kwargs: dict[str, Any],
        structured: StructuredOutput | None = None,
    ) -> Any:
        """Async `_routed`."""
        config, messages, call = self._prepare(input, config, stop, kwargs, structured)
        decision = await self.router.adecide(call.conversation, route=call.route)
        manager_args, start_args = self._run_args(config, stop, kwargs, decision)
        (run_manager,) = await AsyncCallbackManager.configure(*manager_args).on_chat_model_start(
            self._serialized, [messages], run_id=config.pop("run_id", None), **start_args
        )
        try:
            if self.rate_limiter:
                await self.rate_limiter.aacquire(blocking=True)
            message, result = await self._ainvoke_routed(messages, call, decision, run_manager)
        except BaseException as exc:
            await run_manager.on_llm_error(exc, response=LLMResult(generations=[]))
            raise
        await run_manager.on_llm_end(record(message))
        return result

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        call = self._call(messages, stop, kwargs)
        decision = self.router.decide(call.conversation, route=call.route)
        message, _ = self._invoke_routed(messages, call, decision, run_manager)
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
        message, _ = await self._ainvoke_routed(messages, call, decision, run_manager)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _invoke_routed(
        self,
        messages: list[BaseMessage],
        call: _Call,
        decision: RoutingDecision,
        run_manager: CallbackManagerForLLMRun | None,
    ) -> tuple[AIMessage, Any]:
        """The candidates' attempts: (the answer with its decision, what the caller gets)."""
        child = child_manager(run_manager, CallbackManager)
        attempts = self.router.attempts(decision)
        for attempt in attempts:
            report(attempt, run_manager)
            try:
                output = call.model(attempt).invoke(messages, {"callbacks": child}, stop=call.stop, **call.kwargs)
                return call.answer(output, attempt)
            except Exception as exc:  # noqa: BLE001 - the fallback boundary
                attempts.failed(exc)
        raise AssertionError("unreachable: Attempts raises when no candidate is left")

    async def _ainvoke_routed(
        self,
        messages: list[BaseMessage],
        call: _Call,
        decision: RoutingDecision,
        run_manager: AsyncCallbackManagerForLLMRun | None,
    ) -> tuple[AIMessage, Any]:
        """Async `_invoke_routed`."""
        child = child_manager(run_manager, AsyncCallbackManager)
        attempts = self.router.attempts(decision)
        for attempt in attempts:
            await areport(attempt, run_manager)
            try:
                output = await call.model(attempt).ainvoke(
                    messages, {"callbacks": child}, stop=call.stop, **call.kwargs
                )
                return call.answer(output, attempt)
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
            run_manager.on_llm_error(exc, response=stream_record(chunks))
            raise
        run_manager.on_llm_end(stream_record(chunks))

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
            await run_manager.on_llm_error(exc, response=stream_record(chunks))
            raise
        await run_manager.on_llm_end(stream_record(chunks))

    def _stream_routed(
        self,
        messages: list[BaseMessage],
        call: _Call,
        decision: RoutingDecision,
        run_manager: CallbackManagerForLLMRun,
        run_id: UUID | None,
    ) -> Iterator[AIMessageChunk]:
        child = child_manager(run_manager, CallbackManager)
        attempts = self.router.attempts(decision)
        for attempt in attempts:
            report(attempt, run_manager)
            config: RunnableConfig = {"callbacks": child, "run_id": run_id} if run_id else {"callbacks": child}
            stream = call.model(attempt).stream(messages, config, stop=call.stop, **call.kwargs)
            try:
                first = next(stream, None)  # fall back only before the first chunk
            except Exception as exc:  # noqa: BLE001 - the fallback boundary
                attempts.failed(exc)
                run_id = None
                continue
            yield first_chunk(first, attempt)
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
        child = child_manager(run_manager, AsyncCallbackManager)
        attempts = self.router.attempts(decision)
        for attempt in attempts:
            await areport(attempt, run_manager)
            config: RunnableConfig = {"callbacks": child, "run_id": run_id} if run_id else {"callbacks": child}
            stream = call.model(attempt).astream(messages, config, stop=call.stop, **call.kwargs)
            try:
                first = await anext(stream, None)  # fall back only before the first chunk
            except Exception as exc:  # noqa: BLE001 - the fallback boundary
                attempts.failed(exc)
                run_id = None
                continue
            yield first_chunk(first, attempt)
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
        kwargs.pop(TOOLS_KWARG, None)  # the tool objects are traced in OpenAI form, as ``tools``
        # the router run's own identity (names the chosen model), local: the candidate's run states its own
        ls_params: dict[str, Any] = self._get_ls_params_with_defaults(stop=stop, **{**kwargs, "route": decision.model})
        manager_args = (
            config.get("callbacks"),
            self.callbacks,
            self.verbose,
            config.get("tags"),
            self.tags,
            config.get("metadata"),
            {**ls_params, **self.metadata} if self.metadata else ls_params,
        )
        start_args = {
            "invocation_params": self._get_invocation_params(stop=stop, **kwargs),
            "options": {"stop": stop, **kwargs},
            "name": config.get("run_name"),
            "batch_size": 1,
        }
        return manager_args, start_args

    def _prepare(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None,
        stop: list[str] | None,
        kwargs: dict[str, Any],
        structured: StructuredOutput | None = None,
    ) -> tuple[RunnableConfig, list[BaseMessage], _Call]:
        """The config, the input as messages, and the call's arguments split for router and candidate."""
        messages = self._convert_input(input).to_messages()
        return ensure_config(config), messages, self._call(messages, stop, kwargs, structured)

    def _call(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None,
        kwargs: dict[str, Any],
        structured: StructuredOutput | None = None,
    ) -> _Call:
        """Split one call's keyword arguments: what the router reads, what the candidate gets.

        The router takes ``route`` and ``ls_structured_output_format``; tools travel as a `ToolBinding` (the
        caller's objects and ``bind_tools`` options) or, when a caller passed ``tools=`` itself, as that list with
        a call-time ``tool_choice``; everything else is passed to the candidate's `invoke`, after the router's
        own ``temperature`` / ``max_tokens`` defaults.
        """
        kwargs = dict(kwargs)
        route = kwargs.pop("route", None)
        kwargs.pop("ls_structured_output_format", None)
        tools = kwargs.pop("tools", None)
        binding = kwargs.pop(TOOLS_KWARG, None)
        if binding is not None and tools is not binding.view:  # a caller re-bound tools=: those win
            binding = ToolBinding(tools or (), binding.options, tools or [])
        elif binding is None and tools:
            binding = ToolBinding(tools, {}, tools)
        if binding is not None and "tool_choice" in kwargs:  # a call-time choice: bind for this call only
            binding = ToolBinding(binding.tools, {**binding.options, "tool_choice": kwargs.pop("tool_choice")}, [])
        if structured is None:
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
            tools=binding,
            structured=structured,
            kwargs=kwargs,
        )


@dataclass(frozen=True, slots=True)
class _Call:
    """One call's arguments, split into what the router uses and what the candidate gets."""

    models: Mapping[str, BaseChatModel]
    conversation: Conversation | None
    route: str | None
    stop: list[str] | None
    tools: ToolBinding | None = None
    structured: StructuredOutput | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)

    def model(self, decision: RoutingDecision) -> Runnable[LanguageModelInput, Any]:
        """The chosen candidate: bound with the call's tools, or its own structured-output runnable."""
        model = self.models[decision.model]
        if self.structured is not None:
            return self.structured.candidate(model)
        return self.tools.bind(model) if self.tools is not None else model

    def answer(self, output: Any, decision: RoutingDecision) -> tuple[AIMessage, Any]:
        """The candidate's answer with the decision attached, and what the caller gets."""
        if self.structured is not None:
            return self.structured.answer(output, decision)
        message = with_decision(output, decision)
        return message, message
