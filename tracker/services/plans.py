"""Plans: import a template or document as one transaction, read the tree, export it back."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from dataclasses import replace

import msgspec

from tracker.db import write_transaction
from tracker.domain.errors import Conflict, InvalidInput, NotFound
from tracker.domain.messages import REVIEW
from tracker.domain.plan_model import (
    COOPERATING,
    LEAD,
    ONGOING,
    OWN,
    PARENT,
    MilestoneSpec,
    ParsedItem,
    ParsedPlan,
    ParsedSection,
    ParsedTask,
)
from tracker.domain.plan_templates import PlanTemplate, ReportingCycle, iter_tasks
from tracker.schemas import (
    ImportSummary,
    ItemOut,
    MilestoneOut,
    PlanDetail,
    PlanSummary,
    ReportingOut,
    SectionOut,
    TaskOut,
)
from tracker.services import audit, plan_cache
from tracker.tables import Item, Milestone, Plan, ProgressUpdate, Section, Task, TaskUnit, Unit


def _without_assignments(template: PlanTemplate) -> PlanTemplate:
    def strip(task: ParsedTask) -> ParsedTask:
        return replace(task, lead_units=[], cooperating_units=[], milestones=[],
                       subtasks=[strip(sub) for sub in task.subtasks])

    plan = replace(template.plan, sections=[
        replace(section, items=[replace(item, tasks=[strip(t) for t in item.tasks])
                                for item in section.items])
        for section in template.plan.sections])
    return replace(template, plan=plan, units=[], milestones=[])


def _date_or_none(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value and value != ONGOING else None


async def find_same_plan(plan: ParsedPlan) -> int | None:
    """A plan is the same plan when issuer, doc number (or title, when it has none) and year match."""
    query = Plan.select(Plan.id).where(Plan.year.is_null() if plan.year is None else Plan.year == plan.year)
    query = query.where(Plan.issuer.is_null() if plan.issuer is None else Plan.issuer == plan.issuer)
    if plan.doc_number:
        query = query.where(Plan.doc_number == plan.doc_number)
    else:
        query = query.where(Plan.doc_number.is_null(), Plan.title == plan.title)
    row = await query.first()
    return row["id"] if row else None


async def ensure_units(names: list[str], create: bool | Collection[str]) -> tuple[dict[str, int], list[str]]:
    """Map unit names to ids, creating those not yet known that `create` allows (all when True);
    any other unknown name refuses the import (units are never created silently)."""
    ids: dict[str, int] = {}
    if names:
        for row in await Unit.select(Unit.id, Unit.name).where(Unit.name.is_in(names)):
            ids[row["name"]] = row["id"]
    created = [name for name in names if name not in ids]
    refused = [name for name in created if create is not True and name not in create]
    if refused:
        raise InvalidInput(REVIEW["err_units_unknown_api"].format(names="、".join(refused)), "units")
    for name in created:
        row = (await Unit.insert(Unit(name=name)))[0]
        ids[name] = row["id"]
    return ids, created


async def import_plan(
    template: PlanTemplate, *, replace: bool = False, source_name: str | None = None,
    actor: int | None = None, create_units: bool | Collection[str] = True, kind: str = OWN,
) -> ImportSummary:
    """Store a plan with its tree, units, assignments and milestones, all or nothing.

    `create_units`: the unknown unit names that may be created (True: all of them, for the
    demo and templates loaded by code); the import page, API and CLI pass what the coordinator
    chose (tracker.domain.plan_review). A parent plan (kind PARENT, 上级) keeps its tree only:
    it is a reference, never assigned, so the units written in it are not created and its
    tasks have no owners or milestones."""
    async with write_transaction(Plan._meta.db):
        return await store_plan(template, replace=replace, source_name=source_name, actor=actor,
                                create_units=create_units, kind=kind)


async def store_plan(
    template: PlanTemplate, *, replace: bool = False, source_name: str | None = None,
    actor: int | None = None, create_units: bool | Collection[str] = True, kind: str = OWN,
) -> ImportSummary:
    """import_plan inside the caller's write transaction (for use cases that store more)."""
    if kind not in (OWN, PARENT):
        raise ValueError(f"unknown plan kind {kind!r}")
    if kind == PARENT:
        template = _without_assignments(template)
    plan = template.plan
    existing = await find_same_plan(plan)
    if existing is not None and not replace:
        raise Conflict(
            f"该计划已导入（计划编号 {existing}：{plan.issuer or ''}{plan.doc_number or plan.title}，"
            f"{plan.year or '年份不详'}），如需替换请使用 --replace"
        )
    if existing is not None:
        if await ProgressUpdate.exists().where(ProgressUpdate.task.plan == existing):
            raise Conflict(f"计划 {existing} 已有进展填报，替换会丢失填报记录，已拒绝；"
                           "请用页面或接口调整分工")
        await Plan.delete().where(Plan.id == existing)

    unit_names = list(template.units)
    for task in iter_tasks(plan):
        for name in [*task.lead_units, *task.cooperating_units]:
            if name not in unit_names:
                unit_names.append(name)
    unit_ids, units_created = await ensure_units(unit_names, create_units)

    plan_row = Plan(
        title=plan.title,
        issuer=plan.issuer,
        doc_number=plan.doc_number,
        issued_on=_date_or_none(plan.issued_on),
        year=plan.year,
        preamble=plan.preamble,
        interpretation=plan.interpretation,
        source_name=source_name,
        reporting_cycle=template.reporting.cycle,
        report_due_day=template.reporting.due_day,
        tolerance_percent=template.reporting.tolerance_percent,
        kind=kind,
    )
    await plan_row.save()
    counts = defaultdict(int)

    async def store_tasks(tasks: list[ParsedTask], item_id: int, parent_id: int | None):
        for position, task in enumerate(tasks):
            row = Task(
                plan=plan_row.id, item=item_id, parent=parent_id, position=position,
                number=task.number, text=task.text, deadline_text=task.deadline_text,
                deadline=_date_or_none(task.deadline), ongoing=task.deadline == ONGOING,
            )
            await row.save()
            counts["tasks"] += 1
            links = [TaskUnit(task=row.id, unit=unit_ids[name], role=LEAD, position=index)
                     for index, name in enumerate(task.lead_units)]
            links += [TaskUnit(task=row.id, unit=unit_ids[name], role=COOPERATING, position=index)
                      for index, name in enumerate(task.cooperating_units)]
            if links:
                await TaskUnit.insert(*links)
            counts["assignments"] += len(links)
            counts["unassigned"] += not task.lead_units
            await store_milestones(task.milestones, row.id)
            await store_tasks(task.subtasks, item_id, row.id)

    async def store_milestones(milestones: list[MilestoneSpec], task_id: int | None):
        if milestones:
            await Milestone.insert(*[
                Milestone(plan=plan_row.id, task=task_id, title=m.title,
                          due_on=dt.date.fromisoformat(m.due_on), position=index)
                for index, m in enumerate(milestones)
            ])
        counts["milestones"] += len(milestones)

    for s_pos, section in enumerate(plan.sections):
        section_row = Section(plan=plan_row.id, position=s_pos, number=section.number,
                              title=section.title)
        await section_row.save()
        for i_pos, item in enumerate(section.items):
            item_row = Item(section=section_row.id, position=i_pos, number=item.number,
                            title=item.title)
            await item_row.save()
            counts["items"] += 1
            await store_tasks(item.tasks, item_row.id, None)
    await store_milestones(template.milestones, None)
    await audit.record(
        actor, "plan.replace" if existing is not None else "plan.import", "plan", plan_row.id,
        f"导入计划“{plan.title}”（{source_name or '模板'}）" + (
            f"，替换计划 {existing}" if existing is not None else ""),
        plan_id=plan_row.id,
        after={"tasks": counts["tasks"], "assignments": counts["assignments"],
               "milestones": counts["milestones"], "units_created": units_created})

    return ImportSummary(
        plan_id=plan_row.id,
        title=plan.title,
        sections=len(plan.sections),
        items=counts["items"],
        tasks=counts["tasks"],
        assignments=counts["assignments"],
        unassigned_tasks=counts["unassigned"],
        milestones=counts["milestones"],
        units_created=units_created,
        replaced_plan_id=existing,
    )


async def list_plans() -> list[PlanSummary]:
    plans = await Plan.select().order_by(Plan.year, ascending=False).order_by(Plan.id, ascending=False)
    led = {row["task"] for row in await TaskUnit.select(TaskUnit.task).where(TaskUnit.role == LEAD)}
    task_counts: dict[int, int] = defaultdict(int)
    unassigned: dict[int, int] = defaultdict(int)
    for row in await Task.select(Task.plan, Task.id):
        task_counts[row["plan"]] += 1
        unassigned[row["plan"]] += row["id"] not in led
    return [
        PlanSummary(
            id=p["id"], title=p["title"], issuer=p["issuer"], doc_number=p["doc_number"],
            issued_on=p["issued_on"].isoformat() if p["issued_on"] else None, year=p["year"],
            task_count=task_counts[p["id"]], unassigned_count=unassigned[p["id"]],
            created_at=p["created_at"].isoformat(timespec="seconds"), kind=p["kind"],
        )
        for p in plans
    ]


def _deadline_out(row: dict) -> str | None:
    if row["ongoing"]:
        return ONGOING
    return row["deadline"].isoformat() if row["deadline"] else None


async def get_plan(plan_id: int) -> PlanDetail:
    """The whole tree of one plan, with owners, deadlines and milestones.

    Kept per plan while its structure fingerprint (plan_cache.structure) is unchanged; each
    caller gets its own copy (decoded from msgpack, ~10x cheaper than reading it anew)."""
    if plan_cache.in_transaction():
        return await _read_plan(plan_id)
    return msgspec.msgpack.decode((await _cached_plan(plan_id))[1], type=PlanDetail)


async def plan_shape(plan_id: int) -> tuple | None:
    """plan_cache.structure(plan_id), read once by a request that passes it to both `plan_tree`
    and `tracking.load_plan_facts` (None inside a transaction, where both read afresh)."""
    return None if plan_cache.in_transaction() else await plan_cache.structure(plan_id)


async def plan_tree(plan_id: int, shape: tuple | None = None) -> PlanDetail:
    """Like get_plan, but the cached object itself: for readers that never modify it.
    `shape`: plan_cache.structure(plan_id), if the caller has just read it."""
    if plan_cache.in_transaction():
        return await _read_plan(plan_id)
    return (await _cached_plan(plan_id, shape))[2]


async def _cached_plan(plan_id: int, shape: tuple | None = None) -> tuple[tuple, bytes, PlanDetail]:
    shape = shape or await plan_cache.structure(plan_id)
    if shape is None:
        raise NotFound(f"计划 {plan_id} 不存在", "plan_id")
    trees = plan_cache.state().trees
    cached = trees.get(plan_id)
    if cached is None or cached[0] != shape:
        blob = msgspec.msgpack.encode(await _read_plan(plan_id))
        # Stored under the fingerprint read before it: if the plan changed meanwhile, the
        # next read sees another fingerprint and reads it again.
        cached = trees[plan_id] = (shape, blob, msgspec.msgpack.decode(blob, type=PlanDetail))
        plan_cache.settle()
    return cached


async def _read_plan(plan_id: int) -> PlanDetail:
    plan = await Plan.select().where(Plan.id == plan_id).first()
    if plan is None:
        raise NotFound(f"计划 {plan_id} 不存在", "plan_id")
    sections = await Section.select().where(Section.plan == plan_id).order_by(Section.position)
    items = await Item.select().where(Item.section.is_in([s["id"] for s in sections] or [0])).order_by(
        Item.position)
    tasks = await Task.select().where(Task.plan == plan_id).order_by(Task.position)
    links = await TaskUnit.select(TaskUnit.task, TaskUnit.role, TaskUnit.unit.name).where(
        TaskUnit.task.plan == plan_id).order_by(TaskUnit.position).order_by(TaskUnit.id)
    milestones = await Milestone.select().where(Milestone.plan == plan_id).order_by(
        Milestone.due_on).order_by(Milestone.position)

    units_of: dict[int, dict[str, list[str]]] = defaultdict(lambda: {LEAD: [], COOPERATING: []})
    unit_names: list[str] = []
    for link in links:
        name = link["unit.name"]
        units_of[link["task"]][link["role"]].append(name)
        if name not in unit_names:
            unit_names.append(name)
    milestones_of: dict[int | None, list[MilestoneOut]] = defaultdict(list)
    for m in milestones:
        milestones_of[m["task"]].append(
            MilestoneOut(id=m["id"], title=m["title"], due_on=m["due_on"].isoformat()))

    nodes = {
        t["id"]: TaskOut(
            id=t["id"], number=t["number"], text=t["text"],
            lead_units=units_of[t["id"]][LEAD], cooperating_units=units_of[t["id"]][COOPERATING],
            deadline_text=t["deadline_text"], deadline=_deadline_out(t),
            milestones=milestones_of[t["id"]], subtasks=[],
            withdrawn_on=t["withdrawn_on"].isoformat() if t["withdrawn_on"] else None,
        )
        for t in tasks
    }
    top_level: dict[int, list[TaskOut]] = defaultdict(list)
    for t in tasks:
        if t["parent"] is None:
            top_level[t["item"]].append(nodes[t["id"]])
        else:
            nodes[t["parent"]].subtasks.append(nodes[t["id"]])
    items_of: dict[int, list[ItemOut]] = defaultdict(list)
    for i in items:
        items_of[i["section"]].append(
            ItemOut(id=i["id"], number=i["number"], title=i["title"], tasks=top_level[i["id"]]))
    return PlanDetail(
        id=plan["id"], title=plan["title"], issuer=plan["issuer"], doc_number=plan["doc_number"],
        issued_on=plan["issued_on"].isoformat() if plan["issued_on"] else None, year=plan["year"],
        preamble=plan["preamble"], interpretation=plan["interpretation"],
        reporting=ReportingOut(cycle=plan["reporting_cycle"], due_day=plan["report_due_day"],
                               tolerance_percent=plan["tolerance_percent"]),
        units=unit_names,
        milestones=milestones_of[None],
        sections=[SectionOut(id=s["id"], number=s["number"], title=s["title"], items=items_of[s["id"]])
                  for s in sections],
        kind=plan["kind"],
    )


def _task_from_out(task: TaskOut) -> ParsedTask:
    return ParsedTask(
        number=task.number, text=task.text, lead_units=list(task.lead_units),
        cooperating_units=list(task.cooperating_units), deadline_text=task.deadline_text,
        deadline=task.deadline,
        milestones=[MilestoneSpec(title=m.title, due_on=m.due_on) for m in task.milestones],
        subtasks=[_task_from_out(sub) for sub in task.subtasks if not sub.withdrawn_on],
    )


def template_from_plan(detail: PlanDetail) -> PlanTemplate:
    """A stored plan as a template: export writes it, import reads it back to the same plan."""
    plan = ParsedPlan(
        title=detail.title, issuer=detail.issuer, doc_number=detail.doc_number,
        issued_on=detail.issued_on, year=detail.year, interpretation=detail.interpretation,
        preamble=detail.preamble,
        sections=[
            ParsedSection(number=s.number, title=s.title, items=[
                ParsedItem(number=i.number, title=i.title,
                           tasks=[_task_from_out(t) for t in i.tasks if not t.withdrawn_on])
                for i in s.items
            ])
            for s in detail.sections
        ],
    )
    return PlanTemplate(
        plan=plan,
        units=list(detail.units),
        milestones=[MilestoneSpec(title=m.title, due_on=m.due_on) for m in detail.milestones],
        reporting=ReportingCycle(cycle=detail.reporting.cycle, due_day=detail.reporting.due_day,
                                 tolerance_percent=detail.reporting.tolerance_percent),
    )
