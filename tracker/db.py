"""Database engines: SQLite file by default, PostgreSQL when TRACKER_DATABASE_URL names one."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import sqlite3
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from string import Formatter

import aiosqlite
import asyncpg
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory

SQLITE_POOL_SIZE = 4


def make_engine(database_url: str | None, sqlite_path: Path) -> Engine:
    if database_url:  # checked by tracker.settings: postgresql://
        return PostgresEngine(config={"dsn": database_url})
    # A busy timeout lets concurrent writers wait for the lock instead of failing at once.
    return PooledSQLiteEngine(path=str(sqlite_path), timeout=30)


# Errors that mean "the database cannot be reached right now" (stopped, restarting, network
# cut, pool exhausted, file locked or missing), as opposed to a bug in a query.
DATABASE_ERRORS = (OSError, sqlite3.OperationalError, asyncpg.PostgresError, asyncpg.InterfaceError,
                   asyncpg.exceptions.InternalClientError)
_UNAVAILABLE_ERRNOS = {errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EHOSTUNREACH,
                       errno.ENETUNREACH, errno.ETIMEDOUT, errno.EPIPE}
_SQLITE_UNAVAILABLE = ("database is locked", "unable to open database file", "disk i/o error")


def concurrent_conflict(error: BaseException) -> bool:
    """PostgreSQL rolled the transaction back because of another one running at the same time
    (a deadlock, or a serialization failure): nothing was stored and the same request may be
    sent again. Two coordinators editing one plan's tasks at once can meet this: every
    structure write also moves the plan's structure version (migration 2026-11-29T04:25)."""
    return isinstance(error, asyncpg.exceptions.TransactionRollbackError)


def database_unavailable(error: BaseException) -> bool:
    if isinstance(error, (asyncpg.PostgresConnectionError, asyncpg.exceptions.OperatorInterventionError,
                          asyncpg.exceptions.TooManyConnectionsError, ConnectionError, TimeoutError)):
        return True
    if isinstance(error, asyncpg.InterfaceError):
        text = str(error).lower()
        return "connection" in text or "pool" in text
    if isinstance(error, asyncpg.exceptions.InternalClientError):
        # A pooled connection the server terminated (it is shutting down) while a query was
        # being sent on it: asyncpg's protocol state is left mid-operation (MagicStack/asyncpg
        # #1069). The pool drops that connection; the request is a 503 like the others.
        return "cannot switch to state" in str(error)
    if isinstance(error, sqlite3.OperationalError):
        return str(error).lower().startswith(_SQLITE_UNAVAILABLE)
    if isinstance(error, OSError):  # asyncpg: "Multiple exceptions: [Errno 111] Connect call failed"
        return error.errno in _UNAVAILABLE_ERRNOS or "connect call failed" in str(error).lower()
    return False


def is_sqlite(engine: Engine) -> bool:
    return isinstance(engine, SQLiteEngine)


def write_transaction(engine: Engine) -> _WriteTransaction:
    """A transaction for read-then-write work (every transaction of the app is one of these),
    with `after_commit` hooks.

    SQLite's default DEFERRED transactions fail with "database is locked" when two of them
    upgrade to writers at once; IMMEDIATE takes the write lock up front.
    """
    if is_sqlite(engine):
        return _WriteTransaction(engine, engine.transaction(
            transaction_type=TransactionType.immediate))
    return _WriteTransaction(engine, engine.transaction())


# (the outermost transaction, its hooks) of the write transaction open in this context.
_open_write: ContextVar[tuple[object, list[Callable[[], None]]] | None] = ContextVar(
    "tracker_open_write_transaction", default=None)


class _WriteTransaction:
    """The engine's transaction, and what is to run once it has committed."""

    def __init__(self, engine: Engine, transaction):
        self._engine = engine
        self._transaction = transaction
        self._hooks: list[Callable[[], None]] | None = None
        self._token = None

    async def __aenter__(self):
        outermost = self._engine.current_transaction.get() is None
        entered = await self._transaction.__aenter__()
        if outermost:
            self._hooks = []
            self._token = _open_write.set((entered, self._hooks))
        return entered

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        try:
            result = await self._transaction.__aexit__(exception_type, exception, traceback)
        finally:
            if self._token is not None:
                _open_write.reset(self._token)
        if self._hooks and exception is None:  # committed (a failed COMMIT raised above)
            for hook in self._hooks:
                hook()
        return result


def after_commit(engine: Engine, hook: Callable[[], None]) -> None:
    """Run `hook` once the write transaction open on `engine` has committed (never if it rolls
    back), or now when none is open: e.g. wake what sends a queued notice only when the notice
    can be seen by another connection."""
    current = engine.current_transaction.get()
    opened = _open_write.get()
    if current is not None and opened is not None and opened[0] is current:
        opened[1].append(hook)
    else:
        hook()


class Statement:
    """A fixed statement of a hot path (a submission, the bearer token's lookup), written once
    with Piccolo's `{}` placeholders and compiled once per engine type (`$1..$n` or `?`).

    `Table.raw` builds a Piccolo query and a QueryString and compiles it again on every call:
    on a submission that was a good part of the server's CPU. The text sent is the same every
    time, so asyncpg's per-connection statement cache finds it prepared. It still goes
    through the engine's `run_querystring` (the current transaction's connection or the pool,
    query logging, `count_statements`), and gives what `Table.raw` gives: a list of dicts."""

    __slots__ = ("template", "_compiled")

    def __init__(self, template: str):
        self.template = template
        self._compiled: dict[str, str] = {}

    def compiled(self, engine_type: str) -> str:
        text = self._compiled.get(engine_type)
        if text is None:  # as Piccolo's QueryString.compile_string does it
            numbered = engine_type in ("postgres", "cockroach")
            pieces, index = [], 0
            for literal, placeholder, _, _ in Formatter().parse(self.template):
                pieces.append(literal)
                if placeholder is not None:
                    index += 1
                    pieces.append(f"${index}" if numbered else "?")
            text = self._compiled[engine_type] = "".join(pieces)
        return text

    async def fetch(self, engine: Engine, *args) -> list[dict]:
        results = await engine.run_querystring(_BoundStatement(self, args))
        return engine.transform_response_to_dicts(results) if results else []


class _BoundStatement:
    """A Statement with its values, in the shape engines take a Piccolo QueryString."""

    __slots__ = ("statement", "args")
    query_type = "generic"  # as Table.raw's
    table = None

    def __init__(self, statement: Statement, args: tuple):
        self.statement = statement
        self.args = args

    def compile_string(self, engine_type: str = "postgres") -> tuple[str, list]:
        return self.statement.compiled(engine_type), list(self.args)

    def __str__(self) -> str:
        return self.statement.template.format(*(repr(arg) for arg in self.args))


@dataclass
class StatementCount:
    """Statements sent through an engine, and transactions opened on it (the issue-14 budget
    of a submission is counted in these: tests/integration/test_hot_paths.py, the benchmark)."""

    statements: int = 0
    transactions: int = 0
    queries: list = field(default_factory=list)  # what was sent, rendered only when read

    @property
    def sql(self) -> list[str]:
        """The statements as text (cut at 200 characters). Rendered on demand: rendering
        every statement as it passes cost a measured submission ~0.3 ms of CPU that the
        server itself never spends."""
        return [str(query)[:200] for query in self.queries]


@contextlib.contextmanager
def count_statements(engine: Engine) -> Iterator[StatementCount]:
    """Count what goes through `engine` meanwhile: every Piccolo query, raw SQL included,
    passes `run_querystring`; BEGIN and COMMIT are counted as one transaction. (Engines have
    slots: the methods are wrapped on the class, counting this engine's calls only.)"""
    count = StatementCount()
    cls = type(engine)
    saved = {name: cls.__dict__.get(name) for name in ("run_querystring", "transaction")}
    run_querystring, transaction = cls.run_querystring, cls.transaction

    async def counted_run(self, querystring, *args, **kwargs):
        if self is engine:
            count.statements += 1
            count.queries.append(querystring)
        return await run_querystring(self, querystring, *args, **kwargs)

    def counted_transaction(self, *args, **kwargs):
        if self is engine:
            count.transactions += 1
        return transaction(self, *args, **kwargs)

    cls.run_querystring, cls.transaction = counted_run, counted_transaction
    try:
        yield count
    finally:
        for name, value in saved.items():
            if value is None:
                delattr(cls, name)
            else:
                setattr(cls, name, value)


def is_unique_violation(error: Exception) -> bool:
    """A unique key refused a row (sqlite3.IntegrityError or asyncpg's UniqueViolationError).
    On SQLite an append-only table's BEFORE INSERT trigger refuses a colliding row before the
    unique index does, with its own message (migration 2026-11-28T12:01:25)."""
    text = f"{type(error).__name__} {error}".lower()
    return "unique" in text or "append-only: replace refused" in text


def enable_wal(sqlite_path: Path) -> None:
    """WAL mode lets readers run during a write; it is a property of the file, set once."""
    sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(sqlite_path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")


# --- SQLite with persistent connections -------------------------------------------------------
#
# Piccolo's SQLiteEngine opens a new connection (and a new thread) for every query and runs
# `PRAGMA foreign_keys` before every statement in a transaction: ~470 one-row selects/s instead
# of ~2,800 on a kept connection. This engine keeps a few connections open, and queues this
# process's write transactions on an asyncio lock before `BEGIN IMMEDIATE`, so they wait their
# turn on the event loop instead of in SQLite's sleeping busy handler (the busy timeout still
# covers other processes, e.g. a CLI command).


class _PooledConnection:
    """A kept connection, lent to one query or one transaction; close() gives it back."""

    def __init__(self, pool: _SQLitePool, connection: aiosqlite.Connection):
        self._pool = pool
        self._connection = connection

    def execute(self, *args, **kwargs):
        if self._pool is None:
            raise RuntimeError("this connection was given back to the pool")
        return self._connection.execute(*args, **kwargs)

    def execute_fetchall(self, *args, **kwargs):
        if self._pool is None:
            raise RuntimeError("this connection was given back to the pool")
        return self._connection.execute_fetchall(*args, **kwargs)

    @property
    def row_factory(self):
        return self._connection.row_factory

    @row_factory.setter
    def row_factory(self, factory) -> None:
        self._connection.row_factory = factory

    @property
    def in_transaction(self) -> bool:
        return self._connection.in_transaction

    async def commit(self) -> None:
        await self._connection.commit()

    async def rollback(self) -> None:
        await self._connection.rollback()

    @property
    def released(self) -> bool:
        return self._pool is None

    async def close(self, discard: bool = False) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.release(self._connection, discard)

    def __getattr__(self, name):
        return getattr(self._connection, name)


class _SQLitePool:
    def __init__(self, connection_kwargs: dict, size: int):
        self._kwargs = connection_kwargs
        self._idle: list[aiosqlite.Connection] = []
        self._all: list[aiosqlite.Connection] = []
        self._slots = asyncio.Semaphore(size)
        self.write_gate = asyncio.Lock()
        self.loop = asyncio.get_running_loop()

    async def _connect(self) -> aiosqlite.Connection:
        connection = aiosqlite.connect(**self._kwargs)
        thread = getattr(connection, "_thread", None)
        if thread is not None:  # an unclosed pool must not keep the process alive at exit
            thread.daemon = True
        await connection
        connection.row_factory = dict_factory
        await connection.execute("PRAGMA foreign_keys = 1")
        self._all.append(connection)
        return connection

    async def acquire(self) -> aiosqlite.Connection:
        await self._slots.acquire()
        try:
            return self._idle.pop() if self._idle else await self._connect()
        except BaseException:
            self._slots.release()
            raise

    async def release(self, connection: aiosqlite.Connection, discard: bool = False) -> None:
        try:
            if discard or connection.in_transaction:  # left mid-transaction: never lend it again
                if connection in self._all:
                    self._all.remove(connection)
                await connection.close()
            else:
                self._idle.append(connection)
        finally:
            self._slots.release()

    async def close(self) -> None:
        connections, self._all, self._idle = self._all, [], []
        for connection in connections:
            try:
                await connection.close()
            except Exception:  # noqa: BLE001 - closing what is already broken
                pass


_SENT_WITH_COMMIT: ContextVar[bool] = ContextVar("tracker_sent_with_commit", default=False)


@contextlib.contextmanager
def sent_with_commit() -> Iterator[None]:
    """Writes made in this block whose answer nobody reads (an audit entry) go with the
    transaction's COMMIT on the pooled SQLite engine: one trip to the connection's thread for
    both. A failing one fails the COMMIT, and nothing of the transaction is stored. Outside
    a transaction, and on PostgreSQL, they run at once."""
    token = _SENT_WITH_COMMIT.set(True)
    try:
        yield
    finally:
        _SENT_WITH_COMMIT.reset(token)


def _run_and_commit(connection: sqlite3.Connection, begin: str | None,
                    statements: list[tuple[str, list]]) -> None:
    if begin is not None:
        connection.execute(begin)
    for query, args in statements:
        connection.execute(query, args)
    connection.execute("COMMIT")


def _begin_and_fetchall(connection: sqlite3.Connection, begin: str, query: str, args):
    """On the connection's thread: BEGIN and the transaction's first statement in one trip."""
    connection.execute(begin)
    return connection.execute(query, args).fetchall()


class _PooledTransaction(SQLiteTransaction):
    """Write transactions of this process take turns before BEGIN IMMEDIATE.

    BEGIN goes to the connection's thread with the transaction's first statement, in one
    trip instead of two (each trip to aiosqlite's thread and back costs CPU on both sides); a
    transaction that sends nothing sends no BEGIN and no COMMIT either."""

    _gate = None
    _pending_begin: str | None = None

    async def begin(self):  # Piccolo's __aenter__ calls it: BEGIN waits for the first statement
        self._pending_begin = f"BEGIN {self.transaction_type.value}"
        self.at_commit: list[tuple[str, list]] = []  # sent_with_commit's writes

    async def _send_begin(self) -> None:
        begin, self._pending_begin = self._pending_begin, None
        if begin is not None:
            await self.connection.execute(begin)

    async def fetchall(self, query: str, args) -> list:
        """A statement in this transaction (the first one carries the BEGIN)."""
        begin, self._pending_begin = self._pending_begin, None
        if begin is None:
            return await self.connection.execute_fetchall(query, args)
        raw = self.connection._connection  # the aiosqlite connection this transaction holds
        return await raw._execute(_begin_and_fetchall, raw._conn, begin, query, args)

    async def commit(self):
        statements, self.at_commit = getattr(self, "at_commit", []), []
        if statements:
            begin, self._pending_begin = self._pending_begin, None
            raw = self.connection._connection
            await raw._execute(_run_and_commit, raw._conn, begin, statements)
            self._committed = True
            return
        if self._pending_begin is not None:  # nothing was sent: nothing to commit
            self._pending_begin = None
            self._committed = True
            return
        await super().commit()

    async def rollback(self):
        self._pending_begin, self.at_commit = None, []
        if not self.connection.in_transaction:  # BEGIN never sent, or it failed
            self._rolled_back = True
            return
        await super().rollback()

    async def savepoint(self, name=None):
        await self._send_begin()
        return await super().savepoint(name)

    async def __aenter__(self):
        if self._parent is None and self.transaction_type != TransactionType.deferred:
            gate = (await self.engine.pool()).write_gate
            await gate.acquire()
            self._gate = gate
        try:
            return await super().__aenter__()
        except BaseException:  # e.g. BEGIN failed: give the connection back, then the turn
            connection = getattr(self, "connection", None)
            if isinstance(connection, _PooledConnection) and not connection.released:
                await connection.close()
            self._release_gate()
            raise

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        try:
            return await super().__aexit__(exception_type, exception, traceback)
        finally:
            # Piccolo skips closing the connection (and resetting the current transaction)
            # when COMMIT or ROLLBACK raises: never leak a pool slot or a half-done transaction.
            connection = getattr(self, "connection", None)
            if self._parent is None and isinstance(connection, _PooledConnection) and (
                    not connection.released):
                try:
                    await connection.close(discard=True)
                finally:
                    if self.engine.current_transaction.get() is self:
                        self.engine.current_transaction.reset(self.context)
            self._release_gate()

    def _release_gate(self) -> None:
        gate, self._gate = self._gate, None
        if gate is not None:
            gate.release()


class PooledSQLiteEngine(SQLiteEngine):
    """SQLiteEngine on a few kept connections (WAL lets readers run beside the writer)."""

    def __init__(self, *args, pool_size: int = SQLITE_POOL_SIZE, **kwargs):
        super().__init__(*args, **kwargs)
        self._pool_size = pool_size
        self._pool: _SQLitePool | None = None

    async def pool(self) -> _SQLitePool:
        loop = asyncio.get_running_loop()
        if self._pool is None or self._pool.loop is not loop:
            # First use, or a new event loop (asyncio.run per CLI command): start afresh.
            self._pool = _SQLitePool(self.connection_kwargs, self._pool_size)
        return self._pool

    async def start_connection_pool(self) -> None:
        """Piccolo's hook: the pool starts on first use (per event loop), nothing to do here."""

    async def close_connection_pool(self) -> None:
        """Piccolo's hook: close the kept connections."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def get_connection(self):
        pool = await self.pool()
        return _PooledConnection(pool, await pool.acquire())

    # Piccolo's public entry points for SQL and DDL, run on a kept connection: the one of the
    # current transaction, or one borrowed from the pool for this statement (autocommit, as
    # Piccolo's connections are: isolation_level=None).

    async def run_querystring(self, querystring, in_pool: bool = False):
        if _SENT_WITH_COMMIT.get():
            transaction = self.current_transaction.get()
            if isinstance(transaction, _PooledTransaction) and transaction._parent is None:
                query, args = querystring.compile_string(engine_type=self.engine_type)
                transaction.at_commit.append((query, args))
                return []
        if querystring.query_type == "insert" and self.get_version_sync() < 3.35:
            # No RETURNING before SQLite 3.35: Piccolo's own path looks the new row up.
            transaction = self.current_transaction.get()
            if isinstance(transaction, _PooledTransaction):
                await transaction._send_begin()
            return await super().run_querystring(querystring, in_pool)
        query, args = querystring.compile_string(engine_type=self.engine_type)
        return await self._run_logged(query, args)

    async def run_ddl(self, ddl: str, in_pool: bool = False):
        return await self._run_logged(ddl, [])

    async def _run_logged(self, query: str, args: list):
        query_id = self.get_query_id()
        if self.log_queries:
            self.print_query(query_id=query_id, query=query)
        transaction = self.current_transaction.get()
        if isinstance(transaction, _PooledTransaction):
            response = await transaction.fetchall(query, args)
        elif transaction is not None:
            response = await transaction.connection.execute_fetchall(query, args)
        else:
            connection = await self.get_connection()
            try:
                # One trip to the connection's thread (execute, fetch, close) instead of three.
                response = await connection.execute_fetchall(query, args)
            finally:
                await connection.close()
        if self.log_responses:
            self.print_response(query_id=query_id, response=response)
        return response

    def transaction(self, transaction_type: TransactionType = TransactionType.deferred,
                    allow_nested: bool = True) -> SQLiteTransaction:
        return _PooledTransaction(engine=self, transaction_type=transaction_type,
                                  allow_nested=allow_nested)
