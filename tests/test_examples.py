"""Every example runs offline as documented, and the demo prints its table."""

from __future__ import annotations

import os
import re
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
    decisions = [line for line in out.splitlines() if "(score " in line]
    assert len(decisions) == 2
    assert decisions[0].startswith("small ")
    assert out.count("[stand-in ") == 2


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
    assert " small " not in rows["proof"]
    assert "traffic per model" in out
    assert "always on large: saved $" in out
    assert "(example prices per 1M input/output tokens, not quotes:" in out


def test_demo_rejects_a_single_model():
    from langroute.cli import main

    assert main(["demo", "--models", "openai:gpt-4o-mini"]) == 2


def test_routing_by_task_example_sends_each_request_where_it_belongs_and_prints_the_saving():
    out = _run("examples/routing_by_task.py")
    rows = {line[:14].strip(): line[15:23].strip() for line in out.splitlines()[1:6]}  # request -> model
    assert rows == {
        "greeting": "mini",
        "code": "coder",
        "contract": "premium",
        "image": "vision",
        "long document": "premium",  # long prompts score high with the default scorer; both skip the small windows
    }
    assert "skipped mini (no vision: the request has images)" in out
    assert "skipped mini (context window 2000" in out
    assert "always on premium: saved $" in out


def test_agent_sticky_cascade_example_keeps_the_loop_and_rescues_the_answer():
    out = _run("examples/agent_sticky_cascade.py")
    assert (
        "-> large: sticky: tool loop: small issued the tool calls; escalated: small's answer failed empty_answer" in out
    )
    assert "ai: It is 18°C and sunny in Lisbon: take sunglasses." in out


def test_shadow_mode_example_prints_the_would_be_saving():
    out = _run("examples/shadow_mode.py")
    assert out.count("answered by large ") == 6
    assert re.search(r"shadow mode: routing would send small \d+%.* and save \$", out)


def test_agent_middleware_example_reports_every_step():
    out = _run("examples/agent_middleware.py")
    assert out.count("  step -> ") == 4
    assert "ai: Lisbon and Porto: 18°C and sunny. Enjoy!  [large]" in out


def test_feedback_loop_example_records_both_outcomes():
    out = _run("examples/feedback_loop.py")
    assert "score 1.0  comment 'thumbs up'" in out
    assert "score 0.0  comment 'wrong city'" in out
