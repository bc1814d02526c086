"""Deadline resolution: find the completion time written in a task and turn it into a date.

Pure functions. A phrase is resolved only from what is written (plus the plan's year for
phrases like "12月底前"); when something is missing the resolved value is None, never a guess.

    resolve_deadline("…（局办公室负责，2018年12月底前完成）", 2018) == ("2018年12月底前", "2018-12-31")
    resolve_deadline_phrase("持续推进", None) == ("持续推进", "ongoing")
"""

from __future__ import annotations

import calendar
import re
from datetime import date

from tracker.domain.plan_model import ONGOING

__all__ = ["ONGOING", "DeadlineError", "chinese_number", "deadline_before_issue", "parse_deadline_input",
           "resolve_deadline", "resolve_deadline_phrase"]

# Matching runs on a same-length "key" copy of the text (full-width digits and brackets made
# ASCII, traditional characters made simplified) so that slices of the key map back to the
# original text one to one.
_KEY_MAP = str.maketrans(
    "０１２３４５６７８９（）：；，　長續態內當時間於號堅",
    "0123456789():;, 长续态内当时间于号坚",
)

_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
              "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def chinese_number(text: str) -> int | None:
    """"12" / "十二" / "二十一" / "三十" → int; None when it is not a number below 100."""
    if text.isascii() and text.isdigit():
        return int(text)
    if not text or len(text) > 3 or any(ch not in _CN_DIGITS and ch != "十" for ch in text):
        return None
    if "十" not in text:
        return _CN_DIGITS[text] if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    if "十" in ones or len(tens) > 1 or len(ones) > 1:
        return None
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


def chinese_numeral(n: int) -> str:
    """The inverse of chinese_number: 1 → "一", 12 → "十二", 21 → "二十一" (section and item
    numbers); 100 and above as digits."""
    digits = "零一二三四五六七八九"
    if n >= 100:
        return str(n)
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return f"{'' if tens == 1 else digits[tens]}十{digits[ones] if ones else ''}"


_Y = r"(?:(?P<{n}>\d{{4}})\s*年\s*)?"
_N = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
_PATTERN = re.compile(
    "|".join([
        # 2018年9月30日 / 9月30日
        _Y.format(n="dy") + rf"(?P<dm>{_N})\s*月\s*(?P<dd>{_N})\s*[日号]",
        # 2018年12月底 / 12月底 / 6月 / 6月份
        _Y.format(n="my") + rf"(?P<mm>{_N})\s*月\s*(?P<mend>底|末|份|中旬|下旬)?",
        # 2018年第三季度 / 三季度末 / 第3季度
        _Y.format(n="qy") + r"第?(?P<q>[一二三四1-4])\s*季度\s*(?P<qend>末|底)?",
        # 上半年 / 2018年下半年
        _Y.format(n="hy") + r"(?P<half>上|下)半年",
        # 年底 / 年内 / 2018年底 / 2018年 (the last only counts as an isolated phrase)
        r"(?P<yy>\d{4})\s*年\s*(?P<yend>底|末|内|度内|全年|年底)?",
        r"(?P<yend2>年底|年末|年内|本年度内|本年度|今年底|年度内|当年|全年)",
        # open-ended or recurring work ("每季度" in a 完成时限 cell: done every quarter, all year)
        r"(?P<ongoing>持续推进|长期坚持|常态化推进|常态化|长期|持续|长效|每季度|每半年|每月|每年|按季度|按月|按年度|定期)",
    ])
)
_SUFFIX = re.compile(r"\s*(以前|之前|前)")
_ANCHOR_AFTER = re.compile(r"\s*(以前|之前|前|完成|内|截止)")
_LABEL = re.compile(r"(?:完成时限|完成时间|时间要求|时限要求|完成期限|时间节点|活动时间|时限)\s*[:]\s*")
# a labelled phrase runs to the end of its note or sentence, or to the next field's label
# ("活动时间：2021年3月开始牵头处室：…")
_LABEL_END = re.compile(r"[);。\n]|(?:牵头|主责|主办|责任|负责|承办|配合|协办|参与|协同)"
                        r"(?:单位|部门|处室|科室|股室|机构|对象|主体)\s*:")
# What follows a labelled deadline and is not part of it: the next point's number or a page
# marker run on after 前/底/止 (copied text: "完成时限：2023年10月底前2,"), and trailing commas.
_RUN_ON_NUMBER = re.compile(r"(?:(?<=[前底止末])\s*\d{1,3})?[\s,，、]*$")
_NOTE = re.compile(r"\(([^()]{1,200})\)")
_SEGMENT_SPLIT = re.compile(r"[,;。、]")
# Ongoing phrases in running text count only when they close a clause ("…，持续推进。").
_STRONG_ONGOING = {"持续推进", "长期坚持", "常态化推进", "常态化"}
_CLAUSE_END = re.compile(r"\s*(?:$|[。;)])")


def _key(text: str) -> str:
    # the plan reader's same-length key folds every traditional character (持續推進 → 持续推进)
    from tracker.domain.plan_parsing.text import match_key

    return match_key(text).translate(_KEY_MAP)


def _last_day(year: int, month: int) -> str | None:
    if not 1 <= month <= 12:
        return None
    return date(year, month, calendar.monthrange(year, month)[1]).isoformat()


def _resolve_match(m: re.Match, year: int | None) -> str | None:
    """The ISO date (or ONGOING) a phrase match stands for, or None when it cannot be known."""
    if m["ongoing"]:
        return ONGOING
    if m["dm"]:
        y = int(m["dy"]) if m["dy"] else year
        month, day = chinese_number(m["dm"]), chinese_number(m["dd"])
        if y is None or month is None or day is None:
            return None
        try:
            return date(y, month, day).isoformat()
        except ValueError:  # 2月30日: written but impossible; do not correct it
            return None
    if m["mm"]:
        y = int(m["my"]) if m["my"] else year
        month = chinese_number(m["mm"])
        return _last_day(y, month) if y is not None and month is not None else None
    if m["q"]:
        y = int(m["qy"]) if m["qy"] else year
        quarter = chinese_number(m["q"])
        return _last_day(y, quarter * 3) if y is not None and quarter else None
    if m["half"]:
        y = int(m["hy"]) if m["hy"] else year
        return None if y is None else _last_day(y, 6 if m["half"] == "上" else 12)
    if m["yy"]:
        return _last_day(int(m["yy"]), 12)
    if m["yend2"]:
        return None if year is None else _last_day(year, 12)
    return None


def _is_anchored(key: str, m: re.Match) -> bool:
    """Whether a match in running text clearly is a deadline rather than any date."""
    if _ANCHOR_AFTER.match(key, m.end()):
        return True
    if m["mend"] in ("底", "末") or m["q"] or m["half"] or m["yend"] or m["yend2"]:
        return True
    if m["ongoing"] in _STRONG_ONGOING:
        return bool(_CLAUSE_END.match(key, m.end()))
    return False


def _written(text: str, key: str, m: re.Match) -> str:
    """The phrase as written, with a trailing 前/以前/之前 kept."""
    end = m.end()
    suffix = _SUFFIX.match(key, end)
    if suffix:
        end = suffix.end()
    return text[m.start():end].strip()


def resolve_deadline_phrase(phrase: str | None, year: int | None) -> tuple[str | None, str | None]:
    """Resolve an isolated phrase such as a 完成时限 table cell.

    Returns (the phrase as written, resolved) — resolved is "YYYY-MM-DD", ONGOING or None.
    The last time expression wins ("6月底前出台，12月底前完成" → 12月底). Empty → (None, None).
    """
    written = (phrase or "").strip()
    if not written:
        return None, None
    key = _key(written)
    label = _LABEL.match(key)
    if label:
        written, key = written[label.end():].strip(), key[label.end():].strip()
        if not written:
            return None, None
    resolved = None
    for m, context_year in _matches(key, year):
        value = _resolve_match(m, context_year)
        if value is not None or resolved is None:
            resolved = value
    return written, resolved


def _matches(key: str, year: int | None):
    """Time expressions with the year they refer to: a year written earlier in the same text
    ("2019年1月启动，6月底前完成") carries over, otherwise the plan's year."""
    for m in _PATTERN.finditer(key):
        yield m, year
        written_year = next((m[g] for g in ("dy", "my", "qy", "hy", "yy") if m[g]), None)
        if written_year:
            year = int(written_year)


def resolve_deadline(text: str | None, year: int | None) -> tuple[str | None, str | None]:
    """Find the deadline written in a task's text.

    Looks, in order, at a `完成时限：…` note, then at time expressions anywhere in the text. Inside
    bracketed notes a bare phrase ("（长期）", "（9月30日）") counts; in running text only clear
    deadline forms count ("12月底前", "年底前", "上半年", "…，持续推进。"), so a date that merely
    appears in prose ("2018年5月1日起施行") is not taken for a deadline. The last one wins.
    Returns (deadline_text as written, resolved) or (None, None).
    """
    if not text:
        return None, None
    key = _key(text)

    labels = list(_LABEL.finditer(key))
    if labels:
        start = labels[-1].end()
        end = _LABEL_END.search(key, start)
        stop = end.start() if end else len(key)
        phrase = text[start:stop]
        phrase = phrase[:_RUN_ON_NUMBER.search(key, start, stop).start() - start]
        written, resolved = resolve_deadline_phrase(phrase, year)
        if written:
            return written, resolved

    # Bracketed notes, and the whole text itself, may hold a bare phrase as a clause of its own.
    note_spans = [(n.start(1), n.end(1)) for n in _NOTE.finditer(key)] + [(0, len(key))]
    best: tuple[str, str | None] | None = None
    for m, context_year in _matches(key, year):
        if m["yy"] and not m["yend"] and not _ANCHOR_AFTER.match(key, m.end()):
            continue  # a bare "2018年" in a task is a year, not a deadline
        if not (_is_anchored(key, m) or _is_whole_note_segment(key, m, note_spans)):
            continue
        best = (_written(text, key, m), _resolve_match(m, context_year))
    return best if best else (None, None)


def _is_whole_note_segment(key: str, m: re.Match, note_spans: list[tuple[int, int]]) -> bool:
    """True when the match is a whole clause of a note: "（局办公室负责，长期）", "9月30日"."""
    for start, end in note_spans:
        if start <= m.start() and m.end() <= end:
            before = _SEGMENT_SPLIT.split(key[start:m.start()])[-1].strip()
            after = _SEGMENT_SPLIT.split(key[m.end():end])[0].strip()
            if not before and after in ("", "前", "以前", "之前", "完成", "前完成"):
                return True
    return False


def deadline_before_issue(deadline: date | None, issued_on: date | None) -> str | None:
    """A deadline before the plan was issued is allowed (a plan may record work already done,
    or be loaded late) but is most often a typing slip: say so, without refusing."""
    if deadline is not None and issued_on is not None and deadline < issued_on:
        return f"完成时限 {deadline.isoformat()} 早于计划印发日期 {issued_on.isoformat()}，请核对"
    return None


class DeadlineError(ValueError):
    """A deadline a person typed that cannot be taken; the message says why, in Chinese."""


_WRITTEN_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?")
_CN_WRITTEN_DATE = re.compile(rf"(?:(\d{{4}})\s*年\s*)?({_N})\s*月\s*({_N})\s*[日号]")


def _checked_date(year: int | None, month: int | None, day: int | None, written: str) -> str:
    if year is None:
        raise DeadlineError(f"完成时限“{written[:20]}”没有年份，计划也没有年度，请写明年份")
    if month is None or not 1 <= month <= 12:
        raise DeadlineError(f"完成时限“{written[:20]}”的月份不存在")
    last = calendar.monthrange(year, month)[1]
    if day is None or not 1 <= day <= last:
        raise DeadlineError(f"完成时限“{written[:20]}”不是有效日期（{year}年{month}月只有{last}天）")
    return date(year, month, day).isoformat()


def parse_deadline_input(value: str | None, year: int | None, *,
                         require_resolved: bool = True) -> tuple[str | None, str | None]:
    """The one rule for a deadline typed into the task form or a 分工表 cell.

    Returns (as written, resolved): resolved is "YYYY-MM-DD", ONGOING or None. Takes a date
    (2018-12-31, 2018/12/31, 2018年12月31日), ONGOING, and the phrases plans use (持续推进,
    年底前, 6月底前 — with the plan's `year`). A date that does not exist (2019-02-30) is always
    refused; an unrecognised phrase is refused when `require_resolved`, else kept as text only.
    Empty → (None, None).
    """
    written = (value or "").strip()
    if not written:
        return None, None
    key = _key(written)
    if key.lower() == ONGOING:
        return None, ONGOING
    numeric = _WRITTEN_DATE.fullmatch(key)
    if numeric:
        return written, _checked_date(int(numeric[1]), int(numeric[2]), int(numeric[3]), written)
    chinese = _CN_WRITTEN_DATE.search(key)
    if chinese and (chinese[1] or year is not None):
        _checked_date(int(chinese[1]) if chinese[1] else year, chinese_number(chinese[2]),
                      chinese_number(chinese[3]), written)
    written_as, resolved = resolve_deadline_phrase(written, year)
    if resolved is None and require_resolved:
        raise DeadlineError(f"无法识别完成时限“{written[:20]}”，可写 2018-12-31、6月底前、年底前、持续推进")
    return written_as or written, resolved
