"""An idempotency key is bound to the request it came with: the fingerprint of the update it
stored (task, period, figures, texts, links, attachments' SHA-256), so reusing the key for
anything else is a conflict instead of someone else's answer. Rows stored before this
migration have none and are matched by user and task only."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-28T12:14:47:000000"
VERSION = "1.38.0"
DESCRIPTION = "progress_update.request_fingerprint for idempotency keys"


class RawTable(Table):
    """Only for running raw SQL in this migration."""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tracker", description=DESCRIPTION)

    async def add_column():
        await RawTable.raw("ALTER TABLE progress_update ADD COLUMN request_fingerprint "
                           "VARCHAR(64) NULL DEFAULT NULL")

    async def drop_column():
        await RawTable.raw("ALTER TABLE progress_update DROP COLUMN request_fingerprint")

    manager.add_raw(add_column)
    manager.add_raw_backwards(drop_column)
    return manager
