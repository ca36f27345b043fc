"""One routed call of `RouterChatModel`: the core's `Attempts` loop over the candidates, sync, async and streamed.

Per attempt: report the decision, call the candidate (within its timeout), and on an error fall back; on an
answer, run the answer checks (``escalate=``) and maybe escalate; tag the accepted answer with its final decision
(its cost included). Streams fall back only before their first chunk. With answer checks a stream is *buffered*:
the candidate is invoked, its answer checked, and the accepted answer replayed as one chunk, so a stream never
shows two answers (the trade-off: no token-by-token output while checks are on; see `RouterChatModel`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, Final, NamedTuple
from uuid import UUID

from langchain_core.callbacks import (
    AsyncCallbackManager,
    AsyncCallbackManagerForLLMRun,
    CallbackManager,
    CallbackManagerForLLMRun,
)
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig

from langroute import timeouts
from langroute.checks import Answer
from langroute.conversation import Conversation
from langroute.decision import RoutingDecision
from langroute.langchain._answers import answer_view, usage
from langroute.langchain._runs import (
    areplay,
    areport,
    child_manager,
    cost_chunk,
    first_chunk,
    replay,
    report,
    with_decision,
)
from langroute.langchain.tools import ToolBinding
from langroute.router import Router

if TYPE_CHECKING:
    from langroute.langchain.structured import StructuredOutput

__all__ = ["Call", "Reply", "ainvoke", "astream", "buffers", "invoke", "stream"]


class Reply(NamedTuple):
    """A candidate's answer: the message, and (for structured output) the parsed value and parsing error."""

    message: BaseMessage
    parsed: Any = None
    error: BaseException | None = None


_reply: Final = tuple.__new__


class Call:
    """One call's arguments, split into what the router uses and what the candidate gets.

    `input` is what the candidate is called with: the messages, or the caller's `str` as it came.
    """

    __slots__ = (
        "conversation",
        "input",
        "kwargs",
        "models",
        "nested",
        "route",
        "stop",
        "structured",
        "task",
        "thread_id",
        "tools",
    )

    def __init__(
        self,
        *,
        models: Mapping[str, BaseChatModel],
        input: list[BaseMessage] | str,
        conversation: Conversation,
        route: str | None,
        task: str | None,
        thread_id: str | None,
        stop: list[str] | None,
        tools: ToolBinding | None = None,
        structured: StructuredOutput | None = None,
        nested: bool = False,
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.models = models
        self.input = input
        self.conversation = conversation
        self.route = route
        self.task = task
        self.thread_id = thread_id
        self.stop = stop
        self.tools = tools
        self.structured = structured
        self.nested = nested
        self.kwargs = kwargs if kwargs is not None else {}

    def decide(self, router: Router, id: str | None) -> RoutingDecision:
        """The router's decision for this call."""
        return router.decide(self.conversation, route=self.route, task=self.task, thread_id=self.thread_id, id=id)

    async def adecide(self, router: Router, id: str | None) -> RoutingDecision:
        """Async `decide`."""
        return await router.adecide(
            self.conversation, route=self.route, task=self.task, thread_id=self.thread_id, id=id
        )

    def model(self, decision: RoutingDecision) -> Runnable[LanguageModelInput, Any]:
        """The chosen candidate: bound with the call's tools, or its own structured-output runnable."""
        model = self.models[decision.model]
        if self.structured is not None:
            return self.structured.candidate(model)
        return self.tools.bind(model) if self.tools is not None else model

    def parse(self, output: Any) -> Reply:
        """The candidate's output as a `Reply`; an unparseable structured answer raises (and falls back)."""
        if self.structured is not None:
            return self.structured.parse(output)
        return _reply(Reply, (output, None, None))  # `Reply(output)` without the generated keyword `__new__`

    def view(self, reply: Reply) -> Answer:
        """The answer as the checks read it: text, tool calls, finish reason, bound tools, requested schema."""
        if self.structured is not None:
            return answer_view(reply.message, tools=None, schema=self.structured.json_schema, structured=reply.parsed)
        tools = self.tools.schemas() if self.tools is not None else {}
        return answer_view(reply.message, tools=tools)

    def tagged(self, reply: Reply, decision: RoutingDecision) -> tuple[AIMessage, Any]:
        """The answer with its decision, and what the caller gets."""
        message = with_decision(reply.message, decision)
        if self.structured is not None:
            return message, self.structured.result(message, reply)
        return message, message

    def outer(self, decision: RoutingDecision) -> str | None:
        """The decision id handed to a candidate that is itself a router (see `langroute.langchain._runs`)."""
        return decision.id if self.nested else None


def buffers(router: Router) -> bool:
    """Whether answers are checked before they are shown (`Attempts.checks` for every decision of `router`)."""
    return bool(router.escalate) and router.max_escalations > 0 and router.mode != "shadow"


def invoke(
    router: Router,
    call: Call,
    messages: list[BaseMessage] | str,
    decision: RoutingDecision,
    run_manager: CallbackManagerForLLMRun | None,
    inherited: RunnableConfig | None = None,
) -> tuple[AIMessage, Any]:
    """Try the candidates until one answers (and passes the checks): (the tagged answer, what the caller gets).

    The candidate's run is a child of `run_manager`'s; without one (no handler listens), it gets `inherited`.
    """
    attempts = router.attempts(decision, call.conversation)
    quiet = attempts.checks
    config = _child_config(run_manager, CallbackManager, inherited, quiet, call.outer(decision))
    for attempt in attempts:
        report(attempt, run_manager)
        runnable = call.model(attempt)
        timeout = attempts.timeout
        try:
            if timeout is None:  # what `timeouts.call` would do, without building the `partial` it needs
                output = runnable.invoke(messages, config, stop=call.stop, **call.kwargs)
            else:
                request = partial(runnable.invoke, messages, config, stop=call.stop, **call.kwargs)
                output = timeouts.call(request, timeout, attempt.model, router.pool)
            reply = call.parse(output)
        except Exception as exc:  # noqa: BLE001 - the fallback boundary
            attempts.failed(exc)
            continue
        tokens = usage(reply.message)
        if not quiet or attempts.accept(call.view(reply), (reply, tokens), tokens):
            return call.tagged(reply, attempts.finish(*tokens))
    return _kept(call, attempts)


async def ainvoke(
    router: Router,
    call: Call,
    messages: list[BaseMessage] | str,
    decision: RoutingDecision,
    run_manager: AsyncCallbackManagerForLLMRun | None,
    inherited: RunnableConfig | None = None,
) -> tuple[AIMessage, Any]:
    """Async `invoke` (async checks are awaited)."""
    attempts = router.attempts(decision, call.conversation)
    quiet = attempts.checks
    config = _child_config(run_manager, AsyncCallbackManager, inherited, quiet, call.outer(decision))
    for attempt in attempts:
        await areport(attempt, run_manager)
        runnable = call.model(attempt)
        request = runnable.ainvoke(messages, config, stop=call.stop, **call.kwargs)
        try:
            reply = call.parse(await timeouts.acall(request, attempts.timeout, attempt.model))
        except Exception as exc:  # noqa: BLE001 - the fallback boundary
            attempts.failed(exc)
            continue
        tokens = usage(reply.message)
        if not quiet or await attempts.aaccept(call.view(reply), (reply, tokens), tokens):
            return call.tagged(reply, attempts.finish(*tokens))
    return _kept(call, attempts)


def _kept(call: Call, attempts: Any) -> tuple[AIMessage, Any]:
    """The earlier answer, when every candidate an escalation tried failed."""
    _, (reply, tokens) = attempts.kept
    return call.tagged(reply, attempts.finish_kept(*tokens))


def stream(
    router: Router,
    call: Call,
    messages: list[BaseMessage] | str,
    decision: RoutingDecision,
    run_manager: CallbackManagerForLLMRun | None,
    run_id: UUID | None,
    inherited: RunnableConfig | None = None,
) -> Iterator[AIMessageChunk]:
    """Stream the chosen candidate's own chunks; the first carries the decision, a last one the cost (if priced)."""
    if buffers(router):
        message, _ = invoke(router, call, messages, decision, run_manager, inherited)
        yield replay(message, run_manager)
        return
    attempts = router.attempts(decision, call.conversation)
    child = _child_config(run_manager, CallbackManager, inherited, False, call.outer(decision))
    for attempt in attempts:
        report(attempt, run_manager)
        config: RunnableConfig = {**child, "run_id": run_id} if run_id else child
        chunks = call.model(attempt).stream(messages, config, stop=call.stop, **call.kwargs)
        timeout, name = attempts.stream_timeout, attempt.model
        try:
            first = timeouts.next_chunk(chunks, timeout, name, router.pool)  # fall back only before the first chunk
        except Exception as exc:  # noqa: BLE001 - the fallback boundary
            attempts.failed(exc)
            _close(chunks)
            run_id = None
            continue
        tally = _Usage()
        chunk = first_chunk(None if first is timeouts.END else tally.add(first), attempt)
        last = chunk
        try:
            while chunk is not timeouts.END:
                yield chunk
                last = chunk
                chunk = timeouts.next_chunk(chunks, timeout, name, router.pool)
                if chunk is not timeouts.END:
                    tally.add(chunk)
        except GeneratorExit:  # the consumer closed the stream: the candidate answered, as far as it was read
            attempts.finish(tally.input_tokens, tally.output_tokens)
            raise
        except Exception as exc:
            attempts.broke(exc)  # counted against the candidate; after the first chunk the stream cannot fall back
            raise
        finally:
            _close(chunks)
        final = attempts.finish(tally.input_tokens, tally.output_tokens)
        if final.cost_usd is not None:
            yield cost_chunk(last.id, final)
        return


async def astream(
    router: Router,
    call: Call,
    messages: list[BaseMessage] | str,
    decision: RoutingDecision,
    run_manager: AsyncCallbackManagerForLLMRun | None,
    run_id: UUID | None,
    inherited: RunnableConfig | None = None,
) -> AsyncIterator[AIMessageChunk]:
    """Async `stream`."""
    if buffers(router):
        message, _ = await ainvoke(router, call, messages, decision, run_manager, inherited)
        yield await areplay(message, run_manager)
        return
    attempts = router.attempts(decision, call.conversation)
    child = _child_config(run_manager, AsyncCallbackManager, inherited, False, call.outer(decision))
    for attempt in attempts:
        await areport(attempt, run_manager)
        config: RunnableConfig = {**child, "run_id": run_id} if run_id else child
        chunks = call.model(attempt).astream(messages, config, stop=call.stop, **call.kwargs)
        timeout, name = attempts.stream_timeout, attempt.model
        try:
            first = await timeouts.anext_chunk(chunks, timeout, name)  # fall back only before the first chunk
        except Exception as exc:  # noqa: BLE001 - the fallback boundary
            attempts.failed(exc)
            await _aclose(chunks)
            run_id = None
            continue
        tally = _Usage()
        chunk = first_chunk(None if first is timeouts.END else tally.add(first), attempt)
        last = chunk
        try:
            while chunk is not timeouts.END:
                yield chunk
                last = chunk
                chunk = await timeouts.anext_chunk(chunks, timeout, name)
                if chunk is not timeouts.END:
                    tally.add(chunk)
        except GeneratorExit:  # the consumer closed the stream: the candidate answered, as far as it was read
            attempts.finish(tally.input_tokens, tally.output_tokens)
            raise
        except Exception as exc:
            attempts.broke(exc)  # counted against the candidate; after the first chunk the stream cannot fall back
            raise
        finally:
            await _aclose(chunks)
        final = attempts.finish(tally.input_tokens, tally.output_tokens)
        if final.cost_usd is not None:
            yield cost_chunk(last.id, final)
        return


def _child_config(
    run_manager: Any, manager_cls: type[Any], inherited: RunnableConfig | None, quiet: bool, outer: str | None
) -> RunnableConfig:
    """The candidate's config: a child of the router's run, or (no run) what the caller's config passes on."""
    if run_manager is None and inherited is not None:
        return inherited
    return {"callbacks": child_manager(run_manager, manager_cls, quiet=quiet, outer=outer)}


def _close(chunks: Iterator[Any]) -> None:
    """End a candidate's stream (its run ends too), unless a timed-out worker thread is still reading it."""
    try:
        chunks.close()  # type: ignore[attr-defined]
    except ValueError:  # "generator already executing": it ends when the candidate returns
        return


async def _aclose(chunks: AsyncIterator[Any]) -> None:
    """Async `_close`."""
    try:
        await chunks.aclose()  # type: ignore[attr-defined]
    except RuntimeError:  # "asynchronous generator is already running"
        return


class _Usage:
    """Token usage summed over a stream's chunks."""

    __slots__ = ("input_tokens", "output_tokens")

    def __init__(self) -> None:
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None

    def add(self, chunk: Any) -> Any:
        found = getattr(chunk, "usage_metadata", None)
        if found:
            self.input_tokens = (self.input_tokens or 0) + found.get("input_tokens", 0)
            self.output_tokens = (self.output_tokens or 0) + found.get("output_tokens", 0)
        return chunk
