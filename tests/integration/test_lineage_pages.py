"""The pages for parents and past: confirm a link, see coverage and the look back, download
the coverage table and the annual draft; reporters are kept out."""

from __future__ import annotations

import io

import docx
import pytest
from openpyxl import load_workbook

from tests.integration.test_plan_links import _seed
from tests.support import lineage
from tests.support.factories import csrf, login, make_unit, make_user
from tracker.domain.plan_lineage import FOLLOWS_LINK, PARENT_LINK
from tracker.domain.plan_templates import load_template
from tracker.services import plan_links
from tracker.tables import AuditEntry, TaskLink

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


async def test_coordinator_confirms_links_and_downloads_the_drafts(app_client):
    plan_id = await _seed()
    await plan_links.import_parent(load_template(lineage.PARENT_2018), plan_id)
    next_year = (await plan_links.import_following(lineage.plan_2019(), plan_id)).plan_id
    coordinator = await make_user("coordinator")
    await login(app_client, coordinator.username)

    listing = await app_client.get(f"/plans/{plan_id}/links?kind=parent")
    assert listing.status_code == 200 and "漏项" in listing.text and "待确认" in listing.text
    # A clause still uncovered but with a suggestion says so, to send the coordinator upwards.
    assert "条对照建议待确认" in listing.text
    link = (await plan_links.links(plan_id, PARENT_LINK))[0]
    done = await app_client.post(f"/plans/{plan_id}/links/{link.id}",
                                 data={"state": "confirmed", "kind": "parent", **csrf(app_client)})
    assert done.status_code == 303
    assert (await TaskLink.select(TaskLink.state).where(TaskLink.id == link.id).first())["state"] == "confirmed"
    assert await AuditEntry.exists().where(AuditEntry.action == "link.decide",
                                           AuditEntry.user == coordinator.id)
    bad = await app_client.post(f"/plans/{plan_id}/links/{link.id}",
                                data={"state": "maybe", "kind": "parent", **csrf(app_client)})
    assert bad.status_code == 400 and "未知的确认结果" in bad.text

    sheet = (await app_client.get(f"/plans/{plan_id}/coverage.xlsx"))
    assert sheet.status_code == 200
    assert load_workbook(io.BytesIO(sheet.content)).active["A1"].value.endswith("）")
    word = await app_client.get(f"/plans/{plan_id}/annual.docx")
    assert word.status_code == 200
    assert "一、总体情况" in "\n".join(p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs)
    text = await app_client.get(f"/plans/{plan_id}/annual.txt")
    assert text.text.startswith("2018年政府信息公开工作年度报告")

    back = await app_client.get(f"/plans/{next_year}/links?kind=follows")
    assert back.status_code == 200 and "回头看" in back.text and "未承接" in back.text
    assert "条对照建议待确认" in back.text  # not carried yet, but a suggestion waits
    first = (await plan_links.links(next_year, FOLLOWS_LINK))[0]
    await plan_links.decide(next_year, first.id, "confirmed")
    years = await app_client.get(f"/tasks/{first.task_id}/years")
    assert years.status_code == 200 and "2018" in years.text and "2019" in years.text
    assert (await app_client.get(f"/plans/{plan_id}/links?kind=other")).status_code == 400


async def test_reporters_cannot_see_or_decide_links(app_client):
    plan_id = await _seed()
    await plan_links.import_parent(load_template(lineage.PARENT_2018), plan_id)
    reporter = await make_user("reporter", await make_unit())
    await login(app_client, reporter.username)
    assert (await app_client.get(f"/plans/{plan_id}/links")).status_code == 403
    link = (await plan_links.links(plan_id, PARENT_LINK))[0]
    refused = await app_client.post(f"/plans/{plan_id}/links/{link.id}",
                                    data={"state": "confirmed", **csrf(app_client)})
    assert refused.status_code == 403
    assert (await app_client.get(f"/plans/{plan_id}/annual.docx")).status_code == 403

