"""A LangGraph tool-calling agent with the router as its model: sticky tool loops and a quality cascade.

Run: ``python examples/agent_sticky_cascade.py`` (offline: scripted fake models).

- Sticky routing: the step that reads the tool's result goes to the model that called the tool, although the
  scorer rates it hard enough for the large model (switching mid-loop breaks prompt caches and tool formats).
- Cascade: the small model botches its final answer (empty); the ``empty_answer`` check escalates that step to
  the large model, and the agent's final message comes from it. A rejected answer never reaches a stream.
"""

from __future__ import annotations

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import tool

from langroute import CallableScorer, RouterChatModel
from langroute.callbacks import RoutingStats
from langroute.checks import empty_answer, invalid_tool_call
from langroute.langchain.testing import FakeToolChatModel


@tool
def get_weather(city: str) -> str:
    """Return the current weather in a city."""
    return f"18°C and sunny in {city}"


call = AIMessage("", tool_calls=[{"name": "get_weather", "args": {"city": "Lisbon"}, "id": "call-1"}])
small = FakeToolChatModel(messages=iter([call, AIMessage("")]))  # calls the tool, then botches the answer
large = FakeToolChatModel(messages=iter([AIMessage("It is 18°C and sunny in Lisbon: take sunglasses.")]))

# a scorer that finds steps with tool results hard (so routing alone would switch to the large model mid-loop)
scorer = CallableScorer(lambda turns: 0.8 if turns[-1][0] == "tool" else 0.1, label="tool results are hard")
router = RouterChatModel(
    models={"small": small, "large": large},
    scorer=scorer,
    escalate=[empty_answer, invalid_tool_call],  # the cascade: check each answer, escalate a bad one
)  # sticky="tool_loop" is the default

agent = create_agent(router, tools=[get_weather])
stats = RoutingStats()
result = agent.invoke({"messages": [HumanMessage("What's the weather in Lisbon?")]}, {"callbacks": [stats]})

for message in result["messages"]:
    decision = message.response_metadata.get("langroute") if isinstance(message, AIMessage) else None
    text = message.content or message.tool_calls if isinstance(message, AIMessage) else message.content
    print(f"{message.type:>5}: {text}")
    if decision:
        print(f"       -> {decision['model']}: {decision['reason']}")
print()
print(stats)
