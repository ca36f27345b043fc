"""Route every step of a LangChain v1 agent with `RoutingMiddleware` (``create_agent(..., middleware=[...])``).

Run: ``python examples/agent_middleware.py`` (offline: scripted fake models).

The middleware decides each model call of the agent with the same pipeline as `RouterChatModel` (task,
capabilities, sticky tool loops, score, answer checks), hands the step to the chosen candidate with
``request.override(model=...)`` (the agent binds its tools on it), and tags each answer with its decision. It sits
next to the built-in middleware: here a summarization middleware keeps the history short.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from langchain.agents import create_agent
from langchain.agents.middleware import SummarizationMiddleware
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import tool

from langroute.callbacks import RoutingStats
from langroute.checks import empty_answer
from langroute.langchain import RoutingMiddleware
from langroute.langchain.testing import FakeToolChatModel


@tool
def get_weather(city: str) -> str:
    """Return the current weather in a city."""
    return f"18°C and sunny in {city}"


class PrintDecisions(BaseCallbackHandler):
    """Print each routing decision as the agent makes it (the ``langroute_decision`` custom event)."""

    def on_custom_event(self, name: str, data: Any, *, run_id: UUID, **kwargs: Any) -> None:
        if name == "langroute_decision":
            print(f"  step -> {data['model']:<6} {data['reason']}")


def call(city: str, call_id: str) -> AIMessage:
    return AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": city}, "id": call_id}])


small = FakeToolChatModel(messages=iter([call("Lisbon", "c1"), call("Porto", "c2"), AIMessage("")]))
large = FakeToolChatModel(messages=iter([AIMessage("Lisbon and Porto: 18°C and sunny. Enjoy!")]))
routing = RoutingMiddleware(
    models={"small": small, "large": large},  # or [Candidate(...), ...] with prices and capabilities
    escalate=[empty_answer],  # a botched (empty) answer is re-asked to the stronger model
)
summarize = SummarizationMiddleware(FakeToolChatModel(messages=iter(["(summary)"] * 5)), trigger=("messages", 40))
agent = create_agent(small, tools=[get_weather], middleware=[summarize, routing])

stats = RoutingStats()
print("decisions, as they are made:")
result = agent.invoke(
    {"messages": [HumanMessage("What's the weather in Lisbon and in Porto?")]},
    {"callbacks": [PrintDecisions(), stats]},
)
print("\nthe conversation:")
for message in result["messages"]:
    decision = message.response_metadata.get("langroute") if isinstance(message, AIMessage) else None
    text = (message.content or message.tool_calls) if isinstance(message, AIMessage) else message.content
    print(f"{message.type:>5}: {text}" + (f"  [{decision['model']}]" if decision else ""))
print()
print(stats)
