"""Structured output and retries through a `RouterLLM`, as they work with the plain LLM.

Shows: `FunctionAgent(output_cls=...)` on a `RouterLLM` (the chosen candidate's own structured output answers),
and a workflow step's `retry_policy` around the router: the candidate's own `RateLimitError` reaches the policy, and
`fallback_on` leaves rate limits to it, so the router does not multiply attempts, while an error that retrying
cannot fix (a 400) falls back to the other candidate at once.

Run:
    python examples/llama_index_structured.py

Offline it uses LlamaIndex's `MockFunctionCallingLLM` stand-ins (their structured output fills the schema's
defaults; the retry part always uses a stand-in that is rate-limited twice). With `llama-index-llms-openai`
installed and `OPENAI_API_KEY` set, the agent part uses gpt-4o-mini / gpt-4o instead.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
from typing import Any

from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.bridge.pydantic import BaseModel, Field
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.llms import LLM, ChatMessage
from llama_index.core.llms.mock import MockFunctionCallingLLM
from llama_index.core.tools import FunctionTool
from llama_index.core.workflow import StartEvent, StopEvent, Workflow, step
from workflows.retry_policy import retry_if_exception, retry_policy, stop_after_attempt, wait_none

from langroute import RuleScorer
from langroute.llama_index import RouterLLM, RoutingDecisionEvent


class Weather(BaseModel):
    """Today's weather in a city."""

    city: str = "Paris"
    sunny: bool = True
    temperature_c: int = 21


class PrintDecisions(BaseEventHandler):
    """Print each routing decision as it is made."""

    @classmethod
    def class_name(cls) -> str:
        return "PrintDecisions"

    def handle(self, event: Any, **kwargs: Any) -> None:
        if isinstance(event, RoutingDecisionEvent):
            extra = f", fallback from {event.fallback_from}" if event.fallback_from else ""
            print(f"  [langroute] -> {event.model}{extra}")


def get_weather(city: str = "Paris") -> str:
    """Return today's weather in `city`."""
    return f"sunny and 21 C in {city}"


def candidates() -> dict[str, LLM]:
    """Real OpenAI models when available, else offline stand-ins (cheapest first)."""
    if os.environ.get("OPENAI_API_KEY") and importlib.util.find_spec("llama_index.llms.openai"):
        from llama_index.llms.openai import OpenAI

        return {"small": OpenAI(model="gpt-4o-mini"), "large": OpenAI(model="gpt-4o")}
    return {"small": MockFunctionCallingLLM(), "large": MockFunctionCallingLLM()}


# -- a provider error, and a stand-in that raises it ------------------------------------------------------------


class APIStatusError(Exception):
    """Shaped like the provider SDKs' errors (``openai.APIStatusError``): a message and an HTTP status code."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


class RateLimitError(APIStatusError):
    """HTTP 429: retrying the same model a little later fixes it."""


def is_transient(error: BaseException) -> bool:
    """Errors that retrying the same model fixes: rate limits, server errors, timeouts, dropped connections."""
    status = getattr(error, "status_code", None)
    return isinstance(error, (TimeoutError, ConnectionError)) or status == 429 or (status or 0) >= 500


class Flaky(MockFunctionCallingLLM):
    """Raises ``errors`` one per call, in order, then answers; counts its calls."""

    errors: list[Any] = Field(default_factory=list)
    calls: int = 0

    def chat(self, messages: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return super().chat(messages, **kwargs)


class Ask(Workflow):
    """One LLM step, retried on transient errors (no wait, for the demo)."""

    def __init__(self, llm: LLM) -> None:
        super().__init__(timeout=60)
        self.llm = llm

    @step(
        retry_policy=retry_policy(retry=retry_if_exception(is_transient), wait=wait_none(), stop=stop_after_attempt(3))
    )
    async def ask(self, ev: StartEvent) -> StopEvent:
        response = await self.llm.achat([ChatMessage(role="user", content=ev.question)])
        return StopEvent(result=response.additional_kwargs["langroute"]["model"])


async def main() -> None:
    get_dispatcher().add_event_handler(PrintDecisions())

    print("1. FunctionAgent(output_cls=Weather) on the router:")
    llm = RouterLLM(models=candidates(), scorer=RuleScorer([(r"(?i)weather", 0.9)], default=0.1))
    agent = FunctionAgent(tools=[FunctionTool.from_defaults(fn=get_weather)], llm=llm, output_cls=Weather)
    result = await agent.run(user_msg="What's the weather in Paris?")
    print(f"structured response: {result.structured_response}")

    print("\n2. A retry policy around the router, fallback_on=lambda e: not is_transient(e):")
    small = Flaky(errors=[RateLimitError("slow down", 429), RateLimitError("slow down", 429)])
    large = Flaky()
    routed = RouterLLM(models={"small": small, "large": large}, fallback_on=lambda e: not is_transient(e))
    answered_by = await Ask(routed).run(question="hi")
    print(f"answered by {answered_by}; calls: small={small.calls}, large={large.calls} (the policy retried small)")

    print("\n3. The same router, small refuses the request (400, retrying cannot fix it):")
    small.errors = [APIStatusError("context too long", 400)]
    small.calls = large.calls = 0
    answered_by = await Ask(routed).run(question="hi")
    print(f"answered by {answered_by}; calls: small={small.calls}, large={large.calls} (the router fell back)")


if __name__ == "__main__":
    asyncio.run(main())
