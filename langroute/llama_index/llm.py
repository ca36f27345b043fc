"""`RouterLLM`: a LlamaIndex `FunctionCallingLLM` that sends each call to the cheapest candidate that can handle it.

How a call flows (sync and async alike), and where each step lives:

1. the public method turns its input into a core `Conversation` (`langroute.llama_index.messages`: messages,
   a prompt, a ``*_with_tools`` call's history, a structured-output prompt template). The structured-output
   methods (``structured_predict``..., ``as_structured_llm``) live in `langroute.llama_index.structured`;
2. `RouterLLM._delegate` (`_adelegate`) asks the core `Router` for a `RoutingDecision` (a forced one for
   ``route=...``), dispatches a `RoutingDecisionEvent` inside the router's span, then calls the chosen candidate's
   *own* method of the same name (``chat``, ``stream_complete``, ``achat_with_tools``, ``structured_predict``...),
   looked up by name, so any LLM that has the method can serve it (capability, not class). The candidate's
   decorators fire the usual LlamaIndex events (``LLMChatStartEvent``...) and the legacy ``callback_manager`` LLM
   start/end, nested in the router's span. The router fires none of those itself, so old handlers see each call once;
3. if the candidate raises before producing output (for a stream: before its first chunk), `_delegate` reports the
   failure to the core's `Attempts`, which picks the next candidate (or raises: the candidate's own error when only
   one was tried, else an `AllCandidatesFailedError` that is also the failures' common class);
4. the public method puts the decision dict in ``response.additional_kwargs["langroute"]`` (on every streamed
   chunk; `langroute.llama_index.responses`); structured outputs (pydantic objects) carry no decision: read it
   from the `RoutingDecisionEvent`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Final, TypeVar

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
from llama_index.core.bridge.pydantic import Field, PrivateAttr, WithJsonSchema, field_serializer
from llama_index.core.callbacks import CallbackManager
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import LLM, ToolSelection
from llama_index.core.types import PydanticProgramMode

from langroute.conversation import Conversation
from langroute.decision import RoutingDecision
from langroute.llama_index.events import RoutingDecisionEvent
from langroute.llama_index.messages import chat_conversation, prompt_conversation, tools_conversation
from langroute.llama_index.responses import END, atagged_stream, tagged, tagged_stream
from langroute.llama_index.structured import StructuredOutputMixin
from langroute.router import Router, check_models, default_scorer
from langroute.scorers.base import Scorer

if TYPE_CHECKING:
    from llama_index.core.tools import BaseTool

__all__ = ["RouterLLM"]

dispatcher = get_dispatcher(__name__)

T = TypeVar("T")

_ROUTING_FIELDS: Final = ("models", "scorer", "thresholds", "fallbacks", "fallback_on")

_FallbackOnField = Annotated[
    tuple[type[BaseException], ...] | Callable[[BaseException], bool] | None,
    WithJsonSchema({"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}, {"type": "null"}]}),
]
_UNKNOWN_MODEL: Final = LLMMetadata().model_name  # what an LLM that does not name its model reports
_DEFAULT_MODE: Final = PydanticProgramMode.DEFAULT


class RouterLLM(StructuredOutputMixin, FunctionCallingLLM):
    """Send each call to the cheapest candidate LLM that can handle it.

    Setup:
        `pip install 'langroute[llama-index]'`
    Key init args:
        models: candidate LLMs by name, cheapest first.  scorer: how hard a conversation is.
        thresholds: score cut-offs, one fewer than candidates.  fallbacks: try other candidates when one fails.
    Instantiate:
        ```python
        from llama_index.core import Settings
        from llama_index.core.llms import ChatMessage, MockLLM
        from langroute import HeuristicScorer
        from langroute.llama_index import RouterLLM

        llm = RouterLLM(models={"small": MockLLM(), "large": MockLLM(max_tokens=8)}, scorer=HeuristicScorer())
        Settings.llm = llm  # query engines, chat engines and agents now route
        ```
    Invoke / Stream / Async:
        ```python
        response = llm.chat([ChatMessage(role="user", content="hi")])
        response.additional_kwargs["langroute"]["model"]          # 'small'
        for chunk in llm.stream_complete("hi", route="large"):    # forced route, never scored
            print(chunk.delta, chunk.additional_kwargs["langroute"]["forced"])
        await llm.achat([ChatMessage(role="user", content="hi")])
        ```
    Tool calling:
        ``chat_with_tools`` and its stream/async twins route first, then let the chosen candidate build its own
        provider payload; ``get_tool_calls_from_response`` asks the candidate that produced the response. Any
        candidate that implements these methods serves them (a `FunctionCallingLLM` or not). Works with
        ``FunctionAgent``, ``AgentWorkflow`` and ``ReActAgent``.
    Structured output:
        ``structured_predict`` (and ``astructured_predict``, ``stream_structured_predict``,
        ``astream_structured_predict``) route the formatted prompt, then run the chosen candidate's own
        implementation (native JSON modes included); ``as_structured_llm(Schema)`` routes each call and runs the
        chosen candidate's own ``as_structured_llm(Schema)``, which is what ``FunctionAgent(output_cls=...)`` uses.
        ```python
        answer = llm.structured_predict(Weather, PromptTemplate("Weather in {city}?"), city="Oslo")
        llm.structured_predict(Weather, prompt, llm_kwargs={"route": "large"}, city="Oslo")  # forced route
        ```
    Errors and retries:
        when only one candidate was tried (one candidate, ``route=``, ``fallbacks=False``, or an error that
        ``fallback_on`` does not cover) the candidate's own exception escapes unchanged; when several were tried,
        the `AllCandidatesFailedError` is also an instance of the class the errors share. To keep a retry layer
        around the router (a workflow step's ``retry_policy``, the candidates' own ``max_retries``) from
        multiplying attempts, leave the errors it retries to it: ``fallback_on=lambda e: not is_transient(e)``.
    Instrumentation:
        each decision is a `RoutingDecisionEvent` on ``get_dispatcher("langroute.llama_index.llm")`` (it
        propagates to the root dispatcher). The router shares its ``callback_manager`` with the candidates
        that have no handlers of their own, so legacy handlers see each candidate's LLM start/end once.
    """

    models: dict[str, LLM] = Field(description="Candidate LLMs by name, cheapest first (the dict's order).")
    scorer: Annotated[Scorer, WithJsonSchema({"type": "string"})] = Field(
        default_factory=default_scorer, description="How hard a conversation is, 0..1; defaults to `HeuristicScorer()`."
    )
    thresholds: list[float] | None = Field(
        default=None,
        description="Ascending cut-offs in [0, 1], one fewer than candidates; None spaces them evenly.",
    )
    fallbacks: bool = Field(
        default=True,
        description="When a candidate raises before producing output, try the stronger ones, then the weaker ones.",
    )
    fallback_on: _FallbackOnField = Field(
        default=None,
        description=(
            "Which errors fall back: exception classes, or a function error -> bool; None: any Exception. Other "
            "errors escape unchanged, e.g. rate limits left to a retry layer around the router."
        ),
    )

    _router: Router = PrivateAttr()

    def __init__(self, **data: Any) -> None:
        """Validate the routing config (errors name the field), then build the LLM.

        A ``pydantic_program_mode`` given here (or assigned later, e.g. by ``Settings.pydantic_program_mode = ...``)
        is passed on to every candidate, since each candidate runs its own structured output.

        Raises:
            ConfigError: `models` is empty, or `thresholds` has the wrong length, order or range (a `ValueError`).
            TypeError: `models` is not a dict of LlamaIndex `LLM`s, `scorer` is not a langroute `Scorer`, or
                `fallback_on` is neither exception classes nor a function.
        """
        config = {"fallbacks": True} | {field: data[field] for field in _ROUTING_FIELDS if field in data}
        router = _build_router(config)
        super().__init__(**(data | _field_values(config, router)))
        self._router = router
        self._share_callback_manager(previous=None)
        if "pydantic_program_mode" in data:
            self._share_program_mode()

    def __setattr__(self, name: str, value: Any) -> None:
        """Keep the router, the candidates' callback manager and program mode in step with the fields."""
        router = None
        if name in _ROUTING_FIELDS:
            config = {field: getattr(self, field) for field in _ROUTING_FIELDS} | {name: value}
            router = _build_router(config)
            value = _field_values(config, router)[name]
        previous = self.__dict__.get("callback_manager")
        super().__setattr__(name, value)
        if router is not None:
            self._router = router
        if name in ("callback_manager", "models"):
            self._share_callback_manager(previous=previous)
        if name == "pydantic_program_mode" or (name == "models" and self.pydantic_program_mode != _DEFAULT_MODE):
            self._share_program_mode()

    @classmethod
    def class_name(cls) -> str:
        """Name used in serialised LLMs."""
        return "RouterLLM"

    @field_serializer("scorer")
    def _serialize_scorer(self, scorer: Scorer) -> str:
        return scorer.name

    @field_serializer("fallback_on")
    def _serialize_fallback_on(self, rule: Any) -> list[str] | str | None:
        if rule is None or isinstance(rule, tuple):
            return None if rule is None else [f"{cls.__module__}.{cls.__qualname__}" for cls in rule]
        return getattr(rule, "__qualname__", repr(rule))

    @property
    def router(self) -> Router:
        """The framework-free `Router` this LLM holds (policy, scorer, fallback order)."""
        return self._router

    @property
    def metadata(self) -> LLMMetadata:
        """What every candidate supports: the smallest window and output, chat/function calling only if all do.

        ``model_name`` and ``system_role`` are the candidates' own when they all share one (a single candidate
        does), so LlamaIndex code that adapts to the model (evaluator prompt catalogs, chat engines' system
        message) sees the wrapped model; otherwise ``model_name`` is ``router(small|large)``.
        """
        metas = [candidate.metadata for candidate in self.models.values()]
        name = _shared(meta.model_name for meta in metas)
        return LLMMetadata(
            context_window=min(meta.context_window for meta in metas),
            num_output=min(meta.num_output for meta in metas),
            is_chat_model=all(meta.is_chat_model for meta in metas),
            is_function_calling_model=all(meta.is_function_calling_model for meta in metas),
            model_name=name if name not in (None, _UNKNOWN_MODEL) else f"router({'|'.join(self.models)})",
            system_role=_shared(meta.system_role for meta in metas) or LLMMetadata().system_role,
        )

    # -- chat and completion ------------------------------------------------------------------------------------

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Route `messages`, then call the chosen candidate's `chat`. ``route="name"`` forces a candidate."""
        route = kwargs.pop("route", None)
        decision, response = self._delegate("chat", chat_conversation(messages), route, (messages,), kwargs)
        return tagged(response, decision)

    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Async `chat`."""
        route = kwargs.pop("route", None)
        decision, response = await self._adelegate("achat", chat_conversation(messages), route, (messages,), kwargs)
        return tagged(response, decision)

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Route `prompt`, then call the chosen candidate's `complete`. ``route="name"`` forces a candidate."""
        route = kwargs.pop("route", None)
        decision, response = self._delegate("complete", prompt_conversation(prompt), route, (prompt, formatted), kwargs)
        return tagged(response, decision)

    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Async `complete`."""
        route = kwargs.pop("route", None)
        decision, response = await self._adelegate(
            "acomplete", prompt_conversation(prompt), route, (prompt, formatted), kwargs
        )
        return tagged(response, decision)

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Route `messages`, then stream the chosen candidate's own `stream_chat`."""
        route = kwargs.pop("route", None)
        decision, opened = self._delegate("stream_chat", chat_conversation(messages), route, (messages,), kwargs, True)
        return tagged_stream(opened, decision)

    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        """Async `stream_chat`."""
        route = kwargs.pop("route", None)
        conversation = chat_conversation(messages)
        decision, opened = await self._adelegate("astream_chat", conversation, route, (messages,), kwargs, True)
        return atagged_stream(opened, decision)

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        """Route `prompt`, then stream the chosen candidate's own `stream_complete`."""
        route = kwargs.pop("route", None)
        decision, opened = self._delegate(
            "stream_complete", prompt_conversation(prompt), route, (prompt, formatted), kwargs, True
        )
        return tagged_stream(opened, decision)

    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseAsyncGen:
        """Async `stream_complete`."""
        route = kwargs.pop("route", None)
        conversation = prompt_conversation(prompt)
        decision, opened = await self._adelegate(
            "astream_complete", conversation, route, (prompt, formatted), kwargs, True
        )
        return atagged_stream(opened, decision)

    # -- function calling ---------------------------------------------------------------------------------------

    @dispatcher.span
    def chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        """Route the conversation (tools known), then call the chosen candidate's own `chat_with_tools`."""
        request = _tools_request(
            tools, user_msg, chat_history, verbose, allow_parallel_tool_calls, tool_required, kwargs
        )
        decision, response = self._delegate("chat_with_tools", *request)
        return tagged(response, decision)

    @dispatcher.span
    async def achat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        """Async `chat_with_tools`."""
        request = _tools_request(
            tools, user_msg, chat_history, verbose, allow_parallel_tool_calls, tool_required, kwargs
        )
        decision, response = await self._adelegate("achat_with_tools", *request)
        return tagged(response, decision)

    @dispatcher.span
    def stream_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> ChatResponseGen:
        """Route the conversation (tools known), then stream the chosen candidate's own `stream_chat_with_tools`."""
        request = _tools_request(
            tools, user_msg, chat_history, verbose, allow_parallel_tool_calls, tool_required, kwargs
        )
        decision, opened = self._delegate("stream_chat_with_tools", *request, True)
        return tagged_stream(opened, decision)

    @dispatcher.span
    async def astream_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> ChatResponseAsyncGen:
        """Async `stream_chat_with_tools`."""
        request = _tools_request(
            tools, user_msg, chat_history, verbose, allow_parallel_tool_calls, tool_required, kwargs
        )
        decision, opened = await self._adelegate("astream_chat_with_tools", *request, True)
        return atagged_stream(opened, decision)

    def get_tool_calls_from_response(
        self,
        response: ChatResponse,
        error_on_no_tool_call: bool = True,
        **kwargs: Any,
    ) -> list[ToolSelection]:
        """Ask the candidate that produced `response` (named in ``additional_kwargs["langroute"]``) to read it.

        Raises:
            ValueError: `response` does not come from this router and there is more than one candidate.
            TypeError: that candidate has no ``get_tool_calls_from_response``.
        """
        name = (response.additional_kwargs.get("langroute") or {}).get("model")
        if name not in self.models:
            if len(self.models) != 1:
                raise ValueError(
                    f"response.additional_kwargs['langroute'] names no candidate (got {name!r}); pass a response "
                    f"produced by this RouterLLM, whose candidates are {list(self.models)}"
                )
            name = next(iter(self.models))
        read = _method(self.models[name], name, "get_tool_calls_from_response")
        return read(response, error_on_no_tool_call=error_on_no_tool_call, **kwargs)

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Route, then let the chosen candidate prepare its own payload.

        The `*_with_tools` methods do not use this; it serves callers that prepare and then call `chat` themselves.
        The returned kwargs pin ``route`` to the chosen candidate, so ``chat(**prepared)`` reaches the candidate
        whose payload it is (that call is reported as forced).
        """
        route = kwargs.pop("route", None)
        conversation = tools_conversation(user_msg, chat_history, has_tools=bool(tools))
        decision = self._router.decide(conversation, route=route)
        candidate = self.models[decision.model]
        if isinstance(candidate, FunctionCallingLLM):  # copes with integrations that predate `tool_required`
            prepare = candidate._prepare_chat_with_tools_compat
        else:
            prepare = _method(candidate, decision.model, "_prepare_chat_with_tools")
        prepared = prepare(
            tools,
            user_msg=user_msg,
            chat_history=chat_history,
            verbose=verbose,
            allow_parallel_tool_calls=allow_parallel_tool_calls,
            tool_required=tool_required,
            **kwargs,
        )
        return {**prepared, "route": decision.model}

    # -- the fallback boundary ----------------------------------------------------------------------------------

    def _delegate(
        self,
        method: str,
        conversation: Conversation,
        route: str | None,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        stream: bool = False,
        target: Callable[[LLM], Any] | None = None,
    ) -> tuple[RoutingDecision, Any]:
        """Decide, report, call ``candidate.<method>(*args, **kwargs)``; fall back while nothing was produced.

        For a stream the first chunk is pulled here, so a candidate that fails before it is replaced; the
        result is then ``(first_chunk_or_END, rest)``. `target` turns the candidate into the object whose
        `method` is called (``as_structured_llm`` uses it).
        """
        router = self._router  # one read: a private attribute goes through pydantic's __getattr__ (~2 us)
        attempts = router.attempts(router.decide(conversation, route=route))
        for decision in attempts:
            _report(decision)
            try:
                result = self._bound(decision.model, method, target)(*args, **kwargs)
                if stream:
                    chunks = iter(result)
                    result = (next(chunks, END), chunks)
                return decision, result
            except Exception as exc:  # noqa: BLE001 - the fallback boundary: the core picks the next candidate
                attempts.failed(exc)
        raise AssertionError("unreachable: Attempts raises when no candidate is left")

    async def _adelegate(
        self,
        method: str,
        conversation: Conversation,
        route: str | None,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        stream: bool = False,
        target: Callable[[LLM], Any] | None = None,
    ) -> tuple[RoutingDecision, Any]:
        """Async `_delegate`: awaits the scorer and the candidate's coroutine."""
        router = self._router  # one read, as in _delegate
        attempts = router.attempts(await router.adecide(conversation, route=route))
        for decision in attempts:
            _report(decision)
            try:
                result = await self._bound(decision.model, method, target)(*args, **kwargs)
                if stream:
                    chunks = aiter(result)
                    result = (await anext(chunks, END), chunks)
                return decision, result
            except Exception as exc:  # noqa: BLE001 - the fallback boundary: the core picks the next candidate
                attempts.failed(exc)
        raise AssertionError("unreachable: Attempts raises when no candidate is left")

    def _bound(self, name: str, method: str, target: Callable[[LLM], Any] | None) -> Any:
        """Candidate `name`'s own `method` (on ``target(candidate)`` when given); `TypeError` if it has none."""
        candidate = self.models[name]
        return _method(candidate if target is None else target(candidate), name, method)

    def _share_program_mode(self) -> None:
        """Set the router's ``pydantic_program_mode`` on every candidate (their structured output reads their own)."""
        for candidate in self.models.values():
            candidate.pydantic_program_mode = self.pydantic_program_mode

    def _share_callback_manager(self, previous: CallbackManager | None) -> None:
        """Give the router's callback manager to candidates that have no handlers of their own.

        LlamaIndex sets ``callback_manager`` on the LLM it is given (``Settings.llm = ...``, query engines); the
        candidates fire the legacy events, so they must fire them to that manager. A candidate configured with its
        own handlers keeps them.
        """
        shared = self.callback_manager
        for candidate in self.models.values():
            current = candidate.callback_manager
            if current is previous or not current.handlers:
                candidate.callback_manager = shared


def _build_router(config: Mapping[str, Any]) -> Router:
    """The core `Router` for these field values; its errors name the field (the same rules as `RouterChatModel`)."""
    models = check_models(config.get("models"), LLM, "a LlamaIndex LLM (a llama_index.core.llms.LLM subclass)")
    return Router(
        list(models),
        scorer=config.get("scorer"),
        thresholds=config.get("thresholds"),
        fallbacks=config["fallbacks"],
        fallback_on=config.get("fallback_on"),
    )


def _field_values(config: Mapping[str, Any], router: Router) -> dict[str, Any]:
    """The routing fields as stored: a plain dict of models, the scorer in use, the thresholds in force..."""
    return {
        "models": dict(config["models"]),
        "scorer": router.scorer,
        "thresholds": list(router.policy.thresholds),
        "fallbacks": router.fallbacks,
        "fallback_on": router.fallback_on,
    }


def _tools_request(
    tools: Sequence[BaseTool],
    user_msg: str | ChatMessage | None,
    chat_history: list[ChatMessage] | None,
    verbose: bool,
    allow_parallel_tool_calls: bool,
    tool_required: bool,
    kwargs: dict[str, Any],
) -> tuple[Conversation, str | None, tuple[Any, ...], dict[str, Any]]:
    """``(conversation, route, args, kwargs)`` for `_delegate`, from a ``*_with_tools`` call's arguments (in order)."""
    route = kwargs.pop("route", None)
    conversation = tools_conversation(user_msg, chat_history, has_tools=bool(tools))
    forwarded = {
        **kwargs,
        "user_msg": user_msg,
        "chat_history": chat_history,
        "verbose": verbose,
        "allow_parallel_tool_calls": allow_parallel_tool_calls,
        "tool_required": tool_required,
    }
    return conversation, route, (tools,), forwarded


def _method(candidate: object, name: str, method: str) -> Any:
    """``candidate.<method>``, by capability rather than class: any LLM that implements the method serves it."""
    bound = getattr(candidate, method, None)
    if bound is None:
        hint = ", so it cannot call tools" if "tool" in method else ""
        raise TypeError(
            f"candidate {name!r} ({type(candidate).__name__}) has no {method}(){hint}; give this call a candidate "
            f"that implements it (for tools: a FunctionCallingLLM, or any LLM with chat_with_tools and friends)"
        )
    return bound


def _shared(values: Iterable[T]) -> T | None:
    """The one value all of `values` share, else None."""
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else None


def _report(decision: RoutingDecision) -> None:
    dispatcher.event(RoutingDecisionEvent.from_decision(decision))
