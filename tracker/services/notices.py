"""What the tracker queues, and when.

- ``reminder`` (催报): within ``plan.remind_days_before`` days before a period's due day, one
  notice per lead unit that still owes updates for that period, listing those tasks. The
  window (rather than exactly N days before) means a day the schedule missed is made up the
  next day; the dedupe key keeps it to one notice per unit and period.
- ``late_list``: on the due day (or within LATE_LIST_GRACE_DAYS after it, if that run was
  missed), one notice listing the units that have not reported for the period.
- ``update_returned``: when a coordinator returns an update.
- ``report_published``: when a report is published.
- In-app notices (``services.inbox``): a reminder and a return also reach the unit's reporters
  in the tracker, in the same transaction; ``deadline_soon`` notices go to a lead unit when a
  task's deadline is 14 days, and again 3 days, away.

Who owes what comes from the same rule as the report's timeliness figures
(``status.unit_timeliness``), so a reminder never disagrees with the report.
"""

from __future__ import annotations

import datetime as dt
import logging

from tracker.db import write_transaction
from tracker.domain import status
from tracker.domain.errors import NotFound
from tracker.domain.periods import due_date, latest_due_period, period_of, previous_period
from tracker.domain.plan_model import OWN
from tracker.notify import messages
from tracker.notify.formatters import Notice
from tracker.notify.messages import TaskRef, UnitTasks
from tracker.schemas import ReportOut
from tracker.services import inbox
from tracker.services.outbox import Queued, enqueue, enqueue_quietly
from tracker.services.tracking import (
    PlanFacts,
    load_plan_facts,
    statuses_as_of,
    tasks_as_of,
    warnings_as_of,
)
from tracker.settings import get_settings
from tracker.tables import Plan, ProgressUpdate, Review, Task, Unit

LATE_LIST_GRACE_DAYS = 3
log = logging.getLogger(__name__)


def local_today() -> dt.date:
    """Today on the users' clock (Beijing time), whatever the server's time zone."""
    return dt.datetime.now(status.DEFAULT_TZ).date()


def upcoming_period(today: dt.date, due_day: int) -> str:
    """The period whose due date is the first on or after today."""
    last_month = previous_period(period_of(today))
    return last_month if today.day <= due_day else period_of(today)


def _in_plan_year(period: str, year: int | None) -> bool:
    return year is None or period.startswith(f"{year:04d}-")


def _owed(facts: PlanFacts, unit_id: int, period: str, as_of: dt.date
          ) -> tuple[list[int], list[int]]:
    """(tasks with no update for the period by the end of as_of, tasks reported after the due
    day) of one lead unit."""
    updates = [u for task_updates in facts.updates_by_task.values() for u in task_updates]
    timeliness = status.unit_timeliness(unit_id, tasks_as_of(facts, as_of), updates, as_of,
                                        facts.due_day)
    return ([task_id for task_id, p in timeliness.missing_items if p == period],
            [task_id for task_id, p in timeliness.late_items if p == period])


async def _plan_context(plan_id: int) -> tuple[PlanFacts, dict[int, TaskRef], dict[int, str]]:
    facts = await load_plan_facts(plan_id)
    tasks = {row["id"]: TaskRef(row["id"], row["number"], row["text"])
             for row in await Task.select(Task.id, Task.number, Task.text).where(Task.plan == plan_id)
             .order_by(Task.id)}
    units = {row["id"]: row["name"] for row in await Unit.select(Unit.id, Unit.name).where(
        Unit.active.eq(True))}
    return facts, tasks, units


def _lead_units(facts: PlanFacts, units: dict[int, str], as_of: dt.date) -> list[int]:
    leads = {task.lead_unit_id for task in tasks_as_of(facts, as_of) if task.lead_unit_id is not None}
    return sorted((unit_id for unit_id in leads if unit_id in units), key=lambda u: units[u])


async def queue_reminders(plan: dict, today: dt.date, public_url: str | None) -> list[Queued]:
    period = upcoming_period(today, plan["report_due_day"])
    due_on = due_date(period, plan["report_due_day"])
    if not 0 < (due_on - today).days <= plan["remind_days_before"]:
        return []
    if not _in_plan_year(period, plan["year"]):
        return []
    facts, tasks, units = await _plan_context(plan["id"])
    queued = []
    for unit_id in _lead_units(facts, units, due_on):
        # As of the due day: everything owed for the period that is not in yet.
        missing, _ = _owed(facts, unit_id, period, due_on)
        if not missing:
            continue
        notice = messages.reminder(plan["id"], plan["title"], period, due_on, unit_id,
                                   units[unit_id], [tasks[t] for t in missing], public_url)
        key = f"reminder:{plan['id']}:{period}:{unit_id}"
        async with write_transaction(Plan._meta.db):  # the channels and the unit's inbox together
            queued += await enqueue(notice, key, plan["id"])
            await inbox.notify_unit(unit_id, "reminder", notice.title, messages.in_app_text(notice),
                                    f"/my?period={period}", key)
    return queued


DEADLINE_NOTICE_LEVELS = ("blue", "yellow")  # within 14 days, then within 3 days


async def note_deadlines(plan: dict, today: dt.date) -> int:
    """In-app notices to lead units whose tasks' deadlines come near: once when a task enters
    the 14-day window and once more in the last 3 days (the page's blue and yellow flags)."""
    facts, tasks, units = await _plan_context(plan["id"])
    statuses = statuses_as_of(facts, today)
    warnings = warnings_as_of(facts, statuses, today)
    written = 0
    for task in tasks_as_of(facts, today):
        level = warnings.get(task.task_id)
        if level not in DEADLINE_NOTICE_LEVELS or task.lead_unit_id not in units:
            continue
        deadline = status.effective_deadline(task)
        notice = messages.deadline_soon(plan["id"], plan["title"], tasks[task.task_id],
                                        units[task.lead_unit_id], deadline,
                                        (deadline - today).days)
        written += await inbox.notify_unit(
            task.lead_unit_id, "deadline_soon", notice.title, notice.text,
            f"/tasks/{task.task_id}", f"deadline_soon:{task.task_id}:{deadline}:{level}")
    return written


async def queue_late_list(plan: dict, today: dt.date, public_url: str | None) -> list[Queued]:
    period = latest_due_period(today, plan["report_due_day"])
    due_on = due_date(period, plan["report_due_day"])
    if not 0 <= (today - due_on).days <= LATE_LIST_GRACE_DAYS:
        return []
    if not _in_plan_year(period, plan["year"]):
        return []
    facts, tasks, units = await _plan_context(plan["id"])
    missing, late = [], []
    for unit_id in _lead_units(facts, units, today):
        not_in, came_late = _owed(facts, unit_id, period, today)
        if not_in:
            missing.append(UnitTasks(unit_id, units[unit_id], [tasks[t] for t in not_in]))
        elif came_late:
            late.append(UnitTasks(unit_id, units[unit_id], [tasks[t] for t in came_late]))
    notice = messages.late_list(plan["id"], plan["title"], period, due_on, missing, late, public_url)
    return await enqueue(notice, f"late_list:{plan['id']}:{period}", plan["id"])


async def queue_due_notices(today: dt.date | None = None, plan_id: int | None = None,
                            public_url: str | None = None) -> list[Queued]:
    """Reminders and late lists due today, for one plan or all; safe to run any number of times."""
    today = today or local_today()
    public_url = public_url or get_settings().public_url
    query = Plan.select(Plan.id, Plan.title, Plan.year, Plan.report_due_day,
                        Plan.remind_days_before, Plan.kind).order_by(Plan.id)
    if plan_id is not None:
        query = query.where(Plan.id == plan_id)
    plans = await query
    if plan_id is not None and not plans:
        raise NotFound(f"计划 {plan_id} 不存在", "plan_id")
    queued = []
    plans = [plan for plan in plans if plan["kind"] == OWN]  # parent plans are never chased
    for plan in plans:
        queued += await queue_reminders(plan, today, public_url)
        queued += await queue_late_list(plan, today, public_url)
        if _in_plan_year(period_of(today), plan["year"]):
            await note_deadlines(plan, today)
    return queued


async def update_returned_notice(update_id: int) -> tuple[Notice, int, int] | None:
    """What a return says, with the plan and the unit it goes to; None if nothing to say."""
    row = await ProgressUpdate.select(
        ProgressUpdate.task, ProgressUpdate.unit, ProgressUpdate.unit.name, ProgressUpdate.period,
        ProgressUpdate.version, ProgressUpdate.task.number, ProgressUpdate.task.text,
        ProgressUpdate.task.plan, ProgressUpdate.task.plan.title,
    ).where(ProgressUpdate.id == update_id).first()
    review = await Review.select(Review.comment, Review.reviewer.display_name).where(
        Review.update == update_id).order_by(Review.id, ascending=False).first()
    if row is None or review is None:
        return None
    notice = messages.update_returned(
        row["task.plan"], row["task.plan.title"],
        TaskRef(row["task"], row["task.number"], row["task.text"]), row["unit"], row["unit.name"],
        update_id, row["period"], row["version"], review["comment"],
        review["reviewer.display_name"], get_settings().public_url)
    return notice, row["task.plan"], row["unit"]


async def note_update_returned(update_id: int) -> None:
    """In the review's transaction: the unit's reporters get an in-app notice."""
    found = await update_returned_notice(update_id)
    if found is not None:
        notice, _, unit_id = found
        await inbox.notify_unit(unit_id, "update_returned", notice.title,
                                messages.in_app_text(notice),
                                f"/tasks/{notice.data['task']['id']}",
                                f"update_returned:{update_id}")


async def queue_update_returned(update_id: int) -> list[Queued]:
    """After a coordinator returned an update (the review is committed): tell the channels."""
    found = await update_returned_notice(update_id)
    if found is None:
        return []
    notice, plan_id, _ = found
    return await enqueue_quietly(notice, f"update_returned:{update_id}", plan_id)


async def queue_report_published(report: ReportOut) -> list[Queued]:
    plan = await Plan.select(Plan.title).where(Plan.id == report.plan_id).first()
    notice = messages.report_published(
        report.plan_id, plan["title"] if plan else "", report.id, report.period, report.as_of,
        report.edition, report.unit_name, report.sha256, get_settings().public_url)
    return await enqueue_quietly(notice, f"report_published:{report.id}", report.plan_id)


async def notify_update_returned(update_id: int) -> None:
    """The hook in review_update: a notice problem never fails or undoes the review."""
    try:
        await queue_update_returned(update_id)
    except Exception:
        log.exception("update_returned notice for update %s", update_id)


async def notify_report_published(report: ReportOut) -> list[Queued]:
    """The hook in the report pipeline (archive.produce with publish=True): the archived report stands whatever happens here."""
    try:
        return await queue_report_published(report)
    except Exception:
        log.exception("report_published notice for report %s", report.id)
        return []
