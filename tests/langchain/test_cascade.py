"""Quality cascade in RouterChatModel: a failed answer check escalates; streams never show a rejected answer."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.tools import tool
from langgraph.prebuilt import create_react_agent
from pydantic import BaseModel

from langroute import Candidate, RouterChatModel
from langroute.callbacks import RoutingStats
from langroute.checks import empty_answer, invalid_structured_output, invalid_tool_call
from langroute.langchain.testing import DecisionRecorder, FakeToolChatModel

from .helpers import BrokenChatModel, RunLog, fixed, replies

USAGE = UsageMetadata(input_tokens=100, output_tokens=10, total_tokens=110)


@tool
def get_weather(city: str) -> str:
    """Return the weather in a city."""
    return f"sunny in {city}"


class Verdict(BaseModel):
    """A yes/no verdict."""

    ok: bool


def _botched() -> dict[str, FakeToolChatModel]:
    return {
        "small": FakeToolChatModel(messages=replies(AIMessage("", id="small-id", usage_metadata=USAGE))),
        "large": FakeToolChatModel(messages=replies(AIMessage("The answer is 42.", id="large-id"))),
    }


def test_an_empty_answer_is_escalated_and_the_cost_counts_the_wasted_call():
    models = _botched()
    router = RouterChatModel(
        models=[
            Candidate("small", models["small"], input_cost=1.0, output_cost=1.0),
            Candidate("large", models["large"], input_cost=10.0, output_cost=10.0),
        ],
        scorer=fixed(0.0),
        escalate=[empty_answer],
    )
    recorder, stats = DecisionRecorder(), RoutingStats()
    out = router.invoke("What is 6 x 7?", config={"callbacks": [recorder, stats]})
    assert out.content == "The answer is 42."
    decision = out.response_metadata["langroute"]
    assert (decision["model"], decision["escalated_from"]) == ("large", "small")
    assert decision["escalation"] == "empty_answer: no text, no tool call and no structured output"
    assert "escalated: small's answer failed empty_answer" in decision["reason"]
    assert decision["cost_usd"] == pytest.approx(110 / 1_000_000)  # large reported no usage: small's tokens only
    assert [d["model"] for d in recorder.decisions] == ["small", "large"]
    assert stats.summary()["small"]["escalations"] == 1
    assert stats.summary()["large"]["calls"] == 1


def test_a_good_answer_is_not_escalated_and_max_escalations_zero_turns_checks_off():
    models = _botched()
    assert RouterChatModel(models=models, scorer=fixed(0.9), escalate=[empty_answer]).invoke("q").content == (
        "The answer is 42."
    )
    off = RouterChatModel(models=_botched(), scorer=fixed(0.0), escalate=[empty_answer], max_escalations=0)
    assert off.invoke("q").response_metadata["langroute"]["model"] == "small"


def test_a_stream_with_checks_shows_only_the_accepted_answer_as_one_chunk():
    router = RouterChatModel(models=_botched(), scorer=fixed(0.0), escalate=[empty_answer])
    log = RunLog()
    chunks = list(router.stream("What is 6 x 7?", config={"callbacks": [log]}))
    assert [c.content for c in chunks] == ["The answer is 42."]
    assert chunks[0].response_metadata["langroute"]["escalated_from"] == "small"
    router_run = log.starts[0]["run_id"]
    assert [token for token, _ in log.tokens] == ["The answer is 42."]
    assert {run for _, run in log.tokens} == {router_run}  # the candidates were quiet
    candidate_runs = [start for start in log.starts if start["parent"] == router_run]
    assert len(candidate_runs) == 2
    assert all("nostream" in start["tags"] for start in candidate_runs)


async def test_astream_events_never_carry_the_rejected_answer():
    router = RouterChatModel(models=_botched(), scorer=fixed(0.0), escalate=[empty_answer])
    streamed = [
        event["data"]["chunk"].content
        async for event in router.astream_events("What is 6 x 7?", version="v2")
        if event["event"] == "on_chat_model_stream"
    ]
    assert streamed == ["The answer is 42."]
    out = await router.ainvoke("again")
    assert out.response_metadata["langroute"]["model"] == "large"


@pytest.mark.filterwarnings("ignore:create_react_agent has been moved:DeprecationWarning")
def test_in_a_langgraph_agent_the_cascade_rescues_the_answer_and_messages_mode_shows_it_once():
    models = {
        "small": FakeToolChatModel(messages=replies(AIMessage("", id="botched"))),
        "large": FakeToolChatModel(messages=replies(AIMessage("It is sunny in Paris.", id="rescued"))),
    }
    router = RouterChatModel(models=models, scorer=fixed(0.0), escalate=[empty_answer])
    agent = create_react_agent(router, [get_weather])
    result = agent.invoke({"messages": [HumanMessage("Weather in Paris?")]})
    final = result["messages"][-1]
    assert final.content == "It is sunny in Paris."
    assert final.response_metadata["langroute"]["escalated_from"] == "small"
    shown = [(m.id, m.content) for m, _ in agent.stream({"messages": [HumanMessage("Again?")]}, stream_mode="messages")]
    assert ("botched", "") not in shown
    assert [content for id_, content in shown if id_ == "rescued"] == ["It is sunny in Paris."]


def test_an_unknown_tool_call_is_escalated():
    bad = AIMessage("", tool_calls=[{"name": "get_wether", "args": {"city": "Paris"}, "id": "c1"}])
    good = AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "c2"}])
    models = {"small": FakeToolChatModel(messages=replies(bad)), "large": FakeToolChatModel(messages=replies(good))}
    router = RouterChatModel(models=models, scorer=fixed(0.0), escalate=[invalid_tool_call])
    out = router.bind_tools([get_weather]).invoke("Weather in Paris?")
    assert out.tool_calls[0]["name"] == "get_weather"
    assert (
        out.response_metadata["langroute"]["escalation"]
        == "invalid_tool_call: tool call 0 names unknown tool 'get_wether'"
    )


def test_invalid_structured_output_is_escalated():
    wrong = AIMessage("", tool_calls=[{"name": "Verdict", "args": {"ok": "maybe"}, "id": "c1"}])
    right = AIMessage("", tool_calls=[{"name": "Verdict", "args": {"ok": True}, "id": "c2"}])
    models = {"small": FakeToolChatModel(messages=replies(wrong)), "large": FakeToolChatModel(messages=replies(right))}
    router = RouterChatModel(models=models, scorer=fixed(0.0), escalate=[invalid_structured_output])
    out = router.with_structured_output(Verdict, include_raw=True).invoke("Is it ok?")
    assert out["parsed"] == Verdict(ok=True)
    decision = out["raw"].response_metadata["langroute"]
    assert decision["escalated_from"] == "small"
    assert decision["escalation"].startswith("invalid_structured_output:")


def test_when_the_escalation_fails_the_kept_answer_is_returned_and_its_error_counted():
    models = {
        "small": FakeToolChatModel(messages=replies(AIMessage(""))),
        "large": BrokenChatModel(messages=replies("never")),
    }
    router = RouterChatModel(models=models, scorer=fixed(0.0), escalate=[empty_answer])
    stats = RoutingStats()
    out = router.invoke("q", config={"callbacks": [stats]})
    assert out.content == ""
    assert out.response_metadata["langroute"]["model"] == "small"
    summary = stats.summary()
    assert (summary["small"]["calls"], summary["small"]["escalations"], summary["large"]["errors"]) == (1, 1, 1)
    assert stats.failed == 0


async def test_async_checks_are_awaited_in_async_calls():
    async def cites_a_source(conversation, answer):
        return "http" in answer.text or "no link"

    models = {
        "small": FakeToolChatModel(messages=replies("trust me")),
        "large": FakeToolChatModel(messages=replies("see https://example.org")),
    }
    router = RouterChatModel(models=models, scorer=fixed(0.0), escalate=[cites_a_source])
    out = await router.ainvoke("source?")
    assert out.content == "see https://example.org"
    assert out.response_metadata["langroute"]["escalation"] == "cites_a_source: no link"
    chunks = [chunk async for chunk in router.astream("source?")]
    assert [c.content for c in chunks] == ["see https://example.org"]
    assert isinstance(chunks[0], AIMessageChunk)
