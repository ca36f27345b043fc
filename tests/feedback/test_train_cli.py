"""``langroute train --from-store URL --out FILE``: adapt the scorer from a feedback store through the real CLI."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from langroute import LearnedScorer, Router
from langroute.cli import main
from langroute.feedback import FeedbackScorer, FeedbackStore

from .test_learner import MODELS, ORBITAL, PASTRY, _prompt


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite store of 240 routed calls with outcomes: orbital prompts need the large model, pastry ones do not."""
    path = str(tmp_path_factory.mktemp("store") / "feedback.db")
    rng = random.Random(0)
    with FeedbackStore(path) as store:
        router = Router(MODELS, scorer=LearnedScorer.pretrained(), feedback=store, explore=0.2, seed=0)
        for i in range(240):
            orbital = i % 2 == 0
            decision = router.decide(_prompt(ORBITAL if orbital else PASTRY, rng))
            router.record_feedback(decision.id, 0.0 if orbital and decision.model == "small" else 1.0)
        router.decide("one more call, no feedback")
    return path


def test_train_from_store_writes_an_adapted_scorer_the_cli_loads(store_path, tmp_path, capsys):
    out = tmp_path / "adapted.json"
    assert main(["train", "--from-store", store_path, "--out", str(out), "--batch", "50", "--progress"]) == 0
    captured = capsys.readouterr()
    assert "learned from 240 of 240 labelled records (skipped: none)" in captured.out
    assert f"saved to {out}" in captured.out
    assert "learning from the store" in captured.err  # the progress bar, forced on by --progress
    assert "240/240" in captured.err
    data = json.loads(out.read_text())
    assert (data["format"], data["version"], data["records"]) == ("langroute.feedback-scorer", 1, 240)
    scorer = FeedbackScorer.load(out)
    rng = random.Random(9)
    orbital = [scorer.score(_prompt(ORBITAL, rng)) for _ in range(10)]
    pastry = [scorer.score(_prompt(PASTRY, rng)) for _ in range(10)]
    assert min(orbital) > max(pastry)
    # the other commands take it as --scorer
    data_file = tmp_path / "eval.jsonl"
    rows = [
        {"prompt": _prompt(ORBITAL if i % 2 else PASTRY, rng), "weak_correct": i % 2 == 0, "strong_correct": True}
        for i in range(20)
    ]
    data_file.write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert main(["eval", "--data", str(data_file), "--scorer", str(out)]) == 0
    table = capsys.readouterr().out
    assert f"| {out} | 20 | 0.750" in table


def test_batches_of_any_size_learn_the_same_model(store_path, tmp_path):
    small, large = tmp_path / "small.json", tmp_path / "large.json"
    assert main(["train", "--from-store", store_path, "--out", str(small), "--batch", "7"]) == 0
    assert main(["train", "--from-store", store_path, "--out", str(large)]) == 0
    assert json.loads(small.read_text()) == json.loads(large.read_text())


def test_base_can_be_a_saved_learned_model(store_path, tmp_path, capsys):
    base = LearnedScorer.pretrained()
    base_path = base.save(tmp_path / "base.json")
    out = tmp_path / "adapted.json"
    assert main(["train", "--from-store", store_path, "--out", str(out), "--base", str(base_path)]) == 0
    assert "adapted LearnedScorer" in capsys.readouterr().out
    assert json.loads(out.read_text())["base"]["pretrained"] == "learned"  # same weights as the shipped model


def test_an_adapted_scorer_is_refused_as_base(store_path, tmp_path, capsys):
    out = tmp_path / "adapted.json"
    assert main(["train", "--from-store", store_path, "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["train", "--from-store", store_path, "--out", str(tmp_path / "b.json"), "--base", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--base" in err
    assert "an adapted (feedback) scorer" in err
    assert not (tmp_path / "b.json").exists()


def test_a_store_without_usable_records_writes_nothing(tmp_path, capsys):
    path = str(tmp_path / "empty.db")
    FeedbackStore(path).close()
    out = tmp_path / "model.json"
    assert main(["train", "--from-store", path, "--out", str(out)]) == 1
    assert "nothing to learn from: 0 labelled record(s) read" in capsys.readouterr().out
    assert not out.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from-store", "nosuch://x", "--out", "m.json"], "nosuch://x"),
        (["--from-store", "{store}", "--out", "m.json", "--epochs", "3"], "--epochs: options of 'train --data'"),
        (["--from-store", "{store}", "--out", "m.json", "--batch", "0"], "--batch 0: expected an integer >= 1"),
        (["--from-store", "{store}", "--out", "m.json", "--base", "nope"], "--base 'nope': not a registered scorer"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(store_path, tmp_path, capsys, argv, message):
    argv = [a.replace("{store}", store_path) for a in argv]
    argv = [str(tmp_path / a) if a == "m.json" else a for a in argv]
    assert main(["train", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert not Path(tmp_path / "m.json").exists()


def test_data_and_from_store_are_exclusive(store_path, tmp_path, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["train", "--from-store", store_path, "--data", "x.jsonl", "--out", str(tmp_path / "m.json")])
    assert caught.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
