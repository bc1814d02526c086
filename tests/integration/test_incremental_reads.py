"""The read pages' lists kept up to date after each change are the lists worked out from
scratch, on SQLite and PostgreSQL: the 催报 lists (each unit's entry and each task's row reused
while what it shows is unchanged) and the status snapshot they and the overview read, after
every kind of change the code makes: new progress (lead and cooperating unit), a correction, a
review decision, an approved extension, a unit reassignment and a plan revision."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from tests.integration.test_plan_links import _seed, _task_id
from tests.support import lineage
from tests.support.factories import insert_past_update, make_user
from tracker.domain.status import DEFAULT_TZ
from tracker.services import (
    accounts,
    chasing,
    extensions,
    plan_revision,
    planning,
    plans,
    progress,
    tracking,
)
from tracker.tables import Task, TaskUnit, Unit

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

# (period, as of): a month with reports due and late, and one after the revision day.
DAYS = (("2018-08", dt.date(2018, 9, 10)), ("2018-11", dt.date(2018, 12, 6)))


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), DEFAULT_TZ)


async def from_scratch(plan_id: int, period: str, day: dt.date):
    """The lists from the database alone: a tree and facts read anew, nothing reused."""
    plan = await plans._read_plan(plan_id)
    facts = await tracking._read_plan_facts(plan_id)
    names = {row["id"]: row["name"] for row in await Unit.select(Unit.id, Unit.name)}
    worked = await chasing._chasing(plan_id, plan, facts, period, day, names,
                                    await accounts.unit_order())
    return worked.result, tracking.plan_snapshot(facts, day)


async def check(plan_id: int, what: str) -> dict:
    """Every day's kept lists and snapshot equal the ones from scratch; returns the kept lists."""
    kept = {}
    for period, day in DAYS:
        result = await chasing.chasing(plan_id, period, day)
        snapshot = tracking.plan_snapshot(await tracking.load_plan_facts(plan_id), day)
        fresh, fresh_snapshot = await from_scratch(plan_id, period, day)
        assert msgspec.to_builtins(result) == msgspec.to_builtins(fresh), (what, period)
        assert snapshot == fresh_snapshot, (what, period)
        assert list(snapshot.statuses) == list(fresh_snapshot.statuses), (what, "order")
        kept[period] = result
    return kept


async def lead_of(task_id: int) -> int:
    row = await TaskUnit.select(TaskUnit.unit).where(TaskUnit.task == task_id,
                                                     TaskUnit.role == "lead").first()
    return row["unit"]


async def test_the_chasing_lists_kept_up_to_date_are_the_lists_worked_out_from_scratch(database):
    plan_id = await _seed()
    permits = await _task_id(plan_id, "做好行政许可")
    removed = await _task_id(plan_id, "继续推进人大代表")
    site = await _task_id(plan_id, "完善政府网站安全")
    permits_unit, site_unit = await lead_of(permits), await lead_of(site)
    reporter = await make_user("reporter", permits_unit)
    site_reporter = await make_user("reporter", site_unit)
    coordinator = await make_user("coordinator", permits_unit)
    other_unit = (await Unit.insert(Unit(name="另一处")))[0]["id"]
    other = await make_user("reporter", other_unit)
    before = await check(plan_id, "start")
    assert before["2018-08"].not_reported and before["2018-11"].overdue  # lists to keep

    async def submit(task_id: int, unit: int, user: int, percent: int, state: str, day: dt.date,
                     period: str = "2018-08", version: int = 1, role: str = "lead") -> int:
        return await insert_past_update(
            task=task_id, unit=unit, period=period, version=version, role=role, percent=percent,
            state=state, work_done="推进", submitted_by=user, submitted_at=at(day))

    # Progress of one unit: the other units' entries are the same objects as before.
    await submit(permits, permits_unit, reporter.id, 40, "in_progress", dt.date(2018, 9, 3))
    kept = await check(plan_id, "a lead unit's update")
    untouched = [u for u in before["2018-08"].not_reported if u.unit_id != permits_unit]
    assert untouched and all(any(u is k for k in kept["2018-08"].not_reported) for u in untouched)
    rows = [row for row in before["2018-11"].overdue if row.task_id != permits]
    assert rows and all(any(row is k for k in kept["2018-11"].overdue) for row in rows)

    # Several changes between two reads, a late report, a finished task and a correction.
    await submit(site, site_unit, site_reporter.id, 100, "done", dt.date(2018, 9, 8))
    await submit(removed, await lead_of(removed), reporter.id, 30, "in_progress",
                 dt.date(2018, 9, 20))
    await submit(permits, permits_unit, reporter.id, 55, "in_progress", dt.date(2018, 9, 5),
                 version=2)
    await check(plan_id, "three updates and a correction")

    # A contribution of a unit that does not lead the task (its own record is not the lead's).
    await TaskUnit.insert(TaskUnit(task=permits, unit=other_unit, role="cooperating", position=9))
    await check(plan_id, "a cooperating unit added")
    await submit(permits, other_unit, other.id, 60, "in_progress", dt.date(2018, 9, 6),
                 role="cooperating")
    await check(plan_id, "a cooperating unit's update")

    # Review decisions: a return, then an acceptance of the correction that follows.
    latest = await submit(permits, permits_unit, reporter.id, 70, "in_progress",
                          dt.date(2018, 9, 7), version=3)
    await progress.review_update(coordinator, latest, "return", "请补充佐证")
    await check(plan_id, "a return")
    accepted = await submit(permits, permits_unit, reporter.id, 75, "in_progress",
                            dt.date(2018, 9, 8), version=4)
    await progress.review_update(coordinator, accepted, "accept", "")
    await check(plan_id, "an acceptance")

    # Structure: an approved extension, a reassignment, a plan revision.
    asked = await extensions.request_extension(site_reporter, site, "2019-03-31", "需要协调")
    await check(plan_id, "an extension requested")
    await extensions.decide(coordinator, asked.id, "approve", "")
    await check(plan_id, "an extension approved")
    version = (await Task.select(Task.version).where(Task.id == permits).first())["version"]
    third_unit = (await Unit.insert(Unit(name="第三处")))[0]["id"]
    third = await make_user("reporter", third_unit)
    await planning.edit_task(permits, planning.TaskEdit(lead_unit_ids=[third_unit]), version)
    await check(plan_id, "the lead unit reassigned")
    await submit(permits, third_unit, third.id, 80, "in_progress", dt.date(2018, 12, 3),
                 period="2018-11")
    await check(plan_id, "the new lead's update")
    await plan_revision.apply(plan_id, lineage.revised_2018(), on=dt.date(2018, 9, 10))
    await check(plan_id, "a plan revision")
    await submit(site, site_unit, site_reporter.id, 100, "done", dt.date(2018, 12, 4),
                 period="2018-11")
    await check(plan_id, "an update after the revision")


async def test_a_structure_change_works_the_lists_out_anew(database):
    """A task's new text shows in its 催报 row on the next read: rows are reused only while
    the tree and the task's status are the same objects, and a structure change replaces
    both."""
    plan_id = await _seed()
    site = await _task_id(plan_id, "完善政府网站安全")
    period, day = DAYS[1]
    before = await chasing.chasing(plan_id, period, day)
    assert any(row.task_id == site for row in before.overdue)
    version = (await Task.select(Task.version).where(Task.id == site).first())["version"]
    await planning.edit_task(site, planning.TaskEdit(text="完善政府网站安全（改）"), version)
    after = await chasing.chasing(plan_id, period, day)
    row = next(row for row in after.overdue if row.task_id == site)
    assert "（改）" in row.text
    fresh, _ = await from_scratch(plan_id, period, day)
    assert msgspec.to_builtins(after) == msgspec.to_builtins(fresh)


async def test_the_review_queue_kept_between_pages_is_the_one_read_from_the_database(app_client):
    """The queue's cards are kept by update id while the update waits (nothing they show can
    change), the task and plan they name are read on every page: after submissions, a
    correction, reviews, a task edit and a plan's new title, every page and filter equals the
    rows read from the database alone."""
    from tests.support.world import build_world, update_body
    from tracker.domain.progress_input import validate_update
    from tracker.tables import Plan

    w = await build_world()
    coordinator = await make_user("coordinator", w.units["局办公室"], username="coord")

    async def check(what: str) -> None:
        for unit_id, period in ((None, None), (w.units["法规处"], None), (None, "2018-04")):
            kept = await progress.review_queue_page(unit_id, period, 1, 50)
            ids = await progress._pending_by_query(unit_id, period)
            fresh = await progress._queue_rows(ids)  # no history: nothing kept, all read
            assert kept.total == len(ids), (what, unit_id, period)
            assert msgspec.to_builtins(kept.rows) == msgspec.to_builtins(fresh), (what, unit_id)
        api = await app_client.get("/api/reviews/queue", headers=w.h["coordinator"])
        assert api.json() == msgspec.to_builtins(await progress._queue_rows(
            await progress._pending_by_query(None, None))), what

    async def submit(user, task_id: int, period: str, percent: int) -> int:
        return (await progress.submit_update(user, task_id, validate_update(
            update_body(period=period, percent=percent)))).id

    await check("empty")
    first = await submit(w.lead, w.task_id, "2018-03", 10)
    await submit(w.coop, w.task_id, "2018-03", 20)
    await submit(w.coop, w.subtask_id, "2018-04", 30)
    await check("three updates")
    page = await progress.review_queue_page()
    again = await progress.review_queue_page()
    assert all(a.update is b.update for a, b in zip(page.rows, again.rows, strict=True))
    await submit(w.lead, w.task_id, "2018-03", 15)  # a correction replaces the first
    await check("a correction")
    assert first not in [row.update.id for row in (await progress.review_queue_page()).rows]
    queued = [row.update.id for row in (await progress.review_queue_page()).rows]
    await progress.review_update(coordinator, queued[0], "accept", "")
    await progress.review_update(coordinator, queued[1], "return", "请补充佐证")
    await check("reviews")
    await submit(w.coop, w.task_id, "2018-03", 25)  # after its return: undecided again
    await submit(w.coop, w.subtask_id, "2018-05", 35)
    await check("a returned update corrected")
    version = (await Task.select(Task.version).where(Task.id == w.subtask_id).first())["version"]
    await planning.edit_task(w.subtask_id, planning.TaskEdit(text="子任务（改）"), version)
    await Plan.update({Plan.title: "测试计划（修订）"}).where(Plan.id == w.plan_id)
    await check("a task's text and the plan's title")
    titles = {row.task_text for row in (await progress.review_queue_page()).rows}
    assert "子任务（改）" in titles


async def test_the_compiled_page_reads_give_what_the_orm_queries_gave(database):
    """The 催报 page's pending extensions and reminders and every page's unread badge are
    compiled statements now; they give the rows, types and order the ORM queries gave."""
    from tests.support.world import build_world
    from tracker.services import inbox, reminding
    from tracker.tables import ChaseRecord, ExtensionRequest, InboxNotice

    w = await build_world()
    version = (await Task.select(Task.version).where(Task.id == w.subtask_id).first())["version"]
    await planning.edit_task(w.subtask_id, planning.TaskEdit(deadline="2018-12-31"), version)
    first = await extensions.request_extension(w.lead, w.task_id, "2019-03-31", "需要协调")
    await extensions.decide(w.coordinator, first.id, "approve", "")
    await extensions.request_extension(w.coop, w.subtask_id, "2019-02-28", "等材料")
    await extensions.request_extension(w.lead, w.task_id, "2019-04-30", "再延")
    for unit in ("局办公室", "法规处"):
        await reminding.remind(w.coordinator, w.plan_id, "2018-09", [w.units[unit]],
                               today=dt.date(2018, 10, 8))
    await reminding.remind(w.coordinator, w.plan_id, "2018-09", [w.units["局办公室"]], again=True,
                           today=dt.date(2018, 10, 8))

    orm = await extensions._out(await ExtensionRequest.select(*extensions._COLUMNS).where(
        ExtensionRequest.decision.is_null()).order_by(ExtensionRequest.id))
    assert len(orm) == 2 and await extensions.pending() == orm
    assert await extensions.pending(w.plan_id) == orm and await extensions.pending(w.plan_id + 1) == []
    rows = await ChaseRecord.select(ChaseRecord.all_columns(), ChaseRecord.unit.name).where(
        ChaseRecord.plan == w.plan_id, ChaseRecord.period == "2018-09").order_by(
        ChaseRecord.unit.name).order_by(ChaseRecord.id, ascending=False)
    entries = await reminding.history(w.plan_id, "2018-09")
    assert len(entries) == len(rows) == 3
    assert [(e.unit_id, e.sequence, e.day, e.reminded_at) for e in entries] == [
        (r["unit"], r["sequence"], r["day"], r["reminded_at"]) for r in rows]
    assert isinstance(entries[0].day, dt.date) and entries[0].reminded_at.tzinfo is not None
    for user in (w.lead, w.coop, w.other):
        assert await inbox.unread_count(user.id) == await InboxNotice.count().where(
            InboxNotice.recipient == user.id, InboxNotice.read_at.is_null())
    assert await inbox.unread_count(w.lead.id) >= 2
