"""Units in the organisation's order (组织顺序), set by the administrator; 0 (the default)
keeps a unit where it was added."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-28T12:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unit order"


class RawTable(Table):
    """Only for running raw SQL in this migration."""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tracker", description=DESCRIPTION)

    async def add_position():
        await RawTable.raw("ALTER TABLE unit ADD COLUMN position INTEGER NOT NULL DEFAULT 0")

    async def drop_position():
        await RawTable.raw("ALTER TABLE unit DROP COLUMN position")

    manager.add_raw(add_position)
    manager.add_raw_backwards(drop_position)
    return manager
