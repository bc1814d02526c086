"""Server-side page sessions (user_session), so logout and password changes end them."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import ForeignKey, Serial, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class User(Table, tablename="app_user", schema=None):
    id = Serial(null=False, primary_key=True, unique=False, index=False,
                index_method=IndexMethod.btree, choices=None, db_column_name="id", secret=False)


ID = "2026-11-28T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "server-side page sessions"


def _params(**changes) -> dict:
    return {"null": False, "primary_key": False, "unique": False, "index": False,
            "index_method": IndexMethod.btree, "choices": None, "db_column_name": None,
            "secret": False, **changes}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tracker", description=DESCRIPTION)
    manager.add_table(class_name="UserSession", tablename="user_session", schema=None, columns=None)
    manager.add_column(
        table_class_name="UserSession", tablename="user_session", column_name="user",
        db_column_name="user", column_class_name="ForeignKey", column_class=ForeignKey,
        params=_params(references=User, on_delete=OnDelete.cascade, on_update=OnUpdate.cascade,
                       target_column=None, index=True),
        schema=None)
    manager.add_column(
        table_class_name="UserSession", tablename="user_session", column_name="session_hash",
        db_column_name="session_hash", column_class_name="Varchar", column_class=Varchar,
        params=_params(length=64, default="", unique=True), schema=None)
    manager.add_column(
        table_class_name="UserSession", tablename="user_session", column_name="created_at",
        db_column_name="created_at", column_class_name="Timestamptz", column_class=Timestamptz,
        params=_params(default=TimestamptzNow()), schema=None)
    return manager
