"""The kept-connection SQLite engine (tracker.db.PooledSQLiteEngine, what `tracker serve` runs
on): a write transaction's BEGIN goes to the connection's thread with its first statement,
and commits, rollbacks and after-commit hooks behave as with a BEGIN sent on entry."""

from __future__ import annotations

import aiosqlite
import pytest
from piccolo.querystring import QueryString

from tracker.db import PooledSQLiteEngine, after_commit, sent_with_commit, write_transaction


@pytest.fixture
async def engine(tmp_path):
    engine = PooledSQLiteEngine(path=str(tmp_path / "pool.sqlite"), timeout=5)
    await engine.run_ddl("CREATE TABLE note (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE)")
    yield engine
    await engine.close_connection_pool()


async def _notes(engine) -> list[str]:
    return [row["text"] for row in await engine.run_querystring(
        QueryString("SELECT text FROM note ORDER BY id"))]


@pytest.fixture
def trips(monkeypatch) -> list[str]:
    """The name of each call sent to a SQLite connection's thread (one trip each)."""
    sent: list[str] = []
    execute = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):
        sent.append(getattr(fn, "__name__", str(fn)))
        return await execute(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return sent


def _insert(text: str) -> QueryString:
    return QueryString("INSERT INTO note (text) VALUES ({}) RETURNING id", text)


async def test_begin_rides_with_the_first_statement(engine, trips):
    committed = []
    async with write_transaction(engine):
        first = await engine.run_querystring(_insert("一"))
        await engine.run_querystring(_insert("二"))
        after_commit(engine, lambda: committed.append(True))
        assert not committed
    assert first == [{"id": 1}] and committed == [True]
    # BEGIN + the first insert, the second insert, COMMIT: three trips (four before).
    assert trips == ["_begin_and_fetchall", "_execute_fetchall", "execute"], trips
    assert await _notes(engine) == ["一", "二"]


async def test_a_failed_transaction_leaves_nothing_and_runs_no_hook(engine):
    hooks = []
    with pytest.raises(Exception, match="UNIQUE"):
        async with write_transaction(engine):
            await engine.run_querystring(_insert("甲"))
            after_commit(engine, lambda: hooks.append(True))
            await engine.run_querystring(_insert("甲"))
    with pytest.raises(RuntimeError):
        async with write_transaction(engine):  # an error before anything was sent
            raise RuntimeError("nothing sent")
    async with write_transaction(engine):  # nothing sent: no BEGIN, no COMMIT
        pass
    assert hooks == [] and await _notes(engine) == []
    async with write_transaction(engine):  # the pool's connections are fine afterwards
        await engine.run_querystring(_insert("乙"))
    assert await _notes(engine) == ["乙"]


async def test_the_write_lock_is_taken_with_the_first_statement(engine, tmp_path):
    """BEGIN IMMEDIATE still comes before the first read: another connection cannot write
    in between (the read-then-write of a submission stays serial)."""
    import sqlite3

    async with write_transaction(engine):
        await engine.run_querystring(QueryString("SELECT count(*) AS n FROM note"))
        other = sqlite3.connect(tmp_path / "pool.sqlite", timeout=0)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("INSERT INTO note (text) VALUES ('外')")
        finally:
            other.close()
        await engine.run_querystring(_insert("内"))
    assert await _notes(engine) == ["内"]


async def test_a_write_sent_with_the_commit_commits_or_fails_with_it(engine, trips):
    async with write_transaction(engine):
        await engine.run_querystring(_insert("正文"))
        with sent_with_commit():
            assert await engine.run_querystring(_insert("留痕")) == []
    assert trips == ["_begin_and_fetchall", "_run_and_commit"], trips
    assert await _notes(engine) == ["正文", "留痕"]
    # A write sent with the commit that fails: the whole transaction is gone.
    with pytest.raises(Exception, match="UNIQUE"):
        async with write_transaction(engine):
            await engine.run_querystring(_insert("新正文"))
            with sent_with_commit():
                await engine.run_querystring(_insert("留痕"))
    assert await _notes(engine) == ["正文", "留痕"]
    with sent_with_commit():  # outside a transaction: at once
        await engine.run_querystring(_insert("单独"))
    assert await _notes(engine) == ["正文", "留痕", "单独"]
