"""Task-division tables: header columns, rows, cells, and the units of a row."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.domain.plan_parsing.text import Line, match_key
from tracker.domain.plan_parsing.units import MARKED_LEAD, UNIT_SPLIT, merge_units, split_units

_COLUMN_NAMES = {
    "number": {"序号", "编号", "序"},
    "task": {"工作任务", "任务", "主要任务", "重点任务", "任务内容", "工作内容", "工作事项", "事项",
             "公开事项", "重点工作", "工作项目", "主要内容", "具体任务", "任务名称", "任务事项"},
    "requirement": {"工作要求", "具体要求", "工作措施", "具体措施", "任务要求", "主要措施", "措施",
                    "要求", "推进措施", "工作举措", "目标要求", "工作目标"},
    "lead": {"牵头单位", "牵头部门", "牵头处室", "牵头科室", "主责单位", "主办单位", "牵头",
             "牵头责任单位", "主要责任单位"},
    "responsible": {"责任单位", "责任部门", "责任处室", "责任科室", "负责单位", "负责部门",
                    "承办单位", "责任主体", "实施单位", "落实单位"},
    "cooperating": {"配合单位", "配合部门", "配合处室", "配合科室", "协办单位", "参与单位",
                    "协同单位", "参加单位", "配合"},
    "deadline": {"完成时限", "时间要求", "完成时间", "时限要求", "时限", "完成期限", "时间节点",
                 "时间安排", "进度安排"},
}
_COLUMN_HINTS = (("lead", "牵头"), ("cooperating", "配合"), ("cooperating", "协办"),
                 ("cooperating", "参与"), ("responsible", "责任"), ("deadline", "时限"),
                 ("deadline", "时间"), ("number", "序号"), ("requirement", "要求"),
                 ("requirement", "措施"), ("task", "任务"), ("task", "事项"))
INHERITED = ("task", "lead", "responsible", "deadline")  # merged cells: empty → from the row above


def is_table_line(line: Line) -> bool:
    return "\t" in line.raw or line.key.count("|") >= 2


def row_cells(line: Line) -> list[str]:
    if "\t" in line.raw:
        return [c.strip() for c in line.raw.split("\t")]
    cells = [c.strip() for c in re.split(r"[|｜]", line.text)]
    if len(cells) > 2 and not cells[0] and not cells[-1]:  # | a | b | (markdown)
        cells = cells[1:-1]
    return cells


def column_role(cell: str) -> str | None:
    name = re.sub(r"\s+|\(.*?\)", "", match_key(cell))
    if not name or len(name) > 12:
        return None
    for role, names in _COLUMN_NAMES.items():
        if name in names:
            return role
    return next((role for role, hint in _COLUMN_HINTS if hint in name), None)


def header_columns(cells: list[str]) -> dict[str, int] | None:
    columns: dict[str, int] = {}
    if len({c for c in cells if c}) < 2:
        return None  # a caption merged across the row is not a header
    for index, cell in enumerate(cells):
        role = column_role(cell)
        if role == "task" and "task" in columns:
            role = "requirement"  # a second task-like column holds the details
        if role and role not in columns:
            columns[role] = index
    if len(columns) >= 2 and ("task" in columns or "requirement" in columns):
        return columns
    return None


@dataclass
class Table:
    columns: dict[str, int]
    header: list[str]
    rows: list[tuple[Line, list[str]]]
    caption: str | None = None


def read_table(block: list[Line]) -> Table | None:
    """A block of table lines with a recognisable header row, or None."""
    for index, line in enumerate(block):
        cells = row_cells(line)
        columns = header_columns(cells)
        if columns:
            before = [c for ln in block[:index] for c in row_cells(ln) if c]
            caption = before[0] if before and len(set(before)) == 1 else None
            return Table(columns, cells, [(ln, row_cells(ln)) for ln in block[index + 1:]], caption)
    return None


SEPARATOR_CELL = re.compile(r":?-{3,}:?")


def row_number(cell: str) -> str | None:
    key = match_key(cell).strip()
    m = re.fullmatch(r"\(?\s*(\d{1,3})\s*[)）.、]?", key)
    if m:
        return str(int(m[1]))
    short = cell.strip().rstrip("、.．")
    return short if 0 < len(short) <= 10 else None


def cell_units(cell: str) -> tuple[list[str], list[str]]:
    """A unit cell → (marked lead, others): "市发改委（牵头）、市财政局"."""
    marked: list[str] = []
    others: list[str] = []
    for part in UNIT_SPLIT.split(cell or ""):
        m = MARKED_LEAD.search(match_key(part.strip()))
        if m and m.start() > 0:
            merge_units(marked, split_units(part.strip()[: m.start()]))
        else:
            merge_units(others, split_units(part))
    return marked, [u for u in others if u not in marked]



def table_row_units(values: dict[str, str], columns: dict[str, int]) -> tuple[list[str], list[str]]:
    """(lead, cooperating) units of a task-division table row. 责任单位 is the lead when there
    is no 牵头单位 column, unless some of its units are marked as leading."""
    lead: list[str] = []
    coop: list[str] = []
    marked, others = cell_units(values.get("lead", ""))
    merge_units(lead, marked + others)
    marked, others = cell_units(values.get("responsible", ""))
    if "lead" in columns:
        merge_units(coop, marked + others)
    elif marked:
        merge_units(lead, marked)
        merge_units(coop, others)
    else:
        merge_units(lead, others)
    merge_units(coop, [u for pair in cell_units(values.get("cooperating", "")) for u in pair])
    return lead, [u for u in coop if u not in lead]
