"""The database away (PostgreSQL cut off mid-run, the SQLite file unreachable): every request
that needs it answers 503 with Retry-After and a Chinese message, the log gets one line, not a
traceback per request, and the next request after the database is back is answered again."""

from __future__ import annotations

import asyncio
import logging

import pytest
from piccolo.engine.postgres import PostgresEngine

from tests.integration.test_access import quick_login
from tests.support.factories import bearer, make_user
from tracker.db import PooledSQLiteEngine
from tracker.http import errors
from tracker.services.database import bind_engine, current_engine, open_pool

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


class CuttableProxy:
    """A TCP forwarder on loopback whose connections can be cut, and new ones refused."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.cut = False
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _serve(self, reader, writer) -> None:
        if self.cut:
            writer.close()
            return
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self.writers |= {writer, upstream_writer}

        async def pipe(source, sink):
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    def cut_off(self) -> None:
        self.cut = True
        for writer in self.writers:
            writer.close()
        self.writers.clear()

    async def close(self) -> None:
        self.cut_off()
        self.server.close()


async def test_the_database_away_is_503_with_retry_after_and_one_log_line(
        app_client, database, pg_url, tmp_path, caplog, monkeypatch):
    monkeypatch.setitem(errors._outage, "logged_at", -1e9)  # a fresh outage
    admin = await make_user("admin")
    h = await bearer(admin)
    await quick_login(app_client, admin.username)
    original = current_engine()
    proxy = None
    if database == "postgres":
        proxy = CuttableProxy(int(pg_url.rsplit(":", 1)[1].split("/", 1)[0]))
        port = await proxy.start()
        # Made with the direct address (Piccolo asks the server's version at once, from another
        # event loop), then pooled through the proxy.
        engine = PostgresEngine(config={"dsn": pg_url})
        engine.config["dsn"] = pg_url.replace(f":{proxy.target_port}/", f":{port}/")
        bind_engine(engine)
        await open_pool()  # as the app's start-up does
        assert (await app_client.get("/api/me", headers=h)).status_code == 200

        def cut():
            proxy.cut_off()
    else:
        engine = None

        def cut():
            bind_engine(PooledSQLiteEngine(path=str(tmp_path / "gone" / "tracker.sqlite")))
    try:
        cut()
        caplog.set_level(logging.WARNING)
        for _ in range(3):
            api = await app_client.get("/api/me", headers=h)
            assert api.status_code == 503, api.text
            assert api.headers["retry-after"] == "10"
            assert api.json()["detail"] == "数据库暂时无法连接，请稍后重试"
            page = await app_client.get("/admin")
            assert page.status_code == 503 and "数据库暂时无法连接，请稍后重试" in page.text
            assert page.headers["retry-after"] == "10"
        # One line from the app for the whole outage; no traceback from anyone (asyncpg's
        # reconnecting pool included).
        records = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len([r for r in records if r.name == errors.log.name]) == 1, records
        assert not any(r.exc_info or "Traceback" in r.getMessage() for r in records), records
    finally:
        if proxy is not None:
            proxy.cut = False
        bind_engine(original)
    # Back: answered again without a restart.
    assert (await app_client.get("/api/me", headers=h)).status_code == 200
    if proxy is not None:
        bind_engine(engine)
        assert (await app_client.get("/api/me", headers=h)).status_code == 200
        bind_engine(original)
        await engine.close_connection_pool()
        await proxy.close()


@pytest.fixture
def pg_url(request, database):
    """The PostgreSQL URL for the postgres run only (SQLite runs do not start the server)."""
    if database == "postgres":
        return request.getfixturevalue("backend_urls")("postgres")[0]
    return ""
