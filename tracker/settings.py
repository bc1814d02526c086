"""Settings from the environment, read once (one cached object for the whole process)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    data_dir: Path
    secret_key: str
    debug: bool
    # Secure cookies unless told otherwise; `tracker serve` on a loopback address turns them
    # off, since plain http://127.0.0.1 never leaves the machine.
    cookie_secure: bool

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "tracker.sqlite"


def _secret_key(data_dir: Path) -> str:
    """TRACKER_SECRET_KEY, or a random key kept in the data directory so sessions survive restarts."""
    if key := os.environ.get("TRACKER_SECRET_KEY"):
        return key
    path = data_dir / "secret.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    data_dir = Path(os.environ.get("TRACKER_DATA_DIR", PROJECT_ROOT / "data")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    return Settings(
        database_url=os.environ.get("TRACKER_DATABASE_URL") or None,
        data_dir=data_dir,
        secret_key=_secret_key(data_dir),
        debug=os.environ.get("TRACKER_DEBUG", "") == "1",
        cookie_secure=os.environ.get("TRACKER_COOKIE_SECURE", "1") != "0",
    )
