"""Parent plans and next year's plan against real SQLite and PostgreSQL: the links suggested
and confirmed, the coverage export, the carry-over, the look back and a task's years."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from tests.support import lineage
from tests.support.factories import insert_past_update, make_user
from tracker.domain.errors import InvalidInput, NotFound
from tracker.domain.plan_lineage import CONFIRMED, FOLLOWS_LINK, PARENT_LINK, REJECTED
from tracker.domain.plan_model import PlanParseError
from tracker.domain.plan_parsing.plan_source import load_plan_source
from tracker.domain.plan_templates import load_template
from tracker.services import notices, plan_links, planning, plans
from tracker.tables import (
    AuditEntry,
    Milestone,
    Plan,
    Task,
    TaskLink,
    TaskUnit,
    Unit,
)

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


async def _seed() -> int:
    return (await plans.import_plan(lineage.seed(), source_name="seed.yaml")).plan_id


async def _task_id(plan_id: int, starts: str) -> int:
    row = await Task.select(Task.id).where(Task.plan == plan_id, Task.text.like(f"{starts}%")).first()
    assert row, starts
    return row["id"]


async def report(task_id: int, percent: int, state: str, work: str, problems: str = "",
                 day: dt.date = dt.date(2018, 12, 3), period: str = "2018-11") -> None:
    """A lead unit's update stored as of `day` (the status rules count it from then)."""
    lead = await TaskUnit.select(TaskUnit.unit).where(TaskUnit.task == task_id,
                                                      TaskUnit.role == "lead").first()
    user = await make_user("reporter", lead["unit"])
    await insert_past_update(
        task=task_id, unit=lead["unit"], period=period, version=1, role="lead", percent=percent,
        state=state, work_done=work, problems=problems, submitted_by=user.id,
        submitted_at=dt.datetime.combine(day, dt.time(10), SHANGHAI))


# --------------------------------------------------------------------------- parent plans


async def test_a_parent_plan_is_stored_for_reference_and_its_clauses_are_suggested(database):
    plan_id = await _seed()
    units_before = await Unit.count()
    summary = await plan_links.import_parent(load_template(lineage.PARENT_2018), plan_id,
                                             source_name="city.yaml")
    parent = await Plan.select(Plan.kind).where(Plan.id == summary.plan_id).first()
    assert parent["kind"] == "parent"
    assert await TaskUnit.count().where(TaskUnit.task.plan == summary.plan_id) == 0
    assert await Unit.count() == units_before  # 市各部门 is not one of our units
    assert await plan_links.related_plans(plan_id, PARENT_LINK) == [summary.plan_id]

    suggested = await plan_links.links(plan_id, PARENT_LINK)
    pairs = {(link.task_text[:6], link.target_text[:6]) for link in suggested}
    assert ("认真落实《市", "落实政策文件") in pairs
    assert ("用好“两微一", "用好两微一端") in pairs
    assert ("继续推进人大", "推进人大代表") in pairs
    assert ("完善政府网站", "完善政府网站") in pairs
    assert not any(link.target_text.startswith("每年组织开展") for link in suggested)
    # Parent plans are never chased.
    assert await notices.queue_due_notices(dt.date(2018, 10, 2)) is not None
    assert not await notices.queue_due_notices(dt.date(2018, 10, 2), plan_id=summary.plan_id)


async def test_coverage_flags_clauses_without_tasks_and_exports_formula_safe(database):
    plan_id = await _seed()
    summary = await plan_links.import_parent(load_template(lineage.PARENT_2018), plan_id)
    for link in await plan_links.links(plan_id, PARENT_LINK):
        if link.target_text.startswith("完善政府网站安全"):
            await plan_links.decide(plan_id, link.id, REJECTED)
        else:
            await plan_links.decide(plan_id, link.id, CONFIRMED)
    # The coordinator links a task by hand; the formula-looking text must stay text.
    security = await _task_id(plan_id, "完善政府网站安全保障")
    await planning.edit_task(security, planning.TaskEdit(
        text="=HYPERLINK(\"http://x\")完善政府网站安全保障"), expected_version=1)
    clause = await _task_id(summary.plan_id, "完善政府网站安全")
    await plan_links.set_link(plan_id, security, clause, PARENT_LINK)
    await report(security, 100, "done", "已完成安全加固")

    rows, day = await plan_links.coverage(plan_id)
    by_clause = {row.clause[:6]: row for row in rows}
    assert by_clause["每年组织开展"].missing
    assert not by_clause["完善政府网站"].missing
    assert [t.status for t in by_clause["完善政府网站"].tasks] == ["已完成"]

    content, _ = await plan_links.coverage_export(plan_id)
    sheet = load_workbook(io.BytesIO(content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)]
    missing = [row for row in values if row[9] == "漏项"]
    assert [row[4][:6] for row in missing] == ["每年组织开展"]
    security_row = next(row for row in values if row[5] and "HYPERLINK" in row[5])
    assert security_row[5].startswith("'=") and security_row[8] == "已完成"
    assert sheet["A1"].value.startswith("苏州市规划局2018年政务公开工作要点实施方案上级要点对照")
    assert await AuditEntry.count().where(AuditEntry.action == "link.decide") >= 5


async def test_bad_parents_are_refused_and_nothing_is_stored(database):
    plan_id = await _seed()
    plans_before, tasks_before = await Plan.count(), await Task.count()
    with pytest.raises((PlanParseError, InvalidInput), match="任务|计划|标题|要点"):
        await plan_links.import_parent(
            load_plan_source(lineage.NOT_A_PLAN.encode(), "notice.txt"), plan_id)
    with pytest.raises(InvalidInput, match="发文单位与本计划相同"):
        await plan_links.import_parent(lineage.seed_as_parent(), plan_id)
    with pytest.raises(NotFound, match="计划 999 不存在"):
        await plan_links.add_parent(plan_id, 999)
    with pytest.raises(InvalidInput, match="不是上级计划"):
        await plan_links.add_parent(plan_id, await _other_own_plan())
    assert (await Plan.count(), await Task.count()) == (plans_before + 1, tasks_before + 3)
    # A hand-made link must point into a related plan: never to another issuer's plan.
    other = await Task.select(Task.id).where(Task.plan != plan_id).first()
    with pytest.raises(InvalidInput, match="不属于本计划的上级计划"):
        await plan_links.set_link(plan_id, await _task_id(plan_id, "做好行政许可"), other["id"],
                                  PARENT_LINK)


async def _other_own_plan() -> int:
    from tests.support.samples import MINIMAL

    return (await plans.import_plan(load_template(MINIMAL))).plan_id


# --------------------------------------------------------------------------- next year


async def _two_years() -> tuple[int, int]:
    last = await _seed()
    await report(await _task_id(last, "做好行政许可"), 60, "in_progress", "持续公示许可信息")
    await report(await _task_id(last, "完善政府网站安全保障"), 100, "done", "完成等保测评")
    await report(await _task_id(last, "扎实推进试点工作"), 100, "done", "试点通过验收")
    this = (await plan_links.import_following(lineage.plan_2019(), last, source_name="2019.yaml")).plan_id
    return last, this


async def test_next_year_links_carry_assignment_and_milestones(database):
    last, this = await _two_years()
    suggested = await plan_links.links(this, FOLLOWS_LINK)
    assert {link.target_plan_id for link in suggested} == {last}
    reworded = await _task_id(this, lineage.REWORDED_2019[:10])
    assert any(link.task_id == reworded and link.target_text.startswith("围绕市委、市政府中心工作")
               for link in suggested)
    added = await _task_id(this, lineage.ADDED_2019[:10])
    # The new task's only candidate is the dropped pilot task of the same item, weakly.
    weak = [link for link in suggested if link.task_id == added]
    assert [link.target_text[:8] for link in weak] == ["扎实推进试点工作"]
    assert weak[0].score < 0.5 < min(link.score for link in suggested if link.task_id == reworded)

    # The coordinator rejects that one, confirms the best link of each other task and runs
    # the carry-over.
    await plan_links.decide(this, weak[0].id, REJECTED)
    best: dict[int, int] = {}
    for link in suggested:
        if link.task_id != added:
            best.setdefault(link.task_id, link.id)
    for link_id in best.values():
        await plan_links.decide(this, link_id, CONFIRMED)
    counts = await plan_links.carry_over(this)
    assert counts["assignments"] >= 15

    detail = await plans.get_plan(this)
    by_text = {t.text[:10]: t for s in detail.sections for i in s.items for t in i.tasks}
    assert by_text["做好行政许可、行政处"].lead_units == ["行政许可处"]
    assert by_text[lineage.REWORDED_2019[:10]].lead_units == ["局办公室"]
    assert by_text[lineage.ADDED_2019[:10]].lead_units == []  # new: left for the coordinator
    milestone = await Milestone.select(Milestone.due_on).where(
        Milestone.task == await _task_id(this, "积极开展“政策简明问答”")).first()
    old = await Milestone.select(Milestone.due_on).where(
        Milestone.task == await _task_id(last, "积极开展“政策简明问答”")).first()
    assert milestone["due_on"] == old["due_on"].replace(year=old["due_on"].year + 1)
    assert await AuditEntry.count().where(AuditEntry.action == "task.carry_assignment") == counts["assignments"]


async def test_look_back_shows_unfinished_tasks_and_whether_they_are_carried(database):
    last, this = await _two_years()
    _, rows = await plan_links.look_back(this)
    assert rows and not any(row.carried_by for row in rows)  # nothing confirmed yet
    pilot = next(row for row in rows if row.text.startswith("扎实推进试点工作"))
    assert pilot.status == "已完成" and not pilot.open
    permits = next(row for row in rows if row.text.startswith("做好行政许可"))
    assert permits.open and permits.ongoing

    # Carry one in by confirming its link; include another that the new plan dropped.
    link = next(link for link in await plan_links.links(this, FOLLOWS_LINK)
                if link.target_id == permits.task_id)
    await plan_links.decide(this, link.id, CONFIRMED)
    await TaskLink.update({TaskLink.state: REJECTED}).where(
        TaskLink.target == pilot.task_id, TaskLink.state == "suggested")
    new_id = await plan_links.include_task(this, pilot.task_id)
    _, rows = await plan_links.look_back(this)
    assert next(r for r in rows if r.task_id == permits.task_id).carried_by == (link.task_id,)
    assert next(r for r in rows if r.task_id == pilot.task_id).carried_by == (new_id,)
    included = await Task.select(Task.text, Task.deadline).where(Task.id == new_id).first()
    assert included["text"].startswith("扎实推进试点工作") and included["deadline"].year == 2019
    assert await TaskUnit.exists().where(TaskUnit.task == new_id, TaskUnit.role == "lead")

    years = await plan_links.history(link.task_id)
    assert [(entry.year, entry.status) for entry in years] == [(2018, "滞后"), (2019, "滞后")]  # ongoing: no 2018-12 report
    assert years[0].last_words == "持续公示许可信息"


async def test_following_another_issuers_plan_is_refused_and_nothing_is_stored(database):
    from tests.support.samples import MINIMAL

    other = (await plans.import_plan(load_template(MINIMAL))).plan_id  # 测试局
    before = await Plan.count()
    with pytest.raises(InvalidInput, match="发文单位.*不同，不能承接"):
        await plan_links.import_following(lineage.plan_2019(), other)
    last = await _seed()
    with pytest.raises(InvalidInput, match="不晚于上年计划年度"):
        await plan_links.import_following(lineage.seed_with_doc_number("苏规办〔2018〕99号"), last)
    assert await Plan.count() == before + 1
