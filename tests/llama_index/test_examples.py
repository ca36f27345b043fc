"""The LlamaIndex examples run offline (stand-in models) and print the routes they promise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(name: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-W", "ignore", str(ROOT / "examples" / name)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize(
    "name", ["llama_index_agent.py", "llama_index_query.py", "llama_index_structured.py", "llama_index_routing.py"]
)
def test_example_opens_with_what_it_shows_and_how_to_run_it(name):
    text = (ROOT / "examples" / name).read_text()
    assert text.startswith('"""')
    assert f"python examples/{name}" in text.split('"""')[1]


def test_agent_example():
    out = _run("llama_index_agent.py")
    assert "  [langroute] -> small (score=" in out
    assert "agent: Hello! Ask me about the weather." in out
    assert "  tool get_weather({'city': 'Paris'}) -> sunny and 21 C in Paris" in out
    assert out.count("  [langroute] -> large (score=0.90") == 1  # the tool call turn
    assert "  [langroute] -> large (sticky; sticky: tool loop: large issued the tool calls)" in out  # the final one


def test_query_example():
    out = _run("llama_index_query.py")
    assert "   routed to small (score=" in out
    assert "   routed to large (score=0.90" in out
    assert "A: text text text text text text" in out
    assert "LLM calls seen by the legacy handler: 2" in out


def test_structured_example():
    out = _run("llama_index_structured.py")
    assert "structured response: {'city': 'Paris', 'sunny': True, 'temperature_c': 21}" in out
    assert "answered by small; calls: small=3, large=0 (the policy retried small)" in out
    assert "  [langroute] -> large, fallback from small" in out
    assert "answered by large; calls: small=1, large=1 (the router fell back)" in out


def test_routing_example_prints_tasks_the_sticky_loop_and_the_money_table():
    out = _run("llama_index_routing.py")
    weather = out.split("user: What is the weather in Oslo?\n")[1].split("user:")[0]
    assert weather.splitlines()[:2] == ["  [langroute] -> mini (score=0.10)", "  [langroute] -> mini (sticky)"]
    assert "  [langroute] -> large (task=legal)" in out
    assert "  [langroute] -> large (score=0.90)" in out
    table = out.split("\n\n")[-1].splitlines()
    assert table[0].split() == [
        "model",
        "calls",
        "share",
        "fallbacks",
        "errors",
        "escalated",
        "in",
        "tok",
        "out",
        "tok",
        "cost",
        "$",
    ]
    assert table[2].split()[:3] == ["mini", "3", "60%"]
    assert table[3].split()[:3] == ["large", "2", "40%"]
    assert table[-1].startswith("cost $0.0007 vs $0.0017 always on large: saved $0.0010 (58%, an estimate)")
