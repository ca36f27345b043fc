"""Reading LlamaIndex responses: token usage and finish reasons in the shapes integrations report them, the checks'
`Answer` (tool calls, tool schemas, structured output), and checks that use them through `RouterLLM`."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, CompletionResponse, ToolCallBlock
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from langroute import CallableScorer
from langroute.checks import ToolCall, truncated
from langroute.llama_index import RouterLLM
from langroute.llama_index.answers import answer_of, finish_reason, tool_call_ids, tool_schemas, usage
from tests.llama_index.conftest import ScriptedLLM, scripted

ANSWER = ChatMessage(role="assistant", content="ok")


@pytest.mark.parametrize(
    ("extra", "raw", "expected"),
    [
        ({"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}, None, (12, 3)),  # OpenAI
        ({"usage": {"input_tokens": 7, "output_tokens": 2}, "stop_reason": "end_turn"}, None, (7, 2)),  # Anthropic
        ({}, SimpleNamespace(usage=SimpleNamespace(prompt_tokens=5, completion_tokens=1)), (5, 1)),  # OpenAI raw
        ({}, {"usage": SimpleNamespace(input_tokens=9, output_tokens=4)}, (9, 4)),  # Anthropic raw dict
        ({}, {"usage": {"inputTokens": 8, "outputTokens": 6}}, (8, 6)),  # Bedrock Converse
        ({}, {"usage_metadata": {"prompt_token_count": 4, "candidates_token_count": 2}}, (4, 2)),  # Gemini
        ({}, {"prompt_eval_count": 11, "eval_count": 5}, (11, 5)),  # Ollama
        ({}, None, (None, None)),
        ({}, {"content": "text"}, (None, None)),
        ({"prompt_tokens": -1, "completion_tokens": True}, None, (None, None)),
    ],
)
def test_usage_in_the_shapes_integrations_report(extra, raw, expected):
    assert usage(ChatResponse(message=ANSWER, additional_kwargs=extra, raw=raw)) == expected
    assert usage(CompletionResponse(text="ok", additional_kwargs=extra, raw=raw)) == expected


@pytest.mark.parametrize(
    ("extra", "raw", "expected"),
    [
        ({}, SimpleNamespace(choices=[SimpleNamespace(finish_reason="length")]), "length"),  # OpenAI
        ({}, {"stop_reason": "max_tokens"}, "length"),  # Anthropic
        ({"stop_reason": "tool_use"}, None, "tool_calls"),  # Anthropic streams
        ({}, {"candidates": [{"finish_reason": "STOP"}]}, "stop"),  # Gemini
        ({}, {"done_reason": "stop"}, "stop"),  # Ollama
        ({}, None, None),
    ],
)
def test_finish_reasons(extra, raw, expected):
    assert finish_reason(ChatResponse(message=ANSWER, additional_kwargs=extra, raw=raw)) == expected


def get_weather(city: str) -> str:
    """Weather in `city`."""
    return city


def test_answers_carry_tool_calls_schemas_and_raw_arguments():
    tool = FunctionTool.from_defaults(fn=get_weather)
    schemas = tool_schemas([tool])
    assert schemas["get_weather"]["required"] == ["city"]
    blocks = [
        ToolCallBlock(tool_call_id="c1", tool_name="get_weather", tool_kwargs={"city": "Oslo"}),
        ToolCallBlock(tool_call_id="c2", tool_name="get_weather", tool_kwargs='{"city": '),
    ]
    response = ChatResponse(message=ChatMessage(role="assistant", blocks=blocks))
    answer = answer_of(response, scripted("x"), tools=schemas)
    assert answer.tool_calls == (
        ToolCall("get_weather", {"city": "Oslo"}, "c1"),
        ToolCall("get_weather", '{"city": ', "c2"),  # the raw string, so a check sees it does not parse
    )
    assert (answer.text, answer.tools) == ("", schemas)
    assert tool_call_ids(response) == ["c1", "c2"]
    legacy = ChatResponse(message=ChatMessage(role="assistant", additional_kwargs={"tool_calls": [{"id": "call_9"}]}))
    assert tool_call_ids(legacy) == ["call_9"]


class City(BaseModel):
    name: str


def test_structured_answers():
    schema = City.model_json_schema()
    response = ChatResponse(message=ChatMessage(role="assistant", content='{"name": ""}'), raw=City(name=""))
    answer = answer_of(response, scripted("x"), schema=schema)
    assert (answer.structured, answer.schema) == (City(name=""), schema)
    assert answer_of(City(name="Oslo"), scripted("x"), schema=schema).structured == City(name="Oslo")


def test_a_user_check_on_structured_output_escalates():
    def named(conversation: Any, answer: Any) -> bool | str:
        return bool(answer.structured.name) or "no city name"

    small = scripted("small", text='{"name": ""}', pydantic_program_mode="llm", is_chat_model=True)
    large = scripted("large", text='{"name": "Oslo"}', pydantic_program_mode="llm", is_chat_model=True)
    llm = RouterLLM(models={"small": small, "large": large}, scorer=CallableScorer(lambda p: 0.1), escalate=[named])
    response = llm.as_structured_llm(City).chat([ChatMessage(role="user", content="a city")])
    decision = response.additional_kwargs["langroute"]
    assert (response.message.content, decision["escalation"]) == ('{"name":"Oslo"}', "named: no city name")


def test_a_truncated_answer_escalates_on_the_finish_reason():
    class Truncating(ScriptedLLM):
        def chat(self, messages: Any, **kwargs: Any) -> ChatResponse:
            response = super().chat(messages, **kwargs)
            response.raw = {"stop_reason": "max_tokens"}
            return response

    llm = RouterLLM(
        models={"small": Truncating(), "large": scripted("large")},
        scorer=CallableScorer(lambda p: 0.1),
        escalate=[truncated],
    )
    decision = llm.chat([ChatMessage(role="user", content="a long essay")]).additional_kwargs["langroute"]
    assert (decision["model"], decision["escalation"]) == (
        "large",
        "truncated: finish reason 'length': the answer hit the token limit",
    )
