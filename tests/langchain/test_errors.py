"""The drop-in error contract: what escapes the router is what the wrapped models raised.

One candidate tried (a single candidate, a forced route, ``fallbacks=False``, an error ``fallback_on`` excludes):
the candidate's own exception object. Several tried and all failed: an `AllCandidatesFailedError` that is also
their common class, so ``except``, LangGraph's ``RetryPolicy`` and LangChain's middleware match it as before.
"""

from __future__ import annotations

from typing import Any

import openai
import pytest
from langchain_core.exceptions import ModelAuthenticationError, ModelRateLimitError
from langchain_core.messages import AIMessage, HumanMessage

from langroute import AllCandidatesFailedError, RouterChatModel

from .helpers import RaisingChatModel, fixed, replies
from .openai_fakes import api_error, chat_openai, completion


def _raising(error: BaseException) -> RaisingChatModel:
    return RaisingChatModel(messages=replies("never"), error=error)


def test_a_single_candidates_exception_escapes_as_the_same_object():
    error = ConnectionError("provider down")
    with pytest.raises(ConnectionError) as info:
        RouterChatModel(models={"only": _raising(error)}).invoke("hi")
    assert info.value is error


@pytest.mark.parametrize(
    ("options", "call"),
    [
        ({}, {"route": "large"}),  # forced
        ({"fallbacks": False}, {}),
        ({"fallback_on": (TimeoutError,)}, {}),  # not an error the router falls back on
        ({"fallback_on": lambda e: False}, {}),
    ],
)
def test_one_tried_candidate_means_its_own_exception(options: dict[str, Any], call: dict[str, Any]):
    small_error, large_error = ConnectionError("small down"), ConnectionError("large down")
    models = {"small": _raising(small_error), "large": _raising(large_error)}
    router = RouterChatModel(models=models, scorer=fixed(0.0), **options)
    with pytest.raises(ConnectionError) as info:
        router.invoke("hi", **call)
    assert info.value is (large_error if call else small_error)
    assert models["small"].calls + models["large"].calls == 1


async def test_async_and_stream_paths_keep_the_same_object():
    error = ConnectionError("down")
    router = RouterChatModel(models={"only": _raising(error)})
    with pytest.raises(ConnectionError) as info:
        await router.ainvoke("hi")
    assert info.value is error
    with pytest.raises(ConnectionError) as info:
        list(router.stream("hi"))
    assert info.value is error


def _openai_pair(status: int, code: str, requests: list[dict[str, Any]]) -> dict[str, Any]:
    fail = lambda body: api_error(status, code, f"{code} ({body['model']})")  # noqa: E731
    return {
        "small": chat_openai(fail, requests, model="gpt-4o-mini"),
        "large": chat_openai(fail, requests, model="gpt-4o"),
    }


def test_all_failing_openai_candidates_raise_the_providers_class_with_its_attributes():
    requests: list[dict[str, Any]] = []
    router = RouterChatModel(models=_openai_pair(429, "rate_limit_exceeded", requests), scorer=fixed(0.0))
    with pytest.raises(openai.RateLimitError) as info:  # user code written for the plain model
        router.invoke("hi")
    error = info.value
    assert isinstance(error, AllCandidatesFailedError)
    assert isinstance(error, ModelRateLimitError)
    assert error.is_retryable is True
    assert error.status_code == 429
    assert error.response.status_code == 429
    assert list(error.errors) == ["small", "large"]
    assert "rate_limit_exceeded (gpt-4o)" in str(error.errors["large"])
    assert [body["model"] for body in requests] == ["gpt-4o-mini", "gpt-4o"]


def _graph_calling(model: Any, retry: Any) -> Any:
    from langgraph.graph import END, START, MessagesState, StateGraph

    graph = StateGraph(MessagesState)
    graph.add_node("model", lambda state: {"messages": [model.invoke(state["messages"])]}, retry_policy=retry)
    graph.add_edge(START, "model")
    graph.add_edge("model", END)
    return graph.compile()


def test_langgraph_default_retry_policy_retries_as_often_as_with_the_plain_model():
    from langgraph.types import RetryPolicy

    retry = RetryPolicy(initial_interval=0.0, jitter=False)  # default max_attempts=3 and retry_on
    plain = _raising(ConnectionError("down"))
    with pytest.raises(ConnectionError):
        _graph_calling(plain, retry).invoke({"messages": [HumanMessage("hi")]})
    assert plain.calls == 3

    models = {"small": _raising(ConnectionError("small down")), "large": _raising(ConnectionError("large down"))}
    router = RouterChatModel(models=models, scorer=fixed(0.0))
    with pytest.raises(ConnectionError) as info:
        _graph_calling(router, retry).invoke({"messages": [HumanMessage("hi")]})
    assert isinstance(info.value, AllCandidatesFailedError)
    assert (models["small"].calls, models["large"].calls) == (3, 3)  # 3 attempts, each trying both


def test_retry_policy_with_fallback_on_does_not_multiply_attempts():
    from langgraph.types import RetryPolicy

    models = {"small": _raising(ConnectionError("small down")), "large": _raising(ConnectionError("large down"))}
    # leave transient errors to the retry layer: the router falls back only on what a retry cannot fix
    router = RouterChatModel(models=models, scorer=fixed(0.0), fallback_on=lambda e: not isinstance(e, ConnectionError))
    with pytest.raises(ConnectionError):
        _graph_calling(router, RetryPolicy(initial_interval=0.0, jitter=False)).invoke(
            {"messages": [HumanMessage("x")]}
        )
    assert (models["small"].calls, models["large"].calls) == (3, 0)


def _agent_requests(model: Any, middleware: Any) -> None:
    from langchain.agents import create_agent

    create_agent(model, middleware=[middleware]).invoke({"messages": [HumanMessage("hi")]})


def _retry(**options: Any) -> Any:
    from langchain.agents.middleware import ModelRetryMiddleware

    return ModelRetryMiddleware(initial_delay=0.0, jitter=False, on_failure="error", **options)


def test_model_retry_middleware_does_not_retry_a_non_retryable_error_behind_the_router():
    plain_requests: list[dict[str, Any]] = []
    plain = chat_openai(lambda body: api_error(401, "invalid_api_key", "bad key"), plain_requests)
    with pytest.raises(ModelAuthenticationError):
        _agent_requests(plain, _retry())
    assert len(plain_requests) == 1

    requests: list[dict[str, Any]] = []
    with pytest.raises(openai.AuthenticationError):
        only = chat_openai(lambda body: api_error(401, "invalid_api_key", "bad key"), requests)
        _agent_requests(RouterChatModel(models={"only": only}), _retry())
    assert len(requests) == 1  # one candidate: its own error, not retried

    requests.clear()
    router = RouterChatModel(models=_openai_pair(401, "invalid_api_key", requests), scorer=fixed(0.0))
    with pytest.raises(ModelAuthenticationError) as info:
        _agent_requests(router, _retry())
    assert isinstance(info.value, AllCandidatesFailedError)
    assert len(requests) == 2  # one attempt of the agent, each candidate once, no retry


def test_model_retry_middleware_retry_on_tuples_keep_matching():
    plain = _raising(ConnectionError("down"))
    with pytest.raises(ConnectionError):
        _agent_requests(plain, _retry(retry_on=(ConnectionError,)))
    assert plain.calls == 3

    models = {"small": _raising(ConnectionError("small")), "large": _raising(ConnectionError("large"))}
    with pytest.raises(ConnectionError):
        _agent_requests(RouterChatModel(models=models, scorer=fixed(0.0)), _retry(retry_on=(ConnectionError,)))
    assert (models["small"].calls, models["large"].calls) == (3, 3)


def test_model_retry_middleware_with_fallback_on_retryable_errors_left_to_it():
    requests: list[dict[str, Any]] = []
    replies_ = iter([api_error(429, "rate_limit_exceeded", "slow down"), completion("ok")])
    small = chat_openai(lambda body: next(replies_), requests, model="gpt-4o-mini")
    large = chat_openai(lambda body: completion("large"), requests, model="gpt-4o")
    router = RouterChatModel(
        models={"small": small, "large": large},
        scorer=fixed(0.0),
        fallback_on=lambda e: not getattr(e, "is_retryable", False),
    )
    from langchain.agents import create_agent

    result = create_agent(router, middleware=[_retry()]).invoke({"messages": [HumanMessage("hi")]})
    assert result["messages"][-1].content == "ok"  # the retry, on the same candidate
    assert [body["model"] for body in requests] == ["gpt-4o-mini", "gpt-4o-mini"]


def _overflowing(requests: list[dict[str, Any]], model: str) -> Any:
    """Overflows on the full summary prompt; answers the retry prompt, whose middle SummarizationMiddleware cut."""

    def reply(body: dict[str, Any]) -> Any:
        if "middle of conversation omitted" not in body["messages"][0]["content"]:
            return api_error(400, "context_length_exceeded", "Input tokens exceed the configured limit of 1000 tokens")
        return completion("a short summary")

    return chat_openai(reply, requests, model=model)


@pytest.mark.parametrize("names", [("only",), ("small", "large")])
def test_summarization_middleware_recovers_from_context_overflow_behind_the_router(names: tuple[str, ...]):
    from langchain.agents import create_agent
    from langchain.agents.middleware import SummarizationMiddleware

    requests: list[dict[str, Any]] = []
    history = [HumanMessage("x" * 400) if i % 2 == 0 else AIMessage("y" * 400) for i in range(10)]
    summarizer = RouterChatModel(models={name: _overflowing(requests, name) for name in names})
    agent = create_agent(
        chat_openai(lambda body: completion("done"), []),
        middleware=[SummarizationMiddleware(summarizer, trigger=("messages", 5), keep=("messages", 2))],
    )
    result = agent.invoke({"messages": [*history, HumanMessage("and now?")]})
    assert result["messages"][-1].content == "done"
    assert any("a short summary" in str(m.content) for m in result["messages"])
    assert len(requests) == len(names) + 1  # every candidate overflowed once, then the shorter retry prompt
    first, retry = requests[0]["messages"][0]["content"], requests[-1]["messages"][0]["content"]
    assert "middle of conversation omitted" in retry
    assert len(retry) < len(first)


def test_fallback_on_is_checked_and_a_copy_gets_its_own_rule():
    models = {"small": _raising(ConnectionError("s")), "large": _raising(ConnectionError("l"))}
    with pytest.raises(TypeError, match="fallback_on='timeouts'"):
        RouterChatModel(models=models, fallback_on="timeouts")
    router = RouterChatModel(models=models, scorer=fixed(0.0), fallback_on=TimeoutError)
    assert router.router.fallback_on == (TimeoutError,)
    copy = router.model_copy(update={"fallback_on": None})
    assert copy.router.fallback_on is None
    with pytest.raises(AllCandidatesFailedError):
        copy.invoke("hi")
    with pytest.raises(ConnectionError) as info:
        router.invoke("hi")
    assert info.value is models["small"].error
