"""The router's own run: child managers for the candidate, decision reports, and what the run records.

The router opens one LangChain chat-model run per call and calls the candidate as its child. The candidate's run
is the provider's call (LangSmith prices it, usage handlers count it); the router's run records the same answer
without ``usage_metadata``, so tokens are counted once. The candidate's usage is kept for `RoutingStats` under
``llm_output["langroute_usage"]``, a key no pricing or usage handler reads.
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

from langroute.decision import RoutingDecision

__all__ = [
    "DECISION_EVENT",
    "USAGE_KEY",
    "areport",
    "as_chunk",
    "child_manager",
    "first_chunk",
    "record",
    "report",
    "stream_record",
    "with_decision",
]

DECISION_EVENT: Final = "langroute_decision"
"""Name of the LangChain custom event that carries each routing decision (its data is the decision dict)."""

USAGE_KEY: Final = "langroute_usage"
"""``llm_output`` key of the router's run that keeps the candidate's token usage (read by `RoutingStats`)."""


def child_manager(run_manager: Any, manager_cls: type[Any]) -> Any:
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
    """`message` with ``response_metadata["langroute"]`` set to the decision dict."""
    metadata = {**message.response_metadata, "langroute": decision.to_dict()}
    return message.model_copy(update={"response_metadata": metadata})


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
