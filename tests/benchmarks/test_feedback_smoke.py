"""`benchmarks/feedback.py` runs end to end on a tiny simulation and reports every method (no quality asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_tiny_simulation_reports_curves_stream_numbers_and_a_plot(tmp_path):
    pytest.importorskip("matplotlib")
    out_json, out_png = tmp_path / "feedback.json", tmp_path / "curves.png"
    command = [sys.executable, "benchmarks/feedback.py", "--tiny", "--json", str(out_json), "--plot", str(out_png)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Command: `python benchmarks/feedback.py --tiny")
    assert "| bandit (FeedbackLearner) | " in result.stdout
    assert "| naive bandit labels | " in result.stdout
    summary = json.loads(out_json.read_text())["summary"]
    assert set(summary) == {"mmlu", "gsm8k"}
    methods = summary["mmlu"]["methods"]
    assert set(methods) == {
        "no learning",
        "bandit (FeedbackLearner)",
        "full information (FeedbackLearner)",
        "refit from scratch (full info)",
        "partial_fit (full info)",
        "naive bandit labels",
        "oracle",
    }
    for entry in methods.values():
        assert list(entry["curve"]) == ["0", "30", "60"]
        assert all(0.0 <= mean <= 2.0 for mean, _ in entry["curve"].values())
    assert methods["bandit (FeedbackLearner)"]["curve"]["0"] == methods["no learning"]["curve"]["0"]
    stream = methods["bandit (FeedbackLearner)"]["stream"]
    assert 0.0 <= stream["strong_share"][0] <= 1.0
    assert 0.0 < stream["cost_vs_strong"][0] <= 1.0
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
