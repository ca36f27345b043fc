"""RouterChatModel with real LangChain fakes: routing, delegation, runs, events, metadata, errors."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.messages.ai import UsageMetadata

from langroute import HeuristicScorer, RouterChatModel
from langroute.langchain.testing import DecisionRecorder, FakeToolChatModel

from .helpers import RunLog, fixed, replies, router_for, two_models


def test_routes_by_score_and_reports_the_decision():
    router = RouterChatModel(models=two_models(), scorer=HeuristicScorer())
    easy = router.invoke("hi")
    assert easy.content == "small says hi"
    decision = easy.response_metadata["langroute"]
    assert decision["model"] == "small"
    assert decision["scorer"] == "HeuristicScorer"
    assert decision["candidates"] == ["small", "large"]
    assert decision["thresholds"] == [0.5]
    assert decision["forced"] is False
    assert decision["fallback_from"] is None
    assert 0 <= decision["score"] < 0.5
    assert isinstance(decision["reason"], str)
    assert decision["reason"]
    hard = router.invoke(
        "Design a distributed rate limiter step by step: explain the trade-offs, implement it in Python with "
        "```code```, derive the error bound as an equation, prove it, and analyze the complexity. It must scale."
    )
    assert hard.content == "large says hi"
    assert hard.response_metadata["langroute"]["model"] == "large"


def test_three_candidates_use_evenly_spaced_thresholds():
    models = {name: GenericFakeChatModel(messages=replies(name)) for name in ("s", "m", "l")}
    assert [router_for(score, **models).invoke("x").content for score in (0.2, 0.5, 0.9)] == ["s", "m", "l"]
    assert router_for(0.2, **models).invoke("x").response_metadata["langroute"]["thresholds"] == pytest.approx(
        [1 / 3, 2 / 3]
    )


def test_message_id_and_usage_metadata_pass_through_unchanged():
    usage = UsageMetadata(input_tokens=7, output_tokens=3, total_tokens=10)
    small = GenericFakeChatModel(messages=replies(AIMessage("ok", id="cand-1", usage_metadata=usage)))
    out = router_for(0.0, small=small).invoke("hi")
    assert out.id == "cand-1"
    assert out.usage_metadata == usage


def test_candidate_run_is_a_child_of_the_router_run_with_inherited_tags_and_metadata():
    log = RunLog()
    router = router_for(0.0, **two_models())
    router.invoke("hi", config={"callbacks": [log], "tags": ["team-a"], "metadata": {"tenant": "acme"}})
    router_run, child_run = log.starts
    assert router_run["parent"] is None
    assert child_run["parent"] == router_run["run_id"]
    assert "team-a" in child_run["tags"]
    assert child_run["metadata"]["tenant"] == "acme"
    assert router_run["metadata"]["ls_provider"] == "langroute"
    name, data, run_id = log.events[0]
    assert (name, data["model"], run_id) == ("langroute_decision", "small", router_run["run_id"])


def test_decision_event_fires_before_the_first_token_and_tokens_arrive_once():
    log = RunLog()
    router = router_for(0.0, small=FakeToolChatModel(messages=replies("one two three")))
    chunks = list(router.stream("hi", config={"callbacks": [log]}))
    assert "".join(str(c.content) for c in chunks) == "one two three"
    router_run, child_run = log.starts
    assert child_run["parent"] == router_run["run_id"]
    assert [t for t, _ in log.tokens if t] == ["one", " ", "two", " ", "three"]
    assert {run for _, run in log.tokens} == {child_run["run_id"]}  # only the candidate emits tokens
    assert len(log.events) == 1
    assert set(log.ends) == {router_run["run_id"], child_run["run_id"]}


def test_stream_is_the_candidates_incremental_stream_with_the_decision_once():
    router = router_for(0.9, **two_models(large_reply="a b c d"))
    chunks = list(router.stream("hi"))
    assert [c.content for c in chunks if c.content] == ["a", " ", "b", " ", "c", " ", "d"]
    assert sum("langroute" in c.response_metadata for c in chunks) == 1
    total = chunks[0]
    for chunk in chunks[1:]:
        total += chunk
    assert total.content == "a b c d"
    assert total.response_metadata["langroute"]["model"] == "large"
    assert total.id == "large-id"


async def test_ainvoke_astream_and_abatch():
    router = router_for(0.9, **two_models())
    assert (await router.ainvoke("hi")).response_metadata["langroute"]["model"] == "large"
    chunks = [c async for c in router.astream("hi")]
    assert "".join(str(c.content) for c in chunks) == "large says hi"
    assert sum("langroute" in c.response_metadata for c in chunks) == 1
    outs = await router.abatch(["a", "b", "c"])
    assert [o.response_metadata["langroute"]["model"] for o in outs] == ["large"] * 3


def test_batch_routes_each_input():
    models = two_models()
    router = RouterChatModel(models=models, scorer=fixed(0.0))
    outs = router.batch(["a", "b"])
    assert [o.content for o in outs] == ["small says hi", "small says hi"]


async def test_astream_events_show_the_decision_before_tokens_and_each_token_once():
    router = router_for(0.0, small=FakeToolChatModel(messages=replies("x y")))
    events = [e async for e in router.astream_events([HumanMessage("hi")], version="v2")]
    kinds = [e["event"] for e in events]
    decision_at = kinds.index("on_custom_event")
    assert events[decision_at]["name"] == "langroute_decision"
    assert events[decision_at]["data"]["model"] == "small"
    stream_events = [e for e in events if e["event"] == "on_chat_model_stream"]
    assert decision_at < kinds.index("on_chat_model_stream")
    assert "".join(str(e["data"]["chunk"].content) for e in stream_events) == "x y"
    router_start = next(e for e in events if e["event"] == "on_chat_model_start" and e["name"] == "RouterChatModel")
    assert events[decision_at]["run_id"] == router_start["run_id"]


async def test_astream_events_on_invoke_path_inside_a_chain():
    from langchain_core.prompts import ChatPromptTemplate

    chain = ChatPromptTemplate.from_messages([("user", "{q}")]) | router_for(0.0, **two_models())
    events = [e async for e in chain.astream_events({"q": "hi"}, version="v2")]
    streamed = "".join(str(e["data"]["chunk"].content) for e in events if e["event"] == "on_chat_model_stream")
    assert streamed == "small says hi"
    assert [e["data"]["model"] for e in events if e["event"] == "on_custom_event"] == ["small"]


def test_forced_route_via_kwarg_and_bind_never_reaches_the_candidate():
    models = two_models()
    router = router_for(0.0, **models)
    out = router.invoke("hi", route="large")
    assert out.content == "large says hi"
    decision = out.response_metadata["langroute"]
    assert decision["forced"] is True
    assert decision["score"] is None
    assert router.bind(route="large").invoke("hi").response_metadata["langroute"]["model"] == "large"
    assert next(iter(router.bind(route="large").stream("hi"))).response_metadata["langroute"]["forced"] is True
    assert all("route" not in call for call in models["large"].calls)


def test_unknown_route_lists_the_valid_names():
    router = router_for(0.0, **two_models())
    with pytest.raises(ValueError, match=r"route='huge' is not a candidate; choose one of \['small', 'large'\]"):
        router.invoke("hi", route="huge")
    with pytest.raises(ValueError, match="route='huge'"):
        router.bind_tools([], route="huge")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"models": {}}, ValueError, "models is empty"),
        ({"models": {"a": "gpt"}}, TypeError, r"models\['a'\] is a str"),
        ({"models": ["a"]}, TypeError, r"models\[0\] is a str; a list of models must hold Candidate objects"),
        ({"models": "gpt"}, TypeError, "expected a dict of name -> a LangChain chat model"),
        ({"thresholds": [0.2, 0.4]}, ValueError, r"thresholds=\[0.2, 0.4\]: need 1 ascending"),
        ({"thresholds": [1.2]}, ValueError, r"not a number in \[0, 1\]"),
        ({"scorer": lambda conv: 0.5}, TypeError, "CallableScorer"),
    ],
)
def test_constructor_errors_name_the_field(kwargs, error, match):
    params = {"models": two_models(), **kwargs}
    with pytest.raises(error, match=match):
        RouterChatModel(**params)


def test_standard_params_are_forwarded_to_the_candidate():
    models = two_models()
    router = RouterChatModel(models=models, scorer=fixed(0.0), temperature=0.2, max_tokens=64, stop=["END"])
    router.invoke("hi")
    assert models["small"].calls[-1] == {"stop": ["END"], "temperature": 0.2, "max_tokens": 64}
    router.invoke("hi", stop=["X"], max_tokens=5)
    assert models["small"].calls[-1] == {"stop": ["X"], "temperature": 0.2, "max_tokens": 5}


def test_ls_params_name_the_candidates_shared_provider_and_the_default_or_forced_candidate():
    router = RouterChatModel(models=two_models(), max_tokens=10, stop=["s"], temperature=0.5)
    params = router._get_ls_params()
    assert params == {
        "ls_provider": "faketoolchatmodel",  # both candidates report it: middleware sees the provider
        "ls_model_name": "small",
        "ls_model_type": "chat",
        "ls_temperature": 0.5,
        "ls_max_tokens": 10,
        "ls_stop": ["s"],
    }
    assert router._get_ls_params(route="large")["ls_model_name"] == "large"
    mixed = RouterChatModel(models={**two_models(), "other": GenericFakeChatModel(messages=replies("x"))})
    assert mixed._get_ls_params()["ls_provider"] == "langroute"  # no single provider to name
    assert router._llm_type == "langroute-router"
    assert router._identifying_params == {
        "candidates": ["small", "large"],
        "scorer": "TransferScorer",  # the default
        "thresholds": [0.5],
    }


def test_disable_streaming_yields_one_message():
    router = RouterChatModel(models=two_models(), scorer=fixed(0.0), disable_streaming=True)
    chunks = list(router.stream("hi"))
    assert len(chunks) == 1
    assert chunks[0].content == "small says hi"
    assert chunks[0].response_metadata["langroute"]["model"] == "small"


def test_decide_previews_without_calling_a_model():
    models = two_models()
    router = RouterChatModel(models=models, scorer=fixed(0.7))
    assert router.decide([SystemMessage("s"), HumanMessage("hi")]).model == "large"
    assert models["large"].calls == []


def test_decision_recorder_collects_every_decision():
    recorder = DecisionRecorder()
    router = router_for(0.9, **two_models())
    router.invoke("hi", config={"callbacks": [recorder]})
    list(router.stream("hi", config={"callbacks": [recorder]}))
    assert [d["model"] for d in recorder.decisions] == ["large", "large"]


def test_handlers_given_to_the_router_itself_see_decisions_and_answers():
    recorder = DecisionRecorder()
    log = RunLog()
    router = RouterChatModel(models=two_models(), scorer=fixed(0.0), callbacks=[recorder, log])
    router.invoke("hi")
    list(router.stream("hi"))
    assert [d["model"] for d in recorder.decisions] == ["small", "small"]
    assert len(log.ends) == 2  # local handlers see the router's runs only, not the candidates'


def test_profile_is_what_every_candidate_supports():
    small = FakeToolChatModel(
        messages=replies("s"), profile={"max_input_tokens": 16_000, "tool_calling": True, "image_inputs": False}
    )
    large = FakeToolChatModel(
        messages=replies("l"), profile={"max_input_tokens": 200_000, "tool_calling": True, "image_inputs": True}
    )
    assert RouterChatModel(models={"small": small, "large": large}).profile == {
        "max_input_tokens": 16_000,
        "tool_calling": True,
        "image_inputs": False,
    }
    unknown = FakeToolChatModel(messages=replies("u"))
    assert RouterChatModel(models={"small": small, "other": unknown}).profile is None


def test_stream_from_a_candidate_that_cannot_stream_yields_its_whole_message():
    from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel

    log = RunLog()
    large = FakeMessagesListChatModel(responses=[AIMessage("whole answer", id="w1")])
    router = router_for(0.9, small=GenericFakeChatModel(messages=replies("s")), large=large)
    chunks = list(router.stream("hi", config={"callbacks": [log]}))
    assert [c.content for c in chunks] == ["whole answer"]
    assert chunks[0].response_metadata["langroute"]["model"] == "large"
    assert len(log.ends) == 2  # the router's run ended cleanly with the whole message


def test_router_run_metadata_names_the_chosen_model():
    log = RunLog()
    router = router_for(0.9, **two_models())
    router.invoke("hi", config={"callbacks": [log]})
    list(router.stream("hi", config={"callbacks": [log]}))
    router_runs = [start for start in log.starts if start["parent"] is None]
    assert [run["metadata"]["ls_model_name"] for run in router_runs] == ["large", "large"]
    assert all(run["metadata"]["ls_provider"] == "langroute" for run in router_runs)


def test_rate_limiter_on_the_router_is_honoured():
    from langchain_core.rate_limiters import BaseRateLimiter

    class CountingLimiter(BaseRateLimiter):
        def __init__(self) -> None:
            self.acquired = 0

        def acquire(self, *, blocking: bool = True) -> bool:
            self.acquired += 1
            return True

        async def aacquire(self, *, blocking: bool = True) -> bool:
            self.acquired += 1
            return True

    limiter = CountingLimiter()
    router = RouterChatModel(models=two_models(), scorer=fixed(0.0), rate_limiter=limiter)
    router.invoke("hi")
    list(router.stream("hi"))
    assert limiter.acquired == 2


async def test_legacy_generate_path_routes_too():
    router = router_for(0.9, **two_models())
    result = router.generate([[HumanMessage("hi")]])
    assert result.generations[0][0].message.response_metadata["langroute"]["model"] == "large"
    aresult = await router.agenerate([[HumanMessage("hi")]])
    assert aresult.generations[0][0].message.content == "large says hi"


def test_model_copy_with_new_thresholds_routes_by_them():
    router = RouterChatModel(models=two_models(), scorer=fixed(0.6))
    assert router.invoke("hi").response_metadata["langroute"]["model"] == "large"
    stricter = router.model_copy(update={"thresholds": [0.8]})
    assert stricter.invoke("hi").response_metadata["langroute"]["model"] == "small"
    assert router.router.policy.thresholds == (0.5,)
    with pytest.raises(ValueError, match="thresholds"):
        router.model_copy(update={"thresholds": [0.2, 0.4]})
