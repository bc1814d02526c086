"""The coordinator's breakdown of a plan: assignments, deadlines, sub-tasks, milestones, cycle.

Edits of a task carry the version the editor saw; the UPDATE's WHERE clause checks it, so two
people editing at once never overwrite each other silently (the second gets a Conflict).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tracker.db import write_transaction
from tracker.domain.deadlines import (
    ONGOING,
    DeadlineError,
    deadline_before_issue,
    parse_deadline_input,
)
from tracker.domain.errors import Conflict, InvalidInput, NotFound
from tracker.domain.plan_model import COOPERATING, LEAD
from tracker.schemas import MilestoneOut
from tracker.services import audit
from tracker.tables import Milestone, Plan, Task, TaskUnit, Unit

MAX_TASK_TEXT = 5000
MAX_TITLE = 300


@dataclass(frozen=True)
class TaskEdit:
    """A coordinator's edit of a task. None leaves a field as it is."""

    lead_unit_ids: list[int] | None = None
    cooperating_unit_ids: list[int] | None = None
    deadline: str | None = None  # YYYY-MM-DD | "ongoing" | "" (clears it)
    deadline_text: str | None = None
    text: str | None = None


def parse_deadline(value: str, year: int | None) -> tuple[dt.date | None, bool, str | None]:
    """(date, ongoing, phrase as written) from what the task form takes: a date, a phrase the
    plans use (持续推进, 年底前, 6月底前 in the plan's `year`), "ongoing", or "" for none."""
    try:
        written, resolved = parse_deadline_input(value, year)
    except DeadlineError as error:
        raise InvalidInput(str(error), "deadline") from None
    if resolved is None:
        return None, False, None
    if resolved == ONGOING:
        return None, True, written
    phrase = written if written and not _is_plain_date(written) else None
    return dt.date.fromisoformat(resolved), False, phrase


def _is_plain_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


async def _plan_year_of_task(task_id: int) -> int | None:
    row = await Task.select(Task.plan.year).where(Task.id == task_id).first()
    return row["plan.year"] if row else None


async def _check_units(unit_ids: list[int], field: str) -> None:
    if len(set(unit_ids)) != len(unit_ids):
        raise InvalidInput("单位重复", field)
    if unit_ids:
        found = {row["id"] for row in await Unit.select(Unit.id).where(Unit.id.is_in(unit_ids))}
        missing = [str(unit_id) for unit_id in unit_ids if unit_id not in found]
        if missing:
            raise NotFound(f"单位 {', '.join(missing)} 不存在", field)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _drop_links(task_id: int, role: str, unit_ids: list[int]) -> None:
    """Remove the task's `role` links to units not in `unit_ids`."""
    await TaskUnit.delete().where(TaskUnit.task == task_id, TaskUnit.role == role,
                                  TaskUnit.unit.not_in(unit_ids or [0]))


async def _replace_links(task_id: int, role: str, unit_ids: list[int],
                         at: dt.datetime | None = None) -> None:
    """The task's `role` units become `unit_ids`, in that order. A link that stays keeps its
    created_at (the part was given then, and is owed from then); a new one is dated `at`."""
    await _drop_links(task_id, role, unit_ids)
    kept = {row["unit"]: row["id"] for row in await TaskUnit.select(TaskUnit.id, TaskUnit.unit).where(
        TaskUnit.task == task_id, TaskUnit.role == role)}
    at = at or _now()
    new = []
    for index, unit_id in enumerate(unit_ids):
        if unit_id in kept:
            await TaskUnit.update({TaskUnit.position: index}).where(TaskUnit.id == kept[unit_id])
        else:
            new.append(TaskUnit(task=task_id, unit=unit_id, role=role, position=index, created_at=at))
    if new:
        await TaskUnit.insert(*new)


async def _assignment(task_id: int) -> dict:
    """The task's editable fields, for the audit trail's before/after."""
    task = await Task.select(Task.plan, Task.text, Task.deadline, Task.ongoing, Task.deadline_text,
                             Task.version).where(Task.id == task_id).first()
    links = await TaskUnit.select(TaskUnit.unit.name, TaskUnit.role).where(
        TaskUnit.task == task_id).order_by(TaskUnit.position)
    return {
        "plan": task["plan"] if task else None,
        "text": task["text"] if task else None,
        "deadline": "ongoing" if task and task["ongoing"] else (
            task["deadline"].isoformat() if task and task["deadline"] else None),
        "deadline_text": task["deadline_text"] if task else None,
        "lead_units": [link["unit.name"] for link in links if link["role"] == LEAD],
        "cooperating_units": [link["unit.name"] for link in links if link["role"] == COOPERATING],
        "version": task["version"] if task else None,
    }


async def edit_task(task_id: int, edit: TaskEdit, expected_version: int,
                    actor: int | None = None) -> int:
    """Apply an edit if the task is still at `expected_version`; returns the new version."""
    changes: dict = {}
    if edit.text is not None:
        text = edit.text.strip()
        if not text or len(text) > MAX_TASK_TEXT:
            raise InvalidInput(f"任务内容不能为空且不超过{MAX_TASK_TEXT}字", "text")
        changes[Task.text] = text
    if edit.deadline_text is not None:
        if len(edit.deadline_text) > 100:
            raise InvalidInput("完成时限原文不能超过100字", "deadline_text")
        changes[Task.deadline_text] = edit.deadline_text.strip() or None
    if edit.deadline is not None:
        deadline, ongoing, phrase = parse_deadline(edit.deadline, await _plan_year_of_task(task_id))
        changes[Task.deadline] = deadline
        changes[Task.ongoing] = ongoing
        if phrase:  # a phrase typed as the deadline is also what is written
            changes[Task.deadline_text] = phrase
    lead = edit.lead_unit_ids
    cooperating = edit.cooperating_unit_ids
    if lead is not None and len(lead) > 1:
        raise InvalidInput("每项任务只能有一个牵头单位", "lead_unit_ids")
    if lead is not None and cooperating is not None and set(lead) & set(cooperating):
        raise InvalidInput("同一单位不能既牵头又配合", "cooperating_unit_ids")

    async with write_transaction(Task._meta.db):
        if lead is not None:
            await _check_units(lead, "lead_unit_ids")
        if cooperating is not None:
            await _check_units(cooperating, "cooperating_unit_ids")
        changes[Task.version] = expected_version + 1
        before = await _assignment(task_id)
        updated = await Task.update(changes).where(
            Task.id == task_id, Task.version == expected_version).returning(Task.id)
        if not updated:
            current = await Task.select(Task.version).where(Task.id == task_id).first()
            if current is None:
                raise NotFound(f"任务 {task_id} 不存在", "task_id")
            raise Conflict(f"任务已被他人修改（当前版本 {current['version']}，你编辑的是版本 "
                           f"{expected_version}），请刷新后重试", "version")
        # A unit has one part in a task (a unique index): check the side that is kept.
        if lead is not None and cooperating is None:
            if await _linked_units(task_id, COOPERATING) & set(lead):
                raise InvalidInput("同一单位不能既牵头又配合（请先从配合单位中移除）", "lead_unit_ids")
        if cooperating is not None and lead is None:
            if await _linked_units(task_id, LEAD) & set(cooperating):
                raise InvalidInput("同一单位不能既牵头又配合", "cooperating_unit_ids")
        # Remove every link being replaced before adding any, so swapping lead and cooperating
        # units in one edit does not collide with the links it replaces.
        replaced = {LEAD: lead, COOPERATING: cooperating}
        replaced = {role: ids for role, ids in replaced.items() if ids is not None}
        for role, unit_ids in replaced.items():
            await _drop_links(task_id, role, unit_ids)
        for role, unit_ids in replaced.items():
            await _replace_links(task_id, role, unit_ids)
        after = await _assignment(task_id)
        await audit.record(actor, "task.edit", "task", task_id, f"修改任务 {task_id} 的分工或时限",
                           plan_id=after["plan"], before=before, after=after)
    return expected_version + 1


async def deadline_warnings(task_id: int) -> list[str]:
    """What is accepted but worth a second look in a task as stored (deadlines.deadline_before_issue)."""
    row = await Task.select(Task.deadline, Task.plan.issued_on).where(Task.id == task_id).first()
    if row is None:
        return []
    warning = deadline_before_issue(row["deadline"], row["plan.issued_on"])
    return [warning] if warning else []


async def _linked_units(task_id: int, role: str) -> set[int]:
    return {row["unit"] for row in await TaskUnit.select(TaskUnit.unit).where(
        TaskUnit.task == task_id, TaskUnit.role == role)}


async def add_subtask(parent_id: int, text: str, lead_unit_ids: list[int],
                      deadline: str = "", actor: int | None = None) -> int:
    """Split a task: a sub-task under it, in the same item, reported on like any task."""
    text = (text or "").strip()
    if not text or len(text) > MAX_TASK_TEXT:
        raise InvalidInput(f"子任务内容不能为空且不超过{MAX_TASK_TEXT}字", "text")
    if len(lead_unit_ids) > 1:
        raise InvalidInput("每项任务只能有一个牵头单位", "lead_unit_ids")
    deadline_date, ongoing, phrase = parse_deadline(deadline, await _plan_year_of_task(parent_id))
    async with write_transaction(Task._meta.db):
        parent = await Task.select(Task.plan, Task.item).where(Task.id == parent_id).first()
        if parent is None:
            raise NotFound(f"任务 {parent_id} 不存在", "task_id")
        await _check_units(lead_unit_ids, "lead_unit_ids")
        position = await Task.count().where(Task.parent == parent_id)
        now = _now()  # added after the plan's start: owed from now on, not before
        row = (await Task.insert(Task(
            plan=parent["plan"], item=parent["item"], parent=parent_id, position=position,
            number=str(position + 1), text=text, deadline=deadline_date, ongoing=ongoing,
            deadline_text=phrase, created_at=now,
        )))[0]
        await _replace_links(row["id"], LEAD, lead_unit_ids, now)
        await audit.record(actor, "task.split", "task", row["id"], f"拆分任务 {parent_id}：新增子任务",
                           plan_id=parent["plan"], after=await _assignment(row["id"]))
    return row["id"]


async def add_milestone(plan_id: int, task_id: int | None, title: str, due_on: str,
                        actor: int | None = None) -> MilestoneOut:
    title = (title or "").strip()
    if not title or len(title) > MAX_TITLE:
        raise InvalidInput(f"节点名称不能为空且不超过{MAX_TITLE}字", "title")
    try:
        due = dt.date.fromisoformat((due_on or "").strip())
    except ValueError:
        raise InvalidInput(f"节点日期“{str(due_on)[:20]}”无效，应为 YYYY-MM-DD", "due_on") from None
    async with write_transaction(Milestone._meta.db):
        plan = await Plan.select(Plan.year).where(Plan.id == plan_id).first()
        if plan is None:
            raise NotFound(f"计划 {plan_id} 不存在", "plan_id")
        if plan["year"] and not plan["year"] - 1 <= due.year <= plan["year"] + 1:
            raise InvalidInput(f"节点日期 {due} 离计划年度 {plan['year']} 太远", "due_on")
        if task_id is not None and not await Task.exists().where(Task.id == task_id,
                                                                  Task.plan == plan_id):
            raise NotFound(f"任务 {task_id} 不在计划 {plan_id} 中", "task_id")
        row = (await Milestone.insert(Milestone(plan=plan_id, task=task_id, title=title,
                                                due_on=due)))[0]
        await audit.record(actor, "milestone.add", "milestone", row["id"], f"添加节点“{title}”",
                           plan_id=plan_id, after={"task": task_id, "title": title,
                                                   "due_on": due.isoformat()})
    return MilestoneOut(id=row["id"], title=title, due_on=due.isoformat())


async def delete_milestone(plan_id: int, milestone_id: int, actor: int | None = None) -> None:
    async with write_transaction(Milestone._meta.db):
        row = await Milestone.select().where(Milestone.id == milestone_id,
                                             Milestone.plan == plan_id).first()
        if row is None:
            raise NotFound(f"节点 {milestone_id} 不存在", "milestone_id")
        await Milestone.delete().where(Milestone.id == milestone_id)
        await audit.record(actor, "milestone.delete", "milestone", milestone_id,
                           f"删除节点“{row['title']}”", plan_id=plan_id,
                           before={"task": row["task"], "title": row["title"],
                                   "due_on": row["due_on"].isoformat()})


async def set_reporting(plan_id: int, due_day: int, tolerance_percent: int,
                        actor: int | None = None) -> None:
    if not 1 <= due_day <= 28:
        raise InvalidInput("每月报送日须在 1-28 之间", "due_day")
    if not 0 <= tolerance_percent <= 100:
        raise InvalidInput("滞后容差须在 0-100 之间", "tolerance_percent")
    async with write_transaction(Plan._meta.db):
        before = await Plan.select(Plan.report_due_day, Plan.tolerance_percent).where(
            Plan.id == plan_id).first()
        if before is None:
            raise NotFound(f"计划 {plan_id} 不存在", "plan_id")
        await Plan.update({Plan.report_due_day: due_day,
                           Plan.tolerance_percent: tolerance_percent}).where(Plan.id == plan_id)
        await audit.record(actor, "plan.reporting", "plan", plan_id, "修改报送周期设置",
                           plan_id=plan_id, before=before,
                           after={"report_due_day": due_day, "tolerance_percent": tolerance_percent})


MAX_ATTENTION_NOTE = 200


async def set_attention(task_id: int, note: str, actor: int | None = None) -> str | None:
    """Mark a task 提请领导关注 with the coordinator's sentence (printed in the leadership
    report), or clear the mark with an empty note. Audited; returns the note now in force."""
    note = " ".join((note or "").split())
    if len(note) > MAX_ATTENTION_NOTE:
        raise InvalidInput(f"提请领导关注事项说明不能超过{MAX_ATTENTION_NOTE}字", "attention_note")
    async with write_transaction(Task._meta.db):
        row = await Task.select(Task.plan, Task.attention_note).where(Task.id == task_id).first()
        if row is None:
            raise NotFound(f"任务 {task_id} 不存在", "task_id")
        after = note or None
        if row["attention_note"] == after:
            return after
        await Task.update({Task.attention_note: after}).where(Task.id == task_id)
        summary = (f"任务 {task_id} 提请领导关注：{note}" if after
                   else f"取消任务 {task_id} 的提请领导关注")
        await audit.record(actor, "task.attention", "task", task_id, summary, plan_id=row["plan"],
                           before={"attention_note": row["attention_note"]},
                           after={"attention_note": after})
    return after
