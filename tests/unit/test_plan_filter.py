"""The plan page's filter: by unit, status, section and text, keeping a sub-task's parent."""

from __future__ import annotations

import pytest

from tracker.domain.errors import InvalidInput
from tracker.domain.plan_filter import (
    PlanFilter,
    count_tasks,
    filter_sections,
    page_of_sections,
    parse_filter,
)
from tracker.schemas import ItemOut, SectionOut, TaskOut


def _task(task_id, text, lead=(), coop=(), subtasks=()):
    return TaskOut(id=task_id, number=str(task_id), text=text, lead_units=list(lead),
                   cooperating_units=list(coop), deadline_text=None, deadline=None,
                   subtasks=list(subtasks))


SECTIONS = [
    SectionOut(id=1, number="一", title="政务公开", items=[ItemOut(id=10, number="（一）", title="目录", tasks=[
        _task(1, "编制公开目录", ["办公室"], ["法规处"], [_task(2, "梳理政策文件", ["法规处"])]),
        _task(3, "发布解读材料", ["宣传处"]),
    ])]),
    SectionOut(id=2, number="二", title="平台建设", items=[ItemOut(id=20, number=None, title=None, tasks=[
        _task(4, "升级门户网站", ["信息中心"]),
    ])]),
]
STATUSES = {1: "on_track", 2: "overdue", 3: "done", 4: "overdue"}


def _ids(sections):
    def walk(tasks):
        for task in tasks:
            yield task.id
            yield from walk(task.subtasks)
    return [i for s in sections for item in s.items for i in walk(item.tasks)]


def test_no_filter_shows_everything():
    assert filter_sections(SECTIONS, STATUSES, PlanFilter()) is SECTIONS


def test_unit_matches_lead_or_cooperating():
    assert _ids(filter_sections(SECTIONS, STATUSES, PlanFilter(unit="法规处"))) == [1, 2]
    assert _ids(filter_sections(SECTIONS, STATUSES, PlanFilter(unit="信息中心"))) == [4]


def test_a_matching_subtask_keeps_its_parent_task():
    shown = filter_sections(SECTIONS, STATUSES, PlanFilter(status="overdue"))
    assert _ids(shown) == [1, 2, 4]
    assert [s.id for s in shown] == [1, 2]


def test_section_and_text_and_empty_sections_dropped():
    shown = filter_sections(SECTIONS, STATUSES, PlanFilter(section=1, text="解读"))
    assert _ids(shown) == [3] and len(shown) == 1
    assert filter_sections(SECTIONS, STATUSES, PlanFilter(text="没有这个")) == []
    assert count_tasks(SECTIONS[0].items[0].tasks) == 3


def test_every_word_must_appear():
    assert _ids(filter_sections(SECTIONS, STATUSES, PlanFilter(text="门户 升级"))) == [4]
    assert _ids(filter_sections(SECTIONS, STATUSES, PlanFilter(text="门户 目录"))) == []


def test_parse_filter_names_the_field():
    assert parse_filter("", "", "", "") == PlanFilter()
    assert parse_filter(" 法规处 ", "overdue", "2", "  公开   目录 ") == PlanFilter(
        unit="法规处", status="overdue", section=2, text="公开 目录")
    for args, field in [((None, "late", None, None), "status"), ((None, None, "二", None), "section"),
                        ((None, None, None, "字" * 101), "q")]:
        with pytest.raises(InvalidInput) as refused:
            parse_filter(*args)
        assert refused.value.field == field


def test_a_page_of_the_tree_keeps_sub_tasks_with_their_task_and_the_order():
    first, top_level = page_of_sections(SECTIONS, 1, 2)
    assert top_level == 3 and _ids(first) == [1, 2, 3]  # task 1 with its sub-task, then 3
    second, _ = page_of_sections(SECTIONS, 2, 2)
    assert _ids(second) == [4] and [s.id for s in second] == [2]
    straddling, _ = page_of_sections(SECTIONS, 2, 1)
    assert _ids(straddling) == [3] and [s.id for s in straddling] == [1]
    assert page_of_sections(SECTIONS, 3, 2) == ([], 3)
