"""Sticky tool loops and threads, shadow mode and exploration in RouterChatModel, with real LangGraph agents."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.prebuilt import create_react_agent

from langroute import CallableScorer, Candidate, RouterChatModel
from langroute.callbacks import RoutingStats
from langroute.langchain.testing import DecisionRecorder, FakeToolChatModel

from .helpers import BrokenChatModel, fixed, replies

pytestmark = pytest.mark.filterwarnings("ignore:create_react_agent has been moved:DeprecationWarning")


@tool
def get_weather(city: str) -> str:
    """Return the weather in a city."""
    return f"sunny in {city}"


def _call(call_id: str) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": call_id}])


# a scorer that would move every step with a tool result to the strong model
TOOL_RESULTS_ARE_HARD = CallableScorer(lambda turns: 0.9 if turns[-1][0] == "tool" else 0.1)


def _agent_models() -> dict[str, FakeToolChatModel]:
    return {
        "small": FakeToolChatModel(messages=iter([_call("c1"), _call("c2"), AIMessage("Sunny twice.")])),
        "large": FakeToolChatModel(messages=replies("large would answer")),
    }


def test_no_step_of_a_langgraph_tool_loop_switches_model():
    models = _agent_models()
    router = RouterChatModel(models=models, scorer=TOOL_RESULTS_ARE_HARD)
    recorder = DecisionRecorder()
    agent = create_react_agent(router, [get_weather])
    result = agent.invoke({"messages": [HumanMessage("Weather in Paris, twice?")]}, {"callbacks": [recorder]})
    assert result["messages"][-1].content == "Sunny twice."
    assert [d["model"] for d in recorder.decisions] == ["small", "small", "small"]
    assert [d["sticky"] for d in recorder.decisions] == [False, True, True]
    assert recorder.decisions[1]["reason"] == "sticky: tool loop: small issued the tool calls"
    assert recorder.decisions[1]["score"] is None
    assert models["large"].calls == []


def test_without_sticky_the_loop_would_switch():
    models = _agent_models()
    router = RouterChatModel(models=models, scorer=TOOL_RESULTS_ARE_HARD, sticky=None)
    messages = [HumanMessage("Weather?"), router.invoke("Weather?"), ToolMessage("sunny", tool_call_id="c1")]
    assert router.invoke(messages).response_metadata["langroute"]["model"] == "large"


def test_a_sticky_candidate_that_fails_falls_back():
    models = {"small": BrokenChatModel(messages=replies("x")), "large": FakeToolChatModel(messages=replies("ok"))}
    router = RouterChatModel(models=models, scorer=fixed(0.0))
    issued = AIMessage("", tool_calls=[{"name": "get_weather", "args": {}, "id": "c1"}])
    issued.response_metadata["langroute"] = {"model": "small"}
    out = router.invoke([HumanMessage("Weather?"), issued, ToolMessage("sunny", tool_call_id="c1")])
    decision = out.response_metadata["langroute"]
    assert (decision["model"], decision["sticky"], decision["fallback_from"]) == ("large", True, "small")


def test_a_thread_holds_its_first_model_and_still_escalates():
    scores = iter([0.9, 0.1, 0.1])
    models = {
        "small": FakeToolChatModel(messages=iter([AIMessage(f"s{i}") for i in range(3)])),
        "large": FakeToolChatModel(messages=iter([AIMessage(f"l{i}") for i in range(3)])),
    }
    router = RouterChatModel(models=models, scorer=CallableScorer(lambda c: next(scores)), sticky="thread")
    agent = create_react_agent(router, [get_weather], checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t-1"}}
    first = agent.invoke({"messages": [HumanMessage("A hard question")]}, config)["messages"][-1]
    second = agent.invoke({"messages": [HumanMessage("thanks!")]}, config)["messages"][-1]
    assert first.response_metadata["langroute"]["model"] == "large"
    assert second.response_metadata["langroute"]["model"] == "large"
    assert second.response_metadata["langroute"]["sticky"] is True
    other = agent.invoke({"messages": [HumanMessage("hi")]}, {"configurable": {"thread_id": "t-2"}})
    assert other["messages"][-1].response_metadata["langroute"]["model"] == "small"


def test_shadow_mode_answers_only_from_the_shadow_model_and_reports_the_saving():
    usage = UsageMetadata(input_tokens=1_000, output_tokens=1_000, total_tokens=2_000)
    small = FakeToolChatModel(messages=replies(AIMessage("small", usage_metadata=usage)))
    large = FakeToolChatModel(messages=replies(AIMessage("large", usage_metadata=usage)))
    router = RouterChatModel(
        models=[
            Candidate("small", small, input_cost=1.0, output_cost=1.0),
            Candidate("large", large, input_cost=10.0, output_cost=10.0),
        ],
        scorer=CallableScorer(lambda turns: 0.9 if "hard" in turns[-1][1] else 0.1),
        mode="shadow",
    )
    stats = RoutingStats()
    answers = [router.invoke(q, config={"callbacks": [stats]}) for q in ("easy", "easy", "easy", "hard")]
    answers += list(router.stream("easy", config={"callbacks": [stats]}))[:1]
    assert [a.content for a in answers] == ["large"] * 5
    assert small.calls == []
    decisions = [a.response_metadata["langroute"] for a in answers]
    assert [d["would_route"] for d in decisions] == ["small", "small", "small", "large", "small"]
    assert all(d["shadow"] and d["model"] == "large" for d in decisions)
    savings = stats.savings()
    assert savings["would_cost_usd"] == pytest.approx(4 * 0.002 + 0.02)
    assert savings["would_saved_usd"] == pytest.approx(5 * 0.02 - (4 * 0.002 + 0.02))
    assert stats.summary()["small"]["would_calls"] == 4
    assert "shadow mode: routing would send small 80%, large 20%" in str(stats)


def test_shadow_mode_never_falls_back_to_another_model():
    models = {"small": FakeToolChatModel(messages=replies("s")), "large": BrokenChatModel(messages=replies("x"))}
    router = RouterChatModel(models=models, scorer=fixed(0.0), mode="shadow")
    with pytest.raises(ConnectionError):
        router.invoke("hi")
    assert models["small"].calls == []


def test_exploration_is_recorded_with_its_propensity():
    models = {"small": FakeToolChatModel(messages=replies("s")), "large": FakeToolChatModel(messages=replies("l"))}
    router = RouterChatModel(models=models, scorer=fixed(0.0), explore=1.0, seed=7)
    decisions = [router.invoke("hi").response_metadata["langroute"] for _ in range(20)]
    assert all(d["explored"] for d in decisions)
    assert {d["model"] for d in decisions} == {"small", "large"}
    assert all(d["propensity"] == pytest.approx(0.5) for d in decisions)
    assert router.invoke("hi", route="small").response_metadata["langroute"]["explored"] is False
