"""The front matter (cover notice, title, 文号, signature) and the attached 解读."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from tracker.domain.deadlines import chinese_number
from tracker.domain.plan_parsing.numbering import is_heading_line
from tracker.domain.plan_parsing.text import Line, match_key

_DOC_NO_RE = re.compile(r"([\u4e00-\u9fff]{1,8})\s*[\[(]\s*(\d{4})\s*[\])]\s*(\d{1,5})\s*号")
_CN_YEAR = "〇零○Ｏ0一二三四五六七八九"
_DATE_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_CN_DATE_RE = re.compile(rf"([{_CN_YEAR}]{{4}})\s*年\s*([一二三四五六七八九十]{{1,3}})\s*月"
                         rf"\s*([一二三四五六七八九十]{{1,3}})\s*日")
_YEAR_RE = re.compile(rf"(\d{{4}}|[{_CN_YEAR}]{{4}})\s*年")
TITLE_WORDS = re.compile(r"方案|要点|计划|安排|意见|办法|清单|通知|分工|任务|细则|措施")
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


def date_only(key: str) -> str | None:
    """A line that is only a date (a signature date) → ISO date."""
    text = key.strip()
    m = _DATE_RE.fullmatch(text)
    if m:
        return _iso_date(int(m[1]), int(m[2]), int(m[3]))
    m = _CN_DATE_RE.fullmatch(text)
    if m:
        return _iso_date(_cn_year(m[1]), chinese_number(m[2]), chinese_number(m[3]))
    return None


def _doc_number(line: Line) -> str | None:
    """A 文号 on a line of its own (or at the end of a cover title): 苏规办〔2018〕17号."""
    m = _DOC_NO_RE.search(line.key)
    if not m or "《" in line.key[: m.start()] or len(line.key) - (m.end() - m.start()) > 12:
        return None
    return f"{line.text[m.start(1):m.end(1)]}〔{m[2]}〕{m[3]}号"


def title_like(text: str) -> bool:
    return 0 < len(text) <= 60 and "。" not in text and text[-1] not in _SENTENCE_END


def issuer_like(text: str) -> bool:
    return (title_like(text) and len(text) <= 30 and not TITLE_WORDS.search(text)
            and not _YEAR_RE.search(text))


# Distribution cover/footer lines and page numbers that are never plan content.
_FOOTER_RE = re.compile(
    r"\(?\s*(?:信息)?公开(?:形式|方式|属性|类别)\s*:.*"
    r"|.{0,40}日\s*印发|共印\s*:?.*份|抄送\s*:.*|主题词\s*:.*|签发人\s*:.*|\(?此页无正文\)?|\(此件[^()]{0,12}\)"
    r"|[-—–]?\s*\d{1,3}\s*[-—–]?|第\s*\d+\s*页.*"
    # a web page's chrome after the article
    r"|(?:文章)?来源\s*:.*|.{0,80}附件下载.*|\[?(?:打印本页|打印|关闭窗口|关闭)\]?|分享到.*|扫一扫.*|责任编辑\s*:.*"
    r"|相关(?:文章|链接|阅读|新闻|文件|信息)\s*:?|上一篇\s*:.*|下一篇\s*:.*"
    r"|联系人\s*:.{0,30}联系(?:电话|方式|邮箱)\s*:.*"  # the office's contact lines
    r"|[^。;]{1,150}\.(?:[Pp][Dd][Ff]|[Dd][Oo][Cc][Xx]?|[Xx][Ll][Ss][Xx]?|[Ww][Pp][Ss]|[Oo][Ff][Dd])"  # an attached file's name
)
_RED_HEADER_RE = re.compile(r".{1,30}文件")  # "苏州市规划局文件" above the 文号
ATTACHMENT_RE = re.compile(r"附件\s*\d*\s*(?::\s*(.*))?")
_COVER_TITLE_START = re.compile(r".{0,30}?关于(?:印发|转发|下发|发布)")  # [issuer]关于印发…
_COVER_BODY_RE = re.compile(r".*(?:印发|转发)给你们.*|现将.{0,80}(?:印发|转发).*|[请望]认真.{0,20}执行.{0,3}")
_ADDRESSEE_RE = re.compile(r"(?!.*(?:如下|做好|要求))[^。]{0,20}各[^。]{0,50}:")


# A web page's or a crawler's field lines and chrome before the article, never its title:
# "发布时间: 2019-05-29", "• 索引号:SY0024…", "7. [发布日期] 2019-08-09", "【浏览字号:-",
# "首页 > 专题中心 > …", "==== 正文 ====".
_FIELD_LINE_RE = re.compile(
    r"[•·*-]?\s*(?:\d{1,2}\.\s*)?[\[【]?[\u4e00-\u9fff ]{1,8}[\]】]?\s*[:\]】].*"
    r"|.{0,40}>.{0,60}>.*|[=\-—_*]{3,}.*|【.{1,6}】.*")


def is_field_line(line: Line) -> bool:
    return bool(_FIELD_LINE_RE.fullmatch(line.key))


def is_footer(line: Line) -> bool:
    return bool(_FOOTER_RE.fullmatch(line.key)) and date_only(line.key) is None


@dataclass
class Front:
    title: str | None = None
    cover_title: str | None = None
    issuer: str | None = None
    doc_number: str | None = None
    issued_on: str | None = None
    preamble: str | None = None


def read_front(lines: list[Line]) -> Front:
    """Metadata, title and preamble from the lines before the body's first heading."""
    front = Front()
    candidates: list[tuple[int, Line]] = []  # (index in `lines`, line) of possible title/preamble
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
            while "通知" not in match_key(joined) and j + 1 < len(lines) and j - i < 3:
                j += 1
                joined += lines[j].text
            if "通知" in match_key(joined):
                inner = re.search(r"《(.+?)》", joined)
                front.cover_title = inner[1] if inner else re.sub(r"^.*?关于(印发|转发|下发|发布)|的?通知.*$", "", joined)
                m = _DOC_NO_RE.search(match_key(joined))
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
        if (_ADDRESSEE_RE.fullmatch(key) or is_footer(line) or ATTACHMENT_RE.fullmatch(key)
                or _RED_HEADER_RE.fullmatch(key) or is_field_line(line)):
            i += 1
            continue
        date = date_only(key)
        if date:
            # A signature: the date line, and the issuer line right above it.
            front.issued_on = front.issued_on or date
            if candidates and candidates[-1][0] == i - 1 and issuer_like(candidates[-1][1].text):
                front.issuer = front.issuer or candidates.pop()[1].text
            i += 1
            continue
        candidates.append((i, line))
        i += 1

    # The title: the run of adjacent title-like lines just before the first prose line.
    start = next((n for n, (_, c) in enumerate(candidates) if not title_like(c.text)), len(candidates))
    first = start
    while (first > 0 and start - first < 3 and title_like(candidates[first - 1][1].text)
           and (first == start or candidates[first][0] == candidates[first - 1][0] + 1)):
        first -= 1
    if first < start:
        front.title = "".join(c.text for _, c in candidates[first:start])
    preamble = [c.text for _, c in candidates[start:]]
    front.preamble = "\n".join(preamble) or None
    return front


def issuer_from_title(title: str) -> str | None:
    """"苏州市规划局2018年政务公开…" → "苏州市规划局"."""
    m = _YEAR_RE.search(match_key(title))
    prefix = title[: m.start()].strip() if m else ""
    if len(prefix) < 2 or match_key(prefix).startswith("关于") or not issuer_like(prefix):
        return None
    return prefix


def year_of(*texts: str | None) -> int | None:
    for text in texts:
        if text:
            m = _YEAR_RE.search(match_key(text))
            year = _cn_year(m[1]) if m else None
            if year and 1900 <= year <= 2200:
                return year
    return None


# --- the 解读 --------------------------------------------------------------------------------

_INTERP_RE = re.compile(r"(?:关于)?《[^《》]+》(?:的)?(?:政策)?解读(?:材料|说明|稿)?|(?:政策)?解读(?:材料)?:?")


def interpretation_heading(lines: list[Line], i: int) -> int:
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
    if joined.endswith("解读") and TITLE_WORDS.search(joined) and not is_heading_line(joined):
        return span
    return 0


