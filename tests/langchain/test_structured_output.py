"""`with_structured_output` delegates to the chosen candidate's own implementation, options included."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.callbacks import get_usage_metadata_callback
from langchain_core.messages import HumanMessage
from pydantic import BaseModel

from langroute import RouterChatModel
from langroute.langchain.testing import DecisionRecorder

from .helpers import fixed
from .openai_fakes import chat_openai, completion


class Answer(BaseModel):
    """The final answer."""

    answer: str
    confidence: float


_JSON = '{"answer": "4", "confidence": 0.9}'


def _reply(body: dict[str, Any]) -> Any:
    """Answer in whatever form the request asked for: a tool call when tools were sent, else JSON text."""
    if body.get("tools"):
        return completion(tool_calls=[("Answer", {"answer": "4", "confidence": 0.9})])
    return completion(_JSON)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"method": "json_schema", "strict": True},
        {"method": "function_calling", "strict": True},
        {"method": "json_mode"},
    ],
)
def test_options_reach_the_candidate_and_the_request_is_the_plain_models(options: dict[str, Any]):
    plain_requests: list[dict[str, Any]] = []
    routed_requests: list[dict[str, Any]] = []
    plain = chat_openai(_reply, plain_requests)
    router = RouterChatModel(models={"only": chat_openai(_reply, routed_requests)})
    expected = plain.with_structured_output(Answer, **options).invoke("2 + 2?")
    assert (
        router.with_structured_output(Answer, **options).invoke("2 + 2?")
        == expected
        == Answer(answer="4", confidence=0.9)
    )
    assert routed_requests == plain_requests
    if options.get("method") == "json_schema":
        assert routed_requests[0]["response_format"]["json_schema"]["strict"] is True
    if options.get("method") == "function_calling":
        assert routed_requests[0]["tools"][0]["function"]["strict"] is True


def test_include_raw_reports_the_decision_on_the_raw_message():
    recorder = DecisionRecorder()
    router = RouterChatModel(
        models={"small": chat_openai(_reply, []), "large": chat_openai(_reply, [])}, scorer=fixed(0.9)
    )
    out = router.with_structured_output(Answer, include_raw=True).invoke("2 + 2?", {"callbacks": [recorder]})
    assert out["parsed"] == Answer(answer="4", confidence=0.9)
    assert out["parsing_error"] is None
    assert out["raw"].response_metadata["langroute"]["model"] == "large"
    assert out["raw"].response_metadata["model_provider"] == "openai"
    assert [d["model"] for d in recorder.decisions] == ["large"]


def test_an_unparseable_answer_falls_back_to_the_next_candidate():
    small_requests: list[dict[str, Any]] = []
    incomplete = completion(tool_calls=[("Answer", {"answer": "4"})])  # no confidence: fails validation
    small = chat_openai(lambda body: incomplete, small_requests, model="gpt-4o-mini")
    large = chat_openai(_reply, [], model="gpt-4o")
    router = RouterChatModel(models={"small": small, "large": large}, scorer=fixed(0.0))
    recorder = DecisionRecorder()
    structured = router.with_structured_output(Answer, method="function_calling")
    assert structured.invoke("2 + 2?", {"callbacks": [recorder]}) == Answer(answer="4", confidence=0.9)
    assert [(d["model"], d["fallback_from"]) for d in recorder.decisions] == [("small", None), ("large", "small")]
    raw = router.with_structured_output(Answer, method="function_calling", include_raw=True).invoke("2 + 2?")
    assert raw["parsing_error"] is not None  # include_raw: a parsing error is an answer, as with the plain model
    assert raw["raw"].response_metadata["langroute"]["model"] == "small"
    assert len(small_requests) == 2


def test_a_single_candidates_parsing_error_is_the_plain_models():
    plain = chat_openai(lambda body: completion("not json"), [])
    router = RouterChatModel(models={"only": chat_openai(lambda body: completion("not json"), [])})
    with pytest.raises(Exception) as expected:  # noqa: PT011 - whatever the candidate raises
        plain.with_structured_output(Answer).invoke("2 + 2?")
    with pytest.raises(type(expected.value)):
        router.with_structured_output(Answer).invoke("2 + 2?")


async def test_async_route_and_router_defaults():
    requests: list[dict[str, Any]] = []
    router = RouterChatModel(
        models={"small": chat_openai(_reply, []), "large": chat_openai(_reply, requests)},
        scorer=fixed(0.0),
        temperature=0.0,
        max_tokens=64,
    )
    structured = router.with_structured_output(Answer, route="large")
    assert await structured.ainvoke("2 + 2?") == Answer(answer="4", confidence=0.9)
    assert (requests[0]["temperature"], requests[0]["max_completion_tokens"]) == (0.0, 64)
    with pytest.raises(ValueError, match="nope"):
        router.with_structured_output(Answer, route="nope")


def test_usage_is_counted_once():
    router = RouterChatModel(models={"only": chat_openai(_reply, [])})
    with get_usage_metadata_callback() as usage:
        router.with_structured_output(Answer).invoke("2 + 2?")
    assert usage.usage_metadata["gpt-4o-mini-2024-07-18"]["total_tokens"] == 60


@pytest.mark.filterwarnings("ignore:create_react_agent has been moved:DeprecationWarning")
def test_langgraph_react_agent_response_format_matches_the_plain_model():
    from langchain_core.tools import tool
    from langgraph.prebuilt import create_react_agent

    @tool
    def get_weather(city: str) -> str:
        """Return the weather in a city."""
        return f"sunny in {city}"

    def reply(body: dict[str, Any]) -> Any:
        if "response_format" in body:  # the structured-response step
            return completion(_JSON)
        if len(body["messages"]) == 1:
            return completion(tool_calls=[("get_weather", {"city": "Paris"})])
        return completion("Sunny in Paris.")

    plain_requests: list[dict[str, Any]] = []
    routed_requests: list[dict[str, Any]] = []
    question = {"messages": [HumanMessage("Weather in Paris?")]}
    plain = create_react_agent(chat_openai(reply, plain_requests), [get_weather], response_format=Answer)
    routed = create_react_agent(
        RouterChatModel(models={"only": chat_openai(reply, routed_requests)}), [get_weather], response_format=Answer
    )
    expected = plain.invoke(question)["structured_response"]
    assert routed.invoke(question)["structured_response"] == expected == Answer(answer="4", confidence=0.9)
    assert routed_requests == plain_requests
    assert routed_requests[-1]["response_format"]["type"] == "json_schema"  # the candidate's native method
