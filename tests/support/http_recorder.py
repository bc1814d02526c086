"""A small real HTTP server on loopback, in a thread, that records what it receives.

What it answers depends on the path's first segment, so one server plays many parts:

    /ok/...       200 {"errcode": 0, "errmsg": "ok"}
    /fail/...     500
    /hang/...     waits (until the test ends or 10 s), then 200
    /errcode/...  200 {"errcode": 310000, "errmsg": "sign not match"}
    anything else: the ``pages`` table, path → (status, headers, body), the body as bytes or
    a function returning an iterator of chunks (streamed until the client hangs up)
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Received:
    method: str
    path: str  # without the query
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


class Recorder:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.pages: dict[str, tuple[int, dict[str, str], bytes | Callable[[], Iterable[bytes]]]] = {}
        self.sent_bytes: dict[str, int] = {}
        self._lock = threading.Lock()
        self.release = threading.Event()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _record(self) -> Received:
                length = int(self.headers.get("content-length") or 0)
                parts = urlsplit(self.path)
                received = Received(self.command, parts.path, parse_qs(parts.query),
                                    {k.lower(): v for k, v in self.headers.items()},
                                    self.rfile.read(length) if length else b"")
                with recorder._lock:
                    recorder.requests.append(received)
                return received

            def _send(self, status: int, body: bytes | Iterable[bytes], headers: dict[str, str]):
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if isinstance(body, bytes):
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_header("Connection", "close")
                self.end_headers()
                sent = 0
                try:
                    for chunk in body:
                        self.wfile.write(chunk)
                        sent += len(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    recorder.sent_bytes[self.path] = sent
                    self.close_connection = True

            def _answer(self) -> None:
                received = self._record()
                head = received.path.split("/")[1] if received.path.count("/") else ""
                robot = {"Content-Type": "application/json"}
                if head == "ok":
                    self._send(200, b'{"errcode": 0, "errmsg": "ok"}', robot)
                elif head == "fail":
                    self._send(500, b"internal error", {"Content-Type": "text/plain"})
                elif head == "hang":
                    recorder.release.wait(10)
                    with contextlib.suppress(OSError):
                        self._send(200, b'{"errcode": 0}', robot)
                elif head == "errcode":
                    self._send(200, b'{"errcode": 310000, "errmsg": "sign not match"}', robot)
                elif received.path in recorder.pages:
                    status, headers, body = recorder.pages[received.path]
                    self._send(status, body() if callable(body) else body, headers)
                else:
                    self._send(404, b"<html><title>404 Not Found</title></html>",
                               {"Content-Type": "text/html"})

            do_GET = do_POST = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def to(self, path: str) -> list[Received]:
        """Requests received on paths starting with ``path``."""
        with self._lock:
            return [r for r in self.requests if r.path.startswith(path)]

    def start(self) -> Recorder:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def recording_server() -> Iterator[Recorder]:
    recorder = Recorder().start()
    try:
        yield recorder
    finally:
        recorder.stop()
