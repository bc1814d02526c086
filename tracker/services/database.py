"""Schema migrations, run the same way by the CLI, the run command and the tests."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from pathlib import Path

from piccolo.apps.migrations.commands.check import CheckMigrationManager
from piccolo.apps.migrations.commands.forwards import run_forwards
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine

from tracker.db import PooledSQLiteEngine, enable_wal, is_sqlite
from tracker.piccolo_app import APP_CONFIG
from tracker.services import plan_cache
from tracker.tables import Plan


async def migrate() -> None:
    """Bring the database up to date; raise RuntimeError with Piccolo's reason on failure."""
    engine = current_engine()
    if is_sqlite(engine):
        enable_wal(Path(engine.path))
    # Piccolo prints a progress line per migration; the CLI prints its own summary instead.
    with contextlib.redirect_stdout(io.StringIO()) as output:
        result = await run_forwards(app_name="tracker")
    if not result.success:
        raise RuntimeError(f"数据库迁移失败：{result.message or output.getvalue().strip()}")


def current_engine() -> Engine:
    return Plan._meta.db


def bind_engine(engine: Engine) -> None:
    """Point every table at `engine` (the tests run the same suite on SQLite and PostgreSQL)."""
    for table in APP_CONFIG.table_classes:
        table._meta.db = engine
    plan_cache.clear()  # what was read from the previous database


class _OneLine(logging.Filter):
    """asyncpg's pool logs a traceback each time it fails to reconnect while the database is
    away; one line says as much (the requests meanwhile get 503, tracker.http.errors)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.msg = f"{record.getMessage()} ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
            record.args, record.exc_info, record.exc_text = (), None, None
        return True


async def open_pool() -> None:
    """PostgreSQL without a pool opens a connection per query (~95 req/s instead of ~1,200)."""
    engine = current_engine()
    pool_log = logging.getLogger("asyncpg.pool")
    if not any(isinstance(f, _OneLine) for f in pool_log.filters):
        pool_log.addFilter(_OneLine())
    if isinstance(engine, PostgresEngine) and engine.pool is None:
        await engine.start_connection_pool(min_size=1, max_size=20, reset=_keep_session)


async def _keep_session(connection) -> None:
    """What the pool runs when a connection comes back, after asyncpg has rolled back any
    transaction left open: nothing. Its default is one more round trip per statement
    (pg_advisory_unlock_all, CLOSE ALL, UNLISTEN *, RESET ALL; Piccolo borrows a connection for
    every statement outside a transaction), for session state this app never creates: it
    takes no advisory locks, keeps no cursors, never LISTENs or SETs on the pool's connections."""


async def close_pool() -> None:
    engine = current_engine()
    if isinstance(engine, PostgresEngine) and engine.pool is not None:
        await engine.close_connection_pool()
    elif isinstance(engine, PooledSQLiteEngine):  # the kept SQLite connections
        await engine.close_connection_pool()


async def require_current_schema() -> None:
    """Refuse to run on a database whose migrations are behind the code (clear message, not a
    "no such table" halfway through someone's work)."""
    statuses = await CheckMigrationManager(app_name="tracker").get_migration_statuses()
    pending = [status.migration_id for status in statuses if not status.has_ran]
    if pending:
        raise RuntimeError(f"数据库结构不是最新（有 {len(pending)} 个迁移未执行），"
                           "请先运行 tracker db migrate")


READY_TIMEOUT_SECONDS = 2.0


async def database_ready(timeout: float = READY_TIMEOUT_SECONDS) -> str | None:
    """None when a read of a real table answers within `timeout`; otherwise why not (for
    /readyz: a load balancer must stop sending requests to an instance whose database is
    gone, and must not wait for it to find out)."""
    try:
        await asyncio.wait_for(Plan.raw("SELECT id FROM plan LIMIT 1"), timeout)
    except TimeoutError:
        return f"数据库在{timeout:g}秒内无响应"
    except Exception as error:  # noqa: BLE001 - any failure means "not ready"
        return f"数据库不可用：{type(error).__name__}"
    return None
