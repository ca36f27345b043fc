"""Errors: the candidate's own exception escapes unchanged, and `fallback_on` / retries combine without surprise.

With one candidate tried, the very exception object the candidate raised reaches the caller, so ``except
RateLimitError``, a workflow step's ``retry_policy`` and an agent's caller behave as with the plain LLM. With several
tried, the `AllCandidatesFailedError` is also an instance of the class the errors share.
"""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.bridge.pydantic import BaseModel
from llama_index.core.llms import LLM
from llama_index.core.llms.mock import MockFunctionCallingLLM
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from llama_index.core.workflow import StartEvent, StopEvent, Workflow, step
from workflows.retry_policy import retry_if_exception_type, retry_policy, stop_after_attempt, wait_none

from langroute import AllCandidatesFailedError, CallableScorer
from langroute.llama_index import RouterLLM

from .conftest import APIError, BadRequestError, RaisingLLM, RateLimitError

MSGS = [ChatMessage(role="user", content="hello")]


class _Answer(BaseModel):
    city: str = "Paris"


def _tool() -> FunctionTool:
    def get_weather(city: str = "Paris") -> str:
        """Return the weather in `city`."""
        return f"sunny in {city}"

    return FunctionTool.from_defaults(fn=get_weather)


def _router(models: dict[str, LLM], **kwargs: Any) -> RouterLLM:
    return RouterLLM(models=models, scorer=CallableScorer(lambda conv: 0.0), **kwargs)


def _rate_limited(message: str = "slow down") -> RaisingLLM:
    return RaisingLLM(error=RateLimitError(message, status_code=429, response={"retry-after": "1"}))


SYNC_CALLS = {
    "chat": lambda llm: llm.chat(MSGS),
    "complete": lambda llm: llm.complete("hello"),
    "stream_chat": lambda llm: list(llm.stream_chat(MSGS)),
    "chat_with_tools": lambda llm: llm.chat_with_tools([_tool()], user_msg="hello"),
    "structured_predict": lambda llm: llm.structured_predict(_Answer, PromptTemplate("Weather in {city}?"), city="X"),
    "as_structured_llm": lambda llm: llm.as_structured_llm(_Answer).chat(MSGS),
}


async def _drain(stream: Any) -> list[Any]:
    return [item async for item in await stream]


ASYNC_CALLS = {
    "achat": lambda llm: llm.achat(MSGS),
    "astream_chat": lambda llm: _drain(llm.astream_chat(MSGS)),
    "achat_with_tools": lambda llm: llm.achat_with_tools([_tool()], user_msg="hello"),
    "astructured_predict": lambda llm: llm.astructured_predict(_Answer, PromptTemplate("Weather in {city}?"), city="X"),
}


# -- one candidate tried: the candidate's own exception, the same object ------------------------------------------


@pytest.mark.parametrize("call", list(SYNC_CALLS))
def test_the_only_candidates_exception_escapes_unchanged(call):
    candidate = _rate_limited()
    with pytest.raises(RateLimitError) as plain:
        SYNC_CALLS[call](candidate)
    with pytest.raises(RateLimitError) as routed:
        SYNC_CALLS[call](_router({"only": candidate}))
    assert routed.value is plain.value is candidate.error
    assert not isinstance(routed.value, AllCandidatesFailedError)
    assert routed.value.status_code == 429


@pytest.mark.parametrize("call", list(ASYNC_CALLS))
async def test_the_only_candidates_exception_escapes_unchanged_async(call):
    candidate = _rate_limited()
    with pytest.raises(RateLimitError) as routed:
        await ASYNC_CALLS[call](_router({"only": candidate}))
    assert routed.value is candidate.error


def test_forced_route_and_fallbacks_off_raise_the_candidates_own_error(events):
    small, large = _rate_limited(), MockFunctionCallingLLM()
    with pytest.raises(RateLimitError) as forced:
        _router({"large": large, "small": small}).chat(MSGS, route="small")
    assert forced.value is small.error
    with pytest.raises(RateLimitError) as off:
        _router({"small": small, "large": large}, fallbacks=False).chat(MSGS)
    assert off.value is small.error
    assert small.calls == 2
    assert [d.model for d in events.decisions()] == ["small", "small"]  # large was never tried


# -- several candidates tried: AllCandidatesFailedError is also their common class --------------------------------


def test_all_failing_with_one_class_is_that_class_with_the_last_errors_attributes():
    small = RaisingLLM(error=RateLimitError("small: slow down", status_code=429, response="small"))
    large = RaisingLLM(error=RateLimitError("large: slow down", status_code=429, response="large"))
    llm = _router({"small": small, "large": large})
    with pytest.raises(RateLimitError) as info:  # `except RateLimitError` still matches
        llm.chat(MSGS)
    error = info.value
    assert isinstance(error, AllCandidatesFailedError)
    assert list(error.errors.items()) == [("small", small.error), ("large", large.error)]
    assert (error.status_code, error.response) == (429, "large")
    assert error.__cause__ is large.error
    assert "small: RateLimitError: small: slow down" in str(error)


async def test_mixed_failures_share_the_providers_base_class():
    small = RaisingLLM(error=RateLimitError("slow down", status_code=429))
    large = RaisingLLM(error=BadRequestError("too long", status_code=400))
    with pytest.raises(APIError) as info:
        await _router({"small": small, "large": large}).achat(MSGS)
    assert isinstance(info.value, AllCandidatesFailedError)
    assert not isinstance(info.value, RateLimitError | BadRequestError)
    assert info.value.status_code == 400


def test_unrelated_failures_are_a_runtime_error():
    small = RaisingLLM(error=ConnectionResetError("reset"))
    large = RaisingLLM(error=KeyError("missing"))
    with pytest.raises(AllCandidatesFailedError) as info:
        _router({"small": small, "large": large}).complete("x")
    assert isinstance(info.value, RuntimeError)
    assert not isinstance(info.value, OSError | KeyError)


# -- fallback_on ----------------------------------------------------------------------------------------------------


def test_fallback_on_leaves_other_errors_to_the_caller(events):
    transient = (RateLimitError,)
    small, large = _rate_limited(), MockFunctionCallingLLM()
    llm = _router({"small": small, "large": large}, fallback_on=lambda e: not isinstance(e, transient))
    with pytest.raises(RateLimitError) as info:
        llm.chat(MSGS)
    assert info.value is small.error
    assert [d.model for d in events.decisions()] == ["small"]

    small.error = BadRequestError("context overflow", status_code=400)  # another model may take it
    response = llm.chat(MSGS)
    assert (
        response.additional_kwargs["langroute"]["model"],
        response.additional_kwargs["langroute"]["fallback_from"],
    ) == (
        "large",
        "small",
    )


def test_fallback_on_exception_classes_and_its_errors():
    small, large = RaisingLLM(error=BadRequestError("no", status_code=400)), MockFunctionCallingLLM()
    llm = _router({"small": small, "large": large}, fallback_on=[BadRequestError])
    assert llm.fallback_on == (BadRequestError,)
    assert llm.router.fallback_on == (BadRequestError,)
    assert llm.chat(MSGS).additional_kwargs["langroute"]["model"] == "large"
    llm.fallback_on = RateLimitError  # one class is accepted too; assigning rebuilds the router
    assert llm.router.fallback_on == (RateLimitError,)
    with pytest.raises(BadRequestError):
        llm.chat(MSGS)
    assert llm.to_dict()["fallback_on"] == [f"{RateLimitError.__module__}.RateLimitError"]
    with pytest.raises(TypeError, match=r"fallback_on='rate limits': expected exception classes"):
        RouterLLM(models={"a": large}, fallback_on="rate limits")
    assert llm.fallback_on == (RateLimitError,)


# -- LlamaIndex's own error paths -------------------------------------------------------------------------------


class _Ask(Workflow):
    """A workflow whose LLM step is retried on rate limits, the way LlamaIndex workflows retry a flaky step."""

    def __init__(self, llm: LLM) -> None:
        super().__init__(timeout=30)
        self.llm = llm

    @step(
        retry_policy=retry_policy(
            retry=retry_if_exception_type(RateLimitError), wait=wait_none(), stop=stop_after_attempt(3)
        )
    )
    async def ask(self, ev: StartEvent) -> StopEvent:
        response = await self.llm.achat(MSGS)
        return StopEvent(result=response.message.content)


async def test_a_workflow_retry_policy_matches_through_the_router():
    plain = RaisingLLM(error=RateLimitError("slow down", status_code=429), fails=2)
    assert await _Ask(plain).run() == "hello"
    assert plain.calls == 3

    routed = RaisingLLM(error=RateLimitError("slow down", status_code=429), fails=2)
    assert await _Ask(_router({"only": routed})).run() == "hello"
    assert routed.calls == 3  # the same 3 attempts: the retry policy saw RateLimitError each time


async def test_router_fallback_inside_a_retry_policy_multiplies_attempts_unless_fallback_on_says_otherwise():
    small, large = _rate_limited("small"), _rate_limited("large")
    with pytest.raises(RateLimitError) as info:
        await _Ask(_router({"small": small, "large": large})).run()
    assert isinstance(info.value, AllCandidatesFailedError)  # still matched by retry_if_exception_type
    assert (small.calls, large.calls) == (3, 3)  # 3 retries x 2 candidates

    small, large = _rate_limited("small"), _rate_limited("large")
    llm = _router({"small": small, "large": large}, fallback_on=lambda e: not isinstance(e, RateLimitError))
    with pytest.raises(RateLimitError) as info:
        await _Ask(llm).run()
    assert info.value is small.error
    assert (small.calls, large.calls) == (3, 0)  # rate limits are the retry layer's; the router does not multiply


async def test_a_function_agent_surfaces_the_candidates_error_class():
    candidate = _rate_limited()
    agent = FunctionAgent(tools=[_tool()], llm=_router({"only": candidate}))
    with pytest.raises(RateLimitError) as info:
        await agent.run(user_msg="weather?")
    assert info.value is candidate.error
