"""A throwaway PostgreSQL server on loopback for the test run (Debian's postgresql package)."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


def _bin_dir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not candidates:
        raise RuntimeError("PostgreSQL is not installed: run `make test`, which installs it")
    return Path(candidates[-1]).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(argv: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; CI runs as root, developers usually do not.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


@contextlib.contextmanager
def running_postgres() -> Iterator[str]:
    """Start a fresh cluster in a temporary directory; yield its URL; stop and delete it."""
    bin_dir = _bin_dir()
    root = Path(tempfile.mkdtemp(prefix="tracker-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = _free_port()
    subprocess.run(
        _as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-U", "tracker", "-A", "trust",
                      "-E", "UTF8", "--locale=C.UTF-8"]),
        check=True, capture_output=True,
    )
    options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
    subprocess.run(
        _as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options,
                      "-l", str(root / "server.log"), "-w", "-t", "60", "start"]),
        check=True, capture_output=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("PostgreSQL did not start: " + (root / "server.log").read_text())
            time.sleep(0.1)
        yield f"postgresql://tracker@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


APP_ROLE = "tracker_app"


def owner_url(app_url: str) -> str:
    """The same database as the owner role (migrations, restores), not the app's role."""
    return app_url.replace(f"://{APP_ROLE}@", "://tracker@", 1)


def create_app_role(owner_url: str) -> str:
    """A login role that may read and write rows but owns nothing, as the README says to run
    the app: it cannot TRUNCATE, ALTER TABLE (so cannot disable the history triggers) or create
    tables. Returns its URL; the owner (`tracker`) keeps running migrations."""
    statements = (
        f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') "
        f"THEN CREATE ROLE {APP_ROLE} LOGIN; END IF; END $$;"
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE};"
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE};"
    )
    subprocess.run([str(_bin_dir() / "psql"), "-v", "ON_ERROR_STOP=1", "-q", "-d", owner_url,
                    "-c", statements], check=True, capture_output=True)
    return owner_url.replace("://tracker@", f"://{APP_ROLE}@", 1)
