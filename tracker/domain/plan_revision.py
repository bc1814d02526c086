"""What a revised document of a stored plan changes (修订): added, removed, reworded, moved,
units or deadlines changed. Pure: the stored tasks and the revised tree in, the diff out.

Tasks are matched first by identical text (ignoring punctuation and spaces), then the rest
one to one by text similarity (tracker.domain.plan_links.one_to_one), so a reworded task is
the same task and keeps its progress history. Only top-level tasks are compared: sub-tasks
are the coordinator's breakdown and stay under their task. Units and deadlines count as
changed only where the revised document states them (a document without units leaves the
coordinator's assignment alone).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tracker.domain.plan_links import LinkText, normalise, one_to_one
from tracker.domain.plan_model import ParsedPlan, ParsedTask

# A reworded task is matched down to this similarity; below it, it is a removal and an addition.
REWORD_THRESHOLD = 0.3

ADDED = "added"
REMOVED = "removed"
REWORDED = "reworded"
MOVED = "moved"
UNITS = "units"
DEADLINE = "deadline"
CHANGE_KINDS = (ADDED, REMOVED, REWORDED, MOVED, UNITS, DEADLINE)


@dataclass(frozen=True)
class Place:
    """Where a task sits: its section and item (numbers and titles as written)."""

    section_number: str
    section_title: str
    item_number: str | None
    item_title: str | None

    @property
    def key(self) -> tuple:
        return (self.section_number, self.item_number or self.item_title or "")

    @property
    def label(self) -> str:
        return f"{self.section_number}、{self.section_title}" + (
            f" {self.item_number or ''}{self.item_title or ''}" if self.item_number or self.item_title else "")


@dataclass(frozen=True)
class StoredTask:
    task_id: int
    text: str
    place: Place
    lead_units: tuple[str, ...]
    cooperating_units: tuple[str, ...]
    deadline: str | None  # ISO date, "ongoing" or None
    deadline_text: str | None


@dataclass(frozen=True)
class RevisedTask:
    index: int  # order in the revised document
    task: ParsedTask
    place: Place


@dataclass
class TaskChange:
    """One stored task matched to its revised version (or added, or removed)."""

    kinds: list[str]
    stored: StoredTask | None
    revised: RevisedTask | None
    similarity: float = 1.0


@dataclass
class RevisionDiff:
    changes: list[TaskChange] = field(default_factory=list)  # only tasks that change
    unchanged: int = 0

    def count(self, kind: str) -> int:
        return sum(kind in change.kinds for change in self.changes)


def revised_tasks(plan: ParsedPlan) -> list[RevisedTask]:
    result = []
    for section in plan.sections:
        for item in section.items:
            place = Place(section.number, section.title, item.number, item.title)
            for task in item.tasks:
                result.append(RevisedTask(len(result), task, place))
    return result


def _changes(stored: StoredTask, revised: RevisedTask) -> list[str]:
    task = revised.task
    kinds = []
    if stored.text != task.text:
        kinds.append(REWORDED)
    if stored.place.key != revised.place.key:
        kinds.append(MOVED)
    if (task.lead_units or task.cooperating_units) and (
            tuple(task.lead_units) != stored.lead_units
            or tuple(task.cooperating_units) != stored.cooperating_units):
        kinds.append(UNITS)
    if task.deadline and task.deadline != stored.deadline:
        kinds.append(DEADLINE)
    return kinds


def diff(stored: list[StoredTask], plan: ParsedPlan) -> RevisionDiff:
    revised = revised_tasks(plan)
    pairs: list[tuple[StoredTask, RevisedTask, float]] = []
    by_text: dict[str, list[StoredTask]] = {}
    for task in stored:
        by_text.setdefault(normalise(task.text), []).append(task)
    left_revised = []
    for new in revised:
        same = by_text.get(normalise(new.task.text))
        if same:
            pairs.append((same.pop(0), new, 1.0))
        else:
            left_revised.append(new)
    matched = {pair[0].task_id for pair in pairs}
    left_stored = [task for task in stored if task.task_id not in matched]
    for suggestion in one_to_one(
            [LinkText(new.index, new.task.text) for new in left_revised],
            [LinkText(old.task_id, old.text) for old in left_stored], threshold=REWORD_THRESHOLD):
        new = next(r for r in left_revised if r.index == suggestion.source)
        old = next(s for s in left_stored if s.task_id == suggestion.target)
        pairs.append((old, new, suggestion.similarity))
    result = RevisionDiff()
    paired_stored = {old.task_id for old, _, _ in pairs}
    paired_revised = {new.index for _, new, _ in pairs}
    for old, new, similarity in sorted(pairs, key=lambda pair: pair[1].index):
        kinds = _changes(old, new)
        if kinds:
            result.changes.append(TaskChange(kinds, old, new, round(similarity, 3)))
        else:
            result.unchanged += 1
    for new in revised:
        if new.index not in paired_revised:
            result.changes.append(TaskChange([ADDED], None, new, 0.0))
    for old in stored:
        if old.task_id not in paired_stored:
            result.changes.append(TaskChange([REMOVED], old, None, 0.0))
    return result
