"""Bulk assignment from a 任务分工表: match each row to a task and its units to known units,
preview what would change, then apply it all in one transaction.

Matching a row to a task of the plan:

* A 部分 / 分项 column (the ledger's own) restricts the candidates to that section / item.
* With task text: the first of these that finds any task wins — the exact text, the text with
  punctuation and whitespace ignored (full-width and traditional forms folded), then a prefix
  (the row's text starts the task's, or the task's starts the row's; at least 4 characters).
  Several tasks found: the 序号 narrows them (a path such as "1", "1.2", "（一）1", "一.（一）.1",
  matched against the end of each task's 一/（一）/1 path), then a grouping row above ("一、…",
  "（一）…"). Still several: the row is refused as ambiguous.
* Without task text: the 序号 path alone, when it names exactly one task.
* Two rows matching one task are both refused.

Unit names match a unit exactly, else uniquely once whitespace and full-width forms are
folded. An unknown unit refuses its row, unless ``create_units`` (the unit is then created on
apply). An inactive unit refuses its row.

Nothing is written by the preview. ``apply_assignments`` recomputes the preview inside one
write transaction, refuses everything if a row is refused (unless ``skip_refused``) or if the
result differs from the preview the user saw (a task edited since: 409 naming it), and edits
each task through ``planning.edit_task`` with the version seen, so a concurrent edit is a
Conflict and the whole import is rolled back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

import msgspec

from tracker.db import write_transaction
from tracker.domain.deadlines import chinese_number
from tracker.domain.errors import Conflict, InvalidInput, NotFound
from tracker.domain.ledger import AssignmentRow, AssignmentTable, read_assignment_table
from tracker.domain.plan_parsing import Line, item_heading, match_key, section_heading
from tracker.schemas import (
    AssignmentPreview,
    AssignmentRowOut,
    AssignmentSummary,
    DeadlineChange,
    ItemOut,
    PlanDetail,
    SectionOut,
    TaskOut,
    UnitsChange,
)
from tracker.services import accounts, audit, planning
from tracker.services.parsing import parse_off_loop
from tracker.services.plans import get_plan
from tracker.tables import StagedUpload, Task, Unit

MAX_LEDGER_BYTES = 5 * 1024 * 1024
MIN_PREFIX = 4
STAGED_SECONDS = 24 * 60 * 60


# --- the plan's tasks, flattened -------------------------------------------------------------


@dataclass
class _Task:
    id: int
    version: int
    text: str
    norm: str
    path: str
    tokens: tuple[tuple[str, str], ...] | None  # None: no complete numbering
    section_key: str  # "一" (financial numerals folded)
    section_norm: str  # the title, normalised
    item_key: str | None  # "(一)"
    item_norm: str
    lead: list[str]
    cooperating: list[str]
    deadline_text: str | None
    deadline: str | None


_FOLD_NUMERALS = str.maketrans("壹贰叁参肆伍陆柒捌玖拾", "一二三三四五六七八九十")


def _norm(text: str) -> str:
    """Text for matching: full-width/traditional folded, punctuation and whitespace dropped."""
    return re.sub(r"[\W_]+", "", match_key(text or "")).lower()


def _number_value(text: str) -> str:
    text = match_key(text).strip(" ()、.")
    if text.isdigit():
        return str(int(text))
    value = chinese_number(text)
    return str(value) if value is not None else text


_TOKEN = re.compile(r"\(\s*([一二三四五六七八九十百〇零两]+)\s*\)|\(\s*(\d+)\s*\)"
                    r"|([一二三四五六七八九十百〇零两]+)|(\d+)")


def _number_tokens(text: str) -> tuple[tuple[str, str], ...]:
    """"一.（一）.1" → (("s", "1"), ("i", "1"), ("t", "1")): section, item, task numbers."""
    tokens = []
    for m in _TOKEN.finditer(match_key(text)):
        if m[1]:
            tokens.append(("i", _number_value(m[1])))
        elif m[2]:
            tokens.append(("t", str(int(m[2]))))
        elif m[3]:
            tokens.append(("s", _number_value(m[3])))
        else:
            tokens.append(("t", str(int(m[4]))))
    return tuple(tokens)


def _flatten(plan: PlanDetail, versions: dict[int, int]) -> list[_Task]:
    tasks: list[_Task] = []

    def walk(task: TaskOut, chain: list[str | None], section: SectionOut, item: ItemOut) -> None:
        chain = [*chain, task.number]
        numbered = all(chain)
        tokens = None
        if numbered:
            head = [("s", _number_value(section.number))]
            if item.number:
                head.append(("i", _number_value(item.number)))
            tokens = tuple(head + [("t", _number_value(n)) for n in chain])
        path = "/".join(p for p in (section.number, item.number,
                                    ".".join(chain) if numbered else task.number) if p)
        tasks.append(_Task(
            id=task.id, version=versions[task.id], text=task.text, norm=_norm(task.text),
            path=path, tokens=tokens, section_key=section.number.translate(_FOLD_NUMERALS),
            section_norm=_norm(section.title), item_key=match_key(item.number) if item.number else None,
            item_norm=_norm(item.title or ""), lead=list(task.lead_units),
            cooperating=list(task.cooperating_units), deadline_text=task.deadline_text,
            deadline=task.deadline))
        for sub in task.subtasks:
            walk(sub, chain, section, item)

    for section in plan.sections:
        for item in section.items:
            for task in item.tasks:
                walk(task, [], section, item)
    return tasks


# --- matching --------------------------------------------------------------------------------


def _section_test(cell: str):
    """A test for "this task is in the section the cell names" ("一、…", or the title)."""
    heading = section_heading(Line(0, cell, match_key(cell)))
    if heading:
        return lambda t: t.section_key == heading[0]
    norm = _norm(cell)
    return lambda t: t.section_norm == norm


def _item_test(cell: str):
    heading = item_heading(Line(0, cell, match_key(cell)))
    if heading:
        key = match_key(heading[0])
        return lambda t: t.item_key == key
    norm = _norm(cell)
    return lambda t: t.item_norm == norm


def _by_number(number: str, tasks: list[_Task]) -> list[_Task]:
    tokens = _number_tokens(number)
    if not tokens or tokens[-1][0] != "t":
        return []
    return [t for t in tasks if t.tokens and t.tokens[-len(tokens):] == tokens]


def _narrow(found: list[_Task], keep) -> list[_Task]:
    narrowed = [t for t in found if keep(t)]
    return narrowed or found


@dataclass
class _PlanTasks:
    """The plan's tasks with indexes by text, so a 2,000-row table matches in linear time."""

    tasks: list[_Task]
    by_text: dict[str, list[_Task]]
    by_norm: dict[str, list[_Task]]

    @classmethod
    def of(cls, tasks: list[_Task]) -> _PlanTasks:
        by_text: dict[str, list[_Task]] = {}
        by_norm: dict[str, list[_Task]] = {}
        for task in tasks:
            by_text.setdefault(task.text.strip(), []).append(task)
            by_norm.setdefault(task.norm, []).append(task)
        return cls(tasks, by_text, by_norm)


def _match(row: AssignmentRow, plan: _PlanTasks) -> tuple[_Task | None, str | None, str | None]:
    """(task, matched_by, reason refused)."""
    candidates = plan.tasks
    if row.section:
        in_section = _section_test(row.section)
        candidates = [t for t in candidates if in_section(t)]
        if not candidates:
            return None, None, f"部分“{row.section[:30]}”在计划中找不到"
    if row.item:
        in_item = _item_test(row.item)
        candidates = [t for t in candidates if in_item(t)]
        if not candidates:
            return None, None, f"分项“{row.item[:30]}”在计划中找不到"
    allowed = None if candidates is plan.tasks else {t.id for t in candidates}

    def within(found: list[_Task]) -> list[_Task]:
        return found if allowed is None else [t for t in found if t.id in allowed]

    found: list[_Task] = []
    matched_by = None
    if row.text:
        norm = _norm(row.text)
        stages = (
            ("exact", lambda: within(plan.by_text.get(row.text.strip(), []))),
            ("normalised", lambda: within(plan.by_norm.get(norm, [])) if norm else []),
            ("prefix", lambda: [t for t in candidates if min(len(norm), len(t.norm)) >= MIN_PREFIX
                                and (t.norm.startswith(norm) or norm.startswith(t.norm))]),
        )
        for stage, find in stages:
            found = find()
            if found:
                matched_by = stage
                break
        if not found:
            return None, None, "计划中找不到该任务（原文、忽略标点空白、前缀均不相符）"
        if len(found) > 1 and row.number:
            numbered = _by_number(row.number, found)
            found = numbered or found
    else:
        matched_by = "number"
        found = _by_number(row.number or "", candidates)
        if not found:
            return None, None, f"序号“{(row.number or '')[:20]}”在计划中找不到对应任务"
    if len(found) > 1 and row.group_section:
        found = _narrow(found, _section_test(row.group_section))
    if len(found) > 1 and row.group_item:
        found = _narrow(found, _item_test(row.group_item))
    if len(found) > 1:
        paths = "、".join(t.path for t in found[:5]) + ("等" if len(found) > 5 else "")
        return None, None, (f"与 {len(found)} 项任务相符（{paths}），无法确定是哪一项；"
                            "请填写序号或完整的任务内容")
    return found[0], matched_by, None


@dataclass
class _Units:
    """Known units by name, and by folded name when that is unique."""

    by_name: dict[str, tuple[int, bool]]
    by_fold: dict[str, list[str]]

    @classmethod
    async def load(cls) -> _Units:
        by_name, by_fold = {}, {}
        for row in await Unit.select(Unit.id, Unit.name, Unit.active):
            by_name[row["name"]] = (row["id"], row["active"])
            by_fold.setdefault(_fold_unit(row["name"]), []).append(row["name"])
        return cls(by_name, by_fold)

    def canonical(self, name: str) -> str | None:
        if name in self.by_name:
            return name
        folded = self.by_fold.get(_fold_unit(name), [])
        return folded[0] if len(folded) == 1 else None


def _fold_unit(name: str) -> str:
    return re.sub(r"\s+", "", match_key(name))


def _row_preview(row: AssignmentRow, task: _Task | None, matched_by: str | None,
                 reason: str | None, units: _Units, create_units: bool) -> AssignmentRowOut:
    out = AssignmentRowOut(row=row.row, number=row.number, text=row.text, outcome="refused",
                           reason=reason or row.problem)
    if task is not None:
        out.task_id, out.task_path, out.task_text = task.id, task.path, task.text
        out.task_version, out.matched_by = task.version, matched_by
    if out.reason or task is None:
        return out

    def resolve(names: list[str]) -> list[str] | None:
        resolved = []
        for name in names:
            canonical = units.canonical(name)
            if canonical is None:
                if not create_units:
                    out.reason = f"单位“{name}”不存在（请先添加该单位，或选择自动新建单位）"
                    return None
                if name not in out.new_units:
                    out.new_units.append(name)
                canonical = name
            elif not units.by_name[canonical][1]:
                out.reason = f"单位“{canonical}”已停用"
                return None
            resolved.append(canonical)
        return resolved

    if row.lead_problem and row.lead_units != task.lead:
        out.reason = row.lead_problem
        return out
    lead = resolve(row.lead_units) if row.lead_units is not None else None
    coop = resolve(row.cooperating_units) if row.cooperating_units is not None else None
    if out.reason:
        out.new_units = []
        return out
    if lead is not None and coop is None:
        # The new lead leaves the cooperating units: one part per unit in a task.
        coop = [u for u in task.cooperating if u not in lead]
    both = [u for u in coop or [] if lead is None and u in task.lead]
    if both:
        out.reason, out.new_units = f"“{'、'.join(both)}”是该任务的牵头单位，不能同时配合", []
        return out
    if lead is not None and lead != task.lead:
        out.lead = UnitsChange(before=task.lead, after=lead)
    if coop is not None and coop != task.cooperating:
        out.cooperating = UnitsChange(before=task.cooperating, after=coop)
    if row.deadline_stated:
        after_text = row.deadline_text if row.deadline_text is not None else task.deadline_text
        after = row.deadline
        same_text_only = row.deadline_text == task.deadline_text and after is None
        if (after_text, after) != (task.deadline_text, task.deadline) and not same_text_only:
            out.deadline = DeadlineChange(before_text=task.deadline_text, before=task.deadline,
                                          after_text=after_text, after=after)
    changed = out.lead or out.cooperating or out.deadline
    out.outcome = "change" if changed else "same"
    if not changed:
        out.new_units = []
    return out


def _token(plan_id: int, create_units: bool, rows: list[AssignmentRowOut]) -> str:
    payload = msgspec.json.encode([plan_id, create_units, rows])
    return hashlib.sha256(payload).hexdigest()[:32]


async def _versions(plan_id: int) -> dict[int, int]:
    return {row["id"]: row["version"]
            for row in await Task.select(Task.id, Task.version).where(Task.plan == plan_id)}


async def _preview(plan: PlanDetail, table: AssignmentTable, file_name: str,
                   create_units: bool) -> AssignmentPreview:
    tasks = _PlanTasks.of(_flatten(plan, await _versions(plan.id)))
    units = await _Units.load()
    rows: list[AssignmentRowOut] = []
    for row in table.rows:
        task, matched_by, reason = _match(row, tasks) if not row.problem else (None, None, None)
        rows.append(_row_preview(row, task, matched_by, reason, units, create_units))
    by_task: dict[int, list[AssignmentRowOut]] = {}
    for out in rows:
        if out.task_id is not None:
            by_task.setdefault(out.task_id, []).append(out)
    for same in by_task.values():
        if len(same) > 1:
            numbers = "、".join(str(r.row) for r in same)
            for out in same:
                out.outcome, out.new_units = "refused", []
                out.reason = f"第 {numbers} 行对应同一任务（{same[0].task_path}），请合并为一行"
    for out in rows:
        if out.outcome == "refused":
            out.lead = out.cooperating = out.deadline = None
    units_to_create: list[str] = []
    for out in rows:
        units_to_create.extend(u for u in out.new_units if u not in units_to_create)
    return AssignmentPreview(
        plan_id=plan.id, file_name=file_name, sheet=table.sheet, header_row=table.header_row,
        columns=table.columns, create_units=create_units, rows=rows,
        changed=sum(r.outcome == "change" for r in rows),
        unchanged=sum(r.outcome == "same" for r in rows),
        refused=sum(r.outcome == "refused" for r in rows),
        units_to_create=units_to_create, token=_token(plan.id, create_units, rows),
    )


def _check_size(content: bytes) -> None:
    if len(content) > MAX_LEDGER_BYTES:
        raise InvalidInput(f"分工表超过 {MAX_LEDGER_BYTES // (1024 * 1024)} MB 上限", "file")


async def preview_assignments(plan_id: int, content: bytes, file_name: str,
                              create_units: bool = False) -> AssignmentPreview:
    """What the table would change, row by row; nothing is written."""
    _check_size(content)
    plan = await get_plan(plan_id)
    table = await parse_off_loop(read_assignment_table, content, file_name, plan.year)
    return await _preview(plan, table, file_name, create_units)


def _differences(expected: AssignmentPreview, current: AssignmentPreview) -> list[str]:
    """What changed between the preview the user saw and now, one phrase per row."""
    found = []
    for seen, now in zip(expected.rows, current.rows, strict=False):
        if seen == now:
            continue
        if seen.task_id == now.task_id and seen.task_version != now.task_version:
            found.append(f"第{now.row}行：任务 {now.task_path} 已被修改"
                         f"（版本 {seen.task_version}→{now.task_version}）")
        else:
            found.append(f"第{now.row}行：对应结果已变化")
    if len(expected.rows) != len(current.rows):
        found.append("分工表行数不同")
    return found


def _refusals(rows: list[AssignmentRowOut]) -> str:
    refused = [r for r in rows if r.outcome == "refused"]
    text = "；".join(f"第{r.row}行：{r.reason}" for r in refused[:5])
    return text + ("；……" if len(refused) > 5 else "")


async def apply_assignments(
    plan_id: int, content: bytes, file_name: str, *, create_units: bool = False,
    skip_refused: bool = False, expected: AssignmentPreview | None = None,
    expected_token: str | None = None, actor: int | None = None,
) -> AssignmentSummary:
    """Apply the table in one transaction, all or nothing.

    `expected` (or just its `expected_token`) is the preview the user confirmed: if the result
    would now differ (a task edited, a unit added since), nothing is written (Conflict)."""
    _check_size(content)
    # Parsed before the transaction: no write lock is held while a worker reads the file.
    table = await parse_off_loop(read_assignment_table, content, file_name,
                                 (await get_plan(plan_id)).year)
    async with write_transaction(Task._meta.db):
        plan = await get_plan(plan_id)
        preview = await _preview(plan, table, file_name, create_units)
        if expected is not None and expected.token != preview.token:
            changes = _differences(expected, preview)
            raise Conflict("预览后计划已有变化，未做任何修改，请重新预览：" + "；".join(changes[:5]),
                           "version")
        if expected_token is not None and expected_token != preview.token:
            raise Conflict("预览后计划或分工表已有变化，未做任何修改，请重新预览", "token")
        if preview.refused and not skip_refused:
            raise InvalidInput(f"有 {preview.refused} 行无法导入，未做任何修改："
                               + _refusals(preview.rows), "file")
        for name in preview.units_to_create:
            await accounts.add_unit(name, actor=actor)
        unit_ids = {row["name"]: row["id"] for row in await Unit.select(Unit.id, Unit.name)}
        changed = [r for r in preview.rows if r.outcome == "change"]
        for out in changed:
            edit = planning.TaskEdit(
                lead_unit_ids=[unit_ids[n] for n in out.lead.after] if out.lead else None,
                cooperating_unit_ids=(
                    [unit_ids[n] for n in out.cooperating.after] if out.cooperating else None),
                deadline=(out.deadline.after or "") if out.deadline else None,
                deadline_text=(out.deadline.after_text or "") if out.deadline else None,
            )
            await planning.edit_task(out.task_id, edit, out.task_version, actor=actor)
        if changed or preview.units_to_create:
            await audit.record(
                actor, "plan.assign_import", "plan", plan_id,
                f"从分工表“{file_name[:80]}”导入分工：修改任务 {len(changed)} 项", plan_id=plan_id,
                after={"file": file_name, "tasks": [r.task_id for r in changed],
                       "units_created": preview.units_to_create,
                       "rows_skipped": [r.row for r in preview.rows if r.outcome == "refused"]})
    return AssignmentSummary(
        plan_id=plan_id, tasks_changed=len(changed), rows_unchanged=preview.unchanged,
        rows_skipped=preview.refused, units_created=preview.units_to_create,
        task_ids=[r.task_id for r in changed])


# --- staged uploads: the page confirms a preview without uploading the file again --------------

_UPLOAD_ID = re.compile(r"[0-9a-f]{32}")


async def stage_upload(preview: AssignmentPreview, content: bytes, user_id: int) -> str:
    """Keep the file and the preview shown for a day, in the database (the confirmation may
    reach another instance); returns the id to confirm with."""
    now = dt.datetime.now(dt.UTC)
    await StagedUpload.delete().where(
        StagedUpload.created_at < now - dt.timedelta(seconds=STAGED_SECONDS))
    upload_id = secrets.token_hex(16)
    preview.upload_id = upload_id
    await StagedUpload.insert(StagedUpload(
        upload_key=upload_id, owner=user_id, preview=msgspec.json.encode(preview).decode(),
        content=content, created_at=now))
    return upload_id


async def load_upload(upload_id: str, plan_id: int, user_id: int) -> tuple[bytes, AssignmentPreview]:
    """The staged file and its preview; only for the user who uploaded it, for that plan."""
    if not _UPLOAD_ID.fullmatch(upload_id or ""):
        raise InvalidInput("上传编号无效", "upload_id")
    row = await StagedUpload.select(StagedUpload.owner, StagedUpload.preview,
                                    StagedUpload.content).where(
        StagedUpload.upload_key == upload_id).first()
    preview = msgspec.json.decode(row["preview"], type=AssignmentPreview) if row else None
    if row is None or row["owner"] != user_id or preview.plan_id != plan_id:
        raise NotFound("预览已过期或不存在，请重新上传分工表", "upload_id")
    return bytes(row["content"]), preview


async def discard_upload(upload_id: str) -> None:
    await StagedUpload.delete().where(StagedUpload.upload_key == upload_id)
