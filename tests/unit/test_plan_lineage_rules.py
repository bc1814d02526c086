"""The pure rules behind task links, revisions and the annual draft."""

from __future__ import annotations

import datetime as dt

from tests.support import lineage
from tracker.domain import plan_links, plan_revision
from tracker.domain.annual_report import TaskLine, build_draft, condense, draft_text
from tracker.domain.plan_lineage import shift_year
from tracker.domain.status import TaskStatus


def _text(key, text, units=()):
    return plan_links.LinkText(key, text, tuple(units))


def test_similar_tasks_are_suggested_and_unrelated_ones_are_not():
    new = [_text("a", "按月公开全省财政收支情况，解读财政收支增减变化"),
           _text("b", "组织开展政府开放日活动")]
    old = [_text(1, "每月公开财政收支情况并解读增减变化原因"),
           _text(2, "加强政府网站安全防护"),
           _text(3, "推进重大建设项目信息公开")]
    suggested = plan_links.suggest_links(new, old)
    assert [(s.source, s.target) for s in suggested] == [("a", 1)]


def test_shared_units_raise_the_score_but_never_make_a_link_alone():
    new = [_text("a", "做好预决算公开", ["财政厅"])]
    old = [_text(1, "推进预决算公开工作", ["省财政厅"]), _text(2, "召开新闻发布会", ["财政厅"])]
    with_units = plan_links.suggest_links(new, old)
    without = plan_links.suggest_links(new, old, unit_weight=0.0)
    assert [s.target for s in with_units] == [1]
    assert with_units[0].score > without[0].score and with_units[0].unit_overlap == 1.0
    assert plan_links.unit_key("省财政厅") == plan_links.unit_key("财政厅")


def test_one_to_one_uses_each_task_once():
    pairs = plan_links.one_to_one([_text("a", "公开财政预算"), _text("b", "公开财政预算信息")],
                                  [_text(1, "公开财政预算信息")])
    assert [(p.source, p.target) for p in pairs] == [("b", 1)]


def test_precision_and_recall():
    assert plan_links.precision_recall({(1, 2), (3, 4)}, {(1, 2), (5, 6), (7, 8)}) == (0.5, 1 / 3)


def test_shift_year_keeps_the_day_and_handles_leap_days():
    assert shift_year(dt.date(2018, 9, 30)) == dt.date(2019, 9, 30)
    assert shift_year(dt.date(2020, 2, 29)) == dt.date(2021, 2, 28)


def test_revision_diff_on_the_seed_plan():
    seed = lineage.seed()
    stored = []
    for section in seed.plan.sections:
        for item in section.items:
            place = plan_revision.Place(section.number, section.title, item.number, item.title)
            for task in item.tasks:
                stored.append(plan_revision.StoredTask(
                    len(stored) + 1, task.text, place, tuple(task.lead_units),
                    tuple(task.cooperating_units), task.deadline, task.deadline_text))
    diff = plan_revision.diff(stored, lineage.revised_2018().plan)
    assert {kind: diff.count(kind) for kind in plan_revision.CHANGE_KINDS} == {
        "added": 1, "removed": 1, "reworded": 1, "moved": 1, "units": 1, "deadline": 1}
    assert plan_revision.diff(stored, seed.plan).changes == []


def _line(code, percent, work="", problems="", ongoing=False, unit="信息中心"):
    return TaskLine("1", "完善网站安全保障机制，确保安全运行", unit,
                    TaskStatus(1, code, percent, None, None), work, problems, ongoing)


def test_the_draft_counts_statuses_and_condenses_the_units_words():
    assert condense("完成等保测评。另有说明") == "完成等保测评"
    assert condense("长" * 80).endswith("…") and len(condense("长" * 80)) == 60
    draft = build_draft("某局2018年政务公开工作要点", 2018, "2019-01-05", [
        ("一、公开解读", [_line("done", 100, "完成等保测评。"), _line("overdue", 40, problems="经费不足。")]),
        ("二、平台建设", [_line("on_track", 50, ongoing=True)]),
    ])
    assert draft.total == 3 and draft.counts["done"] == 1 and draft.counts["overdue"] == 1
    assert "共3项任务，已完成1项，正常推进1项，超期1项" in draft.overview
    assert "信息中心完成等保测评" in draft.sections[0].paragraph
    assert draft.problems == ["信息中心反映：经费不足（1完善网站安全保障机制，确保安全运行）"]
    assert len(draft.open_items) == 1  # the ongoing task on track is not "open"
    assert "二、存在的主要问题及改进情况" in draft_text(draft)
