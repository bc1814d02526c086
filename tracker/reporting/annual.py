"""The year's 政府信息公开工作年度报告 draft (the parts the plan feeds) as text and as an
editable .docx: facts from the tracker, figures from the status rules, wording from
tracker.domain.annual_report."""

from __future__ import annotations

import datetime as dt
import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from tracker.domain.annual_report import AnnualDraft, TaskLine, build_draft
from tracker.domain.errors import InvalidInput
from tracker.domain.plan_model import ONGOING, PARENT
from tracker.domain.vocabulary import STATUS_LABELS
from tracker.services import plans, tracking
from tracker.tables import ProgressUpdate, Task

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
TITLE_FONT = "方正小标宋简体"


async def annual_draft(plan_id: int, as_of: dt.date | None = None) -> AnnualDraft:
    """The draft as the plan's year ended (when its December reports were due), or as of a day."""
    detail = await plans.get_plan(plan_id)
    if detail.kind == PARENT:
        raise InvalidInput(f"计划 {plan_id} 是上级计划，仅供对照，不起草年度报告", "plan_id")
    facts = await tracking.load_plan_facts(plan_id)
    day = as_of or tracking.default_as_of(detail.year, detail.reporting.due_day)
    statuses = tracking.statuses_as_of(facts, day)
    withdrawn = {row["id"]: row["withdrawn_on"] for row in await Task.select(
        Task.id, Task.withdrawn_on).where(Task.plan == plan_id, Task.withdrawn_on.is_not_null())}
    update_ids = [s.last_update_id for s in statuses.values() if s.last_update_id]
    words = {row["id"]: row for row in await ProgressUpdate.select(
        ProgressUpdate.id, ProgressUpdate.work_done, ProgressUpdate.problems).where(
        ProgressUpdate.id.is_in(update_ids or [0]))}
    sections = []
    for section in detail.sections:
        lines = []
        for item in section.items:
            for task in item.tasks:  # sub-tasks are the breakdown; the task carries the figure
                if task.id in withdrawn and withdrawn[task.id] <= day:
                    continue
                state = statuses[task.id]
                said = words.get(state.last_update_id) or {"work_done": "", "problems": ""}
                lines.append(TaskLine(
                    number=task.number or "", text=task.text,
                    lead_unit=task.lead_units[0] if task.lead_units else "", status=state,
                    work_done=said["work_done"], problems=said["problems"],
                    ongoing=task.deadline == ONGOING))
        sections.append((section.title, lines))
    return build_draft(detail.title, detail.year, day.isoformat(), sections)


def _font(run, name: str, size: float, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _paragraph(document, text: str, font: str = BODY_FONT, size: float = 16,
               bold: bool = False, center: bool = False, indent: bool = True):
    paragraph = document.add_paragraph()
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif indent:
        paragraph.paragraph_format.first_line_indent = Pt(size * 2)
    _font(paragraph.add_run(text), font, size, bold)
    return paragraph


def annual_docx(draft: AnnualDraft) -> bytes:
    """An editable Word document: the two parts, and a table of the figures per section."""
    document = Document()
    _paragraph(document, f"{draft.year or ''}年政府信息公开工作年度报告", TITLE_FONT, 22,
               center=True)
    _paragraph(document, "（工作要点落实部分·初稿）", BODY_FONT, 16, center=True)
    _paragraph(document, "一、总体情况", HEADING_FONT, 16, indent=True)
    _paragraph(document, draft.overview)
    for section in draft.sections:
        _paragraph(document, section.paragraph)
    table = document.add_table(rows=1, cols=3 + len(STATUS_LABELS))
    table.style = "Table Grid"
    header = ["部分", "任务数", *STATUS_LABELS.values(), "平均进度(%)"]
    for cell, text in zip(table.rows[0].cells, header, strict=True):
        cell.text = text
    for section in draft.sections:
        cells = table.add_row().cells
        values = [section.title, str(section.total), *(str(section.counts[c]) for c in STATUS_LABELS),
                  f"{section.percent:.0f}"]
        for cell, text in zip(cells, values, strict=True):
            cell.text = text
    cells = table.add_row().cells
    for cell, text in zip(cells, ["合计", str(draft.total),
                                  *(str(draft.counts[c]) for c in STATUS_LABELS),
                                  f"{draft.percent:.0f}"], strict=True):
        cell.text = text
    _paragraph(document, "二、存在的主要问题及改进情况", HEADING_FONT, 16)
    if draft.problems:
        _paragraph(document, "（一）存在的主要问题", "楷体_GB2312", 16)
        for index, problem in enumerate(draft.problems, start=1):
            _paragraph(document, f"{index}. {problem}")
    if draft.open_items:
        _paragraph(document, f"（二）尚未完成的任务（{len(draft.open_items)}项），下一年度继续推进",
                   "楷体_GB2312", 16)
        for index, item in enumerate(draft.open_items, start=1):
            _paragraph(document, f"{index}. {item}")
    if not draft.problems and not draft.open_items:
        _paragraph(document, "各项任务均已完成，未反映问题。")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
