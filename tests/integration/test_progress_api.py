"""Progress and review end to end over the JSON API, the coordinator's planning API, and what
the update form does with bad input (pages), on SQLite and PostgreSQL.

The world (tests/support/world.py): MINIMAL imported through the real service, which
creates its units: task 1 "做好公开" is led by 局办公室 with 法规处 cooperating, its sub-task is
led by 法规处. 其他处 has no part in the plan.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from markupsafe import escape

from tests.support.factories import csrf, login
from tests.support.samples import MINIMAL, PROJECT_ROOT
from tests.support.world import PDF, build_world, form_body, update_body
from tracker.domain.progress_input import MAX_ATTACHMENT_BYTES
from tracker.services import progress
from tracker.settings import get_settings
from tracker.tables import Attachment, Milestone, Plan, ProgressUpdate, Review, Task

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

XLSX = b"PK\x03\x04 spreadsheet"
WEB_DIR = PROJECT_ROOT / "tracker" / "http"


def attachment_files() -> set[Path]:
    return set(progress.attachments_dir().iterdir())


# --- the reporting and review cycle --------------------------------------------------------


async def test_submit_correct_return_resubmit_accept(app_client):
    w = await build_world()
    url = f"/api/tasks/{w.task_id}/updates"

    first = await app_client.post(url, json=update_body(evidence_links=["https://example.gov.cn/a"]),
                                  headers=w.h["lead"])
    assert first.status_code == 201, first.text
    v1 = first.json()
    assert (v1["version"], v1["role"], v1["unit_id"], v1["review_state"]) == (
        1, "lead", w.units["局办公室"], "submitted")
    assert v1["evidence_links"] == ["https://example.gov.cn/a"]

    # A correction (multipart, with evidence) is version 2 of the same task, unit and period.
    second = await app_client.post(
        f"{url}/multipart", data=form_body(percent=60, work_done="更正：已梳理并公开目录"),
        files=[("attachments", ("目录.pdf", PDF, "application/pdf")),
               ("attachments", ("台账.xlsx", XLSX, "application/octet-stream"))],
        headers=w.h["lead"])
    assert second.status_code == 201, second.text
    v2 = second.json()
    assert (v2["version"], v2["percent"], v2["work_done"]) == (2, 60, "更正：已梳理并公开目录")
    assert [(a["name"], a["size"]) for a in v2["attachments"]] == [("目录.pdf", len(PDF)),
                                                                   ("台账.xlsx", len(XLSX))]

    # The queue holds only the latest, undecided version.
    queue = (await app_client.get("/api/reviews/queue", headers=w.h["coordinator"])).json()
    assert [row["update"]["id"] for row in queue] == [v2["id"]]
    assert queue[0]["task_text"] == "做好公开" and queue[0]["plan_id"] == w.plan_id
    stale = await app_client.post(f"/api/updates/{v1['id']}/review", json={"decision": "accept"},
                                  headers=w.h["coordinator"])
    assert stale.status_code == 409 and stale.json()["field"] == "update_id"

    # Returning needs a reason.
    review_url = f"/api/updates/{v2['id']}/review"
    for comment in ("", "   "):
        refused = await app_client.post(review_url, json={"decision": "return", "comment": comment},
                                        headers=w.h["coordinator"])
        assert refused.status_code == 400 and refused.json()["field"] == "comment"
        assert "退回时请写明原因" in refused.json()["detail"]
    unknown = await app_client.post(review_url, json={"decision": "maybe"}, headers=w.h["coordinator"])
    assert unknown.status_code == 400 and unknown.json()["field"] == "decision"
    assert await Review.count() == 0

    returned = await app_client.post(review_url, json={"decision": "return",
                                                       "comment": "请补充公开目录链接"},
                                     headers=w.h["coordinator"])
    assert returned.status_code == 201, returned.text
    assert returned.json()["review_state"] == "returned"
    assert (await app_client.get("/api/reviews/queue", headers=w.h["coordinator"])).json() == []

    # The unit sees why, on the update and in its task list.
    seen = (await app_client.get(f"/api/updates/{v2['id']}", headers=w.h["lead"])).json()
    assert seen["review_state"] == "returned"
    assert [(r["decision"], r["comment"], r["reviewer"]) for r in seen["reviews"]] == [
        ("returned", "请补充公开目录链接", "coordinator用户")]
    mine = (await app_client.get("/api/my/tasks?period=2018-09", headers=w.h["lead"])).json()
    assert [(row["task_id"], row["role"], row["needs_action"]) for row in mine] == [
        (w.task_id, "lead", True)]
    assert mine[0]["latest"]["id"] == v2["id"]
    assert mine[0]["latest"]["reviews"][-1]["comment"] == "请补充公开目录链接"
    assert (mine[0]["period"], mine[0]["due_on"], mine[0]["last_percent"]) == (
        "2018-09", "2018-10-05", 60)

    third = await app_client.post(url, json=update_body(percent=70, work_done="已补充链接"),
                                  headers=w.h["lead"])
    assert third.status_code == 201 and third.json()["version"] == 3
    v3 = third.json()
    mine = (await app_client.get("/api/my/tasks?period=2018-09", headers=w.h["lead"])).json()
    assert mine[0]["needs_action"] is False and mine[0]["latest"]["id"] == v3["id"]
    queue = (await app_client.get("/api/reviews/queue", headers=w.h["coordinator"])).json()
    assert [row["update"]["id"] for row in queue] == [v3["id"]]

    accepted = await app_client.post(f"/api/updates/{v3['id']}/review", json={"decision": "accept"},
                                     headers=w.h["coordinator"])
    assert accepted.status_code == 201 and accepted.json()["review_state"] == "accepted"
    again = await app_client.post(f"/api/updates/{v3['id']}/review",
                                  json={"decision": "return", "comment": "再看看"},
                                  headers=w.h["coordinator"])
    assert again.status_code == 409 and "已审核过" in again.json()["detail"]
    assert (await app_client.get("/api/reviews/queue", headers=w.h["coordinator"])).json() == []

    # The whole exchange stays in the task's history, newest first.
    detail = (await app_client.get(f"/api/tasks/{w.task_id}", headers=w.h["lead"])).json()
    assert detail["my_role"] == "lead"
    # Version 1 was never decided: version 2 replaced it (issue 11, bug 3: not 待审核 forever).
    assert [(u["version"], u["review_state"], u["superseded_by"]) for u in detail["updates"]] == [
        (3, "accepted", None), (2, "returned", 3), (1, "superseded", 2)]
    assert await ProgressUpdate.count() == 3 and await Review.count() == 2


async def test_my_tasks_defaults_to_the_last_period_of_a_past_plan_year(app_client):
    w = await build_world()
    mine = (await app_client.get("/api/my/tasks", headers=w.h["coop"])).json()
    # 法规处 cooperates on 做好公开 and leads its sub-task; nothing reported yet.
    assert [(row["task_id"], row["role"], row["period"], row["needs_action"], row["latest"])
            for row in mine] == [(w.task_id, "cooperating", "2018-12", True, None),
                                 (w.subtask_id, "lead", "2018-12", True, None)]
    assert (await app_client.get("/api/my/tasks", headers=w.h["other"])).json() == []
    bad = await app_client.get("/api/my/tasks?period=2018-13", headers=w.h["coop"])
    assert bad.status_code == 400 and bad.json()["field"] == "period"


async def test_cooperating_unit_files_its_own_contribution(app_client):
    w = await build_world()
    url = f"/api/tasks/{w.task_id}/updates"
    lead_update = (await app_client.post(url, json=update_body(), headers=w.h["lead"])).json()
    coop_response = await app_client.post(url, json=update_body(percent=80, work_done="法规处已审查目录"),
                                          headers=w.h["coop"])
    assert coop_response.status_code == 201, coop_response.text
    coop_update = coop_response.json()
    # Its own version sequence, as a cooperating unit.
    assert (coop_update["version"], coop_update["role"], coop_update["unit_id"]) == (
        1, "cooperating", w.units["法规处"])

    as_lead = (await app_client.get(f"/api/tasks/{w.task_id}", headers=w.h["lead"])).json()
    assert as_lead["my_role"] == "lead"
    assert sorted((u["unit_name"], u["role"], u["percent"]) for u in as_lead["updates"]) == [
        ("局办公室", "lead", 40), ("法规处", "cooperating", 80)]
    as_coop = (await app_client.get(f"/api/tasks/{w.task_id}", headers=w.h["coop"])).json()
    assert as_coop["my_role"] == "cooperating"
    assert [u["id"] for u in as_coop["updates"]] == [coop_update["id"]]

    # The lead reads the contribution; the cooperating unit cannot read the lead's update.
    assert (await app_client.get(f"/api/updates/{coop_update['id']}",
                                 headers=w.h["lead"])).status_code == 200
    hidden = await app_client.get(f"/api/updates/{lead_update['id']}", headers=w.h["coop"])
    assert hidden.status_code == 404 and hidden.json()["field"] == "update_id"

    queue = (await app_client.get("/api/reviews/queue", headers=w.h["coordinator"])).json()
    assert sorted(row["update"]["id"] for row in queue) == sorted([lead_update["id"],
                                                                   coop_update["id"]])
    # The lead's page shows the contribution beside its own update.
    await login(app_client, w.lead.username)
    page = await app_client.get(f"/tasks/{w.task_id}")
    assert page.status_code == 200
    assert "法规处已审查目录" in page.text and "已梳理本局公开目录" in page.text


async def test_idempotency_key_replay_returns_the_same_update(app_client):
    w = await build_world()
    url = f"/api/tasks/{w.task_id}/updates/multipart"
    before = attachment_files()
    key = {"Idempotency-Key": "retry-0001-abcdef"}
    responses = [await app_client.post(url, data=form_body(),
                                       files=[("attachments", ("证明.pdf", PDF, "application/pdf"))],
                                       headers={**w.h["lead"], **key}) for _ in range(2)]
    assert [r.status_code for r in responses] == [201, 201]
    assert responses[0].json() == responses[1].json()
    assert await ProgressUpdate.count() == 1 and await Attachment.count() == 1
    assert len(attachment_files() - before) == 1  # the replay wrote no second file

    # The key is bound to its request: the same key with another body (here, without the
    # attachment), or for another task, is a conflict naming it, never the old answer.
    other_body = await app_client.post(f"/api/tasks/{w.task_id}/updates", json=update_body(),
                                       headers={**w.h["lead"], **key})
    assert other_body.status_code == 409, other_body.text
    assert other_body.json()["field"] == "idempotency_key"
    assert "内容不同的另一份填报" in other_body.json()["detail"]
    coop_key = {"Idempotency-Key": "retry-0002-abcdef"}
    on_subtask = await app_client.post(f"/api/tasks/{w.subtask_id}/updates", json=update_body(),
                                       headers={**w.h["coop"], **coop_key})
    assert on_subtask.status_code == 201
    other_task = await app_client.post(f"/api/tasks/{w.task_id}/updates", json=update_body(),
                                       headers={**w.h["coop"], **coop_key})
    assert other_task.status_code == 409 and other_task.json()["field"] == "idempotency_key"
    assert f"已用于任务 {w.subtask_id} 的填报" in other_task.json()["detail"]
    replay = await app_client.post(f"/api/tasks/{w.subtask_id}/updates", json=update_body(),
                                   headers={**w.h["coop"], **coop_key})
    assert replay.status_code == 201 and replay.json()["id"] == on_subtask.json()["id"]
    assert await ProgressUpdate.count() == 2

    taken = await app_client.post(f"/api/tasks/{w.task_id}/updates", json=update_body(),
                                  headers={**w.h["coop"], **key})
    assert taken.status_code == 409 and taken.json()["field"] == "idempotency_key"
    short = await app_client.post(f"/api/tasks/{w.task_id}/updates", json=update_body(),
                                  headers={**w.h["lead"], "Idempotency-Key": "short"})
    assert short.status_code == 400 and short.json()["field"] == "idempotency_key"
    # Without a key, a second submission is a new version.
    fresh = await app_client.post(f"/api/tasks/{w.task_id}/updates", json=update_body(),
                                  headers=w.h["lead"])
    assert fresh.json()["version"] == 2 and await ProgressUpdate.count() == 3


async def test_attachments_stored_under_generated_names_and_downloaded_safely(app_client):
    w = await build_world()
    before = attachment_files()
    response = await app_client.post(
        f"/api/tasks/{w.task_id}/updates/multipart", data=form_body(),
        # The client's content type is ignored: the stored type comes from the allowed extension.
        files=[("attachments", ("进展 材料.pdf", PDF, "text/html")),
               ("attachments", ("台账.xlsx", XLSX, "application/octet-stream"))],
        headers=w.h["lead"])
    assert response.status_code == 201, response.text
    described = response.json()["attachments"]
    assert [(a["name"], a["content_type"]) for a in described] == [
        ("进展 材料.pdf", "application/pdf"),
        ("台账.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]

    folder = get_settings().data_dir / "attachments"
    assert progress.attachments_dir() == folder and not folder.is_relative_to(WEB_DIR)
    rows = await Attachment.select().order_by(Attachment.id)
    assert [row["original_name"] for row in rows] == ["进展 材料.pdf", "台账.xlsx"]
    for row, content in zip(rows, [PDF, XLSX], strict=True):
        assert re.fullmatch(r"[0-9a-f]{32}", row["stored_name"])
        assert (folder / row["stored_name"]).read_bytes() == content
    assert {path.name for path in attachment_files() - before} == {row["stored_name"] for row in rows}
    assert not [p for p in get_settings().data_dir.rglob("*") if p.name in ("进展 材料.pdf", "台账.xlsx")]
    assert (await app_client.get(f"/static/{rows[0]['stored_name']}")).status_code == 404

    download = await app_client.get(f"/api/attachments/{described[0]['id']}", headers=w.h["lead"])
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"] == (
        "attachment; filename*=utf-8''%E8%BF%9B%E5%B1%95%20%E6%9D%90%E6%96%99.pdf")

    await login(app_client, w.coordinator.username)
    page_download = await app_client.get(f"/attachments/{described[1]['id']}")
    assert page_download.status_code == 200 and page_download.content == XLSX
    assert page_download.headers["x-content-type-options"] == "nosniff"
    assert "%E5%8F%B0%E8%B4%A6.xlsx" in page_download.headers["content-disposition"]


# --- the coordinator's planning API --------------------------------------------------------


async def test_edit_task_checks_the_version(app_client):
    w = await build_world()
    headers = w.h["coordinator"]
    url = f"/api/tasks/{w.task_id}"
    assert (await app_client.get(url, headers=headers)).json()["context"]["version"] == 1

    edited = await app_client.patch(url, headers=headers, json={
        "version": 1, "cooperating_unit_ids": [w.units["法规处"], w.units["其他处"]],
        "deadline": "2018-11-30", "deadline_text": "11月底前"})
    assert edited.status_code == 200, edited.text
    assert edited.json() == {"task_id": w.task_id, "version": 2, "warnings": []}
    task = (await app_client.get(url, headers=headers)).json()
    assert task["context"]["version"] == 2
    assert (task["task"]["lead_units"], task["task"]["cooperating_units"]) == (
        ["局办公室"], ["法规处", "其他处"])
    assert (task["task"]["deadline"], task["task"]["deadline_text"]) == ("2018-11-30", "11月底前")
    # The newly assigned unit now has the task.
    assert [row["task_id"] for row in (await app_client.get(
        "/api/my/tasks", headers=w.h["other"])).json()] == [w.task_id]

    stale = await app_client.patch(url, headers=headers, json={"version": 1, "text": "覆盖"})
    assert stale.status_code == 409 and stale.json()["field"] == "version"
    assert "当前版本 2" in stale.json()["detail"] and "你编辑的是版本 1" in stale.json()["detail"]

    for body, field in [
        ({"version": 2, "deadline": "2018-02-30"}, "deadline"),
        ({"version": 2, "lead_unit_ids": [w.units["局办公室"], w.units["其他处"]]}, "lead_unit_ids"),
        ({"version": 2, "lead_unit_ids": [9999]}, "lead_unit_ids"),
        ({"version": 2, "lead_unit_ids": [w.units["其他处"]],
          "cooperating_unit_ids": [w.units["其他处"]]}, "cooperating_unit_ids"),
        ({"version": 2, "text": "  "}, "text"),
    ]:
        refused = await app_client.patch(url, headers=headers, json=body)
        assert refused.status_code in (400, 404) and refused.json()["field"] == field, (body, refused.text)
    unknown = await app_client.patch(url, headers=headers, json={"version": 2, "plan_id": 5})
    assert unknown.status_code == 400 and "plan_id" in unknown.json()["detail"]
    missing = await app_client.patch("/api/tasks/9999", headers=headers, json={"version": 1})
    assert missing.status_code == 404 and missing.json()["field"] == "task_id"
    # None of the refused edits changed anything.
    assert (await Task.select(Task.version, Task.text).where(Task.id == w.task_id).first()) == {
        "version": 2, "text": "做好公开"}


async def test_lead_and_cooperating_units_can_be_swapped_or_moved_without_a_crash(app_client):
    w = await build_world()
    headers, url = w.h["coordinator"], f"/api/tasks/{w.task_id}"
    # Making the cooperating unit the lead while it is still cooperating is refused, by name.
    clash = await app_client.patch(url, headers=headers,
                                   json={"version": 1, "lead_unit_ids": [w.units["法规处"]]})
    assert clash.status_code == 400, clash.text
    assert clash.json()["field"] == "lead_unit_ids" and "既牵头又配合" in clash.json()["detail"]
    clash = await app_client.patch(url, headers=headers,
                                   json={"version": 1, "cooperating_unit_ids": [w.units["局办公室"]]})
    assert clash.status_code == 400 and clash.json()["field"] == "cooperating_unit_ids"
    assert (await Task.select(Task.version).where(Task.id == w.task_id).first())["version"] == 1

    # Swapping both in one edit works.
    swapped = await app_client.patch(url, headers=headers, json={
        "version": 1, "lead_unit_ids": [w.units["法规处"]], "cooperating_unit_ids": [w.units["局办公室"]]})
    assert swapped.status_code == 200, swapped.text
    task = (await app_client.get(url, headers=headers)).json()["task"]
    assert (task["lead_units"], task["cooperating_units"]) == (["法规处"], ["局办公室"])
    # And clearing the cooperating units frees 局办公室 to lead again.
    back = await app_client.patch(url, headers=headers, json={
        "version": 2, "lead_unit_ids": [w.units["局办公室"]], "cooperating_unit_ids": []})
    assert back.status_code == 200, back.text
    task = (await app_client.get(url, headers=headers)).json()["task"]
    assert (task["lead_units"], task["cooperating_units"]) == (["局办公室"], [])


async def test_subtasks_milestones_and_the_reporting_cycle(app_client):
    w = await build_world()
    headers = w.h["coordinator"]
    added = await app_client.post(f"/api/tasks/{w.task_id}/subtasks", headers=headers, json={
        "text": "编制公开目录", "lead_unit_ids": [w.units["其他处"]], "deadline": "2018-10-31"})
    assert added.status_code == 201, added.text
    sub_id = added.json()["task_id"]
    assert added.json()["version"] == 1
    tree = (await app_client.get(f"/api/tasks/{w.task_id}", headers=headers)).json()["task"]
    assert [(s["text"], s["lead_units"], s["deadline"]) for s in tree["subtasks"]] == [
        ("子任务", ["法规处"], None), ("编制公开目录", ["其他处"], "2018-10-31")]
    sub = (await app_client.get(f"/api/tasks/{sub_id}", headers=w.h["other"])).json()
    assert sub["context"]["parent_id"] == w.task_id and sub["my_role"] == "lead"
    for body, field in [({"text": ""}, "text"), ({"text": "x", "deadline": "明年"}, "deadline"),
                        ({"text": "x", "lead_unit_ids": [9999]}, "lead_unit_ids")]:
        refused = await app_client.post(f"/api/tasks/{w.task_id}/subtasks", headers=headers, json=body)
        assert refused.status_code in (400, 404) and refused.json()["field"] == field, refused.text
    assert (await app_client.post("/api/tasks/9999/subtasks", headers=headers,
                                  json={"text": "x"})).status_code == 404
    assert await Task.count() == 4

    milestones = f"/api/plans/{w.plan_id}/milestones"
    on_task = await app_client.post(milestones, headers=headers, json={
        "title": "目录上线", "due_on": "2018-08-31", "task_id": w.task_id})
    assert on_task.status_code == 201, on_task.text
    on_plan = await app_client.post(milestones, headers=headers,
                                    json={"title": "年度总结", "due_on": "2018-12-20"})
    assert on_plan.status_code == 201
    plan = (await app_client.get(f"/api/plans/{w.plan_id}", headers=headers)).json()
    assert [(m["title"], m["due_on"]) for m in plan["milestones"]] == [
        ("半年小结", "2018-06-30"), ("年度总结", "2018-12-20")]
    task = plan["sections"][0]["items"][0]["tasks"][0]
    assert [m["title"] for m in task["milestones"]] == ["目录上线", "三季度"]
    for body, field, status in [
        ({"title": "", "due_on": "2018-08-31"}, "title", 400),
        ({"title": "x", "due_on": "2018/08/31"}, "due_on", 400),
        ({"title": "x", "due_on": "2025-01-01"}, "due_on", 400),
        ({"title": "x", "due_on": "2018-08-31", "task_id": 9999}, "task_id", 404),
    ]:
        refused = await app_client.post(milestones, headers=headers, json=body)
        assert (refused.status_code, refused.json()["field"]) == (status, field), refused.text
    deleted = await app_client.delete(f"{milestones}/{on_plan.json()['id']}", headers=headers)
    assert deleted.status_code == 204
    again = await app_client.delete(f"{milestones}/{on_plan.json()['id']}", headers=headers)
    assert again.status_code == 404
    assert await Milestone.count() == 3

    reporting = await app_client.patch(f"/api/plans/{w.plan_id}/reporting", headers=headers,
                                       json={"due_day": 10, "tolerance_percent": 15})
    assert reporting.status_code == 200 and reporting.json() == {"due_day": 10,
                                                                  "tolerance_percent": 15}
    plan = (await app_client.get(f"/api/plans/{w.plan_id}", headers=headers)).json()
    assert plan["reporting"] == {"cycle": "monthly", "due_day": 10, "tolerance_percent": 15}
    mine = (await app_client.get("/api/my/tasks?period=2018-09", headers=w.h["lead"])).json()
    assert mine[0]["due_on"] == "2018-10-10"
    for body, field in [({"due_day": 29}, "due_day"), ({"due_day": 0}, "due_day"),
                        ({"due_day": 5, "tolerance_percent": 101}, "tolerance_percent")]:
        refused = await app_client.patch(f"/api/plans/{w.plan_id}/reporting", headers=headers,
                                         json=body)
        assert refused.status_code == 400 and refused.json()["field"] == field
    assert (await Plan.select(Plan.report_due_day).first())["report_due_day"] == 10


# --- bad input through the API and the page form -------------------------------------------

API_BAD_JSON = [
    ({"percent": -1}, "percent", "超出 0-100 范围"),
    ({"percent": 101}, "percent", "超出 0-100 范围"),
    ({"percent": "50%"}, "percent", "类型不对"),
    ({"percent": 50.5}, "percent", "类型不对"),
    ({"percent": True}, "percent", "类型不对"),
    ({"state": "paused"}, "state", "未知状态"),
    ({"state": "done", "percent": 90}, "percent", "已完成"),
    ({"work_done": "  "}, "work_done", "请填写工作进展"),
    ({"work_done": "字" * 2001}, "work_done", "不能超过2000字"),
    ({"problems": "问" * 2001}, "problems", "不能超过2000字"),
    ({"work_done": 5}, "work_done", "类型不对"),
    ({"evidence_links": ["javascript:alert(1)"]}, "evidence_links", "佐证链接"),
    ({"evidence_links": ["ftp://example.gov.cn/a"]}, "evidence_links", "佐证链接"),
    ({"evidence_links": ["https://example.gov.cn/" + "a" * 500]}, "evidence_links", "佐证链接"),
    ({"period": "2018-13"}, "period", "月份应在 1 到 12 之间"),
    ({"period": "2018/09"}, "period", "格式不对"),
    ({"period": ""}, "period", "不能为空"),
    ({"period": "2019-01"}, "period", "不在计划年度 2018 内"),
]
API_BAD_FORM = [
    ({"percent": "NaN"}, [], "percent", "不是 0-100 的整数"),
    ({"percent": "50%"}, [], "percent", "不要带 %"),
    ({"percent": "abc"}, [], "percent", "不是 0-100 的整数"),
    ({"percent": "50.5"}, [], "percent", "不是 0-100 的整数"),
    ({"percent": ""}, [], "percent", "请填写完成进度"),
    ({"evidence_links": "https://example.gov.cn/a\njavascript:alert(1)"}, [], "evidence_links", "无效"),
    ({}, [("a.exe", b"binary")], "attachments", "类型不允许"),
    ({}, [("a.html", b"<p>x</p>")], "attachments", "类型不允许"),
    ({}, [("a.svg", b"<svg/>")], "attachments", "类型不允许"),
    ({}, [("report.pdf", b"<html><script>alert(1)</script>")], "attachments", "内容与类型不符"),
    ({}, [("big.pdf", b"%PDF" + b"0" * MAX_ATTACHMENT_BYTES)], "attachments", "超过 10 MB"),
    ({}, [("a.pdf", PDF)] * 6, "attachments", "最多5个"),
]


async def test_bad_updates_are_400_naming_the_field_and_store_nothing(app_client):
    w = await build_world()
    before = attachment_files()
    for changes, field, reason in API_BAD_JSON:
        response = await app_client.post(f"/api/tasks/{w.task_id}/updates",
                                         json=update_body(**changes), headers=w.h["lead"])
        assert response.status_code == 400, (changes, response.text)
        assert (response.json()["field"], reason in response.json()["detail"]) == (field, True), (
            changes, response.text)
    for changes, files, field, reason in API_BAD_FORM:
        response = await app_client.post(
            f"/api/tasks/{w.task_id}/updates/multipart", data=form_body(**changes),
            files=[("attachments", (name, content, "application/octet-stream"))
                   for name, content in files] or None, headers=w.h["lead"])
        assert response.status_code == 400, (changes, files and files[0][0], response.text)
        assert (response.json()["field"], reason in response.json()["detail"]) == (field, True), (
            changes, response.text)
    assert await ProgressUpdate.count() == 0 and await Attachment.count() == 0
    assert attachment_files() == before


async def test_a_future_period_is_refused(app_client):
    next_year = dt.date.today().year + 1
    template = MINIMAL.replace("2018", str(next_year))
    w = await build_world(template)
    response = await app_client.post(f"/api/tasks/{w.task_id}/updates",
                                     json=update_body(period=f"{next_year}-01"), headers=w.h["lead"])
    assert response.status_code == 400 and response.json()["field"] == "period"
    assert response.json()["detail"] == f"报送周期 {next_year}-01 尚未开始"
    outside = await app_client.post(f"/api/tasks/{w.task_id}/updates",
                                    json=update_body(period="2018-09"), headers=w.h["lead"])
    assert outside.json()["detail"] == f"报送周期 2018-09 不在计划年度 {next_year} 内"

    await login(app_client, w.lead.username)
    page = await app_client.post(f"/tasks/{w.task_id}/updates",
                                 data={**form_body(period=f"{next_year}-01"), **csrf(app_client)})
    assert page.status_code == 400 and f"报送周期 {next_year}-01 尚未开始" in page.text
    assert await ProgressUpdate.count() == 0


PAGE_BAD = [
    ({"percent": "50%"}, [], "percent", "不要带 %"),
    ({"percent": "101"}, [], "percent", "完成进度 101 超出 0-100 范围"),
    ({"state": "unknown"}, [], "state", "未知状态“unknown”"),
    ({"period": "2019-01"}, [], "period", "报送周期 2019-01 不在计划年度 2018 内"),
    ({"problems": "问" * 2001}, [], "problems", "存在问题不能超过2000字（现为2001字）"),
    ({}, [("../../etc/passwd.pdf", PDF)], "attachments", "不能含路径"),
    ({}, [("setup.exe", b"MZ")], "attachments", "类型不允许"),
]


async def test_the_update_form_refuses_bad_input_and_keeps_what_was_typed(app_client):
    w = await build_world()
    await login(app_client, w.lead.username)
    before = attachment_files()
    typed = "本月完成 <b>目录</b> 梳理 & 自查\n第二行"
    for changes, files, field, message in PAGE_BAD:
        response = await app_client.post(
            f"/tasks/{w.task_id}/updates",
            data={**form_body(work_done=typed, next_steps="下月上线", **changes), **csrf(app_client)},
            files=[("attachments", (name, content, "application/pdf")) for name, content in files]
            or None)
        assert response.status_code == 400, (changes, response.text[-500:])
        page = response.text
        error = re.search(r'<p class="error" role="alert" data-field="([^"]*)">([^<]*)</p>', page)
        assert error and error.group(1) == field and str(escape(message)) in error.group(2), (
            changes, error and error.groups())
        # What the user typed is back in the form (escaped, so markup stays text).
        assert f'name="work_done" rows="4" maxlength="2000" required>{escape(typed)}</textarea>' in page
        assert ">下月上线</textarea>" in page
        assert "<b>目录</b>" not in page
    assert await ProgressUpdate.count() == 0 and await Attachment.count() == 0
    assert attachment_files() == before

    ok = await app_client.post(f"/tasks/{w.task_id}/updates",
                               data={**form_body(work_done=typed), **csrf(app_client)},
                               files=[("attachments", ("证明.pdf", PDF, "application/pdf"))])
    assert ok.status_code == 303 and ok.headers["location"] == f"/tasks/{w.task_id}?notice=submitted"
    assert await ProgressUpdate.count() == 1 and await Attachment.count() == 1


async def test_files_written_before_a_failed_database_write_are_removed(app_client, monkeypatch):
    w = await build_world()
    before = attachment_files()

    async def failing_insert(*args, **kwargs):
        assert len(attachment_files() - before) == 1  # the file was written first
        raise RuntimeError("database went away")

    monkeypatch.setattr(progress, "_insert_update", failing_insert)
    response = await app_client.post(f"/api/tasks/{w.task_id}/updates/multipart", data=form_body(),
                                     files=[("attachments", ("证明.pdf", PDF, "application/pdf"))],
                                     headers=w.h["lead"])
    assert response.status_code == 500
    assert attachment_files() == before
    assert await ProgressUpdate.count() == 0 and await Attachment.count() == 0


# --- HTML in texts ---------------------------------------------------------------------------


async def test_html_in_any_text_is_shown_as_text(app_client):
    w = await build_world()
    hostile = {
        "work_done": "<script>alert('work')</script>",
        "problems": "<img src=x onerror=alert(2)>",
        "next_steps": '"><iframe src=javascript:alert(3)>',
    }
    comment = "<a href='javascript:alert(4)'>退回</a>"
    file_name = "<img src=x onerror=alert(5)>.pdf"
    first = await app_client.post(f"/api/tasks/{w.task_id}/updates/multipart",
                                  data=form_body(**hostile),
                                  files=[("attachments", (file_name, PDF, "application/pdf"))],
                                  headers=w.h["lead"])
    assert first.status_code == 201, first.text
    assert first.json()["attachments"][0]["name"] == file_name
    returned = await app_client.post(f"/api/updates/{first.json()['id']}/review",
                                     json={"decision": "return", "comment": comment},
                                     headers=w.h["coordinator"])
    assert returned.status_code == 201

    texts = [*hostile.values(), comment, file_name]
    await login(app_client, w.lead.username)
    my_page = (await app_client.get("/my?period=2018-09")).text  # shows why it was returned
    await app_client.post(f"/api/tasks/{w.task_id}/updates", json=update_body(**hostile),
                          headers=w.h["lead"])
    task_page = (await app_client.get(f"/tasks/{w.task_id}")).text
    await login(app_client, w.coordinator.username)
    review_page = (await app_client.get("/reviews")).text
    for page, shown in [(task_page, texts), (my_page, [comment]), (review_page, list(hostile.values()))]:
        for text in shown:
            assert text not in page
            assert str(escape(text)) in page
    assert "<script>alert" not in task_page + my_page + review_page


async def test_review_page_refusal_keeps_the_comment(app_client):
    w = await build_world()
    update = (await app_client.post(f"/api/tasks/{w.task_id}/updates", json=update_body(),
                                    headers=w.h["lead"])).json()
    await login(app_client, w.coordinator.username)
    too_long = "请补充<材料>" + "。" * 1000
    response = await app_client.post(f"/updates/{update['id']}/review",
                                     data={"decision": "return", "comment": too_long,
                                           **csrf(app_client)})
    assert response.status_code == 400
    assert "审核意见不能超过1000字" in response.text
    assert f"{escape(too_long)}</textarea>" in response.text
    empty = await app_client.post(f"/updates/{update['id']}/review",
                                  data={"decision": "return", "comment": " ", **csrf(app_client)})
    assert empty.status_code == 400 and "退回时请写明原因" in empty.text
    assert await Review.count() == 0

    # A browser counts a line break as one character (maxlength), and sends it as CRLF.
    lines = "\r\n".join(["补充材料"] * 200)  # 800 characters + 199 line breaks as the user sees it
    done = await app_client.post(f"/updates/{update['id']}/review",
                                 data={"decision": "return", "comment": lines, "back": "task",
                                       **csrf(app_client)})
    assert done.status_code == 303, done.text[-800:]
    assert done.headers["location"] == f"/tasks/{w.task_id}?notice=reviewed"
    stored = await Review.select(Review.comment).first()
    assert stored["comment"] == "\n".join(["补充材料"] * 200)


async def test_task_form_takes_the_deadline_phrases_the_plans_use(app_client):
    w = await build_world()
    await login(app_client, w.coordinator.username)
    url = f"/tasks/{w.task_id}/edit"
    for version, typed, expected in [(1, "年底前", ("2018-12-31", "年底前")),
                                     (2, "6月底前", ("2018-06-30", "6月底前")),
                                     (3, "持续推进", ("ongoing", "持续推进")),
                                     (4, "2018-10-31", ("2018-10-31", ""))]:
        saved = await app_client.post(url, data={
            "version": str(version), "lead_unit_id": str(w.units["局办公室"]), "deadline": typed,
            "deadline_text": "", **csrf(app_client)})
        assert saved.status_code == 303, saved.text
        task = (await app_client.get(f"/api/tasks/{w.task_id}", headers=w.h["coordinator"])).json()
        assert (task["task"]["deadline"], task["task"]["deadline_text"] or "") == expected, typed
    page = await app_client.get(f"/tasks/{w.task_id}")
    assert "ongoing" not in page.text.replace('"ongoing"', "")  # no technical word on the page
    refused = await app_client.post(url, data={
        "version": "5", "deadline": "2019-02-30", "deadline_text": "", **csrf(app_client)})
    assert refused.status_code == 400
    assert "完成时限“2019-02-30”不是有效日期（2019年2月只有28天）" in refused.text
    assert await Task.select(Task.version).where(Task.id == w.task_id).first() == {"version": 5}


def form_token(page_text: str) -> str:
    return re.search(r'name="_submission" value="([^"]+)"', page_text)[1]


async def test_the_same_form_sent_twice_is_stored_once_and_a_replaced_version_says_so(app_client):
    w = await build_world()
    await login(app_client, w.lead.username)
    page = await app_client.get(f"/tasks/{w.task_id}")
    token = form_token(page.text)
    url = f"/tasks/{w.task_id}/updates"
    for _ in range(2):  # submit, back button, submit again
        sent = await app_client.post(url, data={**form_body(), "_submission": token, **csrf(app_client)})
        assert sent.status_code == 303, sent.text
    assert await ProgressUpdate.count() == 1
    page = await app_client.get(f"/tasks/{w.task_id}")
    second = form_token(page.text)
    assert second != token  # a new form is a new submission
    sent = await app_client.post(url, data={**form_body(work_done="补充：目录已更新"),
                                            "_submission": second, **csrf(app_client)})
    assert sent.status_code == 303
    versions = (await app_client.get(f"/api/tasks/{w.task_id}", headers=w.h["lead"])).json()["updates"]
    assert [(u["version"], u["review_state"], u["superseded_by"]) for u in versions] == [
        (2, "submitted", None), (1, "superseded", 2)]
    page = await app_client.get(f"/tasks/{w.task_id}")
    assert "已被第2版取代" in page.text and page.text.count("待审核") == 1
    # The review queue offers the latest version only.
    queue = (await app_client.get("/api/reviews/queue", headers=w.h["coordinator"])).json()
    assert [(row["update"]["version"], row["update"]["review_state"]) for row in queue] == [
        (2, "submitted")]
    accepted = await app_client.post(f"/api/updates/{versions[0]['id']}/review",
                                     headers=w.h["coordinator"], json={"decision": "accept"})
    assert accepted.status_code == 201, accepted.text
    page = await app_client.get(f"/tasks/{w.task_id}")
    assert "已被第2版取代" in page.text and "待审核" not in page.text.split("填报记录", 1)[1]


async def test_a_first_update_takes_its_state_from_the_percent(app_client):
    w = await build_world()
    await login(app_client, w.lead.username)
    page = await app_client.get(f"/tasks/{w.task_id}")
    assert '<option value="" selected>按进度自动判断</option>' in page.text
    for percent, state in [("30", "in_progress"), ("100", "done"), ("0", "not_started")]:
        sent = await app_client.post(f"/tasks/{w.task_id}/updates", data={
            **form_body(percent=percent, state=""), **csrf(app_client)})
        assert sent.status_code == 303, sent.text
        latest = await ProgressUpdate.select(ProgressUpdate.percent, ProgressUpdate.state).order_by(
            ProgressUpdate.id, ascending=False).first()
        assert latest == {"percent": int(percent), "state": state}
    refused = await app_client.post(f"/tasks/{w.task_id}/updates", data={
        **form_body(percent="abc", state=""), **csrf(app_client)})
    assert refused.status_code == 400 and "完成进度“abc”不是 0-100 的整数" in refused.text


async def test_an_empty_milestone_gives_the_task_page_with_the_reason(app_client):
    w = await build_world()
    await login(app_client, w.coordinator.username)
    refused = await app_client.post(f"/plans/{w.plan_id}/milestones", data={
        "task_id": str(w.task_id), "title": "", "due_on": "", **csrf(app_client)})
    assert refused.status_code == 400
    assert "节点名称不能为空" in refused.text and 'action="/tasks/' in refused.text
    assert "出错了" not in refused.text
    assert await Milestone.count().where(Milestone.task == w.task_id, Milestone.title == "") == 0


async def test_a_task_the_lead_finished_is_not_overdue_for_a_cooperating_unit(app_client):
    w = await build_world()
    rows = (await app_client.get("/api/my/tasks", headers=w.h["coop"])).json()
    assert next(row for row in rows if row["task_id"] == w.task_id)["warning"] == "red"
    done = await app_client.post(f"/api/tasks/{w.task_id}/updates", headers=w.h["lead"],
                                 json=update_body(percent=100, state="done"))
    assert done.status_code == 201, done.text
    rows = (await app_client.get("/api/my/tasks", headers=w.h["coop"])).json()
    coop_row = next(row for row in rows if row["task_id"] == w.task_id)
    assert coop_row["role"] == "cooperating" and coop_row["warning"] is None
    # Before the lead reported done, the passed deadline (2018-12-31) showed for it too.


async def test_an_account_with_a_chinese_display_name(app_client):
    w = await build_world()
    await login(app_client, w.admin.username)
    added = await app_client.post("/admin/users", data={
        "username": "zhang.wei", "display_name": "张伟", "password": "a-long-password-1",
        "role": "reporter", "unit_id": str(w.units["法规处"]), **csrf(app_client)})
    assert added.status_code == 303, added.text
    admin = await app_client.get("/admin")
    assert re.search(r"<td>zhang\.wei</td><td[^>]*>张伟</td>", admin.text)
    app_client.cookies.clear()
    await login(app_client, "zhang.wei", "a-long-password-1")
    assert "张伟（填报人 · 法规处）" in (await app_client.get("/my")).text


async def test_the_api_accepts_several_updates_at_once(app_client):
    """POST /api/reviews/accept: the waiting ones accepted in one call, a decided one listed as
    skipped with the reason; bad bodies 400 naming the field; a reporter 403; nothing stored
    by a refusal."""
    w = await build_world()
    ids = []
    for period in ("2018-03", "2018-04", "2018-05"):
        made = await app_client.post(f"/api/tasks/{w.task_id}/updates",
                                     json=update_body(period=period), headers=w.h["lead"])
        ids.append(made.json()["id"])
    url, h = "/api/reviews/accept", w.h["coordinator"]
    for body, field in (({}, "update_ids"), ({"update_ids": "1"}, "update_ids"),
                        ({"update_ids": []}, "update"), ({"update_ids": list(range(1, 202))},
                                                         "update"),
                        ({"update_ids": [ids[0]], "extra": 1}, "extra")):
        refused = await app_client.post(url, json=body, headers=h)
        assert refused.status_code == 400 and field in refused.json()["field"], (body, refused.text)
    reporter = await app_client.post(url, json={"update_ids": ids}, headers=w.h["lead"])
    assert reporter.status_code == 403
    assert await Review.count() == 0

    await app_client.post(f"/api/updates/{ids[0]}/review", json={"decision": "accept"}, headers=h)
    answer = await app_client.post(url, json={"update_ids": [*ids, 999999]}, headers=h)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"accepted": ids[1:], "skipped": [
        {"update_id": ids[0], "reason": "该填报已审核过"},
        {"update_id": 999999, "reason": "填报 999999 不存在"}]}
    states = {row["update"]: row["decision"] for row in await Review.select()}
    assert states == dict.fromkeys(ids, progress.ACCEPTED)
