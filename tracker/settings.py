"""Settings from the environment, read once (one cached object for the whole process)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """A setting from the environment that cannot be used; the message names it (one line)."""


@dataclass(frozen=True)
class Settings:
    database_url: str | None  # PostgreSQL; None means the SQLite file at sqlite_path
    data_dir: Path
    debug: bool
    # Secure cookies unless told otherwise; `tracker serve` on a loopback address turns them
    # off, since plain http://127.0.0.1 never leaves the machine.
    cookie_secure: bool
    # Notices (tracker/notify) and evidence checks (tracker/evidence.py); see _outreach_env.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_from: str = "tracker@localhost"
    smtp_starttls: bool = False
    public_url: str | None = None  # the tracker's address, for links in notices
    scheduler: bool = False  # reminders, outbox and evidence checks inside the server
    warm_caches: bool = False  # fill the plan caches as the server starts (services/warm_up.py)
    remind_hour: int = 9  # local hour of the daily reminder run
    notify_timeout: float = 10.0  # seconds for one whole delivery
    notify_max_attempts: int = 8  # 1+2+4+… minutes: given up after about two hours
    notify_backoff: float = 60.0  # seconds before the first retry; doubles after each failure
    evidence_allow_loopback: bool = False  # only for tests that check pages on 127.0.0.1
    # Webhook hosts that may resolve to private (intranet) or loopback addresses.
    webhook_private_hosts: frozenset[str] = frozenset()
    # A request that takes longer is logged with this worker's CPU meanwhile (tracker/http/edge.py).
    slow_request_ms: float = 1000.0

    sqlite_file: Path | None = None  # from TRACKER_DATABASE_URL=sqlite:///…

    @property
    def sqlite_path(self) -> Path:
        return self.sqlite_file or self.data_dir / "tracker.sqlite"


def _database(url: str) -> tuple[str | None, Path | None]:
    """(PostgreSQL URL, SQLite file) from TRACKER_DATABASE_URL: postgresql://…, or
    sqlite:///relative/path and sqlite:////absolute/path as SQLAlchemy spells them."""
    if not url:
        return None, None
    if url.startswith(("postgres://", "postgresql://")):
        return url, None
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///").split("?", 1)[0]
        if not path or path.endswith("/"):
            raise ConfigError("TRACKER_DATABASE_URL 的 sqlite:/// 地址缺少文件路径")
        return None, Path(path).resolve()
    scheme = url.split(":", 1)[0][:20] if ":" in url else "（无协议）"
    raise ConfigError(f"TRACKER_DATABASE_URL 须为 postgresql://… 或 sqlite:///文件路径，"
                      f"不支持“{scheme}”")


SECRET_KEY_MISSING = ("使用 PostgreSQL 时须设置环境变量 TRACKER_SECRET_KEY（每个实例相同，"
                      "例如 python3 -c 'import secrets; print(secrets.token_hex(32))' 生成）")


@lru_cache(maxsize=1)
def secret_key() -> str:
    """The key that signs and encrypts session cookies and CSRF tokens.

    TRACKER_SECRET_KEY when set. Otherwise, on SQLite (one machine), a random key kept in the
    data directory so sessions survive restarts; every worker process of the machine reads the
    same file (created atomically: the first to link it wins). On PostgreSQL the instances
    may run on several machines with their own data directories, and a key made per machine
    would make each refuse the others' cookies: the variable is required there."""
    if key := os.environ.get("TRACKER_SECRET_KEY", "").strip():
        return key
    settings = get_settings()
    if settings.database_url:
        raise ConfigError(SECRET_KEY_MISSING)
    path = settings.data_dir / "secret.key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"secret.key.{os.getpid()}.{secrets.token_hex(4)}")
        draft.write_text(secrets.token_hex(32))
        draft.chmod(0o600)
        try:
            os.link(draft, path)  # atomic: never two different keys for two processes
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    data_dir = Path(os.environ.get("TRACKER_DATA_DIR", PROJECT_ROOT / "data")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    database_url, sqlite_file = _database(os.environ.get("TRACKER_DATABASE_URL", "").strip())
    return Settings(
        database_url=database_url,
        sqlite_file=sqlite_file,
        data_dir=data_dir,
        debug=os.environ.get("TRACKER_DEBUG", "") == "1",
        cookie_secure=os.environ.get("TRACKER_COOKIE_SECURE", "1") != "0",
        **_outreach_env(),
    )


def _outreach_env() -> dict:
    env = os.environ.get

    def number(name: str, default: str, kind=int):
        try:
            return kind(env(name) or default)
        except ValueError:
            raise ConfigError(f"环境变量 {name} 应为数字，现为“{env(name)}”") from None

    return {
        "smtp_host": env("TRACKER_SMTP_HOST") or None,
        "smtp_port": number("TRACKER_SMTP_PORT", "25"),
        "smtp_user": env("TRACKER_SMTP_USER") or None,
        "smtp_password": env("TRACKER_SMTP_PASSWORD") or None,
        "smtp_from": env("TRACKER_SMTP_FROM") or "tracker@localhost",
        "smtp_starttls": env("TRACKER_SMTP_STARTTLS", "") == "1",
        "public_url": (env("TRACKER_PUBLIC_URL") or "").rstrip("/") or None,
        "scheduler": env("TRACKER_SCHEDULER", "") == "1",
        "warm_caches": env("TRACKER_WARM_CACHES", "") == "1",
        "remind_hour": number("TRACKER_REMIND_HOUR", "9"),
        "notify_timeout": number("TRACKER_NOTIFY_TIMEOUT", "10", float),
        "notify_max_attempts": number("TRACKER_NOTIFY_MAX_ATTEMPTS", "8"),
        "notify_backoff": number("TRACKER_NOTIFY_BACKOFF", "60", float),
        "slow_request_ms": number("TRACKER_SLOW_REQUEST_MS", "1000", float),
        "evidence_allow_loopback": env("TRACKER_EVIDENCE_ALLOW_LOOPBACK", "") == "1",
        "webhook_private_hosts": frozenset(
            host.strip().lower().rstrip(".") for host in
            (env("TRACKER_WEBHOOK_ALLOWED_PRIVATE_HOSTS") or "").replace("，", ",").split(",")
            if host.strip()),
    }


PICCOLO_CONF = "tracker.conf"


def use_package_piccolo_conf() -> None:
    """Point Piccolo at the package's configuration (tracker.conf), unless PICCOLO_CONF already
    names another. The entry points call this (the `tracker` command, the app factory), so
    importing the package changes nothing; the root piccolo_conf.py serves `piccolo` itself."""
    os.environ.setdefault("PICCOLO_CONF", PICCOLO_CONF)
