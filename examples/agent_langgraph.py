"""A LangGraph tool-calling agent whose model is the router: every step of the loop is routed.

Run: ``python examples/agent_langgraph.py``. Offline it uses scripted tool-calling fakes so the loop really
calls the tool; with OPENAI_API_KEY or ANTHROPIC_API_KEY set it uses real models.
"""

from __future__ import annotations

import os

from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import tool
from langgraph.prebuilt import create_react_agent

from langroute import RouterChatModel
from langroute.langchain.testing import FakeToolChatModel


@tool
def get_weather(city: str) -> str:
    """Return the current weather in a city."""
    return f"18°C and sunny in {city}"


def models() -> dict:
    if os.environ.get("OPENAI_API_KEY") or os.environ.get("ANTHROPIC_API_KEY"):
        from _models import candidate_models

        return candidate_models()
    call = AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": "Lisbon"}, "id": "call-1"}])
    return {  # stand-ins: the small model calls the tool, then answers
        "small": FakeToolChatModel(messages=iter([call, AIMessage("It is 18°C and sunny in Lisbon.")])),
        "large": FakeToolChatModel(messages=iter([AIMessage("(large stand-in)")] * 4)),
    }


agent = create_react_agent(RouterChatModel(models=models()), [get_weather])
result = agent.invoke({"messages": [HumanMessage("What's the weather in Lisbon?")]})
for message in result["messages"]:
    routed = message.response_metadata.get("langroute") if isinstance(message, AIMessage) else None
    why = "sticky: same model as the tool call" if routed and routed["sticky"] else ""
    why = why or (f"score {routed['score']:.2f}" if routed else "")
    where = f" [routed to {routed['model']}, {why}]" if routed else ""
    print(f"{message.type:>5}: {message.content or message.tool_calls}{where}")
