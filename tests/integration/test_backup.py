"""`tracker backup` while reporters submit, `tracker restore` into a fresh data directory (and
a fresh PostgreSQL database): every update acknowledged before the backup began is there, with
every evidence file and archived report byte for byte. A changed, partial or misplaced backup
is refused with one line. On SQLite and PostgreSQL, through the real `tracker` command."""

from __future__ import annotations

import asyncio
import hashlib
import json
import shutil
import uuid

import asyncpg
import pytest
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from tests.support.commands import run_tracker
from tests.support.postgres import owner_url
from tests.support.world import (
    PDF,
    build_world,
    form_body,
)
from tracker.reporting import archive as report_archive
from tracker.reporting import build as reports
from tracker.services.database import bind_engine, current_engine
from tracker.tables import Attachment, GeneratedReport, ProgressUpdate

SUBMISSIONS_EACH = 6

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


async def _restored_facts(engine) -> tuple[set[int], dict[str, str], dict[str, str]]:
    """(update ids, attachment stored name → sha256, report stored name → sha256)."""
    original = current_engine()
    bind_engine(engine)
    try:
        ids = {row["id"] for row in await ProgressUpdate.select(ProgressUpdate.id)}
        files = {row["stored_name"]: row["sha256"]
                 for row in await Attachment.select(Attachment.stored_name, Attachment.sha256)}
        archived = {row["stored_name"]: row["sha256"] for row in
                    await GeneratedReport.select(GeneratedReport.stored_name, GeneratedReport.sha256)}
    finally:
        bind_engine(original)
    return ids, files, archived


async def test_a_backup_taken_while_reporters_submit_restores_everything_acknowledged(
        app_client, database, backend_urls, tmp_path):
    url, data_dir = backend_urls(database)
    w = await build_world()
    request = await reports.resolve_request(w.plan_id, "2018-09")
    data = await reports.build_report_data(request)
    report = await report_archive.archive(request, data, b"%PDF-1.4 archived report\n",
                                          report_archive.fingerprint(data), w.coordinator.id)

    acknowledged: list[int] = []
    enough = asyncio.Event()

    async def reporter(headers: dict, task_id: int, tag: str) -> None:
        for number in range(SUBMISSIONS_EACH):
            evidence = PDF + f"{tag}-{number}".encode()
            response = await app_client.post(
                f"/api/tasks/{task_id}/updates/multipart", headers=headers,
                data=form_body(work_done=f"{tag} 第{number}次"),
                files=[("attachments", (f"{tag}{number}.pdf", evidence, "application/pdf"))])
            assert response.status_code == 201, response.text
            acknowledged.append(response.json()["id"])
            if len(acknowledged) >= 3:
                enough.set()

    out = tmp_path / "backup-2018"

    async def backup() -> set[int]:
        await enough.wait()
        before = set(acknowledged)
        result = await asyncio.to_thread(run_tracker, "backup", str(out), database_url=url,
                                         data_dir=data_dir)
        assert result.returncode == 0, result.stderr
        assert "已备份到" in result.stdout
        return before

    *_, acknowledged_before = await asyncio.gather(
        reporter(w.h["lead"], w.task_id, "lead"), reporter(w.h["coop"], w.subtask_id, "coop"),
        backup())
    assert len(acknowledged_before) >= 3

    manifest = json.loads((out / "manifest.json").read_text())
    for name, entry in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == entry["sha256"]

    # Restore into a fresh data directory (and a new, empty PostgreSQL database).
    fresh = tmp_path / "fresh-data"
    restore_url = None
    if url:
        name = f"restore_{uuid.uuid4().hex[:8]}"
        # The app's role may not create databases; the owner creates the empty one and
        # restores into it, as an administrator would.
        admin = await asyncpg.connect(owner_url(url))
        await admin.execute(f"CREATE DATABASE {name}")
        await admin.close()
        restore_url = owner_url(url).rsplit("/", 1)[0] + f"/{name}"
    restored = run_tracker("restore", str(out), database_url=restore_url, data_dir=fresh)
    assert restored.returncode == 0, restored.stderr
    engine = (PostgresEngine(config={"dsn": restore_url}) if restore_url
              else SQLiteEngine(path=str(fresh / "tracker.sqlite")))
    ids, files, archived = await _restored_facts(engine)
    assert acknowledged_before <= ids
    assert len(files) >= len(acknowledged_before)
    for stored_name, sha in files.items():  # every file the restored database names
        assert hashlib.sha256((fresh / "attachments" / stored_name).read_bytes()).hexdigest() == sha
    assert report.sha256 in archived.values()
    for stored_name, sha in archived.items():
        assert hashlib.sha256((fresh / "reports" / stored_name).read_bytes()).hexdigest() == sha
    # The restored tracker runs: its schema is current.
    units = run_tracker("unit", "list", database_url=restore_url, data_dir=fresh)
    assert units.returncode == 0 and "法规处" in units.stdout, units.stderr

    # Never over a non-empty data directory or database, unless --force.
    again = run_tracker("restore", str(out), database_url=restore_url, data_dir=fresh)
    assert again.returncode == 2
    assert len(again.stderr.strip().splitlines()) == 1
    assert ("不是空的" in again.stderr) or ("已有数据" in again.stderr)
    forced = run_tracker("restore", str(out), "--force", database_url=restore_url, data_dir=fresh)
    assert forced.returncode == 0, forced.stderr
    if restore_url:
        admin = await asyncpg.connect(owner_url(url))
        await admin.execute(f"DROP DATABASE {restore_url.rsplit('/', 1)[1]} WITH (FORCE)")
        await admin.close()

    # A changed, partial or extra file refuses the restore before anything is written.
    for damage, reason in ((_change, "SHA-256 与清单不符"), (_remove, "备份不完整：缺少文件"),
                           (_add, "清单外多出文件"), (_drop_manifest, "缺少 manifest.json")):
        damaged = tmp_path / f"damaged-{damage.__name__}"
        shutil.copytree(out, damaged)
        damage(damaged)
        target = tmp_path / f"target-{damage.__name__}"
        refused = run_tracker("restore", str(damaged), database_url=None if not url else url,
                              data_dir=target)
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr.count("\n") == 1 and reason in refused.stderr, refused.stderr
        assert not (target / "attachments").exists() and not (target / "tracker.sqlite").exists()


def _change(folder):
    victim = next((folder / "attachments").iterdir())
    victim.write_bytes(victim.read_bytes() + b"<script>")


def _remove(folder):
    next((folder / "attachments").iterdir()).unlink()


def _add(folder):
    (folder / "reports" / "extra.pdf").write_bytes(b"%PDF-1.4 not ours")


def _drop_manifest(folder):
    (folder / "manifest.json").unlink()
