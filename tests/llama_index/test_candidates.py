"""`RouterLLM` with `Candidate`s: prices -> cost per call, capabilities (from metadata or given) -> exclusions,
strict configuration that takes effect when assigned, serialisation of the new fields."""

from __future__ import annotations

import json
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, LLMMetadata, TextBlock
from llama_index.core.llms import CustomLLM, MockLLM
from llama_index.core.llms.callbacks import llm_completion_callback
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel

from langroute import (
    CallableScorer,
    Candidate,
    ConfigError,
    FeedbackStore,
    NoCapableCandidateError,
    RuleClassifier,
)
from langroute.checks import empty_answer, refusal
from langroute.llama_index import RouterLLM
from tests.llama_index.conftest import scripted

HI = [ChatMessage(role="user", content="hi")]
EASY = CallableScorer(lambda conversation: 0.1)


class Windowed(CustomLLM):
    """An LLM whose metadata states its context window and that it cannot call tools."""

    window: int = 1000

    @classmethod
    def class_name(cls) -> str:
        return "Windowed"

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(context_window=self.window, is_function_calling_model=False)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
        from llama_index.core.base.llms.types import CompletionResponse

        return CompletionResponse(text=f"windowed: {len(prompt)} chars")

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> Any:
        raise NotImplementedError


def _decision(response: Any) -> dict[str, Any]:
    return response.additional_kwargs["langroute"]


# -- models=[Candidate, ...] and llm.candidates ------------------------------------------------------------------


def test_a_list_of_candidates_keeps_models_a_dict_and_fills_capabilities_from_metadata():
    small, large = Windowed(window=1000), scripted("large")
    llm = RouterLLM(models=[Candidate("small", small, input_cost=0.15, output_cost=0.6), Candidate("large", large)])
    assert llm.models == {"small": small, "large": large}
    first, second = llm.candidates
    assert isinstance(first, Candidate)
    assert (first.name, first.input_cost, first.context_window, first.tools) == ("small", 0.15, 1000, False)
    # MockFunctionCallingLLM reports LlamaIndex's default window (3900): unknown, so no limit is applied
    assert (second.context_window, second.tools) == (None, True)


def test_a_dict_of_models_gives_candidates_too_and_given_capabilities_win():
    llm = RouterLLM(models={"a": MockLLM(), "b": scripted("b")})
    assert [(c.name, c.tools, c.input_cost) for c in llm.candidates] == [("a", False, None), ("b", True, None)]
    forced = RouterLLM(models=[Candidate("a", MockLLM(), tools=True, context_window=50)])
    assert (forced.candidates[0].tools, forced.candidates[0].context_window) == (True, 50)


@pytest.mark.parametrize(
    ("models", "error", "text"),
    [
        ([Candidate("a", MockLLM()), Candidate("a", MockLLM())], ConfigError, "candidate name 'a' appears twice"),
        ([Candidate("a", "gpt-4o")], TypeError, "models['a'] is a str; expected a LlamaIndex LLM"),
        ([Candidate("a", MockLLM()), MockLLM()], TypeError, "models[1] is a MockLLM"),
        ({"a": Candidate("a", MockLLM())}, TypeError, "models['a'] is a Candidate"),
    ],
)
def test_bad_candidate_lists_name_the_field(models, error, text):
    with pytest.raises(error) as info:
        RouterLLM(models=models)
    assert text in str(info.value)


# -- cost ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["openai", "anthropic"])
def test_cost_from_prices_and_the_usage_the_candidate_reports(shape):
    small = scripted("small", usage=(1000, 200), shape=shape)
    llm = RouterLLM(
        models=[
            Candidate("small", small, input_cost=1.0, output_cost=2.0),
            Candidate("large", scripted("large"), input_cost=10.0, output_cost=20.0),
        ],
        scorer=EASY,
    )
    decision = _decision(llm.chat(HI))
    assert decision["model"] == "small"
    assert decision["cost_usd"] == pytest.approx((1000 * 1.0 + 200 * 2.0) / 1e6)
    assert decision["baseline_cost_usd"] == pytest.approx((1000 * 10.0 + 200 * 20.0) / 1e6)


def test_no_cost_without_prices_or_without_usage():
    unpriced = RouterLLM(models={"small": scripted("small", usage=(10, 5))}, scorer=EASY)
    assert _decision(unpriced.chat(HI))["cost_usd"] is None
    no_usage = RouterLLM(models=[Candidate("small", scripted("small"), input_cost=1, output_cost=1)], scorer=EASY)
    assert _decision(no_usage.chat(HI))["cost_usd"] is None


def test_a_stream_gets_its_cost_when_it_ends():
    llm = RouterLLM(
        models=[Candidate("small", scripted("small", usage=(100, 50)), input_cost=1.0, output_cost=1.0)],
        scorer=EASY,
    )
    stream = llm.stream_chat(HI)
    first = next(stream)
    assert _decision(first)["cost_usd"] is None  # not known yet
    chunks = [first, *stream]
    assert _decision(chunks[-1])["cost_usd"] == pytest.approx(150 / 1e6)  # every chunk shares the final decision
    assert _decision(chunks[0]) is _decision(chunks[-1])


async def test_async_calls_cost_too():
    llm = RouterLLM(
        models=[Candidate("small", scripted("small", usage=(100, 50)), input_cost=1.0, output_cost=1.0)],
        scorer=EASY,
    )
    assert _decision(await llm.achat(HI))["cost_usd"] == pytest.approx(150 / 1e6)
    chunks = [chunk async for chunk in await llm.astream_chat(HI)]
    assert _decision(chunks[-1])["cost_usd"] == pytest.approx(150 / 1e6)


# -- capabilities -------------------------------------------------------------------------------------------------


def test_images_skip_a_candidate_without_vision():
    llm = RouterLLM(
        models=[Candidate("text", scripted("text"), vision=False), Candidate("vision", scripted("vision"))],
        scorer=EASY,
    )
    image = ChatMessage(
        role="user", blocks=[TextBlock(text="what is this?"), ImageBlock(image=b"\x89PNG", image_mimetype="image/png")]
    )
    decision = _decision(llm.chat([image]))
    assert decision["model"] == "vision"
    assert decision["excluded"] == {"text": "no vision: the request has images"}
    assert _decision(llm.chat(HI))["model"] == "text"


def test_a_long_prompt_skips_a_small_context_window():
    llm = RouterLLM(models={"small": Windowed(window=100), "large": scripted("large")}, scorer=EASY)
    assert _decision(llm.complete("short"))["model"] == "small"
    decision = _decision(llm.complete("word " * 200))  # ~250 tokens by the estimate
    assert decision["model"] == "large"
    assert decision["excluded"] == {"small": "context window 100 < ~250 tokens"}


class City(BaseModel):
    name: str


def test_structured_output_skips_a_candidate_that_cannot_give_it():
    json_answer = scripted(
        "json", text='{"name": "Oslo"}', pydantic_program_mode="llm", is_chat_model=True
    )  # answers JSON text
    llm = RouterLLM(
        models=[Candidate("plain", scripted("plain"), structured_output=False), Candidate("json", json_answer)],
        scorer=EASY,
    )
    structured = llm.as_structured_llm(City)
    response = structured.chat(HI)
    assert _decision(response)["model"] == "json"
    assert _decision(response)["excluded"] == {"plain": "no structured output: the request asks for it"}
    assert llm.structured_predict(City, PromptTemplate("a city")) == City(name="Oslo")


def test_a_forced_route_to_an_incapable_candidate_raises():
    llm = RouterLLM(models={"small": Windowed(window=100), "large": scripted("large")}, scorer=EASY)
    with pytest.raises(NoCapableCandidateError, match=r"route='small' cannot serve this request: context window"):
        llm.complete("word " * 200, route="small")
    only = RouterLLM(models={"small": Windowed(window=100)})
    with pytest.raises(NoCapableCandidateError, match="no candidate of the candidates can serve this request"):
        only.complete("word " * 200)


# -- one strict rule for types; assignment takes effect or raises -------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("thresholds", [True], ConfigError),
        ("thresholds", ["0.5"], ConfigError),
        ("thresholds", {"default": [0.5], "legal": [0.5]}, ConfigError),  # no such ladder
        ("fallbacks", "no", TypeError),
        ("explore", 2, ConfigError),
        ("explore", True, ConfigError),
        ("sticky", "always", ConfigError),
        ("mode", "dry-run", ConfigError),
        ("shadow_model", "medium", ConfigError),
        ("timeout", -1, ConfigError),
        ("timeout", True, ConfigError),
        ("stream_timeout", 0, ConfigError),
        ("cooldown", "10", ConfigError),
        ("max_failures", 0, ConfigError),
        ("max_escalations", 1.5, ConfigError),
        ("routes", {"legal": ["nobody"]}, ConfigError),
        ("escalate", ["empty_answer"], TypeError),
        ("classifier", "legal", TypeError),
        ("feedback", "sqlite:///x.db", TypeError),
    ],
)
def test_bad_values_raise_at_construction_and_on_assignment(field, value, error):
    models = {"small": scripted("small"), "large": scripted("large")}
    with pytest.raises(error) as info:
        RouterLLM(models=models, **{field: value})
    assert field in str(info.value)
    llm = RouterLLM(models=models)
    before = (getattr(llm, field), llm.router)
    with pytest.raises(error):
        setattr(llm, field, value)
    assert (getattr(llm, field), llm.router) == before  # nothing changed


def test_assignments_take_effect():
    llm = RouterLLM(
        models={"small": scripted("small"), "large": scripted("large")}, scorer=CallableScorer(lambda c: 0.6)
    )
    assert _decision(llm.chat(HI))["model"] == "large"
    llm.thresholds = [0.9]
    assert _decision(llm.chat(HI))["model"] == "small"
    llm.routes = {"legal": ["large"]}
    assert _decision(llm.chat(HI, task="legal"))["model"] == "large"
    llm.mode = "shadow"
    assert _decision(llm.chat(HI))["would_route"] == "small"
    llm.mode = "route"
    llm.escalate = [empty_answer]
    assert llm.router.escalate == (empty_answer,)
    llm.explore = 0.25
    assert llm.router.explore == 0.25
    llm.timeout = 5
    assert llm.router.timeout_for("small") == 5.0


def test_assigning_models_respaces_default_thresholds_and_keeps_given_ones_honest():
    llm = RouterLLM(models={"a": scripted("a"), "b": scripted("b")})
    llm.models = {"a": scripted("a"), "b": scripted("b"), "c": scripted("c")}
    assert llm.thresholds == pytest.approx([1 / 3, 2 / 3])
    given = RouterLLM(models={"a": scripted("a"), "b": scripted("b")}, thresholds=[0.7])
    with pytest.raises(ConfigError, match="thresholds"):
        given.models = {"a": scripted("a"), "b": scripted("b"), "c": scripted("c")}
    assert list(given.models) == ["a", "b"]


def test_thresholds_per_ladder():
    llm = RouterLLM(
        models={"a": scripted("a"), "b": scripted("b"), "c": scripted("c")},
        routes={"code": ["b", "c"]},
        thresholds={"default": [0.2, 0.4], "code": [0.9]},
        scorer=CallableScorer(lambda c: 0.5),
    )
    assert llm.thresholds == {"default": [0.2, 0.4], "code": [0.9]}
    assert _decision(llm.chat(HI))["model"] == "c"
    decision = _decision(llm.chat(HI, task="code"))
    assert (decision["model"], decision["ladder"], decision["thresholds"]) == ("b", ["b", "c"], [0.9])


def test_new_fields_serialise_without_secrets(tmp_path):
    url = tmp_path / "feedback.db"
    llm = RouterLLM(
        models=[Candidate("small", scripted("small"), input_cost=1, output_cost=2), Candidate("large", MockLLM())],
        routes={"legal": ["large"]},
        classifier=RuleClassifier([(r"(?i)contract", "legal")]),
        escalate=[empty_answer, refusal],
        feedback=FeedbackStore(url),
        mode="shadow",
        timeout=10,
    )
    data = llm.to_dict()
    assert data["class_name"] == "RouterLLM"
    assert (data["escalate"], data["feedback"], data["classifier"]) == (
        ["empty_answer", "refusal"],
        "FeedbackStore",
        "RuleClassifier",
    )
    assert (data["routes"], data["mode"], data["timeout"], data["sticky"]) == (
        {"legal": ["large"]},
        "shadow",
        10.0,
        "tool_loop",
    )
    assert str(url) not in json.dumps(data)
    schema = RouterLLM.model_json_schema()["properties"]
    assert "task's own ladder" in schema["routes"]["description"]
    assert schema["escalate"]["type"] == "array"
