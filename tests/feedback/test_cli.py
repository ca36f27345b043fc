"""``langroute feedback export | import | stats`` and ``langroute report`` through the real command line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from langroute.cli import main
from langroute.feedback import FeedbackStore

from .traffic import fill


@pytest.fixture
def filled(shared_url: str) -> str:
    with FeedbackStore(shared_url) as store:
        fill(store, 40)
    return shared_url


def test_stats_prints_counts_and_models(filled: str, capsys: pytest.CaptureFixture[str]):
    assert main(["feedback", "stats", "--store", filled]) == 0
    out = capsys.readouterr().out
    assert "decisions  40   results 40   outcomes 10 (on 10 decisions)" in out
    assert "dropped 0" in out
    lines = {line.split()[0]: line.split() for line in out.splitlines()[4:] if line.strip()}
    with FeedbackStore(filled) as store:
        models = store.stats()["models"]
    assert set(lines) == {"model", *models}
    for name, m in models.items():
        assert lines[name][1:5] == [str(m["decisions"]), f"{m['share']:.1%}", str(m["served"]), str(m["outcomes"])]


def test_stats_json(filled: str, capsys: pytest.CaptureFixture[str]):
    assert main(["feedback", "stats", "--store", filled, "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (stats["decisions"], stats["outcomes"], stats["dropped"]) == (40, 10, 0)
    assert sum(m["decisions"] for m in stats["models"].values()) == 40


def test_export_then_import_round_trips(filled: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    dump = tmp_path / "dump.jsonl"
    assert main(["feedback", "export", "--store", filled, "--out", str(dump)]) == 0
    assert '{"decisions": 40, "results": 40, "outcomes": 10}' in capsys.readouterr().err
    lines = [json.loads(line) for line in dump.read_text().splitlines()]
    assert [line["type"] for line in lines] == ["decision"] * 40 + ["result"] * 40 + ["outcome"] * 10
    assert all(line["text"] is None for line in lines[:40])  # the prompt was not kept

    copy = tmp_path / "copy.db"
    assert main(["feedback", "import", "--store", str(copy), str(dump)]) == 0
    assert main(["feedback", "import", "--store", str(copy), str(dump)]) == 0  # again: duplicates are skipped
    capsys.readouterr()
    assert main(["feedback", "export", "--store", str(copy)]) == 0
    assert capsys.readouterr().out == dump.read_text()
    with FeedbackStore(filled) as original, FeedbackStore(copy) as imported:
        assert list(imported.labelled()) == list(original.labelled())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"type": "decision", "id": "a", "model": "small"}\nnot json\n', r"dump\.jsonl:2: invalid JSON"),
        ('{"type": "decision", "id": "a", "model": "small"}\n[1]\n', r"dump\.jsonl:2: expected one JSON object"),
        ('\n{"type": "vote", "id": "a"}\n', r"dump\.jsonl:2: type='vote'"),
        ('{"type": "decision", "id": "a"}\n', r"dump\.jsonl:1: decision record model=None"),
        (
            '{"type": "decision", "id": "a", "model": "m"}\n{"type": "outcome", "id": "b", "score": 1, "time": 5}\n',
            r"dump\.jsonl:2: record_outcome: unknown decision id 'b'",
        ),
        ('{"type": "outcome", "id": "a", "score": 2, "time": 5}\n', r"dump\.jsonl:1: record_outcome: score=2"),
        ('{"type": "result", "id": "a", "tokens": 5}\n', r"dump\.jsonl:1: record_result: unknown field\(s\)"),
    ],
)
def test_import_errors_name_the_file_and_line_and_import_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
):
    dump = tmp_path / "dump.jsonl"
    dump.write_text(content)
    store = tmp_path / "feedback.db"
    assert main(["feedback", "import", "--store", str(store), str(dump)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("langroute feedback: error: ")
    assert re.search(message, err), err
    with FeedbackStore(store) as opened:
        assert opened.stats()["decisions"] == 0  # one transaction: nothing of the file was imported


def test_bad_store_url_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]):
    assert main(["feedback", "stats", "--store", "mysql://db"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "langroute feedback: error: FeedbackStore('mysql://db'): unknown URL scheme 'mysql'; use None (in memory), "
        "'sqlite:///path.db', a plain file path or 'postgresql+psycopg://user:password@host/db'\n"
    )


def test_report_command_writes_the_page(filled: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    pytest.importorskip("matplotlib")
    out = tmp_path / "site" / "report.html"
    assert main(["report", "--store", filled, "--out", str(out), "--buckets", "6", "--title", "Loop & co"]) == 0
    assert capsys.readouterr().out == f"wrote {out}\n"
    page = out.read_text()
    assert "<title>Loop &amp; co</title>" in page
    assert page.count("<svg") == 5
    assert "6 time buckets" in page
