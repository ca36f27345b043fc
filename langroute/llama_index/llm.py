"""`RouterLLM`: a LlamaIndex `FunctionCallingLLM` that sends each call to the cheapest candidate that can handle it.

How a call flows (sync and async alike), and where each step lives:

1. the public method turns its input into a core `Conversation` (`langroute.llama_index.messages`: messages,
   a prompt, a ``*_with_tools`` call's history, a structured-output prompt template) and a `Call`
   (`langroute.llama_index.calls`), which takes the per-call options ``route=``, ``task=`` and ``thread_id=`` out
   of the arguments. The structured-output methods live in `langroute.llama_index.structured`;
2. `calls.run` (`arun`) marks a tool result that answers a tool call this router issued (`sticky`), asks the core
   `Router` for a `RoutingDecision` (task, ladder, capability exclusions, sticky, score, exploration, shadow), and
   runs the core's `Attempts`: each attempt is a `RoutingDecisionEvent` inside the router's span, then the chosen
   candidate's *own* method of the same name (``chat``, ``stream_complete``, ``achat_with_tools``,
   ``structured_predict``...) is called with the router's timeouts, so any LLM that has the method can serve it
   (capability, not class). The candidate's decorators fire the usual LlamaIndex events (``LLMChatStartEvent``...)
   and the legacy ``callback_manager`` LLM start/end; the router fires none of those itself;
3. an error or timeout before any output falls back (for a stream: before its first chunk); with ``escalate=`` the
   answer (`langroute.llama_index.answers`) is checked and a failed check escalates (streams are buffered);
4. the final decision (with ``cost_usd`` when prices and usage are known, and ``inner`` when the candidate is itself
   a router) goes in ``response.additional_kwargs["langroute"]`` (every streamed chunk shares it) and in one
   `RoutingResultEvent`. Structured outputs (pydantic objects) carry no decision: read it from the events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal, TypeVar

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
from llama_index.core.constants import DEFAULT_CONTEXT_WINDOW
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import LLM, ToolSelection
from llama_index.core.types import PydanticProgramMode

from langroute.candidates import Candidate, as_candidates
from langroute.checks import check_name
from langroute.classifiers.base import Classifier
from langroute.llama_index.answers import tool_call_ids
from langroute.llama_index.calls import Call, Routing, arun, run
from langroute.llama_index.messages import chat_conversation, prompt_conversation, tools_conversation
from langroute.llama_index.sticky import ToolCallMemory
from langroute.llama_index.structured import StructuredOutputMixin
from langroute.router import ADAPTER_OPTIONS, Router, default_scorer
from langroute.scorers.base import Scorer

if TYPE_CHECKING:
    from llama_index.core.tools import BaseTool

__all__ = ["RouterLLM"]

dispatcher = get_dispatcher(__name__)

T = TypeVar("T")

_ROUTING_FIELDS: Final = ("models", *ADAPTER_OPTIONS)
"""The fields that configure the core `Router`: assigning one rebuilds (and validates) it."""

_LLM_DESCRIPTION: Final = "a LlamaIndex LLM (a llama_index.core.llms.LLM subclass)"
_NAME_SCHEMA: Final = WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "null"}]})
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
        models: candidate LLMs by name (a dict), or a list of `Candidate` with prices and capabilities, cheapest
            first.  scorer: how hard a conversation is.  thresholds: score cut-offs, one fewer than candidates.
        routes / classifier: task ladders and how a call's task is found.  fallbacks, timeout: errors and hung
            candidates fall back.  escalate: answer checks that send a bad answer to a stronger candidate.
        sticky, mode, explore, feedback: tool loops, shadow mode, exploration and the feedback loop.
    Instantiate:
        ```python
        from llama_index.core import Settings
        from llama_index.core.llms import ChatMessage, MockLLM
        from langroute import Candidate
        from langroute.llama_index import RouterLLM

        llm = RouterLLM(
            models=[
                Candidate("small", MockLLM(), input_cost=0.15, output_cost=0.60),
                Candidate("large", MockLLM(max_tokens=8), input_cost=2.50, output_cost=10.0),
            ],
            routes={"legal": ["large"]},
            timeout=30,
        )
        Settings.llm = llm  # query engines, chat engines and agents now route
        ```
    Invoke / Stream / Async:
        ```python
        response = llm.chat([ChatMessage(role="user", content="hi")])
        response.additional_kwargs["langroute"]["model"]          # 'small'
        response.additional_kwargs["langroute"]["cost_usd"]       # when prices and token usage are known
        llm.chat(messages, task="legal")                          # the task's ladder; never sent to the candidate
        for chunk in llm.stream_complete("hi", route="large"):    # forced route, never scored
            print(chunk.delta, chunk.additional_kwargs["langroute"]["forced"])
        await llm.achat([ChatMessage(role="user", content="hi")])
        ```
        Per call, ``route=`` forces a candidate, ``task=`` picks a task's ladder and ``thread_id=`` names the
        conversation thread (``sticky="thread"``); none of them reaches the candidate.
    Tool calling:
        ``chat_with_tools`` and its stream/async twins route first (candidates whose ``metadata`` says
        ``is_function_calling_model=False`` are set aside), then let the chosen candidate build its own provider
        payload; ``get_tool_calls_from_response`` asks the candidate that produced the response. Tool results go
        back to the candidate that issued the tool calls (``sticky="tool_loop"``, the default). Works with
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
    Quality cascade:
        ``escalate=[empty_answer, invalid_tool_call]`` checks each answer and sends a failed one to the next
        stronger candidate (``max_escalations`` times at most). A stream is then buffered: the candidate's whole
        answer is read and checked before the first chunk is handed on, so only the accepted answer is streamed.
    Feedback:
        ``llm.record_feedback(decision_id, 1.0)`` (the id is the decision dict's ``"id"``), then ``llm.learn()``.
        ``FeedbackHandler`` takes the same feedback as a `RoutingFeedbackEvent` dispatched from a UI.
    Errors and retries:
        when only one candidate was tried (one candidate, ``route=``, ``fallbacks=False``, or an error that
        ``fallback_on`` does not cover) the candidate's own exception escapes unchanged; when several were tried,
        the `AllCandidatesFailedError` is also an instance of the class the errors share. To keep a retry layer
        around the router (a workflow step's ``retry_policy``, the candidates' own ``max_retries``) from
        multiplying attempts, leave the errors it retries to it: ``fallback_on=lambda e: not is_transient(e)``.
    Instrumentation:
        each attempt is a `RoutingDecisionEvent` and each call ends with a `RoutingResultEvent` on
        ``get_dispatcher("langroute.llama_index.llm")`` (they propagate to the root dispatcher; `RoutingStats`
        counts them). The router shares its ``callback_manager`` with the candidates that have no handlers of their
        own, so legacy handlers see each candidate's LLM start/end once.
    """

    models: dict[str, LLM] = Field(
        description=(
            "Candidate LLMs by name, cheapest first (the dict's order); a list of langroute Candidate objects "
            "(prices, capabilities, timeouts) is accepted and stored as this dict (see `candidates`)."
        )
    )
    scorer: Annotated[Scorer, WithJsonSchema({"type": "string"})] = Field(
        default_factory=default_scorer,
        description="How hard a conversation is, 0..1; defaults to `TransferScorer.pretrained()`.",
    )
    thresholds: list[float] | dict[str, list[float]] | None = Field(
        default=None,
        description=(
            "Ascending cut-offs in [0, 1], one fewer than candidates; None spaces them evenly. A dict gives each "
            "ladder its own: 'default' (all candidates) and task names of `routes`."
        ),
    )
    routes: dict[str, list[str]] | None = Field(
        default=None, description="Task name -> candidate names, cheapest first: the task's own ladder."
    )
    classifier: Annotated[Classifier | None, _NAME_SCHEMA] = Field(
        default=None, description="Finds a call's task when none is given with `task=` (a langroute Classifier)."
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
    sticky: Literal["tool_loop", "thread"] | None = Field(
        default="tool_loop",
        description=(
            "'tool_loop': tool results go to the candidate that issued the tool calls; 'thread': also keep a "
            "thread (`thread_id=` per call) on its first candidate, escalating when a turn scores higher; None: off."
        ),
    )
    mode: Literal["route", "shadow"] = Field(
        default="route",
        description="'shadow': every call is answered by `shadow_model`; decisions report what routing would choose.",
    )
    shadow_model: str | None = Field(
        default=None, description="The candidate that answers in shadow mode; None: the strongest."
    )
    explore: float = Field(
        default=0.0, description="Share of scored calls routed at random over the ladder (propensity recorded)."
    )
    seed: int | None = Field(default=None, description="Seed of the exploration draws.")
    feedback: Annotated[Any, _NAME_SCHEMA] = Field(
        default=None,
        description="A langroute FeedbackStore recording every decision (no prompt text) and the feedback given.",
    )
    escalate: Annotated[
        tuple[Callable[..., Any], ...], WithJsonSchema({"type": "array", "items": {"type": "string"}})
    ] = Field(
        default=(),
        description="Answer checks (langroute.checks); a failed one sends the call to a stronger candidate.",
    )
    max_escalations: int = Field(default=1, description="How many times one call may escalate.")
    timeout: float | None = Field(
        default=None, description="Seconds an attempt may take before it falls back (a Candidate's own wins)."
    )
    stream_timeout: float | None = Field(
        default=None, description="Seconds a stream may wait for its first chunk and between chunks; None: timeout."
    )
    cooldown: float | None = Field(
        default=None, description="Seconds a candidate is skipped after `max_failures` failures in a row; None: off."
    )
    max_failures: int = Field(default=3, description="Consecutive failures that open a candidate's circuit breaker.")

    _routing: Routing = PrivateAttr()
    _tool_calls: ToolCallMemory = PrivateAttr(default_factory=ToolCallMemory)
    _thresholds_given: bool = PrivateAttr(default=False)

    def __init__(self, **data: Any) -> None:
        """Validate the routing config (errors name the field), then build the LLM.

        A ``pydantic_program_mode`` given here (or assigned later, e.g. by ``Settings.pydantic_program_mode = ...``)
        is passed on to every candidate, since each candidate runs its own structured output.

        Raises:
            ConfigError: `models` is empty or has duplicate names, `thresholds` or `routes` do not fit the
                candidates, or an option is out of range (a `ValueError`; the message names the field).
            TypeError: `models` is neither a dict of LlamaIndex `LLM`s nor a list of `Candidate`, `scorer` is not a
                langroute `Scorer`, or an option has the wrong type.
        """
        config = {field: data[field] for field in _ROUTING_FIELDS if field in data}
        router = _build_router(config)
        super().__init__(**(data | _field_values(config, router)))
        self._install(router)
        self._thresholds_given = config.get("thresholds") is not None
        self._share_callback_manager(previous=None)
        if "pydantic_program_mode" in data:
            self._share_program_mode()

    def __setattr__(self, name: str, value: Any) -> None:
        """Keep the router, the candidates' callback manager and program mode in step with the fields.

        Assigning a routing field rebuilds the core `Router` with it (validated like the constructor; on an error
        nothing changes). The rebuilt router starts afresh: circuit breakers, thread memory, exploration draws and
        the learner's cursor are reset.
        """
        router = None
        if name in _ROUTING_FIELDS:
            config = {field: getattr(self, field) for field in _ROUTING_FIELDS} | {name: value}
            if name != "models":
                config["models"] = list(self._routing.router.candidates)  # keep their prices and capabilities
            if name == "models" and not self._thresholds_given:
                config["thresholds"] = None  # spaced evenly for the new candidates
            router = _build_router(config)
            values = _field_values(config, router)
            value = values.pop(name)
        previous = self.__dict__.get("callback_manager")
        super().__setattr__(name, value)
        if router is not None:
            self.__dict__.update(values)  # e.g. the thresholds in force for new models
            self._install(router)
            if name == "thresholds":
                self._thresholds_given = config["thresholds"] is not None
        if name in ("callback_manager", "models"):
            self._share_callback_manager(previous=previous)
        if name == "pydantic_program_mode" or (name == "models" and self.pydantic_program_mode != _DEFAULT_MODE):
            self._share_program_mode()

    def _install(self, router: Router) -> None:
        self._routing = Routing(router, self._tool_calls, RouterLLM)

    @classmethod
    def class_name(cls) -> str:
        """Name used in serialised LLMs."""
        return "RouterLLM"

    @field_serializer("scorer")
    def _serialize_scorer(self, scorer: Scorer) -> str:
        return scorer.name

    @field_serializer("classifier")
    def _serialize_classifier(self, classifier: Classifier | None) -> str | None:
        return None if classifier is None else classifier.name

    @field_serializer("feedback")
    def _serialize_feedback(self, store: Any) -> str | None:
        return None if store is None else type(store).__name__  # never the URL: it may hold a password

    @field_serializer("escalate")
    def _serialize_escalate(self, checks: tuple[Callable[..., Any], ...]) -> list[str]:
        return [check_name(check) for check in checks]

    @field_serializer("fallback_on")
    def _serialize_fallback_on(self, rule: Any) -> list[str] | str | None:
        if rule is None or isinstance(rule, tuple):
            return None if rule is None else [f"{cls.__module__}.{cls.__qualname__}" for cls in rule]
        return getattr(rule, "__qualname__", repr(rule))

    @property
    def router(self) -> Router:
        """The framework-free `Router` this LLM holds (policy, scorer, fallback order)."""
        return self._routing.router

    @property
    def candidates(self) -> tuple[Candidate, ...]:
        """The candidates, cheapest first, as `Candidate` objects.

        Capabilities left unknown are read from each LLM's ``metadata``: ``context_window`` (unless it is
        LlamaIndex's default of 3900, which LLMs report when they do not know) and ``is_function_calling_model``
        (-> ``tools``).
        """
        return self._routing.router.candidates

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

    # -- feedback -----------------------------------------------------------------------------------------------

    def record_feedback(self, id: str, score: float, comment: str | None = None) -> None:
        """Record how good decision `id`'s answer was: `score` in [0, 1] (thumbs up = 1, down = 0, graded ok).

        `id` is the decision dict's ``"id"`` (``response.additional_kwargs["langroute"]["id"]``). Durable when it
        returns.

        Raises:
            ConfigError: the router has no ``feedback=`` store.
            ValueError: unknown `id`, `score` outside [0, 1] or NaN.
        """
        self._routing.router.record_feedback(id, score, comment)

    def learn(self) -> dict[str, Any]:
        """Adapt the scorer from the feedback recorded since the last call; `scorer` becomes the adapted scorer.

        Returns:
            A summary: records used, the learner's state (see `langroute.feedback.learner`).
        """
        summary = self._routing.router.learn()
        self.__dict__["scorer"] = self._routing.router.scorer  # the field shows the scorer in use; no rebuild
        return summary

    # -- chat and completion ------------------------------------------------------------------------------------

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Route `messages`, then call the chosen candidate's `chat`. ``route="name"`` forces a candidate."""
        return run(self._routing, Call("chat", chat_conversation(messages), (messages,), kwargs, messages=messages))

    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Async `chat`."""
        return await arun(
            self._routing, Call("achat", chat_conversation(messages), (messages,), kwargs, messages=messages)
        )

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Route `prompt`, then call the chosen candidate's `complete`. ``route="name"`` forces a candidate."""
        return run(self._routing, Call("complete", prompt_conversation(prompt), (prompt, formatted), kwargs))

    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Async `complete`."""
        return await arun(self._routing, Call("acomplete", prompt_conversation(prompt), (prompt, formatted), kwargs))

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Route `messages`, then stream the chosen candidate's own `stream_chat`."""
        conversation = chat_conversation(messages)
        return run(
            self._routing, Call("stream_chat", conversation, (messages,), kwargs, stream=True, messages=messages)
        )

    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        """Async `stream_chat`."""
        conversation = chat_conversation(messages)
        return await arun(
            self._routing, Call("astream_chat", conversation, (messages,), kwargs, stream=True, messages=messages)
        )

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        """Route `prompt`, then stream the chosen candidate's own `stream_complete`."""
        conversation = prompt_conversation(prompt)
        return run(self._routing, Call("stream_complete", conversation, (prompt, formatted), kwargs, stream=True))

    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseAsyncGen:
        """Async `stream_complete`."""
        conversation = prompt_conversation(prompt)
        return await arun(
            self._routing, Call("astream_complete", conversation, (prompt, formatted), kwargs, stream=True)
        )

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
        options = (verbose, allow_parallel_tool_calls, tool_required)
        return run(self._routing, _tools_call("chat_with_tools", tools, user_msg, chat_history, options, kwargs))

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
        options = (verbose, allow_parallel_tool_calls, tool_required)
        return await arun(
            self._routing, _tools_call("achat_with_tools", tools, user_msg, chat_history, options, kwargs)
        )

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
        options = (verbose, allow_parallel_tool_calls, tool_required)
        return run(
            self._routing,
            _tools_call("stream_chat_with_tools", tools, user_msg, chat_history, options, kwargs, stream=True),
        )

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
        options = (verbose, allow_parallel_tool_calls, tool_required)
        call = _tools_call("astream_chat_with_tools", tools, user_msg, chat_history, options, kwargs, stream=True)
        return await arun(self._routing, call)

    def get_tool_calls_from_response(
        self,
        response: ChatResponse,
        error_on_no_tool_call: bool = True,
        **kwargs: Any,
    ) -> list[ToolSelection]:
        """Ask the candidate that produced `response` (named in ``additional_kwargs["langroute"]``) to read it.

        With ``sticky="tool_loop"`` the router remembers the tool calls' ids, so their results go back to that
        candidate.

        Raises:
            ValueError: `response` does not come from this router and there is more than one candidate.
            TypeError: that candidate has no ``get_tool_calls_from_response``.
        """
        name = (response.additional_kwargs.get("langroute") or {}).get("model")
        if name not in self.models:
            if not error_on_no_tool_call and not response.message.blocks and not tool_call_ids(response):
                return []  # e.g. the empty response an agent starts from when a stream produced nothing
            if len(self.models) != 1:
                raise ValueError(
                    f"response.additional_kwargs['langroute'] names no candidate (got {name!r}); pass a response "
                    f"produced by this RouterLLM, whose candidates are {list(self.models)}"
                )
            name = next(iter(self.models))
        routing = self._routing
        read = routing.bound(name, "get_tool_calls_from_response", None)
        selections = read(response, error_on_no_tool_call=error_on_no_tool_call, **kwargs)
        if selections and routing.router.sticky is not None:
            routing.tool_calls.remember([s.tool_id for s in selections if s.tool_id], name)
        return selections

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
        route, task, thread_id = kwargs.pop("route", None), kwargs.pop("task", None), kwargs.pop("thread_id", None)
        conversation = tools_conversation(user_msg, chat_history, has_tools=bool(tools))
        decision = self._routing.router.decide(conversation, route=route, task=task, thread_id=thread_id)
        candidate = self.models[decision.model]
        if isinstance(candidate, FunctionCallingLLM):  # copes with integrations that predate `tool_required`
            prepare = candidate._prepare_chat_with_tools_compat
        else:
            prepare = self._routing.bound(decision.model, "_prepare_chat_with_tools", None)
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

    # -- helpers for the call loop (langroute.llama_index.calls) -------------------------------------------------

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


def _known(candidate: Candidate) -> Candidate:
    """`candidate` with its unknown capabilities read from the LLM's ``metadata`` (see `RouterLLM.candidates`)."""
    try:
        meta = candidate.model.metadata
    except (ValueError, KeyError, NotImplementedError):  # e.g. an integration that does not know its model name
        return candidate
    window = meta.context_window
    return candidate.with_known(
        context_window=window if isinstance(window, int) and window > 0 and window != DEFAULT_CONTEXT_WINDOW else None,
        tools=meta.is_function_calling_model if isinstance(meta.is_function_calling_model, bool) else None,
    )


def _build_router(config: Mapping[str, Any]) -> Router:
    """The core `Router` for these field values; its errors name the field (the same rules as `RouterChatModel`)."""
    candidates = as_candidates(config.get("models"), LLM, _LLM_DESCRIPTION)
    options = {field: value for field, value in config.items() if field != "models"}
    return Router([_known(candidate) for candidate in candidates], **options)


def _field_values(config: Mapping[str, Any], router: Router) -> dict[str, Any]:
    """The routing fields as stored: a plain dict of models, the scorer in use, the thresholds in force..."""
    return {
        "models": {c.name: c.model for c in router.candidates},
        "scorer": router.scorer,
        "thresholds": _thresholds_in_force(router, config.get("thresholds")),
        "routes": None
        if not router.policy.ladders
        else {t: list(ladder.names) for t, ladder in router.policy.ladders.items()},
        "classifier": router.classifier,
        "fallbacks": router.fallbacks,
        "fallback_on": router.fallback_on,
        "sticky": router.sticky,
        "mode": router.mode,
        "shadow_model": config.get("shadow_model"),
        "explore": router.explore,
        "seed": router.seed,
        "feedback": router.feedback,
        "escalate": router.escalate,
        "max_escalations": router.max_escalations,
        "timeout": router.timeout,
        "stream_timeout": router.stream_timeout,
        "cooldown": router.breakers.cooldown,
        "max_failures": router.breakers.max_failures,
    }


def _thresholds_in_force(router: Router, given: object) -> list[float] | dict[str, list[float]]:
    """The thresholds in force: a list for the full ladder, or (when a dict was given) one list per ladder."""
    policy = router.policy
    if not isinstance(given, Mapping):
        return list(policy.thresholds)
    return {"default": list(policy.thresholds), **{t: list(ladder.thresholds) for t, ladder in policy.ladders.items()}}


def _tools_call(
    method: str,
    tools: Sequence[BaseTool],
    user_msg: str | ChatMessage | None,
    chat_history: list[ChatMessage] | None,
    options: tuple[bool, bool, bool],
    kwargs: dict[str, Any],
    *,
    stream: bool = False,
) -> Call:
    """The `Call` of a ``*_with_tools`` method, from its arguments (in order)."""
    conversation = tools_conversation(user_msg, chat_history, has_tools=bool(tools))
    verbose, allow_parallel_tool_calls, tool_required = options
    kwargs.update(
        user_msg=user_msg,
        chat_history=chat_history,
        verbose=verbose,
        allow_parallel_tool_calls=allow_parallel_tool_calls,
        tool_required=tool_required,
    )
    messages = chat_history if user_msg is None else None
    return Call(method, conversation, (tools,), kwargs, stream=stream, messages=messages, tools=tools)


def _shared(values: Iterable[T]) -> T | None:
    """The one value all of `values` share, else None."""
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else None
