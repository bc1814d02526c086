"""The remote commands' per-user config file: which tracker server, and the token it issued.

Where: $TRACKER_CONFIG, else $XDG_CONFIG_HOME/tracker/config.json, else
~/.config/tracker/config.json. A bearer token is a password: the file is written with mode
0600 (atomically, through a temporary file) in a directory created with mode 0700.

Tokens are kept per server and only ever sent to the server that issued them, so `--server`
on a command picks a login instead of carrying one login's token to another address.

    {"version": 1, "current": "https://tracker.example.gov.cn",
     "servers": {"https://tracker.example.gov.cn": {"token": "trk_…", "username": "policy",
                                                   "expires_at": "2019-04-01T08:00:00+00:00"}}}
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

CONFIG_ENV = "TRACKER_CONFIG"
FILE_MODE = 0o600
DIR_MODE = 0o700
FORMAT_VERSION = 1


class ConfigError(Exception):
    """The config file or a server address is unusable; a one-line reason (Chinese)."""


@dataclass
class Login:
    token: str
    username: str = ""
    expires_at: str = ""

    def expired(self, now: dt.datetime | None = None) -> bool:
        """True when the server's stated expiry has passed (the server has the last word)."""
        try:
            expires = dt.datetime.fromisoformat(self.expires_at)
        except ValueError:
            return False
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=dt.UTC)
        return expires <= (now or dt.datetime.now(dt.UTC))


@dataclass
class ClientConfig:
    current: str | None = None
    servers: dict[str, Login] = field(default_factory=dict)

    def login_for(self, server: str) -> Login | None:
        return self.servers.get(server)


def config_path() -> Path:
    if explicit := os.environ.get(CONFIG_ENV):
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "tracker" / "config.json"


def normalise_server(url: str) -> str:
    """`http(s)://host[:port][/prefix]` without a trailing slash, query or fragment."""
    text = (url or "").strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"服务器地址“{text[:80]}”无效，应为 http(s)://主机[:端口]")
    if parts.username or parts.password:
        raise ConfigError("服务器地址中不要写用户名或密码，请用 --username 和 --password-stdin")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ConfigError(f"服务器地址“{text[:80]}”的端口无效") from None
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path.rstrip("/"), "", ""))


def load_config(path: Path | None = None) -> ClientConfig:
    path = path or config_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ClientConfig()
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"配置文件 {path} 无法读取（{type(error).__name__}），"
                          "请删除后重新 tracker login") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("servers", {}), dict):
        raise ConfigError(f"配置文件 {path} 格式不对，请删除后重新 tracker login")
    servers = {}
    for server, entry in raw.get("servers", {}).items():
        if isinstance(entry, dict) and isinstance(entry.get("token"), str) and entry["token"]:
            servers[server] = Login(token=entry["token"], username=str(entry.get("username", "")),
                                    expires_at=str(entry.get("expires_at", "")))
    current = raw.get("current") if isinstance(raw.get("current"), str) else None
    return ClientConfig(current=current, servers=servers)


def save_config(config: ClientConfig, path: Path | None = None) -> Path:
    """Write the file whole with mode 0600; a crash mid-write leaves the old file intact."""
    path = path or config_path()
    try:
        return _write(config, path)
    except OSError as error:
        raise ConfigError(f"无法写入配置文件 {path}（{error.strerror or type(error).__name__}）") from None


def _write(config: ClientConfig, path: Path) -> Path:
    if not path.parent.exists():
        path.parent.mkdir(mode=DIR_MODE, parents=True)
        path.parent.chmod(DIR_MODE)  # mkdir's mode is filtered by the umask
    data = {
        "version": FORMAT_VERSION,
        "current": config.current,
        "servers": {server: {"token": login.token, "username": login.username,
                             "expires_at": login.expires_at}
                    for server, login in config.servers.items()},
    }
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW,
                         FILE_MODE)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(data, file, ensure_ascii=False, indent=2)
            file.write("\n")
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, FILE_MODE)  # in case it existed with a looser mode
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    return path
