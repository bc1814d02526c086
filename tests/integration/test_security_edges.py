"""Smaller findings of the attack run (issue 12.7): a sqlite:/// database address, and evidence
files always downloaded, never shown inline (a polyglot starting with %PDF and holding HTML)."""

from __future__ import annotations

import pytest

from tests.conftest import run_tracker
from tests.support.factories import login
from tests.support.world import (
    build_world,
    form_body,
)

POLYGLOT = b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n%%EOF\n"

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def test_a_sqlite_address_is_accepted_and_anything_else_refused_in_one_line(tmp_path):
    url = f"sqlite:///{tmp_path}/elsewhere/tracker.sqlite"  # sqlite:////absolute/path
    (tmp_path / "elsewhere").mkdir()
    migrated = run_tracker("db", "migrate", database_url=url, data_dir=tmp_path / "data")
    assert migrated.returncode == 0, migrated.stderr
    added = run_tracker("unit", "add", "宣传处", database_url=url, data_dir=tmp_path / "data")
    assert added.returncode == 0, added.stderr
    listed = run_tracker("unit", "list", database_url=url, data_dir=tmp_path / "data")
    assert "宣传处" in listed.stdout
    assert (tmp_path / "elsewhere" / "tracker.sqlite").stat().st_size > 0
    assert not (tmp_path / "data" / "tracker.sqlite").exists()

    refused = run_tracker("unit", "list", database_url="mysql://root:hunter2@db/tracker",
                          data_dir=tmp_path / "data")
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "tracker: TRACKER_DATABASE_URL 须为 postgresql://… 或 sqlite:///文件路径，不支持“mysql”"]


async def test_evidence_downloads_are_attachments_with_nosniff(app_client):
    w = await build_world()
    submitted = await app_client.post(
        f"/api/tasks/{w.task_id}/updates/multipart", headers=w.h["lead"], data=form_body(),
        files=[("attachments", ("说明.pdf", POLYGLOT, "application/pdf"))])
    assert submitted.status_code == 201, submitted.text
    attachment_id = submitted.json()["attachments"][0]["id"]
    api = await app_client.get(f"/api/attachments/{attachment_id}", headers=w.h["lead"])
    await login(app_client, w.coordinator.username)
    page = await app_client.get(f"/attachments/{attachment_id}")
    for response in (api, page):
        assert response.status_code == 200 and response.content == POLYGLOT
        assert response.headers["content-disposition"].startswith("attachment;")
        assert response.headers["x-content-type-options"] == "nosniff"
