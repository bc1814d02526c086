"""Report data as of a date, from the database. Every figure comes from the update history as
it stood on `as_of`, so the September report regenerated in December shows September's numbers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tracker.domain import status
from tracker.domain.errors import InvalidInput, NotFound
from tracker.domain.periods import (
    check_period_in_year,
    due_date,
    parse_period,
    period_start,
)
from tracker.domain.plan_model import PARENT
from tracker.reporting.builder import (
    ExtensionFact,
    MilestoneFact,
    ReportFacts,
    UpdateText,
    build_report,
    short_task,
)
from tracker.reporting.model import EDITIONS, NarrativeRow, ReportData
from tracker.services.plans import get_plan
from tracker.services.ranking import FlatTask, flatten_plan
from tracker.services.tracking import load_plan_facts, statuses_as_of
from tracker.tables import ExtensionRequest, Milestone, ProgressUpdate, Review, Task, Unit

__all__ = ["ReportRequest", "build_report_data", "load_report_facts", "resolve_request"]

@dataclass(frozen=True)
class ReportRequest:
    plan_id: int
    period: str
    as_of: dt.date
    edition: str = "monthly"  # one of reporting.model.EDITIONS
    unit_id: int | None = None


async def resolve_request(plan_id: int, period: str | None, as_of: dt.date | None = None,
                          edition: str = "monthly", unit_name: str | None = None,
                          today: dt.date | None = None) -> ReportRequest:
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
    if period_start(period) > (today or status.today()):
        raise InvalidInput(f"报送周期 {period} 尚未开始，不能生成报告", "period")
    if edition not in EDITIONS:
        raise InvalidInput(f"未知报告类型“{edition}”（可用：{'、'.join(EDITIONS)}）", "edition")
    unit_id = None
    if unit_name:
        row = await Unit.select(Unit.id).where(Unit.name == unit_name).first()
        if row is None:
            raise NotFound(f"单位“{unit_name}”不存在", "unit")
        unit_id = row["id"]
        edition = "unit" if edition in ("monthly", "detail") else edition
    elif edition == "unit":
        raise InvalidInput("单位版报告须指定单位", "unit")
    as_of = as_of or due_date(period, plan.reporting.due_day)
    if as_of < dt.date.fromisoformat(f"{period}-01"):
        raise InvalidInput(f"统计截至日期 {as_of} 早于报送周期 {period}", "as_of")
    return ReportRequest(plan_id=plan_id, period=period, as_of=as_of, edition=edition,
                         unit_id=unit_id)


async def load_report_facts(request: ReportRequest, words: bool = True) -> ReportFacts:
    """Everything the report of `request` is computed from (all the queries are here).
    `words=False`: without the units' own words (for the charts alone)."""
    plan = await get_plan(request.plan_id)
    facts = await load_plan_facts(request.plan_id)
    unit_names = {row["id"]: row["name"] for row in await Unit.select(Unit.id, Unit.name)}
    milestones = [
        MilestoneFact(row["id"], row["task"], row["title"], row["due_on"])
        for row in await Milestone.select(Milestone.id, Milestone.task, Milestone.title,
                                          Milestone.due_on).where(
            Milestone.plan == request.plan_id).order_by(Milestone.due_on).order_by(Milestone.id)
    ]
    extensions = [
        ExtensionFact(task_id=row["task"], unit=row["unit.name"],
                      old_deadline=row["task.deadline"], new_deadline=row["requested_deadline"],
                      approved_at=row["decided_at"])
        for row in await ExtensionRequest.select(
            ExtensionRequest.task, ExtensionRequest.unit.name, ExtensionRequest.task.deadline,
            ExtensionRequest.requested_deadline, ExtensionRequest.decided_at,
        ).where(ExtensionRequest.task.plan == request.plan_id,
                ExtensionRequest.decision == "approved").order_by(ExtensionRequest.decided_at)
    ]
    attention = {row["id"]: row["attention_note"] for row in await Task.select(
        Task.id, Task.attention_note).where(Task.plan == request.plan_id,
                                            Task.attention_note.is_not_null())}
    texts: dict[int, UpdateText] = {}
    narratives = []
    if words and request.edition == "monthly":
        latest = [s.last_update_id for s in statuses_as_of(facts, request.as_of).values()
                  if s.last_update_id is not None and s.code in ("overdue", "behind")]
        for chunk in range(0, len(latest), 500):
            for row in await ProgressUpdate.select(
                    ProgressUpdate.id, ProgressUpdate.work_done, ProgressUpdate.problems,
                    ProgressUpdate.next_steps).where(
                    ProgressUpdate.id.is_in(latest[chunk:chunk + 500])):
                texts[row["id"]] = UpdateText(row["work_done"], row["problems"], row["next_steps"])
    elif words:
        flat = flatten_plan(plan)
        unit_name = unit_names.get(request.unit_id) if request.unit_id else None
        if unit_name:
            flat = [f for f in flat
                    if unit_name in f.node.lead_units or unit_name in f.node.cooperating_units]
        narratives = await _narratives({f.node.id for f in flat}, request.period, request.as_of,
                                       flat)
    return ReportFacts(plan=plan, facts=facts, unit_names=unit_names, milestones=milestones,
                       extensions=extensions, attention=attention, update_texts=texts,
                       narratives=narratives)


async def build_report_data(request: ReportRequest, generated_at: dt.datetime | None = None,
                            words: bool = True) -> ReportData:
    """The report's model: the facts loaded here, the figures from the pure builder."""
    loaded = await load_report_facts(request, words)
    unit_name = loaded.unit_names.get(request.unit_id) if request.unit_id else None
    return build_report(loaded, request.period, request.as_of, request.edition, unit_name,
                        generated_at)


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
        NarrativeRow(unit=unit, task=short_task(nodes[task_id], 40), period=period,
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
