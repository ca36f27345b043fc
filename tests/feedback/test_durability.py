"""Nothing acknowledged is lost: SIGKILL a process in the middle of writes, then reopen its store."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from langroute.feedback import FeedbackStore

_WRITER = textwrap.dedent(
    """
    import itertools, sys
    from langroute.feedback import FeedbackStore

    store = FeedbackStore(sys.argv[1], flush_interval=0.005, batch_size=20)
    for i in itertools.count():
        key = f"k{i:06d}"
        store.record_decision({"id": key, "model": "small", "candidates": ["small", "large"], "score": 0.5,
                               "features": {"h": list(range(64))}, "prices": {"small": [0.1, 0.2]}})
        store.record_result(key, served="small", input_tokens=100, output_tokens=20)
        for j in range(5):  # background traffic, so the kill may land in the middle of a batch too
            store.record_decision({"id": f"{key}-{j}", "model": "large", "features": {"h": [j] * 64}})
        if i % 2 == 0:
            store.record_outcome(key, (i % 5) / 4, comment=f"outcome of {key}")
            print(key, flush=True)  # acknowledged: record_outcome has returned
    """
)
_ACKNOWLEDGED_BEFORE_KILL = 120


def test_sigkill_mid_write_loses_no_acknowledged_outcome(shared_url: str, tmp_path: Path):
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(repo), os.environ.get("PYTHONPATH")]))}
    child = subprocess.Popen(
        [sys.executable, str(script), shared_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    acknowledged: list[str] = []
    try:
        assert child.stdout is not None
        for line in child.stdout:
            acknowledged.append(line.strip())
            if len(acknowledged) == _ACKNOWLEDGED_BEFORE_KILL:
                os.kill(child.pid, signal.SIGKILL)
                break
        rest, errors = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert len(acknowledged) == _ACKNOWLEDGED_BEFORE_KILL, errors
    assert child.returncode == -signal.SIGKILL
    acknowledged += [line for line in rest.splitlines(keepends=True) if line.endswith("\n")]
    acknowledged = [key.strip() for key in acknowledged]

    if not shared_url.startswith("postgresql"):
        check = sqlite3.connect(shared_url)
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        check.close()
    with FeedbackStore(shared_url) as store:  # the store opens
        outcomes = {o["id"]: o for o in store.outcomes()}
        assert set(acknowledged) <= set(outcomes), sorted(set(acknowledged) - set(outcomes))[:5]
        for key in acknowledged:
            index = int(key[1:])
            assert outcomes[key]["score"] == (index % 5) / 4
            assert outcomes[key]["comment"] == f"outcome of {key}"
        # no partial rows: every stored record reads back whole
        decisions = list(store.decisions())
        assert decisions, "no decision was written"
        for record in decisions:
            assert record["features"]["h"] == (
                list(range(64)) if "-" not in record["id"] else [int(record["id"][-1])] * 64
            )
            assert record["model"] == ("large" if "-" in record["id"] else "small")
        labelled = list(store.labelled())
        assert {row["id"] for row in labelled} == set(outcomes)  # every outcome has its decision
        assert all(row["served"] == "small" and row["input_tokens"] == 100 for row in labelled)
        assert [row["seq"] for row in labelled] == sorted(row["seq"] for row in labelled)
        store.record_decision({"id": "after", "model": "small"})  # and it takes new writes
        store.record_outcome("after", 1.0)
        assert [o["id"] for o in store.outcomes(since=labelled[-1]["seq"])] == ["after"]


def test_queued_decisions_are_written_at_interpreter_exit(tmp_path: Path):
    path = tmp_path / "feedback.db"
    code = (
        "import sys; from langroute.feedback import FeedbackStore\n"
        "store = FeedbackStore(sys.argv[1], flush_interval=3600)\n"
        "for i in range(50): store.record_decision({'id': f'x{i}', 'model': 'small'})\n"
        "assert store.stats()['decisions'] == 0  # all still queued: the writer waits an hour\n"
    )
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, timeout=120)
    with FeedbackStore(path) as store:
        assert [d["id"] for d in store.decisions()] == [f"x{i}" for i in range(50)]
