"""Realistic generated data: months of progress history for a plan, and a city-scale plan.

One generator serves the demo (the 2018 seed plan) and the benchmarks (`tracker demo generate`):
lead units report most months on time, some late, a few not at all; cooperating units add
contributions; the office accepts most updates and returns some, which are then corrected.
Rows go in through bulk inserts in one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass

from tracker.db import write_transaction
from tracker.domain.periods import due_date, periods_between
from tracker.domain.plan_model import COOPERATING, LEAD
from tracker.domain.status import DEFAULT_TZ, end_of_day
from tracker.services.security import hash_password_sync
from tracker.tables import (
    Item,
    Milestone,
    Plan,
    ProgressUpdate,
    Review,
    Section,
    Task,
    TaskUnit,
    Unit,
    User,
)

BATCH = 500
WORK_DONE = [
    "已在门户网站“政府信息公开”专栏发布相关信息{n}条，同步推送政务微博、微信。",
    "组织召开专题推进会，明确责任分工和时间节点，形成工作台账。",
    "完成相关政策文件的公开属性审查，{n}件文件按规定主动公开。",
    "梳理本单位办事事项{n}项，更新办事指南和材料清单。",
    "按“谁起草、谁解读”原则同步制作解读材料{n}篇，随文件一并发布。",
    "对照考核要求开展自查，发现并整改栏目更新不及时等问题{n}处。",
]
PROBLEMS = ["", "", "部分栏目信息更新不够及时。", "基层单位人员变动，衔接需加强。",
            "系统改造需与信息中心进一步对接。"]
NEXT_STEPS = ["继续按计划推进，按月报送进展。", "下月完成剩余事项并组织验收。",
              "加强与配合单位沟通，确保按期完成。"]
RETURN_COMMENTS = ["进度与佐证材料不一致，请补充佐证链接。", "请写明本月具体完成的事项和数量。"]


@dataclass(frozen=True)
class HistorySummary:
    updates: int
    reviews: int


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    """A working-hours moment on `day`, Beijing time."""
    return dt.datetime.combine(day, dt.time(9 + rng.randrange(8), rng.randrange(60)), DEFAULT_TZ)


async def _bulk_insert(table, rows: list) -> list[int]:
    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        result = await table.insert(*rows[start:start + BATCH]).returning(table.id)
        ids.extend(row["id"] for row in result)
    return ids


async def add_history(plan_id: int, periods: list[str], submitters: dict[int, int],
                      reviewer_id: int, rng: random.Random, today: dt.date) -> HistorySummary:
    """Monthly updates for every assigned task of a plan, with reviews, up to `today`."""
    plan = await Plan.select(Plan.report_due_day).where(Plan.id == plan_id).first()
    due_day = plan["report_due_day"]
    # Ordered, so one seed gives the same history on every backend.
    tasks = await Task.select(Task.id, Task.deadline, Task.ongoing).where(
        Task.plan == plan_id).order_by(Task.id)
    links = await TaskUnit.select(TaskUnit.task, TaskUnit.unit, TaskUnit.role).where(
        TaskUnit.task.plan == plan_id).order_by(TaskUnit.task).order_by(TaskUnit.position).order_by(
        TaskUnit.id)
    units_of: dict[int, list[tuple[int, str]]] = {}
    for link in links:
        units_of.setdefault(link["task"], []).append((link["unit"], link["role"]))

    # A unit files its whole month at once: on time, late, or not at all.
    habit = {(unit_id, period): rng.choices(["on_time", "late", "missing"], [85, 11, 4])[0]
             for unit_id in sorted(submitters) for period in periods}
    cutoff = end_of_day(today)  # nothing happens after `today`
    updates: list[ProgressUpdate] = []
    decisions: list[tuple[int, str, str, dt.datetime]] = []  # (index into updates, ...)
    for task in tasks:
        pace = rng.choice([1.4, 1.2, 1.0, 1.0, 0.6])  # some units run ahead, some lag
        percent = 0
        for period_index, period in enumerate(periods):
            due = due_date(period, due_day)
            if due > today:
                break
            for unit_id, role in units_of.get(task["id"], []):
                if role != LEAD and rng.random() < 0.5:
                    continue
                behaviour = habit.get((unit_id, period), "missing")  # no reporter: no reports
                if behaviour == "missing":
                    continue
                submitted_day = due - dt.timedelta(days=rng.randrange(6)) if behaviour == "on_time" else (
                    due + dt.timedelta(days=1 + rng.randrange(8)))
                if role == LEAD:
                    step = int(rng.randrange(12, 30) * pace)
                    ceiling = 90 if task["ongoing"] else 100
                    percent = min(ceiling, percent + step)
                    share = percent
                else:
                    share = min(100, 20 * (period_index + 1))
                state = "done" if share == 100 else ("in_progress" if share else "not_started")
                update = ProgressUpdate(
                    task=task["id"], unit=unit_id, period=period, version=1, role=role,
                    percent=share, state=state,
                    work_done=rng.choice(WORK_DONE).format(n=rng.randrange(2, 30)),
                    problems=rng.choice(PROBLEMS), next_steps=rng.choice(NEXT_STEPS),
                    evidence_links=json.dumps([]), submitted_by=submitters[unit_id],
                    submitted_at=_at(min(submitted_day, today), rng),
                )
                updates.append(update)
                review_roll = rng.random()
                # Decisions (and corrections) take a day or two; what would fall after today
                # has not happened yet and stays pending in the review queue.
                if review_roll < 0.1 and update.submitted_at + dt.timedelta(days=3) < cutoff:
                    returned_at = update.submitted_at + dt.timedelta(days=1)
                    decisions.append((len(updates) - 1, "returned", rng.choice(RETURN_COMMENTS),
                                      returned_at))
                    correction = ProgressUpdate(**{
                        **{c._meta.name: getattr(update, c._meta.name)
                           for c in ProgressUpdate._meta.columns if c._meta.name != "id"},
                        "version": 2,
                        "work_done": update.work_done + "已按审核意见补充佐证材料。",
                        "submitted_at": returned_at + dt.timedelta(days=1),
                    })
                    updates.append(correction)
                    decisions.append((len(updates) - 1, "accepted", "",
                                      correction.submitted_at + dt.timedelta(days=1)))
                elif review_roll < 0.95:
                    decided_at = update.submitted_at + dt.timedelta(days=1 + rng.randrange(2))
                    if decided_at < cutoff:
                        decisions.append((len(updates) - 1, "accepted", "", decided_at))
    async with write_transaction(ProgressUpdate._meta.db):
        ids = await _bulk_insert(ProgressUpdate, updates)
        reviews = [Review(update=ids[index], reviewer=reviewer_id, decision=decision,
                          comment=comment, decided_at=at)
                   for index, decision, comment, at in decisions]
        await _bulk_insert(Review, reviews)
    return HistorySummary(updates=len(updates), reviews=len(decisions))


async def reporters_for_units(unit_ids: Iterable[int], password_hash: str) -> dict[int, int]:
    """One reporter account per unit (user name unit<id>), created if missing: unit -> user."""
    existing = {row["unit"]: row["id"] for row in await User.select(User.unit, User.id).where(
        User.role == "reporter").order_by(User.id, ascending=False)}  # the first one wins
    missing = [unit_id for unit_id in unit_ids if unit_id not in existing]
    if missing:
        rows = [User(username=f"unit{unit_id}", display_name=f"填报员{unit_id}",
                     password_hash=password_hash, role="reporter", unit=unit_id)
                for unit_id in missing]
        for unit_id, user_id in zip(missing, await _bulk_insert(User, rows), strict=True):
            existing[unit_id] = user_id
    return existing


# --- a city-scale plan for benchmarks --------------------------------------------------------

SECTION_TITLES = ["深化重点领域信息公开", "加强政策解读和回应关切", "提升政务服务公开实效",
                  "强化公开平台建设", "夯实公开制度保障", "推进基层政务公开标准化"]
TASK_VERBS = ["做好", "推进", "完善", "加强", "落实", "规范"]
TASK_TOPICS = ["财政预决算信息公开", "重大建设项目批准和实施信息公开", "公共资源配置信息公开",
               "行政执法公示", "政策解读材料同步发布", "政务舆情回应", "政府网站集约化建设",
               "政务新媒体管理", "依申请公开办理", "政府信息主动公开目录", "办事指南标准化",
               "民生实事项目进展公开", "生态环境信息公开", "安全生产信息公开"]


async def generate_city_plan(units: int, tasks: int, months: int, seed: int = 2025,
                             year: int = 2025) -> tuple[int, HistorySummary]:
    """A plan of `tasks` tasks over `units` units with `months` months of history."""
    rng = random.Random(seed)
    password_hash = hash_password_sync("generated-" + str(seed))
    async with write_transaction(Plan._meta.db):
        plan_id = (await Plan.insert(Plan(
            title=f"某市{year}年政务公开工作要点实施方案（生成数据 {tasks} 项）",
            issuer="某市人民政府办公室", doc_number=f"某政办〔{year}〕{seed % 100}号",
            issued_on=dt.date(year, 1, 15), year=year)).returning(Plan.id))[0]["id"]
        names = [f"市{['发展改革委', '教育局', '公安局', '民政局', '财政局', '人社局', '自然资源局', '生态环境局', '住建局', '交通局'][i % 10]}{'' if i < 10 else i // 10 + 1}"
                 for i in range(units)]
        known = {row["name"]: row["id"] for row in await Unit.select(Unit.id, Unit.name).where(
            Unit.name.is_in(names))}
        new_names = [name for name in names if name not in known]
        for name, unit_id in zip(new_names, await _bulk_insert(Unit, [Unit(name=n) for n in new_names]),
                                 strict=True):
            known[name] = unit_id
        unit_ids = [known[name] for name in names]
        section_ids = await _bulk_insert(Section, [
            Section(plan=plan_id, position=i, number="一二三四五六"[i], title=title)
            for i, title in enumerate(SECTION_TITLES)])
        items_per_section = 5
        item_ids = await _bulk_insert(Item, [
            Item(section=section_id, position=j, number=f"（{'一二三四五六七八九十'[j]}）",
                 title=f"{SECTION_TITLES[i][:4]}重点事项{j + 1}")
            for i, section_id in enumerate(section_ids) for j in range(items_per_section)])
        task_rows = []
        for index in range(tasks):
            deadline_month = rng.choice([6, 9, 10, 11, 12, 12, 12, None])
            task_rows.append(Task(
                plan=plan_id, item=item_ids[index % len(item_ids)], position=index,
                number=str(index // len(item_ids) + 1),
                text=f"{rng.choice(TASK_VERBS)}{rng.choice(TASK_TOPICS)}工作（第{index + 1}项）。",
                deadline=dt.date(year, deadline_month, 28) if deadline_month else None,
                ongoing=deadline_month is None))
        task_ids = await _bulk_insert(Task, task_rows)
        # Quarterly checkpoints of the whole plan, and a mid-way milestone on every 100th task.
        quarter_ends = [dt.date(year, 3, 31), dt.date(year, 6, 30), dt.date(year, 9, 30),
                        dt.date(year, 12, 31)]
        milestones = [Milestone(plan=plan_id, task=None, title=f"第{'一二三四'[q]}季度工作小结",
                                due_on=due_on, position=q) for q, due_on in enumerate(quarter_ends)]
        for index in range(0, len(task_ids), 100):
            row = task_rows[index]
            due_on = (row.deadline or dt.date(year, 12, 28)) - dt.timedelta(days=60)
            milestones.append(Milestone(plan=plan_id, task=task_ids[index],
                                        title=f"第{index + 1}项任务阶段性成果", due_on=due_on,
                                        position=0))
        await _bulk_insert(Milestone, milestones)
        links = []
        for task_id in task_ids:
            chosen = rng.sample(unit_ids, k=min(len(unit_ids), 1 + rng.randrange(3)))
            links += [TaskUnit(task=task_id, unit=unit_id, role=LEAD if i == 0 else COOPERATING,
                               position=i) for i, unit_id in enumerate(chosen)]
        await _bulk_insert(TaskUnit, links)
        submitters = await reporters_for_units(unit_ids, password_hash)
        reviewer = await User.select(User.id).where(
            User.role.is_in(["coordinator", "admin"])).order_by(User.id).first()
        if reviewer is None:
            reviewer_id = (await User.insert(User(
                username=f"office{seed}", display_name="协调人", password_hash=password_hash,
                role="coordinator")).returning(User.id))[0]["id"]
        else:
            reviewer_id = reviewer["id"]
    periods = periods_between(f"{year}-01", f"{year}-{months:02d}")
    history = await add_history(plan_id, periods, submitters, reviewer_id, rng,
                                today=due_date(periods[-1], 5))
    return plan_id, history
