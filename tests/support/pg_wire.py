"""A loopback proxy in front of PostgreSQL that counts the round trips clients make.

It forwards bytes both ways and reads the client's side of the wire protocol: after the
start-up (an optional SSLRequest, then the StartupMessage, both without a type byte) every
message is a type byte and a length. The server answers a simple Query ('Q') and a Sync
('S', which ends each extended-protocol exchange: Parse/Bind/Execute...) and nothing else, so
those two count one round trip each. asyncio, in the test's own event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

HOST = "127.0.0.1"
_SSL_REQUEST = 80877103


@dataclass
class RoundTrips:
    """What clients sent through the proxy: one letter per round trip ('Q' a simple query,
    'S' an extended-protocol exchange), and the simple queries' text."""

    sent: list[str] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.sent.clear()
        self.queries.clear()

    @property
    def count(self) -> int:
        return len(self.sent)


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                trips: RoundTrips | None) -> None:
    buffer = bytearray()
    started = False  # past the untyped start-up messages
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
            if trips is None:
                continue
            buffer += data
            while True:
                if not started:
                    if len(buffer) < 8:
                        break
                    length, code = struct.unpack("!ii", buffer[:8])
                    if len(buffer) < length:
                        break
                    del buffer[:length]
                    started = code != _SSL_REQUEST  # the StartupMessage follows an SSLRequest
                    continue
                if len(buffer) < 5:
                    break
                kind, length = chr(buffer[0]), struct.unpack("!i", buffer[1:5])[0]
                if len(buffer) < 1 + length:
                    break
                if kind in "QS":
                    trips.sent.append(kind)
                    if kind == "Q":
                        trips.queries.append(bytes(buffer[5:1 + length]).rstrip(b"\0").decode())
                del buffer[:1 + length]
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


@contextlib.asynccontextmanager
async def counting_proxy(database_url: str) -> AsyncIterator[tuple[str, RoundTrips]]:
    """(the database URL through the proxy, the round trips counted from now on)."""
    target = urlsplit(database_url)
    trips = RoundTrips()
    tasks: set[asyncio.Task] = set()

    async def serve(client_reader, client_writer):
        server_reader, server_writer = await asyncio.open_connection(target.hostname, target.port)
        for task in (asyncio.create_task(_pump(client_reader, server_writer, trips)),
                     asyncio.create_task(_pump(server_reader, client_writer, None))):
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    server = await asyncio.start_server(serve, HOST, 0)
    port = server.sockets[0].getsockname()[1]
    user = f"{target.username}@" if target.username else ""
    if target.password:
        user = f"{target.username}:{target.password}@"
    try:
        yield urlunsplit((target.scheme, f"{user}{HOST}:{port}", target.path, target.query,
                          "")), trips
    finally:
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()
