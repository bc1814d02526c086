"""A loopback TCP proxy that loses answers on purpose, to test the client's retries.

It forwards bytes both ways between the client and the real server. For the first `fail`
requests that match `trigger` (by default, any submission of an update) it misbehaves once
the request has been forwarded:

- "drop": the server's answer is swallowed and the client's connection is reset as soon as the
  answer starts, so the server has stored the update but the client never hears of it;
- "hang": the answer is swallowed and the connection held open, so the client times out;
- "503": the request is not forwarded at all; the client gets `503 Service Unavailable`.

It records every request head it forwards (method, path, Idempotency-Key), so a test can check
what the client sent and how often. Threads, no asyncio: it runs beside synchronous tests.
"""

from __future__ import annotations

import contextlib
import re
import socket
import struct
import threading
from dataclasses import dataclass

HOST = "127.0.0.1"
_REQUEST_HEAD = re.compile(rb"(GET|POST|PUT|PATCH|DELETE|HEAD) (\S+) HTTP/1\.[01]\r\n(.*?)\r\n\r\n", re.S)
_KEY_HEADER = re.compile(rb"^idempotency-key:[ \t]*(\S+)", re.I | re.M)
_UNAVAILABLE = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                b"Content-Length: 11\r\nConnection: close\r\n\r\nunavailable")


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    idempotency_key: str | None


class FaultyProxy:
    def __init__(self, target_port: int, mode: str = "drop", fail: int = 1,
                 trigger: bytes = b"POST /api/tasks/"):
        if mode not in ("drop", "hang", "503"):
            raise ValueError(mode)
        self.target_port = target_port
        self.mode = mode
        self.trigger = trigger
        self._failures_left = self._initial_failures = fail
        self._lock = threading.Lock()
        self._buffers: list[bytearray] = []
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server((HOST, 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}"
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> FaultyProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._closed.set()
        self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            _close(sock)
        self._thread.join(timeout=5)

    @property
    def failures(self) -> int:
        """How many answers were lost so far."""
        return self._initial_failures - self._failures_left

    def requests(self) -> list[SeenRequest]:
        """Every request head the client sent through the proxy, in order."""
        with self._lock:
            buffers = [bytes(buffer) for buffer in self._buffers]
        seen = []
        for buffer in buffers:
            for match in _REQUEST_HEAD.finditer(buffer):
                key = _KEY_HEADER.search(match.group(3))
                seen.append(SeenRequest(match.group(1).decode(), match.group(2).decode(),
                                        key.group(1).decode() if key else None))
        return seen

    # --- plumbing ---------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _claim_failure(self) -> bool:
        with self._lock:
            if self._failures_left <= 0:
                return False
            self._failures_left -= 1
            return True

    def _serve(self, client: socket.socket) -> None:
        buffer = bytearray()
        with self._lock:
            self._buffers.append(buffer)
            self._sockets.append(client)
        try:
            upstream = socket.create_connection((HOST, self.target_port))
        except OSError:
            client.close()
            return
        with self._lock:
            self._sockets.append(upstream)
        state = {"armed": False}

        def client_to_server() -> None:
            try:
                while data := client.recv(65536):
                    with self._lock:
                        buffer.extend(data)
                    if not state["armed"] and self.trigger in buffer and self._claim_failure():
                        state["armed"] = True
                        if self.mode == "503":
                            client.sendall(_UNAVAILABLE)
                            break
                    upstream.sendall(data)
            except OSError:
                pass
            finally:
                _close(upstream)
                if self.mode == "503" and state["armed"]:
                    _close(client)

        pump = threading.Thread(target=client_to_server, daemon=True)
        pump.start()
        try:
            while data := upstream.recv(65536):
                if state["armed"]:
                    if self.mode == "drop":
                        # Wake the pump (blocked in recv) first: a socket another thread is
                        # still reading from is not really closed, and sends no RST.
                        with contextlib.suppress(OSError):
                            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                              struct.pack("ii", 1, 0))
                            client.shutdown(socket.SHUT_RD)
                        pump.join(timeout=10)
                        break
                    continue  # "hang": swallow it; the client gives up on its own
                client.sendall(data)
        except OSError:
            pass
        finally:
            if state["armed"] and self.mode == "hang":
                pump.join(timeout=60)  # until the client gives up and closes
            if state["armed"] and self.mode == "drop":
                client.close()  # with SO_LINGER 0: a reset, not an orderly close
            else:
                _close(client)
            pump.join(timeout=10)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
