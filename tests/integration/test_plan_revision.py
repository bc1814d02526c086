"""A revised document of the same plan, against real SQLite and PostgreSQL: the diff, and the
changes applied in one transaction without losing history."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.integration.test_plan_links import _seed, _task_id, report
from tests.support import lineage
from tracker.domain.errors import InvalidInput
from tracker.domain.plan_revision import ADDED, DEADLINE, MOVED, REMOVED, REWORDED, UNITS
from tracker.domain.status import unit_timeliness
from tracker.services import plan_revision, plans, tracking
from tracker.tables import AuditEntry, Plan, ProgressUpdate, Task, TaskUnit


async def test_the_diff_names_every_kind_of_change(database):
    plan_id = await _seed()
    diff = await plan_revision.preview(plan_id, lineage.revised_2018())
    kinds = {(tuple(c.kinds), (c.stored.text if c.stored else c.revised.task.text)[:8])
             for c in diff.changes}
    assert ((REWORDED,), "做好行政许可、行") in kinds
    assert ((REMOVED,), "继续推进人大代表") in kinds
    assert ((MOVED,), "按照推动高质量发") in kinds
    assert ((UNITS, DEADLINE), "完善政府网站安全") in kinds
    assert ((ADDED,), lineage.ADDED_REVISION[:8]) in kinds
    assert diff.unchanged == 19 - 4
    assert await Plan.count() == 1 and await AuditEntry.count() == 1  # the import only
    lines = plan_revision.describe(diff)
    assert lines[0] == "未变化 15 项；变化 5 项" and any("［撤销］" in line for line in lines)


async def test_applying_keeps_history_and_withdraws_as_of_the_revision_day(database):
    plan_id = await _seed()
    permits = await _task_id(plan_id, "做好行政许可")
    removed = await _task_id(plan_id, "继续推进人大代表")
    await report(permits, 40, "in_progress", "公示许可信息", day=dt.date(2018, 9, 3), period="2018-08")
    await report(removed, 30, "in_progress", "公开办理结果", day=dt.date(2018, 9, 3), period="2018-08")
    updates_before = await ProgressUpdate.count()

    counts = await plan_revision.apply(plan_id, lineage.revised_2018(), source_name="修订稿.yaml",
                                       on=dt.date(2018, 9, 10))
    assert counts == {"新增": 1, "撤销": 1, "表述调整": 1, "位置调整": 1, "责任单位调整": 1,
                      "完成时限调整": 1}
    assert await ProgressUpdate.count() == updates_before  # nothing lost
    task = await Task.select(Task.text, Task.withdrawn_on).where(Task.id == permits).first()
    assert task["text"] == lineage.REWORDED_REVISION  # same row: its updates stay with it
    assert await ProgressUpdate.count().where(ProgressUpdate.task == permits) == 1
    gone = await Task.select(Task.withdrawn_on).where(Task.id == removed).first()
    assert gone["withdrawn_on"] == dt.date(2018, 9, 10)

    detail = await plans.get_plan(plan_id)
    security = next(t for s in detail.sections for i in s.items for t in i.tasks
                    if t.text.startswith("完善政府网站安全"))
    assert (security.lead_units, security.deadline) == (["局办公室"], "2018-11-30")
    moved_item = detail.sections[0].items[3]
    assert moved_item.tasks[-1].text.startswith("按照推动高质量发展")

    # The withdrawn task owed its August report (due 5 September) but nothing after.
    facts = await tracking.load_plan_facts(plan_id)
    lead = (await TaskUnit.select(TaskUnit.unit).where(TaskUnit.task == removed,
                                                       TaskUnit.role == "lead").first())["unit"]
    late_year = unit_timeliness(lead, tracking.tasks_as_of(facts, dt.date(2018, 12, 31)),
                                facts.updates_by_task.get(removed, []), dt.date(2018, 12, 31),
                                facts.due_day)
    owed = {(t, p) for t, p in late_year.missing_items if t == removed}
    assert owed == set()  # August was reported; September on was never owed
    before_revision = unit_timeliness(
        lead, [t for t in tracking.tasks_as_of(facts, dt.date(2018, 9, 8)) if t.task_id == removed],
        [], dt.date(2018, 9, 8), facts.due_day)
    assert (removed, "2018-08") in before_revision.missing_items  # as of then: owed as before

    actions = [row["action"] for row in await AuditEntry.select(AuditEntry.action).where(
        AuditEntry.plan_id == plan_id)]
    assert actions.count("revision.changed") == 3
    assert actions.count("revision.removed") == 1 and actions.count("revision.added") == 1
    assert "plan.revise" in actions

    # Applying the same document again changes nothing more.
    again = await plan_revision.preview(plan_id, lineage.revised_2018())
    assert again.changes == []


@pytest.mark.parametrize("change, field", [
    ({"doc_number": "苏规办〔2018〕99号"}, "文号"),
    ({"year": 2019}, "年度"),
    ({"issuer": "苏州市自然资源和规划局"}, "发文单位"),
])
async def test_a_revision_of_another_plan_is_refused_and_nothing_changes(database, change, field):
    from dataclasses import replace

    plan_id = await _seed()
    template = lineage.revised_2018()
    template.plan = replace(template.plan, **change)
    before = [(row["id"], row["text"], row["version"]) for row in await Task.select(
        Task.id, Task.text, Task.version).order_by(Task.id)]
    with pytest.raises(InvalidInput, match=f"修订稿的{field}"):
        await plan_revision.apply(plan_id, template)
    after = [(row["id"], row["text"], row["version"]) for row in await Task.select(
        Task.id, Task.text, Task.version).order_by(Task.id)]
    assert before == after


async def test_a_withdrawn_task_leaves_the_units_due_list(database):
    from tracker.services import accounts, progress

    plan_id = await _seed()
    removed = await _task_id(plan_id, "继续推进人大代表")
    lead = (await TaskUnit.select(TaskUnit.unit).where(TaskUnit.task == removed,
                                                       TaskUnit.role == "lead").first())["unit"]
    created = await accounts.add_user("office-reporter", "填报人", "a-long-password-1", "reporter", lead)
    user = await accounts.current_user(created.id)
    assert removed in {row.task_id for row in await progress.my_tasks(user, "2018-08")}
    await plan_revision.apply(plan_id, lineage.revised_2018(), on=dt.date(2018, 9, 10))
    assert removed in {row.task_id for row in await progress.my_tasks(user, "2018-08")}  # due 9-5
    assert removed not in {row.task_id for row in await progress.my_tasks(user, "2018-09")}


async def test_the_plan_page_and_the_export_show_the_plan_in_force(app_client):
    from tests.support.factories import login, make_user
    from tracker.domain.plan_templates import dump_template

    plan_id = await _seed()
    await plan_revision.apply(plan_id, lineage.revised_2018(), on=dt.date(2018, 9, 10))
    coordinator = await make_user("coordinator")
    await login(app_client, coordinator.username)
    overview = await app_client.get(f"/plans/{plan_id}")
    assert "已撤销（2018-09-10）" in overview.text
    exported = dump_template(plans.template_from_plan(await plans.get_plan(plan_id)))
    assert "继续推进人大代表建议" not in exported and lineage.ADDED_REVISION in exported
