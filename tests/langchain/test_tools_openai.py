"""Tools reach the candidate as the caller gave them: a real ChatOpenAI builds the same request behind the router.

Each test sends the same call through a plain `ChatOpenAI` and through a router over an identical one, and
compares the JSON bodies the SDK put on the wire (recorded by `httpx.MockTransport`).
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from langchain_core.tools import BaseTool, tool
from pydantic import BaseModel, Field

from langroute import RouterChatModel
from langroute.langchain.testing import FakeToolChatModel

from .helpers import fixed, replies
from .openai_fakes import chat_openai, completion


@tool
def get_weather(city: str) -> str:
    """Return the weather in a city."""
    return f"sunny in {city}"


@tool(extras={"defer_loading": True})
def search_flights(origin: str, destination: str) -> str:
    """Find flights between two airports."""
    return f"{origin}->{destination}: 2 flights"


class Convert(BaseModel):
    """Convert an amount between currencies."""

    amount: float
    currency: str = Field(description="ISO code")


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


class Answer(BaseModel):
    """The final answer."""

    answer: str
    confidence: float


def _pair(reply: Any) -> tuple[Any, RouterChatModel, list[dict[str, Any]], list[dict[str, Any]]]:
    """A plain ChatOpenAI and a single-candidate router over another one, each with its own request log."""
    plain_requests: list[dict[str, Any]] = []
    routed_requests: list[dict[str, Any]] = []
    plain = chat_openai(reply, plain_requests)
    router = RouterChatModel(models={"only": chat_openai(reply, routed_requests)})
    return plain, router, plain_requests, routed_requests


def test_strict_tools_and_their_schemas_reach_the_payload_as_with_the_plain_model():
    plain, router, plain_requests, routed_requests = _pair(lambda body: completion("ok"))
    tools = [get_weather, Convert, add]
    options = {"strict": True, "tool_choice": "get_weather", "parallel_tool_calls": False}
    plain.bind_tools(tools, **options).invoke("Weather in Paris?")
    router.bind_tools(tools, **options).invoke("Weather in Paris?")
    assert routed_requests == plain_requests
    sent = routed_requests[0]
    assert [t["function"]["strict"] for t in sent["tools"]] == [True, True, True]
    assert sent["tools"][0]["function"]["parameters"]["additionalProperties"] is False
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert sent["parallel_tool_calls"] is False


def test_base_tool_extras_reach_the_payload():
    plain, router, plain_requests, routed_requests = _pair(lambda body: completion("ok"))
    plain.bind_tools([search_flights]).invoke("Flights to Oslo?")
    router.bind_tools([search_flights]).invoke("Flights to Oslo?")
    assert routed_requests == plain_requests
    assert routed_requests[0]["tools"][0]["defer_loading"] is True


async def test_async_tool_calls_match_too():
    plain, router, plain_requests, routed_requests = _pair(
        lambda body: completion(tool_calls=[("get_weather", {"city": "Paris"})])
    )
    plain_out = await plain.bind_tools([get_weather], strict=True).ainvoke("Weather in Paris?")
    routed_out = await router.bind_tools([get_weather], strict=True).ainvoke("Weather in Paris?")
    assert routed_requests == plain_requests
    assert routed_out.tool_calls == plain_out.tool_calls
    assert routed_out.response_metadata["langroute"]["model"] == "only"


def _agent_reply():
    """Call get_weather first, then answer in the response format."""
    calls = iter(
        [
            completion(tool_calls=[("get_weather", {"city": "Paris"})]),
            completion('{"answer": "sunny", "confidence": 0.9}'),
        ]
        * 2
    )
    return lambda body: next(calls)


@pytest.mark.parametrize("strategy", ["auto", "tool"])
def test_create_agent_response_format_gives_the_same_requests_and_structured_response(strategy: str):
    from langchain.agents import create_agent
    from langchain.agents.structured_output import ToolStrategy

    if strategy == "tool":
        calls = iter(
            [
                completion(tool_calls=[("get_weather", {"city": "Paris"})]),
                completion(tool_calls=[("Answer", {"answer": "sunny", "confidence": 0.9})]),
            ]
            * 2
        )
        reply: Any = lambda body: next(calls)  # noqa: E731
    else:
        reply = _agent_reply()
    plain, router, plain_requests, routed_requests = _pair(reply)
    response_format: Any = ToolStrategy(Answer) if strategy == "tool" else Answer
    question = {"messages": [HumanMessage("Weather in Paris?")]}
    expected = create_agent(plain, tools=[get_weather], response_format=response_format).invoke(question)
    result = create_agent(router, tools=[get_weather], response_format=response_format).invoke(question)
    assert result["structured_response"] == expected["structured_response"] == Answer(answer="sunny", confidence=0.9)
    assert routed_requests == plain_requests
    if strategy == "auto":  # OpenAI's native structured output: every tool strict, as OpenAI requires
        assert routed_requests[0]["response_format"]["type"] == "json_schema"
        assert routed_requests[0]["tools"][0]["function"]["strict"] is True


class _RecordingBindTools(FakeToolChatModel):
    """Records what its own bind_tools received."""

    received: list[tuple[tuple[Any, ...], dict[str, Any]]] = Field(default_factory=list)

    def bind_tools(self, tools: Any, **kwargs: Any) -> Any:
        self.received.append((tuple(tools), kwargs))
        return super().bind_tools(tools, **kwargs)


def test_the_candidate_gets_the_original_objects_once_and_langgraph_reads_the_openai_view():
    candidate = _RecordingBindTools(messages=replies("ok"))
    router = RouterChatModel(models={"only": candidate}, scorer=fixed(0.0))
    bound = router.bind_tools([get_weather, Convert, add], strict=True, tool_choice="auto")
    assert [t["function"]["name"] for t in bound.kwargs["tools"]] == ["get_weather", "Convert", "add"]
    bound.invoke("one")
    bound.invoke("two")
    assert len(candidate.received) == 1  # bound once per candidate, not on every call
    tools, options = candidate.received[0]
    assert tools[0] is get_weather
    assert isinstance(tools[0], BaseTool)
    assert tools[1] is Convert
    assert tools[2] is add
    assert options == {"strict": True, "tool_choice": "auto"}
    assert "langroute_tools" not in candidate.calls[-1]


def test_a_call_time_tool_choice_and_rebound_tools_still_reach_the_candidate():
    candidate = _RecordingBindTools(messages=replies("ok"))
    router = RouterChatModel(models={"only": candidate}, scorer=fixed(0.0))
    router.bind_tools([get_weather], strict=True).invoke("hi", tool_choice="get_weather")
    assert candidate.received[-1][1] == {"strict": True, "tool_choice": "get_weather"}
    router.invoke("hi", tools=[add])  # tools passed straight to invoke, without bind_tools
    assert candidate.received[-1] == ((add,), {})


@pytest.mark.filterwarnings("ignore:create_react_agent has been moved:DeprecationWarning")
def test_langgraph_react_agent_accepts_a_router_bound_with_its_tools():
    from langgraph.prebuilt import create_react_agent

    calls = iter([completion(tool_calls=[("get_weather", {"city": "Paris"})]), completion("Sunny in Paris.")])
    requests: list[dict[str, Any]] = []
    router = RouterChatModel(models={"only": chat_openai(lambda body: next(calls), requests)})
    agent = create_react_agent(router.bind_tools([get_weather], strict=True), [get_weather])
    result = agent.invoke({"messages": [HumanMessage("Weather in Paris?")]})
    assert result["messages"][-1].content == "Sunny in Paris."
    assert all(body["tools"][0]["function"]["strict"] is True for body in requests)  # not re-bound by LangGraph
