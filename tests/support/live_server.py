"""The real `tracker serve` in a subprocess, on a free loopback port, with its own data directory.

Used by the browser test: the server is started exactly as a user would start it (`tracker demo
load`, then `tracker serve`), so the test exercises the real process, cookies and all. It only
ever binds to and talks to 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

HOST = "127.0.0.1"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
# Never through a proxy from the environment: the server is on this machine only.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _tracker_command() -> str:
    return str(Path(sys.executable).parent / "tracker")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with _OPENER.open(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


@contextlib.contextmanager
def live_server(cookie_secure: bool = False, attempts: int = 3,
                setup: list[list[str]] | None = None) -> Iterator[str]:
    """Load the demo data into a fresh data directory, serve it, yield `http://127.0.0.1:PORT`.

    `setup`: commands run after the demo is loaded, with the server's environment (e.g. a
    script that adds a unit and its reporter).
    `cookie_secure=False` sets TRACKER_COOKIE_SECURE=0, since the server speaks plain http.
    (Chromium does keep Secure cookies from http://127.0.0.1, a "potentially trustworthy"
    origin, so `cookie_secure=True` works in it too.)
    """
    root = Path(tempfile.mkdtemp(prefix="tracker-live-"))
    env = dict(os.environ)
    env.pop("TRACKER_DATABASE_URL", None)  # SQLite in the data directory
    env.update({
        "TRACKER_DATA_DIR": str(root / "data"),
        "TRACKER_SECRET_KEY": secrets.token_hex(32),
        "TRACKER_COOKIE_SECURE": "1" if cookie_secure else "0",
        "MPLCONFIGDIR": str(root / "mplconfig"),
        "PYTHONUNBUFFERED": "1",
    })
    log_path = root / "server.log"
    process: subprocess.Popen | None = None
    try:
        loaded = subprocess.run([_tracker_command(), "demo", "load"], env=env,
                                capture_output=True, text=True, timeout=120)
        if loaded.returncode != 0:
            raise RuntimeError(f"`tracker demo load` failed:\n{loaded.stdout}\n{loaded.stderr}")
        for command in setup or []:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120,
                                  cwd=Path(__file__).resolve().parents[2])
            if done.returncode != 0:
                raise RuntimeError(f"setup {command} failed:\n{done.stdout}\n{done.stderr}")
        for _ in range(attempts):
            port = _free_port()  # another process may take it before the server binds: retry
            base_url = f"http://{HOST}:{port}"
            with log_path.open("ab") as log:
                process = subprocess.Popen(
                    [_tracker_command(), "serve", "--host", HOST, "--port", str(port)],
                    env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            deadline = time.monotonic() + START_TIMEOUT
            while process.poll() is None and time.monotonic() < deadline:
                if _answers(f"{base_url}/login"):
                    break
                time.sleep(0.1)
            else:
                if process.poll() is None:
                    _stop(process)
                    raise RuntimeError(f"the server did not answer within {START_TIMEOUT:.0f} s:\n"
                                       + log_path.read_text(errors="replace"))
                continue  # exited early (most likely the port was taken): another port
            break
        else:
            raise RuntimeError("the server would not start:\n" + log_path.read_text(errors="replace"))
        try:
            yield base_url
        except BaseException:
            # The server's side of a failing test: shown by pytest with the failure.
            print(f"--- tracker serve log ({log_path.name}) ---\n"
                  + log_path.read_text(errors="replace")[-6000:], file=sys.stderr)
            raise
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(root, ignore_errors=True)
