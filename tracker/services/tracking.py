"""Status as of a date, from the database: loads the facts, the pure rules in status.py decide."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from tracker import status
from tracker.errors import NotFound
from tracker.services.plans import LEAD
from tracker.tables import Plan, ProgressUpdate, Review, Task, TaskUnit


@dataclass(frozen=True)
class PlanFacts:
    plan_id: int
    year: int | None
    due_day: int
    tolerance_percent: int
    tasks: list[status.TaskFacts]
    updates_by_task: dict[int, list[status.UpdateFacts]]


def plan_start(issued_on: dt.date | None, year: int | None) -> dt.date:
    """Work is expected from the plan's issue date, or the start of its year."""
    if issued_on:
        return issued_on
    return dt.date(year or dt.date.today().year, 1, 1)


async def load_plan_facts(plan_id: int) -> PlanFacts:
    plan = await Plan.select(Plan.id, Plan.year, Plan.issued_on, Plan.report_due_day,
                             Plan.tolerance_percent).where(Plan.id == plan_id).first()
    if plan is None:
        raise NotFound(f"计划 {plan_id} 不存在", "plan_id")
    start = plan_start(plan["issued_on"], plan["year"])
    leads = {row["task"]: row["unit"] for row in await TaskUnit.select(TaskUnit.task, TaskUnit.unit).where(
        TaskUnit.task.plan == plan_id, TaskUnit.role == LEAD)}
    tasks = [
        status.TaskFacts(task_id=row["id"], start=start, deadline=row["deadline"],
                         ongoing=row["ongoing"], lead_unit_id=leads.get(row["id"]))
        for row in await Task.select(Task.id, Task.deadline, Task.ongoing).where(Task.plan == plan_id)
    ]
    reviews = defaultdict(list)
    for row in await Review.select(Review.update, Review.decision, Review.decided_at).where(
            Review.update.task.plan == plan_id).order_by(Review.decided_at).order_by(Review.id):
        reviews[row["update"]].append(status.ReviewFacts(row["decision"], row["decided_at"]))
    updates = defaultdict(list)
    for row in await ProgressUpdate.select(
        ProgressUpdate.id, ProgressUpdate.task, ProgressUpdate.unit, ProgressUpdate.period,
        ProgressUpdate.version, ProgressUpdate.percent, ProgressUpdate.state,
        ProgressUpdate.submitted_at,
    ).where(ProgressUpdate.task.plan == plan_id):
        updates[row["task"]].append(status.UpdateFacts(
            update_id=row["id"], task_id=row["task"], unit_id=row["unit"], period=row["period"],
            version=row["version"], percent=row["percent"], state=row["state"],
            submitted_at=row["submitted_at"], reviews=tuple(reviews[row["id"]])))
    return PlanFacts(plan_id=plan_id, year=plan["year"], due_day=plan["report_due_day"],
                     tolerance_percent=plan["tolerance_percent"], tasks=tasks,
                     updates_by_task=dict(updates))


def statuses_as_of(facts: PlanFacts, as_of: dt.date) -> dict[int, status.TaskStatus]:
    return {
        task.task_id: status.task_status(task, facts.updates_by_task.get(task.task_id, []), as_of,
                                         facts.tolerance_percent, facts.due_day)
        for task in facts.tasks
    }


def warnings_as_of(facts: PlanFacts, statuses: dict[int, status.TaskStatus],
                   as_of: dt.date) -> dict[int, str | None]:
    """blue / yellow / red per task as its deadline nears and passes."""
    return {
        task.task_id: status.deadline_warning(status.effective_deadline(task), as_of,
                                              statuses[task.task_id].code == "done")
        for task in facts.tasks
    }


async def plan_statuses(plan_id: int, as_of: dt.date) -> dict[int, status.TaskStatus]:
    return statuses_as_of(await load_plan_facts(plan_id), as_of)


def default_as_of(year: int | None, due_day: int, today: dt.date | None = None) -> dt.date:
    """Today, but a finished year's plan is shown as it stood when its last reports were due."""
    today = today or dt.date.today()
    if year is None:
        return today
    return min(today, dt.date(year + 1, 1, due_day))
