"""A plan's lineage as tables: the coverage of a parent plan's clauses (上级要点对照) and the
year-end look back (回头看). Pure: rows in, rows or bytes out."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from tracker.domain.ledger import STATUS_FILLS, neutralise

# Links between tasks (TaskLink.kind) and their states (TaskLink.state).
PARENT_LINK = "parent"
FOLLOWS_LINK = "follows"
LINK_KINDS = (PARENT_LINK, FOLLOWS_LINK)
SUGGESTED = "suggested"
CONFIRMED = "confirmed"
REJECTED = "rejected"
LINK_STATES = (SUGGESTED, CONFIRMED, REJECTED)
MISSING_FILL = "FFC7CE"


@dataclass(frozen=True)
class ImplementingTask:
    task_id: int
    number: str
    text: str
    lead_units: str
    status_code: str
    status: str
    percent: int


@dataclass(frozen=True)
class CoverageRow:
    """One clause of a parent plan with our tasks that implement it; none: 漏项."""

    parent_title: str
    section: str
    item: str
    number: str
    clause: str
    tasks: tuple[ImplementingTask, ...]
    pending: int = 0  # suggested links to this clause not yet confirmed or rejected

    @property
    def missing(self) -> bool:
        return not self.tasks


def shift_year(day: dt.date, years: int = 1) -> dt.date:
    """The same day `years` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


COVERAGE_COLUMNS: list[tuple[str, int]] = [
    ("上级计划", 24), ("部分", 18), ("分项", 20), ("序号", 6), ("上级要点", 60),
    ("落实任务", 60), ("牵头单位", 16), ("进度(%)", 8), ("状态", 10), ("对照结果", 10),
]
_STATUS_COLUMN = 9
_RESULT_COLUMN = 10


def _text(cell, value: str) -> None:
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value:
        cell.value = neutralise(value)
        cell.data_type = "s"


def coverage_xlsx(rows: list[CoverageRow], title: str, missing_label: str,
                  covered_label: str) -> bytes:
    """The coverage table as a workbook: one line per (clause, implementing task); a clause
    with no task is one line marked `missing_label` in red. Text cells are formula-safe."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "上级要点对照"
    thin = Side(style="thin", color="A6A6A6")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    _text(sheet.cell(1, 1), title)
    sheet.cell(1, 1).font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COVERAGE_COLUMNS))
    for column, (name, width) in enumerate(COVERAGE_COLUMNS, start=1):
        cell = sheet.cell(2, column)
        _text(cell, name)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9D9D9")
        cell.border = border
        sheet.column_dimensions[get_column_letter(column)].width = width
    wrap = Alignment(vertical="top", wrap_text=True)
    r = 2
    for row in rows:
        lines = row.tasks or (None,)
        for task in lines:
            r += 1
            values = [row.parent_title, row.section, row.item, row.number, row.clause,
                      task.text if task else "", task.lead_units if task else "",
                      task.percent if task else "", task.status if task else "",
                      covered_label if task else missing_label]
            for column, value in enumerate(values, start=1):
                cell = sheet.cell(r, column)
                if isinstance(value, str):
                    _text(cell, value)
                else:
                    cell.value = value
                cell.alignment = wrap
                cell.border = border
            if task and STATUS_FILLS.get(task.status_code):
                sheet.cell(r, _STATUS_COLUMN).fill = PatternFill(
                    "solid", fgColor=STATUS_FILLS[task.status_code])
            if task is None:
                sheet.cell(r, _RESULT_COLUMN).fill = PatternFill("solid", fgColor=MISSING_FILL)
    sheet.freeze_panes = "A3"
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(COVERAGE_COLUMNS))}{max(r, 3)}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
