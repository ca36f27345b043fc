"""Feedback from a LangChain app, nested routers counted once, and no prompt text in what the router reports."""

from __future__ import annotations

import importlib.util
import logging

import pytest
from langchain_core.callbacks import dispatch_custom_event
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.runnables import RunnableLambda

from langroute import AllCandidatesFailedError, FeedbackStore, NoCapableCandidateError, RouterChatModel
from langroute.callbacks import FeedbackHandler, RoutingStats
from langroute.langchain.testing import DecisionRecorder, FakeToolChatModel

from .helpers import BrokenChatModel, MidStreamFailure, RunLog, fixed, replies, two_models


@pytest.fixture
def store():
    with FeedbackStore() as opened:
        yield opened


def test_the_decision_id_is_the_router_run_id_and_feedback_is_recorded(store):
    router = RouterChatModel(models=two_models(), scorer=fixed(0.0), feedback=store)
    log = RunLog()
    out = router.invoke("hi", config={"callbacks": [log]})
    decision_id = out.response_metadata["langroute"]["id"]
    assert decision_id == str(log.starts[0]["run_id"])
    router.record_feedback(decision_id, 1.0, comment="spot on")
    [outcome] = list(store.outcomes())
    assert (outcome["id"], outcome["score"], outcome["comment"]) == (decision_id, 1.0, "spot on")
    with pytest.raises(ValueError, match="unknown"):
        router.record_feedback("no-such-id", 1.0)
    with pytest.raises(ValueError, match=r"1\.5"):
        router.record_feedback(decision_id, 1.5)
    assert [d["id"] for d in store.decisions()] == [decision_id]


def test_feedback_without_a_store_says_how_to_add_one():
    with pytest.raises(ValueError, match=r"pass feedback=FeedbackStore\(...\)"):
        RouterChatModel(models=two_models()).record_feedback("x", 1.0)


def test_a_feedback_event_from_inside_a_run_is_recorded(store):
    router = RouterChatModel(models=two_models(), scorer=fixed(0.0), feedback=store)
    decision_id = router.invoke("hi").response_metadata["langroute"]["id"]

    def thumbs_up(payload: dict) -> str:
        dispatch_custom_event("langroute_feedback", {"id": payload["id"], "score": 1.0, "comment": "from the UI"})
        return "thanks"

    RunnableLambda(thumbs_up).invoke({"id": decision_id}, {"callbacks": [FeedbackHandler(router)]})
    assert [(o["id"], o["comment"]) for o in store.outcomes()] == [(decision_id, "from the UI")]
    with pytest.raises(ValueError, match="langroute_feedback event data must be a dict"):
        RunnableLambda(lambda _: dispatch_custom_event("langroute_feedback", {"score": 1.0})).invoke(
            {}, {"callbacks": [FeedbackHandler(router)]}
        )
    with pytest.raises(TypeError, match="record_feedback"):
        FeedbackHandler(store)


@pytest.mark.skipif(importlib.util.find_spec("langroute.feedback.learner") is None, reason="the learner is not merged")
def test_learn_adapts_the_scorer_in_use(store):
    router = RouterChatModel(models=two_models(), feedback=store)
    for _ in range(3):
        router.record_feedback(router.invoke("hi").response_metadata["langroute"]["id"], 1.0)
    summary = router.learn()
    assert summary["records"] == 3
    assert router.scorer is router.router.scorer


def _nested() -> tuple[RouterChatModel, dict[str, FakeToolChatModel]]:
    usage = UsageMetadata(input_tokens=10, output_tokens=5, total_tokens=15)
    inner_models = {
        "mini": FakeToolChatModel(messages=replies(AIMessage("mini says hi", usage_metadata=usage))),
        "pro": FakeToolChatModel(messages=replies(AIMessage("pro says hi", usage_metadata=usage))),
    }
    pool = RouterChatModel(models=inner_models, scorer=fixed(0.9))
    large = FakeToolChatModel(messages=replies("large says hi"))
    return RouterChatModel(models={"pool": pool, "large": large}, scorer=fixed(0.0)), inner_models


def test_a_nested_router_is_counted_once_and_its_decision_kept_as_inner():
    outer, _ = _nested()
    stats, recorder = RoutingStats(), DecisionRecorder()
    out = outer.invoke("hi", config={"callbacks": [stats, recorder]})
    list(outer.stream("hi", config={"callbacks": [stats]}))
    decision = out.response_metadata["langroute"]
    assert (decision["model"], decision["inner"]["model"]) == ("pool", "pro")
    assert out.content == "pro says hi"
    summary = stats.summary()
    assert summary["pool"]["calls"] == 2
    assert summary["pool"]["input_tokens"] == 20
    assert "pro" not in summary
    assert [d["model"] for d in recorder.decisions] == ["pool", "pro"]  # every decision is still reported


def test_a_tool_loop_sticks_through_nested_routers():
    outer, _ = _nested()
    issued = AIMessage("", tool_calls=[{"name": "f", "args": {}, "id": "c1"}])
    issued.response_metadata["langroute"] = {"model": "pool", "inner": {"model": "mini"}}
    out = outer.invoke([HumanMessage("go"), issued, ToolMessage("done", tool_call_id="c1")])
    decision = out.response_metadata["langroute"]
    assert decision["sticky"]
    assert decision["inner"]["sticky"]
    assert decision["inner"]["model"] == "mini"
    assert out.content == "mini says hi"


def test_failed_calls_and_errors_after_the_first_chunk_are_counted_once():
    models = {"small": BrokenChatModel(messages=replies("x")), "large": BrokenChatModel(messages=replies("x"))}
    stats = RoutingStats()
    with pytest.raises(AllCandidatesFailedError):
        RouterChatModel(models=models, scorer=fixed(0.0)).invoke("hi", config={"callbacks": [stats]})
    cut = {"small": MidStreamFailure(messages=replies("a b c")), "large": FakeToolChatModel(messages=replies("l"))}
    with pytest.raises(ConnectionError, match="cut mid-stream"):
        list(RouterChatModel(models=cut, scorer=fixed(0.0)).stream("hi", config={"callbacks": [stats]}))
    summary = stats.summary()
    assert stats.failed == 2
    assert (summary["small"]["errors"], summary["large"]["errors"]) == (2, 1)
    assert "failed on every candidate: 2" in str(stats)


def test_prompt_text_never_reaches_logs_events_metadata_or_routing_errors(caplog):
    secret = "my password is hunter2"
    image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
    models = {
        "small": BrokenChatModel(messages=replies("x"), profile={"image_inputs": False}),
        "large": FakeToolChatModel(messages=replies("ok")),
    }
    router = RouterChatModel(models=models, scorer=fixed(0.0))
    recorder = DecisionRecorder()
    with caplog.at_level(logging.DEBUG, logger="langroute"):
        out = router.invoke(secret, config={"callbacks": [recorder]})
        with pytest.raises(NoCapableCandidateError) as error:
            router.invoke([HumanMessage([secret, image])], route="small")
    assert secret not in caplog.text
    assert secret not in str(recorder.decisions)
    assert secret not in str(out.response_metadata["langroute"])
    assert "hunter2" not in str(error.value)
