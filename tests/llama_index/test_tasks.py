"""Task routes through `RouterLLM`: ``task=`` per call, a classifier, ``thread_id=`` and sticky threads; the
per-call routing options never reach the candidate."""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel

from langroute import CallableScorer, ConfigError, RuleClassifier
from langroute.llama_index import RouterLLM
from tests.llama_index.conftest import scripted

EASY = CallableScorer(lambda pairs: 0.1)


def _decision(response: Any) -> dict[str, Any]:
    return response.additional_kwargs["langroute"]


def _msgs(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


@pytest.fixture
def trio() -> dict[str, Any]:
    return {"mini": scripted("mini"), "code": scripted("code"), "premium": scripted("premium")}


def test_task_picks_its_ladder_and_is_never_forwarded(trio):
    llm = RouterLLM(models=trio, routes={"legal": ["premium"], "coding": ["code", "premium"]}, scorer=EASY)
    response = llm.chat(_msgs("review this clause"), task="legal", thread_id="t-1")
    decision = _decision(response)
    assert (decision["model"], decision["task"], decision["ladder"]) == ("premium", "legal", ["premium"])
    assert decision["reason"].startswith("task 'legal' (given); ")
    assert trio["premium"].seen == [("chat", {})]  # neither task nor thread_id reached the candidate
    assert _decision(llm.chat(_msgs("a loop"), task="coding"))["model"] == "code"
    assert _decision(llm.chat(_msgs("hello")))["model"] == "mini"  # no task: every candidate


async def test_task_in_async_streams_and_tools(trio):
    llm = RouterLLM(models=trio, routes={"legal": ["premium"]}, scorer=EASY)
    chunks = [chunk async for chunk in await llm.astream_chat(_msgs("clause"), task="legal")]
    assert {_decision(chunk)["model"] for chunk in chunks} == {"premium"}
    assert trio["premium"].seen == [("astream_chat", {})]
    response = await llm.acomplete("clause", task="legal")
    assert _decision(response)["task"] == "legal"


def test_an_unknown_task_lists_the_tasks(trio):
    llm = RouterLLM(models=trio, routes={"legal": ["premium"], "coding": ["code"]})
    with pytest.raises(ValueError, match=r"task='poetry' is unknown; choose one of \['coding', 'legal'\]"):
        llm.chat(_msgs("a sonnet"), task="poetry")
    with pytest.raises(ConfigError, match="task"):
        llm.complete("x", task="")


def test_route_wins_over_task(trio):
    llm = RouterLLM(models=trio, routes={"legal": ["premium"]})
    decision = _decision(llm.chat(_msgs("clause"), task="legal", route="mini"))
    assert (decision["model"], decision["forced"], decision["task"]) == ("mini", True, "legal")


def test_a_classifier_finds_the_task(trio):
    classifier = RuleClassifier([(r"(?i)\b(contract|clause)\b", "legal"), (r"(?i)\bpython\b", "coding")])
    llm = RouterLLM(models=trio, routes={"legal": ["premium"], "coding": ["code", "premium"]}, classifier=classifier)
    legal = _decision(llm.chat(_msgs("Is this contract clause enforceable?")))
    assert (legal["model"], legal["task"]) == ("premium", "legal")
    assert "RuleClassifier" in legal["reason"]
    assert _decision(llm.chat(_msgs("fix my python loop")))["task"] == "coding"
    assert _decision(llm.chat(_msgs("hello")))["task"] is None
    assert _decision(llm.chat(_msgs("contract"), task="coding"))["task"] == "coding"  # given wins


class Clause(BaseModel):
    risky: bool


def test_structured_calls_take_task_and_thread_from_llm_kwargs(trio):
    trio["premium"] = scripted("premium", text='{"risky": true}', pydantic_program_mode="llm", is_chat_model=True)
    llm = RouterLLM(models=trio, routes={"legal": ["premium"]})
    prompt = PromptTemplate("Is {task} risky?")  # a template variable named like the option stays a variable
    out = llm.structured_predict(Clause, prompt, llm_kwargs={"task": "legal", "thread_id": "t"}, task="this clause")
    assert out == Clause(risky=True)
    assert trio["premium"].seen == [("chat", {})]  # neither the option nor the prompt variable leaked


def test_sticky_thread_holds_the_first_candidate_and_escalates(trio):
    scores = {"easy": 0.1, "mid": 0.5, "hard": 0.9}
    llm = RouterLLM(
        models=trio,
        sticky="thread",
        scorer=CallableScorer(lambda pairs: scores[pairs[-1][1]]),
        thresholds=[0.3, 0.7],
    )
    assert _decision(llm.chat(_msgs("mid"), thread_id="a"))["model"] == "code"
    held = _decision(llm.chat(_msgs("easy"), thread_id="a"))
    assert (held["model"], held["sticky"]) == ("code", True)
    assert held["reason"].startswith("sticky")
    assert _decision(llm.chat(_msgs("hard"), thread_id="a"))["model"] == "premium"  # escalates
    assert _decision(llm.chat(_msgs("easy"), thread_id="a"))["model"] == "premium"
    assert _decision(llm.chat(_msgs("easy"), thread_id="b"))["model"] == "mini"  # another thread
    assert _decision(llm.chat(_msgs("easy")))["model"] == "mini"  # no thread id
    assert all(kwargs == {} for _, kwargs in trio["code"].seen)


def test_thread_id_is_ignored_unless_sticky_thread(trio):
    llm = RouterLLM(models=trio, scorer=CallableScorer(lambda pairs: 0.9 if pairs[-1][1] == "hard" else 0.1))
    assert _decision(llm.chat(_msgs("hard"), thread_id="a"))["model"] == "premium"
    assert _decision(llm.chat(_msgs("easy"), thread_id="a"))["model"] == "mini"
