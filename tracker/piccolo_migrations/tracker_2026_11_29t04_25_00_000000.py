"""A plan's structure version, kept by the database itself.

Every page of a plan checks whether the plan's structure (its tasks, their units, sections,
items, milestones, approved extensions) changed since its cached tree and facts were read,
also by another instance. That check was one aggregate query over all of those rows: ~4 ms of
SQLite's CPU at city scale (2,000 tasks, 4,000 task units), on every page, twice on the 催报
page. Now each of those tables has a trigger that adds one to `plan.structure_version` in the
same transaction as the write (whichever code or script makes it), and the check reads the one
plan row. The column is not in tracker/tables.py on purpose: the app never writes it (a saved
Plan object could otherwise write an old value back).

SQLite: one AFTER trigger per table and event. PostgreSQL: one plpgsql function per table,
fired AFTER INSERT, UPDATE or DELETE of each row.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.table import Table

ID = "2026-11-29T04:25:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "plan.structure_version, bumped by triggers on every structure table"

# Each structure table with the expression giving a row's plan ({row} is NEW or OLD).
PLAN_OF = {
    "task": "{row}.plan",
    "task_unit": "(SELECT plan FROM task WHERE id = {row}.task)",
    "milestone": "{row}.plan",
    "plan_section": "{row}.plan",
    "plan_item": "(SELECT plan FROM plan_section WHERE id = {row}.section)",
    "extension_request": "(SELECT plan FROM task WHERE id = {row}.task)",
}
BUMP = "UPDATE plan SET structure_version = structure_version + 1 WHERE id = {plan}"
ROWS = {"INSERT": ("NEW",), "UPDATE": ("NEW", "OLD"), "DELETE": ("OLD",)}


class RawTable(Table):
    """Only for running raw SQL in this migration."""


def _sqlite_statements() -> list[str]:
    statements = []
    for table, plan_of in PLAN_OF.items():
        for event, rows in ROWS.items():
            plans = ", ".join(plan_of.format(row=row) for row in rows)
            statements.append(
                f"CREATE TRIGGER {table}_structure_{event.lower()} AFTER {event} ON {table} "
                f"BEGIN UPDATE plan SET structure_version = structure_version + 1 "
                f"WHERE id IN ({plans}); END")
    return statements


def _postgres_statements() -> list[str]:
    statements = []
    for table, plan_of in PLAN_OF.items():
        old = BUMP.format(plan=plan_of.format(row="OLD"))
        new = BUMP.format(plan=plan_of.format(row="NEW"))
        statements.append(
            f"CREATE FUNCTION tracker_structure_{table}() RETURNS trigger AS $$ BEGIN "
            f"IF TG_OP <> 'INSERT' THEN {old}; END IF; "
            f"IF TG_OP <> 'DELETE' THEN {new}; END IF; "
            "RETURN NULL; END $$ LANGUAGE plpgsql")
        statements.append(
            f"CREATE TRIGGER {table}_structure AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION tracker_structure_{table}()")
    return statements


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tracker", description=DESCRIPTION)

    async def create():
        sqlite = RawTable._meta.db.engine_type == "sqlite"
        await RawTable.raw("ALTER TABLE plan ADD COLUMN structure_version INTEGER NOT NULL DEFAULT 0")
        for sql in _sqlite_statements() if sqlite else _postgres_statements():
            await RawTable.raw(sql)

    async def drop():
        sqlite = RawTable._meta.db.engine_type == "sqlite"
        for table in PLAN_OF:
            if sqlite:
                for event in ROWS:
                    await RawTable.raw(f"DROP TRIGGER {table}_structure_{event.lower()}")
            else:
                await RawTable.raw(f"DROP TRIGGER {table}_structure ON {table}")
                await RawTable.raw(f"DROP FUNCTION tracker_structure_{table}()")
        await RawTable.raw("ALTER TABLE plan DROP COLUMN structure_version")

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
