"""Task-division tables: header columns, rows, cells, and the units of a row."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from tracker.domain.plan_parsing.text import Line, match_key
from tracker.domain.plan_parsing.units import (
    CELL_LABEL,
    MARKED_LEAD,
    mask_pointer_glosses,
    merge_units,
    role_units,
    split_outside_brackets,
    split_units,
)

COLUMN_NAMES = {
    "number": {"序号", "编号", "序"},
    "task": {"工作任务", "任务", "主要任务", "重点任务", "重点工作任务", "主要工作任务", "任务内容", "工作内容", "工作事项", "事项",
             "公开事项", "重点工作", "工作项目", "主要内容", "具体任务", "任务名称", "任务事项",
             "预期目标", "主要目标", "发展目标"},  # a 政府工作报告's target table
    "requirement": {"工作要求", "具体要求", "工作措施", "具体措施", "任务要求", "主要措施", "措施",
                    "要求", "推进措施", "工作举措", "目标要求", "工作目标", "具体内容", "细化分工",
                    "具体工作", "工作安排", "任务分解", "细化任务", "具体举措", "主要举措"},
    "lead": {"牵头单位", "牵头部门", "牵头处室", "牵头科室", "主责单位", "主办单位", "牵头",
             "牵头责任单位", "主要责任单位"},
    "responsible": {"责任单位", "责任部门", "责任处室", "责任科室", "负责单位", "负责部门",
                    "承办单位", "责任主体", "实施单位", "落实单位", "指导部门", "指导单位",
                    "主管部门", "主管单位", "落实科室", "落实部门", "落实处室", "落实股室", "责任股室"},
    "cooperating": {"配合单位", "配合部门", "配合处室", "配合科室", "协办单位", "参与单位",
                    "协同单位", "参加单位", "配合"},
    "deadline": {"完成时限", "时间要求", "完成时间", "时限要求", "时限", "完成期限", "时间节点",
                 "时间安排", "进度安排"},
    # 备注: remarks; a deadline written there is the row's deadline when no column gives one
    "remark": {"备注", "说明", "备注说明"},
    # 分管县领导 / 责任领导: the leader in charge, a person: a column of the table, no unit
    "leader": {"分管领导", "责任领导", "牵头领导", "分管县领导", "分管市领导", "分管区领导", "分管省领导",
               "牵头负责领导", "分管副县长", "分管副市长", "分管副区长", "责任人"},
}
_COLUMN_HINTS = (("lead", "牵头"), ("cooperating", "配合"), ("cooperating", "协办"),
                 ("cooperating", "参与"), ("responsible", "责任"), ("responsible", "负责"), ("deadline", "时限"),
                 ("deadline", "时间"), ("number", "序号"), ("requirement", "要求"),
                 ("requirement", "措施"), ("requirement", "举措"), ("task", "任务"), ("task", "事项"),
                 ("requirement", "内容"), ("requirement", "分工"), ("leader", "领导"),
                 ("task", "要点"))  # 一级要点 / 二级要点
# "2022年预期目标": a column name may open with the plan's year.
_YEAR_PREFIX = re.compile(r"\d{4}\s*年度?")
INHERITED = ("task", "lead", "responsible", "deadline")  # merged cells: empty → from the row above
UNIT_ROLES = ("lead", "responsible", "cooperating")


def is_table_line(line: Line) -> bool:
    return "\t" in line.raw or line.key.count("|") >= 2


def row_cells(line: Line) -> list[str]:
    if "\t" in line.raw:
        return [c.strip() for c in line.raw.split("\t")]
    cells = [c.strip() for c in re.split(r"[|｜]", line.text)]
    if len(cells) > 2 and not cells[0] and not cells[-1]:  # | a | b | (markdown)
        cells = cells[1:-1]
    return cells


def _closing_border(cells: list[str]) -> list[str]:
    """A row of a table whose rows end with a closing bar ("a | b |"): without that empty cell."""
    return cells[:-1] if len(cells) > 1 and not cells[-1] else cells


CONTENT_NAMES = {"主要内容", "内容", "具体内容", "工作内容"}


def column_role(cell: str) -> str | None:
    name = _YEAR_PREFIX.sub("", re.sub(r"\s+|\(.*?\)", "", match_key(cell)), count=1)
    if not name or len(name) > 12:
        return None
    for role, names in COLUMN_NAMES.items():
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
    if (columns.get("requirement", len(cells)) < columns.get("task", -1)
            and match_key(cells[columns["task"]]).replace(" ", "") in CONTENT_NAMES):
        # "改革举措 | 主要内容": the column before the contents names the work, the contents
        # column describes it (the task is "名称：内容")
        columns["task"], columns["requirement"] = columns["requirement"], columns["task"]
    if len(columns) >= 2 and ("task" in columns or "requirement" in columns):
        return columns
    return None


@dataclass
class Table:
    columns: dict[str, int]
    header: list[str]
    rows: list[tuple[int, list[str]]]  # (source line, cells)
    caption: str | None = None
    positional: bool = False  # the cells are in their columns' places (no aligning by content)
    # every row padded to the full width at its end: a short row's missing cells are merged from
    # the rows above (the table's leftmost columns of their kind span, the later ones are the row's)
    padded: bool = False
    cut: bool = False  # the text stops inside the last row's last cell: that row is not whole


def read_table(block: list[Line]) -> Table | None:
    """A block of table lines with a recognisable header row, or None."""
    for index, line in enumerate(block):
        cells = row_cells(line)
        columns = header_columns(cells)
        if columns:
            before = [c for ln in block[:index] for c in row_cells(ln) if c]
            caption = before[0] if before and len(set(before)) == 1 else None
            rows = [(ln.no, row_cells(ln)) for ln in block[index + 1:]]
            if len(cells) > 2 and not cells[-1] and cells[0]:  # "a | b |": the header's closing border
                cells = cells[:-1]
                rows = [(no, _closing_border(row)) for no, row in rows]
            return Table(columns, cells, _join_wrapped_rows(rows, len(cells)), caption)
    return None


def _join_wrapped_rows(rows: list[tuple[int, list[str]]], width: int) -> list[tuple[int, list[str]]]:
    """"(五)X | 1.Y; 2.Z |" then "各科室、办公室 | ||": a row broken after its text cell, its unit
    cell (then the row's empty padding) on the next line, is one row."""
    joined: list[tuple[int, list[str]]] = []
    for no, row in rows:
        if (joined and row and len(row) >= 2 and row[0] and not any(row[1:]) and _unit_cell(row[0])
                and (last := joined[-1][1]) and last[-1] and not _unit_cell(last[-1])
                and len(last) + 1 <= width):
            joined[-1] = (joined[-1][0], [*last, row[0]])
            continue
        joined.append((no, row))
    return joined


# A page whose stored part opens inside a task table has no header row: rows "（一）X | 1.Y | units |"
# and "2.Y | units |". Such a block is a table when most of its rows end in a unit cell; its
# columns are the usual ones (group / task / units), read from the right.
_HEADERLESS_MIN_ROWS = 3


def _unit_cell(cell: str) -> bool:
    return cell_type(cell) == "unit" or role_units(cell) is not None


def read_headerless_table(block: list[Line]) -> Table | None:
    rows = [(ln.no, _closing_border(row_cells(ln))) for ln in block]
    rows = [(no, row) for no, row in rows if any(row)]
    width = max((len(row) for _, row in rows), default=0)
    if len(rows) < _HEADERLESS_MIN_ROWS or width not in (2, 3):
        return None
    ended = sum(1 for _, row in rows if len(row) >= 2 and _unit_cell(row[-1]))
    if ended * 2 < len(rows) or ended < 2:
        return None
    header = ["工作任务", "具体要求", "责任单位"] if width == 3 else ["工作任务", "责任单位"]
    columns = header_columns(header)
    # the table was found by its rows' last cells: each row's last cell is its unit cell, so a
    # short row (a merged group cell not repeated) lacks its first cells
    rows = [(no, [""] * (width - len(row)) + row if len(row) >= 2 else row) for no, row in rows]
    return Table(columns, header, rows, positional=True) if columns else None


# --- tables written one cell per line ---------------------------------------------------------
# Copying a web table, or pdftotext, gives one cell per line, with or without a "|" line between
# cells. Two "|" in a row (an empty cell) end a row; without such marks rows are cut where the
# cells wrap around to the first columns again.

_LONE_BAR = re.compile(r"[|｜]")


def is_bar_line(line: Line) -> bool:
    return bool(_LONE_BAR.fullmatch(line.key.strip()))


def _bars(line: Line) -> int:
    """How many bars a line holds when it holds nothing else ("|" 1, "||||" 4), else 0."""
    key = line.key.strip()
    return len(key) if key and not key.strip("|") else 0


# A column name that names no role of this parser ("完成情况", "备注"), as a header cell.
_PLAIN_LABEL = re.compile(r"[\u4e00-\u9fff](?: ?[\u4e00-\u9fff]){1,5}")


def _read_padded_rows(lines: list[Line], start: int) -> tuple[Table, int] | None:
    """A web table copied one cell per line, each cell ended by its bar, where every row is
    padded to the table's full width with empty cells ("||||" after a row whose other cells
    are merged from the rows above): the header with its padding gives the width, and the
    cells are cut into rows of that width. None unless the cells fit that layout exactly
    (each row opens with a cell, its empty cells all at its end)."""
    if not _header_cell(lines[start]):
        return None
    cells: list[tuple[int, str]] = []  # (line, text); "" an empty cell
    pending: tuple[int, str] | None = None
    i = start
    padded = False
    while i < len(lines):
        bars = _bars(lines[i])
        if bars:
            padded = padded or bars > 1
            if pending is not None:
                cells.append(pending)
                pending, bars = None, bars - 1
            cells.extend((lines[i].no, "") for _ in range(bars))
        elif pending is not None or _ends_stream(lines[i]):
            i -= pending is not None  # the table ended after its last bar
            pending = None
            break
        else:
            pending = (lines[i].no, lines[i].text)
        i += 1
    cut = pending is not None  # the text stops inside the last cell (no bar closes it)
    if cut:
        cells.append(pending)
    names: list[str] = []
    plain_at = None  # the first header cell named by a plain label (完成情况, 备注)
    for _, text in cells:
        if text and names and not names[-1]:
            break  # the header's padding is over: the first row starts
        if text and not _header_cell(Line(0, text, match_key(text))):
            if not (names and _PLAIN_LABEL.fullmatch(match_key(text).strip()) and cell_type(text) == "text"):
                break
            plain_at = len(names) if plain_at is None else plain_at
        names.append(text)
    if plain_at is not None and names[-1]:
        names = names[:plain_at]  # only a padded header shows where its plain labels end
    width = len(names)
    while names and not names[-1]:
        names.pop()
    columns = header_columns(names) if len(names) >= 2 and "" not in names else None
    if not padded or columns is None:
        return None
    rows = []
    for at in range(width, len(cells), width):
        row = [text for _, text in cells[at:at + width]]
        filled = len(row) - len(list(itertools.takewhile(lambda t: not t, reversed(row))))
        if not row[0] or "" in row[:filled]:
            return None
        rows.append((cells[at][0], row[:filled]))
    return Table(columns, names, rows, padded=True, cut=cut), i


def read_cell_lines(lines: list[Line], start: int) -> tuple[Table, int] | None:
    """A table written one cell per line starting at lines[start] (its header's first cell):
    (table, index after it), or None when no header of at least two column names starts there."""
    if padded := _read_padded_rows(lines, start):
        return padded
    header: list[str] = []
    i = start
    barred = False
    while i < len(lines) and (is_bar_line(lines[i]) or _header_cell(lines[i])):
        if is_bar_line(lines[i]):
            barred = True
            if header and i + 1 < len(lines) and is_bar_line(lines[i + 1]):
                i += 1
                break
        else:
            header.append(lines[i].text)
        i += 1
    columns = header_columns(header)
    if columns is None or len(header) < 2 or not {"lead", "responsible", "cooperating", "deadline"} & columns.keys():
        return None
    cells: list[tuple[int, str]] = []  # (line, text); "" marks a row end
    previous_bar = False
    while i < len(lines):
        line = lines[i]
        if is_bar_line(line):
            if previous_bar:
                cells.append((line.no, ""))
            previous_bar = True
            i += 1
            continue
        if barred and previous_bar and _bars(line) > 1:
            # "一、…" "|" "|||": a heading row padded with the empty cells of the other columns
            # (the rows under it are not padded, so the padding marks no row end)
            i += 1
            continue
        if barred and not previous_bar and cells and cells[-1][1]:
            break  # two text lines without a bar between them: the table has ended
        if not barred and _ends_stream(line):
            break
        cells.append((line.no, line.text))
        previous_bar = False
        i += 1
    rows = _stream_rows(cells, columns, len(header))
    return Table(columns, header, rows), i


# "工作任务 |", and "一、… | ||" (the row's other cells empty, padded after it)
_BAR_ENDED_CELL = re.compile(r"([^|｜\n]*[^|｜\s])[ \t\u3000]*([|｜](?:[ \t\u3000]*[|｜])*)[ \t\u3000]*$")
_BAR_ENDED_MIN = 4  # a copy that ends every cell with its bar ends many lines so


def split_bar_ended_cells(text: str) -> str:
    """A web table copied one cell per line with each cell's right border kept ("工作任务 |",
    "1 |", "|"): each such line is its cell and then a lone bar, the one-cell-per-line layout
    read_cell_lines reads. Lines with two or more bars (row-per-line tables) are left alone."""
    rows = text.split("\n")
    if sum(1 for row in rows if _BAR_ENDED_CELL.fullmatch(row)) < _BAR_ENDED_MIN:
        return text
    return "\n".join(_BAR_ENDED_CELL.sub(lambda m: m[1] + "\n" + re.sub(r"[ \t\u3000]", "", m[2]), row)
                     if _BAR_ENDED_CELL.fullmatch(row) else row for row in rows)


def _header_cell(line: Line) -> bool:
    """A line that is only a column name (a header cell of a table written one cell per line)."""
    key = _YEAR_PREFIX.sub("", line.key.strip(), count=1) if _YEAR_PREFIX.match(line.key.strip()) else line.key.strip()
    key = re.sub(r"\([^()]{1,12}\)", "", key)  # "贯彻举措(市上统一要求)": the name and its gloss
    return (0 < len(key) <= 10 and not re.search(r"[\d\t|。;,:、.]", key.replace("/", ""))
            and not re.search(r"(?:表|清单|一览)$", key)  # "任务分解表" is the table's caption
            and column_role(key) is not None)


def _ends_stream(line: Line) -> bool:
    key = line.key.strip()
    # an attachment line, a signature date, or the web page's chrome after the article
    return bool(re.match(r"附件|\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$|(?:文章)?来源\s*:|责任编辑\s*:"
                         r"|\[?(?:打印本页|关闭窗口)|分享到|扫一扫", key))


def _stream_rows(cells: list[tuple[int, str]], columns: dict[str, int], width: int
                 ) -> list[tuple[int, list[str]]]:
    explicit = any(not text for _, text in cells)
    rows: list[tuple[int, list[str]]] = []
    current: list[tuple[int, str]] = []
    roles = _column_roles(columns, width)
    last_typed = max(i for i, r in enumerate(roles) if r is not None)
    position = -1
    if not explicit:
        cells = stack_unit_cells(cells, sum(1 for role in UNIT_ROLES if role in columns))
    for no, text in cells:
        if explicit:
            if not text:
                if current:
                    rows.append((current[0][0], [t for _, t in current]))
                current = []
                continue
            current.append((no, text))
            continue
        kind = cell_type(text)
        if kind == "heading" or (current and _numbered_cell(text)):
            # a 一、/（一） heading is a row of its own; "3.依法公开…" starts the next task's row
            if current:
                rows.append((current[0][0], [t for _, t in current]))
            current, position = [], -1
            if kind == "heading":
                rows.append((no, [text]))
                continue
        fits = [j for j in range(position + 1, width) if _fit(roles[j], kind) > 0]
        floating = kind == "num" and "number" not in columns
        if current and (position >= last_typed or (not fits and not floating)):
            rows.append((current[0][0], [t for _, t in current]))
            current, position = [], -1
            fits = [j for j in range(width) if _fit(roles[j], kind) > 0]
        current.append((no, text))
        if not floating and fits:
            position = fits[0]
    if current:
        rows.append((current[0][0], [t for _, t in current]))
    return rows


_ROLE_ONLY = re.compile(r"(?:分别|共同|按照?职[责能]分工)?(?:分别)?(?:牵头落实|牵头负责|负责落实|牵头|负责|配合落实|配合|落实)")


def _numbered_cell(text: str) -> bool:
    """A cell that opens with its own task number: "3.依法公开随机抽查事项清单"."""
    return bool(re.match(r"\d{1,3}\s*[.、](?!\d)\s*\S", match_key(text).strip()))


def stack_unit_cells(cells: list[tuple[int, str]], unit_columns: int) -> list[tuple[int, str]]:
    """Units stacked one per line in one cell ("区行政审批局", "区经济发展局", then the next
    column's "综合处牵头，各处配合"): a lone role word ("牵头落实") or a bracketed sub-unit
    ("（政策法规处）") belongs to the cell above it,
    and a run of more unit cells than the table has unit columns is one cell for its first ones."""
    joined: list[tuple[int, str]] = []
    for no, text in cells:
        key = match_key(text).strip()
        if (joined and (_ROLE_ONLY.fullmatch(key) or re.fullmatch(r"\([^()]{1,20}\)", key))
                and cell_type(joined[-1][1]) == "unit"):
            joined[-1] = (joined[-1][0], joined[-1][1] + text.strip())
        else:
            joined.append((no, text))
    if unit_columns < 1:
        return joined
    result: list[tuple[int, str]] = []
    run: list[tuple[int, str]] = []
    for cell in [*joined, (0, "")]:
        if cell[1] and cell_type(cell[1]) == "unit":
            run.append(cell)
            continue
        if len(run) > unit_columns:
            extra = len(run) - unit_columns + 1
            run = [(run[0][0], "、".join(t.strip() for _, t in run[:extra])), *run[extra:]]
        result.extend(run)
        run = []
        result.append(cell)
    return result[:-1]


# --- aligning a row's cells with the header ---------------------------------------------------
# A merged cell appears only in the first row it spans, so rows have fewer cells than the header;
# a number column may have no header. Cells are typed by what they hold and aligned with the
# columns by the best-scoring order-keeping match (skipping columns, or unheaded cells).

_ROLE_TYPES = {"number": "num", "task": "text", "requirement": "text", "lead": "unit",
               "responsible": "unit", "cooperating": "unit", "deadline": "deadline"}
_FIT = {
    "num": {"num": 3, "heading": 2, "empty": 0.5},
    "text": {"text": 2, "heading": 1.5, "unit": 0.2, "deadline": -0.5, "num": -2, "empty": 0.3},
    "unit": {"unit": 3, "text": -1, "heading": -2, "deadline": -2, "num": -3, "empty": 0.5},
    "deadline": {"deadline": 3, "text": -1, "heading": -2, "unit": -2, "num": -2, "empty": 0.5},
    None: {"text": 0.2, "empty": 0.5, "unit": 0, "deadline": 0, "num": -1, "heading": -1},
}
_SKIP = {"number": -0.3, "task": -0.4, "requirement": -0.6, "lead": -1.0, "responsible": -1.0,
         "cooperating": -1.0, "deadline": -1.0, "leader": -0.5, "remark": -0.1, None: -0.1}
_EXTRA = {"num": -0.5, "heading": -0.2, "empty": -0.1}
_DEADLINE_WORDS = re.compile(
    r"\d{4}\s*年|\d{1,2}\s*月|[一二三四五六七八九十]{1,2}月|月底|年底|年末|年内|年度|全年|季度|半年|持续|长期|"
    r"常态|定期|及时|按时|按期|每[年月季周日]|日常|随时|适时|同步|前完成|完成前|底前")
_DATE_WORDS = re.compile(r"\d{4}\s*年|\d{1,2}\s*月|[一二三四五六七八九十]{1,2}月|月底|年底|年末|季度|半年")
_UNIT_NAME = re.compile(
    r"(?:局|委|办|处|室|科|所|院|站|队|部|中心|单位|部门|政府|街道|镇|乡|公司|集团|会|组|厅|署|馆|团|社|"
    r"(?<![运执进实推施试履通流])行|台|校|园|分局|支队|大队|办事处|机构|股|口|区|县|市|村|社区)(?:\([^()]{1,12}\))?$")
_ROLE_WORDS = re.compile(r"按照?职[责能]分工落实|按照?职[责能]分工|按照?职[责能]|分别|共同|负责落实|牵头|配合|负责|落实|协办|参与|会同|办理|以及"
                         r"|(?<![员协学商联总大工委社理])会(?![议计展上后])|等$|等")  # "X会Y", not 委员会


def cell_type(cell: str) -> str:
    """What a table cell holds: empty, num, heading, deadline, unit or text."""
    text = cell.strip()
    if not text:
        return "empty"
    key = match_key(text)
    if re.fullmatch(r"\(?\s*\d{1,3}\s*[).、]?", key):
        return "num"
    from tracker.domain.plan_parsing.numbering import item_heading, section_heading

    line = Line(0, text, key)
    if section_heading(line) or item_heading(line):
        return "heading" if len(text) <= 60 else "text"
    if re.fullmatch(r"[一二三四五六七八九十]{1,3}", key):
        return "num"
    if _numbered_cell(text):  # "13.推动公共资源交易平台透明运行" ends like a bank (…行), is a task
        return "text"
    if ("。" not in key and not looks_like_units(text) and _DEADLINE_WORDS.search(key)
            and not re.search(r"目标|任务", key)  # "空气质量完成年度目标任务" is a target, not a date
            and (len(text) <= 12 or (len(text) <= 40 and _DATE_WORDS.search(key)))):
        return "deadline"
    if looks_like_units(text):
        return "unit"
    return "text"


def looks_like_units(cell: str) -> bool:
    """A short cell whose parts are unit names: "区发改局、区级其他有关部门,各街道办事处"."""
    key = match_key(mask_pointer_glosses(cell).strip())
    if key.endswith("。") and "。" not in key[:-1]:  # "区投资促进中心。": a list closed by its stop
        key = key[:-1]
    if len(key) > 400 or "。" in key:  # a long list of 处室 and 各市、县 is still a unit cell
        return False
    listed = _ROLE_WORDS.sub(",", key)
    # 和/及 join two names ("A和B"), or belong to one ("法规和基金监管科"): either reading will do
    return any(_all_unit_names([p for p in re.split(separators, listed) if p.strip()])
               for separators in (r"[、,;/\n]|和|及", r"[、,;/\n]"))


def _all_unit_names(parts: list[str]) -> bool:
    return bool(parts) and all(
        len(p.strip()) <= 20 and (_UNIT_NAME.search(p.strip()) or p.strip().startswith("各") and len(p.strip()) <= _EACH_MAX)
        for p in parts)


# "各村" / "各成员单位" name units by their kind; a longer 各… with no unit word at its end is a
# sentence ("各相关部门要以强有力的督查促进改革落实").
_EACH_MAX = 10


def _column_roles(columns: dict[str, int], width: int) -> list[str | None]:
    roles: list[str | None] = [None] * width
    for role, index in columns.items():
        if index < width:
            roles[index] = role
    return roles


def _fit(role: str | None, kind: str) -> float:
    return _FIT[_ROLE_TYPES.get(role) if role else None].get(kind, -1)


def align_row(cells: list[str], columns: dict[str, int], width: int) -> dict[str, str]:
    """The row's cells by column role, for rows with fewer (merged) or more (unheaded) cells."""
    roles = _column_roles(columns, width)
    kinds = [cell_type(c) for c in cells]
    n, m = len(cells), width
    neg = float("-inf")
    best = [[neg] * (m + 1) for _ in range(n + 1)]
    step: list[list[str]] = [[""] * (m + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            if i == 0 and j == 0:
                continue
            options = []
            if i and j:
                options.append((best[i - 1][j - 1] + _fit(roles[j - 1], kinds[i - 1]), "match"))
            if j:
                options.append((best[i][j - 1] + _SKIP[roles[j - 1]], "skip"))
            if i:
                options.append((best[i - 1][j] + _EXTRA.get(kinds[i - 1], -4), "extra"))
            best[i][j], step[i][j] = max(options)
    values: dict[str, str] = {}
    i, j = n, m
    while i or j:
        move = step[i][j]
        if move == "match":
            if roles[j - 1]:
                values[roles[j - 1]] = cells[i - 1]
            i, j = i - 1, j - 1
        elif move == "skip":
            j -= 1
        else:
            if kinds[i - 1] == "num" and "number" not in values:
                values["number"] = cells[i - 1]
            elif kinds[i - 1] == "heading":
                values.setdefault("heading", cells[i - 1])
            i -= 1
    return values


SEPARATOR_CELL = re.compile(r":?-{3,}:?")


def row_number(cell: str) -> str | None:
    key = match_key(cell).strip()
    m = re.fullmatch(r"\(?\s*(\d{1,3})\s*[)）.、]?", key)
    if m:
        return str(int(m[1]))
    short = cell.strip().rstrip("、.．")
    return short if 0 < len(short) <= 10 else None


def cell_units(cell: str) -> tuple[list[str], list[str]]:
    """A unit cell → (marked lead, others): "市发改委（牵头）、市财政局", "A牵头,B配合"."""
    cell = mask_pointer_glosses(cell or "")
    if (label := CELL_LABEL.match(match_key(cell))) and not CELL_LABEL.search(match_key(cell), label.end()):
        cell = cell[label.end():]  # one caption opening the cell; several labels are a note
    if not MARKED_LEAD.search(match_key(cell or "")) or "," in match_key(cell or ""):
        roles = role_units(cell)
        if roles is not None:
            return roles
    marked: list[str] = []
    others: list[str] = []
    for part in split_outside_brackets(cell or ""):
        m = MARKED_LEAD.search(match_key(part.strip()))
        if m and m.start() > 0:
            merge_units(marked, split_units(part.strip()[: m.start()]))
        else:
            merge_units(others, split_units(_CELL_DUTY.sub("", part)))
    return marked, [u for u in others if u not in marked]


# "各镇(街)做好发布工作", "区政务服务数据管理局做好技术支持和指导。": a unit cell giving each unit its
# duty: the unit is the name before the duty.
_CELL_DUTY = re.compile(r"(?<=[\u4e00-\u9fff)）])(?:做好|负责做好|提供)[^、,，;；]*$")



def table_row_units(values: dict[str, str], columns: dict[str, int]) -> tuple[list[str], list[str]]:
    """(lead, cooperating) units of a task-division table row. 责任单位 is the lead when there
    is no 牵头单位 column, unless some of its units are marked as leading."""
    lead: list[str] = []
    coop: list[str] = []
    marked, others = cell_units(values.get("lead", ""))
    if role_units(values.get("lead", "")) is not None:  # "综合处牵头，各处配合" in the lead column
        merge_units(lead, marked)
        merge_units(coop, others)
    else:
        merge_units(lead, marked + others)
    marked, others = cell_units(values.get("responsible", ""))
    if "lead" in columns and role_units(values.get("responsible", "")) is not None:
        merge_units(lead, marked)  # "综合处牵头，各处配合落实" under 责任处: its own roles
        merge_units(coop, others)
    elif "lead" in columns:
        merge_units(coop, marked + others)
    elif marked:
        merge_units(lead, marked)
        merge_units(coop, others)
    else:
        merge_units(lead, others)
    merge_units(coop, [u for pair in cell_units(values.get("cooperating", "")) for u in pair])
    return lead, [u for u in coop if u not in lead]


# --- tables whose columns are lined up with spaces --------------------------------------------
# `pdftotext -layout`, or a table typed with the space bar, keeps a row on one line and lines the
# columns up with runs of spaces. From a header row of column names such a block is rewritten as
# tab-separated rows; a heading row (一、… / （一）…) inside it stays a one-cell row.

_SPACED_CELLS = re.compile(r"[ \u3000\xa0]{2,}|\u3000+")


def _spaced_cells(row: str) -> list[str]:
    return [c for c in _SPACED_CELLS.split(row.strip()) if c]


def spaced_tables_to_tabs(text: str) -> str:
    """Rewrite tables lined up with spaces as tab-separated rows (other lines unchanged)."""
    rows = text.splitlines()
    if not any("  " in row or "\u3000" in row for row in rows):
        return text
    out: list[str] = []
    in_table = False
    for row in rows:
        if "\t" in row or "|" in row:
            in_table = False
            out.append(row)
            continue
        cells = _spaced_cells(row)
        if not in_table:
            columns = header_columns(cells) if len(cells) >= 2 else None
            if columns and {"lead", "responsible", "cooperating", "deadline"} & columns.keys():
                in_table = True
                out.append("\t".join(cells))
                continue
            out.append(row)
            continue
        from tracker.domain.plan_parsing.numbering import heading_level

        if len(cells) >= 2:
            out.append("\t".join(cells))
        elif cells and heading_level(cells[0]) in ("section", "item") and len(cells[0]) <= 40:
            out.append(f"{cells[0]}\t")
        else:
            in_table = False
            out.append(row)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")
