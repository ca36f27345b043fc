"""Fixtures: one store per backend (in-memory SQLite, a SQLite file, a real PostgreSQL server)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from langroute.feedback import FeedbackStore

from .services import POSTGRES_URL_VARIABLE, local_postgres, unavailable

_TABLES = "langroute_decisions, langroute_results, langroute_outcomes, langroute_counters, langroute_schema"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: needs a PostgreSQL server (started by .ci/run or by the tests)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the PostgreSQL cases of the backend fixtures (a mark in `params` would be read before it is registered)."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "postgres" in (params.get("store_url"), params.get("shared_url")):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str | BaseException]:
    """The URL of a PostgreSQL server: $LANGROUTE_TEST_POSTGRES_URL, else one started for this session."""
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if url:
        yield url
        return
    try:
        with local_postgres() as started:
            yield started
    except RuntimeError as exc:
        yield exc


def _empty_postgres(url: str) -> None:
    try:
        import psycopg
    except ImportError:
        unavailable("psycopg is not installed: pip install 'langroute[postgres]'")
    try:
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
            conn.execute(f"DROP TABLE IF EXISTS {_TABLES}")
    except psycopg.OperationalError as exc:
        unavailable(f"no PostgreSQL server at {url}: {exc}")


@pytest.fixture
def postgres_url(postgres_server: str | BaseException) -> str:
    """A PostgreSQL URL whose database holds no feedback tables."""
    if isinstance(postgres_server, BaseException):
        unavailable(f"no PostgreSQL server could be started locally: {postgres_server}")
    assert isinstance(postgres_server, str)
    _empty_postgres(postgres_server)
    return postgres_server


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    """The URL of an empty store on each backend."""
    if request.param == "memory":
        return None
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'feedback.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=["sqlite", "postgres"])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty store that several processes or store objects can open (no in-memory one)."""
    if request.param == "sqlite":
        return str(tmp_path / "feedback.db")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def open_store(store_url: str | None) -> Iterator[Callable[..., FeedbackStore]]:
    """Open stores on the backend under test (the in-memory one is shared); every one is closed at the end."""
    opened: list[FeedbackStore] = []

    def make(**options: object) -> FeedbackStore:
        store = FeedbackStore(store_url, **options)  # type: ignore[arg-type]
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: Callable[..., FeedbackStore]) -> FeedbackStore:
    return open_store()
