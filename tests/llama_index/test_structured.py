"""Structured output: route first, then the chosen candidate's own implementation, in predict calls and agents."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import Any

import pytest
from llama_index.core import Settings
from llama_index.core.agent.workflow import AgentWorkflow, FunctionAgent
from llama_index.core.base.llms.types import ChatMessage, CompletionResponse, LLMMetadata
from llama_index.core.bridge.pydantic import BaseModel, Field
from llama_index.core.llms import LLM, CustomLLM
from llama_index.core.llms.callbacks import llm_completion_callback
from llama_index.core.llms.mock import MockFunctionCallingLLM
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from llama_index.core.types import PydanticProgramMode

from langroute import AllCandidatesFailedError, CallableScorer, Score, Scorer
from langroute.conversation import Conversation
from langroute.llama_index import RoutedStructuredLLM, RouterLLM

from .conftest import RaisingLLM, RateLimitError


class Weather(BaseModel):
    """The weather in a city."""

    city: str = "Paris"
    sunny: bool = True


PROMPT = PromptTemplate("What is the weather like in {city}? This is a {level} question.")


class NativeStructured(MockFunctionCallingLLM):
    """A candidate with its own structured output (like a provider's JSON-schema mode), recording each call.

    Its answer differs from what LlamaIndex's generic program gets out of its tool calling (which fills the
    schema's defaults, city="Paris"), so a test sees whose implementation ran.
    """

    answer: dict[str, Any] = Field(default_factory=lambda: {"city": "Oslo", "sunny": False})
    calls: list[tuple[str, Any, Any]] = Field(default_factory=list)

    def _record(self, method: str, llm_kwargs: Any, prompt_args: dict[str, Any]) -> None:
        self.calls.append((method, llm_kwargs, prompt_args))

    def structured_predict(self, output_cls, prompt, llm_kwargs=None, **prompt_args):
        self._record("structured_predict", llm_kwargs, prompt_args)
        return output_cls.model_validate(self.answer)

    async def astructured_predict(self, output_cls, prompt, llm_kwargs=None, **prompt_args):
        self._record("astructured_predict", llm_kwargs, prompt_args)
        return output_cls.model_validate(self.answer)

    def stream_structured_predict(self, output_cls, prompt, llm_kwargs=None, **prompt_args) -> Generator[Any]:
        self._record("stream_structured_predict", llm_kwargs, prompt_args)
        yield output_cls.model_construct(city=self.answer["city"][:2])
        yield output_cls.model_validate(self.answer)

    async def astream_structured_predict(
        self, output_cls, prompt, llm_kwargs=None, **prompt_args
    ) -> AsyncGenerator[Any]:
        self._record("astream_structured_predict", llm_kwargs, prompt_args)

        async def gen() -> AsyncGenerator[Any]:
            yield output_cls.model_construct(city=self.answer["city"][:2])
            yield output_cls.model_validate(self.answer)

        return gen()


class JsonModeOnly(CustomLLM):
    """A candidate without tool calling whose only structured output is its own (its plain answers are prose)."""

    @classmethod
    def class_name(cls) -> str:
        return "JsonModeOnly"

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="json-mode-only")

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text="Sure! It is sunny in Lima today.")

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
        yield self.complete(prompt, formatted, **kwargs)

    def structured_predict(self, output_cls, prompt, llm_kwargs=None, **prompt_args):
        return output_cls(city="Lima", sunny=True)


def _level(conv: Any) -> float:
    return 0.9 if "hard" in conv[-1][1] else 0.1


@pytest.fixture
def pair() -> tuple[RouterLLM, NativeStructured, NativeStructured]:
    small = NativeStructured(answer={"city": "Oslo", "sunny": False})
    large = NativeStructured(answer={"city": "Lima", "sunny": True})
    return RouterLLM(models={"small": small, "large": large}, scorer=CallableScorer(_level)), small, large


# -- structured_predict and friends ---------------------------------------------------------------------------------


def test_structured_predict_routes_the_formatted_prompt_then_runs_the_candidates_own(pair, events):
    llm, small, large = pair
    answer = llm.structured_predict(Weather, PROMPT, city="Lima", level="hard")
    assert answer == Weather(city="Lima", sunny=True)
    assert answer == large.structured_predict(Weather, PROMPT, city="Lima", level="hard")  # as without the router
    assert large.calls[0] == ("structured_predict", None, {"city": "Lima", "level": "hard"})
    assert small.calls == []
    decision = events.decisions()[0]
    assert (decision.model, decision.score) == ("large", 0.9)


class _Seen(Scorer):
    """Records the conversations it rates."""

    def __init__(self) -> None:
        self.seen: list[Conversation] = []

    def rate(self, conversation: Conversation) -> Score:
        self.seen.append(conversation)
        return Score(0.1, "recorded")


def test_the_scorer_sees_the_formatted_prompt_and_that_structured_output_is_asked():
    scorer = _Seen()
    llm = RouterLLM(models={"only": NativeStructured()}, scorer=scorer)
    llm.structured_predict(Weather, PROMPT, city="Lima", level="hard")
    llm.as_structured_llm(Weather).chat([ChatMessage(role="user", content="hi")])
    llm.chat([ChatMessage(role="user", content="hi")])
    assert [c.pairs() for c in scorer.seen] == [
        [("user", "What is the weather like in Lima? This is a hard question.")],
        [("user", "hi")],
        [("user", "hi")],
    ]
    assert [c.structured_output for c in scorer.seen] == [True, True, False]


def test_route_comes_out_of_llm_kwargs_and_the_rest_is_forwarded(pair):
    llm, small, large = pair
    llm_kwargs = {"route": "small", "temperature": 0.0}
    assert llm.structured_predict(Weather, PROMPT, llm_kwargs=llm_kwargs, city="Oslo", level="hard").city == "Oslo"
    assert small.calls == [("structured_predict", {"temperature": 0.0}, {"city": "Oslo", "level": "hard"})]
    assert large.calls == []
    assert llm_kwargs == {"route": "small", "temperature": 0.0}  # the caller's dict is left alone


async def test_astructured_predict(pair):
    llm, small, _ = pair
    assert await llm.astructured_predict(Weather, PROMPT, city="Oslo", level="easy") == Weather(
        city="Oslo", sunny=False
    )
    assert [call[0] for call in small.calls] == ["astructured_predict"]


def test_stream_structured_predict_yields_the_candidates_partials(pair):
    llm, _, large = pair
    partials = list(llm.stream_structured_predict(Weather, PROMPT, city="Lima", level="hard"))
    assert [p.city for p in partials] == ["Li", "Lima"]
    assert [call[0] for call in large.calls] == ["stream_structured_predict"]


async def test_astream_structured_predict_yields_the_candidates_partials(pair):
    llm, small, _ = pair
    partials = [p async for p in await llm.astream_structured_predict(Weather, PROMPT, city="Oslo", level="easy")]
    assert [p.city for p in partials] == ["Os", "Oslo"]
    assert [call[0] for call in small.calls] == ["astream_structured_predict"]


def test_a_candidate_without_tool_calling_keeps_its_own_structured_output():
    candidate = JsonModeOnly()
    llm = RouterLLM(models={"only": candidate})
    assert llm.metadata.is_function_calling_model is False
    assert llm.structured_predict(Weather, PROMPT, city="Lima", level="easy") == Weather(city="Lima")
    assert candidate.structured_predict(Weather, PROMPT, city="Lima", level="easy") == Weather(city="Lima")


def test_structured_predict_falls_back_and_reports_each_decision(events):
    failing = RaisingLLM(error=RateLimitError("slow down", status_code=429))
    large = NativeStructured(answer={"city": "Lima"})
    llm = RouterLLM(models={"small": failing, "large": large}, scorer=CallableScorer(lambda conv: 0.0))
    assert llm.structured_predict(Weather, PROMPT, city="Lima", level="easy").city == "Lima"
    assert [(d.model, d.fallback_from) for d in events.decisions()] == [("small", None), ("large", "small")]
    partials = list(llm.stream_structured_predict(Weather, PROMPT, city="Lima", level="easy"))
    assert [p.city for p in partials] == ["Li", "Lima"]


def test_structured_predict_all_failing():
    small = RaisingLLM(error=RateLimitError("a", status_code=429))
    large = RaisingLLM(error=RateLimitError("b", status_code=429))
    llm = RouterLLM(models={"small": small, "large": large}, scorer=CallableScorer(lambda conv: 0.0))
    with pytest.raises(RateLimitError) as info:
        llm.structured_predict(Weather, PROMPT, city="Lima", level="easy")
    assert isinstance(info.value, AllCandidatesFailedError)
    assert list(info.value.errors) == ["small", "large"]


def test_the_routers_program_mode_reaches_the_candidates(clean_settings):
    def json_reply(messages: Any, **kwargs: Any) -> ChatMessage:
        return ChatMessage(role="assistant", content='{"city": "Rome", "sunny": false}')

    small, large = (MockFunctionCallingLLM(is_chat_model=True, response_generator=json_reply) for _ in range(2))
    llm = RouterLLM(models={"small": small, "large": large}, pydantic_program_mode="llm")
    assert small.pydantic_program_mode == large.pydantic_program_mode == PydanticProgramMode.LLM
    assert llm.structured_predict(Weather, PROMPT, city="Rome", level="easy") == Weather(city="Rome", sunny=False)

    Settings.llm = llm
    Settings.pydantic_program_mode = PydanticProgramMode.DEFAULT  # LlamaIndex sets it on Settings.llm
    assert small.pydantic_program_mode == large.pydantic_program_mode == PydanticProgramMode.DEFAULT
    untouched = MockFunctionCallingLLM(pydantic_program_mode=PydanticProgramMode.FUNCTION)
    RouterLLM(models={"only": untouched})  # not given: each candidate keeps its own
    assert untouched.pydantic_program_mode == PydanticProgramMode.FUNCTION


# -- as_structured_llm ----------------------------------------------------------------------------------------------


class _Options(NativeStructured):
    """Records the keyword arguments its ``as_structured_llm`` receives."""

    options: list[dict[str, Any]] = Field(default_factory=list)

    def as_structured_llm(self, output_cls: type[BaseModel], **kwargs: Any) -> LLM:
        self.options.append(kwargs)
        return super().as_structured_llm(output_cls, **kwargs)


def test_as_structured_llm_routes_each_call_to_the_candidates_own_structured_llm(events):
    small, large = _Options(answer={"city": "Oslo"}), _Options(answer={"city": "Lima"})
    llm = RouterLLM(models={"small": small, "large": large}, scorer=CallableScorer(_level))
    structured = llm.as_structured_llm(Weather, system_prompt="JSON only")
    response = structured.chat([ChatMessage(role="user", content="a hard one")])
    assert Weather.model_validate_json(response.message.content) == Weather(city="Lima")
    assert response.additional_kwargs["langroute"]["model"] == "large"
    assert large.options == [{"system_prompt": "JSON only"}]
    assert [call[0] for call in large.calls] == ["structured_predict"]
    easy = structured.chat([ChatMessage(role="user", content="easy")])
    assert Weather.model_validate_json(easy.message.content).city == "Oslo"
    assert [d.model for d in events.decisions()] == ["large", "small"]
    assert structured.metadata == llm.metadata
    assert isinstance(structured, RoutedStructuredLLM)
    assert structured.to_dict()["llm"]["class_name"] == "RouterLLM"


async def test_as_structured_llm_async_and_streams(pair):
    llm, small, _ = pair
    structured = llm.as_structured_llm(Weather)
    response = await structured.achat([ChatMessage(role="user", content="easy")], route="large")
    assert Weather.model_validate_json(response.message.content).city == "Lima"
    assert response.additional_kwargs["langroute"]["forced"] is True
    chunks = list(structured.stream_chat([ChatMessage(role="user", content="hard")]))
    assert [Weather.model_validate_json(c.message.content).city for c in chunks] == ["Li", "Lima"]
    assert {c.additional_kwargs["langroute"]["model"] for c in chunks} == {"large"}
    chunks = [c async for c in await structured.astream_chat([ChatMessage(role="user", content="easy")])]
    assert [Weather.model_validate_json(c.message.content).city for c in chunks] == ["Os", "Oslo"]
    assert [call[0] for call in small.calls] == ["astream_structured_predict"]
    assert Weather.model_validate_json(structured.complete("easy").text).city == "Oslo"


# -- agents ------------------------------------------------------------------------------------------------------


def _weather_tool(calls: list[str]) -> FunctionTool:
    def get_weather(city: str = "Paris") -> str:
        """Return the weather in `city`."""
        calls.append(city)
        return f"sunny in {city}"

    return FunctionTool.from_defaults(fn=get_weather)


async def _structured_response(llm: LLM) -> tuple[Any, list[str]]:
    calls: list[str] = []
    agent = FunctionAgent(tools=[_weather_tool(calls)], llm=llm, output_cls=Weather)
    result = await agent.run(user_msg="What is the weather?")
    return result.structured_response, calls


async def test_function_agent_output_cls_gets_the_candidates_structured_output(events):
    alone, alone_calls = await _structured_response(NativeStructured(answer={"city": "Lima", "sunny": False}))
    small, large = NativeStructured(), NativeStructured(answer={"city": "Lima", "sunny": False})
    routed, routed_calls = await _structured_response(
        RouterLLM(models={"small": small, "large": large}, scorer=CallableScorer(lambda conv: 0.8))
    )
    assert routed == alone == {"city": "Lima", "sunny": False}
    assert routed_calls == alone_calls == ["Paris"]
    assert [call[0] for call in large.calls] == ["astructured_predict"]
    assert small.calls == []
    assert [d.model for d in events.decisions()] == ["large", "large", "large"]  # tool call, answer, structured


async def test_agent_workflow_output_cls_gets_the_candidates_structured_output(events):
    candidate = NativeStructured(answer={"city": "Quito", "sunny": True})
    llm = RouterLLM(models={"only": candidate})
    calls: list[str] = []
    agent = FunctionAgent(name="weather", tools=[_weather_tool(calls)], llm=llm)
    workflow = AgentWorkflow(agents=[agent], output_cls=Weather)
    result = await workflow.run(user_msg="What is the weather?")
    assert result.structured_response == {"city": "Quito", "sunny": True}
    assert [call[0] for call in candidate.calls] == ["astructured_predict"]
    assert len(events.decisions()) == 3
