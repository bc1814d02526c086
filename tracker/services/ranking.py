"""The unit ranking (通报): average percent of led tasks, then timeliness; shared by the chasing
page and the monthly report."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from tracker.domain import status
from tracker.domain.ranking import UnitRow
from tracker.schemas import PlanDetail, TaskOut
from tracker.services.tracking import PlanFacts, tasks_as_of

RANKING_RULE = (
    "排名规则：先按牵头任务的平均完成进度从高到低排列；进度相同的，按报送及时率"
    "（按时报送次数 ÷ 应报送次数）从高到低排列；两项都相同的并列同一名次，下一名次顺延。"
    "没有牵头任务的单位不参加排名。"
)


@dataclass(frozen=True)
class FlatTask:
    node: TaskOut
    section: str
    item: str | None


def flatten_plan(plan: PlanDetail) -> list[FlatTask]:
    rows: list[FlatTask] = []

    def walk(tasks: list[TaskOut], section: str, item: str | None):
        for task in tasks:
            rows.append(FlatTask(task, section, item))
            walk(task.subtasks, section, item)

    for section in plan.sections:
        for item in section.items:
            title = f"{item.number or ''}{item.title or ''}" or None
            walk(item.tasks, f"{section.number}、{section.title}", title)
    return rows


def unit_ranking(facts: PlanFacts, statuses: dict[int, status.TaskStatus], as_of: dt.date,
             unit_names: dict[int, str], first_period: str) -> list[UnitRow]:
    by_unit = updates_by_unit(facts)
    rows = []
    tasks = tasks_as_of(facts, as_of)
    for unit_id in sorted({t.lead_unit_id for t in tasks if t.lead_unit_id is not None}):
        led = [t for t in tasks if t.lead_unit_id == unit_id]
        timeliness = status.unit_timeliness(unit_id, led, by_unit.get(unit_id, []), as_of,
                                            facts.due_day, first_period)
        rows.append(UnitRow(
            name=unit_names[unit_id], tasks=len(led),
            percent=round(sum(statuses[t.task_id].percent for t in led) / len(led), 1),
            timeliness=round(timeliness.ratio * 100, 1) if timeliness.ratio is not None else None,
            due=timeliness.due, on_time=timeliness.on_time, late=timeliness.late,
            missing=timeliness.missing, rank=None))
    rows.sort(key=lambda r: (-r.percent, -(r.timeliness if r.timeliness is not None else -1), r.name))
    ranked, previous_key, rank = [], None, 0
    for position, row in enumerate(rows, start=1):
        key = (row.percent, row.timeliness)
        if key != previous_key:
            rank, previous_key = position, key
        ranked.append(UnitRow(**{**row.__dict__, "rank": rank}))
    return ranked


def updates_by_unit(facts: PlanFacts) -> dict[int, list[status.UpdateFacts]]:
    """A unit's timeliness needs only its own updates: grouped once, not scanned per unit."""
    by_unit: dict[int, list[status.UpdateFacts]] = defaultdict(list)
    for updates in facts.updates_by_task.values():
        for update in updates:
            by_unit[update.unit_id].append(update)
    return by_unit


