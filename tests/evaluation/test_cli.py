import json

import pytest

from langroute.cli import main

EASY = ["hi", "thanks!", "what is the capital of Peru?", "hello there", "translate cat to French", "ok bye"]
HARD = [
    "Prove that the sum of the first n odd numbers is n squared, by induction, step by step.",
    "Design and implement a thread-safe LRU cache in Python with unit tests and a complexity analysis.",
    "Derive the closed form of the Fibonacci numbers from the characteristic equation and prove it.",
    "Explain the trade-offs of Raft versus Paxos and implement leader election in Go.",
]


@pytest.fixture
def data(tmp_path):
    path = tmp_path / "records.jsonl"
    rows = [{"prompt": p, "weak_correct": True, "strong_correct": True} for p in EASY]
    rows += [{"prompt": p, "weak_correct": False, "strong_correct": True} for p in HARD]
    rows += [{"prompt": "Compute 17 * 23.", "weak_score": 0.5, "strong_score": 1.0, "dataset": "graded"}]
    rows += [{"prompt": "Say hi.", "weak_score": 1.0, "strong_score": 0.75, "dataset": "graded"}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def test_train_then_eval_then_calibrate_end_to_end(data, tmp_path, capsys):
    model = tmp_path / "model.json"
    assert main(["train", "--data", str(data), "--out", str(model), "--epochs", "30"]) == 0
    assert "trained on 12 records" in capsys.readouterr().out
    assert json.loads(model.read_text())["format"] == "langroute.learned-scorer"

    assert main(["eval", "--data", str(data), "--scorer", str(model), "--resamples", "20", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["dataset"] for row in rows] == ["records", "graded"]
    assert rows[0]["metrics"]["apgr"] == pytest.approx(0.8)  # the oracle's APGR: it ranks the 4 hard ones first
    assert set(rows[0]["intervals"]) == {"apgr", "cpt50", "cpt80", "saving"}

    assert main(["calibrate", "--data", str(data), "--scorer", str(model), "--shares", "0.5,0.5"]) == 0
    out = capsys.readouterr().out
    threshold = float(out.strip().splitlines()[-1])
    assert 0.0 < threshold < 1.0


def test_eval_prints_a_table_and_draws_a_plot(data, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "curve.png"
    assert main(["eval", "--data", str(data), "--scorer", "heuristic", "--resamples", "10", "--plot", str(plot)]) == 0
    captured = capsys.readouterr()
    assert "| dataset | scorer | n | APGR | CPT(50%) | CPT(80%) | saving @ 95% of strong |" in captured.out
    assert "| records | heuristic | 10 |" in captured.out
    assert plot.read_bytes().startswith(b"\x89PNG")
    assert captured.err == ""  # no progress bar when stderr is not a terminal


def test_json_output_stays_json_with_a_plot(data, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "curve.png"
    assert main(["eval", "--data", str(data), "--resamples", "0", "--json", "--plot", str(plot)]) == 0
    captured = capsys.readouterr()
    assert [row["scorer"] for row in json.loads(captured.out)] == ["transfer", "transfer"]  # the default scorer
    assert "plot written to" in captured.err


def test_progress_bar_on_request(data, capsys):
    assert main(["eval", "--data", str(data), "--resamples", "0", "--progress"]) == 0
    assert "scoring with transfer [" in capsys.readouterr().err


def test_malformed_line_names_file_and_line_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "a", "weak_correct": true, "strong_correct": false}\n{"prompt": "b"}\n')
    out = tmp_path / "model.json"
    assert main(["train", "--data", str(bad), "--out", str(out)]) == 2
    assert f"{bad}:2: " in capsys.readouterr().err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]


def test_unknown_scorer_lists_the_choices(data, capsys):
    assert main(["eval", "--data", str(data), "--scorer", "nope"]) == 2
    assert "not a registered scorer (heuristic, learned, transfer)" in capsys.readouterr().err


def test_bad_shares_are_reported(data, capsys):
    assert main(["calibrate", "--data", str(data), "--shares", "0.7,0.7"]) == 2
    assert "sum to 1.4" in capsys.readouterr().err
