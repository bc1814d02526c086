"""Chasing, ranking, extension requests, the audit trail, append-only history and concurrent
edits, on SQLite and PostgreSQL, through the services and the API."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io

import pytest

from tests.support.commands import run_tracker
from tests.support.factories import csrf, insert_past_update, login
from tests.support.world import build_world, update_body
from tracker.domain.status import DEFAULT_TZ
from tracker.domain.status import today as local_today
from tracker.services import chasing, tracking
from tracker.tables import AuditEntry, ProgressUpdate, Review, Task

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), DEFAULT_TZ)


async def insert_update(task_id: int, unit_id: int, user_id: int, period: str, percent: int,
                        submitted: str, state: str = "in_progress", version: int = 1) -> int:
    """History with controlled dates, as it would have been submitted back then."""
    return await insert_past_update(
        task=task_id, unit=unit_id, period=period, version=version, role="lead", percent=percent,
        state=state, work_done="按计划推进", submitted_by=user_id, submitted_at=at(submitted))


async def test_chasing_lists_who_has_not_reported_and_what_is_late(app_client):
    w = await build_world()
    # 做好公开 (lead 局办公室, deadline 2018-12-31) reported for September on time; the sub-task
    # (lead 法规处, no deadline: ongoing by reporting) never reported.
    await insert_update(w.task_id, w.units["局办公室"], w.lead.id, "2018-09", 20, "2018-10-03")
    result = await chasing.chasing(w.plan_id, "2018-09", dt.date(2018, 10, 6))
    assert [(u.unit, len(u.missing_tasks)) for u in result.not_reported] == [("法规处", 1)]
    assert result.not_reported[0].missing_tasks == ["子任务"]
    assert result.due_on == "2018-10-05"
    # Expected by 2018-10-06 on a linear schedule from 2018-03-01 to 2018-12-31 is ~66 %: behind.
    assert [t.task_id for t in result.behind] == [w.task_id, w.subtask_id, w.ongoing_task_id]
    assert result.overdue == []
    assert [m.title for m in result.missed_milestones] == ["半年小结", "三季度"]

    in_january = await chasing.chasing(w.plan_id, "2018-12", dt.date(2019, 1, 2))
    assert [t.task_id for t in in_january.overdue] == [w.task_id]
    assert in_january.overdue[0].warning == "red"

    response = await app_client.get(f"/api/plans/{w.plan_id}/chasing",
                                    params={"period": "2018-09", "as_of": "2018-10-06"},
                                    headers=w.h["coordinator"])
    assert response.status_code == 200
    assert [u["unit"] for u in response.json()["not_reported"]] == ["法规处"]
    bad = await app_client.get(f"/api/plans/{w.plan_id}/chasing", params={"period": "2019-01"},
                               headers=w.h["coordinator"])
    assert bad.status_code == 400 and bad.json()["field"] == "period"
    refused = await app_client.get(f"/api/plans/{w.plan_id}/chasing", headers=w.h["lead"])
    assert refused.status_code == 403


async def test_ranking_orders_by_completion_then_timeliness_and_shares_ties(app_client):
    w = await build_world()
    # Both units lead one task at 50 %; 局办公室 on time, 法规处 late: same completion, so
    # timeliness decides. A third unit with the same figures as 法规处 would share its rank.
    await insert_update(w.task_id, w.units["局办公室"], w.lead.id, "2018-09", 50, "2018-10-05")
    await insert_update(w.subtask_id, w.units["法规处"], w.coop.id, "2018-09", 50, "2018-10-06")
    result = await chasing.ranking(w.plan_id, "2018-09", dt.date(2018, 10, 10))
    assert [(r.rank, r.unit, r.percent) for r in result.rows] == [
        (1, "局办公室", 50.0), (2, "法规处", 50.0)]
    assert result.rows[0].timeliness > result.rows[1].timeliness
    assert "并列" in result.rule
    page = await app_client.get(f"/api/plans/{w.plan_id}/ranking", params={"period": "2018-09"},
                                headers=w.h["leader"])
    assert page.status_code == 200 and page.json()["rule"] == result.rule


async def test_units_with_equal_figures_share_a_rank(app_client):
    w = await build_world()
    await insert_update(w.task_id, w.units["局办公室"], w.lead.id, "2018-09", 50, "2018-10-05")
    await insert_update(w.subtask_id, w.units["法规处"], w.coop.id, "2018-09", 50, "2018-10-02")
    tied = await chasing.ranking(w.plan_id, "2018-09", dt.date(2018, 10, 10))
    # One of seven monthly reports due since the plan's start (2018-03) came in: 1/7 each.
    assert [(r.rank, r.percent, r.timeliness) for r in tied.rows] == [(1, 50.0, 14.3),
                                                                      (1, 50.0, 14.3)]
    assert sorted(r.unit for r in tied.rows) == ["局办公室", "法规处"]


async def test_an_approved_extension_moves_the_deadline_from_its_approval_on(app_client):
    w = await build_world()
    await insert_update(w.task_id, w.units["局办公室"], w.lead.id, "2018-12", 60, "2019-01-03")
    asked = await app_client.post(f"/api/tasks/{w.task_id}/extensions", headers=w.h["lead"],
                                  json={"requested_deadline": "2019-03-31", "reason": "配套系统改造延后"})
    assert asked.status_code == 201, asked.text
    assert asked.json()["original_deadline"] == "2018-12-31"
    again = await app_client.post(f"/api/tasks/{w.task_id}/extensions", headers=w.h["lead"],
                                  json={"requested_deadline": "2019-04-30", "reason": "再延"})
    assert again.status_code == 409
    coop = await app_client.post(f"/api/tasks/{w.task_id}/extensions", headers=w.h["coop"],
                                 json={"requested_deadline": "2019-03-31", "reason": "x"})
    assert coop.status_code == 403
    earlier = await app_client.post(f"/api/tasks/{w.subtask_id}/extensions", headers=w.h["coop"],
                                    json={"requested_deadline": "2018-01-01", "reason": "x"})
    assert earlier.status_code == 400 and earlier.json()["field"] == "requested_deadline"

    request_id = asked.json()["id"]
    refuse_without_reason = await app_client.post(
        f"/api/extensions/{request_id}/decision", headers=w.h["coordinator"],
        json={"decision": "refuse"})
    assert refuse_without_reason.status_code == 400
    approved = await app_client.post(f"/api/extensions/{request_id}/decision",
                                     headers=w.h["coordinator"], json={"decision": "approve"})
    assert approved.status_code == 200 and approved.json()["decision"] == "approved"
    twice = await app_client.post(f"/api/extensions/{request_id}/decision",
                                  headers=w.h["coordinator"], json={"decision": "refuse",
                                                                     "comment": "不行"})
    assert twice.status_code == 409

    facts = await tracking.load_plan_facts(w.plan_id)
    approved_on = local_today()
    # Before the approval the task was overdue; from the approval on it is judged against the
    # new deadline, and the original deadline stays on the task.
    assert tracking.statuses_as_of(facts, dt.date(2019, 1, 10))[w.task_id].code == "overdue"
    after = tracking.statuses_as_of(facts, approved_on)[w.task_id]
    assert after.code == "overdue"  # 2019-03-31 has long passed today too
    task = await Task.select(Task.deadline).where(Task.id == w.task_id).first()
    assert task["deadline"] == dt.date(2018, 12, 31)
    ext = [e for e in facts.extensions[w.task_id]]
    assert [deadline for _, deadline in ext] == [dt.date(2019, 3, 31)]
    shifted = tracking.tasks_as_of(facts, approved_on)
    assert {t.task_id: t.extended_deadline for t in shifted}[w.task_id] == dt.date(2019, 3, 31)
    page = await app_client.get(f"/api/tasks/{w.task_id}/extensions", headers=w.h["lead"])
    assert [e["decision"] for e in page.json()] == ["approved"]


async def test_every_change_is_in_the_audit_trail_with_before_and_after(app_client):
    w = await build_world()
    detail = (await app_client.get(f"/api/tasks/{w.task_id}", headers=w.h["coordinator"])).json()
    edited = await app_client.patch(
        f"/api/tasks/{w.task_id}", headers=w.h["coordinator"],
        json={"version": detail["context"]["version"], "lead_unit_ids": [w.units["法规处"]],
              "cooperating_unit_ids": [], "deadline": "2018-11-30"})
    assert edited.status_code == 200, edited.text
    submitted = await app_client.post(f"/api/tasks/{w.task_id}/updates", headers=w.h["coop"],
                                      json=update_body())
    assert submitted.status_code == 201, submitted.text
    trail = await app_client.get("/api/audit", params={"plan_id": w.plan_id},
                                 headers=w.h["coordinator"])
    assert trail.status_code == 200
    actions = [e["action"] for e in trail.json()]
    assert actions[:2] == ["update.submit", "task.edit"] and "plan.import" in actions
    edit = trail.json()[1]
    assert edit["user"] == "coordinator用户"
    assert edit["before"]["lead_units"] == ["局办公室"] and edit["after"]["lead_units"] == ["法规处"]
    assert edit["before"]["deadline"] == "2018-12-31" and edit["after"]["deadline"] == "2018-11-30"
    assert (await app_client.get("/api/audit", headers=w.h["leader"])).status_code == 403
    assert (await app_client.get("/api/audit", headers=w.h["admin"])).status_code == 200
    page = await app_client.get("/audit")
    assert page.status_code == 303  # pages need a login


async def test_progress_history_cannot_be_updated_or_deleted_even_through_the_orm(app_client):
    w = await build_world()
    response = await app_client.post(f"/api/tasks/{w.task_id}/updates", headers=w.h["lead"],
                                     json=update_body())
    update_id = response.json()["id"]
    await app_client.post(f"/api/updates/{update_id}/review", headers=w.h["coordinator"],
                          json={"decision": "accept"})
    for table, column in ((ProgressUpdate, ProgressUpdate.percent),
                          (AuditEntry, AuditEntry.summary)):
        value = 99 if column is ProgressUpdate.percent else "改写"
        with pytest.raises(Exception, match="append-only"):
            await table.update({column: value}, force=True)
        with pytest.raises(Exception, match="append-only"):
            await table.delete(force=True)
    # Review's foreign key column is named `update`, which hides Table.update(): raw SQL it is.
    with pytest.raises(Exception, match="append-only"):
        await Review.raw("UPDATE review SET comment = '改写'")
    with pytest.raises(Exception, match="append-only"):
        await Review.raw("DELETE FROM review")
    row = await ProgressUpdate.select(ProgressUpdate.percent).where(ProgressUpdate.id == update_id).first()
    assert row["percent"] == 40
    assert await Review.count() == 1


async def test_history_cannot_be_rewritten_by_replace_upsert_truncate_or_disabling_triggers(
        app_client, database):
    """An insert that collides with a stored row must not replace it (SQLite's REPLACE deletes
    the old row without firing DELETE triggers), an upsert must not update it, and on
    PostgreSQL the app's own role can neither TRUNCATE nor switch the triggers off."""
    w = await build_world()
    response = await app_client.post(f"/api/tasks/{w.task_id}/updates", headers=w.h["lead"],
                                     json=update_body())
    update_id = response.json()["id"]
    review = await app_client.post(f"/api/updates/{update_id}/review", headers=w.h["coordinator"],
                                   json={"decision": "return", "comment": "请补充"})
    assert review.status_code == 201, review.text
    audit_id = (await AuditEntry.select(AuditEntry.id).first())["id"]
    before = {
        "progress_update": await ProgressUpdate.raw("SELECT * FROM progress_update"),
        "audit_entry": await AuditEntry.raw("SELECT * FROM audit_entry ORDER BY id"),
        "review": await Review.raw("SELECT * FROM review"),
    }
    copy_update = ("INSERT {verb} progress_update (id, task, unit, period, version, role, percent, "
                   "state, work_done, problems, next_steps, evidence_links, submitted_by, "
                   "submitted_at, idempotency_key) SELECT {id}, task, unit, period, {version}, "
                   "role, 99, state, '改写', problems, next_steps, evidence_links, submitted_by, "
                   "submitted_at, idempotency_key FROM progress_update WHERE id = {source} {tail}")
    attempts = [
        # Same id; then a new id colliding on the (task, unit, period, version) key.
        copy_update.format(verb="INTO", id=update_id, version="version", source=update_id,
                           tail="ON CONFLICT (id) DO UPDATE SET percent = 99"),
        f"INSERT INTO audit_entry (id, at, action, entity, summary) VALUES ({audit_id}, "
        "CURRENT_TIMESTAMP, 'x', 'x', '改写') ON CONFLICT (id) DO UPDATE SET summary = '改写'",
        "INSERT INTO review (id, \"update\", reviewer, decision, comment, decided_at) "
        "SELECT id, \"update\", reviewer, 'accepted', '改写', decided_at FROM review "
        "WHERE true ON CONFLICT (id) DO UPDATE SET decision = 'accepted'",
    ]
    if database == "sqlite":
        attempts += [
            copy_update.format(verb="OR REPLACE INTO", id=update_id, version="version",
                               source=update_id, tail=""),
            copy_update.format(verb="OR REPLACE INTO", id=update_id + 1000, version="version",
                               source=update_id, tail=""),
            f"REPLACE INTO audit_entry (id, at, action, entity, summary) VALUES ({audit_id}, "
            "CURRENT_TIMESTAMP, 'x', 'x', '改写')",
            "REPLACE INTO review (id, \"update\", reviewer, decision, comment, decided_at) "
            "SELECT id, \"update\", reviewer, 'accepted', '改写', decided_at FROM review",
        ]
    for sql in attempts:
        with pytest.raises(Exception, match="append-only"):
            await ProgressUpdate.raw(sql)
    if database == "postgres":
        for sql in ("TRUNCATE progress_update CASCADE", "TRUNCATE audit_entry",
                    "ALTER TABLE progress_update DISABLE TRIGGER ALL",
                    "ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only",
                    "DROP TRIGGER review_append_only ON review"):
            with pytest.raises(Exception, match="permission denied|must be owner"):
                await ProgressUpdate.raw(sql)
    after = {
        "progress_update": await ProgressUpdate.raw("SELECT * FROM progress_update"),
        "audit_entry": await AuditEntry.raw("SELECT * FROM audit_entry ORDER BY id"),
        "review": await Review.raw("SELECT * FROM review"),
    }
    assert after == before


async def test_twenty_concurrent_edits_of_one_task_never_overwrite_silently(app_client):
    w = await build_world()
    version = (await app_client.get(f"/api/tasks/{w.task_id}",
                                    headers=w.h["coordinator"])).json()["context"]["version"]
    deadlines = [f"2018-12-{day:02d}" for day in range(1, 21)]

    async def edit(deadline: str):
        return await app_client.patch(f"/api/tasks/{w.task_id}", headers=w.h["coordinator"],
                                      json={"version": version, "deadline": deadline})

    responses = await asyncio.gather(*(edit(d) for d in deadlines))
    accepted = [r for r in responses if r.status_code == 200]
    refused = [r for r in responses if r.status_code == 409]
    assert len(accepted) + len(refused) == 20
    assert len(accepted) == 1
    assert all("已被他人修改" in r.json()["detail"] and r.json()["field"] == "version" for r in refused)
    task = await Task.select(Task.version, Task.deadline).where(Task.id == w.task_id).first()
    assert task["version"] == version + len(accepted)
    assert task["deadline"].isoformat() == accepted[0].request.content.decode().split('"deadline":"')[1][:10]
    # Retrying with the version just read succeeds: each accepted write bumps it once.
    retry = await app_client.patch(f"/api/tasks/{w.task_id}", headers=w.h["coordinator"],
                                   json={"version": task["version"], "deadline": "2018-12-25"})
    assert retry.status_code == 200 and retry.json()["version"] == task["version"] + 1


@pytest.mark.audit_gaps
async def test_db_check_lists_history_without_its_audit_entries(app_client, database, backend_urls):
    w = await build_world()
    url, data_dir = backend_urls(database)
    clean = run_tracker("db", "check", database_url=url, data_dir=data_dir)
    assert clean.returncode == 0, clean.stderr
    assert "检查通过" in clean.stdout
    submitted = await app_client.post(f"/api/tasks/{w.task_id}/updates", headers=w.h["lead"],
                                      json=update_body())
    assert submitted.status_code == 201
    # Stored around the services: an update, a review and a task edit with no audit entry.
    stray = (await ProgressUpdate.insert(ProgressUpdate(
        task=w.task_id, unit=w.units["局办公室"], period="2018-08", version=1, role="lead",
        percent=10, state="in_progress", work_done="绕过服务写入", submitted_by=w.lead.id,
        submitted_at=at("2018-09-03"))).returning(ProgressUpdate.id))[0]["id"]
    await Review.raw("INSERT INTO review (\"update\", reviewer, decision, comment, decided_at) "
                     "VALUES ({}, {}, 'accepted', '', CURRENT_TIMESTAMP)",
                     submitted.json()["id"], w.coordinator.id)
    await Task.update({Task.version: Task.version + 2}).where(Task.id == w.subtask_id)
    result = run_tracker("db", "check", database_url=url, data_dir=data_dir)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"缺少审计记录的进展填报（1）：{stray}",
        "缺少审计记录的审核（1）：1",
        f"缺少审计记录的任务修改（2 次，1 项任务）：{w.subtask_id}",
    ]


async def test_generated_demo_history_has_its_audit_entries(database):
    """`tracker demo generate` and `tracker demo load` write history in bulk: each update and
    review still comes with its audit entry (the fixture's check fails otherwise)."""
    from tracker.services.demo_data import generate_city_plan
    from tracker.services.history_check import find_gaps

    _, history = await generate_city_plan(units=4, tasks=30, months=3, seed=5)
    assert history.updates > 30 and history.reviews > 0
    assert not await find_gaps()
    assert await AuditEntry.count().where(AuditEntry.action == "update.submit") == history.updates


async def test_a_deadline_before_the_plan_was_issued_is_saved_with_a_warning(app_client):
    w = await build_world()  # the plan was issued on 2018-03-01
    version = (await app_client.get(f"/api/tasks/{w.task_id}",
                                    headers=w.h["coordinator"])).json()["context"]["version"]
    early = await app_client.patch(f"/api/tasks/{w.task_id}", headers=w.h["coordinator"],
                                   json={"version": version, "deadline": "2018-02-28"})
    assert early.status_code == 200, early.text
    assert early.json()["warnings"] == ["完成时限 2018-02-28 早于计划印发日期 2018-03-01，请核对"]
    fine = await app_client.patch(f"/api/tasks/{w.task_id}", headers=w.h["coordinator"],
                                  json={"version": version + 1, "deadline": "2018-03-01"})
    assert fine.json()["warnings"] == []
    subtask = await app_client.post(f"/api/tasks/{w.task_id}/subtasks", headers=w.h["coordinator"],
                                    json={"text": "补充任务", "deadline": "2017-12-31"})
    assert subtask.status_code == 201 and len(subtask.json()["warnings"]) == 1
    await login(app_client, w.coordinator.username)
    page = await app_client.post(f"/tasks/{w.task_id}/edit", data={
        "version": str(version + 2), "lead_unit_id": str(w.units["局办公室"]),
        "deadline": "2018-01-15", "deadline_text": "", **csrf(app_client)})
    assert page.status_code == 303
    assert page.headers["location"] == f"/tasks/{w.task_id}?notice=saved_deadline_before_issue"
    shown = await app_client.get(page.headers["location"])
    assert "完成时限早于计划印发日期" in shown.text


async def test_an_approved_extension_shows_everywhere_with_the_original_kept(app_client):
    w = await build_world()
    today = local_today()
    new_deadline = (today + dt.timedelta(days=90)).isoformat()
    asked = await app_client.post(f"/api/tasks/{w.task_id}/extensions", headers=w.h["lead"],
                                  json={"requested_deadline": new_deadline, "reason": "配套系统改造延后"})
    assert asked.status_code == 201, asked.text
    await login(app_client, w.coordinator.username)
    decided = await app_client.post(f"/extensions/{asked.json()['id']}/decision",
                                    data={"decision": "approve", **csrf(app_client)},
                                    follow_redirects=True)
    assert decided.status_code == 200
    # The confirmation says what changed; the task page shows the deadline in force.
    assert "已同意延期申请。" in decided.text
    assert f"完成时限由 2018-12-31 延至 {new_deadline}" in decided.text
    assert f'<span class="extended">{new_deadline}</span>' in decided.text
    assert "（已延期，原定 2018-12-31）" in decided.text

    as_of = {"as_of": today.isoformat()}
    plan_page = await app_client.get(f"/plans/{w.plan_id}", params=as_of)
    row = plan_page.text.split(f'href="/tasks/{w.task_id}"', 1)[1].split("</tr>", 1)[0]
    assert new_deadline in row and "原定 2018-12-31" in row and "已超期" not in row
    chase = await app_client.get(f"/plans/{w.plan_id}/chasing",
                                 params={"period": "2018-12", **as_of})
    assert chase.status_code == 200 and f"{new_deadline}</span>" in chase.text
    api_chase = (await app_client.get(f"/api/plans/{w.plan_id}/chasing", headers=w.h["coordinator"],
                                      params={"period": "2018-12", **as_of})).json()
    listed = [t for group in ("overdue", "behind", "due_soon") for t in api_chase[group]
              if t["task_id"] == w.task_id]
    assert listed and all(t["extended_deadline"] == new_deadline for t in listed)
    assert all(t["warning"] != "red" for t in listed)
    ledger = await app_client.get(f"/api/plans/{w.plan_id}/ledger.csv", params=as_of,
                                  headers=w.h["coordinator"])
    rows = list(csv.reader(io.StringIO(ledger.content.decode("utf-8-sig"))))
    column = rows[0].index("延期至")
    task_row = next(row for row in rows if any("做好公开" in cell for cell in row))
    assert "2018-12-31" in task_row and task_row[column] == new_deadline


async def test_the_audit_page_reads_in_chinese_and_filters_by_task_unit_user_and_day(app_client):
    w = await build_world()
    for percent, state in ((40, "in_progress"), (100, "done")):
        sent = await app_client.post(f"/api/tasks/{w.task_id}/updates", headers=w.h["lead"],
                                     json=update_body(percent=percent, state=state))
        assert sent.status_code == 201, sent.text
    latest = sent.json()["id"]
    reviewed = await app_client.post(f"/api/updates/{latest}/review", headers=w.h["coordinator"],
                                     json={"decision": "accept"})
    assert reviewed.status_code == 201
    edited = await app_client.patch(f"/api/tasks/{w.subtask_id}", headers=w.h["coordinator"],
                                    json={"version": 1, "deadline": "2018-11-30"})
    assert edited.status_code == 200, edited.text
    await login(app_client, w.coordinator.username)

    page = await app_client.get("/audit", params={"task_id": w.task_id})
    assert page.status_code == 200
    text = page.text
    assert "状态</span>：推进中 → 已完成" in text and "进度</span>：40% → 100%" in text
    assert "审核结果</span>：通过" in text
    assert w.lead.display_name in text and w.coordinator.display_name in text
    for leftover in ("\\u", "in_progress", "accepted", '"decision"', "{"):
        assert leftover not in text.split("<tbody>", 1)[1], leftover
    assert "2018-11-30" not in text  # the sub-task's edit is another task's

    sub = (await app_client.get("/audit", params={"task_id": w.subtask_id})).text
    assert "完成时限</span>：— → 2018-11-30" in sub or "完成时限</span>：" in sub
    by_unit = (await app_client.get("/audit", params={"unit_id": w.units["局办公室"]})).text
    assert "状态</span>：推进中 → 已完成" in by_unit
    by_other_unit = (await app_client.get("/audit", params={"unit_id": w.units["其他处"]})).text
    assert "推进中 → 已完成" not in by_other_unit
    by_user = (await app_client.get("/audit", params={"user_id": w.coordinator.id})).text
    assert "审核结果</span>：通过" in by_user and "推进中 → 已完成" not in by_user
    today = local_today().isoformat()
    assert "推进中 → 已完成" in (await app_client.get(
        "/audit", params={"since": today, "until": today})).text
    assert "暂无记录" in (await app_client.get("/audit", params={"until": "2018-01-01"})).text
    bad = await app_client.get("/audit", params={"since": "2018-02-30"})
    assert bad.status_code == 400


async def test_units_are_listed_in_the_organisations_order_set_by_the_admin(app_client):
    w = await build_world()
    await insert_update(w.task_id, w.units["局办公室"], w.lead.id, "2018-08", 20, "2018-09-03")
    await login(app_client, w.admin.username)
    names = ["局办公室", "法规处", "其他处"]  # the order they were added in (not by character code)

    def listed(text: str) -> list[str]:
        return [name for name in sorted(names, key=text.index)]

    assert listed((await app_client.get("/admin")).text.split("<tbody>", 1)[1]) == names
    for name, position in (("其他处", "1"), ("法规处", "2"), ("局办公室", "3")):
        moved = await app_client.post(f"/admin/units/{w.units[name]}/position",
                                      data={"position": position, **csrf(app_client)})
        assert moved.status_code == 303, moved.text
    order = ["其他处", "法规处", "局办公室"]
    assert listed((await app_client.get("/admin")).text.split("<tbody>", 1)[1]) == order
    units = (await app_client.get("/api/units", headers=w.h["admin"])).json()
    assert [u["name"] for u in units] == order
    app_client.cookies.clear()
    await login(app_client, w.coordinator.username)
    task_page = (await app_client.get(f"/tasks/{w.task_id}")).text
    lead_select = task_page.split('name="lead_unit_id"', 1)[1].split("</select>", 1)[0]
    assert listed(lead_select) == order
    chase = await chasing.chasing(w.plan_id, "2018-09", dt.date(2018, 10, 6))
    assert [u.unit for u in chase.not_reported] == ["法规处", "局办公室"]
    bad = await app_client.post(f"/admin/units/{w.units['法规处']}/position",
                                data={"position": "x", **csrf(app_client)})
    assert bad.status_code in (400, 403)


async def test_a_subtask_or_assignment_added_later_is_not_due_in_earlier_periods(app_client,
                                                                                  monkeypatch):
    """Issue 11 bug 4: splitting a task (or giving a unit a task) in December must not make a
    unit 'not reported' for September, nor change September's ranking, chasing list or report;
    it counts from December on."""
    from tracker.reporting.build import build_report_data, resolve_request
    from tracker.services import planning
    from tracker.services.ledger_export import export_ledger
    from tracker.tables import TaskUnit

    w = await build_world()
    await insert_update(w.task_id, w.units["局办公室"], w.lead.id, "2018-09", 50, "2018-10-03")
    await insert_update(w.subtask_id, w.units["法规处"], w.coop.id, "2018-09", 40, "2018-10-04")
    september = ("2018-09", dt.date(2018, 10, 6))

    async def figures():
        report = await build_report_data(await resolve_request(w.plan_id, *september),
                                         generated_at=at("2018-10-06"), words=False)
        chase = await chasing.chasing(w.plan_id, *september)
        return ((chase.not_reported, [(t.task_id, t.status, t.percent) for t in chase.behind],
                 [t.task_id for t in chase.overdue], [t.task_id for t in chase.due_soon]),
                await chasing.ranking(w.plan_id, *september),
                (report.totals, report.plan_percent, report.not_reported, report.sections,
                 report.units, report.trend, report.headline, report.previous))

    before = await figures()
    assert before[0][0] == []

    # December: the coordinator splits 做好公开 for 其他处 and gives it the unassigned 持续任务;
    # re-saving 做好公开's lead keeps that link (and its date) as it was.
    monkeypatch.setattr(planning, "_now", lambda: at("2018-12-10"))
    await planning.add_subtask(w.task_id, "十二月拆分", [w.units["其他处"]], "2018-12-31")
    version = (await Task.select(Task.version).where(Task.id == w.ongoing_task_id).first())["version"]
    await planning.edit_task(w.ongoing_task_id, planning.TaskEdit(lead_unit_ids=[w.units["其他处"]]),
                             version)
    version = (await Task.select(Task.version).where(Task.id == w.task_id).first())["version"]
    await planning.edit_task(w.task_id, planning.TaskEdit(lead_unit_ids=[w.units["局办公室"]]),
                             version)
    kept = await TaskUnit.select(TaskUnit.created_at).where(TaskUnit.task == w.task_id,
                                                           TaskUnit.role == "lead").first()
    assert kept["created_at"] is None  # part of the plan from its start, still

    after = await figures()
    assert after[0] == before[0]  # chasing list: nobody owes September for December's changes
    assert after[1] == before[1]  # ranking
    assert after[2] == before[2]  # report figures
    ledger = await export_ledger(w.plan_id, "csv", dt.date(2018, 10, 6))
    assert "十二月拆分" not in ledger.content.decode("utf-8-sig")
    assert "十二月拆分" in (await export_ledger(w.plan_id, "csv", dt.date(2019, 1, 6))
                       ).content.decode("utf-8-sig")

    # From December on they count: 其他处 owes December's report for both.
    december = await chasing.chasing(w.plan_id, "2018-12", dt.date(2019, 1, 6))
    owing = {u.unit: u.missing_tasks for u in december.not_reported}
    assert len(owing["其他处"]) == 2 and any("十二月拆分" in t for t in owing["其他处"])
    ranking = await chasing.ranking(w.plan_id, "2018-12", dt.date(2019, 1, 6))
    assert "其他处" in [row.unit for row in ranking.rows]
    november = await chasing.chasing(w.plan_id, "2018-11", dt.date(2018, 12, 6))
    assert "其他处" not in [u.unit for u in november.not_reported]


async def test_a_plans_snapshot_is_shared_until_its_history_changes(app_client):
    """The overview's and 催报's statuses are worked out once per data version and day: the
    same object while nothing changed, a new one (with the new figures) after an update."""
    w = await build_world()
    day = dt.date(2018, 10, 6)
    await insert_update(w.task_id, w.units["局办公室"], w.lead.id, "2018-09", 20, "2018-10-03")
    first = tracking.plan_snapshot(await tracking.load_plan_facts(w.plan_id), day)
    again = tracking.plan_snapshot(await tracking.load_plan_facts(w.plan_id), day)
    assert again is first and first.statuses[w.task_id].percent == 20
    assert first.summary["behind"] == 3 and first.codes[w.task_id] == "behind"
    await insert_update(w.task_id, w.units["局办公室"], w.lead.id, "2018-09", 90, "2018-10-04",
                        version=2)
    after = tracking.plan_snapshot(await tracking.load_plan_facts(w.plan_id), day)
    assert after is not first and after.statuses[w.task_id].percent == 90
    assert after.codes[w.task_id] == "on_track" and after.summary["behind"] == 2
    # The snapshot of another day is its own.
    assert tracking.plan_snapshot(await tracking.load_plan_facts(w.plan_id),
                                  dt.date(2019, 1, 2)) is not after
