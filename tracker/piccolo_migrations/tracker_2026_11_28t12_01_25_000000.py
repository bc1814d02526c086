"""History cannot be rewritten by an insert either.

SQLite's `INSERT OR REPLACE` (and `REPLACE`) resolves a unique conflict by deleting the old
row, and that delete fires no DELETE trigger unless recursive triggers are on for the
connection: a script could rewrite a progress update or an audit entry in place. A BEFORE
INSERT trigger refuses any row that would collide with an existing one on a unique key, on
every connection, whoever opened it. (`ON CONFLICT DO UPDATE` fires the UPDATE triggers that
already refuse it.)

PostgreSQL has no REPLACE; its remaining holes (TRUNCATE, ALTER TABLE … DISABLE TRIGGER) are
closed by running the app as a role that does not own the tables (README, security).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-28T12:01:25:000000"
VERSION = "1.38.0"
DESCRIPTION = "append-only history refuses INSERT OR REPLACE on SQLite"

# Each append-only table with its unique keys: a new row equal on any of them would replace.
UNIQUE_KEYS = {
    "progress_update": [("id",), ("idempotency_key",), ("task", "unit", "period", "version")],
    "review": [("id",)],
    "attachment": [("id",), ("stored_name",)],
    "audit_entry": [("id",)],
}


class RawTable(Table):
    """Only for running raw SQL in this migration."""


def _sqlite_statements() -> list[str]:
    statements = []
    for table, keys in UNIQUE_KEYS.items():
        collisions = " OR ".join(
            f"EXISTS (SELECT 1 FROM {table} WHERE "
            + " AND ".join(f"{column} = NEW.{column}" for column in key) + ")"
            for key in keys)
        statements.append(
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
            f"WHEN {collisions} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: REPLACE refused'); END")
    return statements


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tracker", description=DESCRIPTION)

    async def create_triggers():
        if RawTable._meta.db.engine_type == "sqlite":
            for sql in _sqlite_statements():
                await RawTable.raw(sql)

    async def drop_triggers():
        if RawTable._meta.db.engine_type == "sqlite":
            for table in UNIQUE_KEYS:
                await RawTable.raw(f"DROP TRIGGER {table}_no_replace")

    manager.add_raw(create_triggers)
    manager.add_raw_backwards(drop_triggers)
    return manager
