"""`RouterLLM`: construction, metadata, the eight chat/complete methods, forced routes, the decision dict."""

from __future__ import annotations

import pytest
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, LLMMetadata, MessageRole, TextBlock
from llama_index.core.llms import MockLLM
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.mock import (
    MockFunctionCallingLLM,
    MockLLMWithChatMemoryOfLastCall,
    MockLLMWithNonyieldingChatStream,
)

from langroute import CallableScorer, ConfigError, TransferScorer
from langroute.llama_index import RouterLLM
from langroute.llama_index.messages import chat_conversation

EASY = [ChatMessage(role="user", content="say hi")]
HARD_MSGS = [ChatMessage(role="system", content="Be brief."), ChatMessage(role="user", content="a hard one")]


@pytest.fixture
def llm(make_named, scorer) -> RouterLLM:
    return RouterLLM(models={"small": make_named("small"), "large": make_named("large")}, scorer=scorer)


def _decision(response) -> dict:
    return response.additional_kwargs["langroute"]


# -- construction ---------------------------------------------------------------------------------------------


def test_is_a_function_calling_llm_with_a_core_router(llm):
    assert isinstance(llm, FunctionCallingLLM)
    assert llm.router.policy.candidates == ("small", "large")
    assert llm.thresholds == [0.5]  # the thresholds in force
    assert llm.class_name() == "RouterLLM"


def test_default_scorer_is_the_pretrained_transfer_scorer():
    llm = RouterLLM(models={"only": MockLLM()})
    assert isinstance(llm.scorer, TransferScorer)
    assert llm.chat(EASY).additional_kwargs["langroute"]["scorer"] == "TransferScorer"


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"models": {}}, ConfigError, "models"),
        ({"models": ["a", "b"]}, TypeError, "models[0] is a str; a list of models must hold Candidate objects"),
        ({}, TypeError, "models=None"),
        ({"models": {"a": MockLLM(), "b": "gpt-4o"}}, TypeError, "models['b'] is a str"),
        ({"models": {"a": MockLLM(), "b": MockLLM()}, "thresholds": [0.2, 0.4]}, ConfigError, "thresholds"),
        (
            {"models": {"a": MockLLM(), "b": MockLLM(), "c": MockLLM()}, "thresholds": [0.7, 0.3]},
            ConfigError,
            "thresholds",
        ),
        ({"models": {"a": MockLLM(), "b": MockLLM()}, "thresholds": [1.5]}, ConfigError, "thresholds"),
        ({"models": {"a": MockLLM()}, "scorer": lambda conv: 0.3}, TypeError, "CallableScorer"),
    ],
)
def test_constructor_errors_name_the_field(kwargs, error, field):
    with pytest.raises(error) as info:
        RouterLLM(**kwargs)
    assert field in str(info.value)
    assert issubclass(error, (ValueError, TypeError))


def test_assigning_routing_fields_rebuilds_the_router_and_validates(llm):
    llm.thresholds = [0.95]
    assert llm.chat(HARD_MSGS).additional_kwargs["langroute"]["model"] == "small"
    with pytest.raises(ConfigError, match="thresholds"):
        llm.thresholds = [0.2, 0.3]
    assert llm.thresholds == [0.95]


# -- metadata -------------------------------------------------------------------------------------------------


class _Meta(MockLLM):
    meta: LLMMetadata = LLMMetadata()

    @property
    def metadata(self) -> LLMMetadata:
        return self.meta


def _with_meta(**fields) -> _Meta:
    llm = _Meta()
    llm.meta = LLMMetadata(**fields)
    return llm


def test_metadata_is_what_every_candidate_supports():
    small = _with_meta(context_window=8000, num_output=512, is_chat_model=True, is_function_calling_model=True)
    large = _with_meta(context_window=200_000, num_output=256, is_chat_model=True, is_function_calling_model=False)
    meta = RouterLLM(models={"small": small, "large": large}).metadata
    assert (meta.context_window, meta.num_output) == (8000, 256)
    assert meta.is_chat_model is True
    assert meta.is_function_calling_model is False
    assert meta.model_name == "router(small|large)"


def test_metadata_names_the_wrapped_model_when_all_candidates_share_it():
    assert RouterLLM(models={"only": _with_meta(model_name="gpt-x")}).metadata.model_name == "gpt-x"
    same = RouterLLM(models={"east": _with_meta(model_name="gpt-x"), "west": _with_meta(model_name="gpt-x")})
    assert same.metadata.model_name == "gpt-x"
    unnamed = RouterLLM(models={"a": MockLLM(), "b": MockLLM()})  # both report LlamaIndex's "unknown"
    assert unnamed.metadata.model_name == "router(a|b)"
    assert RouterLLM(models={"only": MockLLM()}).metadata.model_name == "router(only)"


def test_metadata_system_role_is_the_shared_one_else_system():
    developer = {"system_role": MessageRole.DEVELOPER}
    shared = RouterLLM(models={"a": _with_meta(**developer), "b": _with_meta(**developer)})
    assert shared.metadata.system_role == MessageRole.DEVELOPER
    mixed = RouterLLM(models={"a": _with_meta(**developer), "b": _with_meta()})
    assert mixed.metadata.system_role == MessageRole.SYSTEM


def test_metadata_function_calling_when_all_candidates_are(llm):
    assert llm.metadata.is_function_calling_model is True
    assert llm.metadata.is_chat_model is False


# -- routing and the eight methods ----------------------------------------------------------------------------


def test_routes_by_score(llm):
    easy, hard = llm.chat(EASY), llm.chat(HARD_MSGS)
    assert easy.message.content == "small: say hi"
    assert hard.message.content == "large: a hard one"
    decision = _decision(easy)
    assert len(decision.pop("id")) == 32
    assert decision | {"reason": ""} == {
        "model": "small",
        "score": 0.1,
        "scorer": "RuleScorer",
        "reason": "",
        "candidates": ["small", "large"],
        "ladder": ["small", "large"],
        "thresholds": [0.5],
        "task": None,
        "excluded": {},
        "fallback_from": None,
        "forced": False,
        "sticky": False,
        "explored": False,
        "propensity": 1.0,
        "escalated_from": None,
        "escalation": None,
        "shadow": False,
        "would_route": None,
        "cost_usd": None,
        "baseline_cost_usd": None,
        "would_cost_usd": None,
        "inner": None,
    }
    assert _decision(hard)["model"] == "large"


def test_decision_never_goes_into_the_message(llm):
    response = llm.chat(HARD_MSGS)
    assert "langroute" not in response.message.additional_kwargs
    for chunk in llm.stream_chat(HARD_MSGS):
        assert "langroute" not in chunk.message.additional_kwargs


def test_complete_routes_the_prompt(llm):
    assert _decision(llm.complete("hi"))["model"] == "small"
    assert _decision(llm.complete("a hard prompt"))["model"] == "large"


async def test_async_methods(llm):
    assert (await llm.achat(HARD_MSGS)).message.content == "large: a hard one"
    assert _decision(await llm.acomplete("hard"))["model"] == "large"
    assert _decision(await llm.acomplete("easy"))["model"] == "small"


def _incremental() -> RouterLLM:
    # MockLLM(max_tokens=n) streams n chunks: 'text ', 'text ', ..., 'text'
    return RouterLLM(
        models={"small": MockLLM(max_tokens=2), "large": MockLLM(max_tokens=4)},
        scorer=CallableScorer(lambda conv: 0.9 if "hard" in conv[-1][1] else 0.1),
    )


def test_stream_complete_is_the_candidates_incremental_stream():
    chunks = list(_incremental().stream_complete("a hard question"))
    assert [c.delta for c in chunks] == ["text ", "text ", "text ", "text"]
    assert all(c.additional_kwargs["langroute"]["model"] == "large" for c in chunks)


def test_stream_chat_every_chunk_carries_the_decision():
    chunks = list(_incremental().stream_chat(EASY))
    assert [c.delta for c in chunks] == ["text ", "text"]
    assert [c.additional_kwargs["langroute"]["model"] for c in chunks] == ["small", "small"]


async def test_astream_chat_and_astream_complete():
    llm = _incremental()
    chat = [c async for c in await llm.astream_chat([ChatMessage(role="user", content="hard")])]
    done = [c async for c in await llm.astream_complete("easy")]
    assert len(chat) == 4
    assert {c.additional_kwargs["langroute"]["model"] for c in chat} == {"large"}
    assert [c.delta for c in done] == ["text ", "text"]
    assert {c.additional_kwargs["langroute"]["model"] for c in done} == {"small"}


def test_empty_candidate_stream_yields_nothing():
    llm = RouterLLM(models={"small": MockLLMWithNonyieldingChatStream()})
    assert list(llm.stream_chat(EASY)) == []


def test_calls_the_candidates_own_methods():
    small = MockLLMWithChatMemoryOfLastCall()
    llm = RouterLLM(models={"small": small, "large": MockLLM()}, scorer=CallableScorer(lambda c: 0.0))
    llm.chat(EASY)
    list(llm.stream_chat(EASY))
    assert small.last_called_chat_function == ["chat", "stream_chat"]
    assert small.last_chat_messages == EASY


# -- forced routes ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda llm: llm.chat(EASY, route="large"),
        lambda llm: llm.complete("hi", route="large"),
        lambda llm: list(llm.stream_chat(EASY, route="large"))[-1],
        lambda llm: list(llm.stream_complete("hi", route="large"))[-1],
    ],
)
def test_forced_route(llm, call):
    decision = _decision(call(llm))
    assert (decision["model"], decision["forced"], decision["score"]) == ("large", True, None)


async def test_forced_route_async(llm):
    assert _decision(await llm.achat(EASY, route="large"))["forced"] is True
    assert _decision(await llm.acomplete("hi", route="large"))["model"] == "large"
    chunks = [c async for c in await llm.astream_chat(EASY, route="large")]
    assert chunks[-1].additional_kwargs["langroute"]["forced"] is True
    chunks = [c async for c in await llm.astream_complete("x", route="large")]
    assert chunks[-1].additional_kwargs["langroute"]["model"] == "large"


def test_route_is_not_forwarded_to_the_candidate_but_other_kwargs_are():
    seen: list[dict] = []

    def reply(messages, **kwargs):
        seen.append(kwargs)
        return ChatMessage(role="assistant", content="ok")

    llm = RouterLLM(models={"small": MockFunctionCallingLLM(response_generator=reply)})
    llm.chat(EASY, route="small", temperature=0.1)
    list(llm.stream_chat(EASY, route="small", temperature=0.2))
    assert seen == [{"temperature": 0.1}, {"temperature": 0.2}]


def test_unknown_route_is_a_value_error_listing_the_candidates(llm):
    with pytest.raises(ValueError, match=r"route='medium' is not a candidate; choose one of \['small', 'large'\]"):
        llm.chat(EASY, route="medium")
    with pytest.raises(ValueError, match="route='medium'"):
        llm.stream_complete("hi", route="medium")


async def test_unknown_route_async(llm):
    with pytest.raises(ValueError, match="route='x'"):
        await llm.astream_chat(EASY, route="x")


# -- message conversion -----------------------------------------------------------------------------------------


def test_chat_conversation_reads_roles_text_and_counts_images():
    messages = [
        ChatMessage(role="system", content="rules"),
        ChatMessage(
            role="user",
            blocks=[TextBlock(text="what is this?"), ImageBlock(image=b"\x89PNG", image_mimetype="image/png")],
        ),
        ChatMessage(role="assistant", content="a cat"),
        ChatMessage(role="tool", content="42"),
    ]
    conv = chat_conversation(messages, has_tools=True)
    assert conv.pairs() == [("system", "rules"), ("user", "what is this?"), ("assistant", "a cat"), ("tool", "42")]
    assert (conv.non_text_parts, conv.has_images, conv.has_tools) == (1, True, True)


def test_assigned_fields_are_stored_as_in_force(llm):
    llm.thresholds = None
    assert llm.thresholds == [0.5]
    llm.scorer = None
    assert isinstance(llm.scorer, TransferScorer)
    assert llm.router.scorer is llm.scorer


def test_serialises_with_the_scorer_by_name(llm):
    assert llm.to_dict()["scorer"] == "RuleScorer"
    assert llm.to_dict()["class_name"] == "RouterLLM"
    assert llm.to_dict()["fallback_on"] is None
    schema = RouterLLM.model_json_schema()["properties"]
    assert schema["scorer"]["type"] == "string"
    assert "Which errors fall back" in schema["fallback_on"]["description"]
    assert "Ascending cut-offs" in schema["thresholds"]["description"]


def test_a_fallback_on_function_serialises_by_name():
    def not_transient(error: BaseException) -> bool:
        return not isinstance(error, TimeoutError)

    llm = RouterLLM(models={"a": MockLLM()}, fallback_on=not_transient)
    assert llm.fallback_on is llm.router.fallback_on is not_transient
    assert llm.to_dict()["fallback_on"].endswith("not_transient")
