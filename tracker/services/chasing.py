"""Chasing (催报) and ranking (通报) for a period: who has not reported, what is behind or
overdue, which milestones were missed, and the units ranked by the rule written on the page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import msgspec

from tracker.domain import status
from tracker.domain.errors import InvalidInput
from tracker.domain.periods import check_period_in_year, due_date, parse_period, period_of
from tracker.domain.status import current_period
from tracker.domain.status import today as local_today
from tracker.schemas import (
    ChaseMilestone,
    ChaseTask,
    ChaseUnit,
    ChasingOut,
    PlanDetail,
    RankingOut,
    RankingRow,
)
from tracker.services.accounts import unit_order
from tracker.services.plans import plan_shape, plan_tree
from tracker.services.ranking import RANKING_RULE, flatten_plan, unit_ranking
from tracker.services.tracking import (
    PlanFacts,
    load_plan_facts,
    plan_snapshot,
    plan_start,
    statuses_as_of,
    tasks_as_of,
    unit_timeliness,
)
from tracker.tables import Milestone, Unit


async def _period_and_as_of(plan, period: str | None, as_of: dt.date | None) -> tuple[str, dt.date]:
    try:
        if period:
            period = parse_period(period)
            if plan.year is not None:
                check_period_in_year(period, plan.year)
    except ValueError as error:
        raise InvalidInput(str(error), "period") from None
    if period is None:
        period = current_period(plan.year, as_of)
    return period, as_of or local_today()


def _first_period(plan) -> str:
    issued = dt.date.fromisoformat(plan.issued_on) if plan.issued_on else None
    return period_of(plan_start(issued, plan.year))


# The lists last worked out per (plan, period, day), with what they were worked out from: the
# plan's tree and facts (cached objects, replaced whenever the plan's structure or any progress
# history changes, also by another instance's write) and the units' names and order (compared
# by value). A page read while all of those are the same objects and values reuses the lists.
#
# After new progress the facts are new but the tree is the same object, and the lists are
# worked out again from their parts: a unit's entry is reused while its reporting record (the
# cached `unit_timeliness`, the same object until one of the tasks it leads has new progress
# or a review) and its name are the same, a task's row while its status (the same object
# until its progress changes), warning and extended deadline are. At city scale that is the
# few units and tasks a submission touched instead of 60 units' records and ~550 rows.
_worked_out: dict[tuple, _Worked] = {}
WORKED_OUT_KEPT = 64


@dataclass
class _Worked:
    plan: PlanDetail  # the cached tree the labels come from (its nodes, its milestones)
    facts: PlanFacts
    names: dict[int, str]
    order: dict[int, tuple]
    result: ChasingOut
    # unit id -> (its reporting record, its name, its entry or None when it owes nothing)
    units: dict[int, tuple[status.Timeliness, str, ChaseUnit | None]] = field(default_factory=dict)
    # task id -> (its status, warning, extended deadline, its row)
    rows: dict[int, tuple[status.TaskStatus, str | None, str | None, ChaseTask]] = field(
        default_factory=dict)


async def chasing(plan_id: int, period: str | None = None, as_of: dt.date | None = None,
                  shape: tuple | None = None) -> ChasingOut:
    """The period's 催报 lists as of a day (shared with the next reads: read only).
    `shape`: plans.plan_shape(plan_id), if the caller has just read it."""
    shape = shape or await plan_shape(plan_id)
    plan = await plan_tree(plan_id, shape)  # read only
    period, as_of = await _period_and_as_of(plan, period, as_of)
    facts = await load_plan_facts(plan_id, shape)
    names = {row["id"]: row["name"] for row in await Unit.select(Unit.id, Unit.name)}
    order = await unit_order()
    key = (plan_id, period, as_of)
    known = _worked_out.get(key)
    if known is not None and known.plan is plan and known.facts is facts \
            and known.names == names and known.order == order:
        return known.result
    # Parts worked out from the same tree are reused where their inputs are unchanged.
    earlier = known if known is not None and known.plan is plan else None
    worked = await _chasing(plan_id, plan, facts, period, as_of, names, order, earlier)
    if len(_worked_out) >= WORKED_OUT_KEPT:
        _worked_out.clear()
    _worked_out[key] = worked
    return worked.result


async def _chasing(plan_id: int, plan: PlanDetail, facts: PlanFacts, period: str, as_of: dt.date,
                   names: dict, order: dict, earlier: _Worked | None = None) -> _Worked:
    """The lists; with `earlier` (worked out from the same tree for the same period and day),
    each unit's entry and each task's row whose inputs are the same objects and values is
    taken from it instead of being built again."""
    snapshot = plan_snapshot(facts, as_of)  # shared, read only
    statuses, warnings, extended = snapshot.statuses, snapshot.warnings, snapshot.extended
    nodes = _nodes(plan)
    first = _first_period(plan)
    worked = _Worked(plan, facts, names, order, result=None)  # type: ignore[arg-type]
    known_units = earlier.units if earlier is not None else {}
    known_rows = earlier.rows if earlier is not None else {}

    not_reported = []
    tasks = tasks_as_of(facts, as_of)
    for unit_id in sorted({t.lead_unit_id for t in tasks if t.lead_unit_id}, key=order.get):
        timeliness = unit_timeliness(facts, unit_id, as_of, first)
        name = names[unit_id]
        known = known_units.get(unit_id)
        if known is not None and known[0] is timeliness and known[1] == name:
            entry = known[2]
        else:
            entry = _unit_entry(unit_id, name, timeliness, period, nodes)
        worked.units[unit_id] = (timeliness, name, entry)
        if entry is not None:
            not_reported.append(entry)

    overdue, behind, due_soon = [], [], []
    for task in tasks:
        task_id = task.task_id
        state, warning = statuses[task_id], warnings[task_id]
        code = state.code
        if code not in ("overdue", "behind") and (warning not in ("blue", "yellow")
                                                  or code == "done"):
            continue
        ext = extended.get(task_id)
        known = known_rows.get(task_id)
        if known is not None and known[0] is state and known[1] == warning and known[2] == ext:
            row = known[3]
        else:
            node = nodes[task_id]
            row = ChaseTask(task_id=task_id, text=_label(node), lead_units=list(node.lead_units),
                            status=code, percent=state.percent, expected=state.expected,
                            deadline=node.deadline, warning=warning, extended_deadline=ext)
        worked.rows[task_id] = (state, warning, ext, row)
        if code == "overdue":
            overdue.append(row)
        elif code == "behind":
            behind.append(row)
        if warning in ("blue", "yellow") and code != "done":
            due_soon.append(row)

    milestones = []
    for m in await _milestones(plan_id, plan):
        state = status.milestone_state(status.MilestoneFacts(m["id"], m["task"], m["due_on"]),
                                       statuses.get(m["task"]) if m["task"] else None, as_of)
        if state == "missed":
            milestones.append(ChaseMilestone(title=m["title"], due_on=m["due_on"].isoformat(),
                                             state=state, task_id=m["task"]))
    worked.result = ChasingOut(
        plan_id=plan_id, period=period, due_on=due_date(period, facts.due_day).isoformat(),
        as_of=as_of.isoformat(), not_reported=not_reported, overdue=overdue, behind=behind,
        due_soon=due_soon, missed_milestones=milestones,
    )
    return worked


def _unit_entry(unit_id: int, name: str, timeliness: status.Timeliness, period: str,
                nodes: dict) -> ChaseUnit | None:
    """A unit's line in 未报送: the tasks it has not reported on for the period, or None."""
    missing = [task_id for task_id, p in timeliness.missing_items if p == period]
    if not missing:
        return None
    late = sum(1 for _, p in timeliness.late_items if p == period)
    return ChaseUnit(unit=name, late=late, missing_tasks=[_label(nodes[t]) for t in missing],
                     unit_id=unit_id, missing_task_ids=missing)


_last_milestones: tuple = (None, [])


async def _milestones(plan_id: int, plan: PlanDetail) -> list[dict]:
    """The plan's milestones, earliest first; read once per cached tree (milestones are part
    of the plan's structure: any change to them gives a new tree)."""
    global _last_milestones
    if _last_milestones[0] is not plan:
        rows = await Milestone.select(Milestone.id, Milestone.task, Milestone.title,
                                      Milestone.due_on).where(
            Milestone.plan == plan_id).order_by(Milestone.due_on).order_by(Milestone.id)
        _last_milestones = (plan, rows)
    return _last_milestones[1]


CHASE_PAGE_SIZE = 50
CHASE_LISTS = ("not_reported", "overdue", "behind", "due_soon", "missed_milestones")


def chasing_window(result: ChasingOut, offset: int, limit: int) -> ChasingOut:
    """The same rows of every list (a city's 催报 has hundreds of late tasks), with each
    list's full length in `totals`."""
    totals = {name: len(getattr(result, name)) for name in CHASE_LISTS}
    return msgspec.structs.replace(result, totals=totals, **{
        name: getattr(result, name)[offset:offset + limit] for name in CHASE_LISTS})


_last_nodes: tuple = (None, {})


def _nodes(plan) -> dict:
    """Task id -> node; worked out once per cached tree (plan_tree returns the same object
    while the plan's structure is unchanged)."""
    global _last_nodes
    if _last_nodes[0] is not plan:
        _last_nodes = (plan, {flat.node.id: flat.node for flat in flatten_plan(plan)})
    return _last_nodes[1]


def _label(node) -> str:
    text = node.text if len(node.text) <= 50 else node.text[:50] + "…"
    return f"{node.number}. {text}" if node.number else text


async def ranking(plan_id: int, period: str | None = None, as_of: dt.date | None = None) -> RankingOut:
    """Units ranked by completion, then timeliness, as of the period's due date by default."""
    plan = await plan_tree(plan_id)  # read only
    period, _ = await _period_and_as_of(plan, period, as_of)
    facts = await load_plan_facts(plan_id)
    as_of = as_of or due_date(period, facts.due_day)
    names = {row["id"]: row["name"] for row in await Unit.select(Unit.id, Unit.name)}
    rows = unit_ranking(facts, statuses_as_of(facts, as_of), as_of, names, _first_period(plan))
    return RankingOut(plan_id=plan_id, period=period, as_of=as_of.isoformat(), rule=RANKING_RULE,
                      rows=[RankingRow(rank=r.rank, unit=r.name, tasks=r.tasks, percent=r.percent,
                                       timeliness=r.timeliness, due=r.due, on_time=r.on_time,
                                       late=r.late, missing=r.missing) for r in rows])
