"""Progress history and the audit trail are append-only, enforced by the database itself, so
neither the API nor the ORM (nor a stray script) can update or delete them."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-26T21:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "append-only progress history and audit trail"

APPEND_ONLY_TABLES = ["progress_update", "review", "attachment", "audit_entry"]


class RawTable(Table):
    """Only for running raw SQL in this migration."""


def _sqlite_statements() -> list[str]:
    statements = []
    for table in APPEND_ONLY_TABLES:
        for event in ("UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {event} refused'); END"
            )
    return statements


def _postgres_statements() -> list[str]:
    statements = [
        "CREATE FUNCTION tracker_append_only() RETURNS trigger AS $$ BEGIN "
        "RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; "
        "END $$ LANGUAGE plpgsql"
    ]
    for table in APPEND_ONLY_TABLES:
        statements.append(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION tracker_append_only()"
        )
        # TRUNCATE bypasses row triggers; refuse it too.
        statements.append(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION tracker_append_only()"
        )
    return statements


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tracker", description=DESCRIPTION)

    async def create_triggers():
        sqlite = RawTable._meta.db.engine_type == "sqlite"
        for sql in _sqlite_statements() if sqlite else _postgres_statements():
            await RawTable.raw(sql)

    async def drop_triggers():
        if RawTable._meta.db.engine_type == "sqlite":
            for table in APPEND_ONLY_TABLES:
                for event in ("update", "delete"):
                    await RawTable.raw(f"DROP TRIGGER {table}_no_{event}")
        else:
            for table in APPEND_ONLY_TABLES:
                await RawTable.raw(f"DROP TRIGGER {table}_append_only ON {table}")
                await RawTable.raw(f"DROP TRIGGER {table}_no_truncate ON {table}")
            await RawTable.raw("DROP FUNCTION tracker_append_only()")

    manager.add_raw(create_triggers)
    manager.add_raw_backwards(drop_triggers)
    return manager
