"""Which database errors mean "unavailable right now" (503, Retry-After) rather than a bug (500)."""

from __future__ import annotations

import asyncpg

from tracker.db import DATABASE_ERRORS, database_unavailable
from tracker.http.errors import EXCEPTION_HANDLERS


def test_a_connection_cut_mid_operation_by_a_shutting_down_server_is_unavailable():
    # What asyncpg raises when PostgreSQL terminates a pooled connection (restart) as a query
    # is sent on it; seen in tests/integration/test_instances.py under load.
    error = asyncpg.exceptions.InternalClientError(
        "cannot switch to state 12; another operation (2) is in progress")
    assert database_unavailable(error)
    assert type(error) in DATABASE_ERRORS and type(error) in EXCEPTION_HANDLERS
    assert not database_unavailable(asyncpg.exceptions.InternalClientError("something else"))


def test_a_transaction_the_database_rolled_back_is_a_409_that_may_be_sent_again():
    """A deadlock or serialization failure (two coordinators editing one plan's tasks at once:
    each structure write also moves the plan's structure version) is answered 409 with the
    reason in Chinese, over real HTTP through Litestar; other database errors are not."""
    from litestar import Litestar, get
    from litestar.testing import TestClient

    @get("/api/deadlock")
    async def deadlock() -> None:
        raise asyncpg.exceptions.DeadlockDetectedError("deadlock detected")

    @get("/api/serialization")
    async def serialization() -> None:
        raise asyncpg.exceptions.SerializationError("could not serialize access")

    @get("/api/other")
    async def other() -> None:
        raise asyncpg.exceptions.UniqueViolationError("duplicate key")

    app = Litestar([deadlock, serialization, other], exception_handlers=EXCEPTION_HANDLERS)
    with TestClient(app) as client:
        for path in ("/api/deadlock", "/api/serialization"):
            answer = client.get(path)
            assert answer.status_code == 409, path
            assert answer.json()["detail"] == "与同时进行的其他修改冲突，本次未保存，请重新提交"
        assert client.get("/api/other").status_code == 500
