"""Text → plan tree. Pure: no I/O (documents.py turns files into text).

A 政务公开 work plan reads, in order:

* a distribution cover (文号, 关于印发《…》的通知, addressee, 现将…印发给你们, signature,
  （信息公开形式：…）, …印发, 共印：N份) — skipped, but the 文号 and signature are kept as metadata;
* the plan's own title (possibly split over two lines) and a preamble;
* the body: sections "一、", items "（一）", tasks "1." / "（1）" / "⑴" or plain paragraphs, and/or a
  task-division table pasted as tab- or "|"-separated rows;
* optionally the attached 解读, kept apart as ``interpretation``.

Decisions for ambiguous input (kept stable; tests pin them):

* Every non-empty line that is not a heading is one paragraph; blank lines carry no meaning.
* A task's ``text`` is the paragraph as written minus its leading number ("1. "); unit and
  deadline notes are left in the text.
* A plain paragraph right after a numbered task (same item) continues that task ("\\n"-joined),
  and so do lines numbered in another style than the item's tasks ("1." tasks, "（1）" points).
* Items without a section level (only "（一）…") go into one section numbered "一" titled with the
  plan title; tasks without any heading go into that section's unnumbered item.
* An item left with no task lines becomes one task made from its heading, so that one-line items
  ("（三）做好X工作（市发改委负责）") stay trackable.
* A table that follows prose becomes a section of its own, numbered after the last section and
  titled with its caption line or "任务分解表"; its grouping rows become items. A table with no
  prose around it maps its grouping rows ("一、…" / merged rows) to sections.
* ``interpretation`` starts with the 解读 heading itself (a two-line heading joined into one line),
  followed by the remaining non-empty lines, "\\n"-joined.
* ``year`` comes from the title, else the 文号, else the signature date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from tracker.domain.deadlines import chinese_number, resolve_deadline, resolve_deadline_phrase
from tracker.domain.plan_model import (
    ParsedItem,
    ParsedPlan,
    ParsedSection,
    ParsedTask,
    PlanParseError,
)

__all__ = ["extract_units", "heading_level", "is_heading_line", "parse_plan_text", "split_units"]

# User-facing messages (Chinese), collected so that an English table can follow.
MESSAGES = {
    "empty": "文本为空",
    "no_structure": "未识别到任何编号结构（如“一、”“（一）”“1.”）或任务分解表",
    "duplicate_task": "任务编号“{number}”重复",
}
DEFAULT_TABLE_TITLE = "任务分解表"
DEFAULT_SECTION_TITLE = "工作任务"

# --- normalisation -------------------------------------------------------------------------

# Matching runs on a same-length "key" copy of each line: full-width ASCII made half-width,
# 〔〕【】 made [], traditional characters made simplified. Slices of the key therefore map back
# to the original one to one, so extracted text is always returned as written.
_TRADITIONAL = (
    "牽牵頭头單单門门處处責责負负辦办協协參参與与聯联會会時时間间號号編编務务點点體体讀读"
    "關关於于發发給给們们現现將将開开動动計计劃划見见員员廳厅隊队組组區区縣县鎮镇級级項项"
    "內内實实進进類类規规範范報报應应領领導导總总備备註注說说歸归貳贰陸陆長长續续態态當当"
    "於于為为這这爲为題题構构層层屬属據据標标準准週周廣广傳传響响話话專专屆届黨党環环節节"
)
_KEY_MAP = {0xFF01 + i: 0x21 + i for i in range(94)}  # full-width ASCII → ASCII
_KEY_MAP.update({0x3000: " ", 0x00A0: " ", 0x3014: "[", 0x3015: "]", 0x3010: "[", 0x3011: "]",
                 0xFE5D: "[", 0xFE5E: "]"})
_KEY_MAP.update({ord(_TRADITIONAL[i]): _TRADITIONAL[i + 1] for i in range(0, len(_TRADITIONAL), 2)})
_FINANCIAL = str.maketrans("壹贰叁参肆伍陆柒捌玖拾", "一二三三四五六七八九十")


def _key(text: str) -> str:
    return text.translate(_KEY_MAP)


@dataclass
class _Line:
    no: int  # 1-based line number in the source text
    text: str  # stripped, as written
    key: str  # same length as text, for matching
    raw: str = ""  # stripped of spaces but not of tabs: a table row keeps its empty edge cells


# --- line classification -------------------------------------------------------------------

_NUMERAL = "一二三四五六七八九十百〇零两壹贰叁参肆伍陆柒捌玖拾"
_SECTION_RE = re.compile(rf"([{_NUMERAL}]{{1,4}})\s*[、.]\s*")
_ITEM_RE = re.compile(rf"\(\s*([{_NUMERAL}]{{1,4}})\s*\)\s*[、.]?\s*")
_TASK_RES = (
    re.compile(r"(\d{1,3})\s*(?:[.、)](?!\d))\s*"),
    re.compile(r"\(\s*(\d{1,3})\s*\)\s*[、.]?\s*"),
)
_PAREN_DIGITS = {chr(0x2474 + i): str(i + 1) for i in range(20)}  # ⑴…⒇


def _section_heading(line: _Line) -> tuple[str, str] | None:
    m = _SECTION_RE.match(line.key)
    return (m[1].translate(_FINANCIAL), line.text[m.end():].strip()) if m else None


def _item_heading(line: _Line) -> tuple[str, str] | None:
    m = _ITEM_RE.match(line.key)
    return (f"（{m[1].translate(_FINANCIAL)}）", line.text[m.end():].strip()) if m else None


def _task_heading(line: _Line) -> tuple[str, str, str] | None:
    """(number, text, style): style "dot" for 1. / 1、, "paren" for （1） / ⑴."""
    for pattern, style in zip(_TASK_RES, ("dot", "paren"), strict=True):
        m = pattern.match(line.key)
        if m:
            return str(int(m[1])), line.text[m.end():].strip(), style
    if line.text and line.text[0] in _PAREN_DIGITS:
        return _PAREN_DIGITS[line.text[0]], line.text[1:].strip(), "paren"
    return None


def heading_level(text: str) -> str | None:
    """"section" (一、), "item" (（一）), "task" (1. / （1） / ⑴) or None for other lines."""
    line = _Line(0, text.strip(), _key(text.strip()))
    if _section_heading(line):
        return "section"
    if _item_heading(line):
        return "item"
    return "task" if _task_heading(line) else None


def is_heading_line(text: str) -> bool:
    """Whether a line starts a section, item or numbered task (used to re-join PDF lines)."""
    return heading_level(text) is not None


def _split_title(rest: str) -> tuple[str, str | None]:
    """"重大政策及时发布。各部门要…" → ("重大政策及时发布", "各部门要…")."""
    title, stop, after = rest.partition("。")
    return title.strip(), (after.strip() or None) if stop else None


# --- metadata --------------------------------------------------------------------------------

_DOC_NO_RE = re.compile(r"([\u4e00-\u9fff]{1,8})\s*[\[(]\s*(\d{4})\s*[\])]\s*(\d{1,5})\s*号")
_CN_YEAR = "〇零○Ｏ0一二三四五六七八九"
_DATE_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_CN_DATE_RE = re.compile(rf"([{_CN_YEAR}]{{4}})\s*年\s*([一二三四五六七八九十]{{1,3}})\s*月"
                         rf"\s*([一二三四五六七八九十]{{1,3}})\s*日")
_YEAR_RE = re.compile(rf"(\d{{4}}|[{_CN_YEAR}]{{4}})\s*年")
_TITLE_WORDS = re.compile(r"方案|要点|计划|安排|意见|办法|清单|通知|分工|任务|细则|措施")
_SENTENCE_END = "。；;，,：:！？!?、"


def _cn_year(text: str) -> int | None:
    if text.isdigit() and text.isascii():
        return int(text)
    digits = "".join(str(chinese_number(ch) if ch not in "〇零○Ｏ" else 0) for ch in text)
    return int(digits) if digits.isdigit() and len(digits) == 4 else None


def _iso_date(y: int | None, m: int | None, d: int | None) -> str | None:
    try:
        return date(y, m, d).isoformat() if y and m and d else None
    except ValueError:
        return None


def _date_only(key: str) -> str | None:
    """A line that is only a date (a signature date) → ISO date."""
    text = key.strip()
    m = _DATE_RE.fullmatch(text)
    if m:
        return _iso_date(int(m[1]), int(m[2]), int(m[3]))
    m = _CN_DATE_RE.fullmatch(text)
    if m:
        return _iso_date(_cn_year(m[1]), chinese_number(m[2]), chinese_number(m[3]))
    return None


def _doc_number(line: _Line) -> str | None:
    """A 文号 on a line of its own (or at the end of a cover title): 苏规办〔2018〕17号."""
    m = _DOC_NO_RE.search(line.key)
    if not m or "《" in line.key[: m.start()] or len(line.key) - (m.end() - m.start()) > 12:
        return None
    return f"{line.text[m.start(1):m.end(1)]}〔{m[2]}〕{m[3]}号"


def _title_like(text: str) -> bool:
    return 0 < len(text) <= 60 and "。" not in text and text[-1] not in _SENTENCE_END


def _issuer_like(text: str) -> bool:
    return (_title_like(text) and len(text) <= 30 and not _TITLE_WORDS.search(text)
            and not _YEAR_RE.search(text))


# Distribution cover/footer lines and page numbers that are never plan content.
_FOOTER_RE = re.compile(
    r"\(?\s*(?:信息)?公开(?:形式|方式|属性|类别)\s*:.*"
    r"|.{0,40}日\s*印发|共印\s*:?.*份|抄送\s*:.*|主题词\s*:.*|签发人\s*:.*|\(?此页无正文\)?|\(此件[^()]{0,12}\)"
    r"|[-—–]?\s*\d{1,3}\s*[-—–]?|第\s*\d+\s*页.*"
)
_RED_HEADER_RE = re.compile(r".{1,30}文件")  # "苏州市规划局文件" above the 文号
_ATTACHMENT_RE = re.compile(r"附件\s*\d*\s*(?::\s*(.*))?")
_COVER_TITLE_START = re.compile(r".{0,30}?关于(?:印发|转发|下发|发布)")  # [issuer]关于印发…
_COVER_BODY_RE = re.compile(r".*(?:印发|转发)给你们.*|现将.{0,80}(?:印发|转发).*|[请望]认真.{0,20}执行.{0,3}")
_ADDRESSEE_RE = re.compile(r"(?!.*(?:如下|做好|要求))[^。]{0,20}各[^。]{0,50}:")


def _is_footer(line: _Line) -> bool:
    return bool(_FOOTER_RE.fullmatch(line.key)) and _date_only(line.key) is None


@dataclass
class _Front:
    title: str | None = None
    cover_title: str | None = None
    issuer: str | None = None
    doc_number: str | None = None
    issued_on: str | None = None
    preamble: str | None = None


def _read_front(lines: list[_Line]) -> _Front:
    """Metadata, title and preamble from the lines before the body's first heading."""
    front = _Front()
    candidates: list[tuple[int, _Line]] = []  # (index in `lines`, line) of possible title/preamble
    i = 0
    while i < len(lines):
        line = lines[i]
        key = line.key
        if front.doc_number is None and (number := _doc_number(line)):
            front.doc_number = number
            if _DOC_NO_RE.match(key.strip("()[] ")):
                i += 1
                continue
        if _COVER_TITLE_START.match(key):
            # 关于印发《…\n…》的通知 may be broken over a few lines.
            j, joined = i, line.text
            while "通知" not in _key(joined) and j + 1 < len(lines) and j - i < 3:
                j += 1
                joined += lines[j].text
            if "通知" in _key(joined):
                inner = re.search(r"《(.+?)》", joined)
                front.cover_title = inner[1] if inner else re.sub(r"^.*?关于(印发|转发|下发|发布)|的?通知.*$", "", joined)
                m = _DOC_NO_RE.search(_key(joined))
                if front.doc_number is None and m:
                    front.doc_number = f"{joined[m.start(1):m.end(1)]}〔{m[2]}〕{m[3]}号"
                i = j + 1
                continue
        if _COVER_BODY_RE.fullmatch(key):
            # "现将《X》印发给你们": X names the plan when nothing better does.
            inner = re.search(r"《(.+?)》", line.text)
            front.cover_title = front.cover_title or (inner[1] if inner else None)
            i += 1
            continue
        if (_ADDRESSEE_RE.fullmatch(key) or _is_footer(line) or _ATTACHMENT_RE.fullmatch(key)
                or _RED_HEADER_RE.fullmatch(key)):
            i += 1
            continue
        date = _date_only(key)
        if date:
            # A signature: the date line, and the issuer line right above it.
            front.issued_on = front.issued_on or date
            if candidates and candidates[-1][0] == i - 1 and _issuer_like(candidates[-1][1].text):
                front.issuer = front.issuer or candidates.pop()[1].text
            i += 1
            continue
        candidates.append((i, line))
        i += 1

    # The title: the run of adjacent title-like lines just before the first prose line.
    start = next((n for n, (_, c) in enumerate(candidates) if not _title_like(c.text)), len(candidates))
    first = start
    while (first > 0 and start - first < 3 and _title_like(candidates[first - 1][1].text)
           and (first == start or candidates[first][0] == candidates[first - 1][0] + 1)):
        first -= 1
    if first < start:
        front.title = "".join(c.text for _, c in candidates[first:start])
    preamble = [c.text for _, c in candidates[start:]]
    front.preamble = "\n".join(preamble) or None
    return front


def _issuer_from_title(title: str) -> str | None:
    """"苏州市规划局2018年政务公开…" → "苏州市规划局"."""
    m = _YEAR_RE.search(_key(title))
    prefix = title[: m.start()].strip() if m else ""
    if len(prefix) < 2 or _key(prefix).startswith("关于") or not _issuer_like(prefix):
        return None
    return prefix


def _year_of(*texts: str | None) -> int | None:
    for text in texts:
        if text:
            m = _YEAR_RE.search(_key(text))
            year = _cn_year(m[1]) if m else None
            if year and 1900 <= year <= 2200:
                return year
    return None


# --- the 解读 --------------------------------------------------------------------------------

_INTERP_RE = re.compile(r"(?:关于)?《[^《》]+》(?:的)?(?:政策)?解读(?:材料|说明|稿)?|(?:政策)?解读(?:材料)?:?")


def _interpretation_heading(lines: list[_Line], i: int) -> int:
    """How many lines (1-3) the 解读 heading starting at lines[i] spans, or 0."""
    key = lines[i].key
    joined, span = key, 1
    if "《" in key and "》" not in key:  # 《…\n…》解读
        while "》" not in joined and i + span < len(lines) and span < 3:
            joined += lines[i + span].key
            span += 1
    joined = joined.strip()
    if len(joined) > 80 or "。" in joined:
        return 0
    if _INTERP_RE.fullmatch(joined):
        return span
    if joined.endswith("解读") and _TITLE_WORDS.search(joined) and not is_heading_line(joined):
        return span
    return 0


# --- units -----------------------------------------------------------------------------------

_LEAD_LABELS = "牵头单位|牵头部门|牵头处室|牵头科室|主责单位|主办单位|牵头责任单位|主要责任单位|牵头"
_RESP_LABELS = "责任单位|责任部门|责任处室|责任科室|负责单位|负责部门|承办单位|责任主体"
_COOP_LABELS = "配合单位|配合部门|配合处室|配合科室|协办单位|参与单位|协同单位|参加单位"
_OTHER_LABELS = "完成时限|完成时间|时间要求|时限要求|完成期限|时间节点|时限"
_LABEL_RE = re.compile(
    rf"(?:(?P<lead>{_LEAD_LABELS})|(?P<resp>{_RESP_LABELS})|(?P<coop>{_COOP_LABELS})"
    rf"|(?P<other>{_OTHER_LABELS}))\s*:\s*"
)
_NOTE_RE = re.compile(r"\(([^()]{1,200})\)")
_VALUE_STOP = re.compile(r"[。()]")  # a labelled unit list ends at the sentence or note end
_UNIT_WORDS = re.compile(rf"{_LEAD_LABELS}|{_RESP_LABELS}|{_COOP_LABELS}|负责|配合|参与|协办|协助")
_NOTE_LEAD = re.compile(r"由?(.+?)(?:按职责分工|按职责|分别|共同)?(牵头负责|牵头|负责|主办|主责)")
_NOTE_COOP = re.compile(r"由?(.+?)(?:按职责分工|按职责|共同)?(配合|参与|协办|协助|协同)")
_PROSE_LEAD = re.compile(r"由(?!于)([^,;。:()由]{1,40}?)(牵头负责|牵头|负责|主办)")
_PROSE_WITH = re.compile(r"(?:联合|会同|协同|协调)([^,;。:()]{1,60})")
_PROSE_COOP = re.compile(r"[,;]([^,;。:()]{1,40}?)(?:共同)?(配合|参与|协助)")
_UNIT_SPLIT = re.compile(r"[、，,；;/／\n]")
_UNIT_TAIL = re.compile(r"等(?:相关)?(?:单位|部门|处室|科室)?$|(?:牵头|负责|配合)$")
_UNIT_END = re.compile(
    r".*(?:部门|单位|处室|办公室|中心|分局|委员会|政府|公司|集团|街道|局|委|办|厅|处|室|科|所|院|站|队|部|署|会|组|镇|乡)"
)
_VERB_RE = re.compile(
    r"解读|开展|做好|推进|组织|共同|进行|制定|建立|完善|落实|加强|研究|编制|发布|公开|举办|召开|实施|围绕|针对|通过"
)
_MARKED_LEAD = re.compile(r"\(\s*牵头\s*\)|牵头$")


def split_units(text: str | None) -> list[str]:
    """"局办公室、规划处；宣传部门等" → ["局办公室", "规划处", "宣传部门"] (as written, 等 dropped)."""
    units: list[str] = []
    for part in _UNIT_SPLIT.split(text or ""):
        part = part.strip(" \t\u3000\"'“”‘’。.")
        if part.startswith("由"):
            part = part[1:]
        tail = _UNIT_TAIL.search(_key(part))
        if tail and tail.start() > 0:
            part = part[: tail.start()].strip()
        if part and part not in units and len(part) <= 40:
            units.append(part)
    return units


def _trim_to_unit(text: str) -> str:
    """"宣传部门解读重点政策" → "宣传部门": cut a unit name out of the clause that follows it."""
    key = _key(text)
    verb = _VERB_RE.search(key, 1)
    if verb:
        text, key = text[: verb.start()], key[: verb.start()]
    m = _UNIT_END.match(key)
    return text[: m.end()] if m else ""


def _merge(units: list[str], more: list[str]) -> None:
    units.extend(u for u in more if u not in units)


def _labelled_units(text: str, key: str, lead: list[str], coop: list[str]) -> bool:
    """牵头单位：A、B；责任单位：C；配合单位：D. Returns whether any unit label was found."""
    labels = list(_LABEL_RE.finditer(key))
    kinds = [m.lastgroup for m in labels]
    for index, m in enumerate(labels):
        if m.lastgroup == "other":
            continue
        end = labels[index + 1].start() if index + 1 < len(labels) else len(key)
        stop = _VALUE_STOP.search(key, m.end(), end)
        value = split_units(text[m.end(): stop.start() if stop else end])
        # 责任单位 is the lead unless a 牵头单位 is named too.
        if m.lastgroup == "lead" or (m.lastgroup == "resp" and "lead" not in kinds):
            _merge(lead, value)
        else:
            _merge(coop, value)
    return any(kind != "other" for kind in kinds)


def _note_units(text: str, key: str, lead: list[str], coop: list[str]) -> None:
    """Verb-form notes: "市发改委牵头，市财政局配合", "市发展改革委负责"."""
    pos = 0
    for segment in re.split(r"([,;])", key):
        start, pos = pos, pos + len(segment)
        seg = segment.strip()
        if not seg or seg in ",;":
            continue
        original = text[start:pos].strip()
        lead_m, coop_m = _NOTE_LEAD.fullmatch(seg), _NOTE_COOP.fullmatch(seg)
        if lead_m and len(lead_m[1]) <= 40:
            units = split_units(original[lead_m.start(1): lead_m.end(1)])
            # "A牵头，B负责": B are the units doing the work alongside the lead.
            (coop if lead and lead_m[2] == "负责" else lead).extend(
                u for u in units if u not in lead and u not in coop)
        elif coop_m and len(coop_m[1]) <= 40:
            _merge(coop, split_units(original[coop_m.start(1): coop_m.end(1)]))


def extract_units(text: str) -> tuple[list[str], list[str]]:
    """(lead_units, cooperating_units) written in a task's text; only what is written.

    Reads bracketed notes （牵头单位：A；配合单位：B） / （A牵头，B配合） / （A负责）, the same
    labels outside brackets, and prose "由A牵头，联合B、C解读…" / "由A负责，B配合".
    """
    key = _key(text)
    lead: list[str] = []
    coop: list[str] = []
    for note in _NOTE_RE.finditer(key):
        content, content_key = text[note.start(1): note.end(1)], note[1]
        if not _UNIT_WORDS.search(content_key):
            continue
        if not _labelled_units(content, content_key, lead, coop):
            _note_units(content, content_key, lead, coop)
    # Outside notes: mask the notes (same length) so their words are not read twice.
    masked = _NOTE_RE.sub(lambda m: "(" + " " * (len(m[0]) - 2) + ")", key)
    _labelled_units(text, masked, lead, coop)
    for m in _PROSE_LEAD.finditer(masked):
        _merge(lead, split_units(text[m.start(1): m.end(1)]))
        sentence_end = masked.find("。", m.end())
        sentence_end = len(masked) if sentence_end < 0 else sentence_end
        with_m = _PROSE_WITH.search(masked, m.end(), sentence_end)
        if with_m:
            parts = split_units(text[with_m.start(1): with_m.end(1)])
            if parts:
                parts[-1] = _trim_to_unit(parts[-1])
            _merge(coop, [p for p in parts if p])
        coop_m = _PROSE_COOP.match(masked, m.end(), sentence_end)
        if coop_m:
            _merge(coop, split_units(text[coop_m.start(1): coop_m.end(1)]))
    return lead, [u for u in coop if u not in lead]


# --- tables ----------------------------------------------------------------------------------

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
_INHERITED = ("task", "lead", "responsible", "deadline")  # merged cells: empty → from the row above


def _is_table_line(line: _Line) -> bool:
    return "\t" in line.raw or line.key.count("|") >= 2


def _cells(line: _Line) -> list[str]:
    if "\t" in line.raw:
        return [c.strip() for c in line.raw.split("\t")]
    cells = [c.strip() for c in re.split(r"[|｜]", line.text)]
    if len(cells) > 2 and not cells[0] and not cells[-1]:  # | a | b | (markdown)
        cells = cells[1:-1]
    return cells


def _column_role(cell: str) -> str | None:
    name = re.sub(r"\s+|\(.*?\)", "", _key(cell))
    if not name or len(name) > 12:
        return None
    for role, names in _COLUMN_NAMES.items():
        if name in names:
            return role
    return next((role for role, hint in _COLUMN_HINTS if hint in name), None)


def _header_columns(cells: list[str]) -> dict[str, int] | None:
    columns: dict[str, int] = {}
    if len({c for c in cells if c}) < 2:
        return None  # a caption merged across the row is not a header
    for index, cell in enumerate(cells):
        role = _column_role(cell)
        if role == "task" and "task" in columns:
            role = "requirement"  # a second task-like column holds the details
        if role and role not in columns:
            columns[role] = index
    if len(columns) >= 2 and ("task" in columns or "requirement" in columns):
        return columns
    return None


@dataclass
class _Table:
    columns: dict[str, int]
    header: list[str]
    rows: list[tuple[_Line, list[str]]]
    caption: str | None = None


def _read_table(block: list[_Line]) -> _Table | None:
    """A block of table lines with a recognisable header row, or None."""
    for index, line in enumerate(block):
        cells = _cells(line)
        columns = _header_columns(cells)
        if columns:
            before = [c for ln in block[:index] for c in _cells(ln) if c]
            caption = before[0] if before and len(set(before)) == 1 else None
            return _Table(columns, cells, [(ln, _cells(ln)) for ln in block[index + 1:]], caption)
    return None


_SEPARATOR_CELL = re.compile(r":?-{3,}:?")


def _row_number(cell: str) -> str | None:
    key = _key(cell).strip()
    m = re.fullmatch(r"\(?\s*(\d{1,3})\s*[)）.、]?", key)
    if m:
        return str(int(m[1]))
    short = cell.strip().rstrip("、.．")
    return short if 0 < len(short) <= 10 else None


def _cell_units(cell: str) -> tuple[list[str], list[str]]:
    """A unit cell → (marked lead, others): "市发改委（牵头）、市财政局"."""
    marked: list[str] = []
    others: list[str] = []
    for part in _UNIT_SPLIT.split(cell or ""):
        m = _MARKED_LEAD.search(_key(part.strip()))
        if m and m.start() > 0:
            _merge(marked, split_units(part.strip()[: m.start()]))
        else:
            _merge(others, split_units(part))
    return marked, [u for u in others if u not in marked]


# --- building the tree -----------------------------------------------------------------------


def _next_numeral(sections: list[ParsedSection]) -> str:
    last = chinese_number(sections[-1].number) if sections else 0
    return _to_numeral((last or len(sections)) + 1)


def _to_numeral(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n >= 100:
        return str(n)
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return f"{'' if tens == 1 else digits[tens]}十{digits[ones] if ones else ''}"


@dataclass
class _Builder:
    year: int | None
    plan_title: str
    sections: list[ParsedSection] = field(default_factory=list)
    numbers: dict[int, dict[str, int]] = field(default_factory=dict)  # id(item) → number → line
    styles: dict[int, str] = field(default_factory=dict)  # id(item) → numbering style of its tasks
    last_task: ParsedTask | None = None  # a numbered task that a plain paragraph may continue
    headings: dict[int, tuple[str, int]] = field(default_factory=dict)  # id(item) → (title, line)
    issuer: str | None = None
    issued_on: str | None = None
    attachment: tuple[int, str] | None = None  # (line, name) of a "附件：…" line

    @property
    def current_section(self) -> ParsedSection:
        if not self.sections:
            self.sections.append(ParsedSection("一", self.plan_title or DEFAULT_SECTION_TITLE, []))
        return self.sections[-1]

    @property
    def current_item(self) -> ParsedItem:
        section = self.current_section
        if not section.items:
            section.items.append(ParsedItem(None, None, []))
        return section.items[-1]

    def section(self, number: str, title: str) -> None:
        self.sections.append(ParsedSection(number, title, []))
        self.last_task = None

    def item(self, number: str | None, title: str | None, line: int | None = None) -> None:
        """A new item; with a heading line, the heading becomes a task if no task follows."""
        item = ParsedItem(number, title, [])
        self.current_section.items.append(item)
        if title and line is not None:
            self.headings[id(item)] = (title, line)
        self.last_task = None

    def task(self, number: str | None, text: str, line: int, units=None, deadline=None) -> None:
        item = self.current_item
        if number is not None:
            seen = self.numbers.setdefault(id(item), {})
            if number in seen:
                raise PlanParseError(MESSAGES["duplicate_task"].format(number=number), line)
            seen[number] = line
        lead, coop = units if units is not None else extract_units(text)
        deadline_text, deadline_value = deadline if deadline is not None else resolve_deadline(text, self.year)
        task = ParsedTask(number, text, lead, [u for u in coop if u not in lead],
                          deadline_text, deadline_value, line)
        item.tasks.append(task)
        self.last_task = task if number is not None else None

    def numbered(self, line: _Line, number: str, text: str, style: str) -> None:
        """A numbered line: a task, or a sub-point when the item numbers its tasks in another
        style ("1." tasks with "（1）" points under them), so nested lists are not duplicates."""
        styles = self.styles.setdefault(id(self.current_item), style)
        if styles != style and self.last_task is not None:
            self.paragraph(line)
        else:
            self.task(number, text, line.no)

    def paragraph(self, line: _Line) -> None:
        if self.last_task is not None and self.current_item.tasks and self.current_item.tasks[-1] is self.last_task:
            task = self.last_task
            task.text = f"{task.text}\n{line.text}" if task.text else line.text
            task.lead_units, task.cooperating_units = extract_units(task.text)
            task.deadline_text, task.deadline = resolve_deadline(task.text, self.year)
            return
        self.task(None, line.text, line.no)

    def signature(self, issuer: str | None, date: str) -> None:
        """A signature in the body (issuer line and date line) closes the plan text."""
        self.issued_on = self.issued_on or date
        self.issuer = self.issuer or issuer

    def take_caption(self, line_no: int) -> str | None:
        """The plain or 附件 line right above a table, when it reads like the table's caption."""
        if self.attachment and self.attachment[0] == line_no - 1:
            return self.attachment[1]
        item = self.sections[-1].items[-1] if self.sections and self.sections[-1].items else None
        last = item.tasks[-1] if item and item.tasks else None
        if (last and last.number is None and last.line == line_no - 1 and _title_like(last.text)
                and re.search(r"表|分解|分工|清单|台账|任务|方案", _key(last.text))):
            item.tasks.pop()
            return last.text
        return None

    def table(self, table: _Table, caption: str | None) -> None:
        cols = table.columns
        appended = bool(self.sections)  # prose came first: the table gets a section of its own
        if appended:
            self.section(_next_numeral(self.sections), caption or table.caption or DEFAULT_TABLE_TITLE)
        title = caption or table.caption or self.plan_title or DEFAULT_TABLE_TITLE
        numbered_sections = False
        previous: dict[str, str] = {}
        header_key = [_key(c) for c in table.header]

        def cell(cells: list[str], role: str) -> str:
            index = cols.get(role)
            return cells[index] if index is not None and index < len(cells) else ""

        for line, cells in table.rows:
            filled = [c for c in cells if c]
            if not filled or [_key(c) for c in cells] == header_key:
                continue
            if all(_SEPARATOR_CELL.fullmatch(c) for c in filled):
                continue
            first = cells[0]
            first_line = _Line(line.no, first, _key(first))
            heading = _section_heading(first_line) or _item_heading(first_line)
            merged = len(filled) == len(cells) > 1 and len(set(filled)) == 1
            only_first = len(filled) == 1 and bool(first) and cols.get("task") != 0 \
                and cols.get("requirement") != 0 and not re.fullmatch(r"\d{1,3}[.、]?", first)
            if heading or merged or only_first:
                previous = {}
                self.last_task = None
                item_heading = _item_heading(first_line)
                if item_heading:
                    self.item(*item_heading)
                elif appended:
                    self.item(None, first)
                elif _section_heading(first_line):
                    self.section(*_section_heading(first_line))
                    numbered_sections = True
                elif numbered_sections:
                    self.item(None, first)
                else:
                    self.section(_next_numeral(self.sections), first)
                if merged or only_first:
                    continue
            if not self.sections:
                self.section("一", title)
            values = {role: cell(cells, role) for role in cols}
            if not any(values.get(r) for r in ("task", "requirement", "lead", "responsible")):
                continue
            for role in _INHERITED:
                if role in values:
                    values[role] = values[role] or previous.get(role, "")
                    previous[role] = values[role]
            task_text, requirement = values.get("task", ""), values.get("requirement", "")
            if task_text and requirement:
                sep = "" if task_text[-1] in "：:" else "："
                text = f"{task_text}{sep}{requirement}"
            else:
                text = task_text or requirement
            if not text:
                continue
            number = None if heading else _row_number(values.get("number", ""))
            units = None
            if {"lead", "responsible", "cooperating"} & cols.keys():
                units = table_row_units(values, cols)
            deadline = (resolve_deadline_phrase(values.get("deadline"), self.year)
                        if "deadline" in cols and values.get("deadline") else None)
            self.task(number, text, line.no, units, deadline)
            self.last_task = None

    def finish(self) -> list[ParsedSection]:
        for section in self.sections:
            for item in section.items:
                if not item.tasks and id(item) in self.headings:
                    text, line = self.headings[id(item)]
                    lead, coop = extract_units(text)
                    deadline_text, deadline = resolve_deadline(text, self.year)
                    item.tasks.append(ParsedTask(None, text, lead, [u for u in coop if u not in lead],
                                                 deadline_text, deadline, line))
        return self.sections


def _build_body(lines: list[_Line], builder: _Builder) -> None:
    i = 0
    while i < len(lines):
        line = lines[i]
        if _is_table_line(line):
            j = i
            while j < len(lines) and _is_table_line(lines[j]):
                j += 1
            table = _read_table(lines[i:j])
            if table:
                builder.table(table, builder.take_caption(line.no))
                i = j
                continue
        i += 1
        if (section := _section_heading(line)) is not None:
            title, rest = _split_title(section[1])
            builder.section(section[0], title)
            if rest:
                builder.task(None, rest, line.no)
        elif (item := _item_heading(line)) is not None:
            title, rest = _split_title(item[1])
            builder.item(item[0], title or None, line.no)
            if rest:
                builder.task(None, rest, line.no)
        elif (task := _task_heading(line)) is not None:
            builder.numbered(line, *task)
        elif (date := _date_only(line.key)) is not None:
            builder.signature(None, date)
        elif i < len(lines) and _issuer_like(line.text) and (date := _date_only(lines[i].key)):
            builder.signature(line.text, date)
            i += 1
        elif attachment := _ATTACHMENT_RE.fullmatch(line.key):
            if attachment[1]:
                builder.attachment = (line.no, line.text[attachment.start(1):].strip())
        elif not _is_footer(line):
            builder.paragraph(line)


def _is_structural(lines: list[_Line], i: int) -> bool:
    line = lines[i]
    if _section_heading(line) or _item_heading(line) or _task_heading(line):
        return True
    return _is_table_line(line) and _header_columns(_cells(line)) is not None


# --- entry point -----------------------------------------------------------------------------


def _lines(text: str) -> list[_Line]:
    raw = re.split(r"\r\n|\r|\n|\u2028|\u2029|\x0c|\x0b|\x85", text)
    result = []
    for number, row in enumerate(raw, start=1):
        stripped = row.strip()
        if stripped:
            result.append(_Line(number, stripped, _key(stripped), row.strip(" \u3000\xa0")))
    return result


def parse_plan_text(text: str) -> ParsedPlan:
    """Parse a plan's text into a ParsedPlan; raise PlanParseError with a one-line reason."""
    lines = _lines(text or "")
    if not lines:
        raise PlanParseError(MESSAGES["empty"])
    body_start = next((i for i in range(len(lines)) if _is_structural(lines, i)), None)
    if body_start is None:
        raise PlanParseError(MESSAGES["no_structure"])

    front = _read_front(lines[:body_start])
    body = lines[body_start:]
    interpretation = None
    for i in range(1, len(body)):
        span = _interpretation_heading(body, i)
        if span:
            heading = "".join(ln.text for ln in body[i:i + span])
            interpretation = "\n".join([heading, *(ln.text for ln in body[i + span:])])
            body = body[:i]
            break

    title = front.title or front.cover_title or ""
    year = _year_of(title, front.doc_number) or (int(front.issued_on[:4]) if front.issued_on else None)
    builder = _Builder(year=year, plan_title=title)
    _build_body(body, builder)
    sections = builder.finish()
    return ParsedPlan(
        title=title,
        issuer=front.issuer or builder.issuer or _issuer_from_title(title),
        doc_number=front.doc_number,
        issued_on=front.issued_on or builder.issued_on,
        year=year,
        interpretation=interpretation,
        preamble=front.preamble,
        sections=sections,
    )


def table_row_units(values: dict[str, str], columns: dict[str, int]) -> tuple[list[str], list[str]]:
    """(lead, cooperating) units of a task-division table row. 责任单位 is the lead when there
    is no 牵头单位 column, unless some of its units are marked as leading."""
    lead: list[str] = []
    coop: list[str] = []
    marked, others = _cell_units(values.get("lead", ""))
    _merge(lead, marked + others)
    marked, others = _cell_units(values.get("responsible", ""))
    if "lead" in columns:
        _merge(coop, marked + others)
    elif marked:
        _merge(lead, marked)
        _merge(coop, others)
    else:
        _merge(lead, others)
    _merge(coop, [u for pair in _cell_units(values.get("cooperating", "")) for u in pair])
    return lead, [u for u in coop if u not in lead]
