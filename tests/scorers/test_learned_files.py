"""LearnedScorer files and fitting on hostile input: rejected early, naming the file or field; never half-updated."""

from __future__ import annotations

import json

import pytest

from langroute import ConfigError, InputError, LearnedScorer
from langroute.scorers.learned import DENSE_FEATURES, MAX_MODEL_BYTES

TEXTS = ["hi", "thanks", "prove the theorem by induction", "design a sharded database"]
LABELS = [0.0, 0.0, 1.0, 1.0]
FIRST = DENSE_FEATURES[0]


@pytest.fixture(scope="module")
def model_dict():
    return LearnedScorer(buckets=64, epochs=5).fit(TEXTS, LABELS).to_dict()


def _mutated(data, path, value):
    data = json.loads(json.dumps(data))
    *parents, last = path
    target = data
    for key in parents:
        target = target[key]
    target[last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["bias"], float("nan"), "bias is nan; expected a finite number"),
        (["bias"], float("inf"), "bias is inf; expected a finite number"),
        (["output", "spread"], -1.0, "output.spread is -1.0; expected a number > 0 .*inverts the ranking"),
        (["output", "center"], float("-inf"), "output.center is -inf"),
        (["dense", FIRST, "scale"], -2, f"dense.{FIRST}.scale is -2.0; expected a number > 0"),
        (["dense", FIRST, "weight"], float("nan"), f"dense.{FIRST}.weight is nan"),
        (["ngram_weights", 5], float("inf"), r"ngram_weights\[5\] is inf"),
        (["hyperparameters", "seed"], "x", "hyperparameters: seed='x': expected an int >= 0"),
        (["hyperparameters", "learning_rate"], -1, "hyperparameters: learning_rate=-1"),
        (["features", "buckets"], 16.5, "features.buckets is 16.5; expected an int"),
    ],
)
def test_a_saved_model_with_an_unusable_value_is_rejected_naming_the_file_and_field(
    model_dict, tmp_path, path, value, message
):
    file = tmp_path / "model.json"
    file.write_text(json.dumps(_mutated(model_dict, path, value)))  # json writes NaN / Infinity literals
    with pytest.raises(InputError, match=message) as caught:
        LearnedScorer.load(file)
    assert str(caught.value).startswith(f"{file}: ")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "JSON nested too deeply"),
        ('{"format": "langroute.learned-scorer", "version": ' + "1" * 100_000 + "}", "a number with too many digits"),
        (b"\xff\xfe\x00binary", "invalid JSON .*can't decode byte 0xff"),
    ],
)
def test_hostile_json_files_are_input_errors_naming_the_file(tmp_path, content, message):
    file = tmp_path / "model.json"
    file.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(InputError, match=message) as caught:
        LearnedScorer.load(file)
    assert str(caught.value).startswith(f"{file}: not a learned-scorer model")


def test_a_file_larger_than_the_limit_is_refused_without_reading_it_all(tmp_path, monkeypatch):
    monkeypatch.setattr("langroute.scorers.learned.MAX_MODEL_BYTES", 1000)
    file = tmp_path / "model.json"
    file.write_text(" " * 1001)
    with pytest.raises(InputError, match=f"{file}: larger than 1000 bytes"):
        LearnedScorer.load(file)
    assert MAX_MODEL_BYTES == 128 * 1024 * 1024


@pytest.mark.parametrize("seed", ["x", -1, 1.5, True, None])
def test_seed_must_be_a_non_negative_int(seed):
    with pytest.raises(ConfigError, match=f"seed={seed!r}: expected an int >= 0"):
        LearnedScorer(seed=seed)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([1.0, float("nan"), 1.0, 1.0], r"sample_weights\[1\]=nan: expected a finite number >= 0"),
        ([1.0, float("inf"), 1.0, 1.0], r"sample_weights\[1\]=inf"),
        ([1.0, -1.0, 1.0, 1.0], r"sample_weights\[1\]=-1.0"),
        ([1.0, "2", 1.0, 1.0], r"sample_weights\[1\]='2'"),
        ([0.0, 0.0, 0.0, 0.0], "positive, finite sum"),
        ([1.0], "sample_weights has 1 items for 4 texts"),
        ("1111", "sample_weights is a str"),
    ],
)
def test_bad_sample_weights_are_rejected_before_training_and_leave_the_model_unchanged(weights, message):
    scorer = LearnedScorer.pretrained()
    before = scorer.to_dict()
    with pytest.raises(InputError, match=message):
        scorer.fit(TEXTS, LABELS, sample_weights=weights)
    assert scorer.to_dict() == before


def test_a_diverging_fit_raises_and_leaves_the_model_unchanged(tmp_path):
    scorer = LearnedScorer.pretrained()
    scorer.learning_rate = 1e200
    before = scorer.to_dict()
    with pytest.raises(ConfigError, match=r"fit diverged at epoch \d+ of 200: .*lower learning_rate"):
        scorer.fit(TEXTS, LABELS)
    assert scorer.to_dict() == before
    assert LearnedScorer.load(scorer.save(tmp_path / "model.json")).to_dict() == before


def test_a_failing_progress_callback_leaves_the_model_unchanged():
    scorer = LearnedScorer.pretrained()
    before = scorer.to_dict()

    def progress(done, total):
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        scorer.fit(TEXTS, LABELS, progress=progress)
    assert scorer.to_dict() == before


def test_save_refuses_a_non_finite_model_and_writes_nothing(tmp_path):
    scorer = LearnedScorer(buckets=64)
    scorer.ngram_weights[3] = float("nan")
    with pytest.raises(ConfigError, match=r"model: ngram_weights\[3\] is nan; expected a finite number"):
        scorer.save(tmp_path / "model.json")
    assert list(tmp_path.iterdir()) == []


def test_sample_weights_whose_sum_overflows_are_rejected():
    with pytest.raises(InputError, match="positive, finite sum"):
        LearnedScorer(buckets=16).fit(TEXTS, LABELS, sample_weights=[1e308] * 4)
