"""Router fallback together with a retry layer, without multiplying attempts.

Run: ``python examples/retries_and_fallback.py`` (offline: scripted fake models that fail as providers do).

A retry layer around the router (LangChain's ``ModelRetryMiddleware``, LangGraph's ``RetryPolicy``) repeats the
whole routed call, and each repeat falls back through every candidate: 3 attempts x 2 candidates = 6 calls.
``fallback_on`` splits the work: errors that retrying the same model can fix (rate limits, 5xx, connection
errors: ``is_retryable``) escape to the retry layer; the rest (authentication, invalid request, context
overflow) fall back to the next candidate at once.
"""

from __future__ import annotations

import logging
from typing import Any

from langchain.agents import create_agent
from langchain.agents.middleware import ModelRetryMiddleware
from langchain_core.exceptions import ModelAuthenticationError, ModelConnectionError, ModelRateLimitError
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import ChatResult

from langroute import CallableScorer, RouterChatModel


class Scripted(GenericFakeChatModel):
    """Raises the scripted errors in turn (``None``: answer), and counts its calls."""

    script: list[Any]
    calls: int = 0

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        step = self.script[min(self.calls, len(self.script) - 1)]
        self.calls += 1
        if step is not None:
            raise step
        return super()._generate(messages, stop=stop, run_manager=run_manager, **kw)


def transient_only(error: BaseException) -> bool:
    """Fall back only on errors a retry of the same model would not fix."""
    return not getattr(error, "is_retryable", False)


def run(title: str, small_script: list[Any], large_script: list[Any], **router_options: Any) -> None:
    small = Scripted(script=small_script, messages=iter([AIMessage("small answers")] * 10))
    large = Scripted(script=large_script, messages=iter([AIMessage("large answers")] * 10))
    router = RouterChatModel(
        models={"small": small, "large": large}, scorer=CallableScorer(lambda conversation: 0.0), **router_options
    )
    retry = ModelRetryMiddleware(max_retries=2, initial_delay=0.0, jitter=False, on_failure="error")
    try:
        answer = create_agent(router, middleware=[retry]).invoke({"messages": [HumanMessage("hi")]})
        outcome = answer["messages"][-1].content
    except Exception as exc:  # noqa: BLE001 - the example prints what escaped
        outcome = f"raised {type(exc).__name__}"
    print(f"{title:<52} small={small.calls} large={large.calls}  -> {outcome}")


if __name__ == "__main__":
    logging.getLogger("langroute").setLevel(logging.ERROR)  # each fallback logs a warning; the table says enough
    down = ModelConnectionError("connection reset")
    print("both candidates down (a transient error):")
    run("  default: every retry falls back through both", [down], [down])
    run("  fallback_on=transient_only: retries on small only", [down], [down], fallback_on=transient_only)
    print("small rate-limited once:")
    run("  default: falls back to the dearer model", [ModelRateLimitError("429"), None], [None])
    run(
        "  fallback_on=transient_only: the retry finds small",
        [ModelRateLimitError("429"), None],
        [None],
        fallback_on=transient_only,
    )
    print("small's key revoked (retrying cannot help):")
    run(
        "  fallback_on=transient_only: large at once",
        [ModelAuthenticationError("401")],
        [None],
        fallback_on=transient_only,
    )
    print("no router fallback at all (fallbacks=False): the retry layer alone decides")
    run("  fallbacks=False", [down], [None], fallbacks=False)
