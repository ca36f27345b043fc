"""The router's own run: child managers for the candidate, decision reports, and what the run records.

The router opens one LangChain chat-model run per call and calls the candidate as its child. The candidate's run
is the provider's call (LangSmith prices it, usage handlers count it); the router's run records the same answer
without ``usage_metadata``, so tokens are counted once. The candidate's usage is kept for `RoutingStats` under
``llm_output["langroute_usage"]``, a key no pricing or usage handler reads.

With answer checks (``escalate=``) a candidate's answer may be rejected, so its tokens must not reach a stream:
its run is *quiet* (tagged ``nostream``, without the streaming handlers of ``astream_events`` and LangGraph's
``stream_mode="messages"``, so the candidate does not stream internally), and the router's own run reports the
accepted answer as one token. A candidate that is itself a router gets ``metadata["langroute_outer"]`` (the outer
decision's id), so `RoutingStats` counts the call once, at the outermost router.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any, Final, cast

from langchain_core.callbacks import (
    AsyncCallbackManager,
    AsyncCallbackManagerForLLMRun,
    CallbackManager,
    CallbackManagerForLLMRun,
)
from langchain_core.globals import get_debug
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, LLMResult
from langchain_core.tracers._streaming import _StreamingCallbackHandler, _V2StreamingCallbackHandler
from langchain_core.tracers.context import _configure_hooks, _tracing_v2_is_enabled
from pydantic import BaseModel

from langroute.decision import RoutingDecision

__all__ = [
    "DECISION_EVENT",
    "NESTED_KEY",
    "QUIET_TAG",
    "RESULT_EVENT",
    "USAGE_KEY",
    "areplay",
    "areport",
    "as_chunk",
    "child_manager",
    "cost_chunk",
    "first_chunk",
    "may_listen",
    "quiet_handlers",
    "record",
    "replay",
    "report",
    "stream_record",
    "streams_tokens",
    "with_decision",
]

DECISION_EVENT: Final = "langroute_decision"
"""Name of the LangChain custom event that carries each routing decision (its data is the decision dict)."""

RESULT_EVENT: Final = "langroute_result"
"""Custom event `RoutingMiddleware` sends after each model call: ``{"decision": dict | None, "input_tokens",
"output_tokens", "failed"}`` (a `RouterChatModel`'s own run records the same in its end or error)."""

USAGE_KEY: Final = "langroute_usage"
"""``llm_output`` key of the router's run that keeps the candidate's token usage (read by `RoutingStats`)."""

NESTED_KEY: Final = "langroute_outer"
"""Run metadata key marking a router called as another router's candidate (value: the outer decision's id)."""

QUIET_TAG: Final = "nostream"
"""Tag of a candidate run whose answer is checked before it is shown (LangGraph's ``TAG_NOSTREAM``)."""


_V1_TRACING: Final = ("LANGCHAIN_TRACING", "LANGCHAIN_HANDLER")  # `configure` raises when set without V2
_TRACING_VARIABLES: Final = ("LANGSMITH_TRACING_V2", "LANGCHAIN_TRACING_V2", "LANGSMITH_TRACING", *_V1_TRACING)


def may_listen(inheritable: Any, local: Any, verbose: bool) -> bool:
    """Whether `CallbackManager.configure(inheritable, local, verbose)` could give a manager with a handler.

    ``False`` only when none of `configure`'s sources of handlers has one: the callbacks given, verbose, debug,
    LangSmith tracing (a tracing context, a run tree, the global switch, the environment), the v1 tracing variables
    and the context-variable hooks (`collect_runs`, `get_usage_metadata_callback`, ...). A `configure` call costs
    ~90k instructions; this ~6k. When in doubt it says ``True`` and the caller runs `configure`
    (`tests/langchain/test_unobserved_calls.py` checks that the two agree).
    """
    if _has_handlers(inheritable) or _has_handlers(local) or verbose or get_debug():
        return True
    if _tracing_may_be_on():
        return True
    for var, _, handler_class, env_var in _configure_hooks:
        if var.get() is not None or (env_var is not None and handler_class is not None and env_var in os.environ):
            return True
    return False


def _has_handlers(callbacks: Any) -> bool:
    if callbacks is None:
        return False
    if isinstance(callbacks, list):
        return bool(callbacks)
    handlers = getattr(callbacks, "handlers", None)
    return handlers is None or bool(handlers)  # an unknown kind of callbacks: assume it listens


def _env_set(names: tuple[str, ...]) -> bool:
    """Whether any of `names` is in the environment (the raw dict when there is one: no KeyError per miss)."""
    raw = getattr(os.environ, "_data", None)
    if type(raw) is dict:
        return not raw.keys().isdisjoint(_encoded(names))
    return any(name in os.environ for name in names)


@cache
def _encoded(names: tuple[str, ...]) -> frozenset[Any]:
    return frozenset(map(os.environ.encodekey, names))  # type: ignore[attr-defined]


try:  # LangSmith's tracing switches, read without `tracing_is_enabled`'s per-call imports (~24k instructions)
    from langchain_core.tracers.context import tracing_v2_callback_var
    from langsmith._internal import _context as _ls_context

    _ls_context._TRACING_ENABLED.get  # noqa: B018 - fail here, at import, if the layout changed
    _ls_context.get_current_run_tree  # noqa: B018
    _ls_context._GLOBAL_TRACING_ENABLED  # noqa: B018

    def _tracing_may_be_on() -> bool:
        """`_tracing_v2_is_enabled`, except that a tracing variable in the environment counts as "maybe"."""
        if tracing_v2_callback_var.get() is not None:
            return True
        enabled = _ls_context._TRACING_ENABLED.get()  # `tracing_context(enabled=...)` wins over the rest
        if enabled is not None:
            return bool(enabled)
        if _ls_context.get_current_run_tree() is not None:
            return True
        if _ls_context._GLOBAL_TRACING_ENABLED is not None:
            return bool(_ls_context._GLOBAL_TRACING_ENABLED)
        return _env_set(_TRACING_VARIABLES)

except (ImportError, AttributeError):  # another LangSmith: ask it (exact, slower)

    def _tracing_may_be_on() -> bool:
        return bool(_tracing_v2_is_enabled()) or _env_set(_V1_TRACING)


def child_manager(run_manager: Any, manager_cls: type[Any], *, quiet: bool = False, outer: str | None = None) -> Any:
    """A callback manager for the candidate's run: the router's inheritable handlers, tags and metadata.

    Args:
        run_manager: the router's run.
        manager_cls: `CallbackManager` or `AsyncCallbackManager`.
        quiet: hide the candidate's tokens from streams (its answer is checked first, see the module docstring).
        outer: the decision id, when the candidate is itself a router (see `NESTED_KEY`).
    """
    if run_manager is None:
        return None
    manager = manager_cls(handlers=[], parent_run_id=run_manager.run_id)
    handlers = run_manager.inheritable_handlers
    manager.set_handlers(quiet_handlers(handlers) if quiet else handlers)
    manager.add_tags(run_manager.inheritable_tags)
    manager.add_metadata(run_manager.inheritable_metadata)
    if quiet:
        manager.add_tags([QUIET_TAG])
    if outer is not None:
        manager.add_metadata({NESTED_KEY: outer})
    return manager


def _is_streaming(handler: Any) -> bool:
    """Whether `handler` consumes token streams (``astream_events``, ``astream_log``, LangGraph messages mode)."""
    return isinstance(handler, (_StreamingCallbackHandler, _V2StreamingCallbackHandler))


def quiet_handlers(handlers: list[Any]) -> list[Any]:
    """`handlers` without the stream consumers, so a candidate whose answer may be rejected does not stream."""
    return [handler for handler in handlers if not _is_streaming(handler)]


def streams_tokens(run_manager: Any) -> bool:
    """Whether the run has a handler that shows tokens (then a buffered answer is replayed to it as one token)."""
    return run_manager is not None and any(_is_streaming(handler) for handler in run_manager.handlers)


def replay(message: BaseMessage, run_manager: CallbackManagerForLLMRun | None) -> AIMessageChunk:
    """The accepted `message` as one chunk, reported as the router run's token."""
    chunk = as_chunk(message)
    if run_manager is not None:
        run_manager.on_llm_new_token(chunk.text, chunk=ChatGenerationChunk(message=chunk))
    return chunk


async def areplay(message: BaseMessage, run_manager: AsyncCallbackManagerForLLMRun | None) -> AIMessageChunk:
    """Async `replay`."""
    chunk = as_chunk(message)
    if run_manager is not None:
        await run_manager.on_llm_new_token(chunk.text, chunk=ChatGenerationChunk(message=chunk))
    return chunk


def _event_manager(run_manager: Any, manager_cls: type[Any]) -> Any:
    """A manager that reaches all of the router run's handlers (local ones too), to report a decision."""
    return manager_cls(
        handlers=run_manager.handlers,
        parent_run_id=run_manager.run_id,
        tags=run_manager.tags,
        metadata=run_manager.metadata,
    )


def report(decision: RoutingDecision, run_manager: CallbackManagerForLLMRun | None) -> None:
    """Send the decision as a ``langroute_decision`` custom event from the router's run."""
    if run_manager is not None and run_manager.handlers:  # no handler, no one to tell
        manager = _event_manager(run_manager, CallbackManager)
        manager.on_custom_event(DECISION_EVENT, decision.to_dict(), run_id=run_manager.run_id)


async def areport(decision: RoutingDecision, run_manager: AsyncCallbackManagerForLLMRun | None) -> None:
    """Async `report`."""
    if run_manager is not None and run_manager.handlers:
        manager = _event_manager(run_manager, AsyncCallbackManager)
        await manager.on_custom_event(DECISION_EVENT, decision.to_dict(), run_id=run_manager.run_id)


def with_decision(message: BaseMessage, decision: RoutingDecision) -> Any:
    """`message` with ``response_metadata["langroute"]`` set to the decision dict.

    When the candidate is itself a router, its decision (already on the message) is kept as ``"inner"``.
    """
    inner = message.response_metadata.get("langroute")
    if inner is not None:
        decision = decision.with_inner(inner)
    metadata = {**message.response_metadata, "langroute": decision.to_dict()}
    return _with_response_metadata(message, metadata)


_set: Final = object.__setattr__
_METADATA_FIELD: Final = frozenset({"response_metadata"})


def _with_response_metadata(message: BaseMessage, metadata: dict[str, Any]) -> Any:
    """``message.model_copy(update={"response_metadata": metadata})`` in ~12k instructions instead of ~22k.

    What pydantic's `__copy__` and `model_copy` do, without their generic steps: a shallow copy of the fields, the
    extra fields and the fields set, with `response_metadata` replaced. A message class with its own `__copy__` or
    private attributes takes `model_copy` itself.
    """
    cls = type(message)
    if cls.__copy__ is not BaseModel.__copy__ or getattr(message, "__pydantic_private__", None) is not None:
        return message.model_copy(update={"response_metadata": metadata})
    copied = cls.__new__(cls)
    _set(copied, "__dict__", {**message.__dict__, "response_metadata": metadata})
    extra = message.__pydantic_extra__
    _set(copied, "__pydantic_extra__", None if extra is None else dict(extra))
    _set(copied, "__pydantic_fields_set__", message.__pydantic_fields_set__ | _METADATA_FIELD)
    _set(copied, "__pydantic_private__", None)
    return copied


def cost_chunk(message_id: str | None, decision: RoutingDecision) -> AIMessageChunk:
    """A content-free last chunk that adds the call's cost to the decision of a streamed answer.

    Streamed metadata merges key by key, and a ``None`` takes the later value: summing the chunks gives the first
    chunk's decision with ``cost_usd`` (and the baselines) filled in.
    """
    costs = {"cost_usd": decision.cost_usd, "baseline_cost_usd": decision.baseline_cost_usd}
    if decision.would_cost_usd is not None:
        costs["would_cost_usd"] = decision.would_cost_usd
    return AIMessageChunk(content="", id=message_id, response_metadata={"langroute": costs})


def first_chunk(chunk: AIMessageChunk | None, decision: RoutingDecision) -> AIMessageChunk:
    """The first chunk carries the decision (streamed metadata merges by concatenation: attach it once)."""
    return cast(AIMessageChunk, with_decision(chunk if chunk is not None else AIMessageChunk(content=""), decision))


def record(message: BaseMessage) -> LLMResult:
    """What the router's run records for `message`: the answer minus its usage (counted on the candidate's run)."""
    unpriced, llm_output = _unpriced(message)
    return LLMResult(generations=[[ChatGeneration(message=unpriced)]], llm_output=llm_output)


def stream_record(chunks: list[AIMessageChunk]) -> LLMResult:
    """`record` for a stream: the chunks merged into one."""
    if not chunks:
        return LLMResult(generations=[])
    merged = as_chunk(chunks[0]) if len(chunks) == 1 else as_chunk(chunks[0]) + [as_chunk(c) for c in chunks[1:]]
    unpriced, llm_output = _unpriced(merged)
    return LLMResult(generations=[[ChatGenerationChunk(message=unpriced)]], llm_output=llm_output)


def _unpriced(message: BaseMessage) -> tuple[Any, dict[str, Any] | None]:
    usage = getattr(message, "usage_metadata", None)
    if usage is None:
        return message, None
    return message.model_copy(update={"usage_metadata": None}), {USAGE_KEY: dict(usage)}


def as_chunk(message: BaseMessage) -> AIMessageChunk:
    """A candidate that cannot stream yields its whole `AIMessage` from `stream`; read it as one chunk."""
    if isinstance(message, AIMessageChunk):
        return message
    fields = message.model_dump(exclude={"type"})
    return AIMessageChunk(**fields)
