"""`FeedbackLearner`: sound learning from bandit feedback (only the chosen model's outcome is seen)."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from langroute import LearnedScorer, Router
from langroute.calibration import thresholds_for_shares
from langroute.conversation import as_conversation
from langroute.errors import ConfigError
from langroute.feedback.learner import FeedbackLearner, FeedbackScorer, featurize

MODELS = ["small", "large"]
# Two synthetic topics with their own vocabulary. On "orbital" prompts the small model always fails and the large
# one succeeds (gain 1); on "pastry" prompts both succeed (gain 0).
ORBITAL = ["orbital", "resonance", "perihelion", "eccentricity", "apsidal", "precession", "ephemeris", "libration"]
PASTRY = ["croissant", "laminated", "dough", "butter", "proofing", "brioche", "viennoiserie", "glaze"]


def _prompt(words: list[str], rng: random.Random) -> str:
    return "Question: " + " ".join(rng.sample(words, 5)) + " — which holds?"


@pytest.fixture(scope="module")
def base() -> LearnedScorer:
    return LearnedScorer.pretrained()


def _records(base: LearnedScorer, n: int, *, seed: int = 0, explore: float = 0.2) -> list[dict[str, Any]]:
    """Route `n` prompts with `Router` (threshold 0.5) plus exploration; reveal only the chosen model's outcome."""
    rng = random.Random(seed)
    router = Router(MODELS, scorer=base, thresholds=[0.5])
    records = []
    for i in range(n):
        orbital = i % 2 == 0
        text = _prompt(ORBITAL if orbital else PASTRY, rng)
        score = base.explain(text)
        chosen = router.decide(text).model
        model = rng.choice(MODELS) if rng.random() < explore else chosen
        propensity = explore / 2 + (1 - explore) * (model == chosen)
        outcome = 0.0 if orbital and model == "small" else 1.0
        records.append({"id": str(i), "seq": i + 1, "model": model, "candidates": MODELS, "score": score.value,
                        "propensity": propensity, "features": score.features, "outcome": outcome})  # fmt: skip
    return records


def test_rate_attaches_the_hashed_features_that_featurize_computes(base):
    text = "Prove that the sum of two even numbers is even."
    score = base.explain(text)
    assert score.features == featurize(as_conversation(text))
    assert set(score.features) == {"v", "b", "d", "n"}
    assert score.features["b"] == base.buckets
    encoded = json.dumps(score.features)
    assert "even" not in encoded
    assert "Prove" not in encoded
    assert sum(score.features["n"].values()) == 10 + 9  # 10 words: 10 unigrams, 9 bigrams


def test_nothing_learned_gives_back_the_base_scorer(base):
    learner = FeedbackLearner(base)
    assert learner.scorer() is base
    summary = learner.update([])
    assert summary["used"] == 0
    assert learner.scorer() is base


def test_learns_which_topic_needs_the_strong_model_from_bandit_feedback(base):
    rng = random.Random(99)
    orbital = [_prompt(ORBITAL, rng) for _ in range(20)]
    pastry = [_prompt(PASTRY, rng) for _ in range(20)]
    learner = FeedbackLearner(base)
    records = _records(base, 400)
    summary = learner.update(records)
    assert summary["used"] == 400
    assert summary["per_model"]["cheapest"] + summary["per_model"]["strongest"] == 400
    scorer = learner.scorer()
    assert isinstance(scorer, FeedbackScorer)
    assert min(map(scorer.score, orbital)) > max(map(scorer.score, pastry))
    # thresholds calibrated on the traffic to send 55% to the large model keep doing so; now it is the right 55%
    thresholds = thresholds_for_shares([r["score"] for r in records], [0.45, 0.55])
    router = Router(MODELS, scorer=scorer, thresholds=thresholds)
    assert {router.decide(t).model for t in orbital} == {"large"}
    assert sum(router.decide(t).model == "small" for t in pastry) >= 16


def test_a_bad_outcome_of_the_strong_model_is_not_read_as_needing_it(base):
    """Topic X is too hard for both models and was mostly sent to the large one; topic Y is fixed by the large model
    but was mostly sent to the small one. Naive labels ("bad answer: needed the strong model") call both hard; the
    outcome models, fitted per model on the calls each served and weighted by the propensities, see that only Y gains.
    """
    rng = random.Random(5)
    records = []
    for i in range(400):
        hard_for_both = i % 2 == 0
        text = _prompt(ORBITAL if hard_for_both else PASTRY, rng)
        score = base.explain(text)
        usual = "large" if hard_for_both else "small"
        model = usual if rng.random() < 0.9 else ({"large", "small"} - {usual}).pop()
        outcome = 1.0 if not hard_for_both and model == "large" else 0.0
        records.append({"model": model, "candidates": MODELS, "score": score.value,
                        "propensity": 0.9 if model == usual else 0.1, "features": score.features,
                        "outcome": outcome})  # fmt: skip
    learner = FeedbackLearner(base)
    learner.update(records)
    scorer = learner.scorer()
    probe = random.Random(7)
    assert min(scorer.score(_prompt(PASTRY, probe)) for _ in range(10)) > max(
        scorer.score(_prompt(ORBITAL, probe)) for _ in range(10)
    )


def test_thresholds_keep_their_meaning_on_recent_traffic(base):
    records = _records(base, 400)
    learner = FeedbackLearner(base)
    learner.update(records)
    scorer = learner.scorer()
    rng = random.Random(3)
    texts = [_prompt(ORBITAL if i % 2 else PASTRY, rng) for i in range(200)]
    before = sum(base.score(t) >= 0.5 for t in texts)
    after = sum(scorer.score(t) >= 0.5 for t in texts)
    assert abs(after - before) <= 30  # the same share goes to the large model; which prompts go is what changes


def test_adapted_scores_carry_features_so_learning_continues(base):
    learner = FeedbackLearner(base)
    learner.update(_records(base, 200))
    scorer = learner.scorer()
    text = _prompt(ORBITAL, random.Random(1))
    score = scorer.explain(text)
    assert score.features["s"] == base.score(text)
    assert score.features["n"] == featurize(as_conversation(text))["n"]
    assert "gain" in score.reason
    assert "200 records" in score.reason
    record = {"model": "small", "candidates": MODELS, "score": score.value, "propensity": 1.0,
              "features": score.features, "outcome": 0.0}  # fmt: skip
    assert learner.update([record])["used"] == 1


def test_json_round_tripped_records_learn_the_same_model(base):
    records = _records(base, 200)
    direct, stored = FeedbackLearner(base), FeedbackLearner(base)
    direct.update(records)
    stored.update(json.loads(json.dumps(records)))  # bucket keys become strings, as in a store
    text = _prompt(ORBITAL, random.Random(2))
    assert stored.scorer().score(text) == pytest.approx(direct.scorer().score(text))


def test_update_is_incremental_and_skips_what_it_already_read(base):
    records = _records(base, 300)
    once, twice = FeedbackLearner(base), FeedbackLearner(base)
    once.update(records)
    twice.update(records[:150])
    summary = twice.update(records)  # seq 1..150 again: skipped by the cursor
    assert summary["records"] == 150
    assert summary["cursor"] == 300
    assert twice.records == 300
    text = _prompt(PASTRY, random.Random(4))
    assert twice.scorer().score(text) == pytest.approx(once.scorer().score(text))


def test_records_it_cannot_learn_from_are_counted_not_used(base):
    good = {k: v for k, v in _records(base, 1)[0].items() if k != "seq"}
    bad = [
        {**good, "outcome": None},
        {**good, "served": "large", "model": "small"},
        {**good, "failed": True},
        {**good, "forced": True},
        {**good, "candidates": ["small", "mid", "large"], "model": "mid"},
        {**good, "features": None},
        {**good, "features": {**good["features"], "b": 64}},
        {**good, "propensity": 0.0},
        {**good, "outcome": {"score": 0.5}},  # a mapping with the score is fine
    ]
    summary = FeedbackLearner(base).update(bad)
    assert summary["used"] == 1
    assert summary["skipped"] == {
        "no outcome": 1,
        "fallback": 1,
        "failed": 1,
        "forced": 1,
        "middle candidate": 1,
        "no features": 1,
        "other features": 1,
        "bad propensity": 1,
    }


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("clip", 0.5, r"clip=0\.5: expected a finite number >= 1"),
        ("neighbours", 0, "neighbours=0: expected a finite number > 0"),
        ("half_life", -1, "half_life=-1"),
        ("calibration", 1.5, "calibration=1.5: expected an int > 0"),
        ("prior_slope", float("nan"), "prior_slope=nan"),
    ],
)
def test_bad_options_raise_config_errors_naming_the_option(base, option, value, message):
    with pytest.raises(ConfigError, match=message):
        FeedbackLearner(base, **{option: value})


def test_base_must_be_a_scorer():
    with pytest.raises(TypeError, match="base_scorer="):
        FeedbackLearner(lambda text: 0.5)  # type: ignore[arg-type]


def test_prompts_without_any_ngram_give_a_finite_scorer(base):
    """Regression: when no recent prompt had an n-gram (punctuation only), the topic masses were 0 and 0/0 NaN."""
    records = []
    for i in range(40):
        score = base.explain("?!")
        model = MODELS[i % 2]
        records.append({"id": str(i), "seq": i + 1, "model": model, "candidates": MODELS, "score": score.value,
                        "propensity": 0.5, "features": score.features, "outcome": float(model == "large")})  # fmt: skip
    learner = FeedbackLearner(base)
    learner.update(records)
    scorer = learner.scorer()
    for text in ("?!", "Which planet has the most moons?"):
        assert 0.0 <= scorer.score(text) <= 1.0
