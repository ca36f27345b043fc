"""Real services for the feedback tests: a throw-away PostgreSQL server on loopback, and headless Chromium.

`.ci/run` installs both (Debian packages ``postgresql`` and ``chromium``), starts PostgreSQL and exports its URL in
``LANGROUTE_TEST_POSTGRES_URL``. Run locally without that variable, the tests start their own server when the
PostgreSQL binaries are installed. Tests that need a service skip, naming what is missing, only outside CI: under
``CI=true`` a missing service fails them.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

POSTGRES_URL_VARIABLE = "LANGROUTE_TEST_POSTGRES_URL"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> None:
    """Skip the test for `reason`, or fail it under CI, where every service must be there."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: .ci/run must install and start it)", pytrace=False)
    pytest.skip(reason)


def _postgres_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def local_postgres() -> Iterator[str]:
    """Start a PostgreSQL server in a temporary directory on 127.0.0.1; yield its URL; stop it at exit.

    Raises:
        RuntimeError: no PostgreSQL binaries, or the server did not start (the message says why).
    """
    bin_dir = _postgres_bin()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        runuser = shutil.which("runuser")
        if runuser is None:
            raise RuntimeError("running as root without runuser: cannot start PostgreSQL as the postgres user")
        as_user = [runuser, "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="langroute-pg-"))
    if as_user:
        shutil.chown(root, "postgres")
    data, port = root / "data", _free_port()

    def run(*command: str) -> None:
        done = subprocess.run([*as_user, *command], capture_output=True, text=True, timeout=120, check=False)
        if done.returncode:
            log = (root / "log").read_text() if (root / "log").exists() else ""
            raise RuntimeError(f"{' '.join(command[:2])} failed: {done.stderr.strip()} {log.strip()}"[:2000])

    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off"
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-o", options, "start")
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        finally:
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def chromium() -> str | None:
    """The headless browser's executable, if installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def screenshot(page: Path, out: Path, *, size: tuple[int, int] = (1100, 2600)) -> Path:
    """Open `page` in headless Chromium (a fresh profile, no network services) and save a PNG screenshot."""
    browser = chromium()
    assert browser is not None
    with tempfile.TemporaryDirectory(prefix="langroute-chromium-") as profile:
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                f"--user-data-dir={profile}",
                "--hide-scrollbars",
                f"--window-size={size[0]},{size[1]}",
                f"--screenshot={out}",
                page.resolve().as_uri(),
            ],
            capture_output=True,
            timeout=120,
            check=True,
        )
    return out
