"""FeedbackStore on every backend: records, validation, the background writer, paged reads, schema versions."""

from __future__ import annotations

import math
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from langroute.errors import ConfigError, InputError
from langroute.feedback import FeedbackStore
from langroute.feedback import _store_schema as schema
from langroute.feedback import store as store_module
from langroute.feedback._store_schema import MIGRATIONS

Open = Callable[..., FeedbackStore]


def decision(i: int | str, **fields: object) -> dict[str, object]:
    return {"id": f"d{i}", "model": "small", "candidates": ["small", "large"], "score": 0.25, **fields}


def test_decision_result_and_outcome_round_trip(store: FeedbackStore):
    record = decision(
        1,
        time=1000.5,
        scorer="learned",
        task="code",
        forced=False,
        explored=True,
        propensity=0.05,
        features={"h": [3, 17], "v": [0.5, -1.0]},
        prices={"small": [0.15, 0.6], "large": [3.0, 15.0]},
        reason="not a stored field",
    )
    assert store.record_decision(record) is True
    store.record_result("d1", served="large", input_tokens=120, output_tokens=40, escalated=True, failed=False)
    store.record_result("d1", cost_usd=0.00096)  # a later result merges with the first
    store.record_outcome("d1", 0.75, comment="good enough")

    (stored,) = list(store.decisions())
    assert stored == {
        "id": "d1",
        "time": 1000.5,
        "model": "small",
        "candidates": ["small", "large"],
        "score": 0.25,
        "scorer": "learned",
        "task": "code",
        "forced": False,
        "explored": True,
        "propensity": 0.05,
        "features": {"h": [3, 17], "v": [0.5, -1.0]},
        "prices": {"small": [0.15, 0.6], "large": [3.0, 15.0]},
        "text": None,
        "seq": 1,
    }
    (outcome,) = list(store.outcomes())
    assert outcome["id"] == "d1"
    assert (outcome["score"], outcome["comment"], outcome["seq"]) == (0.75, "good enough", 1)
    assert isinstance(outcome["time"], float)
    (row,) = list(store.labelled())
    assert row["outcome"] == 0.75
    assert row["score"] == 0.25  # the scorer's score, as in the decision record
    assert (row["model"], row["served"], row["escalated"], row["failed"]) == ("small", "large", True, False)
    assert (row["input_tokens"], row["output_tokens"], row["cost_usd"]) == (120, 40, 0.00096)
    assert (row["comment"], row["seq"], row["outcome_time"]) == ("good enough", 1, outcome["time"])


def test_no_prompt_text_unless_keep_text(open_store: Open):
    quiet = open_store()
    quiet.record_decision(decision(1, text="my secret prompt"))
    quiet.flush()
    assert next(quiet.decisions())["text"] is None
    quiet.close()
    keeping = open_store(keep_text=True)
    keeping.record_decision(decision(2, text="my secret prompt"))
    keeping.flush()
    assert [d["text"] for d in keeping.decisions()][-1] == "my secret prompt"


def test_sqlite_file_holds_no_prompt_text(tmp_path: Path):
    path = tmp_path / "feedback.db"
    with FeedbackStore(path) as store:
        store.record_decision(decision(1, text="my secret prompt"))
        store.record_outcome("d1", 1.0)
    for file in tmp_path.iterdir():
        assert b"my secret prompt" not in file.read_bytes(), file
    with FeedbackStore(path) as reopened:
        assert next(reopened.decisions())["id"] == "d1"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nope", 1.0), "unknown decision id 'nope'"),
        (("d1", 1.5), r"score=1\.5: expected a number in \[0, 1\]"),
        (("d1", -0.1), r"score=-0\.1: expected a number in \[0, 1\]"),
        (("d1", math.nan), r"score=nan: expected a number in \[0, 1\]"),
        (("d1", "1.0"), r"score='1\.0': expected a number"),
        (("d1", None), r"score=None: expected a number"),
        (("d1", 1.0, 3), r"comment=3: expected a string or None"),
        ((7, 1.0), r"id=7: expected the decision's id"),
    ],
)
def test_record_outcome_rejects_bad_input(store: FeedbackStore, args: tuple[object, ...], message: str):
    store.record_decision(decision(1))
    with pytest.raises(InputError, match=message):
        store.record_outcome(*args)  # type: ignore[arg-type]
    assert list(store.outcomes()) == []


def test_record_outcome_accepts_the_bounds_and_repeats(store: FeedbackStore):
    store.record_decision(decision(1))
    store.record_outcome("d1", 0)
    store.record_outcome("d1", True)  # a thumbs up given as a bool is 1.0
    assert [o["score"] for o in store.outcomes()] == [0.0, 1.0]


def test_outcome_writes_its_queued_decision_first(open_store: Open):
    store = open_store(flush_interval=3600)  # the writer would otherwise wait an hour
    store.record_decision(decision(1))
    store.record_result("d1", served="large")
    store.record_outcome("d1", 1.0)
    (row,) = list(store.labelled())
    assert (row["id"], row["served"], row["outcome"]) == ("d1", "large", 1.0)


def test_full_queue_drops_and_counts(open_store: Open):
    store = open_store(max_queue=3, flush_interval=3600)
    accepted = [store.record_decision(decision(i)) for i in range(10)]
    assert accepted == [True] * 3 + [False] * 7
    assert store.stats()["dropped"] == 7
    assert store.flush(timeout=60)
    stats = store.stats()
    assert (stats["decisions"], stats["dropped"], stats["queued"]) == (3, 7, 0)


def test_dropped_count_is_persisted(shared_url: str):
    with FeedbackStore(shared_url, max_queue=2, flush_interval=3600) as store:
        for i in range(5):
            store.record_decision(decision(i))
    with FeedbackStore(shared_url) as reopened:
        stats = reopened.stats()
        assert (stats["decisions"], stats["dropped"]) == (2, 3)


def test_a_decision_the_writer_cannot_store_is_dropped_and_counted(store: FeedbackStore, caplog):
    assert store.record_decision(decision(1, score="high")) is True  # checked by the writer, off the hot path
    store.record_decision(decision(2, features={"x": math.nan}))
    store.record_decision(decision(3))
    assert store.flush(timeout=60)
    assert [d["id"] for d in store.decisions()] == ["d3"]
    assert store.stats()["dropped"] == 2
    assert "score='high': expected a number" in caplog.text


def test_record_decision_and_result_check_their_names(store: FeedbackStore):
    with pytest.raises(InputError, match=r"id=None: expected a non-empty string"):
        store.record_decision({"model": "small"})
    with pytest.raises(InputError, match=r"unknown field\(s\) \['servd'\]"):
        store.record_result("d1", servd="small")
    with pytest.raises(InputError, match=r"input_tokens=-1: expected a non-negative integer"):
        store.record_result("d1", input_tokens=-1)
    with pytest.raises(InputError, match=r"unknown field\(s\) \['a', 'b'\]"):
        store.record_result("d1", served="small", b=1, a=2)
    with pytest.raises(InputError, match=r"id='': expected the decision's id"):
        store.record_result("", served="small")
    with pytest.raises(InputError, match=r"cost_usd=nan: expected a number"):
        store.record_result("d1", cost_usd=math.nan)
    with pytest.raises(InputError, match=r"escalated='yes': expected true or false"):
        store.record_result("d1", escalated="yes")
    with pytest.raises(InputError, match=r"served=3: expected a string"):  # checked in field order: served first
        store.record_result("d1", failed="no", served=3)


def test_result_rows_hold_every_field_in_its_stored_form():
    assert schema.result_row("d1", {"served": "small", "input_tokens": 3, "escalated": 0}) == {
        "served": "small",
        "input_tokens": 3,
        "output_tokens": None,
        "cost_usd": None,
        "escalated": False,
        "failed": None,
        "id": "d1",
    }
    row = schema.result_row("d2", {"cost_usd": 1, "failed": True, "output_tokens": None})
    assert list(row) == [*schema.RESULT_FIELDS, "id"]
    assert (row["cost_usd"], type(row["cost_usd"]), row["failed"], row["output_tokens"]) == (1.0, float, True, None)


def test_record_decision_does_not_wait_for_a_locked_database(tmp_path: Path):
    path = tmp_path / "feedback.db"
    with FeedbackStore(path) as store:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
        accepted = [store.record_decision(decision(i)) for i in range(100)]
        assert accepted == [True] * 100  # queued, although nothing can be written now
        assert store.stats()["queued"] == 100
        other.execute("ROLLBACK")
        other.close()
        assert store.flush(timeout=60)
        assert store.stats()["decisions"] == 100


def test_paged_reads_resume_from_a_cursor(store: FeedbackStore, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(store_module, "_PAGE", 3)  # several pages, and a limit that cuts a page
    for i in range(8):
        store.record_decision(decision(i, score=i / 10))
    for i in (5, 1, 7, 3, 0):
        store.record_outcome(f"d{i}", i / 10)
    everything = list(store.labelled())
    assert [r["id"] for r in everything] == ["d5", "d1", "d7", "d3", "d0"]  # outcome order
    assert [r["seq"] for r in everything] == [1, 2, 3, 4, 5]
    cursor, batches = 0, []
    while batch := list(store.labelled(since=cursor, limit=2)):
        batches.append([r["id"] for r in batch])
        cursor = batch[-1]["seq"]
    assert batches == [["d5", "d1"], ["d7", "d3"], ["d0"]]
    assert [d["id"] for d in store.decisions(since=6)] == ["d6", "d7"]
    assert [d["seq"] for d in store.decisions(limit=4)] == [1, 2, 3, 4]
    assert [o["id"] for o in store.outcomes(since=3)] == ["d3", "d0"]
    assert list(store.labelled(limit=0)) == []


def test_stats(store: FeedbackStore):
    for i, (model, explored) in enumerate([("small", False), ("small", True), ("large", False), ("small", False)]):
        store.record_decision(decision(i, model=model, explored=explored, time=100.0 + i))
    store.record_result("d3", served="large")  # fell back to large
    store.record_outcome("d0", 1.0)
    store.record_outcome("d3", 0.5)
    store.record_outcome("d2", 0.0)
    store.flush()
    stats = store.stats()
    assert {k: stats[k] for k in ("decisions", "results", "outcomes", "labelled", "explored", "dropped")} == {
        "decisions": 4,
        "results": 1,
        "outcomes": 3,
        "labelled": 3,
        "explored": 1,
        "dropped": 0,
    }
    assert stats["exploration_share"] == 0.25
    assert (stats["first_time"], stats["last_time"], stats["schema_version"]) == (100.0, 103.0, len(MIGRATIONS) - 1)
    assert stats["models"] == {
        "large": {"decisions": 1, "share": 0.25, "served": 2, "outcomes": 2, "mean_feedback": 0.25},
        "small": {"decisions": 3, "share": 0.75, "served": 2, "outcomes": 1, "mean_feedback": 1.0},
    }


def test_many_threads_record_concurrently(store: FeedbackStore):
    def work(thread: int) -> None:
        for i in range(50):
            decision_id = f"t{thread}-{i}"
            store.record_decision({"id": decision_id, "model": "small"})
            store.record_result(decision_id, served="small", input_tokens=i)
            if i % 5 == 0:
                store.record_outcome(decision_id, 1.0)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.flush()
    stats = store.stats()
    assert (stats["decisions"], stats["results"], stats["outcomes"], stats["dropped"]) == (200, 200, 40, 0)
    assert [r["seq"] for r in store.labelled()] == list(range(1, 41))


def test_two_replicas_share_one_store(shared_url: str):
    """Two store objects (as two app replicas would) write the same database; ids never collide."""
    with FeedbackStore(shared_url) as first, FeedbackStore(shared_url) as second:
        threads = [
            threading.Thread(
                target=lambda s=s, name=name: [s.record_decision(decision(f"{name}{i}")) for i in range(100)]
            )
            for s, name in ((first, "a"), (second, "b"))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        first.flush()
        second.flush()
        first.record_outcome("db7", 1.0)  # recorded by the other replica
        second.record_outcome("da3", 0.0)
        assert first.stats()["decisions"] == 200
        assert [(r["id"], r["outcome"]) for r in second.labelled()] == [("db7", 1.0), ("da3", 0.0)]


def test_close_flushes_and_later_calls_are_refused(shared_url: str):
    store = FeedbackStore(shared_url, flush_interval=3600)
    store.record_decision(decision(1))
    store.close()
    store.close()  # idempotent
    assert store.record_decision(decision(2)) is False
    with pytest.raises(ConfigError, match="is closed"):
        store.record_outcome("d1", 1.0)
    with FeedbackStore(shared_url) as reopened:
        assert [d["id"] for d in reopened.decisions()] == ["d1"]


def test_reopening_applies_no_migration_twice(shared_url: str):
    FeedbackStore(shared_url).close()
    with FeedbackStore(shared_url) as store:
        assert store.schema_version == len(MIGRATIONS) - 1
        with store._backend.reading() as tx:
            versions = [row["version"] for row in tx.execute("SELECT version FROM langroute_schema ORDER BY version")]
        assert versions == list(range(len(MIGRATIONS)))


def test_a_newer_schema_is_refused(shared_url: str):
    with FeedbackStore(shared_url) as store, store._backend.transaction() as tx:
        tx.execute("INSERT INTO langroute_schema (version, applied) VALUES (99, 0)")
    known = len(MIGRATIONS) - 1
    with pytest.raises(ConfigError, match=rf"schema version 99, newer than the {known} this langroute knows"):
        FeedbackStore(shared_url)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://user@host/db", r"FeedbackStore\('mysql://user@host/db'\): unknown URL scheme 'mysql'"),
        ("http://secret:pw@example/x", r"'http://secret:\*\*\*@example/x'\): unknown URL scheme 'http'"),
        ("/nonexistent/dir/feedback.db", r"cannot open SQLite database /nonexistent/dir/feedback.db"),
        ("sqlite:////nonexistent/dir/feedback.db", r"cannot open SQLite database /nonexistent/dir/feedback.db"),
    ],
)
def test_bad_urls_name_themselves(url: str, message: str):
    with pytest.raises(ValueError, match=message):
        FeedbackStore(url)


def test_a_file_that_is_no_database_is_refused(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("not a database, but long enough to look like a header " * 20)
    with pytest.raises(ConfigError, match=r"notes\.txt"):
        FeedbackStore(tmp_path / "notes.txt")
    with pytest.raises(ConfigError, match="is a directory"):
        FeedbackStore(tmp_path)


def test_bad_options_are_refused():
    with pytest.raises(ConfigError, match="max_queue=0"):
        FeedbackStore(max_queue=0)


def test_import_langroute_feedback_loads_no_sqlalchemy_or_numpy():
    import subprocess
    import sys

    code = (
        "import sys, langroute.feedback; langroute.feedback.FeedbackStore().close(); "
        "print([m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'numpy', 'matplotlib', 'psycopg')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.postgres
def test_postgres_url_without_the_driver_prefix(postgres_url: str):
    plain = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with FeedbackStore(plain) as store:
        store.record_decision(decision(1))
        store.record_outcome("d1", 1.0)
        assert store.stats()["outcomes"] == 1


@pytest.mark.postgres
def test_postgres_connection_errors_hide_the_password(postgres_url: str):
    port = postgres_url.rsplit(":", 1)[1].split("/")[0]
    url = f"postgresql+psycopg://postgres:hunter2@127.0.0.1:{port}/no_such_database"
    with pytest.raises(
        ConfigError,
        match=r"'postgresql\+psycopg://postgres:\*\*\*@127.0.0.1:\d+/no_such_database'\)"
        r": cannot connect to PostgreSQL",
    ) as raised:
        FeedbackStore(url)
    assert "hunter2" not in str(raised.value)
