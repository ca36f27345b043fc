"""The routing pipeline of the core: task routes, capabilities, sticky, exploration, shadow, breakers."""

from __future__ import annotations

import collections

import pytest

from langroute import (
    CallableClassifier,
    CallableScorer,
    Candidate,
    ConfigError,
    NoCapableCandidateError,
    Router,
    RoutingPolicy,
    Score,
    as_conversation,
)
from langroute.router import CircuitBreakers


def fixed(value: float) -> CallableScorer:
    return CallableScorer(lambda conv: value, label="fixed")


THREE = ["small", "code", "large"]


# -- routes and thresholds ------------------------------------------------------------------------------------


def test_task_picks_its_ladder_and_thresholds():
    policy = RoutingPolicy(THREE, {"default": [0.2, 0.9], "code": [0.7]}, routes={"code": ["code", "large"]})
    assert policy.decide(Score(0.5), scorer="X").model == "code"
    on_code = policy.decide(Score(0.5), scorer="X", task="code")
    assert (on_code.model, on_code.task, on_code.ladder, on_code.thresholds) == (
        "code",
        "code",
        ("code", "large"),
        (0.7,),
    )
    assert policy.decide(Score(0.8), scorer="X", task="code").model == "large"
    other = policy.decide(Score(0.5), scorer="X", task="chitchat")  # no route: every candidate
    assert (other.ladder, other.task) == (tuple(THREE), "chitchat")


def test_missing_ladder_thresholds_are_evenly_spaced():
    policy = RoutingPolicy(THREE, {"code": [0.3]}, routes={"code": ["code", "large"], "legal": ["large"]})
    assert policy.thresholds == pytest.approx((1 / 3, 2 / 3))
    assert policy.ladder("legal").thresholds == ()


@pytest.mark.parametrize(
    ("routes", "thresholds", "match"),
    [
        ({"code": ["gpt"]}, None, r"routes\['code'\] names 'gpt', which is not a candidate"),
        ({"code": []}, None, r"routes\['code'\] is empty"),
        ({"code": ["large", "code"]}, None, r"list the candidates cheapest first"),
        ({"code": "code"}, None, r"routes\['code'\]='code': expected a list"),
        ({"default": ["code"]}, None, r"task name 'default'"),
        ({"code": ["code", "large"]}, {"code": [0.2, 0.4]}, r"thresholds\['code'\]=\[0.2, 0.4\]: need 1"),
        ({"code": ["code", "large"]}, {"legal": [0.2]}, r"thresholds\['legal'\]: no such ladder"),
    ],
)
def test_bad_routes_fail_at_construction_naming_them(routes, thresholds, match):
    with pytest.raises(ConfigError, match=match):
        RoutingPolicy(THREE, thresholds, routes=routes)


def test_router_task_given_wins_and_unknown_task_lists_the_tasks():
    classifier = CallableClassifier(lambda conv: "code", tasks={"code", "legal"})
    router = Router(
        THREE, scorer=fixed(0.1), routes={"code": ["code", "large"], "legal": ["large"]}, classifier=classifier
    )
    by_classifier = router.decide("write a parser")
    assert (by_classifier.task, by_classifier.model) == ("code", "code")
    assert by_classifier.reason.startswith("task 'code' (CallableClassifier: <lambda> returned 'code'); ")
    given = router.decide("x", task="legal")
    assert (given.task, given.model) == ("legal", "large")
    assert given.reason.startswith("task 'legal' (given); ")
    with pytest.raises(ConfigError, match=r"task='tax' is unknown; choose one of \['code', 'legal'\]"):
        router.decide("x", task="tax")
    assert router.decide("x", route="small", task="legal").model == "small"  # route wins over task


# -- capabilities ---------------------------------------------------------------------------------------------


def _caps() -> list[Candidate]:
    return [
        Candidate("small", 1, vision=False, context_window=1000),
        Candidate("medium", 2, tools=False),
        Candidate("large", 3),
    ]


def test_capable_candidate_at_or_above_the_tier_else_strongest_below():
    router = Router(_caps(), scorer=fixed(0.0))
    image = as_conversation([("user", [{"type": "text", "text": "what is this?"}, {"type": "image_url"}])])
    decision = router.decide(image)
    assert decision.model == "medium"
    assert decision.excluded == {"small": "no vision: the request has images"}
    long = router.decide("word " * 2000)
    assert long.model == "medium"
    assert "context window 1000" in long.excluded["small"]
    tools_and_long = router.decide(as_conversation("word " * 2000, has_tools=True))
    assert tools_and_long.model == "large"
    below = Router([Candidate("a", 1), Candidate("b", 2, tools=False)], scorer=fixed(0.9))
    assert below.decide(as_conversation("x", has_tools=True)).model == "a"


def test_no_capable_candidate_names_what_is_missing():
    router = Router([Candidate("a", 1, vision=False), Candidate("b", 2, vision=False)])
    image = as_conversation([("user", [{"type": "image"}])])
    with pytest.raises(NoCapableCandidateError, match=r"a: no vision.*b: no vision") as info:
        router.decide(image)
    assert isinstance(info.value, ValueError)
    with pytest.raises(NoCapableCandidateError, match="route='a' cannot serve this request: no vision"):
        router.decide(image, route="a")


def test_fallback_skips_excluded_candidates():
    router = Router(_caps(), scorer=fixed(0.0))
    image = as_conversation([("user", [{"type": "image"}])])
    attempts = router.attempts(router.decide(image))
    assert next(attempts).model == "medium"
    attempts.failed(ConnectionError("down"))
    assert next(attempts).model == "large"
    attempts.failed(ConnectionError("down too"))
    with pytest.raises(ConnectionError) as info:  # small cannot see images: never tried
        next(attempts)
    assert list(info.value.errors) == ["medium", "large"]


# -- sticky -----------------------------------------------------------------------------------------------------


def test_tool_loop_stays_on_the_model_that_issued_the_call():
    router = Router(THREE, scorer=fixed(0.0))
    loop = as_conversation([("user", "hi"), ("assistant", ""), ("tool", "42")], tool_loop_model="large")
    decision = router.decide(loop)
    assert (decision.model, decision.sticky, decision.score) == ("large", True, None)
    assert decision.reason.startswith("sticky: tool loop: large issued the tool calls")
    assert Router(THREE, scorer=fixed(0.0), sticky=None).decide(loop).model == "small"


def test_sticky_candidate_that_is_excluded_routes_as_usual():
    router = Router(_caps(), scorer=fixed(0.0))
    loop = as_conversation([("user", [{"type": "image"}]), ("tool", "x")], tool_loop_model="small")
    decision = router.decide(loop)
    assert (decision.model, decision.sticky) == ("medium", False)


def test_thread_holds_its_first_model_and_escalates():
    scores = iter([0.5, 0.1, 0.9, 0.1])
    router = Router(THREE, scorer=CallableScorer(lambda conv: next(scores)), sticky="thread")
    first = router.decide("x", thread_id="t1")
    assert (first.model, first.sticky) == ("code", False)
    held = router.decide("x", thread_id="t1")
    assert (held.model, held.sticky) == ("code", True)
    assert held.reason.startswith("sticky: thread 't1' holds code")
    up = router.decide("x", thread_id="t1")  # scores above the held tier: escalates, and the thread follows
    assert (up.model, up.sticky) == ("large", False)
    assert router.decide("x", thread_id="t1").model == "large"


def test_thread_memory_is_bounded():
    router = Router(THREE, scorer=fixed(0.9), sticky="thread", max_threads=2)
    for i in range(5):
        router.decide("x", thread_id=f"t{i}")
    assert len(router.threads) == 2
    assert router.threads.get("t0") is None
    assert router.threads.get("t4") == "large"


# -- exploration and shadow -----------------------------------------------------------------------------------


def test_exploration_draws_uniformly_and_records_the_propensity():
    router = Router(THREE, scorer=fixed(0.0), explore=0.3, seed=7)
    decisions = [router.decide("x") for _ in range(3000)]
    explored = [d for d in decisions if d.explored]
    assert 0.26 < len(explored) / 3000 < 0.34
    counts = collections.Counter(d.model for d in explored)
    assert set(counts) == set(THREE)
    for d in decisions:
        expected = 0.7 + 0.1 if d.model == "small" else 0.1
        assert d.propensity == pytest.approx(expected)
    assert all(d.reason.endswith(f"drew {d.model} at random (p={d.propensity:.3f})") for d in explored)
    forced = router.decide("x", route="code")
    assert (forced.explored, forced.propensity) == (False, None)
    again = Router(THREE, scorer=fixed(0.0), explore=0.3, seed=7)
    assert [again.decide("x").model for _ in range(50)] == [d.model for d in decisions[:50]]


def test_shadow_mode_answers_with_the_shadow_model_and_never_falls_back():
    router = Router(THREE, scorer=fixed(0.0), mode="shadow")
    decision = router.decide("hi")
    assert (decision.model, decision.would_route, decision.shadow) == ("large", "small", True)
    assert decision.reason.startswith("shadow: answered by large; routing would choose small")
    attempts = router.attempts(decision)
    next(attempts)
    error = ConnectionError("down")
    attempts.failed(error)
    with pytest.raises(ConnectionError) as info:
        next(attempts)
    assert info.value is error
    assert Router(THREE, mode="shadow", shadow_model="code").decide("x").model == "code"
    with pytest.raises(ConfigError, match="shadow_model='gpt' is not a candidate"):
        Router(THREE, mode="shadow", shadow_model="gpt")


# -- breakers and timeouts ------------------------------------------------------------------------------------


def test_circuit_breaker_skips_a_failing_candidate_for_the_cooldown():
    now = [0.0]
    router = Router(THREE, scorer=fixed(0.0), cooldown=30, max_failures=2)
    router.breakers = CircuitBreakers(THREE, cooldown=30, max_failures=2, clock=lambda: now[0])
    for _ in range(2):
        attempts = router.attempts(router.decide("x"))
        next(attempts)
        attempts.failed(ConnectionError("down"))
        assert next(attempts).model == "code"
        attempts.finish()
    skipped = router.decide("x")
    assert skipped.model == "code"
    assert skipped.excluded["small"].startswith("circuit open: 2 failures in a row")
    now[0] = 31.0
    assert router.decide("x").model == "small"


def test_breakers_are_off_by_default():
    router = Router(THREE, scorer=fixed(0.0))
    for _ in range(10):
        attempts = router.attempts(router.decide("x"))
        next(attempts)
        attempts.failed(ConnectionError("down"))
        next(attempts)
    assert router.decide("x").model == "small"


def test_timeout_of_the_candidate_wins_over_the_router():
    router = Router([Candidate("a", 1, timeout=2), Candidate("b", 2)], timeout=5, stream_timeout=1)
    assert (router.timeout_for("a"), router.timeout_for("b")) == (2.0, 5.0)
    assert (router.timeout_for("a", stream=True), router.timeout_for("b", stream=True)) == (2.0, 1.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sticky": "always"}, "sticky='always': expected 'tool_loop', 'thread' or None"),
        ({"mode": "dry"}, "mode='dry'"),
        ({"explore": 1.5}, r"explore=1.5: expected a share in \[0, 1\]"),
        ({"timeout": -1}, "timeout=-1: expected seconds > 0"),
        ({"cooldown": 0}, "cooldown=0"),
        ({"max_escalations": -1}, "max_escalations=-1"),
    ],
)
def test_bad_options_name_the_field(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        Router(THREE, **kwargs)


def test_feedback_needs_a_store():
    with pytest.raises(ConfigError, match="no feedback store; pass feedback=FeedbackStore"):
        Router(THREE).record_feedback("id", 1.0)


def test_decisions_feedback_and_text_reach_the_store_only_as_asked():
    from langroute import FeedbackStore

    with FeedbackStore() as store, FeedbackStore(keep_text=True) as keeping:
        router = Router([Candidate("small", 1, input_cost=1.0, output_cost=2.0), "large"], feedback=store)
        decision = router.decide("a secret prompt")
        router.record_feedback(decision.id, 0.5, "meh")
        (row,) = store.decisions()
        assert (row["id"], row["model"], row["text"], row["prices"]) == (
            decision.id,
            "small",
            None,
            {"small": [1.0, 2.0]},
        )
        assert [(o["id"], o["score"], o["comment"]) for o in store.outcomes()] == [(decision.id, 0.5, "meh")]
        with pytest.raises(ValueError, match="unknown decision id"):
            router.record_feedback("nope", 1.0)
        with pytest.raises(ValueError, match="score"):
            router.record_feedback(decision.id, float("nan"))
        kept = Router(["small", "large"], feedback=keeping).decide("a secret prompt")
        keeping.flush()
        assert [r["text"] for r in keeping.decisions()] == ["a secret prompt"]
        assert kept.id


# -- escalation -------------------------------------------------------------------------------------------------


def _answer(text: str) -> object:
    from langroute.checks import Answer

    return Answer(text=text)


def test_failed_check_escalates_to_the_next_stronger_candidate_once():
    from langroute.checks import empty_answer

    priced = [Candidate(n, i, input_cost=float(i + 1), output_cost=float(i + 1)) for i, n in enumerate(THREE)]
    router = Router(priced, scorer=fixed(0.0), escalate=[empty_answer])
    conversation = as_conversation("hi")
    attempts = router.attempts(router.decide(conversation), conversation)
    assert next(attempts).model == "small"
    assert attempts.accept(_answer(""), payload="bad small", usage=(1_000_000, 0)) is False
    second = next(attempts)
    assert (second.model, second.escalated_from) == ("code", "small")
    assert second.escalation.startswith("empty_answer: ")
    assert "escalated: small's answer failed empty_answer" in second.reason
    assert attempts.accept(_answer(""), payload="bad code") is True  # max_escalations=1: keep it
    final = attempts.finish(0, 1_000_000)
    assert final.cost_usd == pytest.approx(1.0 + 2.0)  # the escalated-away answer's tokens count
    with pytest.raises(StopIteration):
        next(attempts)


def test_escalation_target_failing_returns_the_kept_answer():
    router = Router(THREE, scorer=fixed(0.9), escalate=[lambda conv, answer: answer.text != ""])
    router_small = Router(THREE, scorer=fixed(0.0), escalate=[lambda conv, answer: bool(answer.text)])
    attempts = router_small.attempts(router_small.decide("x"))
    next(attempts)
    assert not attempts.accept(_answer(""), payload="kept")
    assert next(attempts).model == "code"
    attempts.failed(ConnectionError("code down"))
    assert next(attempts).model == "large"  # fallback continues upwards
    attempts.failed(ConnectionError("large down"))
    assert list(attempts) == []  # nothing left: the loop ends and the earlier answer is returned
    decision, payload = attempts.kept
    assert (decision.model, payload) == ("small", "kept")
    assert attempts.finish_kept().model == "small"
    strongest = router.attempts(router.decide("x"))
    next(strongest)
    assert strongest.accept(_answer("")) is True  # nothing stronger to escalate to


async def test_async_checks_escalate_in_aaccept_and_shadow_never_escalates():
    async def never(conversation, answer):
        return "always fails"

    router = Router(THREE, scorer=fixed(0.0), escalate=[never])
    attempts = router.attempts(router.decide("x"))
    next(attempts)
    assert await attempts.aaccept(_answer("fine")) is False
    assert next(attempts).escalation == "never: always fails"
    shadow = Router(THREE, scorer=fixed(0.0), escalate=[never], mode="shadow")
    in_shadow = shadow.attempts(shadow.decide("x"))
    next(in_shadow)
    assert await in_shadow.aaccept(_answer("fine")) is True


def test_the_loop_learns_a_topic_the_cheap_model_fails_from_bandit_feedback():
    """Only the chosen model's outcome is revealed. The base scorer rates astronomy above cooking, but the cheap
    model fails every cooking question and answers the astronomy ones: after learning, cooking ranks higher."""
    from langroute import FeedbackStore, LearnedScorer

    topics = {
        "astronomy": [f"Which planet has moon number {i} and what is its orbital period?" for i in range(150)],
        "cooking": [f"How long should I boil egg number {i} for a soft yolk?" for i in range(150)],
    }
    with FeedbackStore() as store:
        router = Router(["small", "large"], scorer=LearnedScorer.pretrained(), feedback=store, explore=0.3, seed=1)
        before = {t: sum(router.scorer.score(p) for p in ps) / len(ps) for t, ps in topics.items()}
        for i in range(150):
            for topic, prompts in topics.items():
                decision = router.decide(prompts[i])
                good = decision.model == "large" or topic == "astronomy"
                router.record_feedback(decision.id, 1.0 if good else 0.0)
        summary = router.learn()
        assert summary["records"] == 300
        after = {t: sum(router.scorer.score(p) for p in ps) / len(ps) for t, ps in topics.items()}
        assert before["astronomy"] > before["cooking"]
        assert after["cooking"] > after["astronomy"]
        assert router.learn()["records"] == 0  # incremental: nothing new since the last call


def test_a_stream_broken_after_its_first_chunk_is_a_failed_call():
    from langroute import FeedbackStore

    with FeedbackStore() as store:
        router = Router(THREE, scorer=fixed(0.0), feedback=store, cooldown=60, max_failures=1)
        attempts = router.attempts(router.decide("x"))
        decision = next(attempts)
        attempts.broke(ConnectionError("cut mid-stream"))
        store.flush()
        (result,) = store.results()
        assert (result["id"], result["failed"]) == (decision.id, True)
        assert "small" in router.decide("x").excluded  # the breaker counted it


def test_adapter_options_are_the_router_keywords_the_adapters_expose() -> None:
    """Every option the adapters pass on is a real `Router` keyword, and only the core-only ones are left out."""
    import inspect

    from langroute.router import ADAPTER_OPTIONS

    keywords = [name for name, p in inspect.signature(Router.__init__).parameters.items() if p.kind is p.KEYWORD_ONLY]
    assert [name for name in keywords if name in ADAPTER_OPTIONS] == list(ADAPTER_OPTIONS)
    assert set(keywords) - set(ADAPTER_OPTIONS) == {"max_threads", "telemetry"}
