"""The feedback loop through `RouterLLM`: decision ids, ``record_feedback``, `FeedbackHandler` and
`RoutingFeedbackEvent` (thumbs from a UI), exploration, ``learn``; and privacy: no prompt text in events, decision
dicts, the store or error messages."""

from __future__ import annotations

import logging
import math
import re

import pytest
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.instrumentation import get_dispatcher
from pydantic import ValidationError

from langroute import AllCandidatesFailedError, CallableScorer, Candidate, ConfigError, FeedbackStore, Router
from langroute.checks import empty_answer
from langroute.llama_index import FeedbackHandler, RouterLLM, RoutingFeedbackEvent
from tests.llama_index.conftest import FailingLLM, scripted

EASY = CallableScorer(lambda pairs: 0.1)
SECRET = "my IBAN is DE89370400440532013000"


def _msgs(text: str = "hi") -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


@pytest.fixture
def store():
    feedback = FeedbackStore()
    try:
        yield feedback
    finally:
        feedback.close()


def test_each_call_has_one_decision_id_in_its_events_and_response(events):
    llm = RouterLLM(models={"a": FailingLLM(), "b": scripted("b")})
    first, second = llm.complete("x"), llm.complete("y")
    ids = [r.additional_kwargs["langroute"]["id"] for r in (first, second)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert ids[0] != ids[1]
    decisions = events.decisions()
    assert [(d.decision_id, d.model) for d in decisions[:2]] == [(ids[0], "a"), (ids[0], "b")]  # a fallback keeps it
    assert [r.decision_id for r in events.results()] == ids


def test_record_feedback_is_stored_with_the_decision_and_its_result(store):
    llm = RouterLLM(
        models=[Candidate("small", scripted("small", usage=(10, 5)), input_cost=1, output_cost=1)],
        feedback=store,
    )
    decision = llm.chat(_msgs()).additional_kwargs["langroute"]
    llm.record_feedback(decision["id"], 1.0, comment="helpful")
    (labelled,) = list(store.labelled())
    assert (labelled["id"], labelled["outcome"], labelled["comment"]) == (decision["id"], 1.0, "helpful")
    assert (labelled["model"], labelled["served"], labelled["input_tokens"]) == ("small", "small", 10)
    assert labelled["cost_usd"] == pytest.approx(15 / 1e6)


@pytest.mark.parametrize("score", [1.5, -0.1, math.nan])
def test_bad_feedback_raises(store, score):
    llm = RouterLLM(models={"small": scripted("small")}, feedback=store)
    decision_id = llm.chat(_msgs()).additional_kwargs["langroute"]["id"]
    with pytest.raises(ValueError, match="score"):
        llm.record_feedback(decision_id, score)
    with pytest.raises(ValueError, match="unknown"):
        llm.record_feedback("0" * 32, 1.0)


def test_feedback_without_a_store_says_how_to_add_one():
    llm = RouterLLM(models={"small": scripted("small")})
    with pytest.raises(ConfigError, match=r"pass feedback=FeedbackStore\(\.\.\.\)"):
        llm.record_feedback("x", 1.0)


def test_a_ui_sends_feedback_as_an_event(store):
    llm = RouterLLM(models={"small": scripted("small")}, feedback=store)
    handler = FeedbackHandler(llm)
    root = get_dispatcher()
    root.add_event_handler(handler)
    try:
        decision_id = llm.chat(_msgs()).additional_kwargs["langroute"]["id"]
        root.event(RoutingFeedbackEvent(id=decision_id, score=0.0, comment="wrong city"))
        root.event(RoutingFeedbackEvent(id="f" * 32, score=1.0))
    finally:
        root.event_handlers.remove(handler)
    assert [(o["id"], o["score"], o["comment"]) for o in store.outcomes()] == [(decision_id, 0.0, "wrong city")]
    assert [decision for decision, _ in handler.rejected] == ["f" * 32]
    assert "unknown" in handler.rejected[0][1]


def test_feedback_events_validate_the_score_and_the_handler_its_target():
    for score in (1.5, math.nan, math.inf):
        with pytest.raises(ValidationError):
            RoutingFeedbackEvent(id="abc", score=score)
    with pytest.raises(TypeError, match="expected a RouterLLM or Router"):
        FeedbackHandler("sqlite:///feedback.db")
    assert FeedbackHandler(target=Router(["a"])).class_name() == "FeedbackHandler"


def test_exploration_is_recorded_with_its_propensity(store):
    llm = RouterLLM(models={"small": scripted("small"), "large": scripted("large")}, scorer=EASY, explore=0.5, seed=3)
    decisions = [llm.chat(_msgs()).additional_kwargs["langroute"] for _ in range(40)]
    explored = [d for d in decisions if d["explored"]]
    assert {d["model"] for d in explored} == {"small", "large"}
    assert {d["propensity"] for d in decisions if d["model"] == "large"} == {0.25}
    assert {d["propensity"] for d in decisions if d["model"] == "small"} == {0.75}
    forced = llm.chat(_msgs(), route="small").additional_kwargs["langroute"]
    assert (forced["explored"], forced["propensity"]) == (False, None)


def test_learn_adapts_the_scorer_and_shows_it(store):
    pytest.importorskip("langroute.feedback.learner", reason="the learner ships with the feedback-loop workstream")
    llm = RouterLLM(models={"small": scripted("small"), "large": scripted("large")}, feedback=store, explore=0.2)
    for i in range(20):
        decision = llm.chat(_msgs(f"question {i}")).additional_kwargs["langroute"]
        llm.record_feedback(decision["id"], 1.0 if decision["model"] == "large" else 0.0)
    summary = llm.learn()
    assert summary["records"] == 20
    assert llm.scorer is llm.router.scorer


# -- privacy ------------------------------------------------------------------------------------------------------


def test_prompt_text_reaches_no_event_decision_error_or_log(events, store, caplog):
    caplog.set_level(logging.DEBUG, logger="langroute")
    llm = RouterLLM(
        models={"small": scripted("small", text=""), "large": scripted("large", text="ok")},
        scorer=EASY,
        escalate=[empty_answer],
        feedback=store,
    )
    response = llm.chat(_msgs(SECRET))
    failing = RouterLLM(models={"a": FailingLLM(), "b": FailingLLM(message="bang")}, feedback=store)
    with pytest.raises(AllCandidatesFailedError) as info:
        failing.complete(SECRET)
    store.flush()
    assert SECRET not in str(response.additional_kwargs)
    assert all(SECRET not in event.model_dump_json() for event in events.events if "Routing" in type(event).__name__)
    assert SECRET not in str(info.value)
    assert SECRET not in caplog.text
    assert all(SECRET not in str(record) for record in store.decisions())
