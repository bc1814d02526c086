"""Database engines: SQLite file by default, PostgreSQL when TRACKER_DATABASE_URL names one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType


def make_engine(database_url: str | None, sqlite_path: Path) -> Engine:
    if database_url:
        if not database_url.startswith(("postgres://", "postgresql://")):
            raise ValueError(f"TRACKER_DATABASE_URL 只支持 postgresql:// 地址：{database_url}")
        return PostgresEngine(config={"dsn": database_url})
    # A busy timeout lets concurrent writers wait for the lock instead of failing at once.
    return SQLiteEngine(path=str(sqlite_path), timeout=30)


def is_sqlite(engine: Engine) -> bool:
    return isinstance(engine, SQLiteEngine)


def write_transaction(engine: Engine):
    """A transaction for read-then-write work.

    SQLite's default DEFERRED transactions fail with "database is locked" when two of them
    upgrade to writers at once; IMMEDIATE takes the write lock up front.
    """
    if is_sqlite(engine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


def enable_wal(sqlite_path: Path) -> None:
    """WAL mode lets readers run during a write; it is a property of the file, set once."""
    sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(sqlite_path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
