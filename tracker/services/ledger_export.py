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
from tracker.tables import ProgressUpdate

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv"  # Litestar adds "; charset=utf-8" to text types itself
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


def ledger_rows(plan: PlanDetail, statuses: dict[int, TaskStatus],
                extended: dict[int, str] | None = None,
                words: dict[int, tuple[str, str, str]] | None = None) -> list[LedgerRow]:
    """The plan's tasks in document order, sub-tasks after their task ("1.2"). `extended`: task
    id -> extended deadline; `words`: update id -> (work done, problems, next steps) of the
    latest counting updates."""
    words = words or {}
    rows: list[LedgerRow] = []

    def add(task: TaskOut, chain: list[str | None], section: str, item: str) -> None:
        chain = [*chain, task.number]
        state = statuses[task.id]
        work_done, problems, next_steps = words.get(state.last_update_id, ("", "", ""))
        rows.append(LedgerRow(
            section=section, item=item,
            number=".".join(chain) if all(chain) else (task.number or ""),
            task=task.text, lead_units="、".join(task.lead_units),
            cooperating_units="、".join(task.cooperating_units),
            deadline_text=task.deadline_text or "", deadline=_deadline(task),
            percent=state.percent, status_code=state.code, status=STATUS_LABELS[state.code],
            last_period=state.last_period or "", work_done=work_done, problems=problems,
            next_steps=next_steps,
            extended_deadline=dt.date.fromisoformat(extended[task.id])
            if extended and task.id in extended else None))
        for sub in task.subtasks:
            add(sub, chain, section, item)

    for section in plan.sections:
        section_label = f"{section.number}、{section.title}"
        for item in section.items:
            item_label = f"{item.number or ''}{item.title or ''}"
            for task in item.tasks:
                add(task, [], section_label, item_label)
    return rows


async def update_words(update_ids: list[int]) -> dict[int, tuple[str, str, str]]:
    """(work done, problems, next steps) of the given updates."""
    words = {}
    for start in range(0, len(update_ids), 500):
        for row in await ProgressUpdate.select(
                ProgressUpdate.id, ProgressUpdate.work_done, ProgressUpdate.problems,
                ProgressUpdate.next_steps).where(ProgressUpdate.id.is_in(update_ids[start:start + 500])):
            words[row["id"]] = (row["work_done"], row["problems"], row["next_steps"])
    return words


async def export_ledger(plan_id: int, fmt: str, as_of: dt.date | None = None,
                        with_title: bool = False) -> LedgerFile:
    """The ledger file; `as_of` defaults to the date the plan page shows."""
    plan = await get_plan(plan_id)
    facts = await tracking.load_plan_facts(plan_id)
    day = as_of or tracking.default_as_of(plan.year, plan.reporting.due_day)
    statuses = tracking.statuses_as_of(facts, day)
    rows = ledger_rows(plan, statuses, tracking.extended_deadlines_as_of(facts, day),
                       await update_words([s.last_update_id for s in statuses.values()
                                           if s.last_update_id is not None]))
    if fmt == "xlsx":
        title = f"{plan.title}台账（截至 {day.isoformat()}）" if with_title else None
        content = ledger_xlsx(rows, title=title)
    elif fmt == "csv":
        content = ledger_csv(rows)
    else:
        raise ValueError(f"unknown ledger format {fmt!r}")
    return LedgerFile(content=content, filename=f"ledger-{plan_id}-{day.isoformat()}.{fmt}",
                      media_type=FORMATS[fmt], as_of=day)
