"""A LlamaIndex `FunctionAgent` on a `RouterLLM` with prices: task routes, a sticky tool loop, and the money table.

Shows: `Candidate`s with prices (USD per 1M tokens), a task route (contract questions always go to the large model,
found by a `RuleClassifier`), a tool loop that stays on the model that called the tool even though the tool's
result would score high, and `RoutingStats` (a LlamaIndex event handler) printing calls, cost and the saving
against always using the large model.

Run:
    python examples/llama_index_routing.py

Offline it uses `MockFunctionCallingLLM` stand-ins that report token usage the way llama-index-llms-openai does
(about 4 characters a token), priced at example prices. With `llama-index-llms-openai` installed and
`OPENAI_API_KEY` set it uses gpt-4o-mini / gpt-4o instead (their real usage; the prices below are examples,
check your provider's).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
from collections.abc import Sequence
from typing import Any

from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, ChatResponseAsyncGen, ToolCallBlock
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.llms import LLM
from llama_index.core.llms.mock import MockFunctionCallingLLM
from llama_index.core.tools import FunctionTool

from langroute import Candidate, RuleClassifier, RuleScorer
from langroute.llama_index import RouterLLM, RoutingDecisionEvent, RoutingStats

EXAMPLE_PRICES = {"mini": (0.15, 0.60), "large": (2.50, 10.00)}  # USD per 1M input / output tokens (examples)


class PrintDecisions(BaseEventHandler):
    """Print each routing decision as it is made."""

    @classmethod
    def class_name(cls) -> str:
        return "PrintDecisions"

    def handle(self, event: Any, **kwargs: Any) -> None:
        if isinstance(event, RoutingDecisionEvent):
            how = "sticky" if event.sticky else f"task={event.task}" if event.task else f"score={event.score:.2f}"
            print(f"  [langroute] -> {event.model} ({how})")


def get_forecast(city: str = "Oslo") -> str:
    """Return the weather forecast for `city`."""
    return f"forecast for {city}: sunny, 21 C; compare with tomorrow's rain"


class StandIn(MockFunctionCallingLLM):
    """An offline stand-in that reports token usage like llama-index-llms-openai (in ``additional_kwargs``)."""

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return _with_usage(super().chat(messages, **kwargs), messages)

    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        chunks = await super().astream_chat(messages, **kwargs)

        async def gen() -> ChatResponseAsyncGen:
            async for chunk in chunks:
                yield _with_usage(chunk, messages)

        return gen()


def _with_usage(response: ChatResponse, messages: Sequence[ChatMessage]) -> ChatResponse:
    prompt = sum(len(m.content or "") for m in messages) + 200  # + the tool schemas and the system prompt
    answer = len(response.message.content or "") + 40 * len(response.message.blocks)
    response.additional_kwargs = {"prompt_tokens": prompt // 4, "completion_tokens": answer // 4 + 1}
    return response


def stand_in(name: str) -> StandIn:
    def reply(messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        last = messages[-1]
        if last.role == "tool":
            return ChatMessage(role="assistant", content=f"({name}) It will be sunny: {last.content}.")
        if kwargs.get("tools") and "weather" in (last.content or ""):
            call = ToolCallBlock(tool_call_id=f"{name}-1", tool_name="get_forecast", tool_kwargs={"city": "Oslo"})
            return ChatMessage(role="assistant", blocks=[call])
        return ChatMessage(role="assistant", content=f"({name}) Here is my answer.")

    return StandIn(response_generator=reply)


def models() -> dict[str, LLM]:
    """Real OpenAI models when available, else offline stand-ins (cheapest first)."""
    if os.environ.get("OPENAI_API_KEY") and importlib.util.find_spec("llama_index.llms.openai"):
        from llama_index.llms.openai import OpenAI

        return {"mini": OpenAI(model="gpt-4o-mini"), "large": OpenAI(model="gpt-4o")}
    return {"mini": stand_in("mini"), "large": stand_in("large")}


async def main() -> None:
    stats = RoutingStats()
    get_dispatcher().add_event_handler(stats)
    get_dispatcher().add_event_handler(PrintDecisions())
    llm = RouterLLM(
        models=[
            Candidate(name, model, input_cost=EXAMPLE_PRICES[name][0], output_cost=EXAMPLE_PRICES[name][1])
            for name, model in models().items()
        ],
        scorer=RuleScorer([(r"(?i)\b(compare|plan|prove)\b", 0.9)], default=0.1),
        routes={"legal": ["large"]},
        classifier=RuleClassifier([(r"(?i)\b(contract|clause|liability)\b", "legal")]),
    )
    agent = FunctionAgent(tools=[FunctionTool.from_defaults(fn=get_forecast)], llm=llm)
    questions = [
        "Hi! What can you do?",
        "What is the weather in Oslo?",
        "Is the liability clause in this contract enforceable?",
        "Plan a three-day trip and compare the options.",
    ]
    for question in questions:
        print(f"user: {question}")
        result = await agent.run(user_msg=question)
        print(f"agent: {result.response.content}")
    print()
    print(stats)


if __name__ == "__main__":
    asyncio.run(main())
