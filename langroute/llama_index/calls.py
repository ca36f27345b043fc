"""The call loop of `RouterLLM`: decide, report, call the candidate, fall back, escalate, finish, tag.

One routed call is a `Call` (what to call on the chosen candidate, and what the answer checks need). `run` and
`arun` drive the core's `Attempts` over it:

- each attempt is reported as a `RoutingDecisionEvent` (first choice, each fallback, each escalation);
- the candidate's own method is called with the router's timeouts (`langroute.timeouts`: sync calls on the
  router's thread pool, async ones with ``asyncio.wait_for``);
- an error or timeout before any output falls back (for a stream: before its first chunk);
- with answer checks (``escalate=``) the answer is checked and a failed check escalates. A stream is then
  *buffered*: the candidate's whole stream is read and checked before the first chunk reaches the caller, then
  replayed chunk by chunk. The caller waits for the full answer, and only the accepted answer is ever streamed;
- the call ends with one `RoutingResultEvent` (answered, with usage and cost; or failed).

A stream without checks is handed on as it arrives; it ends its call when it is exhausted (or raises). Its chunks
share one decision dict, which gains ``cost_usd`` (and the other after-the-call fields) when the stream ends, so the
last chunk an agent keeps carries the final decision.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Final

from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import NullEventHandler

from langroute import timeouts
from langroute.conversation import as_conversation
from langroute.llama_index.answers import answer_of, tool_call_ids, tool_schemas, usage
from langroute.llama_index.events import RoutingDecisionEvent, RoutingResultEvent
from langroute.llama_index.sticky import ToolCallMemory, pending_tool_call

if TYPE_CHECKING:
    from llama_index.core.base.llms.types import ChatMessage
    from llama_index.core.llms.llm import LLM
    from llama_index.core.tools import BaseTool

    from langroute.conversation import Conversation
    from langroute.decision import RoutingDecision
    from langroute.router import Attempts, Router

__all__ = ["Call", "Routing", "arun", "run"]

dispatcher = get_dispatcher("langroute.llama_index.llm")

_OUTER: ContextVar[str | None] = ContextVar("langroute_llama_index_outer_decision", default=None)
"""The decision id of the router whose candidate is being called, while it calls a `RouterLLM` candidate."""

_NO_USAGE: Final = (None, None)


class Call:
    """One routed call: the candidate method to call with its arguments, and the facts routing and checks need.

    Args:
        method: the candidate's method (``"chat"``, ``"astream_chat_with_tools"``, ``"structured_predict"``...).
        conversation: what the scorer and classifier read.
        args: positional arguments for the method.
        kwargs: keyword arguments; the per-call routing options ``route``, ``task`` and ``thread_id`` are taken
            out here and never reach the candidate.
        stream: whether the method returns a stream.
        messages: the chat messages, when the call has them (a tool result at the end continues a tool loop).
        tools: the tools bound to the call (``*_with_tools``).
        output_cls: the structured output the call asks for.
        tag: whether the result is a response that carries the decision (structured objects do not).
        target: turns the candidate into the object whose `method` is called (``as_structured_llm``).
        routing: where the per-call routing options are, when not in `kwargs` (structured calls: ``llm_kwargs``).
    """

    __slots__ = (
        "args",
        "conversation",
        "kwargs",
        "messages",
        "method",
        "output_cls",
        "route",
        "stream",
        "tag",
        "target",
        "task",
        "thread_id",
        "tools",
    )

    def __init__(
        self,
        method: str,
        conversation: Conversation,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        stream: bool = False,
        messages: Sequence[ChatMessage] | None = None,
        tools: Sequence[BaseTool] | None = None,
        output_cls: type[Any] | None = None,
        tag: bool = True,
        target: Callable[[LLM], Any] | None = None,
        routing: dict[str, Any] | None = None,
    ) -> None:
        self.method = method
        self.conversation = conversation
        options = kwargs if routing is None else routing
        self.route = options.pop("route", None)
        self.task = options.pop("task", None)
        self.thread_id = options.pop("thread_id", None)
        self.args = args
        self.kwargs = kwargs
        self.stream = stream
        self.messages = messages
        self.tools = tools
        self.output_cls = output_cls
        self.tag = tag
        self.target = target


class Routing:
    """What `RouterLLM` routes with, held in one private attribute (one read per call: pydantic private attributes
    are slow to read): the core `Router`, the candidates by name, which of them are routers themselves, the
    tool-call memory, and whether any token usage is needed (prices, a feedback store)."""

    __slots__ = ("models", "nested", "priced", "router", "tool_calls")

    def __init__(self, router: Router, tool_calls: ToolCallMemory, router_class: type[Any]) -> None:
        self.router = router
        self.models = {c.name: c.model for c in router.candidates}
        self.nested = frozenset(name for name, model in self.models.items() if isinstance(model, router_class))
        self.tool_calls = tool_calls
        self.priced = router.feedback is not None or any(
            c.input_cost is not None or c.output_cost is not None for c in router.candidates
        )

    def bound(self, name: str, method: str, target: Callable[[LLM], Any] | None) -> Any:
        """Candidate `name`'s own `method` (on ``target(candidate)`` when given); `TypeError` if it has none."""
        candidate = self.models[name]
        if target is not None:
            candidate = target(candidate)
        bound = getattr(candidate, method, None)
        if bound is None:
            hint = ", so it cannot call tools" if "tool" in method else ""
            raise TypeError(
                f"candidate {name!r} ({type(candidate).__name__}) has no {method}(){hint}; give this call a "
                "candidate that implements it (for tools: a FunctionCallingLLM, or any LLM with chat_with_tools and "
                "friends)"
            )
        return bound


def _listening() -> bool:
    """Whether any event handler can see this module's events (LlamaIndex's default is only a no-op handler).

    Events are built only for someone: with no handler anywhere up the dispatcher chain, building them would only
    cost time on every call.
    """
    current: Any = dispatcher
    while current is not None:
        for handler in current.event_handlers:
            if type(handler) is not NullEventHandler:
                return True
        current = current.parent if current.propagate else None
    return False


class _Run:
    """What one call's attempts share: the routing state, the call, its `Attempts`, the outer router's decision id,
    and whether anyone listens for events."""

    __slots__ = ("attempts", "call", "listening", "outer", "router", "routing")

    def __init__(self, routing: Routing, call: Call, attempts: Attempts) -> None:
        self.routing = routing
        self.router = routing.router
        self.call = call
        self.attempts = attempts
        self.outer = _OUTER.get()
        self.listening = _listening()

    def report(self, decision: RoutingDecision) -> None:
        if self.listening:
            dispatcher.event(RoutingDecisionEvent.from_decision(decision, self.outer))

    def accepted(self, name: str, last: Any) -> tuple[Any, tuple[int | None, int | None]] | None:
        """The checks' view of the answer (`last`: the response, or a stream's last chunk) and its usage, when
        answers are checked; ``None`` otherwise."""
        if not self.attempts.checks:
            return None
        call = self.call
        tools = tool_schemas(call.tools) if call.tools is not None else None
        schema = call.output_cls.model_json_schema() if call.output_cls is not None else None
        answer = answer_of(last, self.routing.models[name], tools=tools, schema=schema)
        return answer, self.usage(last)

    def usage(self, last: Any) -> tuple[int | None, int | None]:
        """The answer's token usage, when something needs it (prices, a feedback store, an event handler)."""
        if self.call.tag and (self.routing.priced or self.listening):
            return usage(last)
        return _NO_USAGE

    def finish(self, last: Any, kept: bool = False, inner: Mapping[str, Any] | None = None) -> RoutingDecision:
        """The final decision of an answered call (cost, inner decision); remembers tool calls, reports the result.

        `inner` is the decision of a candidate that is itself a router, when the caller already read it (a stream
        whose chunks it tagged); otherwise it is read from `last`, the candidate's untagged answer.
        """
        attempts = self.attempts
        tokens = self.usage(last)
        final = attempts.finish_kept(*tokens) if kept else attempts.finish(*tokens)
        routing = self.routing
        if final.model in routing.nested:
            inner = inner if inner is not None else _inner(last)
            if inner is not None:
                final = final.with_inner(dict(inner))
        if self.call.tools is not None and self.router.sticky is not None:
            routing.tool_calls.remember(tool_call_ids(last), final.model)
        if self.listening:
            dispatcher.event(
                RoutingResultEvent(
                    id=final.id,
                    decision=final.to_dict(),
                    input_tokens=tokens[0],
                    output_tokens=tokens[1],
                    outer_id=self.outer,
                )
            )
        return final

    def failed(self, decision: RoutingDecision, error: BaseException) -> None:
        """Report a call that raised to its caller (a cancelled call is reported as not failed)."""
        if self.listening:
            dispatcher.event(
                RoutingResultEvent(
                    id=decision.id,
                    decision=decision.to_dict(),
                    failed=isinstance(error, Exception),
                    error=type(error).__name__,
                    outer_id=self.outer,
                )
            )

    def broke(self, decision: RoutingDecision, error: BaseException) -> None:
        """A stream raised after its first chunk: no fallback (one answer per stream); the call failed."""
        if isinstance(error, Exception):
            self.attempts.broke(error)
        self.failed(decision, error)


def _inner(answer: Any) -> Mapping[str, Any] | None:
    """The decision an inner router put on its answer (before this router tags it), if any."""
    inner = (getattr(answer, "additional_kwargs", None) or {}).get("langroute")
    return inner if isinstance(inner, Mapping) else None


def _conversation(routing: Routing, call: Call) -> Conversation:
    """The call's conversation; when it answers a tool call this router issued, with that candidate as the tool
    loop's (``sticky="tool_loop"``)."""
    conversation = call.conversation
    memory = routing.tool_calls
    if call.messages is not None and len(memory):
        call_id = pending_tool_call(call.messages)
        model = memory.model_for(call_id) if call_id is not None else None
        if model is not None:
            conversation = as_conversation(conversation, tool_loop_model=model)
    return conversation


def run(routing: Routing, call: Call) -> Any:
    """Route and run `call`; the response tagged with its decision (a stream of tagged chunks for streams)."""
    router = routing.router
    conversation = _conversation(routing, call)
    decision = router.decide(conversation, route=call.route, task=call.task, thread_id=call.thread_id)
    state = _Run(routing, call, router.attempts(decision, conversation))
    attempts = state.attempts
    try:
        for decision in attempts:
            state.report(decision)
            name = decision.model
            try:
                payload, last = _invoke(state, name)
            except Exception as exc:  # noqa: BLE001 - the fallback boundary: the core picks the next candidate
                attempts.failed(exc)
                continue
            checked = state.accepted(name, last)
            if checked is not None and not attempts.accept(checked[0], (payload, last), checked[1]):
                continue
            if call.stream and not attempts.checks:
                return _stream(state, decision, payload)
            return _answer(state, payload, last, kept=False)
        _, (payload, last) = attempts.kept  # type: ignore[misc]  # an escalation failed: the kept answer
        return _answer(state, payload, last, kept=True)
    except BaseException as exc:
        state.failed(attempts.decision, exc)
        raise


async def arun(routing: Routing, call: Call) -> Any:
    """Async `run`: awaits the classifier, the scorer, the candidate and async answer checks."""
    router = routing.router
    conversation = _conversation(routing, call)
    decision = await router.adecide(conversation, route=call.route, task=call.task, thread_id=call.thread_id)
    state = _Run(routing, call, router.attempts(decision, conversation))
    attempts = state.attempts
    try:
        for decision in attempts:
            state.report(decision)
            name = decision.model
            try:
                payload, last = await _ainvoke(state, name)
            except Exception as exc:  # noqa: BLE001 - the fallback boundary: the core picks the next candidate
                attempts.failed(exc)
                continue
            checked = state.accepted(name, last)
            if checked is not None and not await attempts.aaccept(checked[0], (payload, last), checked[1]):
                continue
            if call.stream and not attempts.checks:
                return _astream(state, decision, payload)
            return _answer(state, payload, last, kept=False, aio=True)
        _, (payload, last) = attempts.kept  # type: ignore[misc]
        return _answer(state, payload, last, kept=True, aio=True)
    except BaseException as exc:
        state.failed(attempts.decision, exc)
        raise


# -- calling one candidate ----------------------------------------------------------------------------------------


def _invoke(state: _Run, name: str) -> tuple[Any, Any]:
    """Call candidate `name`: ``(payload, last)``; for a stream ``payload`` is ``(first, rest)`` or, when answers
    are checked, the list of all chunks; ``last`` is what the answer is read from (the last chunk)."""
    call = state.call
    fn = state.routing.bound(name, call.method, call.target)
    nested = name in state.routing.nested
    token = _OUTER.set(state.attempts.decision.id) if nested else None
    try:
        if not call.stream:
            timeout = state.attempts.timeout
            if timeout is None:
                payload = fn(*call.args, **call.kwargs)
            else:
                payload = timeouts.call(lambda: fn(*call.args, **call.kwargs), timeout, name, state.router.pool)
            return payload, payload
        timeout = state.attempts.stream_timeout
        pool = state.router.pool
        chunks = iter(timeouts.call(lambda: fn(*call.args, **call.kwargs), timeout, name, pool))
        first = timeouts.next_chunk(chunks, timeout, name, pool)
        if not state.attempts.checks:
            return (first, chunks), first
        buffered = [] if first is timeouts.END else [first]
        while first is not timeouts.END:
            first = timeouts.next_chunk(chunks, timeout, name, pool)
            if first is not timeouts.END:
                buffered.append(first)
        return buffered, buffered[-1] if buffered else None
    finally:
        if token is not None:
            _OUTER.reset(token)


async def _ainvoke(state: _Run, name: str) -> tuple[Any, Any]:
    """Async `_invoke`."""
    call = state.call
    fn = state.routing.bound(name, call.method, call.target)
    nested = name in state.routing.nested
    token = _OUTER.set(state.attempts.decision.id) if nested else None
    try:
        if not call.stream:
            payload = await timeouts.acall(fn(*call.args, **call.kwargs), state.attempts.timeout, name)
            return payload, payload
        timeout = state.attempts.stream_timeout
        chunks = aiter(await timeouts.acall(fn(*call.args, **call.kwargs), timeout, name))
        first = await timeouts.anext_chunk(chunks, timeout, name)
        if not state.attempts.checks:
            return (first, chunks), first
        buffered = [] if first is timeouts.END else [first]
        while first is not timeouts.END:
            first = await timeouts.anext_chunk(chunks, timeout, name)
            if first is not timeouts.END:
                buffered.append(first)
        return buffered, buffered[-1] if buffered else None
    finally:
        if token is not None:
            _OUTER.reset(token)


# -- handing the answer back --------------------------------------------------------------------------------------


def _tag(response: Any, final: RoutingDecision, shared: dict[str, Any] | None = None) -> Any:
    """Put the decision dict in ``response.additional_kwargs["langroute"]`` (never in the message's kwargs)."""
    response.additional_kwargs = {
        **response.additional_kwargs,
        "langroute": final.to_dict() if shared is None else shared,
    }
    return response


def _answer(state: _Run, payload: Any, last: Any, *, kept: bool, aio: bool = False) -> Any:
    """Finish an answered call; a buffered stream is replayed (as an async generator for `aio` calls), each chunk
    tagged with the final decision."""
    final = state.finish(last, kept)
    call = state.call
    if not call.stream:
        return _tag(payload, final) if call.tag else payload
    if call.tag:
        shared = final.to_dict()
        payload = [_tag(chunk, final, shared) for chunk in payload]
    return _areplay(payload) if aio else (chunk for chunk in payload)


async def _areplay(chunks: list[Any]) -> AsyncIterator[Any]:
    for chunk in chunks:
        yield chunk


def _ended(state: _Run, last: Any, shared: dict[str, Any] | None, inner: Mapping[str, Any] | None) -> None:
    """A stream without checks ended (exhausted, or closed early by its consumer): the call was answered."""
    final = state.finish(last, inner=inner)
    if shared is not None:
        shared.update(final.to_dict())  # every chunk shares this dict: the last one now carries the cost


def _stream(state: _Run, decision: RoutingDecision, opened: tuple[Any, Iterator[Any]]) -> Iterator[Any]:
    """The candidate's stream as it arrives, each chunk tagged; the call finishes when it ends or raises.

    A stream that is never iterated never finishes its call (its `RoutingResultEvent` is not sent).
    """
    first, rest = opened
    shared = decision.to_dict() if state.call.tag else None
    inner = _inner(first) if decision.model in state.routing.nested else None  # read before tagging
    timeout = state.attempts.stream_timeout
    pool = state.router.pool
    last = None
    try:
        if first is not timeouts.END:
            last = first
            yield _tag(first, decision, shared) if shared is not None else first
            while (chunk := timeouts.next_chunk(rest, timeout, decision.model, pool)) is not timeouts.END:
                last = chunk
                yield _tag(chunk, decision, shared) if shared is not None else chunk
    except GeneratorExit:
        _ended(state, last, shared, inner)
        raise
    except BaseException as exc:
        state.broke(decision, exc)
        raise
    _ended(state, last, shared, inner)


async def _astream(
    state: _Run, decision: RoutingDecision, opened: tuple[Any, AsyncIterator[Any]]
) -> AsyncIterator[Any]:
    """Async `_stream`."""
    first, rest = opened
    shared = decision.to_dict() if state.call.tag else None
    inner = _inner(first) if decision.model in state.routing.nested else None  # read before tagging
    timeout = state.attempts.stream_timeout
    last = None
    try:
        if first is not timeouts.END:
            last = first
            yield _tag(first, decision, shared) if shared is not None else first
            while (chunk := await timeouts.anext_chunk(rest, timeout, decision.model)) is not timeouts.END:
                last = chunk
                yield _tag(chunk, decision, shared) if shared is not None else chunk
    except GeneratorExit:
        _ended(state, last, shared, inner)
        raise
    except BaseException as exc:
        state.broke(decision, exc)
        raise
    _ended(state, last, shared, inner)
