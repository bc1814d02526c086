"""Composite unique keys, as indexes so the same SQL runs on SQLite and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-26T20:53:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unique keys for update versions and task assignments"

UNIQUE_INDEXES = [
    "CREATE UNIQUE INDEX progress_update_version_key ON progress_update (task, unit, period, version)",
    "CREATE UNIQUE INDEX task_unit_key ON task_unit (task, unit)",
]


class RawTable(Table):
    """Only for running raw SQL in this migration."""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tracker", description=DESCRIPTION)

    async def create_indexes():
        for sql in UNIQUE_INDEXES:
            await RawTable.raw(sql)

    async def drop_indexes():
        for name in ("progress_update_version_key", "task_unit_key"):
            await RawTable.raw(f"DROP INDEX {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
