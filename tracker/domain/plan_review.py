"""Reviewing a parsed plan before anything is stored.

Pure rules, no I/O, shared by the import page, the JSON API and `tracker plan import --review`:

* unit names matched to the tracker's unit list: exactly, by alias (``unit_key``), or new; a new
  name is never created silently: the coordinator chooses create / map to a unit / unassigned;
* the warnings on each task the parser was unsure of (no unit, an unknown unit, a deadline that
  does not resolve to a date);
* the coordinator's edits: field edits with their own deadline rule, merge, split, move, delete;
* ``check_draft``: the corrected draft → a template ready to store, or every reason it is not,
  each naming its field (the template loader's key syntax: sections[0].items[1].tasks[2].text).

A draft is a PlanTemplate; a task is addressed by its path (section, item, task) in the tree.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from tracker.domain.deadlines import resolve_deadline_phrase
from tracker.domain.errors import InvalidInput
from tracker.domain.messages import REVIEW
from tracker.domain.plan_model import ONGOING, ParsedItem, ParsedTask
from tracker.domain.plan_templates import PlanTemplate, iter_tasks

EXACT, ALIAS, NEW = "exact", "alias", "new"
CREATE, MAP, UNASSIGNED = "create", "map", "unassigned"
CHOICES = (CREATE, MAP, UNASSIGNED)

TaskPath = tuple[int, int, int]


# --- unit names ----------------------------------------------------------------------------

_TRAILING_ETC = re.compile(r"(?:等(?:单位|部门|科室|处室)?)+$")
# The issuing body's own prefix: 局办公室 / 本局办公室 are the bureau's 办公室 (but 局长… is not).
_OWN_PREFIX = re.compile(r"^(?:本局|本|局(?!长))")
_BRACKETS = str.maketrans("〔〕【】［］｛｝", "()()()()")


def unit_key(name: str) -> str:
    """The form two names of one unit share: full-width forms and brackets folded (NFKC),
    whitespace dropped, a trailing 等 and the bureau's own prefix (局/本局) left off."""
    text = unicodedata.normalize("NFKC", name or "").translate(_BRACKETS)
    text = re.sub(r"\s+", "", text)
    text = _TRAILING_ETC.sub("", text) or text
    stripped = _OWN_PREFIX.sub("", text)
    return stripped if len(stripped) >= 2 else text


@dataclass(frozen=True)
class UnitMatch:
    name: str  # as written in the plan
    kind: str  # EXACT | ALIAS | NEW
    unit: str | None = None  # the known unit it stands for (EXACT, ALIAS)
    candidates: tuple[str, ...] = ()  # NEW: known units with the same key (several: ambiguous)


class UnitDirectory:
    """The tracker's known unit names, indexed by unit_key."""

    def __init__(self, known: Iterable[str]):
        self.known = list(dict.fromkeys(known))
        self._names = set(self.known)
        self._by_key: dict[str, list[str]] = {}
        for name in self.known:
            self._by_key.setdefault(unit_key(name), []).append(name)

    def __contains__(self, name: str) -> bool:
        return name in self._names

    def match(self, name: str) -> UnitMatch:
        if name in self._names:
            return UnitMatch(name, EXACT, name)
        same = self._by_key.get(unit_key(name), [])
        if len(same) == 1:
            return UnitMatch(name, ALIAS, same[0])
        return UnitMatch(name, NEW, None, tuple(same))


@dataclass(frozen=True)
class UnitChoice:
    """The coordinator's answer for a name not among the known units."""

    action: str  # CREATE | MAP | UNASSIGNED
    unit: str | None = None  # MAP: the known unit


def plan_unit_names(template: PlanTemplate) -> list[str]:
    """Every unit name the draft's tasks use, in order of first use."""
    names: list[str] = []
    for task in iter_tasks(template.plan):
        for name in (*task.lead_units, *task.cooperating_units):
            if name not in names:
                names.append(name)
    return names


def unit_matches(template: PlanTemplate, directory: UnitDirectory) -> list[UnitMatch]:
    return [directory.match(name) for name in plan_unit_names(template)]


# --- warnings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewWarning:
    code: str  # no_unit | unknown_unit | deadline_unresolved | parser
    message: str
    field: str  # the task's field it is about: lead_units, deadline, text


def task_warnings(task: ParsedTask, directory: UnitDirectory,
                  choices: dict[str, UnitChoice] | None = None) -> list[ReviewWarning]:
    """What the coordinator should look at on this task."""
    choices = choices or {}
    found: list[ReviewWarning] = []
    if not task.lead_units and not task.cooperating_units:
        found.append(ReviewWarning("no_unit", REVIEW["warn_no_unit"], "lead_units"))
    for name in (*task.lead_units, *task.cooperating_units):
        if directory.match(name).kind == NEW and name not in choices:
            found.append(ReviewWarning("unknown_unit", REVIEW["warn_unknown_unit"].format(name=name),
                                       "lead_units"))
    if task.deadline_text and task.deadline is None:
        found.append(ReviewWarning("deadline_unresolved",
                                   REVIEW["warn_deadline"].format(text=task.deadline_text),
                                   "deadline"))
    # The parser's own doubts, when it records them (tracker.domain.plan_parsing does).
    for message in getattr(task, "warnings", None) or []:
        found.append(ReviewWarning("parser", message, "text"))
    return found


def task_path_key(path: TaskPath) -> str:
    s, i, t = path
    return f"sections[{s}].items[{i}].tasks[{t}]"


def iter_task_paths(template: PlanTemplate):
    """(path, task) for every top-level task of every item, in tree order."""
    for s, section in enumerate(template.plan.sections):
        for i, item in enumerate(section.items):
            for t, task in enumerate(item.tasks):
                yield (s, i, t), task


# --- field edits ---------------------------------------------------------------------------

_UNIT_SPLIT = re.compile(r"[、,，;；\s]+")
_ISO_LIKE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")


def split_unit_names(text: str | None) -> list[str]:
    """"局办公室、法规处" (or commas, semicolons, spaces) → names, each once."""
    return list(dict.fromkeys(name for name in _UNIT_SPLIT.split(text or "") if name))


def deadline_shown(deadline: str | None) -> str:
    """The deadline as the date field shows it."""
    if deadline == ONGOING:
        return REVIEW["ongoing"]
    return deadline or ""


def parse_deadline_input(value: str, year: int | None, key: str) -> str | None:
    """A date typed by the coordinator: YYYY-MM-DD, 持续推进, or a phrase such as 2018年6月底."""
    value = (value or "").strip()
    if not value:
        return None
    if _ISO_LIKE.fullmatch(value):
        try:
            return dt.date.fromisoformat(
                "-".join(part.zfill(2) for part in value.split("-"))).isoformat()
        except ValueError:
            raise InvalidInput(REVIEW["err_date_impossible"].format(value=value), key) from None
    if value.lower() == ONGOING:
        return ONGOING
    resolved = resolve_deadline_phrase(value, year)[1]
    if resolved is None:
        raise InvalidInput(REVIEW["err_date_unreadable"].format(value=value), key)
    return resolved


@dataclass
class TaskEdit:
    """What the page's form (or the API) says about one task; None: not sent, keep."""

    text: str | None = None
    number: str | None = None
    lead_units: list[str] | None = None
    cooperating_units: list[str] | None = None
    deadline_text: str | None = None
    deadline: str | None = None  # as typed in the date field


def apply_task_edit(task: ParsedTask, edit: TaskEdit, year: int | None, key: str) -> ParsedTask:
    """The task with the edit applied. The date field wins when it was changed; when only the
    完成时限 text changed, the date is resolved again from the new text (the plan's year)."""
    changed = copy.copy(task)
    if edit.text is not None:
        changed.text = edit.text.strip()
    if edit.number is not None:
        changed.number = edit.number.strip() or None
    if edit.lead_units is not None:
        changed.lead_units = list(edit.lead_units)
    if edit.cooperating_units is not None:
        changed.cooperating_units = [n for n in edit.cooperating_units if n not in changed.lead_units]
    text_changed = edit.deadline_text is not None and (edit.deadline_text.strip() or None) != task.deadline_text
    if edit.deadline_text is not None:
        changed.deadline_text = edit.deadline_text.strip() or None
    if edit.deadline is not None:
        typed = edit.deadline.strip()
        if typed and typed != deadline_shown(task.deadline):
            changed.deadline = parse_deadline_input(typed, year, f"{key}.deadline")
        elif text_changed or not typed:
            changed.deadline = resolve_deadline_phrase(changed.deadline_text, year)[1]
    return changed


def change_year(template: PlanTemplate, year: int | None) -> None:
    """A new plan year re-resolves the deadlines that came from their text with the old one."""
    old = template.plan.year
    if old == year:
        return
    for task in iter_tasks(template.plan):
        if task.deadline_text and task.deadline == resolve_deadline_phrase(task.deadline_text, old)[1]:
            task.deadline = resolve_deadline_phrase(task.deadline_text, year)[1]
    template.plan.year = year


# --- structural edits ----------------------------------------------------------------------


def _item(template: PlanTemplate, s: int, i: int) -> ParsedItem:
    try:
        return template.plan.sections[s].items[i]
    except IndexError:
        raise InvalidInput(REVIEW["err_no_such_task"], "action") from None


def _task_list(template: PlanTemplate, path: TaskPath) -> list[ParsedTask]:
    tasks = _item(template, path[0], path[1]).tasks
    if not 0 <= path[2] < len(tasks):
        raise InvalidInput(REVIEW["err_no_such_task"], "action")
    return tasks


def _join_text(first: str, second: str) -> str:
    return first + ("" if not first or first[-1] in "。；;！？!?" else "。") + second


def merge_with_next(template: PlanTemplate, path: TaskPath) -> None:
    """The task and the next one in its item become one: texts joined, units together, the
    later deadline, source lines spanning both."""
    tasks = _task_list(template, path)
    t = path[2]
    if t + 1 >= len(tasks):
        raise InvalidInput(REVIEW["err_merge_last"], task_path_key(path))
    first, second = tasks[t], tasks.pop(t + 1)
    first.text = _join_text(first.text, second.text)
    first.lead_units = list(dict.fromkeys([*first.lead_units, *second.lead_units]))
    first.cooperating_units = [n for n in dict.fromkeys([*first.cooperating_units,
                                                         *second.cooperating_units])
                               if n not in first.lead_units]
    if second.deadline and (not first.deadline or (first.deadline != ONGOING and (
            second.deadline == ONGOING or second.deadline > first.deadline))):
        first.deadline, first.deadline_text = second.deadline, second.deadline_text
    elif not first.deadline_text:
        first.deadline_text = second.deadline_text
    ends = [n for n in (getattr(first, "end_line", None), first.line,
                        getattr(second, "end_line", None), second.line) if n]
    if ends and hasattr(first, "end_line"):
        first.end_line = max(ends)
    first.milestones = [*first.milestones, *second.milestones]
    first.subtasks = [*first.subtasks, *second.subtasks]


_SENTENCE_END = re.compile(r"[。；;！？!?]")


def split_task(template: PlanTemplate, path: TaskPath) -> None:
    """One task becomes two: at the first line break the coordinator typed into its text, else
    after its first sentence. Both keep the units and the deadline."""
    tasks = _task_list(template, path)
    task = tasks[path[2]]
    text = task.text.strip()
    if "\n" in text:
        head, tail = text.split("\n", 1)
    else:
        end = next((m.end() for m in _SENTENCE_END.finditer(text) if m.end() < len(text)), None)
        if end is None:
            raise InvalidInput(REVIEW["err_split"], f"{task_path_key(path)}.text")
        head, tail = text[:end], text[end:]
    head, tail = head.strip(), tail.strip()
    if not head or not tail:
        raise InvalidInput(REVIEW["err_split"], f"{task_path_key(path)}.text")
    task.text = head
    second = replace(task, number=None, text=tail, lead_units=list(task.lead_units),
                     cooperating_units=list(task.cooperating_units), milestones=[], subtasks=[])
    tasks.insert(path[2] + 1, second)


def _item_paths(template: PlanTemplate) -> list[tuple[int, int]]:
    return [(s, i) for s, section in enumerate(template.plan.sections)
            for i in range(len(section.items))]


def move_task(template: PlanTemplate, path: TaskPath, step: int) -> None:
    """One place up (step -1) or down (+1); past the first or last task of its item, into the
    end of the item before or the start of the item after."""
    tasks = _task_list(template, path)
    s, i, t = path
    target = t + step
    if 0 <= target < len(tasks):
        tasks[t], tasks[target] = tasks[target], tasks[t]
        return
    items = _item_paths(template)
    index = items.index((s, i)) + step
    if not 0 <= index < len(items):
        raise InvalidInput(REVIEW["err_move_edge"], task_path_key(path))
    task = tasks.pop(t)
    other = _item(template, *items[index]).tasks
    if step < 0:
        other.append(task)
    else:
        other.insert(0, task)


def move_to_item(template: PlanTemplate, path: TaskPath, item: tuple[int, int]) -> None:
    """The task to the end of another item."""
    tasks = _task_list(template, path)
    target = _item(template, *item).tasks
    if target is tasks:
        return
    target.append(tasks.pop(path[2]))


def delete_task(template: PlanTemplate, path: TaskPath) -> None:
    _task_list(template, path).pop(path[2])


# --- the check before storing ---------------------------------------------------------------


class DraftRefused(InvalidInput):
    """Every reason the draft cannot be stored, each with its field; the first is the message."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = errors
        field_name, message = errors[0]
        more = REVIEW["err_more"].format(count=len(errors) - 1) if len(errors) > 1 else ""
        super().__init__(message + more, field_name)


@dataclass
class CheckedDraft:
    template: PlanTemplate  # unit names resolved to known units or units to create
    units_to_create: list[str] = field(default_factory=list)


def resolve_choice(match: UnitMatch, choice: UnitChoice | None, directory: UnitDirectory,
                   create_all: bool) -> tuple[str | None, str | None]:
    """(the unit name to store or None for unassigned, an error message or None)."""
    if match.kind != NEW and choice is None:
        return match.unit, None
    if choice is None:
        return (match.name, None) if create_all else (None, REVIEW["err_unit_undecided"].format(
            name=match.name))
    if choice.action == CREATE:
        return match.name, None
    if choice.action == UNASSIGNED:
        return None, None
    if choice.action == MAP and choice.unit and choice.unit in directory:
        return choice.unit, None
    return None, REVIEW["err_unit_target"].format(name=match.name, unit=choice.unit or "")


def check_draft(template: PlanTemplate, directory: UnitDirectory,
                choices: dict[str, UnitChoice] | None = None,
                create_all: bool = False) -> CheckedDraft:
    """The draft as it will be stored, or DraftRefused with every reason and its field."""
    choices = choices or {}
    errors: list[tuple[str, str]] = []
    plan = copy.deepcopy(template.plan)
    if not (plan.title or "").strip():
        errors.append(("plan.title", REVIEW["err_title"]))
    if plan.year is not None and not 1990 <= plan.year <= 2100:
        errors.append(("plan.year", REVIEW["err_year"]))

    names: dict[str, str | None] = {}
    to_create: list[str] = []
    for name in plan_unit_names(template):
        stored, problem = resolve_choice(directory.match(name), choices.get(name), directory,
                                         create_all)
        if problem:
            errors.append((f"units.{name}", problem))
        names[name] = stored
        if stored is not None and stored not in directory and stored not in to_create:
            to_create.append(stored)
    def resolve(units: list[str], exclude: Sequence[str] = ()) -> list[str]:
        out = [names.get(n) for n in units]
        return [n for n in dict.fromkeys(out) if n is not None and n not in exclude]

    def walk(tasks: list[ParsedTask], key: str) -> None:
        numbers: dict[str, int] = {}
        for index, task in enumerate(tasks):
            task_key = f"{key}[{index}]"
            if not (task.text or "").strip():
                errors.append((f"{task_key}.text", REVIEW["err_text_empty"]))
            elif len(task.text) > 10000:
                errors.append((f"{task_key}.text", REVIEW["err_text_long"]))
            if task.number:
                if task.number in numbers:
                    errors.append((f"{task_key}.number", REVIEW["err_number_twice"].format(
                        number=task.number, other=numbers[task.number] + 1)))
                numbers.setdefault(task.number, index)
            if task.deadline_text and len(task.deadline_text) > 100:
                errors.append((f"{task_key}.deadline_text", REVIEW["err_deadline_text_long"]))
            if task.deadline is None and task.deadline_text:
                # Text without a date (a YAML or API edit): the date it stands for, if any.
                task.deadline = resolve_deadline_phrase(task.deadline_text, plan.year)[1]
            if task.deadline not in (None, ONGOING):
                try:
                    dt.date.fromisoformat(task.deadline)
                except ValueError:
                    errors.append((f"{task_key}.deadline",
                                   REVIEW["err_date_impossible"].format(value=task.deadline)))
            task.lead_units = resolve(task.lead_units)
            task.cooperating_units = resolve(task.cooperating_units, task.lead_units)
            walk(task.subtasks, f"{task_key}.subtasks")

    for s, section in enumerate(plan.sections):
        for i, item in enumerate(section.items):
            walk(item.tasks, f"sections[{s}].items[{i}].tasks")
    if not any(True for _ in iter_tasks(plan)):
        errors.append(("sections", REVIEW["err_no_tasks"]))
    if errors:
        raise DraftRefused(errors)
    checked = PlanTemplate(plan=plan, units=[], milestones=list(template.milestones),
                           reporting=template.reporting, note=template.note)
    checked.units = plan_unit_names(checked)
    return CheckedDraft(template=checked, units_to_create=to_create)


# --- the review as YAML (tracker plan import FILE --review OUT.yaml) ---------------------------

_CREATE_WORDS = {REVIEW["yaml_choice_create"], CREATE}
_UNASSIGNED_WORDS = {REVIEW["yaml_choice_unassigned"], UNASSIGNED}


def choices_from_template(template: PlanTemplate) -> dict[str, UnitChoice]:
    """The `new_units` decisions written in a reviewed template."""
    choices = {}
    for name, value in template.new_units.items():
        if not value:
            continue
        if value in _CREATE_WORDS:
            choices[name] = UnitChoice(CREATE)
        elif value in _UNASSIGNED_WORDS:
            choices[name] = UnitChoice(UNASSIGNED)
        else:
            choices[name] = UnitChoice(MAP, value)
    return choices


def review_template(template: PlanTemplate, directory: UnitDirectory) -> tuple[PlanTemplate, dict]:
    """The draft written for review: alias names replaced by the known unit they stand for,
    new names listed under new_units (undecided). Returns (template, dump_template keywords)."""
    reviewed = copy.deepcopy(template)
    matches = {m.name: m for m in unit_matches(reviewed, directory)}
    rename = {name: m.unit for name, m in matches.items() if m.kind == ALIAS}
    for task in iter_tasks(reviewed.plan):
        task.lead_units = list(dict.fromkeys(rename.get(n, n) for n in task.lead_units))
        task.cooperating_units = [n for n in dict.fromkeys(rename.get(n, n)
                                                            for n in task.cooperating_units)
                                  if n not in task.lead_units]
    reviewed.units = plan_unit_names(reviewed)
    new = [m for m in matches.values() if m.kind == NEW]
    reviewed.new_units = {m.name: template.new_units.get(m.name) for m in new}
    unit_comments = [REVIEW["yaml_units"]]
    for m in matches.values():
        if m.kind == ALIAS:
            unit_comments.append("  " + REVIEW["yaml_unit_alias"].format(name=m.name, unit=m.unit))
        elif m.kind == NEW:
            hint = REVIEW["match_candidates"].format(names="、".join(m.candidates)) if m.candidates else ""
            unit_comments.append("  " + REVIEW["yaml_unit_new"].format(name=m.name, hint=hint))
    unit_comments.append(REVIEW["yaml_new_units"])
    task_comments = {}
    for task in iter_tasks(reviewed.plan):
        lines = [REVIEW["yaml_warn"].format(message=w.message)
                 for w in task_warnings(task, directory)]
        if task.line:
            lines.append(REVIEW["source_line"].format(line=task.line))
        if lines:
            task_comments[id(task)] = lines
    return reviewed, {"header": [REVIEW["yaml_header"]], "task_comments": task_comments,
                      "unit_comments": unit_comments}


def warned_tasks(template: PlanTemplate, directory: UnitDirectory,
                 choices: dict[str, UnitChoice] | None = None) -> int:
    return sum(1 for task in iter_tasks(template.plan) if task_warnings(task, directory, choices))


def undecided_units(template: PlanTemplate, directory: UnitDirectory,
                    choices: dict[str, UnitChoice]) -> list[str]:
    """Names the tasks use that are neither known units nor decided by the coordinator."""
    return [m.name for m in unit_matches(template, directory)
            if m.kind == NEW and m.name not in choices]
