"""The read pages' caches never show stale data, on SQLite and PostgreSQL: the structure
version the database keeps moves with every write to a plan's structure (and not with
progress), a status snapshot kept up to date after new progress is the one worked out from
scratch, and the overview, 催报 and review pages show a change on the next read."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.factories import insert_past_update, login, make_user
from tests.support.world import build_world, update_body
from tracker.domain.status import DEFAULT_TZ
from tracker.services import plan_cache, planning, tracking
from tracker.tables import Plan, Task

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


def at(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(10), DEFAULT_TZ)


async def test_every_write_to_a_plans_structure_changes_its_fingerprint(app_client):
    w = await build_world()
    seen = [await plan_cache.structure(w.plan_id)]

    async def moved(what: str) -> None:
        now = await plan_cache.structure(w.plan_id)
        assert now != seen[-1], what
        seen.append(now)

    async def raw(sql: str, *args) -> None:
        await Plan.raw(sql, *args)
        await moved(sql)

    # Writes through the services (inserts) ...
    await planning.add_milestone(w.plan_id, None, "年中检查", "2018-06-30")
    await moved("milestone added")
    subtask = await planning.add_subtask(w.task_id, "新拆分的子任务", [w.units["其他处"]])
    await moved("sub-task with its lead unit added")
    # ... and any statement, whoever sends it: every structure table, each kind of write.
    await raw("UPDATE task SET text = text WHERE id = {}", w.task_id)  # even a no-op update
    await raw("UPDATE task_unit SET position = position WHERE task = {}", subtask)
    await raw("DELETE FROM task_unit WHERE task = {}", subtask)
    await raw("UPDATE milestone SET title = '年中检查（改）' WHERE plan = {}", w.plan_id)
    await raw("DELETE FROM milestone WHERE plan = {}", w.plan_id)
    await raw("UPDATE plan_section SET title = title WHERE plan = {}", w.plan_id)
    await raw("UPDATE plan_item SET title = 'x' WHERE section IN "
              "(SELECT id FROM plan_section WHERE plan = {})", w.plan_id)
    await raw("DELETE FROM task WHERE id = {}", subtask)
    await raw("UPDATE plan SET title = '改过的标题' WHERE id = {}", w.plan_id)
    # Progress is history, not structure: a submission leaves the tree's cache alone.
    before = await plan_cache.structure(w.plan_id)
    await insert_past_update(task=w.task_id, unit=w.units["局办公室"], period="2018-09",
                             version=1, role="lead", percent=30, state="in_progress",
                             work_done="推进", submitted_by=w.lead.id, submitted_at=at("2018-10-03"))
    assert await plan_cache.structure(w.plan_id) == before


async def test_an_extension_request_and_its_approval_change_the_fingerprint(app_client):
    w = await build_world()
    before = await plan_cache.structure(w.plan_id)
    asked = await app_client.post(f"/api/tasks/{w.task_id}/extensions", headers=w.h["lead"],
                                  json={"requested_deadline": "2019-03-31", "reason": "需协调"})
    assert asked.status_code == 201, asked.text
    requested = await plan_cache.structure(w.plan_id)
    assert requested != before
    decided = await app_client.post(f"/api/extensions/{asked.json()['id']}/decision",
                                    headers=w.h["coordinator"], json={"decision": "approve"})
    assert decided.status_code == 200, decided.text
    assert await plan_cache.structure(w.plan_id) != requested


async def test_a_plan_with_its_structure_can_still_be_deleted(app_client):
    w = await build_world()
    await Plan.raw("DELETE FROM plan WHERE id = {}", w.plan_id)  # cascades through the triggers
    assert await plan_cache.structure(w.plan_id) is None


async def test_a_snapshot_kept_up_to_date_is_the_one_worked_out_from_scratch(app_client):
    w = await build_world()
    office, rules = w.units["局办公室"], w.units["法规处"]
    day = dt.date(2018, 12, 20)  # 做好公开 is due 2018-12-31: a yellow/blue warning until done
    first = tracking.plan_snapshot(await tracking.load_plan_facts(w.plan_id), day)
    steps = [(w.task_id, office, w.lead.id, 40, "in_progress"),
             (w.subtask_id, rules, w.coop.id, 100, "done"),
             (w.task_id, office, w.lead.id, 100, "done")]
    for version, (task_id, unit, user, percent, state) in enumerate(steps, start=1):
        await insert_past_update(task=task_id, unit=unit, period="2018-11", version=version,
                                 role="lead", percent=percent, state=state, work_done="推进",
                                 submitted_by=user, submitted_at=at("2018-12-03"))
        kept = tracking.plan_snapshot(await tracking.load_plan_facts(w.plan_id), day)
        plan_cache.clear()  # forget everything: the same day worked out from the database
        fresh = tracking.plan_snapshot(await tracking.load_plan_facts(w.plan_id), day)
        assert kept is not fresh and kept == fresh, steps[version - 1]
    assert kept.warnings[w.task_id] is None and first.warnings[w.task_id] is not None
    assert kept.codes[w.task_id] == "done" and kept.summary["done"] >= 1


async def test_the_pages_show_every_change_on_the_next_read(app_client):
    w = await build_world()
    await make_user("coordinator", w.units["局办公室"], username="coord")
    await login(app_client, "coord")
    today = dt.datetime.now(DEFAULT_TZ).date()
    overview = f"/plans/{w.plan_id}?as_of={today + dt.timedelta(days=1)}"
    behind = f"{overview}&q=做好"
    chase = f"/plans/{w.plan_id}/chasing?period=2018-09&as_of={today}"
    pages = {url: (await app_client.get(url)).text for url in (overview, behind, chase, "/reviews")}
    assert "77%" not in pages[overview] and "77%" not in pages[behind]
    assert "没有待审核的填报" in pages["/reviews"]
    assert 'data-unit="局办公室"' in pages[chase]  # owes its 2018-09 report
    # Progress: the rows, the 催报 lists and the review queue all show it at once.
    sent = await app_client.post(f"/api/tasks/{w.task_id}/updates", headers=w.h["lead"],
                                 json=update_body(percent=77))
    assert sent.status_code == 201, sent.text
    assert "77%" in (await app_client.get(overview)).text
    assert "77%" in (await app_client.get(behind)).text
    assert "已梳理本局公开目录" in (await app_client.get("/reviews")).text
    assert 'data-unit="局办公室"' not in (await app_client.get(chase)).text
    # A review changes the card (then the queue drops it).
    reviewed = await app_client.post(f"/api/updates/{sent.json()['id']}/review",
                                     headers=w.h["coordinator"],
                                     json={"decision": "return", "comment": "请补充佐证"})
    assert reviewed.status_code == 201, reviewed.text
    assert "已梳理本局公开目录" not in (await app_client.get("/reviews")).text
    # Structure: an edited task's text shows in its row at once.
    version = (await Task.select(Task.version).where(Task.id == w.task_id).first())["version"]
    edited = await app_client.patch(f"/api/tasks/{w.task_id}", headers=w.h["coordinator"],
                                    json={"version": version, "text": "做好政务公开（已调整）"})
    assert edited.status_code == 200, edited.text
    assert "做好政务公开（已调整）" in (await app_client.get(behind)).text
    assert "做好政务公开（已调整）" in (await app_client.get(chase)).text
