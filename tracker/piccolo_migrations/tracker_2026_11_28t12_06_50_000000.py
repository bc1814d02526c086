"""提请领导关注 on tasks (the coordinator's sentence for the leadership report), and on archived
reports the Word copy and the fingerprint of the report's content (same content: the archived
copy is returned instead of a new row). Plain ALTER TABLE ... ADD COLUMN: the same SQL runs on
SQLite and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-28T12:06:50:000000"
VERSION = "1.38.0"
DESCRIPTION = "attention note on tasks; docx copy and content fingerprint on generated reports"

COLUMNS = [
    ("task", "attention_note", "TEXT"),
    ("generated_report", "fingerprint", "VARCHAR(64)"),
    ("generated_report", "docx_name", "VARCHAR(100)"),
    ("generated_report", "docx_size", "INTEGER"),
]


class RawTable(Table):
    """Only for running raw SQL in this migration."""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tracker", description=DESCRIPTION)

    async def add_columns():
        for table, column, kind in COLUMNS:
            await RawTable.raw(f"ALTER TABLE {table} ADD COLUMN {column} {kind} NULL")
        await RawTable.raw("CREATE INDEX generated_report_lookup ON generated_report "
                           "(plan, period, as_of, edition)")

    async def drop_columns():
        await RawTable.raw("DROP INDEX generated_report_lookup")
        for table, column, _ in reversed(COLUMNS):
            await RawTable.raw(f"ALTER TABLE {table} DROP COLUMN {column}")

    manager.add_raw(add_columns)
    manager.add_raw_backwards(drop_columns)
    return manager
