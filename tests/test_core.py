"""The framework-free core: conversations, policy, decisions, router and fallback order."""

from __future__ import annotations

import pickle

import pytest

from langroute import (
    AllCandidatesFailedError,
    CallableScorer,
    ConfigError,
    Conversation,
    Router,
    RoutingPolicy,
    Score,
    as_conversation,
)
from langroute.decision import DECISION_FIELDS
from langroute.errors import all_candidates_failed


def test_conversation_reads_str_pairs_dicts_and_parts():
    conv = as_conversation(
        [
            ("system", "Be brief."),
            {"role": "human", "content": [{"type": "text", "text": "look"}, {"type": "image_url", "image_url": "x"}]},
            ("ai", None),
            ("user", ["plain part", {"type": "input_audio", "data": "..."}]),
        ]
    )
    assert conv.pairs() == [("system", "Be brief."), ("user", "look"), ("assistant", ""), ("user", "plain part")]
    assert conv.non_text_parts == 2
    assert conv.has_images is True
    assert conv.last_user_text == "plain part"
    assert as_conversation("hi").pairs() == [("user", "hi")]
    assert as_conversation(None) == Conversation()


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (42, "expected a str or a list"),
        (["hi"], r"messages\[0\] is a str; .*wrap a single pair"),
        ([("user", 3)], r"messages\[0\] content has type int"),
        ([{"content": "x"}], "without a 'role' key"),
        (b"hi", "decode it"),
    ],
)
def test_conversation_rejects_unreadable_input_with_type_error(bad, match):
    with pytest.raises(TypeError, match=match):
        as_conversation(bad)


def test_unknown_role_is_a_value_error_listing_roles():
    with pytest.raises(ValueError, match=r"role 'critic'; expected one of \[.*'user'"):
        as_conversation([("critic", "hm")])


def test_policy_routing_rule_and_default_thresholds():
    assert RoutingPolicy(["a", "b"]).thresholds == (0.5,)
    three = RoutingPolicy(["a", "b", "c"])
    assert three.thresholds == pytest.approx((1 / 3, 2 / 3))
    assert [three.choose(s) for s in (0.0, 0.33, 1 / 3, 0.5, 2 / 3, 1.0)] == [0, 0, 1, 1, 2, 2]
    assert RoutingPolicy(["only"]).choose(0.99) == 0


@pytest.mark.parametrize(
    ("candidates", "thresholds", "match"),
    [
        ([], None, "models is empty"),
        (["a", "a"], None, "unique"),
        (["a", "b"], [0.2, 0.4], r"need 1 ascending values .* for 2 candidates \(got 2\)"),
        (["a", "b", "c"], [0.6, 0.4], "ascending"),
        (["a", "b"], [1.5], r"not a number in \[0, 1\]"),
        (["a", "b"], [float("nan")], r"not a number in \[0, 1\]"),
        (["a", "b"], "0.5", "expected a list"),
    ],
)
def test_policy_rejects_bad_config_naming_the_field(candidates, thresholds, match):
    with pytest.raises(ConfigError, match=match) as info:
        RoutingPolicy(candidates, thresholds)
    assert isinstance(info.value, ValueError)
    assert "models" in str(info.value) or "thresholds" in str(info.value)


def test_decision_dict_has_the_contract_keys():
    decision = RoutingPolicy(["small", "large"], [0.4]).decide(Score(0.7, "long"), scorer="X", id="d1")
    assert decision.to_dict() == {
        "id": "d1",
        "model": "large",
        "score": 0.7,
        "scorer": "X",
        "reason": "long",
        "candidates": ["small", "large"],
        "ladder": ["small", "large"],
        "thresholds": [0.4],
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
    assert list(decision.to_dict()) == list(DECISION_FIELDS)
    fresh = RoutingPolicy(["small", "large"]).decide(Score(0.1), scorer="X")
    assert len(fresh.id) == 32
    assert fresh.id != RoutingPolicy(["a"]).decide(Score(0.1), scorer="X").id


def test_nested_router_decision_keeps_the_inner_decision():
    inner = RoutingPolicy(["mini", "pro"]).decide(Score(0.9), scorer="X", id="inner-1")
    outer = RoutingPolicy(["pool", "large"], [0.4]).decide(Score(0.1), scorer="X", id="outer-1")
    nested = outer.with_inner(inner.to_dict())
    assert nested.to_dict()["inner"]["model"] == "pro"
    assert nested.to_dict()["inner"]["id"] == "inner-1"
    assert nested.model == "pool"
    assert outer.to_dict()["inner"] is None


def test_forced_route_and_unknown_route():
    policy = RoutingPolicy(["small", "large"])
    forced = policy.force("large", scorer="X")
    assert (forced.model, forced.forced, forced.score) == ("large", True, None)
    with pytest.raises(ValueError, match=r"route='huge' is not a candidate; choose one of \['small', 'large'\]"):
        policy.force("huge", scorer="X")


def test_fallback_order_stronger_first_then_weaker():
    policy = RoutingPolicy(["a", "b", "c", "d"])
    assert policy.fallback_order("b") == ["c", "d", "a"]
    assert policy.fallback_order("d") == ["c", "b", "a"]


def _run(router: Router, failing: set[str], text: str = "x") -> tuple[str, list[str]]:
    attempts = router.attempts(router.decide(text))
    tried = []
    for decision in attempts:
        tried.append(decision.model)
        if decision.model in failing:
            attempts.failed(RuntimeError(f"{decision.model} down"))
            continue
        return decision.model, tried
    raise AssertionError("unreachable")


def test_attempts_fall_back_and_record_fallback_from():
    router = Router(["a", "b", "c"], scorer=CallableScorer(lambda conv: 0.5))
    assert _run(router, set()) == ("b", ["b"])
    assert _run(router, {"b"}) == ("c", ["b", "c"])
    assert _run(router, {"b", "c"}) == ("a", ["b", "c", "a"])
    attempts = router.attempts(router.decide("x"))
    assert next(attempts).model == "b"
    attempts.failed(RuntimeError("down"))
    second = next(attempts)
    assert (second.model, second.fallback_from) == ("c", "b")
    assert "fallback: b raised RuntimeError" in second.reason


def test_all_candidates_failing_lists_every_error():
    router = Router(["a", "b"], scorer=CallableScorer(lambda conv: 0.0))
    with pytest.raises(AllCandidatesFailedError) as info:
        _run(router, {"a", "b"})
    assert list(info.value.errors) == ["a", "b"]
    assert "a: RuntimeError: a down" in str(info.value)
    assert "b: RuntimeError: b down" in str(info.value)


def test_all_failed_error_is_also_the_class_the_errors_share():
    class ProviderError(Exception):
        pass

    class RateLimitError(ProviderError):
        def __init__(self, message: str, *, status_code: int) -> None:
            super().__init__(message)
            self.status_code = status_code

    router = Router(["a", "b"], scorer=CallableScorer(lambda conv: 0.0))
    attempts = router.attempts(router.decide("x"))
    first, last = RateLimitError("a slow", status_code=429), RateLimitError("b slow", status_code=503)
    next(attempts)
    attempts.failed(first)
    next(attempts)
    attempts.failed(last)
    with pytest.raises(RateLimitError) as info:
        next(attempts)
    error = info.value
    assert isinstance(error, AllCandidatesFailedError)
    assert error.errors == {"a": first, "b": last}
    assert error.status_code == 503  # the last error's attributes
    assert error.__cause__ is last
    assert type(error).__name__ == "AllCandidatesFailedError[RateLimitError]"


def test_all_failed_error_shares_the_nearest_common_base():
    mixed = all_candidates_failed({"a": TimeoutError("t"), "b": ConnectionResetError("c")})
    assert isinstance(mixed, OSError)
    assert not isinstance(mixed, (TimeoutError, ConnectionError))
    unrelated = all_candidates_failed({"a": KeyError("k"), "b": ValueError("v")})
    assert isinstance(unrelated, RuntimeError)  # nothing in common: the historical base
    assert not isinstance(unrelated, (KeyError, ValueError))
    restored = pickle.loads(pickle.dumps(mixed))
    assert type(restored) is type(mixed)
    assert list(restored.errors) == ["a", "b"]


def test_one_failed_candidate_raises_its_own_error_object():
    router = Router(["a"])
    attempts = router.attempts(router.decide("x"))
    next(attempts)
    error = ConnectionError("down")
    attempts.failed(error)
    with pytest.raises(ConnectionError) as info:
        next(attempts)
    assert info.value is error


def test_forced_route_and_disabled_fallbacks_reraise_the_candidate_error():
    router = Router(["a", "b"])
    attempts = router.attempts(router.decide("x", route="a"))
    next(attempts)
    attempts.failed(KeyError("boom"))
    with pytest.raises(KeyError, match="boom"):
        next(attempts)
    no_fallback = Router(["a", "b"], scorer=CallableScorer(lambda conv: 0.0), fallbacks=False)
    with pytest.raises(RuntimeError, match="a down"):
        _run(no_fallback, {"a"})


def test_router_rejects_a_bare_function_as_scorer():
    with pytest.raises(TypeError, match=r"wrap it: scorer=CallableScorer\(fn\)"):
        Router(["a"], scorer=lambda conv: 0.5)  # type: ignore[arg-type]


async def test_adecide_matches_decide():
    router = Router(["a", "b"])
    text = "Design a distributed cache step by step, then prove its consistency."
    assert (await router.adecide(text, id="x")) == router.decide(text, id="x")


def test_tool_calls_and_reasoning_parts_are_not_counted_as_attachments():
    conv = as_conversation(
        [
            ("user", "weather?"),
            ("assistant", [{"type": "text", "text": "checking"}, {"type": "tool_use", "id": "1", "name": "w"}]),
            ("assistant", [{"type": "reasoning", "reasoning": "..."}, {"type": "image", "url": "x"}]),
        ]
    )
    assert conv.non_text_parts == 1
    assert conv.has_images is True


def test_each_decision_is_logged_once_at_debug_forced_ones_too(caplog):
    router = Router(["a", "b"], scorer=CallableScorer(lambda conv: 0.7))
    with caplog.at_level("DEBUG", logger="langroute"):
        router.decide("secret prompt text")
        router.decide("x", route="a")
    lines = [r.getMessage() for r in caplog.records if r.name == "langroute.router"]
    assert lines == [
        "routed to b (score=0.7, scorer=CallableScorer)",
        "routed to a (score=None, scorer=CallableScorer)",
    ]
    assert not any("secret" in r.getMessage() for r in caplog.records)  # prompt text is never logged


def test_fallback_on_limits_which_errors_fall_back():
    router = Router(["a", "b"], scorer=CallableScorer(lambda conv: 0.0), fallback_on=(KeyError,))
    attempts = router.attempts(router.decide("x"))
    next(attempts)
    transient = ConnectionError("rate limited: a retry middleware around the router handles it")
    attempts.failed(transient)
    with pytest.raises(ConnectionError) as info:
        next(attempts)
    assert info.value is transient
    assert _run(router, set()) == ("a", ["a"])
    by_rule = Router(["a", "b"], scorer=CallableScorer(lambda conv: 0.0), fallback_on=lambda e: "down" in str(e))
    assert _run(by_rule, {"a"}) == ("b", ["a", "b"])


@pytest.mark.parametrize("rule", ["KeyError", [], 3, (KeyError, "x")])
def test_fallback_on_rejects_what_is_not_classes_or_a_function(rule):
    with pytest.raises(TypeError, match=r"fallback_on=.*expected exception classes"):
        Router(["a", "b"], fallback_on=rule)


def test_fallbacks_must_be_a_bool():
    with pytest.raises(TypeError, match=r"fallbacks='no': expected True or False"):
        Router(["a", "b"], fallbacks="no")  # type: ignore[arg-type]
