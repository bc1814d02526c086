"""Importing, reading and exporting plans against real SQLite and PostgreSQL databases."""

from __future__ import annotations

import pytest

from tests.support.samples import MINIMAL
from tracker.domain.errors import Conflict, NotFound
from tracker.domain.plan_templates import dump_template, load_template
from tracker.services import plans
from tracker.tables import Item, Milestone, Plan, Section, Task, TaskUnit, Unit


async def test_import_stores_the_whole_tree(database):
    summary = await plans.import_plan(load_template(MINIMAL), source_name="p.yaml")
    assert (summary.sections, summary.items, summary.tasks, summary.assignments,
            summary.unassigned_tasks, summary.milestones) == (1, 1, 3, 3, 1, 2)
    assert summary.units_created == ["局办公室", "法规处"]

    detail = await plans.get_plan(summary.plan_id)
    task, ongoing = detail.sections[0].items[0].tasks
    assert (task.number, task.text, task.lead_units, task.cooperating_units) == (
        "1", "做好公开", ["局办公室"], ["法规处"])
    assert (task.deadline_text, task.deadline) == ("2018年12月底前", "2018-12-31")
    assert [m.title for m in task.milestones] == ["三季度"]
    assert [(s.text, s.lead_units) for s in task.subtasks] == [("子任务", ["法规处"])]
    assert (ongoing.deadline, ongoing.lead_units) == ("ongoing", [])
    assert [m.title for m in detail.milestones] == ["半年小结"]


async def test_export_round_trips_through_the_database(database):
    template = load_template(MINIMAL)
    summary = await plans.import_plan(template)
    exported = dump_template(plans.template_from_plan(await plans.get_plan(summary.plan_id)))
    assert exported == dump_template(template)
    again = await plans.import_plan(load_template(exported), replace=True)
    assert dump_template(plans.template_from_plan(await plans.get_plan(again.plan_id))) == exported


async def test_the_same_plan_twice_is_refused_unless_replaced(database):
    first = await plans.import_plan(load_template(MINIMAL))
    with pytest.raises(Conflict, match="--replace"):
        await plans.import_plan(load_template(MINIMAL))
    assert await Plan.count() == 1
    replaced = await plans.import_plan(load_template(MINIMAL), replace=True)
    assert replaced.replaced_plan_id == first.plan_id
    assert await Plan.count() == 1
    assert await Task.count() == 3
    assert await Unit.count() == 2  # units are shared, not duplicated
    assert replaced.units_created == []


async def test_a_failure_halfway_leaves_nothing_behind(database, monkeypatch):
    async def broken_insert(*rows):
        raise RuntimeError("disk full")

    monkeypatch.setattr(Milestone, "insert", broken_insert)
    with pytest.raises(RuntimeError):
        await plans.import_plan(load_template(MINIMAL))
    for table in (Plan, Section, Item, Task, TaskUnit, Unit):
        assert await table.count() == 0, table


async def test_unknown_plan_is_not_found(database):
    with pytest.raises(NotFound):
        await plans.get_plan(12345)


async def test_seed_template_imports_with_sample_assignment(database):
    from tests.support.samples import SEED_TEMPLATE

    summary = await plans.import_plan(load_template(SEED_TEMPLATE.read_text(encoding="utf-8")))
    detail = await plans.get_plan(summary.plan_id)
    assert detail.doc_number == "苏规办〔2018〕17号"
    assert [s.number for s in detail.sections] == ["一", "二", "三"]
    assert sum(len(s.items) for s in detail.sections) == 9
    assert summary.unassigned_tasks == 0
    listed = await plans.list_plans()
    assert [(p.id, p.task_count, p.unassigned_count) for p in listed] == [
        (summary.plan_id, summary.tasks, 0)]
