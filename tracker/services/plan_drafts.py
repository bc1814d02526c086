"""Import drafts: a parsed plan kept server-side while the coordinator corrects it, then stored
in one transaction (tracker.services.plans.import_plan).

A draft is a row of `plan_draft`, so any instance of the tracker can show, edit and store it:
the uploading user, a version (every saved edit bumps it, only if nobody saved since, so two
windows or two instances cannot overwrite each other), and as JSON the source text, the tree
as a PlanTemplate and the coordinator's unit choices. Drafts older than a week are swept when
a new one is made; a stored draft is deleted.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field

import msgspec

from tracker.domain import plan_review as review
from tracker.domain.errors import Conflict, InvalidInput, NotFound
from tracker.domain.messages import REVIEW
from tracker.domain.plan_model import (
    MilestoneSpec,
    ParsedItem,
    ParsedPlan,
    ParsedSection,
    ParsedTask,
)
from tracker.domain.plan_parsing import parse_plan_document
from tracker.domain.plan_parsing.plan_source import is_template, load_plan_source
from tracker.domain.plan_templates import PlanTemplate, template_from_parsed
from tracker.schemas import (
    DraftItem,
    DraftMilestone,
    DraftPlanMeta,
    DraftSection,
    DraftTask,
    DraftUnit,
    DraftWarning,
    ImportSummary,
    PlanDraftIn,
    PlanDraftOut,
    UnitChoiceIn,
)
from tracker.services import plans
from tracker.services.parsing import parse_off_loop
from tracker.tables import PlanDraft, Unit

DRAFT_SECONDS = 7 * 24 * 60 * 60
_DRAFT_ID = re.compile(r"[0-9a-f]{32}")


def parse_document(content: bytes, filename: str) -> tuple[ParsedPlan, str]:
    """Document bytes → (its tree, the text the tasks' line numbers refer to).

    The one call into the parser."""
    plan = parse_plan_document(content, filename)
    return plan, plan.source_text or ""


def read_source(content: bytes, filename: str) -> tuple[PlanTemplate, str]:
    """A template (.yaml) or a document, as a draft template and its source text."""
    if is_template(filename):
        return load_plan_source(content, filename), ""
    plan, text = parse_document(content, filename)
    return template_from_parsed(plan), text


async def unit_directory() -> review.UnitDirectory:
    rows = await Unit.select(Unit.name).order_by(Unit.name)
    return review.UnitDirectory(row["name"] for row in rows)


# --- storage ---------------------------------------------------------------------------------


class _Stored(msgspec.Struct):
    file_name: str
    source_text: str
    template: PlanTemplate
    choices: dict[str, UnitChoiceIn] = {}
    replace: bool = False


@dataclass
class Draft:
    id: str
    owner: int
    version: int
    file_name: str
    source_text: str
    template: PlanTemplate
    choices: dict[str, review.UnitChoice] = field(default_factory=dict)
    replace: bool = False


def _check_id(draft_id: str) -> None:
    if not _DRAFT_ID.fullmatch(draft_id or ""):
        raise NotFound(REVIEW["err_draft_gone"], "draft_id")


def _body(draft: Draft) -> str:
    return msgspec.json.encode(_Stored(
        file_name=draft.file_name, source_text=draft.source_text, template=draft.template,
        choices={name: UnitChoiceIn(c.action, c.unit) for name, c in draft.choices.items()},
        replace=draft.replace)).decode()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _save(draft: Draft) -> None:
    """Save an edit as version `draft.version`, only over the version it was made from."""
    saved = await PlanDraft.update({PlanDraft.body: _body(draft), PlanDraft.version: draft.version,
                                    PlanDraft.saved_at: _now()}).where(
        (PlanDraft.draft_key == draft.id) & (PlanDraft.version == draft.version - 1)).returning(
        PlanDraft.id)
    if not saved:
        current = await PlanDraft.select(PlanDraft.version).where(
            PlanDraft.draft_key == draft.id).first()
        if current is None:
            raise NotFound(REVIEW["err_draft_gone"], "draft_id")
        raise Conflict(REVIEW["err_draft_stale"].format(seen=draft.version - 1,
                                                        now=current["version"]), "version")


async def load_draft(draft_id: str, user_id: int) -> Draft:
    """The draft, only for the user who made it."""
    _check_id(draft_id)
    row = await PlanDraft.select(PlanDraft.owner, PlanDraft.version, PlanDraft.body).where(
        PlanDraft.draft_key == draft_id).first()
    if row is None or row["owner"] != user_id:
        raise NotFound(REVIEW["err_draft_gone"], "draft_id")
    try:
        stored = msgspec.json.decode(row["body"], type=_Stored)
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise NotFound(REVIEW["err_draft_gone"], "draft_id") from None
    return Draft(id=draft_id, owner=row["owner"], version=row["version"],
                 file_name=stored.file_name, source_text=stored.source_text,
                 template=stored.template,
                 choices={n: review.UnitChoice(c.action, c.unit) for n, c in stored.choices.items()},
                 replace=stored.replace)


@dataclass
class DraftListed:
    id: str
    file_name: str
    title: str
    saved_at: str  # ISO, UTC


class _Listed(msgspec.Struct):
    """What the list needs from a draft's JSON (the tree is not decoded)."""

    file_name: str
    template: dict


async def list_drafts(user_id: int) -> list[DraftListed]:
    """The user's drafts not yet stored, newest first (to come back to one later)."""
    found = []
    for row in await PlanDraft.select(PlanDraft.draft_key, PlanDraft.body, PlanDraft.saved_at).where(
            PlanDraft.owner == user_id).order_by(PlanDraft.saved_at, ascending=False):
        try:
            stored = msgspec.json.decode(row["body"], type=_Listed)
        except (msgspec.DecodeError, msgspec.ValidationError):
            continue
        title = (stored.template.get("plan") or {}).get("title") or ""
        found.append(DraftListed(row["draft_key"], stored.file_name, title,
                                 row["saved_at"].astimezone(dt.UTC).isoformat(timespec="seconds")))
    return found


async def discard_draft(draft_id: str, user_id: int) -> None:
    await load_draft(draft_id, user_id)
    await _delete(draft_id)


async def _delete(draft_id: str) -> None:
    await PlanDraft.delete().where(PlanDraft.draft_key == draft_id)


async def create_draft(user_id: int, content: bytes, filename: str, replace: bool = False) -> Draft:
    """Parse the upload (in a worker thread, with a time limit) and keep it as a draft; the plan
    itself is not stored yet."""
    template, text = await parse_off_loop(read_source, content, filename)
    await PlanDraft.delete().where(PlanDraft.saved_at < _now() - dt.timedelta(seconds=DRAFT_SECONDS))
    draft = Draft(id=secrets.token_hex(16), owner=user_id, version=1, file_name=filename,
                  source_text=text, template=template, replace=replace)
    await PlanDraft.insert(PlanDraft(draft_key=draft.id, owner=user_id, version=1,
                                     body=_body(draft), saved_at=_now()))
    return draft


def _check_version(draft: Draft, version: int | None) -> None:
    if version is not None and version != draft.version:
        raise Conflict(REVIEW["err_draft_stale"].format(seen=version, now=draft.version), "version")


# --- the view (page and API) -----------------------------------------------------------------


def _task_out(task: ParsedTask, key: str | None, directory: review.UnitDirectory,
              choices: dict[str, review.UnitChoice]) -> DraftTask:
    return DraftTask(
        number=task.number, text=task.text, lead_units=list(task.lead_units),
        cooperating_units=list(task.cooperating_units), deadline_text=task.deadline_text,
        deadline=task.deadline, line=task.line,
        end_line=getattr(task, "end_line", None) or task.line,
        milestones=[DraftMilestone(m.title, m.due_on) for m in task.milestones],
        subtasks=[_task_out(sub, None, directory, choices) for sub in task.subtasks],
        key=key,
        warnings=[DraftWarning(w.code, w.message, w.field)
                  for w in review.task_warnings(task, directory, choices)],
    )


def draft_out(draft: Draft, directory: review.UnitDirectory) -> PlanDraftOut:
    plan = draft.template.plan
    sections = [
        DraftSection(number=section.number, title=section.title, items=[
            DraftItem(number=item.number, title=item.title, tasks=[
                _task_out(task, review.task_path_key((s, i, t)), directory, draft.choices)
                for t, task in enumerate(item.tasks)])
            for i, item in enumerate(section.items)])
        for s, section in enumerate(plan.sections)
    ]
    units = []
    for match in review.unit_matches(draft.template, directory):
        choice = draft.choices.get(match.name)
        units.append(DraftUnit(name=match.name, match=match.kind, unit=match.unit,
                               candidates=list(match.candidates),
                               choice=UnitChoiceIn(choice.action, choice.unit) if choice else None))
    return PlanDraftOut(
        id=draft.id, version=draft.version, file_name=draft.file_name, replace=draft.replace,
        plan=DraftPlanMeta(title=plan.title, issuer=plan.issuer, doc_number=plan.doc_number,
                           issued_on=plan.issued_on, year=plan.year, preamble=plan.preamble,
                           interpretation=plan.interpretation),
        sections=sections, units=units,
        warnings=review.warned_tasks(draft.template, directory, draft.choices),
        known_units=directory.known,
        source_lines=draft.source_text.split("\n") if draft.source_text else [],
    )


async def view_draft(draft_id: str, user_id: int) -> PlanDraftOut:
    return draft_out(await load_draft(draft_id, user_id), await unit_directory())


# --- edits from the page ---------------------------------------------------------------------


@dataclass
class DraftForm:
    """What the preview form sends: every field, the unit choices, and one action."""

    version: int | None
    title: str | None = None
    year: str | None = None
    doc_number: str | None = None
    issuer: str | None = None
    tasks: dict[review.TaskPath, review.TaskEdit] = field(default_factory=dict)
    choices: dict[str, str] = field(default_factory=dict)  # name → "create" | "unassigned" | "map:X" | ""
    replace: bool | None = None
    action: str = "save"  # save | store | merge:KEY | split:KEY | up:KEY | down:KEY | delete:KEY | move:KEY


_KEY = re.compile(r"sections\[(\d+)\]\.items\[(\d+)\]\.tasks\[(\d+)\]")


def parse_task_key(key: str) -> review.TaskPath:
    match = _KEY.fullmatch(key or "")
    if not match:
        raise InvalidInput(REVIEW["err_bad_action"], "action")
    return int(match[1]), int(match[2]), int(match[3])


def _choice(name: str, value: str) -> review.UnitChoice | None:
    if not value:
        return None
    if value in (review.CREATE, review.UNASSIGNED):
        return review.UnitChoice(value)
    if value.startswith("map:") and value[4:]:
        return review.UnitChoice(review.MAP, value[4:])
    raise InvalidInput(REVIEW["err_choice"].format(name=name), f"units.{name}")


def apply_form(draft: Draft, form: DraftForm) -> list[tuple[str, str]]:
    """Apply the form's fields and its action to the draft in memory; the field errors, if any
    (then the draft must not be saved)."""
    errors: list[tuple[str, str]] = []
    template = draft.template
    plan = template.plan
    if form.title is not None:
        plan.title = form.title.strip()
    for name in ("doc_number", "issuer"):
        value = getattr(form, name)
        if value is not None:
            setattr(plan, name, value.strip() or None)
    if form.replace is not None:
        draft.replace = form.replace
    for path, edit in form.tasks.items():
        try:
            item_tasks = plan.sections[path[0]].items[path[1]].tasks
            task = item_tasks[path[2]]
        except IndexError:
            errors.append(("action", REVIEW["err_no_such_task"]))
            continue
        try:
            item_tasks[path[2]] = review.apply_task_edit(task, edit, plan.year,
                                                         review.task_path_key(path))
        except InvalidInput as error:
            errors.append((error.field or "", error.message))
    if form.year is not None:  # after the task edits, which read dates with the year they saw
        year = form.year.strip()
        if year and not (year.isdigit() and len(year) == 4):
            errors.append(("plan.year", REVIEW["err_year_format"]))
        else:
            review.change_year(template, int(year) if year else None)
    for name, value in form.choices.items():
        try:
            choice = _choice(name, value)
        except InvalidInput as error:
            errors.append((error.field or "", error.message))
            continue
        if choice is None:
            draft.choices.pop(name, None)
        else:
            draft.choices[name] = choice
    if errors:
        return errors
    verb, _, key = form.action.partition(":")
    if verb in ("save", "store"):
        return []
    operations = {
        "merge": review.merge_with_next, "split": review.split_task,
        "up": lambda t, p: review.move_task(t, p, -1), "down": lambda t, p: review.move_task(t, p, 1),
        "delete": review.delete_task,
    }
    try:
        if verb == "move":
            path_key, _, target = key.partition(">")
            s, i = (int(n) for n in target.split(".", 1))
            review.move_to_item(template, parse_task_key(path_key), (s, i))
        elif verb in operations:
            operations[verb](template, parse_task_key(key))
        else:
            raise InvalidInput(REVIEW["err_bad_action"], "action")
    except InvalidInput as error:
        errors.append((error.field or "action", error.message))
    except ValueError:
        errors.append(("action", REVIEW["err_bad_action"]))
    return errors


async def edit_draft(draft_id: str, user_id: int, form: DraftForm) -> tuple[Draft, list[tuple[str, str]]]:
    """Apply the form; saved (version + 1) when it has no errors. Returns the draft as edited
    in memory (for showing the errors beside what was typed) and the errors."""
    draft = await load_draft(draft_id, user_id)
    _check_version(draft, form.version)
    errors = apply_form(draft, form)
    if not errors:
        draft.version += 1
        await _save(draft)
    return draft, errors


# --- storing ---------------------------------------------------------------------------------


async def store_checked(template: PlanTemplate, choices: dict[str, review.UnitChoice], *,
                        create_all: bool = False, replace: bool = False,
                        source_name: str | None = None, actor: int | None = None) -> ImportSummary:
    """Check the draft against the known units and store it in one transaction; refuses with
    every field at fault (DraftRefused), nothing stored."""
    directory = await unit_directory()
    checked = review.check_draft(template, directory, choices, create_all=create_all)
    return await plans.import_plan(checked.template, replace=replace, source_name=source_name,
                                   actor=actor, create_units=checked.units_to_create)


async def store_draft(draft_id: str, user_id: int, version: int | None = None) -> ImportSummary:
    draft = await load_draft(draft_id, user_id)
    _check_version(draft, version)
    summary = await store_checked(draft.template, draft.choices, replace=draft.replace,
                                  source_name=draft.file_name, actor=user_id)
    await _delete(draft_id)
    return summary


def _task_in(task: DraftTask) -> ParsedTask:
    return ParsedTask(
        number=task.number, text=task.text, lead_units=list(task.lead_units),
        cooperating_units=list(task.cooperating_units), deadline_text=task.deadline_text,
        deadline=task.deadline, line=task.line,
        milestones=[MilestoneSpec(m.title, m.due_on) for m in task.milestones],
        subtasks=[_task_in(sub) for sub in task.subtasks])


async def store_corrected(draft_id: str, user_id: int, corrected: PlanDraftIn) -> ImportSummary:
    """The API's PUT: the whole corrected tree replaces the draft's and is stored."""
    draft = await load_draft(draft_id, user_id)
    _check_version(draft, corrected.version)
    meta = corrected.plan
    year = meta.year
    plan = ParsedPlan(
        title=meta.title, issuer=meta.issuer, doc_number=meta.doc_number,
        issued_on=meta.issued_on, year=year, interpretation=meta.interpretation,
        preamble=meta.preamble,
        sections=[ParsedSection(number=s.number, title=s.title, items=[
            ParsedItem(number=i.number, title=i.title, tasks=[_task_in(t) for t in i.tasks])
            for i in s.items]) for s in corrected.sections])
    template = PlanTemplate(plan=plan, units=[], milestones=draft.template.milestones,
                            reporting=draft.template.reporting, note=draft.template.note)
    choices = {}
    for name, choice in corrected.unit_choices.items():
        if choice.action not in review.CHOICES:
            raise InvalidInput(REVIEW["err_choice"].format(name=name), f"unit_choices.{name}")
        choices[name] = review.UnitChoice(choice.action, choice.unit)
    summary = await store_checked(template, choices, replace=corrected.replace,
                                  source_name=draft.file_name, actor=user_id)
    await _delete(draft_id)
    return summary
