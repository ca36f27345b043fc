"""Reporting: `RoutingDecisionEvent` on the root dispatcher, span nesting, and legacy `callback_manager` events."""

from __future__ import annotations

import pytest
from llama_index.core import Settings
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.bridge.pydantic import BaseModel
from llama_index.core.callbacks import CallbackManager, CBEventType, EventPayload, LlamaDebugHandler
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.events.llm import LLMChatStartEvent, LLMStructuredPredictStartEvent
from llama_index.core.instrumentation.span_handlers import SimpleSpanHandler
from llama_index.core.llms import MockLLM
from llama_index.core.llms.mock import MockFunctionCallingLLM
from llama_index.core.prompts import PromptTemplate

from langroute import Router
from langroute.llama_index import RouterLLM, RoutingDecisionEvent

MSGS = [ChatMessage(role="user", content="a hard one")]


def test_event_is_a_base_event_with_the_decision_fields():
    decision = Router(["small", "large"]).decide("hi", route="large")
    event = RoutingDecisionEvent.from_decision(decision)
    assert event.decision_dict() == decision.to_dict()
    assert event.class_name() == "RoutingDecisionEvent"
    assert event.model_dump()["class_name"] == "RoutingDecisionEvent"


def test_root_handler_sees_one_decision_per_call(make_named, scorer, events):
    llm = RouterLLM(models={"small": make_named("small"), "large": make_named("large")}, scorer=scorer)
    response = llm.chat(MSGS)
    list(llm.stream_complete("easy"))
    decisions = events.decisions()
    assert [d.decision_dict() for d in decisions[:1]] == [response.additional_kwargs["langroute"]]
    assert [(d.model, d.score, d.scorer, d.forced) for d in decisions] == [
        ("large", 0.9, "RuleScorer", False),
        ("small", 0.1, "RuleScorer", False),
    ]


def test_decision_is_dispatched_before_delegation_inside_the_routers_span(make_named, scorer, events):
    llm = RouterLLM(models={"small": make_named("small"), "large": make_named("large")}, scorer=scorer)
    spans = SimpleSpanHandler()
    root = get_dispatcher()
    root.add_span_handler(spans)
    try:
        llm.chat(MSGS)
    finally:
        root.span_handlers.remove(spans)
    kinds = [type(e).__name__ for e in events.events]
    assert kinds.index("RoutingDecisionEvent") < kinds.index("LLMChatStartEvent")
    decision = events.decisions()[0]
    start = next(e for e in events.events if isinstance(e, LLMChatStartEvent))
    assert decision.span_id.startswith("RouterLLM.chat-")
    assert start.model_dict["class_name"] == "MockFunctionCallingLLM"  # the candidate's own event
    by_id = {span.id_: span for span in spans.completed_spans}
    assert by_id[start.span_id].parent_id == decision.span_id  # the candidate's span nests in the router's
    assert sum(e.span_id == decision.span_id for e in events.events if isinstance(e, LLMChatStartEvent)) == 0


def _llm_pairs(handler: LlamaDebugHandler) -> list[tuple[str, object]]:
    pairs = handler.get_event_pairs(CBEventType.LLM)
    return [
        (start.payload[EventPayload.SERIALIZED]["class_name"], end.payload.get(EventPayload.RESPONSE))
        for start, end in pairs
    ]


def test_legacy_handler_sees_exactly_the_candidates_events(make_named):
    direct = LlamaDebugHandler()
    candidate = make_named("small")
    candidate.callback_manager = CallbackManager([direct])
    candidate.chat(MSGS)
    expected = len(direct.get_event_pairs(CBEventType.LLM))

    routed = LlamaDebugHandler()
    llm = RouterLLM(models={"small": make_named("small")}, callback_manager=CallbackManager([routed]))
    response = llm.chat(MSGS)
    pairs = _llm_pairs(routed)
    assert len(pairs) == expected == 1
    assert pairs[0][0] == "MockFunctionCallingLLM"
    assert pairs[0][1] is response


def test_legacy_handler_on_streams_and_completions():
    handler = LlamaDebugHandler()
    llm = RouterLLM(models={"small": MockLLM(max_tokens=2)}, callback_manager=CallbackManager([handler]))
    llm.complete("x")
    list(llm.stream_complete("x"))
    assert [name for name, _ in _llm_pairs(handler)] == ["MockLLM", "MockLLM"]


def test_settings_callback_manager_reaches_the_candidates(make_named, clean_settings):
    small, large = make_named("small"), make_named("large")  # built before Settings has a callback manager
    llm = RouterLLM(models={"small": small, "large": large})
    handler = LlamaDebugHandler()
    Settings.callback_manager = CallbackManager([handler])
    Settings.llm = llm
    assert Settings.llm is llm  # reading Settings.llm hands its callback manager to the router, which shares it
    assert small.callback_manager is large.callback_manager is llm.callback_manager is Settings.callback_manager
    llm.chat(MSGS)
    assert [name for name, _ in _llm_pairs(handler)] == ["MockFunctionCallingLLM"]


def test_candidates_built_after_settings_fire_once(make_named, clean_settings):
    handler = LlamaDebugHandler()
    Settings.callback_manager = CallbackManager([handler])
    Settings.llm = RouterLLM(models={"small": make_named("small"), "large": make_named("large")})
    Settings.llm.chat(MSGS)
    Settings.llm.complete("hard")
    assert len(handler.get_event_pairs(CBEventType.LLM)) == 2


def test_candidate_with_its_own_handlers_keeps_them(make_named):
    own = LlamaDebugHandler()
    candidate = make_named("small")
    candidate.callback_manager = CallbackManager([own])
    router_handler = LlamaDebugHandler()
    llm = RouterLLM(models={"small": candidate}, callback_manager=CallbackManager([router_handler]))
    llm.chat(MSGS)
    assert len(own.get_event_pairs(CBEventType.LLM)) == 1
    assert candidate.callback_manager.handlers == [own]


def test_reassigning_the_routers_callback_manager_moves_the_candidates_along(make_named):
    candidate = make_named("small")
    llm = RouterLLM(models={"small": candidate})
    manager = CallbackManager([])
    llm.callback_manager = manager
    assert candidate.callback_manager is manager


async def test_legacy_handler_on_async_calls_and_fallback_sees_what_the_candidates_fire(make_failing):
    async def direct() -> list[str]:
        handler = LlamaDebugHandler()
        small, large = make_failing(message="down"), MockLLM(max_tokens=2)
        small.callback_manager = large.callback_manager = CallbackManager([handler])
        await large.achat(MSGS)
        with pytest.raises(RuntimeError):
            [chunk async for chunk in await small.astream_complete("x")]
        [chunk async for chunk in await large.astream_complete("x")]
        return [
            start.payload[EventPayload.SERIALIZED]["class_name"]
            for start, _ in handler.get_event_pairs(CBEventType.LLM)
        ]

    handler = LlamaDebugHandler()
    llm = RouterLLM(
        models={"small": make_failing(message="down"), "large": MockLLM(max_tokens=2)},
        callback_manager=CallbackManager([handler]),
    )
    await llm.achat(MSGS, route="large")
    [chunk async for chunk in await llm.astream_complete("x")]  # small fails before its first chunk, large answers
    routed = [
        start.payload[EventPayload.SERIALIZED]["class_name"] for start, _ in handler.get_event_pairs(CBEventType.LLM)
    ]
    assert routed == await direct()
    assert "RouterLLM" not in routed


class _Answer(BaseModel):
    city: str = "Paris"


def test_structured_output_reports_in_the_routers_span_and_the_candidate_fires_its_own_events(events):
    llm = RouterLLM(models={"small": MockFunctionCallingLLM(), "large": MockFunctionCallingLLM()})
    spans = SimpleSpanHandler()
    root = get_dispatcher()
    root.add_span_handler(spans)
    try:
        llm.structured_predict(_Answer, PromptTemplate("Weather in {city}?"), city="Paris")
        llm.as_structured_llm(_Answer).chat(MSGS)
    finally:
        root.span_handlers.remove(spans)
    predict, structured_chat = events.decisions()
    assert predict.span_id.startswith("RouterLLM.structured_predict-")
    assert structured_chat.span_id.startswith("RoutedStructuredLLM.chat-")
    starts = [e for e in events.events if isinstance(e, LLMStructuredPredictStartEvent)]
    assert len(starts) == 2  # one per call: the candidate's own, none from the router
    by_id = {span.id_: span for span in spans.completed_spans}
    assert by_id[starts[0].span_id].parent_id == predict.span_id
    assert by_id[by_id[starts[1].span_id].parent_id].parent_id == structured_chat.span_id  # via its StructuredLLM
