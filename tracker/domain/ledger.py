"""Excel in and out: read a 任务分工表 (task-division table), write the 台账 (ledger). Pure: bytes
in, rows out, and rows in, bytes out; no database.

Reading (``read_assignment_table``):

* .xlsx (openpyxl, cached values, never formulas) or .csv (UTF-8 with or without BOM, UTF-16
  with BOM, else GB18030; comma- or tab-separated).
* A merged range's value applies to every cell of the range, so a 牵头单位 merged over three
  rows assigns all three. A .csv has no merges: an empty cell is empty (nothing is inherited
  from the row above; the preview shows what each row states).
* The header row is looked for in the first rows, with the column names and synonyms that
  plan_parsing reads in pasted tables (序号 / 工作任务 / 牵头单位 / 责任单位 / 配合单位 / 完成时限 …),
  in any order; besides those, 部分 / 分项 (the ledger's section and item) and 完成日期 (the
  resolved deadline) are read. The first sheet with such a header is read.
* A row whose filled cells all hold one value (merged across, or a lone "一、…" / "（一）…")
  is a grouping row: it gives the section or item of the rows below it.
* A row states what it fills in. A non-empty unit cell names the lead (one unit; "（牵头）"
  marks it in a 责任单位 cell); when a row names its lead it states the whole assignment, so
  an empty 配合单位 / 责任单位 cell means "no cooperating units". A row without a lead leaves
  the lead as it is. An empty 完成时限 leaves the deadline as it is. A row that states no unit
  and no deadline changes nothing and is skipped.

Writing (``ledger_xlsx`` / ``ledger_csv``): every text cell is neutralised against formula
injection (``neutralise``): a value starting with =, +, -, @, a tab or a carriage return (after
any spaces) gets a leading apostrophe and is written as a string. Reading undoes exactly that,
so an exported ledger imports back unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from tracker.domain.deadlines import DeadlineError, parse_deadline_input
from tracker.domain.errors import InvalidInput
from tracker.domain.plan_parsing import (
    Line,
    header_columns,
    item_heading,
    match_key,
    section_heading,
    table_row_units,
)

__all__ = [
    "LEDGER_COLUMNS",
    "STATUS_FILLS",
    "AssignmentRow",
    "AssignmentTable",
    "LedgerRow",
    "ledger_csv",
    "ledger_xlsx",
    "neutralise",
    "read_assignment_table",
    "sheet_rows",
]

HEADER_SEARCH_ROWS = 15
MAX_ROWS = 5000
MAX_COLUMNS = 60
FIELD = "file"

# Columns this module reads besides plan_parsing's: the ledger's own section/item/date columns.
_EXTRA_COLUMNS = {
    "section": {"部分", "一级标题", "大项"},
    "item": {"分项", "二级标题", "小项"},
    "deadline_date": {"完成日期", "截止日期", "到期日期"},
    # The tracker's own ledger: 完成时限 holds the deadline, 时限原文 the words of the plan.
    "deadline_as_written": {"时限原文"},
}
_UNIT_ROLES = ("lead", "responsible", "cooperating")
_DEADLINE_ROLES = ("deadline", "deadline_date")


# --- formula injection -----------------------------------------------------------------------

_DANGEROUS = re.compile(r"^[ \u3000]*[=+\-@\t\r]")
_ESCAPED = re.compile(r"^'(?=[ \u3000]*[=+\-@\t\r])")


def neutralise(value: str) -> str:
    """A text that Excel would run as a formula ("=…", "+…", "-…", "@…", tab, CR) gets a leading
    apostrophe, so it is shown as written instead of evaluated."""
    return "'" + value if _DANGEROUS.match(value) else value


def _unneutralise(value: str) -> str:
    return _ESCAPED.sub("", value, count=1)


# --- reading ---------------------------------------------------------------------------------


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _unneutralise(str(value)).strip()


def _xlsx_sheets(content: bytes) -> list[tuple[str, list[list[str]]]]:
    try:
        workbook = load_workbook(io.BytesIO(content), data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
        raise InvalidInput("无法读取该 .xlsx 文件（文件损坏或不是 Excel 工作簿）", FIELD) from None
    sheets = []
    for sheet in workbook.worksheets:
        if sheet.max_row > MAX_ROWS + HEADER_SEARCH_ROWS:
            raise InvalidInput(f"工作表“{sheet.title}”超过 {MAX_ROWS} 行", FIELD)
        width = min(sheet.max_column, MAX_COLUMNS)
        grid = [[_cell_text(v) for v in row]
                for row in sheet.iter_rows(max_col=width, values_only=True)]
        # A merged range keeps its value in the top-left cell only; spread it over the range.
        for merged in sheet.merged_cells.ranges:
            value = grid[merged.min_row - 1][merged.min_col - 1] if merged.min_col <= width else ""
            for r in range(merged.min_row - 1, min(merged.max_row, len(grid))):
                for c in range(merged.min_col - 1, min(merged.max_col, width)):
                    grid[r][c] = value
        sheets.append((sheet.title, grid))
    return sheets


def _decode_csv(content: bytes) -> str:
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", errors="replace")
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError:
        raise InvalidInput("无法识别 .csv 文件的编码（应为 UTF-8 或 GB18030/GBK）", FIELD) from None


def _csv_rows(content: bytes) -> list[list[str]]:
    text = _decode_csv(content)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    rows = []
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        rows.append([_cell_text(cell) for cell in row[:MAX_COLUMNS]])
        if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
            raise InvalidInput(f"文件超过 {MAX_ROWS} 行", FIELD)
    return rows


def sheet_rows(content: bytes, filename: str) -> list[tuple[str | None, list[list[str]]]]:
    """(sheet name, rows of cell texts) for each sheet of an .xlsx, or the one of a .csv."""
    name = filename.lower()
    if not content:
        raise InvalidInput("文件为空", FIELD)
    if name.endswith((".xlsx", ".xlsm")):
        return _xlsx_sheets(content)
    if name.endswith(".csv"):
        return [(None, _csv_rows(content))]
    if name.endswith(".xls"):
        raise InvalidInput("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后上传", FIELD)
    raise InvalidInput("分工表须为 .xlsx 或 .csv 文件", FIELD)


def _header_name(cell: str) -> str:
    return re.sub(r"\s+|\(.*?\)", "", match_key(cell))


def _find_header(rows: list[list[str]]) -> tuple[int, dict[str, int]] | None:
    for index, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns = header_columns(cells)
        if not columns:
            continue
        for position, cell in enumerate(cells):
            if position in columns.values():
                continue
            name = _header_name(cell)
            for role, names in _EXTRA_COLUMNS.items():
                if name in names and role not in columns:
                    columns[role] = position
        if any(role in columns for role in (*_UNIT_ROLES, *_DEADLINE_ROLES)):
            return index, columns
    return None


@dataclass(frozen=True)
class AssignmentRow:
    """One row of a 任务分工表, as it reads. None means "not stated: leave as it is"."""

    row: int  # row number in the sheet, as Excel shows it
    number: str | None  # 序号 as written
    text: str  # 工作任务 (with 工作要求 appended, as plan_parsing joins them); "" if empty
    section: str | None = None  # 部分 column (exact filter)
    item: str | None = None  # 分项 column (exact filter)
    group_section: str | None = None  # from grouping rows above (a hint among equal texts)
    group_item: str | None = None
    lead_units: list[str] | None = None
    cooperating_units: list[str] | None = None
    deadline_text: str | None = None  # None: the deadline is not stated
    deadline: str | None = None  # resolved: YYYY-MM-DD | "ongoing" | None
    deadline_stated: bool = False
    problem: str | None = None  # why the row cannot be used as it is
    # Several leads: refused unless the task already has exactly these (a ledger's own row).
    lead_problem: str | None = None


@dataclass(frozen=True)
class AssignmentTable:
    sheet: str | None
    header_row: int
    columns: dict[str, str]  # role → header as written
    rows: list[AssignmentRow] = field(default_factory=list)


def _group_heading(value: str) -> tuple[str, str] | None:
    """("section" | "item", heading) for a grouping row's value."""
    line = Line(0, value, match_key(value))
    if section_heading(line):
        return "section", value
    if item_heading(line):
        return "item", value
    return None


def _read_row(row_no: int, values: dict[str, str], columns: dict[str, int], year: int | None,
              group: tuple[str | None, str | None]) -> AssignmentRow:
    task, requirement = values.get("task", ""), values.get("requirement", "")
    if task and requirement:
        text = f"{task}{'' if task[-1] in '：:' else '：'}{requirement}"
    else:
        text = task or requirement
    problem = lead_problem = None
    lead, coop = table_row_units(values, columns)
    if len(lead) > 1:
        hint = "" if "lead" in columns else "（可在牵头单位后注明“（牵头）”）"
        lead_problem = f"牵头单位只能有一个，本行有 {len(lead)} 个：{'、'.join(lead)}{hint}"
    has_coop_column = "cooperating" in columns or "responsible" in columns
    if lead:
        cooperating = coop if has_coop_column else None
    else:
        cooperating = coop or None
    if "deadline_as_written" in columns:
        deadline_text = values.get("deadline_as_written") or None
        date_cell = values.get("deadline_date") or values.get("deadline") or ""
    else:
        deadline_text = values.get("deadline") or None
        date_cell = values.get("deadline_date") or ""
    deadline = None
    try:  # the task form's rule: an impossible date refuses the row, with its reason
        if date_cell:
            deadline = parse_deadline_input(date_cell, year)[1]
        elif deadline_text:
            deadline = parse_deadline_input(deadline_text, year, require_resolved=False)[1]
    except DeadlineError as error:
        problem = str(error)
    if deadline_text and len(deadline_text) > 100:
        problem = problem or "完成时限超过100字"
    number = values.get("number") or None
    if not text and not number:
        problem = problem or "没有工作任务和序号，无法对应到任务"
    return AssignmentRow(
        row=row_no, number=number, text=text,
        section=values.get("section") or None, item=values.get("item") or None,
        group_section=group[0], group_item=group[1],
        lead_units=lead or None, cooperating_units=cooperating,
        deadline_text=deadline_text, deadline=deadline,
        deadline_stated=bool(deadline_text or date_cell), problem=problem,
        lead_problem=lead_problem,
    )


def read_assignment_table(content: bytes, filename: str, year: int | None) -> AssignmentTable:
    """The assignment rows of a 任务分工表; `year` resolves deadlines such as 6月底前."""
    for sheet_name, rows in sheet_rows(content, filename):
        found = _find_header(rows)
        if found is None:
            continue
        header_index, columns = found
        header = rows[header_index]
        result: list[AssignmentRow] = []
        group: tuple[str | None, str | None] = (None, None)
        for index in range(header_index + 1, len(rows)):
            cells = rows[index]
            filled = [c for c in cells if c]
            if not filled or cells[: len(header)] == header:
                continue
            if len(set(filled)) == 1:
                heading = _group_heading(filled[0])
                if heading and heading[0] == "section":
                    group = (heading[1], None)
                elif heading:
                    group = (group[0], heading[1])
                if heading or len(filled) > 1:
                    continue
            values = {role: (cells[i] if i < len(cells) else "") for role, i in columns.items()}
            if not any(values.get(role) for role in (*_UNIT_ROLES, *_DEADLINE_ROLES)):
                continue  # states nothing to assign
            result.append(_read_row(index + 1, values, columns, year, group))
        return AssignmentTable(
            sheet=sheet_name,
            header_row=header_index + 1,
            columns={role: header[i] for role, i in columns.items()},
            rows=result,
        )
    raise InvalidInput(
        f"前 {HEADER_SEARCH_ROWS} 行中没有找到表头：需要“工作任务”列，以及“牵头单位”“配合单位”"
        "“责任单位”“完成时限”中的至少一列", FIELD)


# --- writing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerRow:
    """One task of the ledger, as people keep it in Excel."""

    section: str  # "一、标题"
    item: str  # "（一）标题", or "" when the plan skips that level
    number: str  # "1", "1.2" for a sub-task
    task: str
    lead_units: str  # joined with "、"
    cooperating_units: str
    deadline_text: str  # as written
    deadline: dt.date | str | None  # resolved date, ONGOING_LABEL, or None
    percent: int
    status_code: str  # a key of STATUS_FILLS
    status: str  # its label
    last_period: str  # the period of the latest counted update, "" if none
    extended_deadline: dt.date | None = None  # an approved extension (完成时限 stays original)
    # The lead unit's own words in that update (进展情况 / 存在问题 / 下步计划), "" if none.
    work_done: str = ""
    problems: str = ""
    next_steps: str = ""


# (header, width in characters); the header names are the ones read_assignment_table reads.
# 完成时限 holds the deadline (a date, or 持续推进); 时限原文 the plan's own words.
LEDGER_COLUMNS: list[tuple[str, int]] = [
    ("部分", 18), ("分项", 22), ("序号", 6), ("工作任务", 60), ("牵头单位", 16), ("配合单位", 24),
    ("完成时限", 12), ("时限原文", 16), ("延期至", 12), ("进度(%)", 8), ("状态", 10),
    ("进展情况", 40), ("存在问题", 30), ("下步计划", 30), ("最近填报期", 11),
]
# Light fills with dark text, as Excel's own "good / neutral / bad" styles.
STATUS_FILLS = {
    "done": "C6EFCE",
    "on_track": "DDEBF7",
    "behind": "FFEB9C",
    "overdue": "FFC7CE",
    "not_started": "EDEDED",
}
_STATUS_COLUMN = 11  # 1-based: 状态


def _values(row: LedgerRow) -> list:
    return [row.section, row.item, row.number, row.task, row.lead_units, row.cooperating_units,
            row.deadline if row.deadline is not None else "", row.deadline_text,
            row.extended_deadline if row.extended_deadline is not None else "", row.percent,
            row.status, row.work_done, row.problems, row.next_steps, row.last_period]


def _text_cell(cell, value: str) -> None:
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value:
        cell.value = neutralise(value)
        cell.data_type = "s"


def ledger_xlsx(rows: Iterable[LedgerRow], title: str | None = None) -> bytes:
    """The ledger as a formatted workbook: optional title row, bold frozen header, widths,
    wrapped text, a fill per status, filters, printable on A4 landscape."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "台账"
    thin = Side(style="thin", color="A6A6A6")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_row = 1
    if title:
        _text_cell(sheet.cell(1, 1), title)
        sheet.cell(1, 1).font = Font(bold=True, size=14)
        sheet.cell(1, 1).alignment = Alignment(horizontal="center", vertical="center")
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(LEDGER_COLUMNS))
        sheet.row_dimensions[1].height = 28
        header_row = 2
    for column, (name, width) in enumerate(LEDGER_COLUMNS, start=1):
        cell = sheet.cell(header_row, column)
        _text_cell(cell, name)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9D9D9")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
        sheet.column_dimensions[get_column_letter(column)].width = width
    wrap = Alignment(vertical="top", wrap_text=True)
    count = 0
    for count, row in enumerate(rows, start=1):
        r = header_row + count
        for column, value in enumerate(_values(row), start=1):
            cell = sheet.cell(r, column)
            if isinstance(value, str):
                _text_cell(cell, value)
            else:
                cell.value = value
                if isinstance(value, dt.date):
                    cell.number_format = "yyyy-mm-dd"
            cell.alignment = wrap
            cell.border = border
        fill = STATUS_FILLS.get(row.status_code)
        if fill:
            sheet.cell(r, _STATUS_COLUMN).fill = PatternFill("solid", fgColor=fill)
    sheet.freeze_panes = sheet.cell(header_row + 1, 1).coordinate
    last = get_column_letter(len(LEDGER_COLUMNS))
    sheet.auto_filter.ref = f"A{header_row}:{last}{header_row + max(count, 1)}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def ledger_csv(rows: Iterable[LedgerRow]) -> bytes:
    """The ledger as CSV, UTF-8 with a BOM (without it Excel reads Chinese as mojibake)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(name) for name, _ in LEDGER_COLUMNS])
    for row in rows:
        writer.writerow([
            neutralise(value) if isinstance(value, str)
            else value.isoformat() if isinstance(value, dt.date) else value
            for value in _values(row)
        ])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")
