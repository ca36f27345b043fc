"""`benchmarks/overhead.py` runs and prints its table (a smoke run: a few iterations, no timing asserted)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROW = re.compile(r"^\| (\S+) +\| (\S+) +\| (.+?) +\| (.+?) +\| +([\d.-]+) \| +([\d.-]+) \| +([\d.-]+) \| (.*)\|$")


def _run(*args: str) -> str:
    command = [sys.executable, "benchmarks/overhead.py", "--quick", *args]
    out = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_table_has_the_routed_rows_beside_the_direct_call_for_each_prompt_size():
    out = _run("--only", "invoke,scorer,import,memory")
    assert out.startswith("command: python benchmarks/overhead.py --quick --only invoke,scorer,import,memory\n")
    assert re.search(r"^machine: .+, \d+ cores, Python 3\.\d+", out, re.MULTILINE)
    assert "packages: langchain-core " in out
    rows = [ROW.match(line) for line in out.splitlines() if line.startswith("| ") and "variant" not in line]
    assert all(rows), out
    cells = {(m[1], m[3].strip(), m[4].strip()): m for m in rows if m}
    for size in ("2 B", "2 KB", "100 KB"):
        assert cells[("invoke", size, "direct GenericFakeChatModel")][7] == "1.00"
        for variant in (
            "RouterChatModel (HeuristicScorer)",
            "RouterChatModel (forced route)",
            "RouterChatModel (RuleClassifier + 3 candidates)",
            "RouterChatModel (everything on)",
            "RunnableBranch",
        ):
            assert float(cells[("invoke", size, variant)][7]) > 0
    for size in ("100 B", "2 KB", "100 KB", "1 MB"):
        assert float(cells[("scorer", size, "HeuristicScorer")][5]) > 0
    assert "no framework loaded" in cells[("import", "-", "import langroute (median of 3)")][8]
    assert "retained: RouterChatModel.invoke" in out


def test_json_output_lists_the_rows_and_the_machine():
    report = json.loads(_run("--only", "scorer", "--json"))
    assert report["command"] == "python benchmarks/overhead.py --quick --only scorer --json"
    assert report["machine"]["cores"] >= 1
    assert {row["size"] for row in report["rows"] if row["variant"] == "HeuristicScorer"} == {
        "2 B",
        "100 B",
        "2 KB",
        "100 KB",
        "1 MB",
    }


def test_unknown_section_is_an_error_that_lists_the_choices():
    out = subprocess.run(
        [sys.executable, "benchmarks/overhead.py", "--only", "nope"], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 2
    assert "unknown section(s) ['nope']; choose from ['invoke'" in out.stderr


def test_inloop_reports_the_scorer_inside_invoke_cold_and_warm_for_each_prompt_size():
    report = json.loads(_run("--only", "inloop", "--json"))
    rows = {(row["size"], row["variant"]): row for row in report["rows"]}
    for size in ("2 B", "2 KB", "100 KB"):
        for variant in ("inside invoke", "after another variant", "again at once (warm)"):
            assert rows[(size, f"HeuristicScorer.rate {variant}")]["p50_us"] > 0


def test_readme_option_writes_the_table_between_the_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# B\n\nbefore\n<!-- overhead:start -->\nold table\n<!-- overhead:end -->\nafter\n")
    _run("--only", "scorer", "--readme", str(readme))
    text = readme.read_text()
    assert text.startswith("# B\n\nbefore\n<!-- overhead:start -->\nCommand: `python benchmarks/overhead.py --quick")
    assert "old table" not in text
    assert "| scorer  | score       | 2 KB   | HeuristicScorer " in text
    assert text.endswith("\n<!-- overhead:end -->\nafter\n")
