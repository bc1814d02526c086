"""Login throttling by delay, shared by every instance: one row per throttled key (an
account, an address, or the pair) with its recent failures and when the delay ends. It
replaces login_failure, whose lock-out counting it supersedes (tracker/login_throttle.py).

Written as raw steps (Piccolo runs raw steps before its table operations, and the unique key
must follow the table)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns import Integer, Timestamptz, Varchar
from piccolo.table import Table

ID = "2026-11-28T12:09:07:000000"
VERSION = "1.38.0"
DESCRIPTION = "login throttle counters (delay, not lock-out)"


class LoginThrottle(Table, tablename="login_throttle"):
    """The table as this migration creates it."""

    scope = Varchar(length=10)
    key = Varchar(length=200)
    failures = Integer(default=0)
    last_failure_at = Timestamptz()
    blocked_until = Timestamptz(null=True, default=None, index=True)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="tracker", description=DESCRIPTION)

    async def create():
        await LoginThrottle.create_table()
        await LoginThrottle.raw(
            "CREATE UNIQUE INDEX login_throttle_key ON login_throttle (scope, key)")
        await LoginThrottle.raw("DROP TABLE login_failure")

    async def drop():
        await LoginThrottle.alter().drop_table()

    manager.add_raw(create)
    manager.add_raw_backwards(drop)
    return manager
