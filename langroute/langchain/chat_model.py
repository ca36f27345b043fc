"""`RouterChatModel`: a LangChain chat model that sends each call to the right candidate model."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from functools import cached_property
from typing import Any, Final, Literal, cast

from langchain_core.callbacks import (
    AsyncCallbackManager,
    AsyncCallbackManagerForLLMRun,
    BaseCallbackManager,
    CallbackManager,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.language_models.base import LangSmithParams
from langchain_core.language_models.model_profile import ModelProfile
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult, LLMResult
from langchain_core.runnables import Runnable, RunnableConfig, ensure_config
from langchain_core.utils.uuid import uuid7
from pydantic import BaseModel, Field, SkipValidation
from typing_extensions import Self

from langroute.candidates import Candidate
from langroute.classifiers.base import Classifier
from langroute.conversation import Conversation, Turn
from langroute.decision import RoutingDecision
from langroute.feedback import FeedbackStore
from langroute.langchain import _calls
from langroute.langchain._calls import Call
from langroute.langchain._candidates import ROUTER_OPTIONS, build_router, read_candidates, thread_id
from langroute.langchain._runs import (
    DECISION_EVENT,
    areplay,
    may_listen,
    record,
    replay,
    stream_record,
    streams_tokens,
)
from langroute.langchain.messages import to_conversation, tool_loop_model
from langroute.langchain.structured import StructuredOutput
from langroute.langchain.tools import TOOLS_KWARG, ToolBinding, openai_view
from langroute.router import Router, default_scorer
from langroute.scorers.base import Scorer

__all__ = ["DECISION_EVENT", "RouterChatModel"]


_ROUTING_FIELDS: Final = frozenset({"models", *ROUTER_OPTIONS})
_ROUTER_PROVIDER: Final = "langroute"  # ls_provider of the router's own run: never a priced provider


class RouterChatModel(BaseChatModel):
    """Send each call to the cheapest candidate chat model that can handle it.

    A classifier (or ``task=``) picks the request's ladder of candidates, candidates that cannot serve it (images,
    tools, structured output, context window) are set aside, and a scorer rates the conversation from 0 (trivial)
    to 1 (hardest); the thresholds map the score onto the ladder, cheapest first. The call is delegated to the
    chosen model, whose run is a child of the router's run. Every decision (the first choice, each fallback and
    escalation) is reported as a ``"langroute_decision"`` custom event, and the answer's decision, with its
    ``cost_usd`` when the candidates are priced, in ``response_metadata["langroute"]``; its ``id`` is the router
    run's id, which `record_feedback` takes.

    Setup:
        `pip install "langroute[langchain]"`
    Key init args:
        models: chat models by name, cheapest first, or a list of `Candidate` (prices, capabilities, timeouts).
        scorer: how hard a conversation is.  thresholds: score cut-offs (one list, or one per task ladder).
        routes / classifier: task ladders and who finds the task.  escalate: answer checks for a quality cascade.
    Instantiate:
        ```python
        from langroute import Candidate, RouterChatModel
        router = RouterChatModel(
            models=[Candidate("small", small, input_cost=0.15, output_cost=0.6), Candidate("large", large)],
            thresholds=[0.6],
        )
        ```
    Invoke:
        ```python
        msg = router.invoke("hi")
        msg.response_metadata["langroute"]   # {'id': ..., 'model': 'small', 'score': 0.03, 'reason': ..., ...}
        router.invoke("hi", route="large")   # force a candidate; also router.bind(route="large")
        router.invoke(contract_question, task="legal")   # the task's ladder; also router.bind(task="legal")
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
    Feedback:
        ```python
        router = RouterChatModel(models=..., feedback=FeedbackStore("sqlite:///feedback.db"), explore=0.05)
        msg = router.invoke("hi")
        router.record_feedback(msg.response_metadata["langroute"]["id"], 1.0)   # thumbs up
        router.learn()                                                           # adapt the scorer
        ```

    Fallback: when the chosen candidate raises (or times out, see ``timeout``) before producing output, the
    stronger candidates are tried, then the weaker ones (streams only before their first chunk); the decision then
    has ``fallback_from``. Forced routes do not fall back. When only one candidate was tried its own exception
    escapes unchanged; when several failed, an `AllCandidatesFailedError` that is also their common class (see
    `langroute.errors`). Under a retry layer, ``fallback_on`` keeps attempts from multiplying. In
    `stream`/`astream`, a ``run_id`` given in the config names the run that produces the tokens (so
    `astream_events` reports every token exactly once).

    Quality cascade: with ``escalate=[...]`` each answer is checked and a failed one goes to the next stronger
    candidate. A stream then cannot show tokens before the answer is checked: the candidate is invoked, checked,
    and the accepted answer is streamed as one chunk (also in ``astream_events`` and LangGraph's
    ``stream_mode="messages"``, which never see a rejected answer). That is the trade-off: no token-by-token
    output while checks are on; the whole answer arrives at once, within ``timeout`` (not ``stream_timeout``).

    Tracing: the router's run (``ls_provider="langroute"``) holds the candidate's run, which carries the
    provider's identity and token usage; the router's run records the answer without ``usage_metadata``.
    Assigning a routing field (``router.thresholds = [0.7]``) validates it and rebuilds the router (its circuit
    breakers, thread memory and exploration state start afresh), or raises and changes nothing.
    """

    models: dict[str, BaseChatModel]
    """Candidate chat models by name, ordered cheapest -> strongest. Pass a list of `Candidate` for prices,
    capabilities and per-candidate timeouts; this field then holds their models by name (see `candidates`)."""

    scorer: Scorer = Field(default_factory=default_scorer)
    """How hard a conversation is, in [0, 1]. Defaults to `TransferScorer.pretrained()`; after `learn`, the adapted
    one."""

    thresholds: SkipValidation[list[float] | dict[str, list[float]] | None] = None
    """Ascending score cut-offs in [0, 1], one fewer than models (``None`` spaces them evenly); or a dict ladder ->
    cut-offs, with ``"default"`` for the full ladder and task names of `routes` for theirs."""

    routes: SkipValidation[dict[str, list[str]] | None] = None
    """Task name -> candidate names, cheapest first: the task's own ladder (``{"legal": ["premium"]}``)."""

    classifier: SkipValidation[Classifier | None] = None
    """Finds the task of a call given no ``task=`` (e.g. ``RuleClassifier``); ``None``: only ``task=`` sets it."""

    fallbacks: SkipValidation[bool] = True
    """When the chosen candidate raises or times out, try the others (stronger first, then weaker)."""

    fallback_on: SkipValidation[tuple[type[BaseException], ...] | Callable[[BaseException], bool] | None] = None
    """Which errors fall back: exception classes or a predicate ``error -> bool``; ``None``: any `Exception`.

    Other errors escape unchanged, so a retry layer around the router (``ModelRetryMiddleware``, LangGraph's
    ``RetryPolicy``) retries them on the same candidate instead of every attempt trying every candidate, e.g.
    ``fallback_on=lambda e: not getattr(e, "is_retryable", False)`` leaves rate limits and 5xx to the retries.
    """

    sticky: SkipValidation[Literal["tool_loop", "thread"] | None] = "tool_loop"
    """``"tool_loop"`` (default): a call answering tool results goes to the candidate that issued the tool calls
    (read from that AI message's ``response_metadata["langroute"]``); ``"thread"``: also hold a thread's first
    candidate for the thread (``config["configurable"]["thread_id"]``), escalating when a turn scores higher;
    ``None``: route every call afresh."""

    mode: SkipValidation[Literal["route", "shadow"]] = "route"
    """``"shadow"``: every call is answered by `shadow_model` while decisions report what routing would have
    chosen (``would_route``); `RoutingStats` shows the would-be shares and saving. ``"route"`` (default) routes."""

    shadow_model: SkipValidation[str | None] = None
    """The candidate that answers in shadow mode; defaults to the strongest."""

    explore: SkipValidation[float] = 0.0
    """Share of scored calls routed at random over the capable ladder (propensity recorded), so feedback also
    covers the models routing would not pick. Never applies to forced or sticky calls."""

    seed: SkipValidation[int | None] = None
    """Seed of the exploration draws."""

    feedback: SkipValidation[FeedbackStore | None] = None
    """A `FeedbackStore` recording every decision (no prompt text) and the outcomes given to `record_feedback`."""

    escalate: SkipValidation[Sequence[Callable[..., Any]]] = ()
    """Answer checks (`langroute.checks`, or any ``(conversation, answer) -> bool | str``); when one fails, the
    call goes to the next stronger candidate. Streams are then buffered (see the class docstring)."""

    max_escalations: SkipValidation[int] = 1
    """How many times one call may escalate."""

    timeout: SkipValidation[float | None] = None
    """Seconds an attempt may take before it counts as failed and falls back (a `Candidate`'s own ``timeout``
    wins). Sync calls wait on a worker thread (the abandoned call runs on until the candidate returns: also set
    the candidate's client timeout); async calls are cancelled."""

    stream_timeout: SkipValidation[float | None] = None
    """Seconds a stream may wait for its first chunk and between chunks (``None``: `timeout`); after the first
    chunk a timeout ends the stream with `CandidateTimeoutError`."""

    cooldown: SkipValidation[float | None] = None
    """Seconds a candidate is skipped after `max_failures` consecutive failures or timeouts (circuit breaker);
    ``None`` (default) turns it off."""

    max_failures: SkipValidation[int] = 3
    """Consecutive failures that open a candidate's circuit breaker."""

    temperature: float | None = None
    """Sampling temperature forwarded to the chosen candidate on every call, when set."""

    max_tokens: int | None = None
    """Output token limit forwarded to the chosen candidate on every call, when set."""

    stop: list[str] | None = None
    """Default stop sequences forwarded to the chosen candidate (a per-call ``stop`` wins)."""

    def __init__(self, **data: Any) -> None:
        """Validate the routing configuration (the core's strict rules; errors name the field), then build.

        Raises:
            ConfigError: empty or duplicate models, bad thresholds, routes or options (a `ValueError`).
            TypeError: `models` is not a dict of chat models or a list of `Candidate`, or an option has the wrong
                type (``fallbacks="no"``, a function as `scorer`).
        """
        candidates = read_candidates(data.get("models"))
        router = build_router(candidates, {name: data[name] for name in ROUTER_OPTIONS if name in data})
        super().__init__(**{**data, "models": {c.name: c.model for c in candidates}, "scorer": router.scorer})
        self.__dict__["router"] = router

    def __setattr__(self, name: str, value: Any) -> None:
        """A routing field takes effect at once (the router is rebuilt and validated) or raises, unchanged."""
        if name not in _ROUTING_FIELDS or "router" not in self.__dict__:
            super().__setattr__(name, value)
            return
        if name == "models":
            candidates = read_candidates(value)
            router = build_router(candidates, self._options())
            value = {c.name: c.model for c in candidates}
        else:
            router = build_router(list(self.router.candidates), {**self._options(), name: value})
            value = router.scorer if name == "scorer" else value
        super().__setattr__(name, value)
        self.__dict__["router"] = router
        self.__dict__.pop("_nested", None)

    @cached_property
    def router(self) -> Router:
        """The framework-free routing engine (classifier, scorer, policy, feedback) behind this model.

        A `cached_property` rather than a pydantic private attribute: it is read on every call, and reading a
        private attribute goes through `BaseModel.__getattr__` (about 2 us a read).
        """
        return build_router(read_candidates(self.models), self._options())

    @cached_property
    def _nested(self) -> bool:
        """Whether a candidate is itself a router (its calls are then marked, so stats count them once)."""
        return any(isinstance(model, RouterChatModel) for model in self.models.values())

    @property
    def candidates(self) -> tuple[Candidate, ...]:
        """The candidates, cheapest first, with prices and capabilities (unknown ones read from ``profile``)."""
        return self.router.candidates

    def _options(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in ROUTER_OPTIONS}

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """Copy the model; a copy whose routing fields change gets its own (validated) router."""
        copy = super().model_copy(update=update, deep=deep)
        if update and not _ROUTING_FIELDS.isdisjoint(update):
            candidates = read_candidates(copy.models) if "models" in update else list(self.router.candidates)
            router = build_router(candidates, copy._options())
            copy.__dict__.update(models={c.name: c.model for c in candidates}, scorer=router.scorer, router=router)
            copy.__dict__.pop("_nested", None)
        return copy

    def decide(
        self, input: LanguageModelInput, *, route: str | None = None, task: str | None = None
    ) -> RoutingDecision:
        """The decision the router would make for `input`, without calling any model."""
        messages = self._convert_input(input).to_messages()
        return self._call(messages, None, {"route": route, "task": task}).decide(self.router, None)

    # -- feedback -----------------------------------------------------------------------------------------------

    def record_feedback(self, id: str, score: float, comment: str | None = None) -> None:
        """Record the quality of decision `id`'s answer (``response_metadata["langroute"]["id"]``), in [0, 1].

        Durable when it returns. Also from a UI through `FeedbackHandler` and a ``langroute_feedback`` event.

        Raises:
            ConfigError: no ``feedback=`` store.
            ValueError: unknown `id`, `score` outside [0, 1] or NaN.
        """
        self.router.record_feedback(id, score, comment)

    def learn(self) -> dict[str, Any]:
        """Adapt the scorer from the feedback recorded since the last call; `scorer` becomes the adapted one.

        Returns:
            A summary: records used, the learner's state (see `Router.learn`).
        """
        summary = self.router.learn()
        self.__dict__["scorer"] = self.router.scorer  # the router in use already has it: no rebuild
        return summary

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
        task: str | None = None,
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
            task: the request's task for every call (its ladder; structured output sets capable candidates apart).
            **kwargs: the candidate's `with_structured_output` options, passed unchanged.
        """
        if route is not None:
            self.router.policy.force(route, scorer=self.scorer.name)  # fail now on an unknown name
        if task is not None:
            self.router.check_task(task)
        return StructuredOutput(self, schema, include_raw=include_raw, options=kwargs, route=route, task=task)

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
        config, messages, call = self._prepare(input, config, stop, kwargs, structured, CallbackManager)
        router = self.router
        if messages is None:  # nobody would see the router's run: do not open one
            decision = call.decide(router, _given_id(config))
            if self.rate_limiter:
                self.rate_limiter.acquire(blocking=True)
            return _calls.invoke(router, call, call.input, decision, None, _inherited(config))[1]
        run_id = config.pop("run_id", None) or uuid7()
        decision = call.decide(router, str(run_id))
        manager_args, start_args = self._run_args(config, stop, kwargs, decision)
        (run_manager,) = CallbackManager.configure(*manager_args).on_chat_model_start(
            self._serialized, [messages], run_id=run_id, **start_args
        )
        try:
            if self.rate_limiter:
                self.rate_limiter.acquire(blocking=True)
            message, result = _calls.invoke(router, call, messages, decision, run_manager)
            if _calls.buffers(router) and streams_tokens(run_manager):
                replay(message, run_manager)  # the candidates were quiet: show the accepted answer
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
        config, messages, call = self._prepare(input, config, stop, kwargs, structured, AsyncCallbackManager)
        router = self.router
        if messages is None:
            decision = await call.adecide(router, _given_id(config))
            if self.rate_limiter:
                await self.rate_limiter.aacquire(blocking=True)
            return (await _calls.ainvoke(router, call, call.input, decision, None, _inherited(config)))[1]
        run_id = config.pop("run_id", None) or uuid7()
        decision = await call.adecide(router, str(run_id))
        manager_args, start_args = self._run_args(config, stop, kwargs, decision)
        (run_manager,) = await AsyncCallbackManager.configure(*manager_args).on_chat_model_start(
            self._serialized, [messages], run_id=run_id, **start_args
        )
        try:
            if self.rate_limiter:
                await self.rate_limiter.aacquire(blocking=True)
            message, result = await _calls.ainvoke(router, call, messages, decision, run_manager)
            if _calls.buffers(router) and streams_tokens(run_manager):
                await areplay(message, run_manager)
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
        decision = call.decide(self.router, str(run_manager.run_id) if run_manager else None)
        message, _ = _calls.invoke(self.router, call, messages, decision, run_manager)
        return ChatResult(generations=[ChatGeneration(message=message)])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        call = self._call(messages, stop, kwargs)
        decision = await call.adecide(self.router, str(run_manager.run_id) if run_manager else None)
        message, _ = await _calls.ainvoke(self.router, call, messages, decision, run_manager)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def stream(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> Iterator[AIMessageChunk]:
        """Stream the chosen candidate's own chunks; the first carries ``response_metadata["langroute"]``.

        With prices and token usage known, a last content-free chunk adds the call's ``cost_usd`` to the decision
        (summing the chunks gives the whole decision). With ``escalate=`` the answer arrives as one chunk.
        """
        if not self._streams(kwargs):
            yield cast(AIMessageChunk, self.invoke(input, config, stop=stop, **kwargs))
            return
        config, messages, call = self._prepare(input, config, stop, kwargs, None, CallbackManager)
        router = self.router
        token_run_id = config.pop("run_id", None)
        if messages is None:
            decision = call.decide(router, str(token_run_id) if token_run_id else None)
            if self.rate_limiter:
                self.rate_limiter.acquire(blocking=True)
            yield from _calls.stream(router, call, call.input, decision, None, token_run_id, _inherited(config))
            return
        run_id = (token_run_id or uuid7()) if _calls.buffers(router) else uuid7()  # the run that shows tokens
        decision = call.decide(router, str(run_id))
        manager_args, start_args = self._run_args(config, stop, kwargs, decision)
        (run_manager,) = CallbackManager.configure(*manager_args).on_chat_model_start(
            self._serialized, [messages], run_id=run_id, **start_args
        )
        chunks: list[AIMessageChunk] = []
        try:
            if self.rate_limiter:
                self.rate_limiter.acquire(blocking=True)
            for chunk in _calls.stream(router, call, messages, decision, run_manager, token_run_id):
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
        config, messages, call = self._prepare(input, config, stop, kwargs, None, AsyncCallbackManager)
        router = self.router
        token_run_id = config.pop("run_id", None)
        if messages is None:
            decision = await call.adecide(router, str(token_run_id) if token_run_id else None)
            if self.rate_limiter:
                await self.rate_limiter.aacquire(blocking=True)
            async for chunk in _calls.astream(
                router, call, call.input, decision, None, token_run_id, _inherited(config)
            ):
                yield chunk
            return
        run_id = (token_run_id or uuid7()) if _calls.buffers(router) else uuid7()
        decision = await call.adecide(router, str(run_id))
        manager_args, start_args = self._run_args(config, stop, kwargs, decision)
        (run_manager,) = await AsyncCallbackManager.configure(*manager_args).on_chat_model_start(
            self._serialized, [messages], run_id=run_id, **start_args
        )
        chunks: list[AIMessageChunk] = []
        try:
            if self.rate_limiter:
                await self.rate_limiter.aacquire(blocking=True)
            async for chunk in _calls.astream(router, call, messages, decision, run_manager, token_run_id):
                chunks.append(chunk)
                yield chunk
        except BaseException as exc:
            await run_manager.on_llm_error(exc, response=stream_record(chunks))
            raise
        await run_manager.on_llm_end(stream_record(chunks))

    # -- helpers ------------------------------------------------------------------------------------------------

    def _streams(self, kwargs: Mapping[str, Any]) -> bool:
        if self.disable_streaming is True:
            return False
        return not (self.disable_streaming == "tool_calling" and kwargs.get("tools"))

    def _listened(self, manager_cls: type[BaseCallbackManager], config: RunnableConfig) -> bool:
        """Whether the router's own run would have a callback handler (the caller's, a tracer, verbose...).

        LangChain's own `configure` decides, so tracing switched on by environment variables or context managers
        counts. Without a handler the run would reach no one: the call then skips opening it (its invocation
        parameters, start and end records, the decision event) and the candidate's run is configured as the
        caller's config says, as if the candidate were called directly.
        """
        callbacks = config.get("callbacks")
        if not may_listen(callbacks, self.callbacks, self.verbose):
            return False
        return bool(manager_cls.configure(callbacks, self.callbacks, self.verbose).handlers)

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
        structured: StructuredOutput | None,
        manager_cls: type[BaseCallbackManager],
    ) -> tuple[RunnableConfig, list[BaseMessage] | None, Call]:
        """The config, the input as messages (``None`` when no handler listens), and the call's arguments.

        Without a listener the router opens no run, so it needs no messages of its own: a `str` input then goes to
        the candidate as it came (the candidate converts it, as when called directly) and `call.input` holds what
        the candidate gets.
        """
        config = ensure_config(config)
        listened = self._listened(manager_cls, config)
        if not listened and type(input) is str:
            return config, None, self._call(None, stop, kwargs, structured, config, text=input)
        messages = self._convert_input(input).to_messages()
        return config, messages if listened else None, self._call(messages, stop, kwargs, structured, config)

    def _call(
        self,
        messages: list[BaseMessage] | None,
        stop: list[str] | None,
        kwargs: dict[str, Any],
        structured: StructuredOutput | None = None,
        config: RunnableConfig | None = None,
        text: str | None = None,
    ) -> Call:
        """Split one call's keyword arguments: what the router reads, what the candidate gets.

        The router takes ``route``, ``task`` and ``ls_structured_output_format``; tools travel as a `ToolBinding`
        (the caller's objects and ``bind_tools`` options) or, when a caller passed ``tools=`` itself, as that list
        with a call-time ``tool_choice``; everything else is passed to the candidate's `invoke`, after the router's
        own ``temperature`` / ``max_tokens`` defaults. The conversation carries the facts routing needs: tools,
        images, structured output, the candidate that issued pending tool calls.
        """
        kwargs = dict(kwargs)
        route = kwargs.pop("route", None)
        task = kwargs.pop("task", None)
        structured_format = kwargs.pop("ls_structured_output_format", None)
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
        router = self.router
        wants_structure = (
            structured is not None
            or structured_format is not None
            or "response_format" in kwargs
            or (binding is not None and binding.structured_output)
        )
        has_tools = binding is not None and bool(binding.tools)
        if messages is None:  # a plain-text input: one user turn, never a pending tool call
            conversation = Conversation((Turn("user", text or ""),), 0, False, has_tools, wants_structure, None)
        else:
            conversation = to_conversation(
                messages,
                has_tools=has_tools,
                structured_output=wants_structure,
                tool_loop_model=tool_loop_model(messages, self.models) if router.sticky is not None else None,
            )
        return Call(
            models=self.models,
            input=messages if messages is not None else text,
            conversation=conversation,
            route=route,
            task=task,
            thread_id=thread_id(router, config),
            stop=stop if stop is not None else self.stop,
            tools=binding,
            structured=structured,
            nested=self._nested,
            kwargs=kwargs,
        )


def _given_id(config: RunnableConfig) -> str | None:
    """The caller's ``run_id`` as the decision id (without a router run no id is drawn for a run)."""
    run_id = config.pop("run_id", None)
    return None if run_id is None else str(run_id)


def _inherited(config: RunnableConfig) -> RunnableConfig:
    """What the candidate inherits from the caller's config when the router opens no run of its own."""
    inherited: RunnableConfig = {"callbacks": config.get("callbacks")}
    tags, metadata = config.get("tags"), config.get("metadata")
    if tags:
        inherited["tags"] = tags
    if metadata:
        inherited["metadata"] = metadata
    return inherited
