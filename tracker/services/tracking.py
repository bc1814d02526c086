"""Status as of a date, from the database: loads the facts, the pure rules in status.py decide."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace

from tracker.domain import status
from tracker.domain.errors import NotFound
from tracker.domain.plan_model import LEAD
from tracker.domain.status import today as local_today
from tracker.domain.vocabulary import STATUS_LABELS
from tracker.services import plan_cache
from tracker.tables import ExtensionRequest, Plan, ProgressUpdate, Review, Task, TaskUnit


@dataclass(frozen=True)
class PlanFacts:
    plan_id: int
    year: int | None
    due_day: int
    tolerance_percent: int
    tasks: list[status.TaskFacts]
    updates_by_task: dict[int, list[status.UpdateFacts]]
    # Approved extensions per task: (approved at, new deadline), oldest first.
    extensions: dict[int, list[tuple[dt.datetime, dt.date]]]
    # Results computed from these facts (statuses as of a date, ...), kept with them; a newer
    # PlanFacts of the same plan inherits those its changes did not touch.
    memo: dict = field(default_factory=dict, compare=False, repr=False)


def plan_start(issued_on: dt.date | None, year: int | None) -> dt.date:
    """Work is expected from the plan's issue date, or the start of its year."""
    if issued_on:
        return issued_on
    return dt.date(year or local_today().year, 1, 1)


@dataclass(frozen=True)
class _CachedFacts:
    structure: tuple
    history_version: int
    facts: PlanFacts


async def load_plan_facts(plan_id: int, shape: tuple | None = None) -> PlanFacts:
    """The plan's facts, from the in-process cache kept exact by `plan_cache`: a read fetches
    only the progress rows it has not seen, and re-reads the structure only when it changed.
    `shape`: plan_cache.structure(plan_id), if the caller has just read it."""
    if plan_cache.in_transaction():
        return await _read_plan_facts(plan_id)
    async with plan_cache.lock():
        shape = shape or await plan_cache.structure(plan_id)
        if shape is None:
            raise NotFound(f"计划 {plan_id} 不存在", "plan_id")
        history = await plan_cache.history()
        cache = plan_cache.state().facts
        entry = cache.get(plan_id)
        if entry is not None and entry.structure == shape:
            if entry.history_version == history.version:
                return entry.facts
            changed = history.changes_since(entry.history_version)
            if changed is not None:
                facts = _with_changes(entry.facts, history.by_task, *changed)
                cache[plan_id] = _CachedFacts(shape, history.version, facts)
                return facts
        skeleton = await _read_plan_facts(plan_id, with_updates=False)
        facts = replace(skeleton, updates_by_task={
            task.task_id: history.by_task[task.task_id] for task in skeleton.tasks
            if task.task_id in history.by_task})
        cache[plan_id] = _CachedFacts(shape, history.version, facts)
        return facts


def _with_changes(facts: PlanFacts, by_task: dict[int, list[status.UpdateFacts]],
                  tasks: set[int], units: set[int]) -> PlanFacts:
    """`facts` with the updates of `tasks` taken anew; derived results of other tasks and
    units are kept."""
    updates = dict(facts.updates_by_task)
    own = {task.task_id for task in facts.tasks}
    for task_id in tasks & own:
        updates[task_id] = by_task[task_id]
    memo = {}
    changed = tasks & own
    earlier: dict[dt.date, tuple] = {}  # day -> (a snapshot before the changes, tasks changed since)
    for key, value in facts.memo.items():
        if key[0] in ("statuses", "timeliness parts"):  # per task: all but the changed ones
            memo[key] = _without(value, changed)
        elif key[0] == "timeliness":
            if key[-1] not in units:
                memo[key] = value
        elif key[0] == "snapshot":
            if not changed:  # none of this plan's tasks changed
                memo[key] = value
            else:  # the next snapshot redoes only the changed tasks' warnings
                earlier[key[1]] = (value, changed)
        elif key[0] == "snapshot before":
            if ("snapshot", key[1]) not in facts.memo:
                earlier[key[1]] = (value[0], value[1] | changed)
        else:  # depends on the structure only
            memo[key] = value
    for day, value in earlier.items():
        memo[("snapshot before", day)] = value
    return replace(facts, updates_by_task=updates, memo=memo)


def _without(per_task: dict, tasks: set[int]) -> dict:
    """A copy of `per_task` without `tasks` (copying the dict whole is C code: cheaper than
    filtering 2,000 entries in Python when a submission changed one)."""
    kept = dict(per_task)
    for task_id in tasks:
        kept.pop(task_id, None)
    return kept


def _remember(facts: PlanFacts, key: tuple, value):
    if len(facts.memo) > 4096:
        facts.memo.clear()
    facts.memo[key] = value
    return value


async def _read_plan_facts(plan_id: int, with_updates: bool = True) -> PlanFacts:
    """The facts straight from the database (inside transactions, and the cache's skeleton)."""
    plan = await Plan.select(Plan.id, Plan.year, Plan.issued_on, Plan.report_due_day,
                             Plan.tolerance_percent).where(Plan.id == plan_id).first()
    if plan is None:
        raise NotFound(f"计划 {plan_id} 不存在", "plan_id")
    start = plan_start(plan["issued_on"], plan["year"])
    leads = {row["task"]: row for row in await TaskUnit.select(
        TaskUnit.task, TaskUnit.unit, TaskUnit.created_at).where(
        TaskUnit.task.plan == plan_id, TaskUnit.role == LEAD)}
    tasks = []
    for row in await Task.select(Task.id, Task.deadline, Task.ongoing, Task.created_at,
                                 Task.withdrawn_on).where(
            Task.plan == plan_id).order_by(Task.id):  # the same order on every backend
        lead = leads.get(row["id"])
        created_on = _local_day(row["created_at"])
        tasks.append(status.TaskFacts(
            task_id=row["id"], start=max(start, created_on) if created_on else start,
            deadline=row["deadline"], ongoing=row["ongoing"],
            lead_unit_id=lead["unit"] if lead else None, created_on=created_on,
            lead_since=_local_day(lead["created_at"]) if lead else None,
            withdrawn_on=row["withdrawn_on"]))
    if not with_updates:
        return PlanFacts(plan_id=plan_id, year=plan["year"], due_day=plan["report_due_day"],
                         tolerance_percent=plan["tolerance_percent"], tasks=tasks,
                         updates_by_task={}, extensions=await approved_extensions(plan_id))
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
                     updates_by_task=dict(updates),
                     extensions=await approved_extensions(plan_id))


def _local_day(moment: dt.datetime | None) -> dt.date | None:
    return moment.astimezone(status.DEFAULT_TZ).date() if moment else None


def tasks_as_of(facts: PlanFacts, as_of: dt.date) -> list[status.TaskFacts]:
    """The plan's tasks as they stood at the end of `as_of`, for every view of that day: tasks
    added later are left out, a lead unit given the task later is not yet its lead, and the
    extensions approved by then are applied."""
    known = facts.memo.get(("tasks", as_of))
    if known is not None:
        return list(known)
    cutoff = status.end_of_day(as_of)
    result = []
    for task in facts.tasks:
        if task.created_on and task.created_on > as_of:
            continue
        if task.lead_since and task.lead_since > as_of:
            task = replace(task, lead_unit_id=None, lead_since=None)
        granted = [deadline for approved_at, deadline in facts.extensions.get(task.task_id, [])
                   if approved_at < cutoff]
        result.append(replace(task, extended_deadline=granted[-1]) if granted else task)
    _remember(facts, ("tasks", as_of), result)
    return list(result)


def extended_deadlines_as_of(facts: PlanFacts, as_of: dt.date) -> dict[int, str]:
    """Task id → the deadline (ISO) an extension approved by `as_of` set, for every view."""
    return {task.task_id: task.extended_deadline.isoformat() for task in tasks_as_of(facts, as_of)
            if task.extended_deadline is not None}


def statuses_as_of(facts: PlanFacts, as_of: dt.date) -> dict[int, status.TaskStatus]:
    # Statuses computed before for this date are kept unless the task's updates changed.
    known = facts.memo.get(("statuses", as_of), {})
    result = {
        task.task_id: known.get(task.task_id) or status.task_status(
            task, facts.updates_by_task.get(task.task_id, []), as_of, facts.tolerance_percent,
            facts.due_day)
        for task in tasks_as_of(facts, as_of)
    }
    _remember(facts, ("statuses", as_of), result)
    return dict(result)


@dataclass(frozen=True)
class PlanSnapshot:
    """What every view of a plan on one day derives from its facts: each task's status, the
    count per status, the deadline warnings and the extended deadlines. Worked out once per
    data version and day (a PlanFacts is replaced whenever the plan or its history changes,
    also by another instance's write, as `load_plan_facts` re-checks both on each read) and
    shared by the requests that follow: read only."""

    statuses: dict[int, status.TaskStatus]
    codes: dict[int, str]
    summary: dict[str, int]
    warnings: dict[int, str | None]
    extended: dict[int, str]


def plan_snapshot(facts: PlanFacts, as_of: dt.date) -> PlanSnapshot:
    key = ("snapshot", as_of)
    known = facts.memo.get(key)
    if known is not None:
        return known
    before = facts.memo.pop(("snapshot before", as_of), None)
    if before is None:
        statuses = statuses_as_of(facts, as_of)
        summary = dict.fromkeys(STATUS_LABELS, 0)
        for item in statuses.values():
            summary[item.code] += 1
        return _remember(facts, key, PlanSnapshot(
            statuses=statuses, codes={task_id: s.code for task_id, s in statuses.items()},
            summary=summary, warnings=warnings_as_of(facts, statuses, as_of),
            extended=extended_deadlines_as_of(facts, as_of)))
    # Progress of a few tasks changed since `earlier` (the structure did not: that makes new
    # facts with an empty memo, so the tasks as of the day are the same ones, in the same
    # order). A task's status depends on its own updates, its warning on its deadline and on
    # whether it is done, so only the changed tasks' entries can differ; they are replaced in
    # copies of the earlier dicts (same keys, same order). Extended deadlines come from the
    # structure alone.
    earlier, changed = before
    statuses, codes = dict(earlier.statuses), dict(earlier.codes)
    warnings, summary = dict(earlier.warnings), dict(earlier.summary)
    kept = facts.memo.get(("statuses", as_of), {})
    for task in tasks_as_of(facts, as_of):
        task_id = task.task_id
        if task_id not in changed:
            continue
        state = kept.get(task_id) or status.task_status(
            task, facts.updates_by_task.get(task_id, []), as_of, facts.tolerance_percent,
            facts.due_day)
        summary[codes[task_id]] -= 1
        summary[state.code] += 1
        statuses[task_id], codes[task_id] = state, state.code
        warnings[task_id] = _warning(task, statuses, as_of)
    _remember(facts, ("statuses", as_of), dict(statuses))
    return _remember(facts, key, PlanSnapshot(statuses=statuses, codes=codes, summary=summary,
                                              warnings=warnings, extended=earlier.extended))


def unit_timeliness(facts: PlanFacts, unit_id: int, as_of: dt.date,
                    first_period: str | None) -> status.Timeliness:
    """status.unit_timeliness for one unit, given only the tasks it leads and their updates
    (the same result, without scanning the whole plan for every unit)."""
    key = ("timeliness", as_of, first_period, unit_id)
    known = facts.memo.get(key)
    if known is not None:
        return known
    led = facts.memo.get(("led", as_of))
    if led is None:
        led = {}
        for task in tasks_as_of(facts, as_of):
            led.setdefault(task.lead_unit_id, []).append(task)
        _remember(facts, ("led", as_of), led)
    # Task by task (each task's items depend only on its own updates), so that after a
    # submission only that task's part is worked out again.
    parts_key = ("timeliness parts", as_of, first_period, unit_id)
    parts = facts.memo.get(parts_key)
    if parts is None:
        parts = _remember(facts, parts_key, {})
    pieces = []
    for task in led.get(unit_id, []):
        piece = parts.get(task.task_id)
        if piece is None:
            piece = parts[task.task_id] = status.unit_timeliness(
                unit_id, [task], facts.updates_by_task.get(task.task_id, ()), as_of,
                facts.due_day, first_period)
        pieces.append(piece)
    on_time = sum(piece.on_time for piece in pieces)
    due = sum(piece.due for piece in pieces)
    return _remember(facts, key, status.Timeliness(
        due=due, on_time=on_time, late=sum(piece.late for piece in pieces),
        missing=sum(piece.missing for piece in pieces), ratio=on_time / due if due else None,
        missing_items=tuple(item for piece in pieces for item in piece.missing_items),
        late_items=tuple(item for piece in pieces for item in piece.late_items)))


def warnings_as_of(facts: PlanFacts, statuses: dict[int, status.TaskStatus],
                   as_of: dt.date) -> dict[int, str | None]:
    """blue / yellow / red per task as its deadline nears and passes."""
    return {task.task_id: _warning(task, statuses, as_of) for task in tasks_as_of(facts, as_of)}


def _warning(task: status.TaskFacts, statuses: dict[int, status.TaskStatus],
             as_of: dt.date) -> str | None:
    return status.deadline_warning(status.effective_deadline(task), as_of,
                                   statuses[task.task_id].code == "done")


def default_as_of(year: int | None, due_day: int, today: dt.date | None = None) -> dt.date:
    """Today, but a finished year's plan is shown as it stood when its last reports were due."""
    today = today or local_today()
    if year is None:
        return today
    return min(today, dt.date(year + 1, 1, due_day))


async def approved_extensions(plan_id: int) -> dict[int, list[tuple[dt.datetime, dt.date]]]:
    """Per task, the approved extensions as (approved at, new deadline), oldest first."""
    result: dict[int, list[tuple[dt.datetime, dt.date]]] = {}
    for row in await ExtensionRequest.select(
        ExtensionRequest.task, ExtensionRequest.decided_at, ExtensionRequest.requested_deadline,
    ).where(ExtensionRequest.task.plan == plan_id, ExtensionRequest.decision == "approved").order_by(
            ExtensionRequest.decided_at):
        result.setdefault(row["task"], []).append((row["decided_at"], row["requested_deadline"]))
    return result


async def approved_deadlines(task_ids: list[int]) -> dict[int, dt.date]:
    """The deadline in force now for tasks with an approved extension (the latest one)."""
    result: dict[int, dt.date] = {}
    for row in await ExtensionRequest.select(
        ExtensionRequest.task, ExtensionRequest.requested_deadline,
    ).where(ExtensionRequest.task.is_in(task_ids or [0]), ExtensionRequest.decision == "approved"
            ).order_by(ExtensionRequest.decided_at):
        result[row["task"]] = row["requested_deadline"]
    return result
