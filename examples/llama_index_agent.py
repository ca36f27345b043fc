"""A LlamaIndex `FunctionAgent` on a `RouterLLM`: easy turns go to the small model, hard ones to the large one.

Shows: `RouterLLM` as the agent's LLM (tool calls work through whichever candidate is chosen, streaming on; the
turn that answers the tool results stays on the model that called the tools), and every routing decision seen by an
instrumentation handler on the root dispatcher.

Run:
    python examples/llama_index_agent.py

Offline it uses LlamaIndex's `MockFunctionCallingLLM` stand-ins (the large one calls every tool it is given). With
`llama-index-llms-openai` installed and `OPENAI_API_KEY` set it uses real OpenAI models instead (names from
`LANGROUTE_SMALL_MODEL` / `LANGROUTE_LARGE_MODEL`, defaulting to gpt-4o-mini / gpt-4o).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
from typing import Any

from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.llms import LLM, ChatMessage
from llama_index.core.llms.mock import MockFunctionCallingLLM
from llama_index.core.tools import FunctionTool

from langroute import HeuristicScorer, RuleScorer
from langroute.llama_index import RouterLLM, RoutingDecisionEvent


class PrintDecisions(BaseEventHandler):
    """Print each routing decision as it is made."""

    @classmethod
    def class_name(cls) -> str:
        return "PrintDecisions"

    def handle(self, event: Any, **kwargs: Any) -> None:
        if isinstance(event, RoutingDecisionEvent):
            how = "sticky" if event.sticky else "forced" if event.score is None else f"score={event.score:.2f}"
            print(f"  [langroute] -> {event.model} ({how}; {event.reason})")


def get_weather(city: str = "Paris") -> str:
    """Return today's weather in `city`."""
    return f"sunny and 21 C in {city}"


def candidates() -> dict[str, LLM]:
    """Real OpenAI models when available, else offline stand-ins (cheapest first)."""
    if os.environ.get("OPENAI_API_KEY") and importlib.util.find_spec("llama_index.llms.openai"):
        from llama_index.llms.openai import OpenAI

        return {
            "small": OpenAI(model=os.environ.get("LANGROUTE_SMALL_MODEL", "gpt-4o-mini")),
            "large": OpenAI(model=os.environ.get("LANGROUTE_LARGE_MODEL", "gpt-4o")),
        }

    def small_talk(messages: list[ChatMessage], **kwargs: Any) -> ChatMessage:
        return ChatMessage(role="assistant", content="Hello! Ask me about the weather.")

    return {"small": MockFunctionCallingLLM(response_generator=small_talk), "large": MockFunctionCallingLLM()}


async def main() -> None:
    get_dispatcher().add_event_handler(PrintDecisions())
    llm = RouterLLM(
        models=candidates(),
        scorer=RuleScorer([(r"(?i)\b(weather|plan|compare)\b", 0.9)], default=HeuristicScorer()),
    )
    agent = FunctionAgent(tools=[FunctionTool.from_defaults(fn=get_weather)], llm=llm)
    for question in ["Hi there!", "Compare the weather in Paris and Oslo, then plan my week."]:
        print(f"user: {question}")
        result = await agent.run(user_msg=question)
        for call in result.tool_calls:
            print(f"  tool {call.tool_name}({call.tool_kwargs}) -> {call.tool_output.content}")
        print(f"agent: {result.response.content}")


if __name__ == "__main__":
    asyncio.run(main())
