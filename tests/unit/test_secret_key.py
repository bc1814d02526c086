"""The key that signs session cookies and CSRF tokens: one for every instance of a tracker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tracker import settings

SAME_KEY_IN_PROCESSES = """
import sys
from tracker.settings import secret_key
print(secret_key())
"""


@pytest.fixture
def fresh_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("TRACKER_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TRACKER_SECRET_KEY")
    settings.get_settings.cache_clear()
    settings.secret_key.cache_clear()
    yield tmp_path
    settings.get_settings.cache_clear()
    settings.secret_key.cache_clear()


def test_on_postgresql_the_key_must_come_from_the_environment(fresh_settings, monkeypatch):
    monkeypatch.setenv("TRACKER_DATABASE_URL", "postgresql://tracker@127.0.0.1:5432/tracker")
    with pytest.raises(settings.ConfigError, match="TRACKER_SECRET_KEY"):
        settings.secret_key()
    assert not (fresh_settings / "secret.key").exists()  # never a key of this machine only
    monkeypatch.setenv("TRACKER_SECRET_KEY", "k" * 64)
    settings.secret_key.cache_clear()
    assert settings.secret_key() == "k" * 64


def test_on_sqlite_the_worker_processes_of_a_machine_share_one_generated_key(fresh_settings):
    """`tracker serve --workers N` starts N processes at once, each making the key if the data
    directory has none: they must all end up with the same one."""
    env = {k: v for k, v in os.environ.items() if k not in ("TRACKER_SECRET_KEY",
                                                              "TRACKER_DATABASE_URL")}
    env["TRACKER_DATA_DIR"] = str(fresh_settings)
    root = Path(__file__).resolve().parents[2]
    processes = [subprocess.Popen([sys.executable, "-c", SAME_KEY_IN_PROCESSES], env=env, cwd=root,
                                  stdout=subprocess.PIPE, text=True) for _ in range(4)]
    keys = {process.communicate(timeout=60)[0].strip() for process in processes}
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert [p.name for p in fresh_settings.iterdir()] == ["secret.key"]  # no drafts left behind
