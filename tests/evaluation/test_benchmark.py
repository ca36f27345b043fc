"""The quality benchmark runs end to end on a tiny sample (the real run is documented in benchmarks/README.md)."""

import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name):
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCHMARKS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_quality_benchmark_on_a_tiny_sample(tmp_path, capsys):
    pytest.importorskip("numpy")
    quality = _load("quality")
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{quality.MARK_START}\nPREVIOUS-TABLE\n{quality.MARK_END}\nafter\n")
    args = ["--sample", "120", "--folds", "3", "--epochs", "5", "--resamples", "3", "--readme", str(readme)]
    assert quality.main(args) == 0
    out = capsys.readouterr().out
    assert "| mmlu (3-fold CV) | LearnedScorer (CV) | 120 |" in out
    assert "LearnedScorer.pretrained()" in out
    text = readme.read_text()
    assert text.startswith("before\n")
    assert text.endswith("after\n")
    assert "PREVIOUS-TABLE" not in text


def test_holdout_split_keeps_subjects_whole():
    recipe = _load("train_pretrained")
    records = recipe.dev_records()
    train, held_out = recipe.holdout_split(records)
    assert len(train) + len(held_out) == len(records)
    held_subjects = {r.domain for r in held_out if r.dataset == "mmlu"}
    assert held_subjects
    assert not held_subjects & {r.domain for r in train if r.dataset == "mmlu"}
    assert not {r.prompt for r in held_out} & {r.prompt for r in train}
