"""Agent-grade routing with real LlamaIndex agents: sticky tool loops, quality cascades (``escalate=``) and shadow
mode, through `FunctionAgent` (streaming and not) and plain calls."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from llama_index.core.agent.workflow import AgentStream, FunctionAgent
from llama_index.core.base.llms.types import ChatMessage, ToolCallBlock
from llama_index.core.tools import FunctionTool

from langroute import CallableScorer, RuleScorer
from langroute.checks import empty_answer, invalid_tool_call
from langroute.llama_index import RouterLLM
from langroute.llama_index.sticky import ToolCallMemory
from tests.llama_index.conftest import RaisingLLM, ScriptedLLM, scripted

EASY = CallableScorer(lambda pairs: 0.1)
HI = [ChatMessage(role="user", content="hi")]


def get_weather(city: str = "Paris") -> str:
    """Return today's weather in `city` (hard to forecast)."""
    return f"hard to say in {city}"


WEATHER = FunctionTool.from_defaults(fn=get_weather)


def _decision(response: Any) -> dict[str, Any]:
    return response.additional_kwargs["langroute"]


async def _run(agent: FunctionAgent, question: str) -> tuple[Any, list[str]]:
    handler = agent.run(user_msg=question)
    deltas = [event.delta async for event in handler.stream_events() if isinstance(event, AgentStream)]
    return await handler, deltas


# -- sticky tool loops --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("streaming", [True, False])
async def test_no_model_switch_inside_a_tool_loop(streaming, events):
    # the tool result says "hard": scored afresh, the turn answering it would go to the large model
    llm = RouterLLM(
        models={"small": scripted("small"), "large": scripted("large")},
        scorer=RuleScorer([(r"(?i)\bhard\b", 0.9)], default=0.1),
    )
    agent = FunctionAgent(tools=[WEATHER], llm=llm, streaming=streaming)
    result, _ = await _run(agent, "weather in Paris?")
    assert [call.tool_name for call in result.tool_calls] == ["get_weather"]
    decisions = events.decisions()
    assert [(d.model, d.sticky) for d in decisions] == [("small", False), ("small", True)]
    assert decisions[1].reason == "sticky: tool loop: small issued the tool calls"
    assert decisions[1].score is None
    assert result.response.content == "small: hard to say in Paris"


async def test_without_sticky_the_tool_result_turn_is_routed_afresh(events):
    llm = RouterLLM(
        models={"small": scripted("small"), "large": scripted("large")},
        scorer=RuleScorer([(r"(?i)\bhard\b", 0.9)], default=0.1),
        sticky=None,
    )
    result, _ = await _run(FunctionAgent(tools=[WEATHER], llm=llm), "weather in Paris?")
    assert [d.model for d in events.decisions()] == ["small", "large"]
    assert result.response.content == "large: hard to say in Paris"


def test_a_tool_loop_candidate_that_is_now_excluded_falls_back_to_routing():
    llm = RouterLLM(models={"small": scripted("small"), "large": scripted("large")}, scorer=EASY)
    first = llm.chat_with_tools([WEATHER], user_msg="weather?")
    assert _decision(first)["model"] == "small"
    calls = llm.get_tool_calls_from_response(first)
    result = ChatMessage(role="tool", content="sunny", additional_kwargs={"tool_call_id": calls[0].tool_id})
    history = [ChatMessage(role="user", content="weather?"), first.message, result]
    assert _decision(llm.chat_with_tools([WEATHER], chat_history=history))["sticky"] is True
    assert _decision(llm.chat(history))["sticky"] is True  # a plain chat answering the tool result too
    assert _decision(llm.chat(history, route="large"))["model"] == "large"  # a forced route wins
    unknown = ChatMessage(role="tool", content="sunny", additional_kwargs={"tool_call_id": "someone-else"})
    assert _decision(llm.chat([*history[:2], unknown]))["sticky"] is False


def test_the_tool_call_memory_is_bounded():
    memory = ToolCallMemory(capacity=2)
    memory.remember(["a", "b"], "small")
    memory.remember(["c"], "large")
    assert (memory.model_for("a"), memory.model_for("b"), memory.model_for("c"), len(memory)) == (
        None,
        "small",
        "large",
        2,
    )


# -- quality cascade ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("streaming", [True, False])
async def test_an_empty_cheap_answer_is_escalated_in_a_function_agent(streaming, events):
    llm = RouterLLM(
        models={"small": scripted("small", text=""), "large": scripted("large", text="Paris.")},
        scorer=EASY,
        escalate=[empty_answer],
    )
    result, deltas = await _run(FunctionAgent(tools=[WEATHER], llm=llm, streaming=streaming), "capital of France?")
    assert result.response.content == "Paris."
    first, second = events.decisions()
    assert (first.model, second.model, second.escalated_from) == ("small", "large", "small")
    assert second.escalation == "empty_answer: no text, no tool call and no structured output"
    if streaming:
        assert deltas == ["Paris."]  # the rejected answer never reached the stream


async def test_an_invalid_cheap_tool_call_is_escalated_and_the_loop_stays_on_the_stronger_model(events):
    def bad_call(messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        return ChatMessage(
            role="assistant", blocks=[ToolCallBlock(tool_call_id="x1", tool_name="launch", tool_kwargs={})]
        )

    llm = RouterLLM(
        models={"small": ScriptedLLM(response_generator=bad_call), "large": scripted("large")},
        scorer=EASY,
        escalate=[invalid_tool_call],
    )
    result, _ = await _run(FunctionAgent(tools=[WEATHER], llm=llm), "weather?")
    assert [call.tool_name for call in result.tool_calls] == ["get_weather"]
    assert result.response.content == "large: hard to say in Paris"
    decisions = [(d.model, d.escalated_from, d.sticky) for d in events.decisions()]
    assert decisions == [("small", None, False), ("large", "small", False), ("large", None, True)]
    assert events.decisions()[1].escalation == "invalid_tool_call: tool call 0 names unknown tool 'launch'"


def test_invalid_json_arguments_are_seen_by_the_check():
    def bad_json(messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        block = ToolCallBlock(tool_call_id="x1", tool_name="get_weather", tool_kwargs='{"city": ')
        return ChatMessage(role="assistant", blocks=[block])

    llm = RouterLLM(
        models={"small": ScriptedLLM(response_generator=bad_json), "large": scripted("large")},
        scorer=EASY,
        escalate=[invalid_tool_call],
    )
    decision = _decision(llm.chat_with_tools([WEATHER], user_msg="weather?"))
    assert (decision["model"], decision["escalation"]) == (
        "large",
        "invalid_tool_call: tool call 0 ('get_weather'): arguments are not valid JSON",
    )


def test_a_streamed_answer_is_buffered_and_only_the_accepted_one_is_streamed(events):
    small, large = scripted("small", text=""), scripted("large", text="the answer")
    llm = RouterLLM(models={"small": small, "large": large}, scorer=EASY, escalate=[empty_answer])
    stream = llm.stream_chat(HI)
    assert [d.model for d in events.decisions()] == ["small", "large"]  # both ran before the first chunk
    chunks = list(stream)
    assert [(c.delta, _decision(c)["model"]) for c in chunks] == [("the answer", "large")]
    assert _decision(chunks[0])["escalated_from"] == "small"
    assert [method for method, _ in small.seen] == ["stream_chat"]


async def test_async_streams_and_async_checks_escalate():
    async def cites(conversation: Any, answer: Any) -> bool | str:
        return "http" in answer.text or "no link"

    llm = RouterLLM(
        models={"small": scripted("small", text="trust me"), "large": scripted("large", text="see http://x")},
        scorer=EASY,
        escalate=[cites],
    )
    chunks = [chunk async for chunk in await llm.astream_chat(HI)]
    assert [c.delta for c in chunks] == ["see http://x"]
    decision = _decision(await llm.achat(HI))
    assert (decision["model"], decision["escalation"]) == ("large", "cites: no link")


def test_when_the_escalation_fails_the_first_answer_is_kept(events):
    boom = RaisingLLM(error=RuntimeError("down"))
    llm = RouterLLM(models={"small": scripted("small", text=""), "large": boom}, scorer=EASY, escalate=[empty_answer])
    response = llm.chat(HI)
    decision = _decision(response)
    assert (response.message.content, decision["model"], decision["escalated_from"]) == ("", "small", None)
    assert [d.model for d in events.decisions()] == ["small", "large"]
    assert events.results()[-1].failed is False


def test_max_escalations_zero_turns_checks_off():
    llm = RouterLLM(
        models={"small": scripted("small", text=""), "large": scripted("large")},
        scorer=EASY,
        escalate=[empty_answer],
        max_escalations=0,
    )
    assert _decision(llm.chat(HI))["model"] == "small"


# -- shadow mode --------------------------------------------------------------------------------------------------


async def test_shadow_mode_answers_every_agent_step_from_the_shadow_model(events):
    small, large = scripted("small"), scripted("large")
    llm = RouterLLM(models={"small": small, "large": large}, scorer=EASY, mode="shadow", escalate=[empty_answer])
    result, _ = await _run(FunctionAgent(tools=[WEATHER], llm=llm), "weather?")
    assert result.response.content == "large: hard to say in Paris"
    decisions = events.decisions()
    assert {(d.model, d.shadow) for d in decisions} == {("large", True)}
    assert decisions[0].would_route == "small"
    assert small.seen == []  # never called


def test_shadow_mode_never_falls_back_to_another_model():
    failing = RaisingLLM(error=RuntimeError("shadow down"))
    llm = RouterLLM(models={"small": scripted("small"), "large": failing}, scorer=EASY, mode="shadow")
    with pytest.raises(RuntimeError, match="shadow down") as info:
        llm.chat(HI)
    assert info.value is failing.error
    explicit = RouterLLM(
        models={"small": scripted("small"), "large": scripted("large")},
        scorer=CallableScorer(lambda pairs: 0.9),
        mode="shadow",
        shadow_model="small",
    )
    decision = _decision(explicit.chat(HI))
    assert (decision["model"], decision["would_route"], decision["reason"].startswith("shadow")) == (
        "small",
        "large",
        True,
    )


async def test_an_agent_workflow_keeps_its_tool_loop_on_one_model(events):
    from llama_index.core.agent.workflow import AgentWorkflow

    llm = RouterLLM(
        models={"small": scripted("small"), "large": scripted("large")},
        scorer=RuleScorer([(r"(?i)\bweather\b", 0.9)], default=0.1),  # the question is hard, the tool result not
    )
    workflow = AgentWorkflow(agents=[FunctionAgent(name="weather", tools=[WEATHER], llm=llm)])
    result = await workflow.run(user_msg="weather in Paris?")
    assert str(result) == "large: hard to say in Paris"
    assert [(d.model, d.sticky) for d in events.decisions()] == [("large", False), ("large", True)]
