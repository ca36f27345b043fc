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

from typing import Any, Final, cast

from langchain_core.callbacks import (
    AsyncCallbackManager,
    AsyncCallbackManagerForLLMRun,
    CallbackManager,
    CallbackManagerForLLMRun,
)
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, LLMResult
from langchain_core.tracers._streaming import _StreamingCallbackHandler, _V2StreamingCallbackHandler

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
    return message.model_copy(update={"response_metadata": metadata})


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
