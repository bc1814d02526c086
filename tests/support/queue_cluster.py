"""Real `tracker serve` and `tracker worker` processes on one PostgreSQL database of their own.

`Cluster` creates a fresh database in the test cluster, a copy of one migrated and loaded with
the demo plan once per run by the owner (the real `tracker demo load`, whose migrations also
apply the job queue's schema) with the application role granted, and starts processes as that
role with a shared data directory (archived reports are files in it). Everything binds to 127.0.0.1 only.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.support.live_server import HOST, _free_port
from tests.support.postgres import APP_ROLE, _bin_dir, create_app_role

START_TIMEOUT = 90.0  # a busy 2-core CI machine: importing the app alone can take half a minute


def wait_until(condition: Callable[[], object], timeout: float = 30.0, interval: float = 0.05,
               what: str = "condition"):
    """Poll `condition` until it returns something true; that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


_templates: dict[str, str] = {}  # cluster URL -> the migrated demo database to copy


def _template(owner_url: str, env: dict[str, str]) -> str:
    """A database migrated and loaded with the demo once per test run (`tracker demo load` as the
    owner, the application role granted); each test copies it, which takes milliseconds."""
    if owner_url not in _templates:
        name = "q_template_" + secrets.token_hex(4)
        Cluster._psql(owner_url, f"CREATE DATABASE {name}")
        url = _database_url(owner_url, name)
        done = subprocess.run([_tracker(), "demo", "load"], env={**env, "TRACKER_DATABASE_URL": url},
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"tracker demo load:\n{done.stdout}\n{done.stderr}"
        create_app_role(url)
        _templates[owner_url] = name
    return _templates[owner_url]


def _database_url(owner_url: str, name: str) -> str:
    return owner_url.rsplit("/", 1)[0] + f"/{name}"


class Cluster:
    def __init__(self, owner_url: str, env: dict[str, str] | None = None):
        self.root = Path(tempfile.mkdtemp(prefix="tracker-queue-"))
        name = "q_" + secrets.token_hex(6)
        template = _template(owner_url, {**os.environ, "TRACKER_DATA_DIR": str(self.root / "setup")})
        self._psql(owner_url, f"CREATE DATABASE {name} TEMPLATE {template}")
        self.owner_url = _database_url(owner_url, name)
        self.env = dict(os.environ)
        self.env.update({
            "TRACKER_DATA_DIR": str(self.root / "data"),
            "TRACKER_SECRET_KEY": secrets.token_hex(32),
            "TRACKER_COOKIE_SECURE": "0",
            "TRACKER_SCHEDULER": "1",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        })
        self.app_url = self.owner_url.replace("://tracker@", f"://{APP_ROLE}@", 1)
        self.env["TRACKER_DATABASE_URL"] = self.app_url
        self.processes: list[subprocess.Popen] = []

    @staticmethod
    def _psql(url: str, sql: str) -> str:
        done = subprocess.run([str(_bin_dir() / "psql"), "-v", "ON_ERROR_STOP=1", "-qAt", "-d", url,
                               "-c", sql], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def sql(self, statement: str) -> str:
        """One statement as the owner; its rows, one a line, columns split by |."""
        return self._psql(self.owner_url, statement)

    def run(self, *args: str, database_url: str | None = None) -> subprocess.CompletedProcess:
        env = dict(self.env)
        env["TRACKER_DATABASE_URL"] = database_url or env["TRACKER_DATABASE_URL"]
        done = subprocess.run([_tracker(), *args], env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, f"tracker {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done

    def _start(self, args: list[str], log_name: str) -> subprocess.Popen:
        log = (self.root / log_name).open("ab")
        process = subprocess.Popen([_tracker(), *args], env=self.env, stdout=log,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        self.processes.append(process)
        return process

    def serve(self) -> str:
        """A `tracker serve` instance; its base URL once it answers."""
        port = _free_port()
        process = self._start(["serve", "--host", HOST, "--port", str(port)], f"serve-{port}.log")
        base_url = f"http://{HOST}:{port}"

        def answers() -> bool:
            assert process.poll() is None, self.logs()
            try:
                return httpx.get(f"{base_url}/login", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(answers, START_TIMEOUT, 0.1, "tracker serve")
        return base_url

    def worker(self, concurrency: int = 2) -> subprocess.Popen:
        """A `tracker worker`, once it has registered in the queue."""
        before = set(self.sql("SELECT id FROM procrastinate_workers").split())
        index = len(self.processes)
        process = self._start(["worker", "--concurrency", str(concurrency)],
                              f"worker-{index}.log")

        def registered() -> bool:
            assert process.poll() is None, self.logs()
            return bool(set(self.sql("SELECT id FROM procrastinate_workers").split()) - before)

        wait_until(registered, START_TIMEOUT, 0.1, "tracker worker")
        return process

    def logs(self) -> str:
        return "\n".join(f"--- {path.name} ---\n{path.read_text(errors='replace')[-4000:]}"
                         for path in sorted(self.root.glob("*.log")))

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


def _tracker() -> str:
    return str(Path(sys.executable).parent / "tracker")


def logged_in(base_url: str, username: str, password: str) -> httpx.Client:
    """A browser-like client with a session on the instance at `base_url`."""
    client = httpx.Client(base_url=base_url, timeout=30, trust_env=False)
    client.get("/login")
    response = client.post("/login", data={"username": username, "password": password,
                                           "_csrf_token": client.cookies["csrftoken"]})
    assert response.status_code in (302, 303), response.text[:500]
    return client
