"""Indexes for in-app notices and 催报 records, as raw SQL that runs on SQLite and PostgreSQL:
the menu's unread badge is one indexed count per page, and one 催报 per unit, period, day and
sequence (two coordinators clicking at once cannot both send the first one)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-28T12:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "unread-notice index and one chase record per unit, period, day and sequence"

INDEXES = [
    "CREATE INDEX inbox_notice_unread ON inbox_notice (recipient, read_at)",
    "CREATE UNIQUE INDEX chase_record_key ON chase_record (plan, unit, period, day, sequence)",
]


class RawTable(Table):
    """Only for running raw SQL in this migration."""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tracker", description=DESCRIPTION)

    async def create_indexes():
        for sql in INDEXES:
            await RawTable.raw(sql)

    async def drop_indexes():
        for name in ("inbox_notice_unread", "chase_record_key"):
            await RawTable.raw(f"DROP INDEX {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
