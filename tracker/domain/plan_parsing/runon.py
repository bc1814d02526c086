"""Task tables whose cells ran together: recover the columns (issue 9 §2, "tables as text").

Some crawls keep a web page's article as one line with the table's cells glued together, no tab,
bar or line break between them::

    …分解表工作任务工作要求牵头单位配合/责任单位一、加强…公开1.增强…环境。区经济发展局区行政
    审批局区直各有关单位，各区属事业单位，各片区管理局2.加大…

Such a line is recognised by its header (three or more column names written one after the
other) and rewritten as a tab-separated table (序号 / 工作任务 / 牵头单位 / 配合单位) that the
ordinary table reader takes (序号 / 工作任务 / 牵头单位 / 配合单位 / 完成时限). How a row is cut
(pure string rules, no unit list needed):

* **Rows** start at the next number in sequence: "一、" / "一." sections, "（一）" items and
  "N." / "N、" / "N）" / "（N）" tasks, each the one after the last (a gap of one number is
  allowed; a heading written again with its title, a merged cell repeated, is dropped).
* **Deadlines**: when the header's deadline column comes after the unit columns, each row ends
  with its deadline cell (2025年6月底前, 年底前, 全年, 持续推进, 长期坚持, 每季度 …); a row
  without one continues the merged cell above.
* **Units** are unit names (a place or 各 prefix such as 省/市/区/县/各, or any text right after a
  separator, ending with an organisation word such as 局/委/办/厅/中心/政府/单位/部门) written one
  after the other or separated by ，、；. Where a name ends is decided by its suffix and by the
  document itself: a name that occurs elsewhere followed by other text ends there.
* **Where the units are** follows the header: unit columns last → the row's tail; a
  requirement column after the unit columns (工作任务 | 牵头单位 | 责任单位 | 工作要求) → after the
  task's title, before the first 。, and the task text is "title：requirement".
* **Roles**: the lead cell's names are glued together, the other cell is a separated list, so
  the names before the last glued boundary that comes before the first separator lead and the
  rest cooperate; a run with no glued boundary (one cell) is all lead; a run with no separator
  at all is led by its first name.
* A row with no units at all continues the merged unit cell of the row above.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from tracker.domain.deadlines import chinese_numeral
from tracker.domain.plan_parsing.tables import COLUMN_NAMES
from tracker.domain.plan_parsing.text import match_key as _match_key
from tracker.domain.plan_parsing.units import FIRST_LISTED_LEADS

__all__ = ["recover_runon_tables", "split_run_units"]

RUNON_MIN = 300  # only long lines (a whole article on one line) are looked at
# The column names are the table reader's vocabulary (tables.COLUMN_NAMES); a run-together header
# is recognised by its longer names only (序号 and the four-character ones: 工作任务, 负责部门…), as
# short ones (任务, 要求) are everyday words of the text.
# Columns the tree does not keep (a remark or source column) are still part of a header.
_OTHER_COLUMNS = {"工作落实情况", "落实情况", "完成情况", "任务来源", "备注"}
_COLUMN_WORDS = tuple(sorted({name for names in COLUMN_NAMES.values() for name in names
                              if len(name) >= 4 or name == "序号"} | _OTHER_COLUMNS))
_SPACED = "|".join(sorted(("[\\s\u3000]*".join(word) for word in _COLUMN_WORDS), key=len, reverse=True))
_HEADER_RE = re.compile(
    rf"(?:(?:(?:配合|责任|牵头|协办)[/、])?(?:{_SPACED})(?:[/、](?:{_SPACED}|配合|责任))?[\s\u3000]*){{3,8}}")
_UNIT_COLUMN = re.compile(r"牵头|责任|配合|协办|参与")
_TASK_COLUMN = re.compile(r"任务|事项|工作内容")
_REQUIREMENT_COLUMN = re.compile(r"要求|措施|具体内容|目标")
_DEADLINE_COLUMN = re.compile(r"时限|时间")

_SEPARATORS = "，、；,;"
_MONTH = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})月"
# A deadline cell at the end of a row (the header's last column is 完成时限 / 时间节点 …).
_DEADLINE_CELL = (
    rf"(?:(?:\d{{4}}年)?(?:{_MONTH}(?:\d{{1,2}}日|底|末|中旬|上旬|下旬)?|年底|年末|年内|全年|上半年|下半年)"
    rf"(?:前|以前|之前)?(?:完成)?"
    rf"|持续推进|长期坚持|长期推进|持续开展|常态化推进|常态化|长期|持续|每季度|每月|每年|按季度|按月|按年度|定期|适时|及时)")
_DEADLINE_TAIL = re.compile(rf"{_DEADLINE_CELL}[\s。.]*$")
_DEADLINE_IN = re.compile(rf"(?<!\d){_DEADLINE_CELL}")
# A row group's number and title in a 序号 column with no stop ("2分解推动…的落实"): the next group.
_GROUP_NUMBER = re.compile(r"(?<![\d、.])(\d{1,2})(?![\d、.)])\s*(?=[\u4e00-\u9fff“《])")
_PREFIX = re.compile(r"省(?!级|份|内|外)|(?<!城)市(?!场|民|级)|区(?!域|别|分)|县(?!域|级)|州|盟|旗|镇|乡|各(?!类|项|种|级)|人行|国家|中共|共青团"
                     r"|相关(?=[\u4e00-\u9fff]{0,6}(?:政府|部门|单位))")
_SUFFIX_CHARS = set("局委办厅院所站队部处室科镇乡会市区县府心行位门构司团道社馆组企村")
# Words of a sentence, never of a unit name.
_TEXT_WORDS = re.compile(
    r"的|情况|范围|力度|措施|政策|机制|清单|目录|要求|制度|方案|报告|通过|按照|利用|做好|加强|推进"
    r"|及时|主动|实行|重点|加大|全面|围绕|提升|深入|密切|指导|继续|严格|深化|开展|确保|认真|明确"
    r"|规范|建立|完善|进一步|各项|以及|要|将|对|在|。|“|”|《|》|\d"
)
_FOOTER = re.compile(r"\s(?:来源[:：]|附件下载|相关附件|【打印|打印本页|关闭窗口|扫一扫|分享到|责任编辑)")


@lru_cache(maxsize=4096)
def match_key(text: str) -> str:
    """The text module's matching key, remembered: a row's text is looked at many times."""
    return _match_key(text)


# --- unit names ---------------------------------------------------------------------------------


def _core(name: str) -> str:
    """The name without a bracketed tail: "各乡镇人民政府（街道办事处）" → "各乡镇人民政府"."""
    key = match_key(name)
    if key.endswith(")") and "(" in key:
        return name[: key.rindex("(")]
    return name


_QUOTED_PART = re.compile(r"“[^“”]{1,12}”")


def _is_name(name: str, free_start: bool, check_inner: bool = True) -> bool:
    """Whether `name` reads as one unit name. `free_start`: it follows a separator, a space or
    the start of a cell, so it needs no place prefix."""
    core = _core(name)
    key = match_key(core)
    # "省“互联网+政务服务”联席办": a programme's quoted name inside the unit's name
    if (quoted := _QUOTED_PART.search(key)) and 0 < quoted.start() and quoted.end() < len(key):
        return _is_name(key[:quoted.start()] + key[quoted.end():], free_start, check_inner)
    if not 3 <= len(key) <= 14 or key[-1] not in _SUFFIX_CHARS or _TEXT_WORDS.search(key):
        return False
    if not free_start and not _PREFIX.match(key):
        return False
    if key.endswith("设区"):  # "各设区市政府": 设区市 is one word
        return False
    if check_inner:  # two names glued together are two names ("区经济发展局区行政审批局")
        for k in range(3, len(core) - 2):
            if key.startswith("各", k) and key[:k].endswith("政府"):
                continue  # "省政府各部门": the government's departments, one name
            if key[k - 1:k + 1] in ("乡镇", "镇乡"):
                continue  # "相关乡镇人民政府": 乡镇 is one word
            if _PREFIX.match(key, k) and _is_name(core[:k], free_start, False) and _is_name(core[k:], False, False):
                return False
            # "社会事业处经济发展处": a 处 (科) of a body never holds another 处 (科), so two
            # divisions' names stacked without a place prefix are two names
            if (key[k - 1] == key[-1] and key[-1] in _DIVISION_CHARS and _is_name(core[:k], True, False)
                    and _is_name(core[k:], True, False)):
                return False
    return True


_DIVISION_CHARS = "处科"


@dataclass
class _Run:
    start: int
    end: int
    names: list[str]
    glued: list[bool]  # glued[i]: names[i] and names[i + 1] are written without a separator
    joint: int | None = None  # "A会同B、C": the names before this index lead, the others cooperate


class _Lexicon:
    """What the document says about where names end: a candidate name that is followed by
    different text in different places ends there."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.cache: dict[str, int] = {}

    def variety(self, candidate: str) -> int:
        if candidate not in self.cache:
            follows = Counter(m.end() < len(self.text) and self.text[m.end()]
                              for m in re.finditer(re.escape(candidate), self.text))
            self.cache[candidate] = len(follows)
        return self.cache[candidate]


# A whole cell of a table flattened with a space between its cells ("… 政策法规处 重点办 …").
_SPACED_CELL = re.compile(r"[^\s的。,;:“”《》\d、]{2,10}(?=\s)")


def _spaced_cell(key: str, i: int) -> int | None:
    """The end of a unit name that is a whole space-delimited cell: written between spaces it
    needs no place prefix and may hold words that elsewhere mark a sentence (政策法规处, 重点办)."""
    if i == 0 or not key[i - 1].isspace() or not (m := _SPACED_CELL.match(key, i)):
        return None
    return m.end() if key[m.end() - 1] in _SUFFIX_CHARS else None


def _name_at(text: str, i: int, free_start: bool, lexicon: _Lexicon) -> int | None:
    """The end of the unit name starting at text[i], or None."""
    key = match_key(text)
    if free_start and (cell := _spaced_cell(key, i)) is not None:
        return cell
    ends = []
    depth = 0
    for j in range(i + 1, min(len(text), i + 30) + 1):
        ch = key[j - 1]
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0 or ch in _SEPARATORS and depth == 0:
            break
        if depth == 0 and j - i >= 3 and (ch == ")" or ch in _SUFFIX_CHARS) and _is_name(text[i:j], free_start):
            ends.append(j)
    if not ends:
        return None
    for j in ends:
        after = key[j:j + 1]
        if key.startswith("(", j):
            continue  # the bracketed tail belongs to the name
        if key.startswith(("政府", "人民政府"), j) or (after == "各" and key[i:j].endswith("政府")):
            continue  # "各设区市" + "政府" is the city's government; "省政府" + "各部门" its departments
        if key[j - 1] + after in ("乡镇", "镇乡"):
            continue  # "相关乡镇人民政府": 乡镇 is one word
        if not after or after in _SEPARATORS or after.isspace() or after.isdigit():
            return j
        if _PREFIX.match(key, j) and _name_at(text, j, False, lexicon) is not None:
            return j  # another name glued on
        if lexicon.variety(candidate := text[i:j]) > 1 and len(candidate) >= 4:
            return j
    return ends[0]


def _chain(text: str, i: int, free_start: bool, lexicon: _Lexicon) -> _Run | None:
    """Names from text[i]: glued ones first (the lead cell), then separated ones; a name glued
    on after a separator has been seen starts the next column's text, so the run ends."""
    key = match_key(text)
    end = _name_at(text, i, free_start, lexicon)
    if end is None:
        return None
    run = _Run(i, end, [text[i:end]], [])
    separated = False
    pos = end
    while pos < len(text):
        if tail := _LIST_TAIL.match(key, pos):  # "教育厅等相关部门，…": the list goes on
            pos = run.end = tail.end()
        j = pos
        while j < len(text) and key[j] in " \u3000":
            j += 1
        if key.startswith("会同", j) and run.joint is None:
            run.joint = len(run.names)
            j += 2
            nxt = _name_at(text, j, True, lexicon)
            if nxt is None:
                run.joint = None
                break
            run.names.append(text[j:nxt])
            run.glued.append(False)
            separated = True
            run.end = pos = nxt
            continue
        sep = j < len(text) and key[j] in _SEPARATORS
        if sep:
            j += 1
            while j < len(text) and key[j] in " \u3000":
                j += 1
        elif separated and j == pos:
            break
        # after a name ending in its bracket ("各处室（中心）东庠办事处") the next name needs no prefix
        nxt = _name_at(text, j, sep or j > pos or key[j - 1] == ")", lexicon) if j < len(text) else None
        if nxt is None:
            break
        run.names.append(text[j:nxt])
        run.glued.append(not sep)
        separated = separated or sep
        run.end = pos = nxt
    return run


_LIST_TAIL = re.compile(r"等(?:相关|有关)?(?:单位|部门)(?=[，、；,;])")


def _run_units(run: _Run) -> tuple[list[str], list[str]]:
    if run.joint is not None:  # "省公安厅会同省人社厅、卫计委…": the first names lead
        return run.names[:run.joint], run.names[run.joint:]
    return split_run_units(run.names, run.glued)


def split_run_units(names: list[str], glued: list[bool]) -> tuple[list[str], list[str]]:
    """(lead, cooperating) of a run of names: see the module docstring."""
    first_sep = next((k for k, g in enumerate(glued) if not g), None)
    if first_sep is None:  # all glued: the first cell's name leads
        return names[:1], names[1:]
    last_glue = max((k for k in range(first_sep) if glued[k]), default=None)
    if last_glue is None:
        return names, []
    return names[: last_glue + 1], names[last_glue + 1:]


# --- rows ---------------------------------------------------------------------------------------


def _task_number(n: int, bare: bool = False) -> re.Pattern:
    if bare:  # "…措施。各处室 2对标…": a 序号 cell with no stop, before the task's first word
        return re.compile(rf"{n}(?![\d.、)]|[{_COUNTED}])(?=[\u4e00-\u9fff“《])")
    return re.compile(rf"(?:{n}\s*[.、)](?!\d)|\(\s*{n}\s*\))")


# What a number counts in a sentence ("1次", "3个月"): such a number is no bare 序号.
_COUNTED = "年月日号次个名家项条份人万亿元天周批类台辆处所座户件倍期届岁分级层米亩吨"


# a numeral that ends a word (统一、 / 之一、 / 第一、) is not a section heading
_NOT_BEFORE_SECTION = set("统唯逐之第万周其初单")


def _tokens(body: str, bare: bool = False) -> list[tuple[str, str, int, int]]:
    """(kind, number, start, end) of the headings and task numbers, each the next in sequence
    (task numbers may also start again at 1 right after a heading). A heading written again
    with the same title (a merged cell repeated on each row) is a "repeat"."""
    key = match_key(body)
    found: list[tuple[str, str, int, int]] = []
    section = item = task = 0
    section_at = item_at = 0  # where the current section's / item's title starts
    pos = 0
    candidates: list = []
    state = None
    while pos < len(key):
        after_heading = not found or found[-1][0] in ("section", "item", "repeat")
        after_section = bool(found) and found[-1][0] == "section"
        if state != (section, item, task, after_heading, after_section):  # what is expected next has changed
            state = (section, item, task, after_heading, after_section)
            candidates = [
                ("section", section + 1, re.compile(rf"{chinese_numeral(section + 1)}\s*[、.]")),
                ("repeat", section, re.compile(rf"{chinese_numeral(section)}\s*[、.]\s*{re.escape(key[section_at:section_at + 4])}")
                 if section else None),
                ("item", item + 1, re.compile(rf"\(\s*{chinese_numeral(item + 1)}\s*\)")),
                # items numbered afresh in each section, or running on across sections
                ("item", 1, re.compile(rf"\(\s*{chinese_numeral(1)}\s*\)") if item and after_section else None),
                ("repeat", item, re.compile(rf"\(\s*{chinese_numeral(item)}\s*\)\s*{re.escape(key[item_at:item_at + 4])}")
                 if item else None),
                ("task", task + 1, _task_number(task + 1, bare)),
                ("task", task + 2, _task_number(task + 2, bare) if task else None),  # a gap in the numbers
                ("task", 1, _task_number(1, bare) if after_heading and task else None),
            ]
        hit = None
        for kind, number, pattern in candidates:
            if pattern is None:
                continue
            m = pattern.match(key, pos)
            if not m:
                continue
            if kind == "task" and pos and key[pos - 1].isdigit():
                continue
            if kind == "task" and number > 1 and _continues_inner_list(key, found[-1][3] if found else 0, pos, number):
                continue
            if kind == "section" and pos and key[pos - 1] in _NOT_BEFORE_SECTION:
                continue
            hit = (kind, number, m)
            break
        if hit is None:
            pos += 1
            continue
        kind, number, m = hit
        if kind == "section":
            section, section_at = number, m.end()
        elif kind == "item":
            item, item_at = number, m.end()
        elif kind == "task":
            task = number
        found.append((kind, chinese_numeral(number) if kind in ("section", "repeat", "item") else str(number),
                      m.start(), m.end()))
        pos = m.end()
    return found


_LIST_NUMBER = re.compile(r"(?<!\d)(\d{1,2})\s*[.、](?!\d)")


def _continues_inner_list(key: str, start: int, pos: int, number: int) -> bool:
    """Whether the number at key[pos] goes on a list numbered afresh inside the row since the
    last token (a 任务来源 cell "1、《…》2、《…》"), rather than the rows' own numbers."""
    inner = [int(m[1]) for m in _LIST_NUMBER.finditer(key, start, pos)]
    return bool(inner) and inner[0] == 1 and inner == list(range(1, len(inner) + 1)) and number == len(inner) + 1


def _deadline_then_units(segment: str, lexicon: _Lexicon) -> tuple[str, str, _Run, str] | None:
    """A row whose deadline cell comes before its unit cell ("…领导小组3月区经发局区环土局1、…"):
    (task text, deadline, the unit names, what follows them) at the last deadline phrase that a
    run of unit names follows."""
    key = match_key(segment)
    # the last such phrase: one inside the task's sentence ("至少每季度召开…") comes before it
    for m in reversed(list(_DEADLINE_IN.finditer(key))):
        if m.start() == 0:
            continue
        run = _chain(segment, m.end(), True, lexicon)
        if run is not None:
            return segment[:m.start()].strip(), segment[m.start():m.end()].strip(), run, segment[run.end:]
    return None


def _group_title(text: str, number: int) -> tuple[int, str] | None:
    """(where it starts, title) of group `number` written at the end of `text` ("2分解推动…")."""
    key = match_key(text)
    for m in _GROUP_NUMBER.finditer(key):
        title = text[m.end():].strip()
        if int(m[1]) == number and title and not _LIST_NUMBER.search(key, m.end()):
            return m.start(), title
    return None


def split_deadline(segment: str) -> tuple[str, str | None]:
    """A row's text → (the text before its trailing deadline cell, the deadline as written)."""
    m = _DEADLINE_TAIL.search(match_key(segment.rstrip(" \u3000")))
    if m is None or m.start() == 0:
        return segment, None
    return segment[: m.start()], segment[m.start(): m.end()].strip(" \u3000。.")


def _glued_names(text: str) -> list[str] | None:
    """`text` cut into unit names written one after the other ("政法综治处交通与建设处"), the
    shortest names first, or None unless the whole text is such names."""
    key = match_key(text)
    if not key or key[-1] not in _SUFFIX_CHARS | {")"}:
        return None

    def cut(i: int) -> list[str] | None:
        if i == len(text):
            return []
        for j in range(i + 3, min(len(text), i + 14) + 1):
            if key[j - 1] in _SUFFIX_CHARS and _is_name(text[i:j], True, False) and (rest := cut(j)) is not None:
                return [text[i:j], *rest]
        return None

    return cut(0)


def _cells(segment: str, layout: str, lexicon: _Lexicon) -> tuple[str, list[str], list[str]] | None:
    """(task text, lead, cooperating) of one row's text."""
    key = match_key(segment)
    if layout == "tail":
        stripped = segment.rstrip(" \u3000")
        for i in range(2, len(stripped)):
            # a unit cell right after the task's full stop needs no place prefix either
            free = key[i - 1] in _SEPARATORS or key[i - 1].isspace() or key[i - 1] == "。"
            if not (free or _PREFIX.match(key, i)):
                continue
            run = _chain(stripped, i, free, lexicon)
            if run and run.end == len(stripped):
                lead, coop = _run_units(run)
                return stripped[:i].strip(), lead, coop
        stop = key.rfind("。", 0, len(stripped))
        if 0 < stop < len(stripped) - 1 and (names := _glued_names(stripped[stop + 1:])):
            # "…措施。政法综治处交通与建设处": a unit cell of names stacked with no place prefix
            return stripped[:stop + 1].strip(), names[:1], names[1:]
        return segment.strip(), [], []
    # middle: title, units, requirement. A lone name glued to text on both sides is weak
    # evidence ("消费市场运行情况"): a run with more names or a separator after it wins.
    stop = key.find("。")
    stop = len(key) if stop < 0 else stop
    weak = None
    for i in range(2, stop):
        free = key[i - 1].isspace()
        if not (free or _PREFIX.match(key, i)):
            continue
        run = _chain(segment, i, free, lexicon)
        if run is None:
            continue
        after = key[run.end:run.end + 1]
        if len(run.names) > 1 or free or not after or after in _SEPARATORS or after.isspace():
            return _middle_cells(segment, run)
        if i >= _TITLE_MIN:  # "推动市县两级政府工作部门…": a name inside the title, not after it
            weak = weak or run
    return _middle_cells(segment, weak) if weak else (segment.strip(), [], [])


_TITLE_MIN = 4  # a task's title before its unit cell is a phrase, not a lone verb (推动)


def _middle_cells(segment: str, run: _Run) -> tuple[str, list[str], list[str]]:
    lead, coop = _run_units(run)
    title, requirement = segment[:run.start].strip(), segment[run.end:].strip()
    return (f"{title}：{requirement}" if requirement else title), lead, coop


def _squeeze(header: str) -> str:
    return re.sub(r"[\s\u3000]", "", header)


def _layout(header: str) -> str:
    """"tail" when the unit columns come last, "middle" when a requirement column follows them."""
    key = _squeeze(header)
    unit = _UNIT_COLUMN.search(key)
    requirement = [m.start() for m in _REQUIREMENT_COLUMN.finditer(key)]
    return "middle" if unit and requirement and requirement[-1] > unit.start() else "tail"


def _table_header(key: str, start: int = 0) -> re.Match | None:
    """The first run of column names from key[start] that names a task and a unit column."""
    return next((m for m in _HEADER_RE.finditer(key, start)
                 if _UNIT_COLUMN.search(_squeeze(m[0])) and _TASK_COLUMN.search(_squeeze(m[0]))), None)


def _without_header(segment: str) -> str:
    """A row's text without the table's header written again inside it (at a page break)."""
    while (header := _table_header(match_key(segment))) is not None:
        segment = f"{segment[:header.start()].rstrip()} {segment[header.end():].lstrip()}"
    return segment


def _recover_line(row: str) -> str | None:
    key = match_key(row)
    header = _table_header(key)
    if header is None:
        return None
    columns = _squeeze(header[0])
    # a deadline column after the unit columns: each row ends with its deadline cell
    deadline_last = bool((d := list(_DEADLINE_COLUMN.finditer(columns)))
                         and d[-1].start() > _UNIT_COLUMN.search(columns).start())
    # … before them: each row is text, deadline, units, then what a column after them holds
    deadline_first = bool(d) and d[0].start() < _UNIT_COLUMN.search(columns).start()
    first_leads = bool(FIRST_LISTED_LEADS.search(key, header.end()))
    footer = _FOOTER.search(key, header.end())
    body_end = footer.start() if footer else len(row)
    body = row[header.end(): body_end]
    tokens = _tokens(body)
    if sum(1 for t in tokens if t[0] == "task") < 2:
        # no "1." / "1、" numbers: a 序号 cell written with no stop ("1认真学习…"), each the next
        tokens = _tokens(body, bare=True)
    if sum(1 for t in tokens if t[0] == "task") < 2:
        return None
    # one unit column (责任单位 only): every name of a row's unit cell is responsible, none cooperates
    single_unit_column = len(_UNIT_COLUMN.findall(columns)) == 1
    layout = _layout(header[0])
    lexicon = _Lexicon(row)
    lines = [row[: header.start()].rstrip(), "序号\t工作任务\t牵头单位\t配合单位\t完成时限"]
    units: tuple[list[str], list[str]] = ([], [])
    last_deadline: str | None = None
    group = 0  # row groups numbered in the 序号 column with no stop (deadline_first tables)
    spaced_rows: list[int] = []  # rows whose unit names are set off by spaces, one lead and 2+ others
    before = body[: tokens[0][2]].strip()
    if deadline_first and before and (first := _group_title(before, 1)):
        lines.append(f"1 {first[1]}\t\t\t\t")
        group, before = 1, before[: first[0]].strip()
    if tokens[0][2] > 0 and before:
        lines.append(before)
    for index, (kind, number, _start, end) in enumerate(tokens):
        nxt = tokens[index + 1][2] if index + 1 < len(tokens) else len(body)
        segment = _without_header(body[end:nxt])
        if kind == "repeat":
            continue
        if kind == "section":
            lines.append(f"{number}、{segment.strip()}\t\t\t\t")
            units, last_deadline = ([], []), None
        elif kind == "item":
            lines.append(f"（{number}）{segment.strip()}\t\t\t\t")
            units, last_deadline = ([], []), None
        else:
            deadline = None
            if deadline_first and (cells := _deadline_then_units(segment, lexicon)) is not None:
                text, deadline, run, rest = cells
                names = list(run.names)
                group_at = _group_title(rest, group + 1)
                listed = _LIST_NUMBER.search(match_key(rest))
                end = min(group_at[0] if group_at else len(rest), listed.start() if listed else len(rest))
                if more := _glued_names(rest[:end].strip()):
                    # "…区农发局三十六脚湖水库管理处4畜禽…": one more name with no place prefix
                    names += more
                    run = _Run(run.start, run.end, names, run.glued + [True] * len(more))
                lead, coop = (names[:1], names[1:]) if first_leads else _run_units(run)
                if single_unit_column and not first_leads:
                    lead, coop = lead + coop, []
                units = (lead, coop)
                lines.append("\t".join([number, text, "、".join(lead), "、".join(coop), deadline]))
                if (next_group := _group_title(rest, group + 1)) is not None:
                    group += 1
                    lines.append(f"{group} {next_group[1]}\t\t\t\t")
                continue
            if deadline_last:
                segment, deadline = split_deadline(segment)
                deadline = deadline or last_deadline  # a merged deadline cell spans rows
                last_deadline = deadline
            text, lead, coop = _cells(segment, layout, lexicon)
            if single_unit_column:
                lead, coop = lead + coop, []
            if lead or coop:
                units = (lead, coop)
            if " ".join([*lead, *coop]) in segment and len(lead) == 1 and len(coop) >= 2:
                spaced_rows.append(len(lines))
            lines.append("\t".join([number, text, "、".join(units[0]), "、".join(units[1]), deadline or ""]))
    _second_column_names(lines, spaced_rows)
    lines.append(row[body_end:].strip())
    return "\n".join(line for line in lines if line)


def _second_column_names(lines: list[str], spaced_rows: list[int]) -> None:
    """"4.推动…监管 政策法规处 局办公司 各有关处室 要制定…": three names set off by spaces for the
    two unit columns, the empty cell between them lost. The names the table's two-name rows put in
    the second column (各有关处室) are that column's; the names before them share the lead cell."""
    cells = [line.split("\t") for line in lines]
    rows = [c for c in cells if len(c) == 5 and c[2]]
    second = {c[3] for c in rows if c[3] and "、" not in c[2] and "、" not in c[3]}
    for index in spaced_rows:
        number, text, lead, coop, deadline = cells[index]
        names = coop.split("、")
        k = next((i for i, name in enumerate(names) if name in second), 0)
        if k:
            lines[index] = "\t".join([number, text, "、".join([lead, *names[:k]]), "、".join(names[k:]), deadline])


def recover_runon_tables(text: str) -> str:
    """Rewrite every long line holding a run-together task table as tab-separated rows."""
    if not any(len(row) > RUNON_MIN for row in text.splitlines()):
        return text
    rows = []
    for row in text.splitlines():
        recovered = _recover_line(row) if len(row) > RUNON_MIN else None
        rows.append(recovered if recovered is not None else row)
    return "\n".join(rows)
