"""RoutingMiddleware with LangChain v1 agents: per-step routing, sticky tool loops, fallback, cascade, streams."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import SummarizationMiddleware
from langchain.agents.middleware.types import ModelRequest, ModelResponse
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.errors import GraphInterrupt
from pydantic import BaseModel

from langroute import CallableScorer, Candidate, ConfigError, NoCapableCandidateError
from langroute.callbacks import RoutingStats
from langroute.checks import empty_answer
from langroute.langchain import RouterChatModel, RoutingMiddleware
from langroute.langchain.testing import DecisionRecorder, FakeToolChatModel

from .helpers import BrokenChatModel, HangingChatModel, fixed, replies

USAGE = UsageMetadata(input_tokens=100, output_tokens=20, total_tokens=120)


@tool
def get_weather(city: str) -> str:
    """Return the weather in a city."""
    return f"sunny in {city}"


class Forecast(BaseModel):
    """A forecast."""

    city: str
    sunny: bool


def _call(call_id: str, city: str = "Lisbon") -> AIMessage:
    return AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": city}, "id": call_id}])


def _request(model: FakeToolChatModel, *messages: object) -> ModelRequest:
    return ModelRequest(model=model, messages=list(messages) or [HumanMessage("hi")], state={"messages": []})


def test_wrap_model_call_overrides_the_model_and_leaves_the_request_unchanged():
    small, large = FakeToolChatModel(messages=replies("s")), FakeToolChatModel(messages=replies("l"))
    routing = RoutingMiddleware(models={"small": small, "large": large}, scorer=fixed(0.9))
    seen: list[ModelRequest] = []

    def handler(request: ModelRequest) -> ModelResponse:
        seen.append(request)
        return ModelResponse(result=[AIMessage("answer", id="a1")])

    request = _request(small)
    response = routing.wrap_model_call(request, handler)
    assert [r.model for r in seen] == [large]
    assert request.model is small
    assert response.result[0].response_metadata["langroute"]["model"] == "large"
    assert response.result[0].content == "answer"


def test_errors_fall_back_and_graph_interrupts_pass_through():
    small, large = FakeToolChatModel(messages=replies("s")), FakeToolChatModel(messages=replies("l"))
    routing = RoutingMiddleware(models={"small": small, "large": large}, scorer=fixed(0.0))
    tried: list[object] = []

    def flaky(request: ModelRequest) -> ModelResponse:
        tried.append(request.model)
        if request.model is small:
            raise ConnectionError("small down")
        return ModelResponse(result=[AIMessage("from large")])

    response = routing.wrap_model_call(_request(small), flaky)
    assert tried == [small, large]
    assert response.result[0].response_metadata["langroute"]["fallback_from"] == "small"

    def interrupted(request: ModelRequest) -> ModelResponse:
        tried.append(request.model)
        raise GraphInterrupt(())

    tried.clear()
    with pytest.raises(GraphInterrupt):
        routing.wrap_model_call(_request(small), interrupted)
    assert tried == [small]


def test_create_agent_loop_runs_to_completion_with_a_decision_for_every_step():
    models = {
        "small": FakeToolChatModel(messages=iter([_call("c1"), _call("c2", "Porto"), AIMessage("Both sunny.")])),
        "large": FakeToolChatModel(messages=replies("large would answer")),
    }
    hard_after_tools = CallableScorer(lambda turns: 0.9 if turns[-1][0] == "tool" else 0.1)
    routing = RoutingMiddleware(models=models, scorer=hard_after_tools)
    agent = create_agent(models["small"], tools=[get_weather], middleware=[routing])
    recorder, stats = DecisionRecorder(), RoutingStats()
    result = agent.invoke({"messages": [HumanMessage("Lisbon and Porto?")]}, {"callbacks": [recorder, stats]})
    answers = [m for m in result["messages"] if isinstance(m, AIMessage)]
    assert answers[-1].content == "Both sunny."
    assert [m.response_metadata["langroute"]["model"] for m in answers] == ["small", "small", "small"]
    assert [d["sticky"] for d in recorder.decisions] == [False, True, True]
    assert len(recorder.decisions) == 3
    assert models["large"].calls == []
    assert models["small"].calls[0]["tools"][0]["function"]["name"] == "get_weather"  # bound on the candidate
    assert stats.summary()["small"]["calls"] == 3


async def test_the_async_agent_routes_every_step_too():
    models = {
        "small": FakeToolChatModel(messages=iter([_call("c1"), AIMessage("Sunny.")])),
        "large": FakeToolChatModel(messages=replies("l")),
    }
    agent = create_agent(
        models["small"], tools=[get_weather], middleware=[RoutingMiddleware(models=models, scorer=fixed(0.0))]
    )
    recorder = DecisionRecorder()
    result = await agent.ainvoke({"messages": [HumanMessage("Lisbon?")]}, {"callbacks": [recorder]})
    assert result["messages"][-1].content == "Sunny."
    assert [d["model"] for d in recorder.decisions] == ["small", "small"]


def test_a_run_picks_its_task_ladder_or_forces_a_candidate_through_configurable():
    models = {
        "small": FakeToolChatModel(messages=replies("s")),
        "large": FakeToolChatModel(messages=replies("l")),
    }
    routing = RoutingMiddleware(models=models, scorer=fixed(0.0), routes={"legal": ["large"]})
    agent = create_agent(models["small"], middleware=[routing])
    recorder = DecisionRecorder()
    question = {"messages": [HumanMessage("Is this clause enforceable?")]}
    agent.invoke(question, {"callbacks": [recorder], "configurable": {"langroute_task": "legal"}})
    agent.invoke(question, {"callbacks": [recorder], "configurable": {"langroute_route": "large"}})
    agent.invoke(question, {"callbacks": [recorder]})
    assert [(d["model"], d["task"], d["forced"]) for d in recorder.decisions] == [
        ("large", "legal", False),
        ("large", None, True),
        ("small", None, False),
    ]
    with pytest.raises(ConfigError, match="medical"):
        agent.invoke(question, {"configurable": {"langroute_task": "medical"}})
    with pytest.raises(TypeError, match=r"configurable\['langroute_route'\]=3 is a int; expected a str"):
        agent.invoke(question, {"configurable": {"langroute_route": 3}})


def test_a_router_as_candidate_keeps_its_decision_as_inner():
    inner = RouterChatModel(
        models={"a": FakeToolChatModel(messages=replies("from a")), "b": FakeToolChatModel(messages=replies("b"))},
        scorer=fixed(0.0),
    )
    routing = RoutingMiddleware(
        models={"small": inner, "large": FakeToolChatModel(messages=replies("l"))}, scorer=fixed(0.0)
    )
    agent = create_agent(FakeToolChatModel(messages=replies("unused")), middleware=[routing])
    stats = RoutingStats()
    answer = agent.invoke({"messages": [HumanMessage("hi")]}, {"callbacks": [stats]})["messages"][-1]
    assert answer.content == "from a"
    decision = answer.response_metadata["langroute"]
    assert (decision["model"], decision["inner"]["model"]) == ("small", "a")
    assert stats.summary()["small"]["calls"] == 1  # counted once, at the outer router


def test_a_thread_holds_its_first_model_across_invocations():
    scores = iter([0.9, 0.1])
    models = {
        "small": FakeToolChatModel(messages=iter([AIMessage(f"s{i}") for i in range(2)])),
        "large": FakeToolChatModel(messages=iter([AIMessage(f"l{i}") for i in range(2)])),
    }
    routing = RoutingMiddleware(models=models, scorer=CallableScorer(lambda c: next(scores)), sticky="thread")
    agent = create_agent(models["small"], middleware=[routing], checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t-1"}}
    agent.invoke({"messages": [HumanMessage("A hard one")]}, config)
    final = agent.invoke({"messages": [HumanMessage("thanks")]}, config)["messages"][-1]
    assert final.content == "l1"
    assert final.response_metadata["langroute"]["sticky"] is True


def test_a_botched_cheap_answer_is_rescued_and_never_streamed():
    models = {
        "small": FakeToolChatModel(messages=replies(AIMessage("", id="botched", usage_metadata=USAGE))),
        "large": FakeToolChatModel(messages=replies(AIMessage("It is sunny in Lisbon.", id="rescued"))),
    }
    routing = RoutingMiddleware(
        models=[
            Candidate("small", models["small"], input_cost=1.0, output_cost=1.0),
            Candidate("large", models["large"], input_cost=10.0, output_cost=10.0),
        ],
        scorer=fixed(0.0),
        escalate=[empty_answer],
    )
    agent = create_agent(models["small"], tools=[get_weather], middleware=[routing])
    stats = RoutingStats()
    final = agent.invoke({"messages": [HumanMessage("Lisbon?")]}, {"callbacks": [stats]})["messages"][-1]
    assert final.content == "It is sunny in Lisbon."
    decision = final.response_metadata["langroute"]
    assert (decision["model"], decision["escalated_from"]) == ("large", "small")
    assert decision["cost_usd"] == pytest.approx(120 / 1_000_000)  # the wasted cheap call
    assert stats.summary()["small"]["escalations"] == 1
    shown = [(m.id, m.content) for m, _ in agent.stream({"messages": [HumanMessage("Again?")]}, stream_mode="messages")]
    assert ("botched", "") not in shown
    assert ("rescued", "It is sunny in Lisbon.") in shown


def test_tokens_stream_from_the_chosen_candidate_in_messages_mode():
    models = {
        "small": FakeToolChatModel(messages=replies(AIMessage("sunny all day", id="m1"))),
        "large": FakeToolChatModel(messages=replies("l")),
    }
    agent = create_agent(models["small"], middleware=[RoutingMiddleware(models=models, scorer=fixed(0.0))])
    tokens = [m.content for m, _ in agent.stream({"messages": [HumanMessage("hi")]}, stream_mode="messages")]
    assert "".join(tokens) == "sunny all day"
    assert len(tokens) > 1


def test_it_works_next_to_summarization_middleware():
    models = {
        "small": FakeToolChatModel(messages=replies(AIMessage("short answer"))),
        "large": FakeToolChatModel(messages=replies("l")),
    }
    summarizer = FakeToolChatModel(messages=replies("a summary of the earlier turns"))
    agent = create_agent(
        models["small"],
        middleware=[
            SummarizationMiddleware(summarizer, trigger=("messages", 4), keep=("messages", 2)),
            RoutingMiddleware(models=models, scorer=fixed(0.0)),
        ],
    )
    history = [HumanMessage(f"question {i}") if i % 2 == 0 else AIMessage(f"answer {i}") for i in range(6)]
    recorder = DecisionRecorder()
    result = agent.invoke({"messages": history}, {"callbacks": [recorder]})
    assert summarizer.calls  # the summarization ran
    assert result["messages"][-1].response_metadata["langroute"]["model"] == "small"
    assert len(recorder.decisions) == 1


def test_tools_and_structured_output_skip_incapable_candidates():
    no_tools = FakeToolChatModel(messages=replies("x"), profile={"tool_calling": False})
    able = FakeToolChatModel(
        messages=replies(
            AIMessage("", tool_calls=[{"name": "Forecast", "args": {"city": "Lisbon", "sunny": True}, "id": "f1"}])
        )
    )
    agent = create_agent(
        no_tools,
        tools=[get_weather],
        response_format=Forecast,
        middleware=[RoutingMiddleware(models={"mini": no_tools, "able": able}, scorer=fixed(0.0))],
    )
    result = agent.invoke({"messages": [HumanMessage("Lisbon?")]})
    assert result["structured_response"] == Forecast(city="Lisbon", sunny=True)
    decision = next(m for m in result["messages"] if isinstance(m, AIMessage)).response_metadata["langroute"]
    assert decision["model"] == "able"
    assert decision["excluded"] == {"mini": "no tool calling: the request binds tools"}
    with pytest.raises(NoCapableCandidateError):
        create_agent(
            no_tools, tools=[get_weather], middleware=[RoutingMiddleware(models={"mini": no_tools}, scorer=fixed(0.0))]
        ).invoke({"messages": [HumanMessage("Lisbon?")]})


@pytest.fixture
def hung() -> Iterator[HangingChatModel]:
    model = HangingChatModel(messages=replies(AIMessage("late")))
    yield model
    model.release.set()


def test_a_hung_step_times_out_and_falls_back(hung):
    healthy = FakeToolChatModel(messages=replies(AIMessage("healthy")))
    routing = RoutingMiddleware(models={"hung": hung, "healthy": healthy}, scorer=fixed(0.0), timeout=0.05)
    agent = create_agent(healthy, middleware=[routing])
    final = agent.invoke({"messages": [HumanMessage("hi")]})["messages"][-1]
    assert final.content == "healthy"
    assert "hung timed out after 0.05 s" in final.response_metadata["langroute"]["reason"]


def test_a_failed_step_is_counted_and_raises():
    broken = BrokenChatModel(messages=replies("x"))
    routing = RoutingMiddleware(models={"only": broken}, scorer=fixed(0.0))
    stats = RoutingStats()
    with pytest.raises(ConnectionError, match="provider down"):  # the candidate's own error, unchanged
        create_agent(broken, middleware=[routing]).invoke({"messages": [HumanMessage("hi")]}, {"callbacks": [stats]})
    assert stats.failed == 1
    assert stats.summary()["only"]["errors"] == 1
