"""Indexes on the foreign keys that every page reads by, as raw SQL that runs on SQLite and
PostgreSQL (neither indexes a foreign key by itself). At city scale (2,000 tasks, 38,000
updates) each page view checks its plan's structure fingerprint (plan_cache.structure), which
scanned every task, task unit, section, item and milestone of every plan (2-10 ms on SQLite),
and the review queue scanned every review (9-16 ms). task (plan, version) also covers the
fingerprint's count, max(id) and sum(version)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-28T22:27:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes on the foreign keys the pages read by"

INDEXES = {
    "task_plan": 'task (plan, version)',
    "plan_section_plan": "plan_section (plan)",
    "plan_item_section": "plan_item (section)",
    "milestone_plan": "milestone (plan)",
    "task_unit_unit": "task_unit (unit)",
    "review_update": 'review ("update")',
    "attachment_update": 'attachment ("update")',
    "extension_request_task": "extension_request (task)",
}


class RawTable(Table):
    """Only for running raw SQL in this migration."""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tracker", description=DESCRIPTION)

    async def create_indexes():
        for name, target in INDEXES.items():
            await RawTable.raw(f"CREATE INDEX {name} ON {target}")

    async def drop_indexes():
        for name in INDEXES:
            await RawTable.raw(f"DROP INDEX {name}")

    manager.add_raw(create_indexes)
    manager.add_raw_backwards(drop_indexes)
    return manager
