"""`quality.py --leave-task-out` on a tiny sample; the shipped TransferScorer is what its recipe trains."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from langroute.scorers.transfer import TransferScorer

ROOT = Path(__file__).resolve().parents[2]
FAMILIES = [
    *(f"mmlu/{g}" for g in ("stem", "business", "medicine", "humanities", "other", "social", "law")),
    "gsm8k",
    *(f"dcrouter/{t}" for t in ("agentverse-mgsm", "commongen", "natural_qa", "mmlu", "mbpp", "gsm8k")),
    *(f"dcrouter/{t}" for t in ("commonsense_qa", "arc_challenge")),
]


def test_leave_task_out_reports_every_family_for_each_scorer(tmp_path: Path) -> None:
    plot = tmp_path / "families.png"
    command = [
        sys.executable,
        "benchmarks/quality.py",
        "--leave-task-out",
        "--sample",
        "30",
        "--resamples",
        "5",
        "--random-seeds",
        "3",
        "--only",
        "length",
        "--only",
        "TransferScorer (consistent features)",
        "--plot",
        str(plot),
    ]
    out = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    summary = re.search(r"\| scorer \| mean APGR .*?\n\n", text, re.DOTALL)
    assert summary, text
    names = [line.split(" | ")[0].lstrip("| ") for line in summary.group(0).splitlines()[2:] if line]
    assert names == ["random", "length", "TransferScorer (consistent features)"]
    saving = text.split("Saving @ 95% of the strong model's quality, every family")[1].split("\n\n")[1]
    assert [line.split(" | ")[0].lstrip("| ") for line in saving.splitlines()[2:]] == FAMILIES
    assert "LearnedScorer.pretrained()" not in summary.group(0)  # --only leaves it out
    assert plot.stat().st_size > 10_000
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_the_shipped_weights_are_what_the_recipe_trains() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from train_transfer import all_records, features, fit_consistent
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    records = all_records()
    trained = fit_consistent(records, features(records))
    shipped = TransferScorer.pretrained()
    assert trained.to_dict()["features"] == shipped.to_dict()["features"]
    assert trained.to_dict()["output"] == shipped.to_dict()["output"]
