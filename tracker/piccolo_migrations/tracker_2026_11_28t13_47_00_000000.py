"""When a task or a unit's part in a task (task_unit) was added after the plan's import, so a
period before that does not owe it. NULL: part of the plan from its start (imported rows)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-28T13:47:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "task and task_unit created_at"


class RawTable(Table):
    """Only for running raw SQL in this migration."""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tracker", description=DESCRIPTION)

    async def add_columns():
        # TIMESTAMPTZ on SQLite too: Piccolo's SQLite converters go by the declared type.
        for table in ("task", "task_unit"):
            await RawTable.raw(f"ALTER TABLE {table} ADD COLUMN created_at TIMESTAMPTZ NULL")

    async def drop_columns():
        for table in ("task", "task_unit"):
            await RawTable.raw(f"ALTER TABLE {table} DROP COLUMN created_at")

    manager.add_raw(add_columns)
    manager.add_raw_backwards(drop_columns)
    return manager
