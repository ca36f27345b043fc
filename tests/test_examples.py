"""Every example runs offline as documented, and the demo prints its table."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OFFLINE = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}


def _run(*args: str) -> str:
    env = {**OFFLINE, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_chain_example():
    out = _run("examples/chain.py")
    assert "small " in out
    assert "large " in out
    assert "[stand-in large]" in out


def test_agent_example_calls_the_tool_through_the_router():
    out = _run("examples/agent_langgraph.py")
    assert "18°C and sunny in Lisbon" in out
    assert "[routed to small" in out


def test_log_decisions_example():
    out = _run("examples/log_decisions.py")
    lines = [line for line in out.splitlines() if line.startswith("-> ")]
    assert len(lines) == 4
    assert lines[0].startswith("-> small")
    assert "score=forced" in lines[3]
    assert "calls" in out


@pytest.mark.parametrize("command", [["-m", "langroute", "demo"]])
def test_demo_prints_a_decision_table_and_shares(command):
    out = _run(*command)
    assert "offline stand-in" in out
    rows = {
        line.split()[0]: line for line in out.splitlines() if line.split() and line.split()[0] in ("greeting", "proof")
    }
    assert " small " in rows["greeting"]
    assert " large " in rows["proof"]
    assert "traffic per model" in out


def test_demo_rejects_a_single_model():
    from langroute.cli import main

    assert main(["demo", "--models", "openai:gpt-4o-mini"]) == 2
