"""The schema check every database command runs first reads the migration IDs from the
migration files instead of importing Piccolo's migration machinery (which loads black: ~0.4
CPU s of every command); it must find what Piccolo finds."""

from __future__ import annotations

import sqlite3

from piccolo.apps.migrations.commands.base import BaseMigrationManager

from tests.support.commands import run_tracker
from tracker.services.database import MIGRATIONS_DIR, migration_ids


def test_the_migration_ids_are_the_ones_piccolo_imports():
    manager = BaseMigrationManager()
    modules = manager.get_migration_modules(str(MIGRATIONS_DIR))
    assert migration_ids() == manager.get_migration_ids(modules)
    assert len(migration_ids()) == len(list(MIGRATIONS_DIR.glob("tracker_*.py")))


def test_a_command_refuses_a_database_behind_the_code(tmp_path):
    fresh = run_tracker("unit", "list", data_dir=tmp_path)
    assert fresh.returncode == 2
    assert f"有 {len(migration_ids())} 个迁移未执行" in fresh.stderr

    assert run_tracker("db", "migrate", data_dir=tmp_path).returncode == 0
    assert run_tracker("unit", "list", data_dir=tmp_path).returncode == 0

    with sqlite3.connect(tmp_path / "tracker.sqlite") as connection:
        connection.execute("DELETE FROM migration WHERE name = ?", (migration_ids()[-1],))
    behind = run_tracker("unit", "list", data_dir=tmp_path)
    assert behind.returncode == 2
    assert "有 1 个迁移未执行" in behind.stderr
