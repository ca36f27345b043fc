"""Tool calling, structured output, and real LangGraph / LangChain agents with the router as the model."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel

from langroute import RouterChatModel
from langroute.langchain.testing import FakeToolChatModel

from .helpers import fixed, replies


@tool
def get_weather(city: str) -> str:
    """Return the weather in a city."""
    return f"sunny in {city}"


class Answer(BaseModel):
    """An answer with a confidence."""

    answer: str
    confidence: float


def _calls_weather(call_id: str = "call-1") -> AIMessage:
    return AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": call_id}])


def test_bind_tools_returns_a_binding_in_openai_format_and_binds_the_candidate_at_call_time():
    small = FakeToolChatModel(messages=replies(_calls_weather()))
    router = RouterChatModel(
        models={"small": small, "large": FakeToolChatModel(messages=replies("x"))}, scorer=fixed(0)
    )
    bound = router.bind_tools([get_weather], tool_choice="any", parallel_tool_calls=False)
    assert bound.kwargs["tools"][0]["type"] == "function"  # what LangGraph's _should_bind_tools reads
    assert bound.kwargs["tools"][0]["function"]["name"] == "get_weather"
    out = bound.invoke("Weather in Paris?")
    assert out.tool_calls[0]["name"] == "get_weather"
    call = small.calls[-1]
    assert call["tools"][0]["function"]["name"] == "get_weather"
    assert call["tool_choice"] == "any"
    assert call["parallel_tool_calls"] is False
    assert "route" not in call
    assert "langroute_tool_options" not in call


def test_bind_tools_with_route_forces_the_candidate():
    large = FakeToolChatModel(messages=replies(_calls_weather()))
    router = RouterChatModel(
        models={"small": FakeToolChatModel(messages=replies("x")), "large": large}, scorer=fixed(0)
    )
    out = router.bind_tools([get_weather], route="large").invoke("hi")
    assert out.response_metadata["langroute"]["forced"] is True
    assert out.tool_calls[0]["args"] == {"city": "Paris"}
    assert "route" not in large.calls[-1]


def test_streamed_tool_calls_are_aggregated():
    router = RouterChatModel(models={"small": FakeToolChatModel(messages=replies(_calls_weather()))}, scorer=fixed(0))
    chunks = list(router.bind_tools([get_weather]).stream("Weather?"))
    total = chunks[0]
    for chunk in chunks[1:]:
        total += chunk
    assert total.tool_calls[0]["name"] == "get_weather"
    assert total.response_metadata["langroute"]["model"] == "small"


def _structured_reply() -> AIMessage:
    return AIMessage("", tool_calls=[{"name": "Answer", "args": {"answer": "4", "confidence": 0.9}, "id": "c1"}])


def test_with_structured_output_parses_and_never_forwards_ls_structured_output_format():
    small = FakeToolChatModel(messages=replies(_structured_reply()))
    router = RouterChatModel(models={"small": small}, scorer=fixed(0))
    assert router.with_structured_output(Answer).invoke("2+2?") == Answer(answer="4", confidence=0.9)
    assert all("ls_structured_output_format" not in call for call in small.calls)
    assert small.calls[-1]["tool_choice"] == "any"
    raw = router.with_structured_output(Answer, include_raw=True).invoke("2+2?")
    assert raw["parsed"] == Answer(answer="4", confidence=0.9)
    assert raw["raw"].response_metadata["langroute"]["model"] == "small"
    assert raw["parsing_error"] is None


async def test_with_structured_output_async():
    router = RouterChatModel(
        models={"small": FakeToolChatModel(messages=replies(_structured_reply()))}, scorer=fixed(0)
    )
    assert await router.with_structured_output(Answer).ainvoke("2+2?") == Answer(answer="4", confidence=0.9)


def test_chain_prompt_router_parser():
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    router = RouterChatModel(models={"small": FakeToolChatModel(messages=replies("Bonjour"))}, scorer=fixed(0))
    chain = ChatPromptTemplate.from_messages([("user", "Translate {text}")]) | router | StrOutputParser()
    assert chain.invoke({"text": "hello"}) == "Bonjour"
    assert "".join(chain.stream({"text": "hello"})) == "Bonjour"


def _agent_models() -> dict[str, FakeToolChatModel]:
    return {
        "small": FakeToolChatModel(messages=iter([_calls_weather("c1"), AIMessage("It is sunny in Paris.", id="a2")])),
        "large": FakeToolChatModel(messages=replies("large")),
    }


# create_react_agent is deprecated in LangGraph 1.x but still the LangGraph agent most users run.
pytestmark = pytest.mark.filterwarnings("ignore:create_react_agent has been moved:DeprecationWarning")


def test_langgraph_react_agent_loop_with_the_router():
    from langgraph.prebuilt import create_react_agent

    models = _agent_models()
    agent = create_react_agent(RouterChatModel(models=models, scorer=fixed(0)), [get_weather])
    result = agent.invoke({"messages": [HumanMessage("Weather in Paris?")]})
    messages = result["messages"]
    assert isinstance(messages[2], ToolMessage)
    assert messages[2].content == "sunny in Paris"
    assert messages[-1].content == "It is sunny in Paris."
    assert [m.response_metadata["langroute"]["model"] for m in messages if isinstance(m, AIMessage)] == ["small"] * 2
    assert models["small"].calls[0]["tools"][0]["function"]["name"] == "get_weather"


def test_langgraph_stream_messages_mode_emits_each_token_once_with_the_candidate_id():
    from langgraph.prebuilt import create_react_agent

    agent = create_react_agent(RouterChatModel(models=_agent_models(), scorer=fixed(0)), [get_weather])
    tokens = [
        chunk.content
        for chunk, meta in agent.stream({"messages": [HumanMessage("Weather in Paris?")]}, stream_mode="messages")
        if meta.get("langgraph_node") == "agent" and chunk.content
    ]
    assert "".join(tokens) == "It is sunny in Paris."


def test_langchain_v1_create_agent_loop_with_the_router():
    from langchain.agents import create_agent

    agent = create_agent(RouterChatModel(models=_agent_models(), scorer=fixed(0)), tools=[get_weather])
    result = agent.invoke({"messages": [HumanMessage("Weather in Paris?")]})
    assert result["messages"][-1].content == "It is sunny in Paris."
    assert any(isinstance(m, ToolMessage) and m.content == "sunny in Paris" for m in result["messages"])


async def test_langgraph_agent_async_stream():
    from langgraph.prebuilt import create_react_agent

    agent = create_react_agent(RouterChatModel(models=_agent_models(), scorer=fixed(0)), [get_weather])
    final = None
    async for state in agent.astream({"messages": [HumanMessage("Weather in Paris?")]}, stream_mode="values"):
        final = state
    assert final is not None
    assert final["messages"][-1].content == "It is sunny in Paris."
