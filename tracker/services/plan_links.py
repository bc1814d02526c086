"""Plans with a parent and a past: parent plans (上级) and the task links to their clauses,
next year's plan following last year's (承接上年), the carry-over, the look back (回头看) and a
task's history across years.

Links are suggested by tracker.domain.plan_links and count only once the coordinator
confirms them. Storing a plan goes through tracker.services.plans.store_plan.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from tracker.db import write_transaction
from tracker.domain import plan_links
from tracker.domain.deadlines import chinese_numeral
from tracker.domain.errors import Conflict, InvalidInput, NotFound
from tracker.domain.plan_lineage import (
    CONFIRMED,
    FOLLOWS_LINK,
    LINK_STATES,
    PARENT_LINK,
    REJECTED,
    SUGGESTED,
    CoverageRow,
    ImplementingTask,
    coverage_xlsx,
    shift_year,
)
from tracker.domain.plan_model import COOPERATING, LEAD, OWN, PARENT
from tracker.domain.plan_templates import PlanTemplate, iter_tasks
from tracker.domain.vocabulary import COVERAGE_LABELS, STATUS_LABELS
from tracker.schemas import ImportSummary, PlanDetail, TaskOut
from tracker.services import audit, plans, tracking
from tracker.tables import (
    Item,
    Milestone,
    Plan,
    PlanRelation,
    ProgressUpdate,
    Section,
    Task,
    TaskLink,
    TaskUnit,
)

CARRY_SECTION_TITLE = "承接上年任务"


@dataclass(frozen=True)
class LinkView:
    id: int
    kind: str
    state: str
    score: float
    task_id: int
    task_number: str
    task_text: str
    target_id: int
    target_plan_id: int
    target_number: str
    target_text: str


@dataclass(frozen=True)
class LookBackRow:
    """Last year's task as the year ended, and whether this year's plan carries it."""

    task_id: int
    number: str
    text: str
    lead_units: str
    status_code: str
    status: str
    percent: int
    ongoing: bool
    carried_by: tuple[int, ...]  # this year's tasks linked to it (confirmed)
    pending: int = 0  # suggested links from this year's tasks, not yet confirmed or rejected

    @property
    def open(self) -> bool:
        """Unfinished or 持续推进: proposed for inclusion when not carried."""
        return self.status_code != "done" or self.ongoing


@dataclass(frozen=True)
class YearEntry:
    plan_id: int
    year: int | None
    plan_title: str
    task_id: int
    text: str
    lead_units: str
    status: str
    percent: int
    last_words: str  # the reporting unit's latest stated work


# --------------------------------------------------------------------------- helpers


def _flat(detail: PlanDetail) -> list[tuple[TaskOut, str, str]]:
    """Every task (sub-tasks after their task) with its section and item titles."""
    result = []

    def add(task: TaskOut, section: str, item: str) -> None:
        result.append((task, section, item))
        for sub in task.subtasks:
            add(sub, section, item)

    for section in detail.sections:
        for item in section.items:
            for task in item.tasks:
                add(task, f"{section.number}、{section.title}", f"{item.number or ''}{item.title or ''}")
    return result


async def _withdrawn(plan_id: int) -> set[int]:
    return {row["id"] for row in await Task.select(Task.id).where(
        Task.plan == plan_id, Task.withdrawn_on.is_not_null())}


async def _link_texts(plan_id: int) -> list[plan_links.LinkText]:
    detail = await plans.get_plan(plan_id)
    withdrawn = await _withdrawn(plan_id)
    return [plan_links.LinkText(key=task.id, text=task.text,
                                units=tuple(task.lead_units + task.cooperating_units),
                                heading=item)
            for task, _, item in _flat(detail) if task.id not in withdrawn]


async def _plan_row(plan_id: int, field: str = "plan_id") -> dict:
    row = await Plan.select(Plan.id, Plan.title, Plan.issuer, Plan.year, Plan.kind,
                            Plan.doc_number).where(Plan.id == plan_id).first()
    if row is None:
        raise NotFound(f"计划 {plan_id} 不存在", field)
    return row


async def related_plans(plan_id: int, kind: str) -> list[int]:
    """The parent plans of a plan (kind PARENT_LINK) or the plan it follows (FOLLOWS_LINK)."""
    return [row["related"] for row in await PlanRelation.select(PlanRelation.related).where(
        PlanRelation.plan == plan_id, PlanRelation.kind == kind).order_by(PlanRelation.id)]


async def _relate(plan_id: int, related: int, kind: str, actor: int | None) -> None:
    if await PlanRelation.exists().where(PlanRelation.plan == plan_id,
                                         PlanRelation.related == related, PlanRelation.kind == kind):
        return
    await PlanRelation.insert(PlanRelation(plan=plan_id, related=related, kind=kind,
                                           created_at=dt.datetime.now(dt.UTC)))
    await audit.record(actor, f"plan.{kind}", "plan", plan_id,
                       f"计划 {plan_id} {'以计划 ' + str(related) + ' 为上级计划' if kind == PARENT_LINK else '承接上年计划 ' + str(related)}",
                       plan_id=plan_id, after={"related": related, "kind": kind})


def _require_tasks(template: PlanTemplate, what: str) -> None:
    if not any(True for _ in iter_tasks(template.plan)):
        raise InvalidInput(f"{what}中没有可识别的任务条目，不是一份工作要点或实施方案，未保存", "file")


async def _store_suggestions(plan_id: int, targets_plan: int, kind: str,
                             suggestions: list[plan_links.Suggestion]) -> int:
    """Replace the open suggestions between the two plans; decided links are kept as decided."""
    ours = [row["id"] for row in await Task.select(Task.id).where(Task.plan == plan_id)]
    decided = {(row["task"], row["target"]) for row in await TaskLink.select(
        TaskLink.task, TaskLink.target).where(
        TaskLink.task.is_in(ours or [0]), TaskLink.kind == kind, TaskLink.state != SUGGESTED)}
    await TaskLink.delete().where(TaskLink.task.is_in(ours or [0]), TaskLink.kind == kind,
                                  TaskLink.state == SUGGESTED,
                                  TaskLink.target.plan == targets_plan)
    rows = [TaskLink(task=s.source, target=s.target, kind=kind, score=round(s.score * 1000),
                     state=SUGGESTED)
            for s in suggestions if (s.source, s.target) not in decided]
    if rows:
        await TaskLink.insert(*rows)
    return len(rows)


# --------------------------------------------------------------------------- parent plans


async def import_parent(template: PlanTemplate, plan_id: int, source_name: str | None = None,
                        actor: int | None = None) -> ImportSummary:
    """Store a parent plan (上级) of `plan_id` and suggest the links to its clauses, all in one
    transaction. Refused, nothing stored: a document without tasks, a parent of the same
    issuer and year as the plan itself."""
    _require_tasks(template, "上级计划文件")
    async with write_transaction(Plan._meta.db):
        own = await _plan_row(plan_id)
        if own["kind"] != OWN:
            raise InvalidInput(f"计划 {plan_id} 本身是上级计划，不能再为它指定上级", "plan_id")
        if (template.plan.issuer and template.plan.issuer == own["issuer"]
                and template.plan.year == own["year"]):
            raise InvalidInput(f"上级计划的发文单位与本计划相同（{own['issuer']}，{own['year']}年），"
                               "不是上级计划", "file")
        summary = await plans.store_plan(template, source_name=source_name, actor=actor,
                                         kind=PARENT)
        await _relate(plan_id, summary.plan_id, PARENT_LINK, actor)
        await _suggest(plan_id, summary.plan_id, PARENT_LINK, unit_weight=0.0)
    return summary


async def add_parent(plan_id: int, parent_id: int, actor: int | None = None) -> int:
    """Name a stored plan as a parent plan of `plan_id`; returns the links suggested."""
    if parent_id == plan_id:
        raise InvalidInput("计划不能以自身为上级计划", "parent_id")
    async with write_transaction(Plan._meta.db):
        own = await _plan_row(plan_id)
        parent = await _plan_row(parent_id, "parent_id")
        if own["kind"] != OWN:
            raise InvalidInput(f"计划 {plan_id} 本身是上级计划，不能再为它指定上级", "plan_id")
        if parent["kind"] != PARENT:
            raise InvalidInput(f"计划 {parent_id} 是本级计划，不是上级计划；请用 --parent-of "
                               "把上级文件作为上级计划导入", "parent_id")
        await _relate(plan_id, parent_id, PARENT_LINK, actor)
        return await _suggest(plan_id, parent_id, PARENT_LINK, unit_weight=0.0)


async def _suggest(plan_id: int, target_plan: int, kind: str, unit_weight: float) -> int:
    sources = await _link_texts(plan_id)
    targets = await _link_texts(target_plan)
    suggestions = plan_links.suggest_links(sources, targets, unit_weight=unit_weight)
    return await _store_suggestions(plan_id, target_plan, kind, suggestions)


async def suggest(plan_id: int, kind: str, actor: int | None = None) -> int:
    """Suggest links again against every related plan of that kind; decisions are kept."""
    async with write_transaction(Plan._meta.db):
        await _plan_row(plan_id)
        related = await related_plans(plan_id, kind)
        if not related:
            raise InvalidInput("该计划没有上级计划" if kind == PARENT_LINK else "该计划没有承接的上年计划",
                               "plan_id")
        count = 0
        for other in related:
            count += await _suggest(plan_id, other, kind,
                                    unit_weight=0.0 if kind == PARENT_LINK else plan_links.UNIT_WEIGHT)
        await audit.record(actor, "links.suggest", "plan", plan_id,
                           f"重新生成任务对照建议 {count} 条", plan_id=plan_id,
                           after={"kind": kind, "suggested": count})
    return count


async def links(plan_id: int, kind: str) -> list[LinkView]:
    rows = await TaskLink.select(
        TaskLink.id, TaskLink.kind, TaskLink.state, TaskLink.score, TaskLink.task,
        TaskLink.task.number, TaskLink.task.text, TaskLink.target, TaskLink.target.plan,
        TaskLink.target.number, TaskLink.target.text,
    ).where(TaskLink.task.plan == plan_id, TaskLink.kind == kind).order_by(
        TaskLink.task.position).order_by(TaskLink.score, ascending=False).order_by(TaskLink.id)
    order = {task.id: index for index, (task, _, _) in enumerate(_flat(await plans.get_plan(plan_id)))}
    views = [LinkView(id=r["id"], kind=r["kind"], state=r["state"], score=r["score"] / 1000,
                      task_id=r["task"], task_number=r["task.number"] or "", task_text=r["task.text"],
                      target_id=r["target"], target_plan_id=r["target.plan"],
                      target_number=r["target.number"] or "", target_text=r["target.text"])
             for r in rows]
    return sorted(views, key=lambda v: (order.get(v.task_id, 0), -v.score, v.id))


async def decide(plan_id: int, link_id: int, state: str, actor: int | None = None) -> None:
    """Confirm or reject a suggested link (or undo a decision: back to suggested)."""
    if state not in LINK_STATES:
        raise InvalidInput(f"未知的确认结果“{state}”（可用：confirmed、rejected、suggested）", "state")
    async with write_transaction(TaskLink._meta.db):
        row = await TaskLink.select(TaskLink.id, TaskLink.state, TaskLink.task, TaskLink.target,
                                    TaskLink.kind).where(
            TaskLink.id == link_id, TaskLink.task.plan == plan_id).first()
        if row is None:
            raise NotFound(f"对照关系 {link_id} 不存在", "link_id")
        await TaskLink.update({TaskLink.state: state, TaskLink.decided_by: actor,
                               TaskLink.decided_at: dt.datetime.now(dt.UTC)}).where(
            TaskLink.id == link_id)
        await audit.record(actor, "link.decide", "task_link", link_id,
                           f"任务 {row['task']} 与任务 {row['target']} 的对照：{state}",
                           plan_id=plan_id, before={"state": row["state"]},
                           after={"state": state, "task": row["task"], "target": row["target"],
                                  "kind": row["kind"]})


async def set_link(plan_id: int, task_id: int, target_id: int, kind: str,
                   actor: int | None = None) -> int:
    """The coordinator links a task by hand (confirmed at once). The target must belong to a
    plan related to this one by that kind: never a link to another issuer's plan by chance."""
    async with write_transaction(TaskLink._meta.db):
        if not await Task.exists().where(Task.id == task_id, Task.plan == plan_id):
            raise NotFound(f"任务 {task_id} 不在计划 {plan_id} 中", "task_id")
        target = await Task.select(Task.plan).where(Task.id == target_id).first()
        if target is None:
            raise NotFound(f"任务 {target_id} 不存在", "target_id")
        if target["plan"] not in await related_plans(plan_id, kind):
            raise InvalidInput(f"任务 {target_id} 不属于本计划的"
                               f"{'上级计划' if kind == PARENT_LINK else '上年计划'}，不能对照", "target_id")
        existing = await TaskLink.select(TaskLink.id).where(
            TaskLink.task == task_id, TaskLink.target == target_id, TaskLink.kind == kind).first()
        now = dt.datetime.now(dt.UTC)
        if existing:
            link_id = existing["id"]
            await TaskLink.update({TaskLink.state: CONFIRMED, TaskLink.decided_by: actor,
                                   TaskLink.decided_at: now}).where(TaskLink.id == link_id)
        else:
            link_id = (await TaskLink.insert(TaskLink(
                task=task_id, target=target_id, kind=kind, score=0, state=CONFIRMED,
                decided_by=actor, decided_at=now)))[0]["id"]
        await audit.record(actor, "link.set", "task_link", link_id,
                           f"人工对照任务 {task_id} → 任务 {target_id}", plan_id=plan_id,
                           after={"task": task_id, "target": target_id, "kind": kind})
    return link_id


async def _statuses(plan_id: int, as_of: dt.date | None = None):
    detail = await plans.get_plan(plan_id)
    facts = await tracking.load_plan_facts(plan_id)
    day = as_of or tracking.default_as_of(detail.year, detail.reporting.due_day)
    return detail, tracking.statuses_as_of(facts, day), day


async def coverage(plan_id: int, as_of: dt.date | None = None) -> tuple[list[CoverageRow], dt.date]:
    """Every clause of every parent plan with the confirmed tasks implementing it."""
    detail, statuses, day = await _statuses(plan_id, as_of)
    ours = {task.id: task for task, _, _ in _flat(detail)}
    withdrawn = await _withdrawn(plan_id)
    implementing: dict[int, list[int]] = defaultdict(list)
    pending: dict[int, int] = defaultdict(int)
    for link in await links(plan_id, PARENT_LINK):
        if link.task_id in withdrawn:
            continue
        if link.state == CONFIRMED:
            implementing[link.target_id].append(link.task_id)
        elif link.state == SUGGESTED:
            pending[link.target_id] += 1
    rows = []
    for parent_id in await related_plans(plan_id, PARENT_LINK):
        parent = await plans.get_plan(parent_id)
        for clause, section, item in _flat(parent):
            tasks = []
            for task_id in implementing.get(clause.id, []):
                task, state = ours[task_id], statuses[task_id]
                tasks.append(ImplementingTask(
                    task_id=task_id, number=task.number or "", text=task.text,
                    lead_units="、".join(task.lead_units), status_code=state.code,
                    status=STATUS_LABELS[state.code], percent=state.percent))
            rows.append(CoverageRow(parent_title=parent.title, section=section, item=item,
                                    number=clause.number or "", clause=clause.text,
                                    tasks=tuple(tasks), pending=pending[clause.id]))
    return rows, day


async def coverage_export(plan_id: int, as_of: dt.date | None = None) -> tuple[bytes, dt.date]:
    rows, day = await coverage(plan_id, as_of)
    detail = await plans.get_plan(plan_id)
    title = f"{detail.title}上级要点对照（截至 {day.isoformat()}）"
    return coverage_xlsx(rows, title, COVERAGE_LABELS["missing"], COVERAGE_LABELS["covered"]), day


# --------------------------------------------------------------------------- next year


async def import_following(template: PlanTemplate, follows: int, source_name: str | None = None,
                           actor: int | None = None,
                           create_units: bool | Collection[str] = True) -> ImportSummary:
    """Store this year's plan as following last year's `follows` and suggest which task
    continues which (text similarity + shared units), in one transaction. Refused, nothing
    stored: last year's plan of another issuer, a year that is not later, a parent plan."""
    _require_tasks(template, "计划文件")
    async with write_transaction(Plan._meta.db):
        last = await _plan_row(follows, "follows")
        if last["kind"] != OWN:
            raise InvalidInput(f"计划 {follows} 是上级计划，不能作为上年计划承接", "follows")
        issuer = template.plan.issuer
        if (issuer or "") != (last["issuer"] or ""):
            raise InvalidInput(f"上年计划的发文单位（{last['issuer'] or '未注明'}）与本计划"
                               f"（{issuer or '未注明'}）不同，不能承接", "follows")
        if template.plan.year is not None and last["year"] is not None \
                and template.plan.year <= last["year"]:
            raise InvalidInput(f"本计划年度 {template.plan.year} 不晚于上年计划年度 {last['year']}，"
                               "不能承接", "follows")
        summary = await plans.store_plan(template, source_name=source_name, actor=actor,
                                         create_units=create_units)
        await _relate(summary.plan_id, follows, FOLLOWS_LINK, actor)
        await _suggest(summary.plan_id, follows, FOLLOWS_LINK, unit_weight=plan_links.UNIT_WEIGHT)
    return summary


async def carry_over(plan_id: int, actor: int | None = None) -> dict[str, int]:
    """For each confirmed link to last year's task: a task without a lead unit takes last
    year's assignment, a task without milestones takes last year's, a year later."""
    counts = {"assignments": 0, "milestones": 0}
    async with write_transaction(Plan._meta.db):
        await _plan_row(plan_id)
        confirmed = await TaskLink.select(TaskLink.task, TaskLink.target).where(
            TaskLink.task.plan == plan_id, TaskLink.kind == FOLLOWS_LINK,
            TaskLink.state == CONFIRMED).order_by(TaskLink.id)
        done: set[int] = set()
        for link in confirmed:
            task_id, old_id = link["task"], link["target"]
            if task_id in done:
                continue  # the first confirmed link decides
            done.add(task_id)
            if not await TaskUnit.exists().where(TaskUnit.task == task_id):
                old_units = await TaskUnit.select(TaskUnit.unit, TaskUnit.role, TaskUnit.position).where(
                    TaskUnit.task == old_id).order_by(TaskUnit.position)
                if old_units:
                    await TaskUnit.insert(*[TaskUnit(task=task_id, unit=u["unit"], role=u["role"],
                                                     position=u["position"]) for u in old_units])
                    counts["assignments"] += 1
                    await audit.record(actor, "task.carry_assignment", "task", task_id,
                                       f"任务 {task_id} 沿用上年任务 {old_id} 的分工", plan_id=plan_id,
                                       after={"from_task": old_id,
                                              "units": [[u["unit"], u["role"]] for u in old_units]})
            if not await Milestone.exists().where(Milestone.task == task_id):
                old_milestones = await Milestone.select().where(Milestone.task == old_id).order_by(
                    Milestone.position)
                if old_milestones:
                    await Milestone.insert(*[Milestone(
                        plan=plan_id, task=task_id, title=m["title"],
                        due_on=shift_year(m["due_on"]), position=m["position"])
                        for m in old_milestones])
                    counts["milestones"] += len(old_milestones)
                    await audit.record(actor, "task.carry_milestones", "task", task_id,
                                       f"任务 {task_id} 沿用上年任务 {old_id} 的节点（顺延一年）",
                                       plan_id=plan_id, after={"from_task": old_id,
                                                               "milestones": len(old_milestones)})
    return counts


async def look_back(plan_id: int) -> tuple[int | None, list[LookBackRow]]:
    """回头看: last year's tasks as that year ended, and which of this year's tasks carry
    them. (None, []) when the plan follows no plan."""
    followed = await related_plans(plan_id, FOLLOWS_LINK)
    if not followed:
        return None, []
    last_id = followed[0]
    detail, statuses, _ = await _statuses(last_id)
    carried: dict[int, list[int]] = defaultdict(list)
    pending: dict[int, int] = defaultdict(int)
    for row in await TaskLink.select(TaskLink.task, TaskLink.target, TaskLink.state).where(
            TaskLink.task.plan == plan_id, TaskLink.kind == FOLLOWS_LINK,
            TaskLink.state.is_in([CONFIRMED, SUGGESTED]), TaskLink.task.withdrawn_on.is_null()):
        if row["state"] == CONFIRMED:
            carried[row["target"]].append(row["task"])
        else:
            pending[row["target"]] += 1
    withdrawn = await _withdrawn(last_id)
    rows = []
    for task, _, _ in _flat(detail):
        if task.id in withdrawn:
            continue
        state = statuses[task.id]
        rows.append(LookBackRow(
            task_id=task.id, number=task.number or "", text=task.text,
            lead_units="、".join(task.lead_units), status_code=state.code,
            status=STATUS_LABELS[state.code], percent=state.percent,
            ongoing=task.deadline == "ongoing", carried_by=tuple(carried.get(task.id, [])),
            pending=pending[task.id]))
    return last_id, rows


async def include_task(plan_id: int, old_task_id: int, actor: int | None = None) -> int:
    """Take last year's unfinished or ongoing task into this year's plan, under the section
    承接上年任务, with its assignment and milestones a year later, linked (confirmed)."""
    async with write_transaction(Plan._meta.db):
        plan = await _plan_row(plan_id)
        old = await Task.select().where(Task.id == old_task_id).first()
        if old is None:
            raise NotFound(f"任务 {old_task_id} 不存在", "task_id")
        if old["plan"] not in await related_plans(plan_id, FOLLOWS_LINK):
            raise InvalidInput(f"任务 {old_task_id} 不属于本计划承接的上年计划", "task_id")
        if await TaskLink.exists().where(TaskLink.target == old_task_id, TaskLink.kind == FOLLOWS_LINK,
                                         TaskLink.state == CONFIRMED, TaskLink.task.plan == plan_id):
            raise Conflict(f"上年任务 {old_task_id} 已由本年计划承接", "task_id")
        section = await Section.select(Section.id).where(
            Section.plan == plan_id, Section.title == CARRY_SECTION_TITLE).first()
        if section is None:
            position = await Section.count().where(Section.plan == plan_id)
            section = (await Section.insert(Section(plan=plan_id, position=position,
                                                    number=chinese_numeral(position + 1),
                                                    title=CARRY_SECTION_TITLE)))[0]
            item = (await Item.insert(Item(section=section["id"], position=0)))[0]
        else:
            item = await Item.select(Item.id).where(Item.section == section["id"]).first()
        position = await Task.count().where(Task.item == item["id"], Task.parent.is_null())
        deadline = shift_year(old["deadline"]) if old["deadline"] else None
        if plan["year"] and old["deadline"] and deadline.year != plan["year"]:
            deadline = dt.date(plan["year"], 12, 31)
        new_id = (await Task.insert(Task(
            plan=plan_id, item=item["id"], position=position, number=str(position + 1),
            text=old["text"], deadline_text=old["deadline_text"], deadline=deadline,
            ongoing=old["ongoing"])))[0]["id"]
        await TaskLink.insert(TaskLink(task=new_id, target=old_task_id, kind=FOLLOWS_LINK,
                                       score=1000, state=CONFIRMED, decided_by=actor,
                                       decided_at=dt.datetime.now(dt.UTC)))
        await audit.record(actor, "task.carry_in", "task", new_id,
                           f"承接上年任务 {old_task_id} 纳入本年计划", plan_id=plan_id,
                           after={"from_task": old_task_id, "text": old["text"][:200]})
    await carry_over(plan_id, actor)
    return new_id




async def history(task_id: int) -> list[YearEntry]:
    """The task across years: the tasks it continues (confirmed links, back to the first
    year) and the tasks continuing it, oldest first, each as its year ended (or stands)."""
    if not await Task.exists().where(Task.id == task_id):
        raise NotFound(f"任务 {task_id} 不存在", "task_id")
    chain = [task_id]
    seen = {task_id}
    current = task_id
    while True:  # back
        row = await TaskLink.select(TaskLink.target).where(
            TaskLink.task == current, TaskLink.kind == FOLLOWS_LINK,
            TaskLink.state == CONFIRMED).order_by(TaskLink.score, ascending=False).first()
        if row is None or row["target"] in seen:
            break
        current = row["target"]
        seen.add(current)
        chain.insert(0, current)
    current = task_id
    while True:  # forward
        row = await TaskLink.select(TaskLink.task).where(
            TaskLink.target == current, TaskLink.kind == FOLLOWS_LINK,
            TaskLink.state == CONFIRMED).order_by(TaskLink.score, ascending=False).first()
        if row is None or row["task"] in seen:
            break
        current = row["task"]
        seen.add(current)
        chain.append(current)
    entries = []
    for tid in chain:
        task = await Task.select(Task.plan, Task.text).where(Task.id == tid).first()
        detail, statuses, _ = await _statuses(task["plan"])
        node = next(t for t, _, _ in _flat(detail) if t.id == tid)
        words = await ProgressUpdate.select(ProgressUpdate.work_done).where(
            ProgressUpdate.task == tid).order_by(ProgressUpdate.period, ascending=False).order_by(
            ProgressUpdate.version, ascending=False).first()
        state = statuses[tid]
        entries.append(YearEntry(plan_id=task["plan"], year=detail.year, plan_title=detail.title,
                                 task_id=tid, text=task["text"], lead_units="、".join(node.lead_units),
                                 status=STATUS_LABELS[state.code], percent=state.percent,
                                 last_words=words["work_done"] if words else ""))
    return entries


__all__ = [
    "CONFIRMED", "COOPERATING", "LEAD", "REJECTED", "LinkView", "LookBackRow", "YearEntry",
    "add_parent", "carry_over", "coverage", "coverage_export", "decide", "history",
    "import_following", "import_parent", "include_task", "links", "look_back", "related_plans",
    "set_link", "suggest",
]
