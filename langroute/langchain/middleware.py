"""`RoutingMiddleware`: route each model call of a LangChain v1 agent (`create_agent`) with the langroute pipeline.

```python
from langchain.agents import create_agent
from langroute.checks import empty_answer
from langroute.langchain import RoutingMiddleware

routing = RoutingMiddleware(models={"small": small, "large": large}, thresholds=[0.6], escalate=[empty_answer])
agent = create_agent(small, tools=[get_weather], middleware=[routing])
result = agent.invoke({"messages": [("user", "Weather in Lisbon?")]})
result["messages"][-1].response_metadata["langroute"]["model"]   # the candidate that answered the last step
```
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Final, Literal

from langchain.agents.middleware.types import AgentMiddleware, ModelRequest, ModelResponse
from langchain.agents.structured_output import ProviderStrategy, ToolStrategy
from langchain_core.callbacks import BaseCallbackManager, CallbackManager
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables.config import (
    RunnableConfig,
    ensure_config,
    get_async_callback_manager_for_config,
    get_callback_manager_for_config,
    var_child_runnable_config,
)
from langgraph.errors import GraphBubbleUp
from langgraph.types import TracePolicy, omit_payload

from langroute import timeouts
from langroute.checks import Answer, Check
from langroute.classifiers.base import Classifier
from langroute.conversation import Conversation
from langroute.decision import RoutingDecision
from langroute.feedback import FeedbackStore
from langroute.langchain._answers import answer_view, tool_schemas, usage
from langroute.langchain._candidates import build_router, read_candidates, thread_id
from langroute.langchain._runs import (
    DECISION_EVENT,
    NESTED_KEY,
    QUIET_TAG,
    RESULT_EVENT,
    quiet_handlers,
    with_decision,
)
from langroute.langchain.chat_model import RouterChatModel
from langroute.langchain.messages import to_conversation, tool_loop_model
from langroute.router import FallbackOn, Router
from langroute.scorers.base import Scorer

__all__ = ["RoutingMiddleware"]

_Handler = Callable[[ModelRequest], ModelResponse]
_AsyncHandler = Callable[[ModelRequest], Awaitable[ModelResponse]]
_NO_USAGE: Final = (None, None)


class RoutingMiddleware(AgentMiddleware):
    """Pick the model of each agent step with the langroute pipeline: task, capabilities, sticky, score, checks.

    For every model call of `create_agent`, the router decides (the step's messages, its tools and response
    format are the conversation's facts), the step's request goes to the chosen candidate with
    ``request.override(model=...)`` (the agent binds the step's tools on it, as for its own model), and the answer
    is tagged with the decision in ``response_metadata["langroute"]``. Each decision (first choice, fallback,
    escalation) is sent as the ``"langroute_decision"`` custom event, and the outcome as ``"langroute_result"``
    (read by `RoutingStats`). The model given to `create_agent` itself is never called. Each step's decision has a
    fresh ``id``; pass it to `record_feedback` (or a ``langroute_feedback`` event with `FeedbackHandler`).

    - Tool loops: with ``sticky="tool_loop"`` (default) the step answering tool results goes to the candidate that
      issued the tool calls; ``sticky="thread"`` holds a thread (``configurable.thread_id``) on its first model.
    - Errors and timeouts fall back to the other candidates (`GraphInterrupt` and other `GraphBubbleUp` signals
      pass through untouched); ``escalate=`` checks each answer and sends a failed one to a stronger candidate.
      With checks on, a candidate's tokens are kept out of ``stream_mode="messages"`` and ``astream_events``
      until its answer passes (the accepted answer then appears whole), so no stream shows two answers.
    - Works next to the built-in middleware (summarization, retries, tool call limits): place it last in
      ``middleware=[...]`` to route the request the others prepared.
    - Per run, as ``task=`` / ``route=`` on `RouterChatModel`: ``agent.invoke(state, {"configurable":
      {"langroute_task": "legal"}})`` puts every step of the run on the task's ladder, ``"langroute_route":
      "large"`` forces a candidate (an unknown name raises `ConfigError` listing the valid ones).

    Args:
        models: candidate chat models by name, cheapest first, or a list of `Candidate` (prices, capabilities,
            per-candidate timeouts). Unknown capabilities are read from each model's ``profile``.
        scorer, thresholds, routes, classifier, fallbacks, fallback_on, sticky, mode, shadow_model, explore, seed,
            feedback, escalate, max_escalations, timeout, cooldown, max_failures: as for `RouterChatModel` (the
            core `Router` options). ``timeout`` bounds a whole model step (sync steps wait on a worker thread).

    Raises:
        ConfigError: bad models, thresholds, routes or options (the message names the field).
        TypeError: a model is not a `BaseChatModel`, or an option has the wrong type.
    """

    trace_policy = TracePolicy(process_inputs=omit_payload)

    def __init__(
        self,
        *,
        models: Mapping[str, BaseChatModel] | Sequence[Any],
        scorer: Scorer | None = None,
        thresholds: Sequence[float] | Mapping[str, Sequence[float]] | None = None,
        routes: Mapping[str, Sequence[str]] | None = None,
        classifier: Classifier | None = None,
        fallbacks: bool = True,
        fallback_on: FallbackOn | None = None,
        sticky: Literal["tool_loop", "thread"] | None = "tool_loop",
        mode: Literal["route", "shadow"] = "route",
        shadow_model: str | None = None,
        explore: float = 0.0,
        seed: int | None = None,
        feedback: FeedbackStore | None = None,
        escalate: Sequence[Check] = (),
        max_escalations: int = 1,
        timeout: float | None = None,
        cooldown: float | None = None,
        max_failures: int = 3,
    ) -> None:
        super().__init__()
        candidates = read_candidates(models)
        options = {
            "scorer": scorer,
            "thresholds": thresholds,
            "routes": routes,
            "classifier": classifier,
            "fallbacks": fallbacks,
            "fallback_on": fallback_on,
            "sticky": sticky,
            "mode": mode,
            "shadow_model": shadow_model,
            "explore": explore,
            "seed": seed,
            "feedback": feedback,
            "escalate": escalate,
            "max_escalations": max_escalations,
            "timeout": timeout,
            "cooldown": cooldown,
            "max_failures": max_failures,
        }
        self.router: Router = build_router(candidates, options)
        """The framework-free routing engine (shared by every step and thread of the agents using it)."""
        self.models: dict[str, BaseChatModel] = {c.name: c.model for c in candidates}
        """The candidate chat models by name, cheapest first."""
        self._nested = any(isinstance(model, RouterChatModel) for model in self.models.values())

    def record_feedback(self, id: str, score: float, comment: str | None = None) -> None:
        """Record the quality of decision `id`'s answer in [0, 1] (see `RouterChatModel.record_feedback`)."""
        self.router.record_feedback(id, score, comment)

    def learn(self) -> dict[str, Any]:
        """Adapt the scorer from the recorded feedback (see `Router.learn`)."""
        return self.router.learn()

    # -- the model call -----------------------------------------------------------------------------------------

    def wrap_model_call(self, request: ModelRequest, handler: _Handler) -> ModelResponse:
        """Route the step: decide, call the chosen candidate (falling back, escalating), tag the answer."""
        router = self.router
        conversation = self._conversation(request)
        decision = router.decide(conversation, **_per_run(router))
        attempts = router.attempts(decision, conversation)
        checked = _Checked(request) if attempts.checks else None
        try:
            for attempt in attempts:
                _report(DECISION_EVENT, attempt.to_dict())
                step = request.override(model=self.models[attempt.model])  # outside the try: our bugs raise
                call = _Step(handler, step, checked is not None, self._outer(attempt))
                try:
                    response = timeouts.call(call, attempts.timeout, attempt.model, router.pool)
                except GraphBubbleUp:
                    raise
                except Exception as exc:  # noqa: BLE001 - the fallback boundary
                    attempts.failed(exc)
                    continue
                message, tokens = _answer(response)
                if checked is None or attempts.accept(checked.view(response, message), (response, tokens), tokens):
                    return self._finish(response, attempts.finish(*tokens), tokens)
            _, (response, tokens) = attempts.kept  # type: ignore[misc]
            return self._finish(response, attempts.finish_kept(*tokens), tokens)
        except GraphBubbleUp:
            raise
        except Exception:
            _report(RESULT_EVENT, _result(None))
            raise

    async def awrap_model_call(self, request: ModelRequest, handler: _AsyncHandler) -> ModelResponse:
        """Async `wrap_model_call` (async checks are awaited; a timed-out step is cancelled)."""
        router = self.router
        conversation = self._conversation(request)
        decision = await router.adecide(conversation, **_per_run(router))
        attempts = router.attempts(decision, conversation)
        checked = _Checked(request) if attempts.checks else None
        try:
            for attempt in attempts:
                await _areport(DECISION_EVENT, attempt.to_dict())
                step = request.override(model=self.models[attempt.model])  # outside the try: our bugs raise
                call = _AsyncStep(handler, step, checked is not None, self._outer(attempt))
                try:
                    response = await timeouts.acall(call(), attempts.timeout, attempt.model)
                except GraphBubbleUp:
                    raise
                except Exception as exc:  # noqa: BLE001 - the fallback boundary
                    attempts.failed(exc)
                    continue
                message, tokens = _answer(response)
                view = checked.view(response, message) if checked is not None else None
                if checked is None or await attempts.aaccept(view, (response, tokens), tokens):
                    return await self._afinish(response, attempts.finish(*tokens), tokens)
            _, (response, tokens) = attempts.kept  # type: ignore[misc]
            return await self._afinish(response, attempts.finish_kept(*tokens), tokens)
        except GraphBubbleUp:
            raise
        except Exception:
            await _areport(RESULT_EVENT, _result(None))
            raise

    # -- helpers ------------------------------------------------------------------------------------------------

    def _conversation(self, request: ModelRequest) -> Conversation:
        """The step as the router reads it: messages, tools, response format, the issuer of pending tool calls."""
        messages: list[BaseMessage] = list(request.messages)
        if request.system_message is not None:
            messages.insert(0, request.system_message)
        fmt = request.response_format
        return to_conversation(
            messages,
            has_tools=bool(request.tools) or (fmt is not None and not isinstance(fmt, ProviderStrategy)),
            structured_output=isinstance(fmt, ProviderStrategy),
            tool_loop_model=tool_loop_model(request.messages, self.models) if self.router.sticky else None,
        )

    def _outer(self, decision: RoutingDecision) -> str | None:
        return decision.id if self._nested else None

    def _tagged(self, response: ModelResponse, decision: RoutingDecision) -> tuple[ModelResponse, dict[str, Any]]:
        result = list(response.result)
        for i in range(len(result) - 1, -1, -1):
            if isinstance(result[i], AIMessage):
                result[i] = with_decision(result[i], decision)  # a nested router's decision is kept as "inner"
                return replace(response, result=result), result[i].response_metadata["langroute"]
        return response, decision.to_dict()

    def _finish(
        self, response: ModelResponse, decision: RoutingDecision, tokens: tuple[int | None, int | None]
    ) -> ModelResponse:
        tagged, data = self._tagged(response, decision)
        _report(RESULT_EVENT, _result(data, tokens))
        return tagged

    async def _afinish(
        self, response: ModelResponse, decision: RoutingDecision, tokens: tuple[int | None, int | None]
    ) -> ModelResponse:
        tagged, data = self._tagged(response, decision)
        await _areport(RESULT_EVENT, _result(data, tokens))
        return tagged


class _Step:
    """One candidate's model call: the agent's handler, run quietly (answer checked first) or marked as nested."""

    __slots__ = ("handler", "outer", "quiet", "request")

    def __init__(self, handler: _Handler, request: ModelRequest, quiet: bool, outer: str | None) -> None:
        self.handler, self.request, self.quiet, self.outer = handler, request, quiet, outer

    def __call__(self) -> ModelResponse:
        if not self.quiet and self.outer is None:
            return self.handler(self.request)
        token = var_child_runnable_config.set(_child_config(self.quiet, self.outer))
        try:
            return self.handler(self.request)
        finally:
            var_child_runnable_config.reset(token)


class _AsyncStep:
    """Async `_Step`."""

    __slots__ = ("handler", "outer", "quiet", "request")

    def __init__(self, handler: _AsyncHandler, request: ModelRequest, quiet: bool, outer: str | None) -> None:
        self.handler, self.request, self.quiet, self.outer = handler, request, quiet, outer

    async def __call__(self) -> ModelResponse:
        if not self.quiet and self.outer is None:
            return await self.handler(self.request)
        token = var_child_runnable_config.set(_child_config(self.quiet, self.outer))
        try:
            return await self.handler(self.request)
        finally:
            var_child_runnable_config.reset(token)


class _Checked:
    """What the answer checks need from a step's request: the bound tools' and the response format's schemas."""

    __slots__ = ("schema", "tools")

    def __init__(self, request: ModelRequest) -> None:
        tools = tool_schemas(request.tools)
        fmt = request.response_format
        specs: list[Any] = []
        if isinstance(fmt, ToolStrategy):
            specs = list(fmt.schema_specs)
        elif isinstance(fmt, ProviderStrategy):
            specs = [fmt.schema_spec]
        elif fmt is not None:  # AutoStrategy or a bare schema: the agent may use either strategy
            specs = list(ToolStrategy(getattr(fmt, "schema", fmt)).schema_specs)
        if not isinstance(fmt, ProviderStrategy):
            tools.update({spec.name: spec.json_schema for spec in specs})  # the structured-output tools
        self.tools = tools
        self.schema = specs[0].json_schema if len(specs) == 1 else None

    def view(self, response: ModelResponse, message: AIMessage | None) -> Answer:
        structured = response.structured_response
        if message is None:
            return Answer("", structured=structured, tools=self.tools, schema=self.schema)
        return answer_view(message, tools=self.tools, schema=self.schema, structured=structured)


def _answer(response: ModelResponse) -> tuple[AIMessage | None, tuple[int | None, int | None]]:
    """The step's `AIMessage` and its token usage."""
    for message in reversed(response.result):
        if isinstance(message, AIMessage):
            return message, usage(message)
    return None, _NO_USAGE


def _result(decision: dict[str, Any] | None, tokens: tuple[int | None, int | None] = _NO_USAGE) -> dict[str, Any]:
    """The ``langroute_result`` event's data: the final decision (``None`` when the step failed) and its usage."""
    return {"decision": decision, "input_tokens": tokens[0], "output_tokens": tokens[1], "failed": decision is None}


def _per_run(router: Router) -> dict[str, Any]:
    """``decide``'s per-run options from the run's ``configurable``: ``langroute_task``, ``langroute_route`` and
    the ``thread_id`` (read for ``sticky="thread"`` only)."""
    config = ensure_config()
    configurable = config.get("configurable") or {}
    return {
        "task": _option(configurable, "langroute_task"),
        "route": _option(configurable, "langroute_route"),
        "thread_id": thread_id(router, config),
    }


def _option(configurable: Mapping[str, Any], key: str) -> str | None:
    value = configurable.get(key)
    if value is not None and not isinstance(value, str):
        raise TypeError(f"configurable[{key!r}]={value!r} is a {type(value).__name__}; expected a str (or None)")
    return value


def _child_config(quiet: bool, outer: str | None) -> RunnableConfig:
    """The current config with its callbacks made quiet (no stream consumers, ``nostream``) and/or marked nested."""
    config = ensure_config()
    callbacks = config.get("callbacks")
    if isinstance(callbacks, BaseCallbackManager):
        manager = callbacks.copy()
    else:
        manager = CallbackManager(handlers=list(callbacks or []), inheritable_handlers=list(callbacks or []))
    if quiet:
        manager.handlers = quiet_handlers(manager.handlers)
        manager.inheritable_handlers = quiet_handlers(manager.inheritable_handlers)
        manager.add_tags([QUIET_TAG])
    if outer is not None:
        manager.add_metadata({NESTED_KEY: outer})
    return {**config, "callbacks": manager}


def _report(name: str, data: dict[str, Any]) -> None:
    """Send a custom event from the agent's model step (nothing when it runs outside a traced run)."""
    manager = get_callback_manager_for_config(ensure_config())
    if manager.parent_run_id is not None and manager.handlers:
        manager.on_custom_event(name, data, run_id=manager.parent_run_id)


async def _areport(name: str, data: dict[str, Any]) -> None:
    """Async `_report`."""
    manager = get_async_callback_manager_for_config(ensure_config())
    if manager.parent_run_id is not None and manager.handlers:
        await manager.on_custom_event(name, data, run_id=manager.parent_run_id)
