"""Function calling: the four ``*_with_tools`` methods, tool-call reading, and real agents on top of `RouterLLM`."""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.agent.workflow import AgentStream, AgentWorkflow, FunctionAgent, ReActAgent
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
    ToolCallBlock,
)
from llama_index.core.bridge.pydantic import BaseModel, Field
from llama_index.core.llms import CustomLLM, MockLLM
from llama_index.core.llms.callbacks import llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.llms.mock import MockFunctionCallingLLM
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from llama_index.core.workflow import Context

from langroute import CallableScorer, Candidate, NoCapableCandidateError
from langroute.llama_index import RouterLLM


class _Recorder:
    """A tool with only optional arguments (`MockFunctionCallingLLM` calls tools with their defaults)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def tool(self) -> FunctionTool:
        def get_weather(city: str = "Paris") -> str:
            """Return the weather in `city`."""
            self.calls.append(city)
            return f"sunny in {city}"

        return FunctionTool.from_defaults(fn=get_weather)


class _Tracking(MockFunctionCallingLLM):
    """Records which of its methods the router called and with which tools."""

    calls: list[str] = Field(default_factory=list)
    prepared_tools: list[Any] = Field(default_factory=list)

    def _prepare_chat_with_tools(self, tools, user_msg=None, chat_history=None, **kwargs: Any) -> dict:
        self.prepared_tools.append([t.metadata.name for t in tools])
        return super()._prepare_chat_with_tools(tools, user_msg=user_msg, chat_history=chat_history, **kwargs)

    def get_tool_calls_from_response(self, response: ChatResponse, error_on_no_tool_call: bool = False, **kwargs):
        self.calls.append("get_tool_calls_from_response")
        return super().get_tool_calls_from_response(response, error_on_no_tool_call, **kwargs)


def _tracking() -> _Tracking:
    return _Tracking()


@pytest.fixture
def pair() -> tuple[RouterLLM, _Tracking, _Tracking]:
    small, large = _tracking(), _tracking()
    hard = CallableScorer(lambda conv: 0.9 if "hard" in conv[-1][1] else 0.1)
    return RouterLLM(models={"small": small, "large": large}, scorer=hard), small, large


def _tool_names(response: ChatResponse) -> list[str]:
    return [b.tool_name for b in response.message.blocks if isinstance(b, ToolCallBlock)]


def test_chat_with_tools_lets_the_chosen_candidate_prepare_its_payload(pair):
    llm, small, large = pair
    tool = _Recorder().tool()
    response = llm.chat_with_tools([tool], user_msg="a hard question")
    assert large.prepared_tools == [["get_weather"]]
    assert small.prepared_tools == []
    assert _tool_names(response) == ["get_weather"]
    assert response.additional_kwargs["langroute"]["model"] == "large"
    selections = llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
    assert [(s.tool_name, s.tool_kwargs) for s in selections] == [("get_weather", {"city": "Paris"})]
    assert large.calls == ["get_tool_calls_from_response"]
    assert small.calls == []


def test_tools_are_known_to_the_scorer():
    seen = []
    scorer = CallableScorer(lambda conv: seen.append(conv) or 0.1)
    llm = RouterLLM(models={"small": MockFunctionCallingLLM()}, scorer=scorer)
    history = [ChatMessage(role="system", content="rules")]
    llm.chat_with_tools([_Recorder().tool()], user_msg="hi", chat_history=history)
    assert seen == [[("system", "rules"), ("user", "hi")]]
    assert llm.router.scorer is scorer


async def test_achat_with_tools(pair):
    llm, small, _ = pair
    response = await llm.achat_with_tools([_Recorder().tool()], user_msg="easy")
    assert small.prepared_tools == [["get_weather"]]
    assert _tool_names(response) == ["get_weather"]
    assert llm.get_tool_calls_from_response(response)[0].tool_name == "get_weather"


def test_stream_chat_with_tools(pair):
    llm, small, large = pair
    chunks = list(llm.stream_chat_with_tools([_Recorder().tool()], user_msg="hard", route="small"))
    assert small.prepared_tools == [["get_weather"]]
    assert large.prepared_tools == []
    assert all(c.additional_kwargs["langroute"]["forced"] for c in chunks)
    assert _tool_names(chunks[-1]) == ["get_weather"]


async def test_astream_chat_with_tools(pair):
    llm, _, large = pair
    stream = await llm.astream_chat_with_tools([_Recorder().tool()], user_msg="hard")
    chunks = [c async for c in stream]
    assert {c.additional_kwargs["langroute"]["model"] for c in chunks} == {"large"}
    assert llm.get_tool_calls_from_response(chunks[-1])[0].tool_name == "get_weather"
    assert large.calls == ["get_tool_calls_from_response"]


def test_with_tools_sets_aside_a_candidate_whose_metadata_says_it_cannot_call_tools():
    llm = RouterLLM(models={"plain": MockLLM(), "tools": MockFunctionCallingLLM()}, scorer=CallableScorer(lambda c: 0))
    assert [c.tools for c in llm.candidates] == [False, True]  # from metadata.is_function_calling_model
    response = llm.chat_with_tools([_Recorder().tool()], user_msg="hi")
    decision = response.additional_kwargs["langroute"]
    assert (decision["model"], decision["fallback_from"]) == ("tools", None)
    assert decision["excluded"] == {"plain": "no tool calling: the request binds tools"}
    assert llm.chat([ChatMessage(role="user", content="hi")]).additional_kwargs["langroute"]["model"] == "plain"


def test_with_tools_falls_back_past_a_candidate_that_claims_tools_but_has_no_method():
    plain = MockLLM()
    llm = RouterLLM(
        models=[Candidate("plain", plain, tools=True), Candidate("tools", MockFunctionCallingLLM())],
        scorer=CallableScorer(lambda c: 0),
    )
    response = llm.chat_with_tools([_Recorder().tool()], user_msg="hi")
    decision = response.additional_kwargs["langroute"]
    assert (decision["model"], decision["fallback_from"]) == ("tools", "plain")
    assert "TypeError" in decision["reason"]


def test_tool_calls_from_a_foreign_response_are_refused(pair):
    llm, _, _ = pair
    foreign = ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content="hi"))
    with pytest.raises(ValueError, match=r"names no candidate .*\['small', 'large'\]"):
        llm.get_tool_calls_from_response(foreign)


def test_prepare_chat_with_tools_pins_the_route(pair):
    llm, _, large = pair
    prepared = llm._prepare_chat_with_tools([_Recorder().tool()], user_msg="hard")
    assert prepared["route"] == "large"
    assert large.prepared_tools == [["get_weather"]]
    response = llm.chat(**prepared)
    assert response.additional_kwargs["langroute"]["model"] == "large"


def test_predict_and_call_runs_the_tool(pair):
    llm, _, _ = pair
    recorder = _Recorder()
    output = llm.predict_and_call([recorder.tool()], user_msg="hard")
    assert output.response == "sunny in Paris"
    assert recorder.calls == ["Paris"]


@pytest.mark.parametrize("streaming", [True, False])
async def test_function_agent_calls_the_tool_and_finishes(streaming, events):
    small, large = MockFunctionCallingLLM(), MockFunctionCallingLLM()
    llm = RouterLLM(models={"small": small, "large": large}, scorer=CallableScorer(lambda conv: 0.8))
    recorder = _Recorder()
    agent = FunctionAgent(tools=[recorder.tool()], llm=llm, streaming=streaming)
    ctx = Context(agent)
    result = await agent.run(user_msg="What is the weather?", ctx=ctx)
    assert recorder.calls == ["Paris"]
    assert str(result.response.content) == "Tool calls complete."
    assert [t.tool_name for t in result.tool_calls] == ["get_weather"]
    decisions = events.decisions()
    assert [d.model for d in decisions] == ["large", "large"]  # one per LLM turn: tool call, then the answer
    memory = await ctx.store.get("memory")
    history = await memory.aget_all()
    assert [m.role.value for m in history] == ["user", "assistant", "tool", "assistant"]
    assert all("langroute" not in m.additional_kwargs for m in history)


async def test_react_agent_runs_on_the_router(events):
    def react(messages: list[ChatMessage], **kwargs: Any) -> ChatMessage:
        if any("Observation" in (m.content or "") for m in messages[1:]):  # messages[0]: the ReAct instructions
            return ChatMessage(
                role="assistant", content="Thought: I can answer without using any more tools.\nAnswer: sunny"
            )
        return ChatMessage(
            role="assistant",
            content='Thought: I need a tool.\nAction: get_weather\nAction Input: {"city": "Oslo"}',
        )

    candidates = {"small": MockFunctionCallingLLM(response_generator=react), "large": MockFunctionCallingLLM()}
    llm = RouterLLM(models=candidates, scorer=CallableScorer(lambda conv: 0.0))
    recorder = _Recorder()
    agent = ReActAgent(tools=[recorder.tool()], llm=llm)
    result = await agent.run(user_msg="Weather in Oslo?")
    assert recorder.calls == ["Oslo"]
    assert str(result.response.content) == "sunny"
    assert {d.model for d in events.decisions()} == {"small"}


async def test_agent_workflow_streams_routed_deltas(events):
    llm = RouterLLM(models={"small": MockFunctionCallingLLM(), "large": MockFunctionCallingLLM()})
    recorder = _Recorder()
    workflow = AgentWorkflow(agents=[FunctionAgent(name="weather", tools=[recorder.tool()], llm=llm)])
    handler = workflow.run(user_msg="weather?")
    deltas = [event.delta async for event in handler.stream_events() if isinstance(event, AgentStream)]
    result = await handler
    assert recorder.calls == ["Paris"]
    assert str(result.response.content) == "Tool calls complete."
    assert "".join(deltas).endswith("Tool calls complete.")
    assert [d.model for d in events.decisions()] == ["small", "small"]


class _Answer(BaseModel):
    city: str = "Paris"
    sunny: bool = True


def test_structured_predict_goes_through_function_calling():
    llm = RouterLLM(models={"small": MockFunctionCallingLLM(), "large": MockFunctionCallingLLM()})
    answer = llm.structured_predict(_Answer, PromptTemplate("Weather in {city}?"), city="Paris")
    assert answer == _Answer()


# -- tools by capability, not by class ------------------------------------------------------------------------------


class _ToolsWithoutSubclassing(CustomLLM):
    """Calls tools like an integration that does not subclass `FunctionCallingLLM`: it implements `chat_with_tools`
    and friends and reports ``is_function_calling_model=True``. It asks for the first tool (``city="Lima"``), then
    answers with the tool's output."""

    calls: list[str] = Field(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "ToolsWithoutSubclassing"

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(is_chat_model=True, is_function_calling_model=True, model_name="tools-by-capability")

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text=f"plain: {prompt}")

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        yield self.complete(prompt, formatted, **kwargs)

    def chat_with_tools(self, tools, user_msg=None, chat_history=None, **kwargs: Any) -> ChatResponse:
        self.calls.append("chat_with_tools")
        return self._answer(tools, [*(chat_history or []), *([user_msg] if user_msg else [])])

    async def achat_with_tools(self, tools, user_msg=None, chat_history=None, **kwargs: Any) -> ChatResponse:
        self.calls.append("achat_with_tools")
        return self._answer(tools, [*(chat_history or []), *([user_msg] if user_msg else [])])

    def stream_chat_with_tools(self, tools, user_msg=None, chat_history=None, **kwargs: Any) -> Any:
        self.calls.append("stream_chat_with_tools")
        yield self._answer(tools, [*(chat_history or []), *([user_msg] if user_msg else [])])

    async def astream_chat_with_tools(self, tools, user_msg=None, chat_history=None, **kwargs: Any) -> Any:
        self.calls.append("astream_chat_with_tools")
        answer = self._answer(tools, [*(chat_history or []), *([user_msg] if user_msg else [])])

        async def gen() -> Any:
            yield answer

        return gen()

    def get_tool_calls_from_response(self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any):
        self.calls.append("get_tool_calls_from_response")
        blocks = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
        return [ToolSelection(tool_id=b.tool_call_id, tool_name=b.tool_name, tool_kwargs=b.tool_kwargs) for b in blocks]

    @staticmethod
    def _answer(tools: Any, messages: list[Any]) -> ChatResponse:
        last = messages[-1]
        if not isinstance(last, str) and last.role == MessageRole.TOOL:
            content = f"done: {last.content}"
            return ChatResponse(message=ChatMessage(role="assistant", content=content), delta=content)
        call = ToolCallBlock(tool_call_id="call-1", tool_name=tools[0].metadata.name, tool_kwargs={"city": "Lima"})
        return ChatResponse(message=ChatMessage(role="assistant", blocks=[call]), delta="")


@pytest.mark.parametrize("streaming", [True, False])
async def test_a_tool_caller_that_is_not_a_function_calling_llm_works_behind_the_router(streaming, events):
    async def run(llm: Any) -> tuple[str, list[str]]:
        recorder = _Recorder()
        result = await FunctionAgent(tools=[recorder.tool()], llm=llm, streaming=streaming).run(user_msg="weather?")
        return str(result.response.content), recorder.calls

    candidate = _ToolsWithoutSubclassing()
    assert not isinstance(candidate, FunctionCallingLLM)
    alone = await run(candidate)
    alone_calls = list(candidate.calls)
    candidate.calls.clear()
    routed = await run(RouterLLM(models={"only": candidate}))
    assert routed == alone == ("done: sunny in Lima", ["Lima"])
    assert candidate.calls == alone_calls
    assert alone_calls[0] == ("astream_chat_with_tools" if streaming else "achat_with_tools")
    assert [d.model for d in events.decisions()] == ["only", "only"]


def test_tools_by_capability_next_to_a_function_calling_llm(events):
    duck = _ToolsWithoutSubclassing()
    llm = RouterLLM(
        models={"duck": duck, "mock": MockFunctionCallingLLM()},
        scorer=CallableScorer(lambda c: 0.9 * ("hard" in c[-1][1])),
    )
    assert llm.metadata.is_function_calling_model is True
    response = llm.chat_with_tools([_Recorder().tool()], user_msg="easy")
    assert response.additional_kwargs["langroute"]["model"] == "duck"
    assert [(s.tool_name, s.tool_kwargs) for s in llm.get_tool_calls_from_response(response)] == [
        ("get_weather", {"city": "Lima"})
    ]
    assert duck.calls == ["chat_with_tools", "get_tool_calls_from_response"]
    chunks = list(llm.stream_chat_with_tools([_Recorder().tool()], user_msg="easy"))
    assert _tool_names(chunks[-1]) == ["get_weather"]
    hard = llm.chat_with_tools([_Recorder().tool()], user_msg="hard")
    assert hard.additional_kwargs["langroute"]["model"] == "mock"


def test_a_candidate_that_cannot_call_tools_is_named_in_the_error():
    llm = RouterLLM(models={"plain": MockLLM()})
    with pytest.raises(NoCapableCandidateError, match=r"plain: no tool calling: the request binds tools"):
        llm.chat_with_tools([_Recorder().tool()], user_msg="hi")
    claims = RouterLLM(models=[Candidate("plain", MockLLM(), tools=True)])
    with pytest.raises(
        TypeError, match=r"candidate 'plain' \(MockLLM\) has no chat_with_tools\(\), so it cannot call tools"
    ):
        claims.chat_with_tools([_Recorder().tool()], user_msg="hi")
    foreign = ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content="hi"))
    with pytest.raises(TypeError, match="has no get_tool_calls_from_response"):
        llm.get_tool_calls_from_response(foreign)


def test_an_empty_untagged_response_has_no_tool_calls(pair):
    llm, _, _ = pair
    assert llm.get_tool_calls_from_response(ChatResponse(message=ChatMessage()), error_on_no_tool_call=False) == []
