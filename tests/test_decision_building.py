"""Decisions built without the NamedTuple's keyword constructor equal the ones it builds."""

from __future__ import annotations

from types import MappingProxyType

from langroute import RoutingPolicy, Score
from langroute.decision import DECISION_FIELDS, RoutingDecision, _changed


def test_policy_decisions_equal_the_keyword_built_ones():
    policy = RoutingPolicy(["small", "medium", "large"], routes={"code": ["medium", "large"]})
    decision = policy.decide(Score(0.9, "hard"), scorer="S", task="code", excluded={"large": "no tools"}, id="a")
    assert type(decision) is RoutingDecision
    assert decision == RoutingDecision(
        id="a",
        model="medium",
        score=0.9,
        scorer="S",
        reason="hard; large excluded (no tools), took medium",
        candidates=("small", "medium", "large"),
        ladder=("medium", "large"),
        thresholds=(0.5,),
        task="code",
        excluded=MappingProxyType({"large": "no tools"}),
    )
    forced = policy.force("large", scorer="S", id="b")
    assert (forced.forced, forced.propensity, forced.sticky, forced.score) == (True, None, False, None)
    held = policy.stick("small", scorer="S", why="tool loop", id="c")
    assert held is not None
    assert (held.sticky, held.propensity, held.reason) == (True, 1.0, "sticky: tool loop")


def test_changed_copies_equal_replace():
    decision = RoutingPolicy(["small", "large"]).decide(Score(0.2), scorer="S", id="x")
    for field, value in zip(DECISION_FIELDS, ["y", "large", 0.5, "T", "why", ("a",), ("a",), (), "t"], strict=False):
        assert _changed(decision, **{field: value}) == decision._replace(**{field: value})
    assert decision.with_cost(1.0, 2.0, 0.5) == decision._replace(
        cost_usd=1.0, baseline_cost_usd=2.0, would_cost_usd=0.5
    )
    assert decision.with_inner({"model": "inner"}) == decision._replace(inner={"model": "inner"})
    assert type(decision.fallback("large", ValueError())) is RoutingDecision
    assert decision.escalate("large", "empty_answer: no text").escalated_from == "small"


def test_to_dict_puts_every_field_under_its_own_name():
    # a distinct value per field: a field read into the wrong key (to_dict unpacks the tuple) shows up here
    values = [f"value-{i}" for i in range(len(DECISION_FIELDS))]
    values[5:8] = [("c1", "c2"), ("l1",), (0.25,)]  # candidates, ladder, thresholds: tuples, given as lists
    values[9] = MappingProxyType({"large": "why"})  # excluded: a read-only mapping, given as a dict
    values[22] = MappingProxyType({"model": "inner"})  # inner: the inner router's decision, given as a dict
    decision = RoutingDecision(*values)
    given = decision.to_dict()
    assert list(given) == list(DECISION_FIELDS)
    for name in DECISION_FIELDS:
        value = getattr(decision, name)
        if isinstance(value, tuple):
            assert (given[name], type(given[name])) == (list(value), list), name
        elif isinstance(value, MappingProxyType):
            assert (given[name], type(given[name])) == (dict(value), dict), name
        else:
            assert given[name] == value, name
    empty = RoutingDecision(*values[:9], MappingProxyType({}), *values[10:22], None).to_dict()
    assert (empty["excluded"], empty["inner"]) == ({}, None)
