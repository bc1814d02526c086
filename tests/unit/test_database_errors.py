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
