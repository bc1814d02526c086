"""Report data as of a date, from the database. Every figure comes from the update history as
it stood on `as_of`, so the September report regenerated in December shows September's numbers."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from tracker.domain import status
from tracker.domain.errors import InvalidInput, NotFound
from tracker.domain.periods import (
    check_period_in_year,
    due_date,
    parse_period,
    period_of,
    periods_between,
    previous_period,
)
from tracker.domain.plan_model import PARENT
from tracker.reporting.figures import CHART_NAMES, report_chart
from tracker.reporting.model import ChangeRow, NarrativeRow, ReportData, TaskRow
from tracker.schemas import TaskOut
from tracker.services.plans import get_plan
from tracker.services.ranking import (
    RANKING_RULE,
    FlatTask,
    flatten_plan,
    unit_ranking,
    updates_by_unit,
)
from tracker.services.tracking import (
    default_as_of,
    load_plan_facts,
    plan_start,
    statuses_as_of,
)
from tracker.tables import Milestone, ProgressUpdate, Review, Unit


@dataclass(frozen=True)
class ReportRequest:
    plan_id: int
    period: str
    as_of: dt.date
    edition: str = "monthly"  # monthly | unit | year_end
    unit_id: int | None = None


async def resolve_request(plan_id: int, period: str | None, as_of: dt.date | None = None,
                          edition: str = "monthly", unit_name: str | None = None) -> ReportRequest:
    """Check the parameters; as_of defaults to the period's due date (when reports are in).
    A year-end report covers the plan's year up to its December reports."""
    plan = await get_plan(plan_id)
    if plan.kind == PARENT:
        raise InvalidInput(f"计划 {plan_id} 是上级计划，仅供对照，不生成报告", "plan_id")
    if edition == "year_end" and plan.year is not None:
        period = f"{plan.year}-12"
    if not period:
        raise InvalidInput("请指定报送周期（如 2018-09）", "period")
    try:
        period = parse_period(period)
        if plan.year is not None:
            check_period_in_year(period, plan.year)
    except ValueError as error:
        raise InvalidInput(str(error), "period") from None
    if edition not in ("monthly", "unit", "year_end"):
        raise InvalidInput(f"未知报告类型“{edition}”（可用：monthly、unit、year_end）", "edition")
    unit_id = None
    if unit_name:
        row = await Unit.select(Unit.id).where(Unit.name == unit_name).first()
        if row is None:
            raise NotFound(f"单位“{unit_name}”不存在", "unit")
        unit_id = row["id"]
        edition = "unit" if edition == "monthly" else edition
    elif edition == "unit":
        raise InvalidInput("单位版报告须指定单位", "unit")
    as_of = as_of or due_date(period, plan.reporting.due_day)
    if as_of < dt.date.fromisoformat(f"{period}-01"):
        raise InvalidInput(f"统计截至日期 {as_of} 早于报送周期 {period}", "as_of")
    return ReportRequest(plan_id=plan_id, period=period, as_of=as_of, edition=edition,
                         unit_id=unit_id)


async def build_report_data(request: ReportRequest, generated_at: dt.datetime | None = None
                            ) -> ReportData:
    plan = await get_plan(request.plan_id)
    facts = await load_plan_facts(request.plan_id)
    as_of, period = request.as_of, request.period
    statuses = statuses_as_of(facts, as_of)
    flat = flatten_plan(plan)
    unit_names = {row["id"]: row["name"] for row in await Unit.select(Unit.id, Unit.name)}
    unit_name = unit_names.get(request.unit_id) if request.unit_id else None
    if unit_name:
        flat = [f for f in flat if unit_name in f.node.lead_units or unit_name in f.node.cooperating_units]
    task_ids = {f.node.id for f in flat}
    selected = {task_id: statuses[task_id] for task_id in task_ids}

    def task_row(flat_task: FlatTask) -> TaskRow:
        node, state = flat_task.node, selected[flat_task.node.id]
        return TaskRow(section=flat_task.section, item=flat_task.item, number=node.number,
                       text=node.text, lead_units=node.lead_units,
                       cooperating_units=node.cooperating_units, deadline=node.deadline,
                       deadline_text=node.deadline_text, percent=state.percent, status=state.code,
                       expected=round(state.expected, 1) if state.expected is not None else None,
                       last_period=state.last_period)

    tasks = [task_row(f) for f in flat]
    totals = status.plan_summary(selected.values())
    totals["total"] = len(selected)

    first_period = period_of(plan_start(dt.date.fromisoformat(plan.issued_on) if plan.issued_on else None,
                                        plan.year))
    by_unit = updates_by_unit(facts)
    lead_units = sorted({t.lead_unit_id for t in facts.tasks
                         if t.lead_unit_id is not None and t.task_id in task_ids})
    not_reported = []
    owed = [t for t in facts.tasks if t.task_id in task_ids]
    for unit_id in lead_units:
        timeliness = status.unit_timeliness(unit_id, owed, by_unit.get(unit_id, []), as_of,
                                            facts.due_day, first_period)
        if any(p == period for _, p in timeliness.missing_items):
            not_reported.append(unit_names[unit_id])

    sections: dict[str, list[int]] = defaultdict(list)
    for f in flat:
        sections[f.section].append(selected[f.node.id].percent)
    section_rows = [(title, round(sum(values) / len(values), 1)) for title, values in sections.items()]

    trend = []
    for point in periods_between(first_period, period):
        point_as_of = min(due_date(point, facts.due_day), as_of)
        point_statuses = statuses_as_of(facts, point_as_of)
        chosen = [point_statuses[task_id] for task_id in task_ids]
        trend.append((point, round(status.plan_percent(chosen), 1),
                      sum(1 for s in chosen if s.code == "done")))

    milestone_rows = []
    for row in await Milestone.select().where(Milestone.plan == request.plan_id).order_by(Milestone.due_on):
        if row["task"] is not None and row["task"] not in task_ids:
            continue
        facts_milestone = status.MilestoneFacts(row["id"], row["task"], row["due_on"])
        milestone_rows.append((row["title"], row["due_on"], status.milestone_state(
            facts_milestone, statuses.get(row["task"]) if row["task"] else None, as_of)))

    previous_as_of = due_date(previous_period(period), facts.due_day)
    before = statuses_as_of(facts, previous_as_of) if previous_as_of < as_of else {}
    changes = []
    for f in flat:
        now, then = selected[f.node.id], before.get(f.node.id)
        if then is None or (now.percent, now.code) != (then.percent, then.code):
            if then is None and now.last_update_id is None:
                continue
            changes.append(ChangeRow(
                task=_short(f.node), unit="、".join(f.node.lead_units) or "未分配",
                from_percent=then.percent if then else None, to_percent=now.percent,
                from_status=then.code if then else None, to_status=now.code))

    late = [row for row in tasks if row.status in ("overdue", "behind")]
    late.sort(key=lambda row: (row.status != "overdue", row.deadline or "9999"))

    return ReportData(
        plan_title=plan.title, doc_number=plan.doc_number, issuer=plan.issuer, period=period,
        as_of=as_of, generated_at=generated_at or dt.datetime.combine(as_of, dt.time()),
        edition=request.edition, unit_name=unit_name, totals=totals,
        plan_percent=round(status.plan_percent(selected.values()), 1),
        not_reported=not_reported, sections=section_rows,
        units=unit_ranking(facts, statuses, as_of, unit_names, first_period)
        if request.edition != "unit" else [],
        ranking_rule=RANKING_RULE, trend=trend, milestones=milestone_rows, tasks=tasks,
        changes=changes, late=late,
        narratives=await _narratives(task_ids, period, as_of, flat),
    )


def _short(task: TaskOut, limit: int = 40) -> str:
    prefix = f"{task.number}. " if task.number else ""
    text = task.text if len(task.text) <= limit else task.text[:limit] + "…"
    return prefix + text


async def _narratives(task_ids: set[int], period: str, as_of: dt.date,
                      flat: list[FlatTask]) -> list[NarrativeRow]:
    """The units' own words for the period: each unit's latest version submitted by as_of that
    was not returned by then."""
    cutoff = status.end_of_day(as_of)
    rows = await ProgressUpdate.select(
        ProgressUpdate.id, ProgressUpdate.task, ProgressUpdate.unit.name, ProgressUpdate.version,
        ProgressUpdate.work_done, ProgressUpdate.problems, ProgressUpdate.next_steps,
        ProgressUpdate.submitted_at,
    ).where(ProgressUpdate.period == period, ProgressUpdate.task.is_in(list(task_ids) or [0]),
            ProgressUpdate.submitted_at < cutoff).order_by(ProgressUpdate.version)
    returned = await _returned_by(as_of, [row["id"] for row in rows])
    latest = {}
    for row in rows:
        if row["id"] not in returned:
            latest[(row["task"], row["unit.name"])] = row
    order = {f.node.id: index for index, f in enumerate(flat)}
    nodes = {f.node.id: f.node for f in flat}
    return [
        NarrativeRow(unit=unit, task=_short(nodes[task_id]), period=period,
                     work_done=row["work_done"], problems=row["problems"],
                     next_steps=row["next_steps"])
        for (task_id, unit), row in sorted(latest.items(), key=lambda kv: (order[kv[0][0]], kv[0][1]))
    ]


async def _returned_by(as_of: dt.date, update_ids: list[int]) -> set[int]:
    cutoff = status.end_of_day(as_of)
    decisions: dict[int, str] = {}
    for row in await Review.select(Review.update, Review.decision).where(
            Review.update.is_in(update_ids or [0]), Review.decided_at < cutoff).order_by(
            Review.decided_at).order_by(Review.id):
        decisions[row["update"]] = row["decision"]
    return {update_id for update_id, decision in decisions.items() if decision == "returned"}


CHART_MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png"}


async def plan_chart(plan_id: int, chart: str, as_of: dt.date | None) -> tuple[bytes, str]:
    """One chart of a plan as of a date, e.g. chart="status.svg". Returns (bytes, media type)."""
    name, _, fmt = chart.partition(".")
    if name not in CHART_NAMES or fmt not in CHART_MEDIA_TYPES:
        raise NotFound(f"图表“{chart[:40]}”不存在（可用：{'、'.join(CHART_NAMES)}，.svg 或 .png）",
                       "chart")
    plan = await get_plan(plan_id)
    as_of = as_of or default_as_of(plan.year, plan.reporting.due_day)
    period = period_of(as_of)
    if plan.year is not None:
        period = min(max(period, f"{plan.year}-01"), f"{plan.year}-12")
    data = await build_report_data(ReportRequest(plan_id=plan_id, period=period, as_of=as_of))
    return report_chart(data, name, fmt), CHART_MEDIA_TYPES[fmt]
