import json

import pytest

from langroute import InputError, LearnedScorer, get_scorer
from langroute.scorers.learned import FORMAT, FORMAT_VERSION

EASY = ["hi", "hello!", "thanks a lot", "what is the capital of France?", "good morning", "translate cat to German"]
HARD = [
    "Prove that every bounded monotone sequence of real numbers converges, step by step, with all the lemmas.",
    "Design a distributed rate limiter in Go: explain the trade-offs, write the code, and analyse edge cases.",
    "Derive the gradient of the softmax cross-entropy loss and implement backpropagation for a two-layer network.",
    "Refactor this Python class to be thread-safe, add unit tests, and explain the complexity of each method.",
]
LONG_TASK = (
    "I need help with a multi-step engineering task. First, design a PostgreSQL schema for a multi-tenant "
    "billing system with invoices, usage events and credits. Then write the SQL migrations, explain the "
    "indexing strategy and its trade-offs, implement the monthly invoice aggregation in Python with unit tests, "
    "and finally analyse the concurrency edge cases when two workers close the same billing period. " * 3
)


@pytest.fixture(scope="module")
def trained():
    return LearnedScorer(epochs=60, seed=3).fit(EASY * 3 + HARD * 3, [0.0] * 18 + [1.0] * 12)


def test_fit_learns_the_labels(trained):
    assert max(trained.score(t) for t in EASY) < min(trained.score(t) for t in HARD)


def test_fit_is_reproducible():
    a = LearnedScorer(epochs=20, seed=1).fit(EASY + HARD, [0.0] * 6 + [1.0] * 4)
    b = LearnedScorer(epochs=20, seed=1).fit(EASY + HARD, [0.0] * 6 + [1.0] * 4)
    assert a.to_dict() == b.to_dict()


def test_fit_rejects_mismatched_lengths_and_bad_labels():
    with pytest.raises(ValueError, match="texts has 2 items but labels has 1"):
        LearnedScorer().fit(["a", "b"], [1.0])
    with pytest.raises(ValueError, match=r"labels\[1\]=1.5"):
        LearnedScorer().fit(["a", "b"], [1.0, 1.5])
    with pytest.raises(ValueError, match="labels has 1"):
        LearnedScorer().partial_fit(["a", "b"], [1.0])


def test_partial_fit_works_from_scratch_and_moves_scores():
    scorer = LearnedScorer(learning_rate=0.2)
    assert scorer.score("hi") == pytest.approx(0.5)
    for _ in range(5):
        scorer.partial_fit(EASY + HARD, [0.0] * 6 + [1.0] * 4)
    assert scorer.score("hello!") < 0.4 < 0.6 < scorer.score(HARD[0])


def test_partial_fit_updates_a_trained_model(trained):
    before = trained.score("zebra quantum ledger")
    after = LearnedScorer.from_dict(trained.to_dict()).partial_fit(["zebra quantum ledger"] * 20, [1.0] * 20)
    assert after.score("zebra quantum ledger") > before


async def test_save_load_round_trip_gives_the_same_scores(trained, tmp_path):
    path = trained.save(tmp_path / "sub" / "model.json")
    data = json.loads(path.read_text())
    assert (data["format"], data["version"]) == (FORMAT, FORMAT_VERSION)
    assert "weight" in data["dense"]["log_chars"]  # human-inspectable: named dense weights
    loaded = LearnedScorer.load(path)
    for text in [*EASY, *HARD]:
        assert loaded.score(text) == pytest.approx(trained.score(text), abs=1e-4)
        assert await loaded.ascore(text) == loaded.score(text)
    assert [p.name for p in path.parent.iterdir()] == ["model.json"]  # no temporary file left behind


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{truncated", "invalid JSON"),
        ('{"format": "something-else"}', "not a langroute learned-scorer model"),
        (json.dumps({"format": FORMAT, "version": 99}), "version 99 is not supported"),
        (json.dumps({"format": FORMAT, "version": FORMAT_VERSION, "dense": {}}), "corrupt"),
    ],
)
def test_corrupt_or_foreign_files_give_a_clear_error(tmp_path, content, message):
    path = tmp_path / "model.json"
    path.write_text(content)
    with pytest.raises(InputError, match=message) as info:
        LearnedScorer.load(path)
    assert str(path) in str(info.value)


def test_pretrained_ranks_a_greeting_far_below_a_long_technical_task():
    scorer = LearnedScorer.pretrained()
    assert scorer.score("hi") + 0.3 < scorer.score(LONG_TASK)
    assert get_scorer("learned").score("hi") == scorer.score("hi")


@pytest.mark.parametrize(
    "messages",
    [
        None,
        "",
        "   ",
        [("system", "be brief"), ("user", None)],
        [("user", [{"type": "image_url", "image_url": {"url": "data:"}}, {"type": "text", "text": "what is this"}])],
        [("user", "hi"), ("assistant", "hello"), ("human", "now prove it")],
        "x" * 1_000_000,
    ],
)
def test_pretrained_honours_the_input_rules(messages):
    value = LearnedScorer.pretrained().score(messages)
    assert 0.0 <= value <= 1.0


def test_bad_hyperparameters_name_the_field():
    with pytest.raises(ValueError, match="buckets=3"):
        LearnedScorer(buckets=3)
    with pytest.raises(ValueError, match="epochs=0"):
        LearnedScorer(epochs=0)


def test_sample_weights_must_match_the_texts():
    with pytest.raises(ValueError, match="sample_weights"):
        LearnedScorer(epochs=2).fit(["a", "b"], [0.0, 1.0], sample_weights=[1.0])
