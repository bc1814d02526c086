"""The ledger (台账) of a plan as of a date: every task with its owners, deadline, percent and
status, as .xlsx or .csv (tracker/ledger.py formats; the status rules decide)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tracker.domain.ledger import LedgerRow, ledger_csv, ledger_xlsx
from tracker.domain.messages import LABELS
from tracker.domain.plan_model import ONGOING
from tracker.domain.status import TaskStatus
from tracker.domain.vocabulary import STATUS_LABELS
from tracker.schemas import PlanDetail, TaskOut
from tracker.services import tracking
from tracker.services.plans import get_plan

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
FORMATS = {"xlsx": XLSX_TYPE, "csv": CSV_TYPE}


@dataclass(frozen=True)
class LedgerFile:
    content: bytes
    filename: str  # ASCII, safe in a Content-Disposition header
    media_type: str
    as_of: dt.date


def _deadline(task: TaskOut) -> dt.date | str | None:
    if task.deadline == ONGOING:
        return LABELS.ongoing
    return dt.date.fromisoformat(task.deadline) if task.deadline else None


def ledger_rows(plan: PlanDetail, statuses: dict[int, TaskStatus]) -> list[LedgerRow]:
    """The plan's tasks in document order, sub-tasks after their task ("1.2")."""
    rows: list[LedgerRow] = []

    def add(task: TaskOut, chain: list[str | None], section: str, item: str) -> None:
        chain = [*chain, task.number]
        state = statuses[task.id]
        rows.append(LedgerRow(
            section=section, item=item,
            number=".".join(chain) if all(chain) else (task.number or ""),
            task=task.text, lead_units="、".join(task.lead_units),
            cooperating_units="、".join(task.cooperating_units),
            deadline_text=task.deadline_text or "", deadline=_deadline(task),
            percent=state.percent, status_code=state.code, status=STATUS_LABELS[state.code],
            last_period=state.last_period or ""))
        for sub in task.subtasks:
            add(sub, chain, section, item)

    for section in plan.sections:
        section_label = f"{section.number}、{section.title}"
        for item in section.items:
            item_label = f"{item.number or ''}{item.title or ''}"
            for task in item.tasks:
                add(task, [], section_label, item_label)
    return rows


async def export_ledger(plan_id: int, fmt: str, as_of: dt.date | None = None,
                        with_title: bool = False) -> LedgerFile:
    """The ledger file; `as_of` defaults to the date the plan page shows."""
    plan = await get_plan(plan_id)
    facts = await tracking.load_plan_facts(plan_id)
    day = as_of or tracking.default_as_of(plan.year, plan.reporting.due_day)
    rows = ledger_rows(plan, tracking.statuses_as_of(facts, day))
    if fmt == "xlsx":
        title = f"{plan.title}台账（截至 {day.isoformat()}）" if with_title else None
        content = ledger_xlsx(rows, title=title)
    elif fmt == "csv":
        content = ledger_csv(rows)
    else:
        raise ValueError(f"unknown ledger format {fmt!r}")
    return LedgerFile(content=content, filename=f"ledger-{plan_id}-{day.isoformat()}.{fmt}",
                      media_type=FORMATS[fmt], as_of=day)
