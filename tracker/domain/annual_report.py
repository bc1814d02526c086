"""The parts of the 政府信息公开工作年度报告 that the plan feeds, as a draft the office edits:
总体情况 (per section of the plan: what was done, with figures, in the units' own words
condensed) and 存在的主要问题及改进情况 (the problems units stated, and what is still open).

Pure: the caller passes each task's status as of the year's end (tracker.domain.status decides
it) and the words of the update that status comes from; every figure here is a count of those
statuses, so the draft cannot disagree with the report or the ledger.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.domain.status import TaskStatus, plan_percent, plan_summary
from tracker.domain.vocabulary import STATUS_LABELS

CONDENSED_LENGTH = 60
MAX_HIGHLIGHTS = 4  # per section: the units' own words of this many tasks
OPEN_CODES = ("overdue", "behind", "not_started", "on_track")

_SENTENCE_END = re.compile(r"[。；;！!？?\n]")


@dataclass(frozen=True)
class TaskLine:
    number: str
    text: str
    lead_unit: str  # "" when unassigned
    status: TaskStatus
    work_done: str  # the reporting unit's words in the update the status comes from
    problems: str
    ongoing: bool


@dataclass(frozen=True)
class SectionDraft:
    title: str
    counts: dict[str, int]  # per status code, every code present
    total: int
    percent: float
    paragraph: str


@dataclass(frozen=True)
class AnnualDraft:
    title: str
    year: int | None
    as_of: str
    total: int
    counts: dict[str, int]
    percent: float
    overview: str
    sections: list[SectionDraft]
    problems: list[str]
    open_items: list[str]


def condense(words: str, limit: int = CONDENSED_LENGTH) -> str:
    """The first sentence of a unit's words, at most `limit` characters."""
    words = " ".join((words or "").split())
    first = _SENTENCE_END.split(words, maxsplit=1)[0].strip()
    return first if len(first) <= limit else first[:limit - 1] + "…"


def _figures(counts: dict[str, int], total: int) -> str:
    parts = [f"{STATUS_LABELS[code]}{counts[code]}项" for code in STATUS_LABELS if counts[code]]
    return f"共{total}项任务，" + "，".join(parts)


def section_draft(title: str, lines: list[TaskLine]) -> SectionDraft:
    statuses = [line.status for line in lines]
    counts = plan_summary(statuses)
    percent = plan_percent(statuses)
    said = [line for line in lines if line.work_done.strip()]
    said.sort(key=lambda line: (line.status.code != "done", -line.status.percent))
    highlights = [f"{line.lead_unit or '责任单位'}{condense(line.work_done)}"
                  for line in said[:MAX_HIGHLIGHTS]]
    paragraph = f"{title}方面，{_figures(counts, len(lines))}，平均进度{percent:.0f}%。"
    if highlights:
        paragraph += "；".join(highlights) + "。"
    return SectionDraft(title=title, counts=counts, total=len(lines), percent=percent,
                        paragraph=paragraph)


def build_draft(title: str, year: int | None, as_of: str,
                sections: list[tuple[str, list[TaskLine]]]) -> AnnualDraft:
    everything = [line for _, lines in sections for line in lines]
    statuses = [line.status for line in everything]
    counts = plan_summary(statuses)
    percent = plan_percent(statuses)
    overview = (f"{year or ''}年，按照《{title}》部署，{_figures(counts, len(everything))}，"
                f"平均进度{percent:.0f}%（统计截至{as_of}）。")
    problems = []
    for line in everything:
        if line.problems.strip():
            problems.append(f"{line.lead_unit or '责任单位'}反映：{condense(line.problems)}"
                            f"（{line.number or ''}{condense(line.text, 24)}）")
    open_items = []
    for code in OPEN_CODES:
        for line in everything:
            if line.status.code == code and not (code == "on_track" and line.ongoing):
                open_items.append(f"{condense(line.text, 40)}（{line.lead_unit or '未分配'}，"
                                  f"{STATUS_LABELS[code]}，进度{line.status.percent}%）")
    return AnnualDraft(title=title, year=year, as_of=as_of, total=len(everything), counts=counts,
                       percent=percent, overview=overview,
                       sections=[section_draft(name, lines) for name, lines in sections if lines],
                       problems=problems, open_items=open_items)


def draft_text(draft: AnnualDraft) -> str:
    """The draft as plain text, in the report's own headings."""
    lines = [f"{draft.year or ''}年政府信息公开工作年度报告（工作要点落实部分·初稿）", "",
             "一、总体情况", draft.overview]
    lines += [section.paragraph for section in draft.sections]
    lines += ["", "二、存在的主要问题及改进情况"]
    if draft.problems:
        lines.append("（一）存在的主要问题")
        lines += [f"{index}. {problem}" for index, problem in enumerate(draft.problems, start=1)]
    if draft.open_items:
        lines.append(f"（二）尚未完成的任务（{len(draft.open_items)}项），下一年度继续推进")
        lines += [f"{index}. {item}" for index, item in enumerate(draft.open_items, start=1)]
    if not draft.problems and not draft.open_items:
        lines.append("各项任务均已完成，未反映问题。")
    return "\n".join(lines) + "\n"
