"""A revised document of a stored plan (修订): the diff, then the accepted changes applied in
one transaction without losing history. A removed task is withdrawn (撤销: kept with its
updates, owing no report due after the revision day); a reworded or moved task is the same
row, so its updates stay with it. Every change leaves an audit entry."""

from __future__ import annotations

import datetime as dt

from tracker.db import write_transaction
from tracker.domain import plan_revision as rules
from tracker.domain.errors import InvalidInput, NotFound
from tracker.domain.plan_model import COOPERATING, LEAD, ONGOING, OWN
from tracker.domain.plan_templates import PlanTemplate
from tracker.domain.status import today as local_today
from tracker.domain.vocabulary import REVISION_CHANGE_LABELS
from tracker.services import audit, plans
from tracker.tables import Item, Plan, Section, Task, TaskUnit


async def _check_same_plan(plan_id: int, template: PlanTemplate) -> dict:
    plan = await Plan.select().where(Plan.id == plan_id).first()
    if plan is None:
        raise NotFound(f"计划 {plan_id} 不存在", "plan_id")
    if plan["kind"] != OWN:
        raise InvalidInput(f"计划 {plan_id} 是上级计划，请重新导入而不是修订", "plan_id")
    new = template.plan
    if (new.doc_number or None) != (plan["doc_number"] or None):
        raise InvalidInput(f"修订稿的文号（{new.doc_number or '未注明'}）与计划 {plan_id} 的文号"
                           f"（{plan['doc_number'] or '未注明'}）不同，不是同一计划的修订稿", "doc_number")
    if new.year != plan["year"]:
        raise InvalidInput(f"修订稿的年度（{new.year or '未注明'}）与计划 {plan_id} 的年度"
                           f"（{plan['year'] or '未注明'}）不同，不是同一计划的修订稿", "year")
    if (new.issuer or None) != (plan["issuer"] or None):
        raise InvalidInput(f"修订稿的发文单位（{new.issuer or '未注明'}）与计划 {plan_id} 的发文单位"
                           f"（{plan['issuer'] or '未注明'}）不同，不是同一计划的修订稿", "issuer")
    return plan


async def _stored(plan_id: int) -> list[rules.StoredTask]:
    detail = await plans.get_plan(plan_id)
    withdrawn = {row["id"] for row in await Task.select(Task.id).where(
        Task.plan == plan_id, Task.withdrawn_on.is_not_null())}
    result = []
    for section in detail.sections:
        for item in section.items:
            place = rules.Place(section.number, section.title, item.number, item.title)
            for task in item.tasks:
                if task.id not in withdrawn:
                    result.append(rules.StoredTask(
                        task.id, task.text, place, tuple(task.lead_units),
                        tuple(task.cooperating_units), task.deadline, task.deadline_text))
    return result


async def preview(plan_id: int, template: PlanTemplate) -> rules.RevisionDiff:
    """The diff of a revised document against the stored plan; stores nothing."""
    await _check_same_plan(plan_id, template)
    return rules.diff(await _stored(plan_id), template.plan)


def describe(diff: rules.RevisionDiff) -> list[str]:
    """The diff as lines for the command line and the page."""
    lines = [f"未变化 {diff.unchanged} 项；变化 {len(diff.changes)} 项"]
    for change in diff.changes:
        labels = "、".join(REVISION_CHANGE_LABELS[kind] for kind in change.kinds)
        if change.stored is None:
            lines.append(f"［{labels}］{change.revised.place.label}：{change.revised.task.text[:40]}")
        elif change.revised is None:
            lines.append(f"［{labels}］任务 {change.stored.task_id}：{change.stored.text[:40]}")
        else:
            lines.append(f"［{labels}］任务 {change.stored.task_id}：{change.stored.text[:30]}"
                         f" → {change.revised.task.text[:30]}")
    return lines


async def _item_for(plan_id: int, place: rules.Place) -> int:
    section = await Section.select(Section.id).where(
        Section.plan == plan_id, Section.number == place.section_number).first()
    if section is None:
        position = await Section.count().where(Section.plan == plan_id)
        section = (await Section.insert(Section(plan=plan_id, position=position,
                                                number=place.section_number,
                                                title=place.section_title)))[0]
    query = Item.select(Item.id).where(Item.section == section["id"])
    if place.item_number:
        query = query.where(Item.number == place.item_number)
    elif place.item_title:
        query = query.where(Item.title == place.item_title)
    else:
        query = query.where(Item.number.is_null(), Item.title.is_null())
    item = await query.first()
    if item is None:
        position = await Item.count().where(Item.section == section["id"])
        item = (await Item.insert(Item(section=section["id"], position=position,
                                       number=place.item_number, title=place.item_title)))[0]
    return item["id"]


def _deadline_columns(deadline: str | None, deadline_text: str | None) -> dict:
    return {Task.deadline: dt.date.fromisoformat(deadline) if deadline and deadline != ONGOING else None,
            Task.ongoing: deadline == ONGOING, Task.deadline_text: deadline_text}


async def _set_units(task_id: int, lead: list[str], cooperating: list[str]) -> None:
    ids, _ = await plans.ensure_units([*lead, *cooperating], ())  # never silently
    await TaskUnit.delete().where(TaskUnit.task == task_id)
    rows = [TaskUnit(task=task_id, unit=ids[name], role=LEAD, position=i) for i, name in enumerate(lead)]
    rows += [TaskUnit(task=task_id, unit=ids[name], role=COOPERATING, position=i)
             for i, name in enumerate(cooperating)]
    if rows:
        await TaskUnit.insert(*rows)


async def apply(plan_id: int, template: PlanTemplate, *, source_name: str | None = None,
                actor: int | None = None, on: dt.date | None = None) -> dict[str, int]:
    """Apply the whole diff in one transaction; returns the count per change (Chinese label).
    `on` is the revision day: withdrawn tasks owe no report due from that day on."""
    on = on or local_today()
    counts = {label: 0 for label in REVISION_CHANGE_LABELS.values()}
    async with write_transaction(Plan._meta.db):
        plan = await _check_same_plan(plan_id, template)
        diff = rules.diff(await _stored(plan_id), template.plan)
        for change in diff.changes:
            for kind in change.kinds:
                counts[REVISION_CHANGE_LABELS[kind]] += 1
            if change.stored is None:
                await _add(plan_id, change.revised, actor)
            elif change.revised is None:
                await _withdraw(plan_id, change.stored, on, actor)
            else:
                await _change(plan_id, change, actor)
        await Plan.update({Plan.version: plan["version"] + 1,
                           Plan.source_name: source_name or plan["source_name"]}).where(
            Plan.id == plan_id)
        await audit.record(actor, "plan.revise", "plan", plan_id,
                           f"应用修订稿（{source_name or '修订稿'}）：" + "，".join(
                               f"{label}{count}项" for label, count in counts.items() if count),
                           plan_id=plan_id, after=counts)
    return counts


async def _add(plan_id: int, revised: rules.RevisedTask, actor: int | None) -> None:
    item_id = await _item_for(plan_id, revised.place)
    position = await Task.count().where(Task.item == item_id, Task.parent.is_null())
    task = revised.task
    row = (await Task.insert(Task(
        plan=plan_id, item=item_id, position=position, number=task.number, text=task.text,
        **{column._meta.name: value for column, value in
           _deadline_columns(task.deadline, task.deadline_text).items()})))[0]
    await _set_units(row["id"], task.lead_units, task.cooperating_units)
    await audit.record(actor, "revision.added", "task", row["id"], f"修订新增任务：{task.text[:60]}",
                       plan_id=plan_id, after={"text": task.text, "place": revised.place.label,
                                               "lead_units": task.lead_units,
                                               "deadline": task.deadline})


async def _withdraw(plan_id: int, stored: rules.StoredTask, on: dt.date, actor: int | None) -> None:
    await Task.update({Task.withdrawn_on: on, Task.version: Task.version + 1}).where(
        Task.id == stored.task_id)
    await audit.record(actor, "revision.removed", "task", stored.task_id,
                       f"修订撤销任务 {stored.task_id}（{on.isoformat()} 起不再报送）",
                       plan_id=plan_id, before={"text": stored.text, "place": stored.place.label},
                       after={"withdrawn_on": on.isoformat()})
    # Its sub-tasks go with it, each with its own entry (every version has its audit row).
    subtasks = await Task.select(Task.id).where(Task.parent == stored.task_id,
                                                Task.withdrawn_on.is_null())
    for sub in subtasks:
        await Task.update({Task.withdrawn_on: on, Task.version: Task.version + 1}).where(
            Task.id == sub["id"])
        await audit.record(actor, "revision.removed", "task", sub["id"],
                           f"修订撤销任务 {stored.task_id}，其子任务 {sub['id']} 随之撤销",
                           plan_id=plan_id, after={"withdrawn_on": on.isoformat()})


async def _change(plan_id: int, change: rules.TaskChange, actor: int | None) -> None:
    stored, revised = change.stored, change.revised
    task = revised.task
    columns: dict = {Task.version: Task.version + 1}
    before: dict = {}
    after: dict = {}
    if rules.REWORDED in change.kinds:
        columns[Task.text] = task.text
        before["text"], after["text"] = stored.text, task.text
    if rules.MOVED in change.kinds:
        item_id = await _item_for(plan_id, revised.place)
        columns[Task.item] = item_id
        columns[Task.position] = await Task.count().where(Task.item == item_id, Task.parent.is_null())
        columns[Task.number] = task.number
        before["place"], after["place"] = stored.place.label, revised.place.label
        await Task.update({Task.item: item_id}).where(Task.parent == stored.task_id)
    if rules.DEADLINE in change.kinds:
        columns.update(_deadline_columns(task.deadline, task.deadline_text))
        before["deadline"], after["deadline"] = stored.deadline, task.deadline
    if rules.UNITS in change.kinds:
        await _set_units(stored.task_id, task.lead_units, task.cooperating_units)
        before["units"] = [list(stored.lead_units), list(stored.cooperating_units)]
        after["units"] = [task.lead_units, task.cooperating_units]
    await Task.update(columns).where(Task.id == stored.task_id)
    labels = "、".join(REVISION_CHANGE_LABELS[kind] for kind in change.kinds)
    await audit.record(actor, "revision.changed", "task", stored.task_id,
                       f"修订任务 {stored.task_id}：{labels}", plan_id=plan_id,
                       before=before, after={**after, "changes": change.kinds,
                                             "similarity": change.similarity})
