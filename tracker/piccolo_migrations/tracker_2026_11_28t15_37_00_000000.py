"""Plan-import drafts and staged task-division uploads move from files in the data directory
into the database, so that every instance of a tracker sees them (issue 14). Drafts and
uploads left in the old folders are not carried over: they are short-lived work in progress
(a week and a day), made again by uploading the file."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Bytea, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

ID = "2026-11-28T15:37:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "plan drafts and staged uploads in the database"


class AppUser(Table, tablename="app_user"):
    """Only as the target of the foreign keys below."""


class PlanDraft(Table, tablename="plan_draft"):
    draft_key = Varchar(length=32, unique=True)
    owner = ForeignKey(references=AppUser, null=False, on_delete=OnDelete.cascade, index=True)
    version = Integer(default=1)
    body = Text()
    saved_at = Timestamptz(index=True)


class StagedUpload(Table, tablename="staged_upload"):
    upload_key = Varchar(length=32, unique=True)
    owner = ForeignKey(references=AppUser, null=False, on_delete=OnDelete.cascade, index=True)
    preview = Text()
    content = Bytea()
    created_at = Timestamptz(index=True)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tracker", description=DESCRIPTION)

    async def create():
        await PlanDraft.create_table()
        await StagedUpload.create_table()

    async def drop():
        await StagedUpload.alter().drop_table()
        await PlanDraft.alter().drop_table()

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
