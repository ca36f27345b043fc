"""`FeedbackStore`: routing decisions, their results and the outcomes users report, in SQLite or PostgreSQL.

```python
from langroute.feedback import FeedbackStore

store = FeedbackStore("sqlite:///feedback.db")      # FeedbackStore() = in memory; a plain path works too
store.record_decision({"id": "d1", "model": "small", "candidates": ["small", "large"], "score": 0.2})
store.record_result("d1", served="small", input_tokens=120, output_tokens=40)
store.record_outcome("d1", 1.0, comment="thumbs up")    # durable when it returns
for row in store.labelled(since=0, limit=1000):          # what a learner reads, oldest outcome first
    row["outcome"], row["model"], row["served"], row["features"], row["seq"]
store.close()
```

Three record shapes (DESIGN-0.3, "Feedback"):

- decision, written at ``decide()`` time, in the background: ``id, time, model, candidates, score, scorer, task,
  forced, explored, propensity, features, prices, text``. `decisions()` yields them with their ``seq``.
- result, after the call, in the background: ``id, served, input_tokens, output_tokens, cost_usd, escalated,
  failed``.
- outcome, durable when `record_outcome` returns: ``id, score, comment, time``. `outcomes()` yields them with their
  ``seq``. Each call records one outcome: giving feedback twice on one decision records two.

`labelled()` joins each outcome with its decision and result into one flat dict: the decision's fields (``score``
and ``time`` are the scorer's score and the decision's time), the result's fields (None when no result was
recorded), and ``outcome`` (the feedback score), ``comment``, ``outcome_time`` and ``seq`` (the outcome's).

Writes: `record_decision` and `record_result` only append to a bounded in-memory queue that a daemon thread writes
in batches, one transaction each; when the queue is full they drop the record and count it (``stats()["dropped"]``).
`record_outcome` writes the outcome in its own transaction (a decision still queued with that id is written
first) and returns once it is committed. Reads page through the tables by ``seq``, so a store of millions of
records is never loaded whole.
"""

from __future__ import annotations

import atexit
import functools
import logging
import os
import re
import time
import weakref
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any, Final

from langroute.errors import ConfigError, InputError
from langroute.feedback import _store_schema as schema
from langroute.feedback._store_exchange import export_records, import_records
from langroute.feedback._store_writer import BatchWriter, Item

__all__ = ["FeedbackStore"]

logger = logging.getLogger(__name__)

_PAGE: Final = 1000  # rows fetched per query while iterating
_POSTGRES_SCHEMES: Final = ("postgresql+psycopg://", "postgresql://", "postgres://")
_OUTCOME_FLUSH_TIMEOUT_S: Final = 10.0

_INSERT_DECISION: Final = (
    f"INSERT INTO langroute_decisions ({', '.join(schema.DECISION_FIELDS)}) "
    f"VALUES ({', '.join(':' + f for f in schema.DECISION_FIELDS)}) ON CONFLICT (id) DO NOTHING"
)
_UPSERT_RESULT: Final = (
    f"INSERT INTO langroute_results (id, {', '.join(schema.RESULT_FIELDS)}) "
    f"VALUES (:id, {', '.join(':' + f for f in schema.RESULT_FIELDS)}) ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{f} = COALESCE(excluded.{f}, langroute_results.{f})" for f in schema.RESULT_FIELDS)
)
_INSERT_OUTCOME: Final = (
    "INSERT INTO langroute_outcomes (id, score, comment, time) VALUES (:id, :score, :comment, :time) "
    "ON CONFLICT (id, time) DO NOTHING"
)
_ADD_COUNTER: Final = (
    "INSERT INTO langroute_counters (name, value) VALUES (:name, :value) "
    "ON CONFLICT (name) DO UPDATE SET value = langroute_counters.value + excluded.value"
)
_DECISION_COLUMNS: Final = ", ".join(f"d.{f}" for f in schema.DECISION_FIELDS)
_RESULT_COLUMNS: Final = ", ".join(f"r.{f}" for f in schema.RESULT_FIELDS)


def _shown(url: str) -> str:
    """`url` with any password hidden, for messages."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def _close_at_exit(ref: weakref.ReferenceType[FeedbackStore]) -> None:
    store = ref()
    if store is not None:
        store.close(timeout=5.0)


class FeedbackStore:
    """Record routing decisions and their outcomes, for learning (`Router.learn`) and reporting.

    Args:
        url: None for an in-memory SQLite database; ``"sqlite:///path.db"`` or a plain path for a SQLite file;
            ``"postgresql+psycopg://user:password@host/db"`` for PostgreSQL (``pip install 'langroute[postgres]'``).
        keep_text: keep the decision records' ``text`` (the prompt). Off by default: no prompt text is stored.
        max_queue: decisions and results held in memory at most before new ones are dropped (and counted).
        batch_size: records written per background transaction at most.
        flush_interval: seconds between background writes while less than a batch is queued.

    Raises:
        ConfigError: an unknown URL scheme, a database that cannot be opened, or a schema newer than this
            langroute knows.
        ImportError: a PostgreSQL URL without SQLAlchemy or psycopg installed.

    Example:
        ```python
        with FeedbackStore("feedback.db") as store:
            store.record_decision({"id": "d1", "model": "small", "score": 0.2, "candidates": ["small", "large"]})
            store.record_outcome("d1", 1.0)
            store.stats()["outcomes"]   # 1
        ```
    """

    def __init__(
        self,
        url: str | os.PathLike[str] | None = None,
        *,
        keep_text: bool = False,
        max_queue: int = 10_000,
        batch_size: int = 500,
        flush_interval: float = 0.2,
    ) -> None:
        if max_queue < 1 or batch_size < 1 or not flush_interval > 0:
            raise ConfigError(
                f"max_queue={max_queue!r}, batch_size={batch_size!r}, flush_interval={flush_interval!r}: "
                "expected max_queue >= 1, batch_size >= 1 and flush_interval > 0 seconds"
            )
        self.url: Final = ":memory:" if url is None else os.fspath(url)
        self.keep_text: Final = keep_text
        self._closed = False
        self._backend = self._open(self.url)
        try:
            self.schema_version: Final = self._migrate()
        except BaseException:
            self._backend.close()
            raise
        self._writer = BatchWriter(
            self._write_batch,
            errors=self._backend.errors,
            max_queue=max_queue,
            batch_size=batch_size,
            interval=flush_interval,
            name=f"langroute-feedback-writer-{id(self):x}",
        )
        self._atexit = functools.partial(_close_at_exit, weakref.ref(self))
        atexit.register(self._atexit)

    # -- opening ---------------------------------------------------------------------------------------------

    @staticmethod
    def _open(url: str) -> Any:
        if url.startswith(_POSTGRES_SCHEMES):
            from langroute.feedback._store_postgres import PostgresBackend

            driver_url = "postgresql+psycopg://" + url.split("://", 1)[1]
            return PostgresBackend(driver_url, shown=_shown(url))
        from langroute.feedback._store_sqlite import SQLiteBackend

        if url in (":memory:", "sqlite://", "sqlite:///:memory:"):
            return SQLiteBackend(None, url=url)
        if url.startswith("sqlite:///"):
            return SQLiteBackend(url.removeprefix("sqlite:///"), url=url)
        if "://" in url:
            raise ConfigError(
                f"FeedbackStore({_shown(url)!r}): unknown URL scheme {url.split('://', 1)[0]!r}; use None (in "
                "memory), 'sqlite:///path.db', a plain file path or 'postgresql+psycopg://user:password@host/db'"
            )
        return SQLiteBackend(url, url=url)

    def _migrate(self) -> int:
        """Apply the migrations this database lacks; return its schema version."""
        dialect = self._backend.dialect
        known = len(schema.MIGRATIONS) - 1
        try:
            with self._backend.transaction() as tx:
                tx.lock("langroute_schema")
                tx.execute(schema.SCHEMA_TABLE)
                rows = tx.execute("SELECT MAX(version) AS v FROM langroute_schema")
                version = -1 if rows[0]["v"] is None else int(rows[0]["v"])
                if version > known:
                    raise ConfigError(
                        f"FeedbackStore({_shown(self.url)!r}): the store has schema version {version}, newer than "
                        f"the {known} this langroute knows; upgrade langroute to use it"
                    )
                for step in range(version + 1, known + 1):
                    for statement in schema.migration_statements(step, dialect):
                        tx.execute(statement)
                    tx.execute(
                        "INSERT INTO langroute_schema (version, applied) VALUES (:v, :t)", {"v": step, "t": time.time()}
                    )
                    logger.info("feedback store %s: applied schema migration %d", _shown(self.url), step)
        except self._backend.errors as exc:
            raise ConfigError(
                f"FeedbackStore({_shown(self.url)!r}): cannot set up the feedback tables: {exc}; is it a langroute "
                "feedback store (or an empty database) that this user may write?"
            ) from exc
        return known

    # -- writes ----------------------------------------------------------------------------------------------

    def record_decision(self, record: Mapping[str, Any]) -> bool:
        """Queue a decision record for the background writer; never blocks on I/O.

        Returns:
            False when the record was dropped (queue full, or the store closed); drops are counted in
            ``stats()["dropped"]``.

        Raises:
            InputError: `record` has no string ``id``. Other fields are checked by the writer, which drops (and
                logs, and counts) a record it cannot store.
        """
        decision_id = record.get("id")
        if not isinstance(decision_id, str) or not decision_id:
            raise InputError(f"decision record id={decision_id!r}: expected a non-empty string (RoutingDecision.id)")
        return self._writer.put("decision", dict(record))

    def record_result(self, id: str, **fields: Any) -> bool:
        """Queue what happened on the call of decision `id` (``served``, ``input_tokens``, ``output_tokens``,
        ``cost_usd``, ``escalated``, ``failed``); never blocks on I/O. Fields given again later overwrite.

        Returns:
            False when the result was dropped (queue full, or the store closed).

        Raises:
            InputError: an unknown field or a value of the wrong type.
        """
        return self._writer.put("result", schema.result_row(id, fields))

    def record_outcome(self, id: str, score: float, comment: str | None = None) -> None:
        """Record how good the answer to decision `id` was: `score` in [0, 1] (1 = good); durable on return.

        What is still queued (the decision with this `id`, its result) is written first. With several app
        replicas on one database, feedback on a decision another replica made is accepted once that replica's
        writer has stored it (within its `flush_interval`).

        Raises:
            InputError: `score` is not a number in [0, 1] (NaN included), `comment` is not a string, or no decision
                with this `id` is in the store.
            ConfigError: the store is closed.
        """
        decision_id, value, comment = schema.validate_outcome(id, score, comment)
        self._check_open("record_outcome")
        self._writer.flush(_OUTCOME_FLUSH_TIMEOUT_S)  # returns at once when nothing is queued
        with self._backend.transaction() as tx:
            self._insert_outcome(tx, decision_id, value, comment, time.time())

    @staticmethod
    def _insert_outcome(tx: Any, decision_id: str, score: float, comment: str | None, when: float) -> None:
        tx.lock("langroute_outcomes")
        if not tx.execute("SELECT 1 AS found FROM langroute_decisions WHERE id = :id", {"id": decision_id}):
            raise InputError(
                f"record_outcome: unknown decision id {decision_id!r}: no decision with this id is in the store; "
                "pass the `id` of a decision recorded in this store (a decision dropped because the writer's queue "
                "was full is not stored: see stats()['dropped'])"
            )
        tx.execute(_INSERT_OUTCOME, {"id": decision_id, "score": score, "comment": comment, "time": when})

    def _write_batch(self, items: Sequence[Item], dropped: int) -> int:
        """Write queued items in one transaction (the background writer's `write`); return the rejected count."""
        decisions: list[dict[str, object]] = []
        results: list[dict[str, object]] = []
        rejected = 0
        for kind, payload in items:
            if kind == "result":  # written after the batch's decisions; a result needs no decision row
                results.append(payload)
                continue
            try:
                decisions.append(schema.decision_row(payload, keep_text=self.keep_text))
            except InputError as exc:
                rejected += 1
                logger.warning("feedback store: dropped a decision record it cannot store: %s", exc)
        with self._backend.transaction() as tx:
            if decisions:
                tx.lock("langroute_decisions")
                tx.executemany(_INSERT_DECISION, decisions)
            tx.executemany(_UPSERT_RESULT, results)
            if dropped + rejected:
                tx.execute(_ADD_COUNTER, {"name": "dropped", "value": dropped + rejected})
        return rejected

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every decision and result queued so far is written; return False on timeout."""
        return self._writer.flush(timeout)

    def close(self, timeout: float | None = None) -> None:
        """Write what is queued, stop the writer and close the database (only a connection or engine this store
        opened). Idempotent; also run at interpreter exit. Records given after `close` are dropped."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self._atexit)
        if not self._writer.close(timeout):
            logger.warning("feedback store: closed with %d record(s) still unwritten", self._writer.queued())
            return  # the writer still uses the connection; the process is ending or the caller gave up waiting
        self._backend.close()

    def __enter__(self) -> FeedbackStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"FeedbackStore({_shown(self.url)!r}, keep_text={self.keep_text})"

    def _check_open(self, method: str) -> None:
        if self._closed:
            raise ConfigError(f"{method}: this FeedbackStore({_shown(self.url)!r}) is closed; open a new one")

    # -- reads -----------------------------------------------------------------------------------------------

    def _pages(self, sql: str, params: Mapping[str, Any], since: int, limit: int | None) -> Iterator[dict[str, Any]]:
        """Run `sql` (filtering ``seq > :since``, ordered by seq, ``LIMIT :n``) page by page."""
        if limit is not None and limit < 0:
            raise ConfigError(f"limit={limit!r}: expected None (no limit) or a count >= 0")
        self._check_open("read")
        left = limit
        while left is None or left > 0:
            size = _PAGE if left is None else min(_PAGE, left)
            with self._backend.reading() as tx:
                rows = tx.execute(sql, {**params, "since": since, "n": size})
            yield from rows
            if len(rows) < size:
                return
            since = rows[-1]["seq"]
            if left is not None:
                left -= len(rows)

    def decisions(self, since: int = 0, limit: int | None = None) -> Iterator[dict[str, Any]]:
        """Yield the stored decision records with ``seq > since``, oldest first, each with its ``seq``.

        Decisions still queued are not seen: call `flush` first to include them.
        """
        sql = (
            f"SELECT d.seq, {_DECISION_COLUMNS} FROM langroute_decisions d WHERE d.seq > :since ORDER BY d.seq LIMIT :n"
        )
        for row in self._pages(sql, {}, since, limit):
            yield {**schema.decision_from_row(row), "seq": row["seq"]}

    def results(self, since: int = 0, limit: int | None = None) -> Iterator[dict[str, Any]]:
        """Yield each stored result joined with its decision's ``seq`` (ordered by it), ``time`` and ``model``."""
        sql = (
            f"SELECT d.seq, d.time, d.model, r.id, {_RESULT_COLUMNS} FROM langroute_results r "
            "JOIN langroute_decisions d ON d.id = r.id WHERE d.seq > :since ORDER BY d.seq LIMIT :n"
        )
        for row in self._pages(sql, {}, since, limit):
            yield {"id": row["id"], **schema.result_from_row(row), "seq": row["seq"], "time": row["time"]}

    def outcomes(self, since: int = 0, limit: int | None = None) -> Iterator[dict[str, Any]]:
        """Yield the recorded outcomes with ``seq > since`` as ``{"id", "score", "comment", "time", "seq"}``."""
        sql = "SELECT seq, id, score, comment, time FROM langroute_outcomes WHERE seq > :since ORDER BY seq LIMIT :n"
        yield from self._pages(sql, {}, since, limit)

    def labelled(self, since: int = 0, limit: int | None = None) -> Iterator[dict[str, Any]]:
        """Yield each outcome with ``seq > since`` joined with its decision and result, in outcome order.

        A learner keeps the last ``seq`` it read and asks for ``labelled(since=that, limit=batch)`` next time. Each
        dict holds the decision's fields, the result's (None when none was recorded), and ``outcome``,
        ``comment``, ``outcome_time`` and ``seq``. Results still queued are written first.
        """
        self._writer.flush(_OUTCOME_FLUSH_TIMEOUT_S)
        sql = (
            f"SELECT o.seq, o.score AS outcome, o.comment, o.time AS outcome_time, {_DECISION_COLUMNS}, "
            f"{_RESULT_COLUMNS} FROM langroute_outcomes o JOIN langroute_decisions d ON d.id = o.id "
            "LEFT JOIN langroute_results r ON r.id = o.id WHERE o.seq > :since ORDER BY o.seq LIMIT :n"
        )
        for row in self._pages(sql, {}, since, limit):
            yield {
                **schema.decision_from_row(row),
                **schema.result_from_row(row),
                "outcome": row["outcome"],
                "comment": row["comment"],
                "outcome_time": row["outcome_time"],
                "seq": row["seq"],
            }

    def stats(self) -> dict[str, Any]:
        """Counts for a dashboard or ``langroute feedback stats``, computed in the database.

        Returns:
            ``{"decisions", "results", "outcomes", "labelled" (decisions with an outcome), "explored",
            "exploration_share", "dropped" (ever, persisted ones plus this process's unsaved), "queued",
            "schema_version", "first_time", "last_time", "models": {name: {"decisions", "share", "served",
            "outcomes", "mean_feedback"}}}``; ``mean_feedback`` averages the outcomes of the calls a model served.
        """
        self._check_open("stats")
        with self._backend.reading() as tx:
            totals = tx.execute(
                "SELECT COUNT(*) AS decisions, SUM(CASE WHEN explored THEN 1 ELSE 0 END) AS explored, "
                "MIN(time) AS first_time, MAX(time) AS last_time FROM langroute_decisions"
            )[0]
            results = tx.execute("SELECT COUNT(*) AS n FROM langroute_results")[0]["n"]
            outcomes = tx.execute("SELECT COUNT(*) AS n, COUNT(DISTINCT id) AS labelled FROM langroute_outcomes")[0]
            dropped = tx.execute("SELECT value FROM langroute_counters WHERE name = 'dropped'")
            chosen = tx.execute("SELECT model, COUNT(*) AS n FROM langroute_decisions GROUP BY model")
            served = tx.execute(
                "SELECT COALESCE(r.served, d.model) AS model, COUNT(*) AS n FROM langroute_decisions d "
                "LEFT JOIN langroute_results r ON r.id = d.id GROUP BY COALESCE(r.served, d.model)"
            )
            feedback = tx.execute(
                "SELECT COALESCE(r.served, d.model) AS model, COUNT(*) AS n, AVG(o.score) AS mean "
                "FROM langroute_outcomes o JOIN langroute_decisions d ON d.id = o.id "
                "LEFT JOIN langroute_results r ON r.id = o.id GROUP BY COALESCE(r.served, d.model)"
            )
        n = int(totals["decisions"])
        explored = int(totals["explored"] or 0)
        models: dict[str, dict[str, Any]] = {}

        def entry(name: str) -> dict[str, Any]:
            return models.setdefault(
                name, {"decisions": 0, "share": 0.0, "served": 0, "outcomes": 0, "mean_feedback": None}
            )

        for row in chosen:
            entry(row["model"]).update(decisions=int(row["n"]), share=int(row["n"]) / n)
        for row in served:
            entry(row["model"])["served"] = int(row["n"])
        for row in feedback:
            entry(row["model"]).update(outcomes=int(row["n"]), mean_feedback=float(row["mean"]))
        return {
            "decisions": n,
            "results": int(results),
            "outcomes": int(outcomes["n"]),
            "labelled": int(outcomes["labelled"]),
            "explored": explored,
            "exploration_share": explored / n if n else 0.0,
            "dropped": (int(dropped[0]["value"]) if dropped else 0) + self._writer.unsaved_drops(),
            "queued": self._writer.queued(),
            "schema_version": self.schema_version,
            "first_time": totals["first_time"],
            "last_time": totals["last_time"],
            "models": dict(sorted(models.items())),
        }

    # -- JSONL exchange --------------------------------------------------------------------------------------

    def export(self, path_or_file: str | os.PathLike[str] | IO[str]) -> dict[str, int]:
        """Write every record as JSON lines (decisions, then results, then outcomes); return the counts.

        Each line is a record with a ``"type"`` of ``"decision"``, ``"result"`` or ``"outcome"``. A path is
        written atomically. Queued records are flushed first.
        """
        self._check_open("export")
        self.flush(_OUTCOME_FLUSH_TIMEOUT_S)
        return export_records(self, path_or_file)

    def import_(self, path_or_file: str | os.PathLike[str] | IO[str]) -> dict[str, int]:
        """Read JSON lines written by `export` into this store, in one transaction; return the counts read.

        Records already present (same decision id; same outcome id and time) are skipped, so importing a file
        twice changes nothing.

        Raises:
            InputError: a line is not a valid record; the message names the file and line, and nothing is imported.
        """
        self._check_open("import_")
        self.flush(_OUTCOME_FLUSH_TIMEOUT_S)
        with self._backend.transaction() as tx:
            return import_records(self, tx, path_or_file)

    def _import_rows(self, tx: Any, kind: str, rows: Sequence[dict[str, Any]]) -> None:
        """Insert validated rows of one kind (used by `import_`)."""
        if kind == "decision":
            tx.lock("langroute_decisions")
            tx.executemany(_INSERT_DECISION, rows)
        elif kind == "result":
            tx.executemany(_UPSERT_RESULT, rows)
        else:
            for row in rows:
                self._insert_outcome(tx, row["id"], row["score"], row["comment"], row["time"])
