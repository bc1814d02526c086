"""Backup and restore of one tracker: the database (a consistent online copy), the evidence
files and the archived reports, with a manifest of SHA-256 sums that restore checks.

A backup is a directory:

    manifest.json         format, backend, when, and every file below with its size and SHA-256
    database.sqlite       SQLite: the online backup API (one consistent snapshot, writers go on)
    database.dump         PostgreSQL: pg_dump's custom format (one transaction snapshot)
    attachments/…         evidence files, as stored in the data directory
    reports/…             archived reports

The database is copied first, then the files: an evidence file or report is written before
the row that names it commits, so every file the copied database refers to already exists
when the files are copied (later ones come along too, harmlessly). The backup is written
under a temporary name and renamed when complete, so a half-written one never looks whole.

Restore verifies the manifest before touching anything (a missing, changed or extra file
refuses it with a one-line reason), and restores only into a fresh data directory and an
empty database unless told --force.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from tracker.domain.errors import Conflict, InvalidInput
from tracker.settings import get_settings

FORMAT = 1
MANIFEST = "manifest.json"
FILE_DIRS = ("attachments", "reports")
# What a data directory may hold and still count as fresh (made by the settings themselves).
FRESH_NAMES = {"secret.key"}


class BackupError(InvalidInput):
    """A backup that cannot be made or restored; the message is the one-line reason."""

    def __init__(self, message: str):
        super().__init__(message, "backup")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def postgres_tool(name: str) -> str:
    """pg_dump / pg_restore: TRACKER_PG_BIN, else the newest /usr/lib/postgresql/*/bin (a dump
    needs a pg_dump at least as new as the server), else PATH."""
    folders = [os.environ.get("TRACKER_PG_BIN", "")]
    folders += sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                      key=lambda folder: int(Path(folder).parent.name) if Path(folder).parent.name.isdigit() else 0,
                      reverse=True)
    for folder in folders:
        if folder and (Path(folder) / name).exists():
            return str(Path(folder) / name)
    found = shutil.which(name)
    if not found:
        raise BackupError(f"找不到 {name}（PostgreSQL 客户端工具），请安装或设置 TRACKER_PG_BIN")
    return found


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["（无输出）"])[-1]
        raise BackupError(f"{Path(command[0]).name} 失败：{reason[:300]}")


def _copy_sqlite(source: Path, target: Path) -> None:
    if not source.exists():
        raise BackupError(f"数据库文件不存在：{source}")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # all pages in one step: one consistent snapshot
    finally:
        dst.close()
        src.close()


def create_backup(out: Path) -> dict:
    """Write a backup to `out` (a new directory); returns the manifest."""
    settings = get_settings()
    out = out.resolve()
    if out.exists():
        raise Conflict(f"备份目录已存在：{out}", "backup")
    partial = out.with_name(out.name + ".partial")
    if partial.exists():
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    try:
        if settings.database_url:
            backend, database = "postgresql", "database.dump"
            _run([postgres_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                  f"--file={partial / database}", f"--dbname={settings.database_url}"])
        else:
            backend, database = "sqlite", "database.sqlite"
            _copy_sqlite(settings.sqlite_path, partial / database)
        for folder in FILE_DIRS:
            source = settings.data_dir / folder
            if source.is_dir():
                shutil.copytree(source, partial / folder)
        files = {}
        for path in sorted(p for p in partial.rglob("*") if p.is_file()):
            files[path.relative_to(partial).as_posix()] = {"bytes": path.stat().st_size,
                                                           "sha256": _sha256(path)}
        manifest = {"format": FORMAT, "backend": backend, "database": database,
                    "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "files": files}
        (partial / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
        partial.rename(out)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return manifest


def verify_backup(source: Path) -> dict:
    """The manifest of a whole, unchanged backup; BackupError with the first problem otherwise."""
    source = source.resolve()
    if not source.is_dir():
        raise BackupError(f"备份目录不存在：{source}")
    try:
        manifest = json.loads((source / MANIFEST).read_text())
        files = manifest["files"]
        backend, database = manifest["backend"], manifest["database"]
        if manifest.get("format") != FORMAT or not isinstance(files, dict):
            raise ValueError
    except FileNotFoundError:
        raise BackupError(f"备份不完整：缺少 {MANIFEST}") from None
    except (ValueError, KeyError, TypeError):
        raise BackupError(f"备份的 {MANIFEST} 无法识别（已损坏或不是本系统的备份）") from None
    if database not in files:
        raise BackupError(f"备份不完整：清单中没有数据库文件 {database}")
    present = {p.relative_to(source).as_posix() for p in source.rglob("*") if p.is_file()} - {MANIFEST}
    for name, expected in sorted(files.items()):
        path = source / name
        if name not in present:
            raise BackupError(f"备份不完整：缺少文件 {name}")
        if path.stat().st_size != expected.get("bytes") or _sha256(path) != expected.get("sha256"):
            raise BackupError(f"备份已被改动：{name} 的 SHA-256 与清单不符")
    extra = sorted(present - set(files))
    if extra:
        raise BackupError(f"备份已被改动：清单外多出文件 {extra[0]}")
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(f"备份的数据库类型无法识别：{backend}")
    return manifest


def _postgres_is_empty(url: str) -> bool:
    query = ("SELECT count(*) FROM information_schema.tables "
             "WHERE table_schema = 'public' AND table_name = 'app_user'")
    result = subprocess.run([postgres_tool("psql"), "--no-psqlrc", "-tA", "-c", query, url],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"无法连接目标数据库：{(result.stderr.strip().splitlines() or [''])[-1][:200]}")
    return result.stdout.strip() == "0"


def restore_backup(source: Path, force: bool = False) -> dict:
    """Check `source`, then restore it into this tracker's data directory and database."""
    manifest = verify_backup(source)
    source = source.resolve()
    settings = get_settings()
    target_backend = "postgresql" if settings.database_url else "sqlite"
    if manifest["backend"] != target_backend:
        raise BackupError(f"这是 {manifest['backend']} 的备份，而目标数据库是 {target_backend}")
    data_dir = settings.data_dir
    leftovers = sorted(p.name for p in data_dir.iterdir() if p.name not in FRESH_NAMES) \
        if data_dir.exists() else []
    if settings.database_url is None and settings.sqlite_path.exists() and \
            settings.sqlite_path.name not in leftovers:
        leftovers.append(settings.sqlite_path.name)
    if leftovers and not force:
        raise BackupError(f"数据目录 {data_dir} 不是空的（有 {leftovers[0]} 等），"
                          "请换一个新目录，或加 --force 覆盖")
    if settings.database_url and not force and not _postgres_is_empty(settings.database_url):
        raise BackupError("目标数据库已有数据，请使用新建的空数据库，或加 --force 覆盖")
    data_dir.mkdir(parents=True, exist_ok=True)
    database = source / manifest["database"]
    if settings.database_url:
        _run([postgres_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
              *(["--clean", "--if-exists"] if force else []),
              f"--dbname={settings.database_url}", str(database)])
    else:
        target = settings.sqlite_path
        target.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        partial = target.with_name(target.name + ".restoring")
        shutil.copyfile(database, partial)
        partial.replace(target)
    for folder in FILE_DIRS:
        if (source / folder).is_dir():
            if force and (data_dir / folder).exists():
                shutil.rmtree(data_dir / folder)
            shutil.copytree(source / folder, data_dir / folder)
    return manifest
