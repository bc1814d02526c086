"""Plans with a past and a parent: a plan's kind (own / parent), the relations between plans
(parent, follows), task links to parent clauses and to last year's tasks, and the day a
revision withdrew (撤销) a task. Written as SQL for each engine, so it runs on both."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-28T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "parent plans, plan relations, task links, withdrawn tasks"


class RawTable(Table):
    """Only for running raw SQL in this migration."""


def _statements(sqlite: bool) -> list[str]:
    serial = "INTEGER PRIMARY KEY NOT NULL" if sqlite else "SERIAL PRIMARY KEY"
    fk = "ON DELETE CASCADE ON UPDATE CASCADE"
    return [
        "ALTER TABLE plan ADD COLUMN kind VARCHAR(20) NOT NULL DEFAULT 'own'",
        "ALTER TABLE task ADD COLUMN withdrawn_on DATE DEFAULT null",
        f'CREATE TABLE plan_relation (id {serial}, '
        f'plan INTEGER NOT NULL REFERENCES plan (id) {fk}, '
        f'related INTEGER NOT NULL REFERENCES plan (id) {fk}, '
        "kind VARCHAR(20) NOT NULL DEFAULT '', "
        "created_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp, "
        "UNIQUE (plan, related, kind))",
        "CREATE INDEX plan_relation_related ON plan_relation (related)",
        f'CREATE TABLE task_link (id {serial}, '
        f'task INTEGER NOT NULL REFERENCES task (id) {fk}, '
        f'target INTEGER NOT NULL REFERENCES task (id) {fk}, '
        "kind VARCHAR(20) NOT NULL DEFAULT '', "
        "score INTEGER NOT NULL DEFAULT 0, "
        "state VARCHAR(20) NOT NULL DEFAULT 'suggested', "
        "decided_by INTEGER DEFAULT null REFERENCES app_user (id) ON DELETE RESTRICT ON UPDATE CASCADE, "
        "decided_at TIMESTAMPTZ DEFAULT null, "
        "UNIQUE (task, target, kind))",
        "CREATE INDEX task_link_target ON task_link (target)",
    ]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tracker", description=DESCRIPTION)

    async def run():
        for sql in _statements(RawTable._meta.db.engine_type == "sqlite"):
            await RawTable.raw(sql)

    async def undo():
        for sql in ("DROP TABLE task_link", "DROP TABLE plan_relation",
                    "ALTER TABLE task DROP COLUMN withdrawn_on",
                    "ALTER TABLE plan DROP COLUMN kind"):
            await RawTable.raw(sql)

    manager.add_raw(run)
    manager.add_raw_backwards(undo)
    return manager
