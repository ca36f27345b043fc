"""Leave-task-out helpers: the lift metric, family folds without shared prompts, per-family results with sds."""

from __future__ import annotations

import random

import pytest

from langroute.errors import InputError
from langroute.evaluation import Record, apgr, lift
from langroute.evaluation.families import Family, leave_family_out, normalise_prompt


def _labels(n: int, seed: int = 0) -> tuple[list[float], list[float]]:
    rng = random.Random(seed)
    weak = [float(rng.random() < 0.6) for _ in range(n)]
    strong = [float(rng.random() < 0.75) for _ in range(n)]
    return weak, strong


def test_lift_is_one_for_the_oracle_and_near_zero_for_random_scores() -> None:
    weak, strong = _labels(2000)
    oracle = [s - w for w, s in zip(weak, strong, strict=True)]
    assert lift(oracle, weak, strong) == pytest.approx(1.0)
    rng = random.Random(1)
    assert abs(lift([rng.random() for _ in weak], weak, strong)) < 0.1
    assert lift([-x for x in oracle], weak, strong) < -0.9


def test_lift_rescales_apgr_when_there_is_a_gap() -> None:
    weak, strong = _labels(500, seed=3)
    scores = [random.Random(i).random() + 0.5 * (s - w) for i, (w, s) in enumerate(zip(weak, strong, strict=True))]
    oracle = [s - w for w, s in zip(weak, strong, strict=True)]
    expected = (apgr(scores, weak, strong) - 0.5) / (apgr(oracle, weak, strong) - 0.5)
    assert lift(scores, weak, strong) == pytest.approx(expected)


def test_lift_stays_defined_when_both_models_are_equally_good_on_average() -> None:
    weak, strong = [1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 0.0]  # same mean: APGR is undefined
    assert lift([0.1, 0.9, 0.5, 0.5], weak, strong) == pytest.approx(1.0)
    with pytest.raises(InputError, match="equally good on every prompt"):
        lift([0.1, 0.2], [1.0, 0.0], [1.0, 0.0])


def test_leave_family_out_holds_out_each_family_and_drops_its_prompts_from_training() -> None:
    records = [
        Record("Same  prompt", 1.0, 1.0, "a", "x"),
        Record("other", 0.0, 1.0, "a", "x"),
        Record("same prompt", 0.0, 1.0, "b", "y"),  # the same prompt, in family y
        Record("third", 1.0, 0.0, "b", "y"),
        Record("chat", 1.0, 1.0, "everyday", "everyday"),  # never held out
    ]
    family = {"x": "x", "y": "y"}.get
    folds = list(leave_family_out(records, lambda r: family(r.domain)))
    assert folds == [("x", [3, 4], [0, 1]), ("y", [1, 4], [2, 3])]
    assert normalise_prompt(" Same\n prompt ") == "same prompt"


def test_family_results_carry_bootstrap_sds_and_a_share_at_the_threshold() -> None:
    weak, strong = _labels(300, seed=5)
    family = Family("toy", weak, strong, resamples=30, seed=0)
    assert not family.ill_conditioned
    assert family.gap == pytest.approx((sum(strong) - sum(weak)) / 300)
    oracle = family.result("oracle", [s - w for w, s in zip(weak, strong, strict=True)], threshold=0.5)
    assert oracle.lift.value == pytest.approx(1.0)
    assert oracle.apgr.value > 1.0
    assert 0 < oracle.apgr.sd < 0.5
    assert oracle.apgr.low <= oracle.apgr.value <= oracle.apgr.high
    assert oracle.share == pytest.approx(sum(s - w >= 0.5 for w, s in zip(weak, strong, strict=True)) / 300)
    rand = family.random(seeds=20)
    assert rand.scorer == "random"
    assert abs(rand.apgr.value - 0.5) < 3 * rand.apgr.sd + 0.01
    assert rand.curve[0].quality == pytest.approx(sum(weak) / 300)


def test_a_family_without_a_gap_reports_no_apgr_but_a_saving_and_a_lift() -> None:
    weak, strong = [1.0, 0.0] * 50, [0.0, 1.0] * 50
    family = Family("tied", weak, strong, resamples=10)
    assert family.ill_conditioned
    result = family.result("oracle", [s - w for w, s in zip(weak, strong, strict=True)])
    assert result.apgr.value != result.apgr.value  # NaN: PGR is undefined without a gap
    assert result.lift.value == pytest.approx(1.0)
    assert result.saving.value > 0.5


def test_family_errors_name_the_family() -> None:
    with pytest.raises(InputError, match="family 'f': both models answer every prompt equally well"):
        Family("f", [1.0, 0.0], [1.0, 0.0])
    with pytest.raises(InputError, match="family 'g': 1 scores for 2 prompts"):
        Family("g", [1.0, 0.0], [0.0, 1.0]).result("s", [0.5])
