"""Filtering the plan tree by unit, status, section and text (the plan page's search form).

Pure: the tree and each task's status code in, the sections to show out. A task is shown when
it matches, or when one of its sub-tasks does (so a sub-task is never shown without the task it
belongs to); empty items and sections are left out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from tracker.domain.errors import InvalidInput
from tracker.domain.vocabulary import STATUS_LABELS

# The tree's shapes are the API's msgspec Structs (tracker.schemas.SectionOut, ItemOut, TaskOut),
# which this layer does not import: anything with the same fields works.
SectionOut = TaskOut = Any

MAX_TEXT = 100


@dataclass(frozen=True)
class PlanFilter:
    unit: str = ""  # a unit's name, lead or cooperating
    status: str = ""  # a status code (STATUS_LABELS)
    section: int | None = None  # a section's id
    text: str = ""  # words in the task's text or number

    @property
    def active(self) -> bool:
        return bool(self.unit or self.status or self.section is not None or self.text)

    def as_query(self) -> dict[str, str]:
        return {"unit": self.unit, "status": self.status,
                "section": "" if self.section is None else str(self.section), "q": self.text}


def parse_filter(unit: str | None, status: str | None, section: str | None,
                 text: str | None) -> PlanFilter:
    """The page's query parameters, checked; each refusal names its field."""
    status = (status or "").strip()
    if status and status not in STATUS_LABELS:
        raise InvalidInput(f"未知状态“{status[:20]}”（可用：{'、'.join(STATUS_LABELS.values())}）",
                           "status")
    section = (section or "").strip()
    if section and not section.isdigit():
        raise InvalidInput(f"部分编号“{section[:20]}”无效", "section")
    text = " ".join((text or "").split())
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"搜索内容不能超过{MAX_TEXT}字", "q")
    return PlanFilter(unit=(unit or "").strip()[:100], status=status,
                      section=int(section) if section else None, text=text)


def _matches(task: TaskOut, statuses: dict[int, str], wanted: PlanFilter) -> bool:
    if wanted.unit and wanted.unit not in task.lead_units and (
            wanted.unit not in task.cooperating_units):
        return False
    if wanted.status and statuses.get(task.id) != wanted.status:
        return False
    if wanted.text:
        haystack = f"{task.number or ''} {task.text}".casefold()
        if not all(word.casefold() in haystack for word in wanted.text.split()):
            return False
    return True


def _filter_task(task: TaskOut, statuses: dict[int, str], wanted: PlanFilter) -> TaskOut | None:
    subtasks = [kept for sub in task.subtasks
                if (kept := _filter_task(sub, statuses, wanted)) is not None]
    if not subtasks and not _matches(task, statuses, wanted):
        return None
    return msgspec.structs.replace(task, subtasks=subtasks)


def count_tasks(tasks: list[TaskOut]) -> int:
    return sum(1 + count_tasks(task.subtasks) for task in tasks)


def filter_sections(sections: list[SectionOut], statuses: dict[int, str],
                    wanted: PlanFilter) -> list[SectionOut]:
    if not wanted.active:
        return sections
    shown = []
    for section in sections:
        if wanted.section is not None and section.id != wanted.section:
            continue
        items = []
        for item in section.items:
            tasks = [kept for task in item.tasks
                     if (kept := _filter_task(task, statuses, wanted)) is not None]
            if tasks:
                items.append(msgspec.structs.replace(item, tasks=tasks))
        if items:
            shown.append(msgspec.structs.replace(section, items=items))
    return shown




def page_of_sections(sections: list[SectionOut], page: int,
                     per_page: int) -> tuple[list[SectionOut], int]:
    """One page of the tree: the `page`-th run of `per_page` top-level tasks (each with its
    sub-tasks), in the tree's order, with their items and sections; and how many top-level
    tasks there are in all. A city's 2,000 tasks filtered by status are still hundreds."""
    first, last = (page - 1) * per_page, page * per_page
    shown, seen = [], 0
    for section in sections:
        items = []
        for item in section.items:
            tasks = item.tasks[max(0, first - seen):max(0, last - seen)]
            seen += len(item.tasks)
            if tasks:
                items.append(msgspec.structs.replace(item, tasks=tasks))
        if items:
            shown.append(msgspec.structs.replace(section, items=items))
    return shown, seen
