"""`FeedbackScorer.save` / `load`, `load_scorer` and `get_scorer` on saved files: versioned JSON, atomic writes."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from langroute import LearnedScorer
from langroute.conversation import as_conversation
from langroute.errors import ConfigError, InputError
from langroute.feedback.learner import FORMAT, FeedbackLearner, FeedbackScorer, featurize, load_scorer
from langroute.scorers import get_scorer
from langroute.scorers.heuristic import HeuristicScorer

from .test_learner import MODELS, ORBITAL, PASTRY, _prompt, _records


@pytest.fixture(scope="module")
def base() -> LearnedScorer:
    return LearnedScorer.pretrained()


@pytest.fixture(scope="module")
def adapted(base: LearnedScorer) -> FeedbackScorer:
    learner = FeedbackLearner(base)
    learner.update(_records(base, 300))
    scorer = learner.scorer()
    assert isinstance(scorer, FeedbackScorer)
    return scorer


def _texts(n: int = 20) -> list[str]:
    rng = random.Random(11)
    return [_prompt(ORBITAL if i % 2 else PASTRY, rng) for i in range(n)] + ["hi", "Prove Fermat's last theorem."]


def test_save_then_load_scores_the_same_and_references_the_pretrained_model(adapted, tmp_path):
    path = adapted.save(tmp_path / "adapted.json")
    data = json.loads(path.read_text())
    assert (data["format"], data["version"]) == (FORMAT, 1)
    assert data["base"]["pretrained"] == "learned"  # referenced, not embedded: the file stays small
    assert "embedded" not in data["base"]
    assert path.stat().st_size < 200_000
    assert data["records"] == 300
    loaded = FeedbackScorer.load(path)
    assert loaded.name == adapted.name == "FeedbackScorer(LearnedScorer)"
    for text in _texts():
        assert loaded.score(text) == pytest.approx(adapted.score(text), abs=1e-5)
    assert load_scorer(path).score("hi") == loaded.score("hi")
    assert get_scorer(str(path)).score(_texts()[0]) == loaded.score(_texts()[0])


def test_a_base_other_than_the_shipped_model_is_embedded(base, tmp_path):
    other = LearnedScorer.from_dict(base.to_dict())
    other.partial_fit(["Explain the orbital resonance of moons."] * 3, [1.0] * 3)
    learner = FeedbackLearner(other)
    learner.update(_records(other, 100))
    path = learner.scorer().save(tmp_path / "m.json")
    data = json.loads(path.read_text())
    assert data["base"]["embedded"]["format"] == "langroute.learned-scorer"
    loaded = FeedbackScorer.load(path)
    text = _prompt(ORBITAL, random.Random(1))
    assert loaded.base.score(text) == pytest.approx(other.score(text), abs=1e-5)
    assert loaded.score(text) == pytest.approx(learner.scorer().score(text), abs=1e-5)


def test_a_heuristic_base_is_referenced_by_name(tmp_path):
    heuristic = HeuristicScorer()
    learner = FeedbackLearner(heuristic)
    records = []
    rng = random.Random(0)
    for i in range(60):
        text = _prompt(ORBITAL if i % 2 else PASTRY, rng)
        score = heuristic.explain(text)
        model = MODELS[i % 2]
        records.append({"model": model, "candidates": MODELS, "score": score.value, "propensity": 0.5,
                        "features": featurize(as_conversation(text)), "outcome": float(i % 3 == 0)})  # fmt: skip
    learner.update(records)
    path = learner.scorer().save(tmp_path / "h.json")
    assert json.loads(path.read_text())["base"] == {"name": "heuristic"}
    assert isinstance(FeedbackScorer.load(path).base, HeuristicScorer)


def test_a_base_that_cannot_be_saved_raises_and_writes_nothing(adapted, tmp_path):
    custom = FeedbackScorer(
        HeuristicScorer(weights={"bias": 1.0}),
        buckets=adapted.buckets,
        linear=adapted.linear,
        mass=adapted.mass,
        residual=adapted.residual,
        prior_mass=adapted.prior_mass,
        pooled_mass=adapted.pooled_mass,
        gain_knots=adapted.gain_knots,
        score_knots=adapted.score_knots,
        records=1,
    )
    with pytest.raises(ConfigError, match="only a LearnedScorer or the default HeuristicScorer"):
        custom.save(tmp_path / "x.json")
    assert not (tmp_path / "x.json").exists()


def _corrupt(data: dict[str, Any], path: tuple[str, ...], value: object) -> dict[str, Any]:
    copy = json.loads(json.dumps(data))
    target = copy
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return copy


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("format",), "langroute.learned-scorer", "not a langroute feedback-scorer model"),
        (("version",), 99, "version 99 is not supported"),
        (("base", "sha256"), "0" * 64, "another release's pretrained model"),
        (("features", "buckets"), "many", "features.buckets"),
        (("tables", "mass"), [[1.0]], "tables.mass: expected 2 rows"),
        (("linear",), [1.0], "linear: expected 2 values"),
        (("calibration", "gain"), [1.0, 0.0], "gain knots sorted"),
        (("prior_mass",), -1.0, "prior_mass"),
        (("records",), KeyError, "corrupt feedback-scorer model"),
    ],
)
def test_corrupt_or_foreign_content_raises_input_error_naming_the_file(adapted, tmp_path, path, value, message):
    data = _corrupt(adapted.to_dict(), path, value)
    file = tmp_path / "bad.json"
    file.write_text(json.dumps(data))
    with pytest.raises(InputError, match=message) as caught:
        FeedbackScorer.load(file)
    assert str(file) in str(caught.value)


@pytest.mark.parametrize("content", [b"", b"{not json", b"\xff\xfe", b"[1, 2]", b'{"format": "something-else"}'])
def test_files_that_are_not_models_raise_input_error_naming_the_file(tmp_path, content):
    file = tmp_path / "odd.json"
    file.write_bytes(content)
    for reader in (FeedbackScorer.load, load_scorer):
        with pytest.raises(InputError) as caught:
            reader(file)
        assert str(file) in str(caught.value)


def test_load_scorer_reads_a_learned_scorer_too(base, tmp_path):
    path = base.save(tmp_path / "learned.json")
    loaded = load_scorer(path)
    assert isinstance(loaded, LearnedScorer)
    assert loaded.score("hello") == base.score("hello")


def test_get_scorer_names_the_choices_and_refuses_options_with_a_file(adapted, tmp_path):
    with pytest.raises(ConfigError, match=r"unknown scorer 'nope'.*or the path of a saved model"):
        get_scorer("nope")
    path = adapted.save(tmp_path / "a.json")
    with pytest.raises(ConfigError, match="takes no options"):
        get_scorer(str(path), buckets=3)


def test_learning_over_an_adapted_scorer_starts_from_its_base(adapted, base):
    learner = FeedbackLearner(adapted)
    assert learner.base is adapted.base
    assert learner.scorer() is adapted.base


def test_save_is_atomic_a_failed_save_keeps_the_old_file(adapted, tmp_path):
    path = adapted.save(tmp_path / "a.json")
    before = path.read_bytes()
    broken = FeedbackScorer.from_dict(adapted.to_dict())
    broken.linear = (float("nan"), 0.0)
    with pytest.raises(ConfigError, match="not finite"):
        broken.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in Path(tmp_path).iterdir()] == ["a.json"]
