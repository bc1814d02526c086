"""Headings and numbering: 一、 sections, （一） items, 1. / （1） / ⑴ / ① tasks."""

from __future__ import annotations

import re

from tracker.domain.deadlines import chinese_number, chinese_numeral
from tracker.domain.plan_parsing.text import FINANCIAL, Line, match_key

_NUMERAL = "一二三四五六七八九十百〇零两壹贰叁参肆伍陆柒捌玖拾"
_SECTION_RE = re.compile(rf"([{_NUMERAL}]{{1,4}})\s*[、.]\s*")
_ITEM_RE = re.compile(rf"\(\s*([{_NUMERAL}]{{1,4}})\s*\)\s*[、.]?\s*")
_TASK_RES = (
    re.compile(r"(\d{1,3})\s*(?:[.、)](?!\d))\s*"),
    re.compile(r"\(\s*(\d{1,3})\s*\)\s*[、.]?\s*"),
)
_PAREN_DIGITS = {chr(0x2474 + i): str(i + 1) for i in range(20)}  # ⑴…⒇
_CIRCLED_DIGITS = {chr(0x2460 + i): str(i + 1) for i in range(20)}  # ①…⑳
_ARTICLE_RE = re.compile(r"第\s*([一二三四五六七八九十]{1,3}|\d{1,3})\s*条[\s、.:]*")  # 第一条


def section_heading(line: Line) -> tuple[str, str] | None:
    m = _SECTION_RE.match(line.key)
    return (m[1].translate(FINANCIAL), line.text[m.end():].strip()) if m else None


def item_heading(line: Line) -> tuple[str, str] | None:
    m = _ITEM_RE.match(line.key)
    return (f"（{m[1].translate(FINANCIAL)}）", line.text[m.end():].strip()) if m else None


def task_heading(line: Line) -> tuple[str, str, str] | None:
    """(number, text, style): style "dot" for 1. / 1、, "paren" for （1） / ⑴."""
    for pattern, style in zip(_TASK_RES, ("dot", "paren"), strict=True):
        m = pattern.match(line.key)
        if m:
            return str(int(m[1])), line.text[m.end():].strip(), style
    if line.text and line.text[0] in _PAREN_DIGITS:
        return _PAREN_DIGITS[line.text[0]], line.text[1:].strip(), "paren"
    article = _ARTICLE_RE.match(line.key)
    if article and (n := chinese_number(article[1])):
        return str(n), line.text[article.end():].strip(), "article"
    if line.text and line.text[0] in _CIRCLED_DIGITS and len(line.text) > 1:
        return _CIRCLED_DIGITS[line.text[0]], line.text[1:].lstrip("、.． ").strip(), "circle"
    return None


def heading_level(text: str) -> str | None:
    """"section" (一、), "item" (（一）), "task" (1. / （1） / ⑴) or None for other lines."""
    line = Line(0, text.strip(), match_key(text.strip()))
    if section_heading(line):
        return "section"
    if item_heading(line):
        return "item"
    return "task" if task_heading(line) else None


def is_heading_line(text: str) -> bool:
    """Whether a line starts a section, item or numbered task (used to re-join PDF lines)."""
    return heading_level(text) is not None


# A heading that ends before its first sentence's stop: at a colon ("旅行社相关业务：未经许可…")
# or at a bracketed stage period ("动员部署（3月至4月）根据…"), the whole rest being the paragraph.
_HEAD_STOP = re.compile(r"[^。,;:()]{2,20}(?::|\([^()]{0,12}[年月日季][^()]{0,12}\)(?=[^\s。,;:]))")


# A heading followed by its body's field label ("开展征文活动活动内容：以…为主题…"): the label
# belongs to neither the title nor the body.
_FIELD_LABEL_AFTER = re.compile(r"([^。;:()]{2,40}?)(?:活动|工作|具体|主要|实施)内容\s*:")


def split_title(rest: str) -> tuple[str, str | None]:
    """"重大政策及时发布。各部门要…" → ("重大政策及时发布", "各部门要…")."""
    key = match_key(rest)
    if (field := _FIELD_LABEL_AFTER.match(key)) and key[field.end():].strip():
        return rest[:field.end(1)].strip(), rest[field.end():].strip()
    if (head := _HEAD_STOP.match(key)) and key[head.end():].strip():
        return rest[:head.end()].rstrip(":：").strip(), rest[head.end():].strip()
    title, stop, after = rest.partition("。")
    if (len(title) > _RUN_ON_MIN and not _ONE_SENTENCE_AFTER.fullmatch(match_key(after))
            and (opener := _OPENER.search(match_key(title), 4, _RUN_ON_TITLE))
            and not _PIVOT.match(match_key(title)[:opener.start()])):
        # "齐抓共管，强化监测预警根据省处非办工作要求，…": a heading run into its paragraph with
        # no stop; the paragraph starts with a word that opens a sentence, never ends a heading
        return rest[:opener.start()].strip(), rest[opener.start():].strip()
    if (len(title) > _RUN_ON_TITLE and not _ONE_SENTENCE_AFTER.fullmatch(match_key(after))
            and (verb := _VERB_OPENER.match(match_key(title)))):
        # "加强组织领导落实五级书记抓乡村振兴的要求，…": a short heading with no comma run into a
        # paragraph that opens with 落实/开展
        return rest[:verb.end(1)].strip(), rest[verb.end(1):].strip()
    return title.strip(), (after.strip() or None) if stop else None


# "支持“海峡基金业综合服务平台”根据规定向…申请登记": after 支持/鼓励/允许 the one supported acts
# itself, so 根据/按照… open that act's clause, inside the sentence, not a paragraph after a heading.
_PIVOT = re.compile(r"(?:支持|鼓励|允许)[^，,;:。]+$")


# What may follow a paragraph of one sentence: nothing but its bracketed note. Such a paragraph
# ("（四十二）支持…个人按照规定开展…。（负责部门：X）") is one sentence, not a heading run into a paragraph.
_ONE_SENTENCE_AFTER = re.compile(r"\s*\([^()]*\)\s*")


# A short heading (4-10 characters, no comma) and a paragraph opening with the verb 落实/开展
# (not the second half of 贯彻落实 / 抓好落实 / 深入开展 / 组织开展…), long past a heading's length.
_VERB_OPENER = re.compile(r"([^,;:、()“”《》\d]{4,10}?)(?<![贯彻抓好督促动保确面入泛织极续真实中期步一时要])(?:落实|开展)"
                          r"(?!工作|机制|情况|责任)[^。]{12,}")


# Words that open a paragraph's sentence in official prose (根据…要求 / 严格按照… / 各级各部门要…),
# looked for only in a heading too long to be one.
_RUN_ON_MIN = 20
_RUN_ON_TITLE = 24
_OPENER = re.compile(r"(?<![，,、紧要应须并和及将的])(?:根据|严格按照|按照|依据|围绕|结合(?!起来)|为了|本次|各级各部门|各部门|各单位|以(?=“)"
                     r"|大力|全力|切实|认真|积极|进一步)"
                     r"(?=[\u4e00-\u9fff“《、])")  # a word opening a clause, not ending one ("…同普法工作结合，") nor after 的 ("…中的积极作用")


# The standard names of a plan's parts (总体要求, 工作目标, 保障措施…): a section heading whose
# text runs on far past a heading's length with no full stop is such a name with its first
# paragraph run onto it (a folded article: "一、工作目标紧紧围绕…").
_PART = (r"(?:总体|工作|主要|基本|指导|保障|组织|实施|重点|目标|进度|时间|有关|相关|资金|经费|制度|队伍|人才|技术)"
         r"(?:要求|目标|思想|原则|任务|措施|保障|领导|步骤|安排|内容|机构|情况)")
# Why and where a plan applies: "重要意义", "必要性和紧迫性", "适用范围", "重点整治对象".
_WHY = r"(?:重要意义|必要性|重要性|紧迫性)(?:[和及与](?:必要性|重要性|紧迫性))?"
_SCOPE = r"(?:[\u4e00-\u9fff]{2})?(?:适用|实施|整治|治理|保护|工作)(?:范围|对象)"
_PART_NAME = re.compile(rf"{_PART}(?:[和及与]{_PART})?|{_WHY}|{_SCOPE}|联系方式")  # "指导思想和总体目标" too
# "四、联系方式联系人：张三": a part name with its first labelled line run onto it
_LABEL_AFTER = re.compile(r"[\u4e00-\u9fff]{2,6}:")
_HEADING_MAX = 40


def split_section_title(rest: str) -> tuple[str, str | None]:
    """split_title for a section heading, also splitting a part name from a paragraph run onto it."""
    key = match_key(rest)
    if (m := _PART_NAME.match(key)) and _LABEL_AFTER.match(key, m.end()):
        return rest[:m.end()], rest[m.end():].strip()
    first = rest.partition("。")[0]
    if len(first) > _HEADING_MAX and (m := _PART_NAME.match(key)):
        return rest[:m.end()], rest[m.end():].strip()
    if len(first) > _RUN_ON_TITLE and (m := _PART_NAME.match(key)) and _RUNS_ON.match(key, m.end()):
        # "（二）资金保障区财政部门要积极保障…": a part name run straight into its paragraph
        return rest[:m.end()], rest[m.end():].strip()
    return split_title(rest)


# What follows a part name run into its paragraph: a word, not a joining 和/及/与 or punctuation.
_RUNS_ON = re.compile(r"(?![和及与的])[\u4e00-\u9fff“《]")



def next_numeral(numbers: list[str]) -> str:
    """The numeral after the last of `numbers` ("三" after ["一", "二"])."""
    last = chinese_number(numbers[-1]) if numbers else 0
    return chinese_numeral((last or len(numbers)) + 1)


