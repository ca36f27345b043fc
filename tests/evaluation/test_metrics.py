import random

import pytest

from langroute.errors import InputError
from langroute.evaluation import apgr, cost_saving, cpt, evaluate, pgr, quality_curve, share_at_quality


def _data(n=1000, helps=0.2, seed=1):
    """Weak right on 1 - helps of the prompts, strong right everywhere: the gap is `helps`."""
    rng = random.Random(seed)
    weak = [0.0 if rng.random() < helps else 1.0 for _ in range(n)]
    return weak, [1.0] * n


def test_oracle_recovers_the_gap_with_the_fewest_strong_calls():
    weak, strong = _data()
    oracle = [s - w for w, s in zip(weak, strong, strict=True)]
    helps = 1 - sum(weak) / len(weak)
    m = evaluate(oracle, weak, strong)
    assert m.apgr == pytest.approx(1 - helps / 2)  # PGR rises linearly to 1 at share `helps`, then stays
    assert m.cpt50 == pytest.approx(helps / 2)
    assert m.cpt80 == pytest.approx(0.8 * helps)


def test_reversed_oracle_is_the_mirror_image():
    weak, strong = _data()
    helps = 1 - sum(weak) / len(weak)
    reversed_scores = [w - s for w, s in zip(weak, strong, strict=True)]
    assert apgr(reversed_scores, weak, strong) == pytest.approx(helps / 2)
    assert cpt(reversed_scores, weak, strong, 0.5) == pytest.approx(1 - helps / 2)
    assert cpt(reversed_scores, weak, strong, 50) == pytest.approx(1 - helps / 2)


def test_random_scores_average_one_half():
    weak, strong = _data(n=2000)
    rng = random.Random(7)
    values = [apgr([rng.random() for _ in weak], weak, strong) for _ in range(40)]
    assert sum(values) / len(values) == pytest.approx(0.5, abs=0.03)


def test_curve_starts_all_weak_and_ends_all_strong_at_the_deciles():
    scores = [i / 100 for i in range(100)]
    weak = [1.0 if i % 2 else 0.0 for i in range(100)]
    strong = [1.0] * 100
    curve = quality_curve(scores, weak, strong)
    assert [round(p.share, 2) for p in curve] == [0.0, 0.01, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    assert curve[0].quality == pytest.approx(0.5)
    assert curve[-1].quality == pytest.approx(1.0)


def test_ties_go_to_the_same_side_of_a_threshold():
    curve = quality_curve([0.5] * 10, [0.0] * 10, [1.0] * 10)
    assert [(p.share, p.quality) for p in curve] == [(0.0, 0.0), (1.0, 1.0)]


def test_cost_saving_at_95_percent_of_strong_quality():
    weak, strong = _data(n=1000, helps=0.2)
    oracle = [s - w for w, s in zip(weak, strong, strict=True)]
    helps = 1 - sum(weak) / len(weak)
    share = share_at_quality(oracle, weak, strong)
    assert share == pytest.approx(helps - 0.05, abs=0.005)  # 95% of quality 1.0 = recover all but 0.05
    assert cost_saving(oracle, weak, strong, prices=(0.0, 1.0)) == pytest.approx(1 - share)
    assert cost_saving(oracle, weak, strong, prices=(1.0, 4.0)) == pytest.approx(1 - (share * 4 + (1 - share)) / 4)
    assert cost_saving(oracle, weak, strong, quality_target=95, prices=(0.0, 1.0)) == pytest.approx(1 - share)
    assert evaluate(oracle, weak, strong, prices=(0.0, 1.0)).saving == pytest.approx(1 - share)


def test_weak_already_good_enough_saves_everything_but_its_own_price():
    assert share_at_quality([0.1, 0.2], [1.0, 1.0], [1.0, 0.9]) == 0.0
    assert cost_saving([0.1, 0.2], [1.0, 1.0], [1.0, 0.9], prices=(1.0, 10.0)) == pytest.approx(0.9)


def test_graded_quality_is_accepted():
    m = evaluate([0.9, 0.1, 0.5, 0.2], [0.2, 0.9, 0.5, 0.7], [0.9, 0.9, 0.6, 0.7])
    assert m.weak_quality == pytest.approx(0.575)
    assert m.strong_quality == pytest.approx(0.775)
    assert m.apgr > 0.5


@pytest.mark.parametrize(
    ("scores", "weak", "strong", "message"),
    [
        ([0.1], [1.0, 0.0], [1.0], "lengths 1, 2, 1"),
        ([], [], [], "empty"),
        ([0.1], [2.0], [1.0], "weak quality 2.0 is outside [0, 1]"),
        ([0.1, 0.2], [1.0, 0.0], [1.0, 0.0], "PGR is undefined"),
    ],
)
def test_bad_inputs_name_the_problem(scores, weak, strong, message):
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        evaluate(scores, weak, strong)


def test_pgr_and_bad_prices():
    assert pgr(0.75, 0.5, 1.0) == pytest.approx(0.5)
    with pytest.raises(InputError, match="prices"):
        cost_saving([0.1, 0.9], [1.0, 0.0], [1.0, 1.0], prices=(2.0, 1.0))
