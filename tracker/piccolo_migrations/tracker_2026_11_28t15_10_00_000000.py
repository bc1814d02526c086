"""Background jobs: the report_job and job_error tables (both engines), and on PostgreSQL the job queue's own
schema (procrastinate's tables and functions), so that `tracker db migrate` is the one step
that sets up a database, whatever the deployment."""

from importlib import resources

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.postgres import PostgresEngine
from piccolo.table import Table

ID = "2026-11-28T15:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "report jobs and the PostgreSQL job queue"


class RawTable(Table):
    """Only for running raw SQL in this migration."""


def _create_report_job(postgres: bool) -> str:
    key = "id SERIAL PRIMARY KEY" if postgres else "id INTEGER PRIMARY KEY"
    return f"""
        CREATE TABLE report_job (
            {key},
            token VARCHAR(32) NOT NULL UNIQUE,
            plan INTEGER NOT NULL REFERENCES plan (id) ON DELETE CASCADE,
            period VARCHAR(7) NOT NULL,
            as_of DATE NOT NULL,
            edition VARCHAR(20) NOT NULL,
            unit INTEGER NULL REFERENCES unit (id) ON DELETE CASCADE,
            requested_by INTEGER NULL REFERENCES app_user (id) ON DELETE SET NULL,
            state VARCHAR(10) NOT NULL DEFAULT 'running',
            step INTEGER NOT NULL DEFAULT 0,
            report INTEGER NULL REFERENCES generated_report (id) ON DELETE SET NULL,
            reused BOOLEAN NOT NULL DEFAULT FALSE,
            error TEXT NOT NULL DEFAULT '',
            created_at TIMESTAMPTZ NOT NULL
        )"""


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tracker", description=DESCRIPTION)

    async def create():
        postgres = isinstance(RawTable._meta.db, PostgresEngine)
        await RawTable.raw(_create_report_job(postgres))
        await RawTable.raw("CREATE INDEX report_job_running ON report_job (plan, state)")
        await RawTable.raw(f"""
            CREATE TABLE job_error (
                {"id SERIAL PRIMARY KEY" if postgres else "id INTEGER PRIMARY KEY"},
                job_id BIGINT NOT NULL,
                task VARCHAR(128) NOT NULL,
                attempt INTEGER NOT NULL,
                error TEXT NOT NULL DEFAULT '',
                created_at TIMESTAMPTZ NOT NULL
            )""")
        await RawTable.raw("CREATE INDEX job_error_job ON job_error (job_id)")
        if postgres:
            # procrastinate's schema as its installed version ships it (one script of
            # CREATE TYPE/TABLE/FUNCTION statements, run once here).
            # A script of many statements: asyncpg's execute() without arguments runs it with
            # the simple query protocol, in the migration's transaction when there is one.
            schema = (resources.files("procrastinate.sql") / "schema.sql").read_text("utf-8")
            engine = RawTable._meta.db
            transaction = engine.current_transaction.get()
            if transaction is not None:
                await transaction.connection.execute(schema)
            else:
                connection = await engine.get_new_connection()
                try:
                    await connection.execute(schema)
                finally:
                    await connection.close()

    async def drop():
        await RawTable.raw("DROP TABLE job_error")
        await RawTable.raw("DROP TABLE report_job")
        # procrastinate's schema stays: dropping it would lose the queue's history.

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
