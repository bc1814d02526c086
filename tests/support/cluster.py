"""Several real `tracker serve` instances on one PostgreSQL database, as a city deploys it
behind a load balancer (README, "Running on several machines").

Each instance is its own process group (`tracker serve --workers N` forks N server processes),
started with the same database URL, secret key and data directory, on its own loopback port.
`kill()` is a `kill -9` of the whole group: the machine lost, nothing flushed, nothing closed.
Only 127.0.0.1 is ever bound or called.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.support.live_server import HOST, _free_port, _tracker_command

START_TIMEOUT = 60.0  # a loaded 2-core machine imports the app in several seconds per process
STOP_TIMEOUT = 10.0


class Instance:
    """One `tracker serve` on its own port; restartable on the same port."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path, workers: int = 1):
        self.name = name
        self.env = env
        self.workers = workers
        self.log_path = log_dir / f"{name}.log"
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def launch(self) -> None:
        """Start the process; `wait_ready` waits for it."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [_tracker_command(), "serve", "--host", HOST, "--port", str(self.port),
                 "--workers", str(self.workers)],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)  # its own process group: kill() takes the workers too

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Poll /readyz (the database answers) until 200, or fail with the server's log."""
        deadline = time.monotonic() + timeout
        with httpx.Client(trust_env=False, timeout=2) as client:
            while time.monotonic() < deadline:
                if self.process is None or self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited:\n{self.log()}")
                with contextlib.suppress(httpx.TransportError):
                    if client.get(f"{self.url}/readyz").status_code == 200:
                        return
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not become ready in {timeout:.0f} s:\n{self.log()}")

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """kill -9 the instance and its worker processes at once."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT)

    def stop(self) -> None:
        if not self.alive():
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:] if self.log_path.exists() else ""


class Cluster:
    """Instances of one tracker: same database, secret key and (shared) data directory."""

    def __init__(self, database_url: str, root: Path, workers: tuple[int, ...] = (1, 1)):
        self.root = root
        env = dict(os.environ)
        env.update({
            "TRACKER_DATABASE_URL": database_url,
            "TRACKER_DATA_DIR": str(root / "data"),
            "TRACKER_SECRET_KEY": secrets.token_hex(32),
            "TRACKER_COOKIE_SECURE": "0",  # plain http on loopback
            "TRACKER_SCHEDULER": "0",
            "MPLCONFIGDIR": str(root / "mplconfig"),
            "PYTHONUNBUFFERED": "1",
        })
        self.instances = [Instance(chr(ord("a") + index), env, root, count)
                          for index, count in enumerate(workers)]

    def __getitem__(self, index: int) -> Instance:
        return self.instances[index]

    def start(self) -> None:
        for instance in self.instances:  # all import the app at once
            instance.launch()
        for instance in self.instances:
            instance.wait_ready()

    def stop(self) -> None:
        for instance in self.instances:
            instance.stop()

    def logs(self) -> str:
        return "\n".join(f"--- instance {i.name} ---\n{i.log()}" for i in self.instances)


@contextlib.contextmanager
def running_cluster(database_url: str, workers: tuple[int, ...] = (1, 1)) -> Iterator[Cluster]:
    """Start instances (one per entry of `workers`, each with that many server processes) on
    `database_url` (migrated), yield the cluster, stop it; the logs go to stderr on failure."""
    with tempfile.TemporaryDirectory(prefix="tracker-cluster-") as root:
        cluster = Cluster(database_url, Path(root), workers)
        try:
            cluster.start()
            yield cluster
        except BaseException:
            print(cluster.logs(), file=sys.stderr)
            raise
        finally:
            cluster.stop()
