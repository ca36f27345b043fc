"""`benchmarks/load.py` in a tiny configuration: every call answers or raises and the stats add up (no timing asserted).

The script checks its own invariants against the fake candidates' ledger and exits 1 when one fails; these tests
run it on 30 calls a scenario and read what it reports.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = "ainvoke,batch,astream,stream,llama,latency,memory"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "benchmarks/load.py", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    out = _run("--calls", "30", "--rounds", "1", "--latency", "0.005", "--only", SCENARIOS, "--json")
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return json.loads(out.stdout)


def test_every_scenario_answers_or_raises_every_call_and_its_stats_add_up(report):
    scenarios = {s["scenario"].split(" x")[0]: s for s in report["scenarios"]}
    assert set(scenarios) == {
        "ainvoke",
        "batch",
        "astream",
        "stream",
        "RouterLLM.achat",
        "RouterLLM.chat",
        "RouterLLM.astream_chat",
    }
    for name, s in scenarios.items():
        assert s["ok"], [c for c in s["checks"] if not c[1]]
        assert (s["answered"] + s["raised"], s["pending"]) == (30, 0), name
        assert s["raised"] >= s["expected_raised"] > 0, name  # the seeded faults make some calls fail everywhere
        assert s["timeouts"] > 0, name  # hung candidates timed out and fell back
        assert s["first"] == {"large": 10, "medium": 10, "small": 10}, name
        checks = {check: ok for check, ok, _ in s["checks"]}
        for label in ("small", "medium", "large"):
            assert checks[f"{label}: calls + errors == invocations"], name
            assert checks[f"{label}: provider errors seen == injected"], name
        assert checks["stats: sum of calls == answered, failed == raised"], name
        assert checks["no thread left behind"], name
    for name in ("astream", "stream", "RouterLLM.astream_chat"):
        closed, opened = scenarios[name]["streams"].split("/")
        assert closed == opened != "0"


def test_latency_rows_compare_each_routed_variant_with_the_direct_call(report):
    rows = {(r["mode"].split(",")[0], r["variant"]): r for r in report["latency"]}
    for mode in ("async", "sync"):
        assert rows[(mode, "direct")]["added_p50_ms"] is None
        for variant in ("routed", "routed, timeout=30", "routed, RoutingStats", "routed, timeout=30, RoutingStats"):
            row = rows[(mode, variant)]
            assert row["p50_ms"] > 0
            assert row["added_p50_ms"] is not None
    assert {m["scenario"].split(" x")[0] for m in report["memory"]} == {"ainvoke", "batch"}
    assert all(m["peak_kb_per_call"] > 0 for m in report["memory"])
    assert report["command"].startswith("python benchmarks/load.py --calls 30")
    assert report["machine"]["cores"] >= 1


def test_text_report_prints_the_command_the_machine_and_a_markdown_table():
    out = _run("--calls", "6", "--only", "ainvoke")
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "command: python benchmarks/load.py --calls 6 --only ainvoke"
    assert re.match(r"machine: .+, \d+ cores, load [\d.]+, Python 3\.\d+", lines[1])
    assert re.search(r"^\| ainvoke x6 concurrent +\| +\d+ \| +\d+ \|.*\| \d+/\d+ ok \|$", out.stdout, re.MULTILINE)
    assert "all checks ok" in out.stdout


def test_bad_arguments_are_errors_that_say_what_is_expected():
    out = _run("--fail", "0.8", "--hang", "0.5")
    assert out.returncode == 2
    assert "--fail 0.8 and --hang 0.5: need two shares in [0, 1] whose sum is at most 1" in out.stderr
    out = _run("--only", "nope")
    assert out.returncode == 2
    assert "unknown scenario(s) ['nope']; choose from ['ainvoke'" in out.stderr
