"""PostgreSQL backend of `FeedbackStore`: SQLAlchemy Core over psycopg 3 (``pip install 'langroute[postgres]'``).

Many app replicas can write to one database: decision ids are unique strings (``ON CONFLICT DO NOTHING`` makes a
replay harmless), and each writer takes a transaction-scoped advisory lock per table, so ``seq`` values become
visible in commit order and a learner reading ``labelled(since=seq)`` never skips a row that commits late.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final

from langroute.errors import ConfigError

__all__ = ["PostgresBackend"]


class _Tx:
    """The statements of one transaction (or one read) on a pooled connection."""

    __slots__ = ("_conn", "_text")

    def __init__(self, conn: Any, text: Any) -> None:  # sqlalchemy.Connection, sqlalchemy.text
        self._conn = conn
        self._text = text

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        result = self._conn.execute(self._text(sql), dict(params or {}))
        return [dict(row._mapping) for row in result] if result.returns_rows else []

    def executemany(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self._conn.execute(self._text(sql), [dict(row) for row in rows])

    def lock(self, name: str) -> None:
        """Hold a transaction-scoped advisory lock on `name` until commit (serialises ``seq`` assignment)."""
        self._conn.execute(self._text("SELECT pg_advisory_xact_lock(:key)"), {"key": zlib.crc32(name.encode())})


class PostgresBackend:
    """A PostgreSQL database reached through a SQLAlchemy engine this backend creates and disposes."""

    dialect: Final = "postgresql"

    def __init__(self, url: str, *, shown: str) -> None:
        try:
            import sqlalchemy
            import sqlalchemy.exc
        except ImportError as exc:
            raise ImportError(
                f"FeedbackStore({shown!r}) needs SQLAlchemy and psycopg: pip install 'langroute[postgres]'"
            ) from exc
        self._text = sqlalchemy.text
        self.errors: tuple[type[BaseException], ...] = (sqlalchemy.exc.SQLAlchemyError,)
        try:
            self._engine = sqlalchemy.create_engine(url, pool_pre_ping=True)
            with self._engine.connect() as conn:
                conn.execute(sqlalchemy.text("SELECT 1"))
        except ImportError as exc:  # the psycopg driver is missing
            raise ImportError(f"FeedbackStore({shown!r}) needs psycopg: pip install 'langroute[postgres]'") from exc
        except (sqlalchemy.exc.SQLAlchemyError, ValueError) as exc:
            raise ConfigError(
                f"FeedbackStore({shown!r}): cannot connect to PostgreSQL: {str(exc).splitlines()[0]}; check the "
                "host, port, database name and credentials"
            ) from exc

    @contextmanager
    def transaction(self) -> Iterator[_Tx]:
        """One write transaction: committed when the block ends, rolled back when it raises."""
        with self._engine.begin() as conn:
            yield _Tx(conn, self._text)

    @contextmanager
    def reading(self) -> Iterator[_Tx]:
        """Run read statements on a pooled connection."""
        with self._engine.connect() as conn:
            yield _Tx(conn, self._text)
            conn.rollback()

    def close(self) -> None:
        self._engine.dispose()
