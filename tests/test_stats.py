"""`RoutingTally`: counts per candidate, errors once each, escalations, failures, savings, shadow would-be."""

from __future__ import annotations

import pytest

from langroute import Candidate, Router
from langroute.stats import RoutingTally


def _decision(model: str, **extra: object) -> dict[str, object]:
    return {"model": model, "candidates": ["small", "large"], "fallback_from": None, **extra}


def test_counts_calls_fallbacks_and_each_error_once():
    tally = RoutingTally()
    tally.decided(1, _decision("small"))
    tally.decided(1, _decision("large", fallback_from="small"))
    tally.answered(1, _decision("large", fallback_from="small"), input_tokens=10, output_tokens=5)
    tally.decided(2, _decision("small"))
    tally.decided(2, _decision("large", fallback_from="small"))
    tally.failed(2)  # the last candidate's error is counted too
    summary = tally.summary()
    assert (summary["small"]["errors"], summary["large"]["errors"]) == (2, 1)
    assert (summary["large"]["calls"], summary["large"]["fallbacks"]) == (1, 1)
    assert summary["large"]["input_tokens"] == 10
    assert tally.failed_calls == 1


def test_a_failed_escalation_counts_its_error_and_the_kept_answer():
    tally = RoutingTally()
    tally.decided(1, _decision("small"))
    tally.decided(1, _decision("large", escalated_from="small"))
    tally.answered(1, _decision("small"), input_tokens=3, output_tokens=2)  # large raised: small's answer kept
    summary = tally.summary()
    assert (summary["small"]["calls"], summary["small"]["escalations"]) == (1, 1)
    assert (summary["large"]["calls"], summary["large"]["errors"]) == (0, 1)
    assert tally.failed_calls == 0


def test_escalations_and_savings_in_money():
    router = Router(
        [
            Candidate("small", 1, input_cost=1.0, output_cost=2.0),
            Candidate("large", 2, input_cost=10.0, output_cost=20.0),
        ]
    )
    tally = RoutingTally()
    first = router.decide("hi")
    tally.decided("a", first.to_dict())
    attempts = router.attempts(first)
    next(attempts)
    final = attempts.finish(1_000_000, 1_000_000)
    assert final.cost_usd == pytest.approx(3.0)
    assert final.baseline_cost_usd == pytest.approx(30.0)
    tally.answered("a", final.to_dict(), 1_000_000, 1_000_000)
    escalated = final._replace(model="large", escalated_from="small", cost_usd=33.0, baseline_cost_usd=30.0)
    tally.decided("b", first.to_dict())
    tally.decided("b", escalated.to_dict())
    tally.answered("b", escalated.to_dict(), 1_000_000, 1_000_000)
    assert tally.summary()["small"]["escalations"] == 1
    assert tally.savings() == {
        "cost_usd": pytest.approx(36.0),
        "baseline_cost_usd": pytest.approx(60.0),
        "saved_usd": pytest.approx(24.0),
        "saved_share": pytest.approx(0.4),
        "baseline_model": "large",
    }
    text = str(tally)
    assert "saved $24.0000 (40%, an estimate)" in text
    assert "always on large" in text


def test_unpriced_candidates_count_tokens_only():
    tally = RoutingTally()
    tally.answered(1, _decision("small"), input_tokens=3, output_tokens=4)
    assert tally.savings()["saved_usd"] is None
    assert tally.summary()["small"]["output_tokens"] == 4
    assert "saved" not in str(tally)


def test_shadow_reports_would_be_shares_and_saving():
    router = Router(
        [
            Candidate("small", 1, input_cost=1.0, output_cost=1.0),
            Candidate("large", 2, input_cost=10.0, output_cost=10.0),
        ],
        mode="shadow",
    )
    tally = RoutingTally()
    for _ in range(4):
        decision = router.decide("hi")
        attempts = router.attempts(decision)
        next(attempts)
        tally.answered(decision.id, attempts.finish(500_000, 500_000).to_dict(), 500_000, 500_000)
    assert tally.summary()["small"]["would_calls"] == 4
    assert tally.summary()["large"]["calls"] == 4
    savings = tally.savings()
    assert savings["would_cost_usd"] == pytest.approx(4.0)
    assert savings["would_saved_usd"] == pytest.approx(36.0)
    assert "shadow mode: routing would send small 100% and save $36.0000" in str(tally)
    tally.reset()
    assert tally.summary() == {}
