"""SQLite backend of `FeedbackStore`: stdlib `sqlite3`, WAL, one connection behind a lock.

Every write is one ``BEGIN IMMEDIATE ... COMMIT`` transaction with ``synchronous=FULL``, so a transaction that
returned is on disk (the WAL is synced at commit) and a process killed mid-write leaves no partial rows: SQLite
rolls the unfinished transaction back when the file is next opened.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from langroute.errors import ConfigError

__all__ = ["SQLiteBackend"]

_BUSY_TIMEOUT_S: Final = 30.0  # another process holding the write lock (a CLI import, a second app process)


class _Tx:
    """The statements of one transaction (or one read) on the shared connection."""

    __slots__ = ("_conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        cursor = self._conn.execute(sql, params or {})
        return [dict(row) for row in cursor.fetchall()] if cursor.description else []

    def executemany(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self._conn.executemany(sql, rows)

    def lock(self, name: str) -> None:
        """Serialise writers of `name` (a no-op: ``BEGIN IMMEDIATE`` already holds the database's write lock)."""


class SQLiteBackend:
    """One SQLite database (a file, or memory when `path` is None)."""

    dialect: Final = "sqlite"
    errors: Final = (sqlite3.Error,)

    def __init__(self, path: str | None, *, url: str) -> None:
        if path is not None and Path(path).is_dir():
            raise ConfigError(f"FeedbackStore({url!r}): {path} is a directory; give the path of a database file")
        try:
            self._conn = sqlite3.connect(
                path or ":memory:", timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            self._conn.row_factory = sqlite3.Row
            if path is not None:
                self._conn.execute("PRAGMA journal_mode=WAL").fetchall()
            self._conn.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as exc:
            raise ConfigError(
                f"FeedbackStore({url!r}): cannot open SQLite database {path}: {exc}; check that the directory "
                "exists and is writable and that the file is a SQLite database"
            ) from exc
        self._lock = threading.Lock()

    @contextmanager
    def transaction(self) -> Iterator[_Tx]:
        """One write transaction: committed when the block ends, rolled back when it raises."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield _Tx(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[_Tx]:
        """Run read statements (each sees the committed data)."""
        with self._lock:
            yield _Tx(self._conn)

    def close(self) -> None:
        with self._lock:
            self._conn.close()
