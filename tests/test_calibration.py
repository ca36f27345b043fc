from __future__ import annotations

import pytest

from langroute import CallableScorer, ConfigError, Router, calibrate_thresholds, thresholds_for_shares


def test_shares_are_met_on_distinct_scores():
    scores = [i / 100 for i in range(100)]
    cuts = thresholds_for_shares(scores, [0.7, 0.3])
    assert sum(s < cuts[0] for s in scores) == 70
    three = thresholds_for_shares(scores, [0.5, 0.3, 0.2])
    assert [sum(s < t for s in scores) for t in three] == [50, 80]


def test_ties_are_never_split_and_land_on_the_nearest_side():
    scores = [0.1] * 6 + [0.9] * 4
    (cut,) = thresholds_for_shares(scores, [0.5, 0.5])
    assert sum(s < cut for s in scores) == 6  # 6 is nearer to 5 than 0 is
    (cut,) = thresholds_for_shares([0.3] * 10, [0.5, 0.5])
    assert sum(s < cut for s in [0.3] * 10) in (0, 10)


def test_calibrated_thresholds_route_the_sample_as_asked():
    texts = [f"text {'x' * i}" for i in range(40)]
    scorer = CallableScorer(lambda conv: min(1.0, len(conv[-1][1]) / 50))
    cuts = calibrate_thresholds(scorer, texts, [0.25, 0.75])
    router = Router(["small", "large"], scorer=scorer, thresholds=cuts)
    share_small = sum(router.decide(t).model == "small" for t in texts) / len(texts)
    assert share_small == pytest.approx(0.25, abs=0.03)


@pytest.mark.parametrize(
    ("shares", "match"),
    [([1.0], "at least two"), ([0.6, 0.6], "sum to 1.2"), ([1.2, -0.2], "not a number >= 0"), ("0.5,0.5", "expected")],
)
def test_bad_shares_raise_value_error(shares, match):
    with pytest.raises(ConfigError, match=match):
        thresholds_for_shares([0.1, 0.2], shares)


def test_empty_sample_is_an_error():
    with pytest.raises(ValueError, match="texts is empty"):
        calibrate_thresholds(CallableScorer(lambda c: 0.1), [], [0.5, 0.5])


@pytest.mark.parametrize(
    ("scores", "match"),
    [
        ([0.2, float("nan")], r"scores\[1\]=nan: expected a number in \[0, 1\]"),
        ([-0.3, 0.5], r"scores\[0\]=-0.3"),
        ([0.5, 1.5], r"scores\[1\]=1.5"),
        ([0.5, "0.7"], r"scores\[1\]='0.7'"),
        ([True, 0.5], r"scores\[0\]=True"),
        (0.5, "scores is a float: expected a list"),
    ],
)
def test_scores_outside_0_1_or_nan_are_rejected(scores, match):
    """0.2 returned [-0.3] for scores outside [0, 1] and accepted NaN."""
    with pytest.raises(ConfigError, match=match):
        thresholds_for_shares(scores, [0.5, 0.5])


def test_thresholds_stay_in_0_1_at_the_extremes():
    assert thresholds_for_shares([0.0, 0.0, 1.0], [0.0, 1.0]) == [0.0]
    assert thresholds_for_shares([0.0, 1.0, 1.0], [1.0, 0.0]) == [1.0]
    assert thresholds_for_shares((s for s in [0.0, 1.0]), [0.5, 0.5]) == [0.5]


def test_calibrate_rejects_a_single_string_and_a_non_scorer():
    with pytest.raises(ConfigError, match="texts is a single string"):
        calibrate_thresholds(CallableScorer(lambda c: 0.1), "hello", [0.5, 0.5])
    with pytest.raises(TypeError, match="scorer is a function: expected a Scorer"):
        calibrate_thresholds(lambda c: 0.1, ["hi"], [0.5, 0.5])  # type: ignore[arg-type]
