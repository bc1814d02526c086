"""The 催报 list and the 通报 ranking as .xlsx, for offices that pass them on in Excel. The same
figures as the pages (chasing.chasing, chasing.ranking); cells neutralised against formulas by
the ledger's workbook writer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tracker.domain.ledger import STATUS_FILLS, table_xlsx
from tracker.domain.messages import LABELS
from tracker.domain.vocabulary import STATUS_LABELS, WARNING_LABELS
from tracker.services import chasing
from tracker.services.ledger_export import XLSX_TYPE
from tracker.services.plans import get_plan

RANKING_COLUMNS = [("名次", 6), ("单位", 20), ("牵头任务", 9), ("平均完成进度(%)", 12),
                   ("报送及时率(%)", 12), ("应报", 7), ("按时", 7), ("迟报", 7), ("未报", 7)]
CHASE_COLUMNS = [("类别", 12), ("单位", 18), ("工作任务", 60), ("完成时限", 14), ("进度(%)", 8),
                 ("状态", 10), ("提示", 10)]


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    filename: str  # ASCII, safe in a Content-Disposition header
    media_type: str


async def ranking_xlsx(plan_id: int, period: str | None = None) -> ExportFile:
    plan = await get_plan(plan_id)
    ranking = await chasing.ranking(plan_id, period)
    rows = [[r.rank, r.unit, r.tasks, r.percent, r.timeliness, r.due, r.on_time, r.late, r.missing]
            for r in ranking.rows]
    rows.append(["", ranking.rule, None, None, None, None, None, None, None])
    title = f"{plan.title} · 单位通报排名 {ranking.period}（统计截至 {ranking.as_of}）"
    return ExportFile(table_xlsx("通报排名", RANKING_COLUMNS, rows, title),
                      f"ranking-{plan_id}-{ranking.period}.xlsx", XLSX_TYPE)


def _deadline(value: str | None) -> str:
    return LABELS.ongoing if value == "ongoing" else (value or "")


async def chasing_xlsx(plan_id: int, period: str | None = None,
                       as_of: dt.date | None = None) -> ExportFile:
    """Units not reported (one row per missing task), then overdue, behind and due-soon tasks."""
    plan = await get_plan(plan_id)
    chase = await chasing.chasing(plan_id, period, as_of)
    rows, fills = [], []
    for unit in chase.not_reported:
        for task in unit.missing_tasks:
            rows.append(["未报送", unit.unit, task, "", None, LABELS.not_reported, ""])
            fills.append(None)
    for label, tasks in (("超期任务", chase.overdue), ("滞后任务", chase.behind),
                         ("临近时限", chase.due_soon)):
        for task in tasks:
            rows.append([label, "、".join(task.lead_units) or LABELS.unassigned_label, task.text,
                         _deadline(task.deadline), task.percent, STATUS_LABELS[task.status],
                         WARNING_LABELS.get(task.warning or "", "")])
            fills.append((6, STATUS_FILLS[task.status]) if task.status in STATUS_FILLS else None)
    title = (f"{plan.title} · 催报督办 {chase.period}（应于 {chase.due_on} 前报送，"
             f"统计截至 {chase.as_of}）")
    return ExportFile(table_xlsx("催报督办", CHASE_COLUMNS, rows, title, fills),
                      f"chasing-{plan_id}-{chase.period}.xlsx", XLSX_TYPE)
