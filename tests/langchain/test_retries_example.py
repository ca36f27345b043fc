"""examples/retries_and_fallback.py runs offline and shows fallback_on keeping retries from multiplying."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_retries_example_counts():
    env = {**{k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "examples/retries_and_fallback.py"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    counts = [line.split("small=")[1] for line in out.stdout.splitlines() if "small=" in line]
    assert counts == [
        "3 large=3  -> raised AllCandidatesFailedError[ModelConnectionError]",
        "3 large=0  -> raised ModelConnectionError",
        "1 large=1  -> large answers",
        "2 large=0  -> small answers",
        "1 large=1  -> large answers",
        "3 large=0  -> raised ModelConnectionError",
    ]
    assert out.stderr == ""
