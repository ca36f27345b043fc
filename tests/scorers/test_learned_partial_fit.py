"""`LearnedScorer.partial_fit`: moves the model on a new domain, and is atomic."""

from __future__ import annotations

import pytest

from langroute import LearnedScorer
from langroute.errors import InputError

NEW_TOPIC = [f"Which enzyme catalyses step {i} of glycolysis in the cytosol?" for i in range(40)]
OTHER = [f"Which city hosted the fair of year {1900 + i}?" for i in range(40)]


def test_partial_fit_moves_a_pretrained_model_towards_new_domain_labels():
    scorer = LearnedScorer.pretrained()
    before_new = scorer.score(NEW_TOPIC[0])
    before_other = scorer.score(OTHER[0])
    texts = [text for pair in zip(NEW_TOPIC[1:], OTHER[1:], strict=True) for text in pair]  # a mixed stream
    scorer.partial_fit(texts, [1.0, 0.0] * 39)
    assert scorer.score(NEW_TOPIC[0]) > before_new + 0.1  # held-out prompts of each topic move apart
    assert scorer.score(OTHER[0]) < before_other - 0.1
    assert scorer.metadata["examples"] > 78


def test_one_unreadable_text_leaves_every_weight_untouched():
    scorer = LearnedScorer.pretrained()
    state = scorer.to_dict()
    with pytest.raises(InputError, match=r"texts\[2\]: .*no weight was updated"):
        scorer.partial_fit([NEW_TOPIC[0], NEW_TOPIC[1], 42, NEW_TOPIC[3]], [1.0] * 4)  # type: ignore[list-item]
    assert scorer.to_dict() == state
    scorer.partial_fit(NEW_TOPIC[:4], [1.0] * 4)  # and it still learns afterwards
    assert scorer.to_dict() != state


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sample_weights": [1.0]}, "sample_weights: expected 2 finite numbers >= 0"),
        ({"sample_weights": [1.0, -1.0]}, "sample_weights: expected 2 finite numbers >= 0"),
        ({"learning_rate": 0.0}, r"learning_rate=0\.0: expected a number in \(0, 10\)"),
    ],
)
def test_bad_arguments_raise_before_any_update(kwargs, message):
    scorer = LearnedScorer.pretrained()
    state = scorer.to_dict()
    with pytest.raises(InputError, match=message):
        scorer.partial_fit(NEW_TOPIC[:2], [1.0, 1.0], **kwargs)
    assert scorer.to_dict() == state


def test_a_zero_sample_weight_is_a_skipped_text():
    weighted = LearnedScorer.pretrained().partial_fit(NEW_TOPIC[:2], [1.0, 0.0], sample_weights=[1.0, 0.0])
    alone = LearnedScorer.pretrained().partial_fit(NEW_TOPIC[:1], [1.0])
    assert weighted.score(NEW_TOPIC[5]) == pytest.approx(alone.score(NEW_TOPIC[5]))
