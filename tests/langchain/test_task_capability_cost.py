"""RouterChatModel routes by task, capability and cost: Candidate lists, profiles, task ladders, money."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.tools import tool
from pydantic import BaseModel

from langroute import CallableClassifier, Candidate, NoCapableCandidateError, RouterChatModel
from langroute.callbacks import RoutingStats
from langroute.langchain.testing import DecisionRecorder, FakeToolChatModel

from .helpers import fixed, replies

IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}
USAGE = UsageMetadata(input_tokens=1_000, output_tokens=500, total_tokens=1_500)


@tool
def lookup(term: str) -> str:
    """Look a term up."""
    return term


class Verdict(BaseModel):
    """A yes/no verdict."""

    ok: bool


def _model(text: str, **fields: object) -> FakeToolChatModel:
    return FakeToolChatModel(messages=replies(AIMessage(text, usage_metadata=USAGE)), **fields)


def test_a_list_of_candidates_keeps_prices_and_models_stays_a_dict():
    small, large = _model("s"), _model("l")
    router = RouterChatModel(
        models=[
            Candidate("small", small, input_cost=0.15, output_cost=0.6),
            Candidate("large", large, input_cost=2.5, output_cost=10.0),
        ],
        scorer=fixed(0.0),
    )
    assert router.models == {"small": small, "large": large}
    assert [(c.name, c.input_cost, c.output_cost) for c in router.candidates] == [
        ("small", 0.15, 0.6),
        ("large", 2.5, 10.0),
    ]
    assert router.candidates[0].model is small


def test_unknown_capabilities_are_read_from_the_profile_and_explicit_ones_win():
    text_only = _model("t", profile={"image_inputs": False, "max_input_tokens": 4_000, "tool_calling": True})
    vision = _model("v", profile={"image_inputs": True, "structured_output": False})
    router = RouterChatModel(models=[Candidate("text", text_only), Candidate("vision", vision, structured_output=True)])
    text, seeing = router.candidates
    assert (text.vision, text.context_window, text.tools, text.structured_output) == (False, 4_000, True, None)
    assert (seeing.vision, seeing.structured_output) == (True, True)


def test_images_skip_a_text_only_model():
    models = {"text": _model("text answer", profile={"image_inputs": False}), "vision": _model("vision answer")}
    router = RouterChatModel(models=models, scorer=fixed(0.0))
    out = router.invoke([HumanMessage(["What is in this picture?", IMAGE])])
    assert out.content == "vision answer"
    assert out.response_metadata["langroute"]["excluded"] == {"text": "no vision: the request has images"}
    assert router.invoke("plain text").content == "text answer"
    with pytest.raises(NoCapableCandidateError, match="route='text' cannot serve this request: no vision"):
        router.invoke([HumanMessage(["and this one?", IMAGE])], route="text")


def test_tools_structured_output_and_long_prompts_skip_incapable_models():
    models = {
        "mini": _model('{"ok": true}', profile={"tool_calling": False, "structured_output": False}),
        "small": _model('{"ok": true}', profile={"max_input_tokens": 100}),
        "large": _model('{"ok": true}'),
    }
    router = RouterChatModel(models=models, scorer=fixed(0.0))
    tooled = router.bind_tools([lookup]).invoke("define CRDT")
    assert tooled.response_metadata["langroute"]["model"] == "small"
    assert tooled.response_metadata["langroute"]["excluded"]["mini"] == "no tool calling: the request binds tools"
    structured = router.with_structured_output(Verdict, include_raw=True).invoke("ok?")
    assert structured["raw"].response_metadata["langroute"]["model"] == "small"
    assert structured["raw"].response_metadata["langroute"]["excluded"] == {
        "mini": "no structured output: the request asks for it"
    }
    long = router.invoke("word " * 1_000)
    assert long.response_metadata["langroute"]["model"] == "mini"
    assert router.invoke("word " * 1_000, route="large").response_metadata["langroute"]["model"] == "large"
    with pytest.raises(NoCapableCandidateError, match="context window 100"):
        router.invoke("word " * 1_000, route="small")


def test_a_task_picks_its_ladder_and_is_never_forwarded():
    models = {"small": _model("small"), "coder": _model("coder"), "premium": _model("premium")}
    router = RouterChatModel(
        models=models, scorer=fixed(0.0), routes={"code": ["coder", "premium"], "legal": ["premium"]}
    )
    recorder = DecisionRecorder()
    legal = router.invoke("Is this clause enforceable?", task="legal", config={"callbacks": [recorder]})
    assert legal.content == "premium"
    decision = legal.response_metadata["langroute"]
    assert (decision["task"], decision["ladder"]) == ("legal", ["premium"])
    assert decision["reason"].startswith("task 'legal' (given)")
    assert recorder.decisions[-1]["task"] == "legal"
    assert router.bind(task="code").invoke("fix my loop").content == "coder"
    assert router.invoke("hi").content == "small"
    assert all("task" not in call for model in models.values() for call in model.calls)
    with pytest.raises(ValueError, match=r"task='tax' is unknown; choose one of \['code', 'legal'\]"):
        router.invoke("hi", task="tax")
    assert router.invoke("hi", task="legal", route="small").content == "small"  # route= wins over task=


def test_a_classifier_finds_the_task_and_per_ladder_thresholds_apply():
    models = {"small": _model("small"), "coder": _model("coder"), "large": _model("large")}
    code = CallableClassifier(lambda conversation: "code" if "def " in conversation.text else None)
    router = RouterChatModel(
        models=models,
        scorer=fixed(0.5),
        routes={"code": ["coder", "large"]},
        classifier=code,
        thresholds={"default": [0.6, 0.9], "code": [0.4]},
    )
    out = router.invoke("def f(): return 1  # why does this fail?")
    assert out.content == "large"  # 0.5 >= the code ladder's 0.4
    assert out.response_metadata["langroute"]["task"] == "code"
    assert out.response_metadata["langroute"]["thresholds"] == [0.4]
    assert router.invoke("hello").content == "small"  # 0.5 < the default ladder's 0.6


def test_cost_is_in_the_decision_of_invoke_and_of_a_summed_stream_and_in_the_stats():
    small = _model("small says hi")
    large = _model("large says hi")
    router = RouterChatModel(
        models=[
            Candidate("small", small, input_cost=1.0, output_cost=2.0),
            Candidate("large", large, input_cost=10.0, output_cost=20.0),
        ],
        scorer=fixed(0.0),
    )
    stats = RoutingStats()
    out = router.invoke("hi", config={"callbacks": [stats]})
    decision = out.response_metadata["langroute"]
    assert decision["cost_usd"] == pytest.approx(0.002)  # 1000 * 1.0 / 1M + 500 * 2.0 / 1M
    assert decision["baseline_cost_usd"] == pytest.approx(0.02)
    recorder = DecisionRecorder()
    chunks = list(router.stream("hi", config={"callbacks": [stats, recorder]}))
    assert chunks[0].response_metadata["langroute"]["cost_usd"] is None  # known only at the end
    summed = chunks[0]
    for chunk in chunks[1:]:
        summed += chunk
    assert summed.content == "small says hi"
    assert summed.response_metadata["langroute"]["cost_usd"] == pytest.approx(0.002)
    assert summed.response_metadata["langroute"]["model"] == "small"
    assert recorder.decisions[0]["cost_usd"] is None  # the event is sent before the call
    savings = stats.savings()
    assert savings["cost_usd"] == pytest.approx(0.004)
    assert savings["saved_usd"] == pytest.approx(0.036)
    assert savings["baseline_model"] == "large"
    assert "saved $0.0360 (90%, an estimate)" in str(stats)
    assert stats.summary()["small"]["cost_usd"] == pytest.approx(0.004)


def test_unpriced_or_usage_less_calls_have_no_cost():
    router = RouterChatModel(
        models=[Candidate("a", GenericFakeChatModel(messages=replies("x")), input_cost=1.0, output_cost=1.0)]
    )
    assert router.invoke("hi").response_metadata["langroute"]["cost_usd"] is None  # no usage reported
    assert [c.content for c in router.stream("hi")] == ["x"]  # no cost chunk either
