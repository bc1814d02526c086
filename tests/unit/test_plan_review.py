"""The review rules of tracker.domain.plan_review: unit matching, warnings, edits, the check."""

from __future__ import annotations

import pytest

from tracker.domain import plan_review as review
from tracker.domain.errors import InvalidInput
from tracker.domain.plan_model import ParsedItem, ParsedPlan, ParsedSection, ParsedTask
from tracker.domain.plan_templates import PlanTemplate, dump_template, load_template

KNOWN = ["办公室", "政策法规处", "信息中心", "各镇(办)"]


def task(text: str, lead=(), coop=(), deadline_text=None, deadline=None, number=None, line=None):
    return ParsedTask(number=number, text=text, lead_units=list(lead), cooperating_units=list(coop),
                      deadline_text=deadline_text, deadline=deadline, line=line)


def template(*items: list[ParsedTask], year: int | None = 2018) -> PlanTemplate:
    plan = ParsedPlan(title="计划", issuer=None, doc_number=None, issued_on=None, year=year,
                      interpretation=None, preamble=None, sections=[ParsedSection(
                          number="一", title="部分", items=[
                              ParsedItem(number=f"（{n}）", title=f"事项{n}", tasks=list(tasks))
                              for n, tasks in zip("一二三", items, strict=False)])])
    return PlanTemplate(plan=plan, units=[])


@pytest.mark.parametrize(("written", "known"), [
    ("局办公室", "办公室"),
    ("本局办公室", "办公室"),
    ("办公室等", "办公室"),
    ("政策法规处等单位", "政策法规处"),
    ("各镇（办）", "各镇(办)"),
    ("各镇〔办〕", "各镇(办)"),
    ("信息 中心", "信息中心"),
    ("信息中心　", "信息中心"),
])
def test_alias_names_share_the_key_of_the_known_unit(written, known):
    assert review.unit_key(written) == review.unit_key(known)
    match = review.UnitDirectory(KNOWN).match(written)
    assert (match.kind, match.unit) == (review.ALIAS, known)


@pytest.mark.parametrize("other", ["局长办公室", "宣传处", "办公", "市政府办公厅"])
def test_other_names_are_new(other):
    assert review.UnitDirectory(KNOWN).match(other).kind == review.NEW


def test_exact_and_ambiguous_matches():
    directory = review.UnitDirectory([*KNOWN, "局办公室"])
    assert directory.match("办公室") == review.UnitMatch("办公室", review.EXACT, "办公室")
    ambiguous = directory.match("本局办公室")  # both 办公室 and 局办公室: the coordinator decides
    assert ambiguous.kind == review.NEW and set(ambiguous.candidates) == {"办公室", "局办公室"}


def test_warnings_name_what_the_parser_was_unsure_of():
    directory = review.UnitDirectory(KNOWN)
    codes = lambda t, choices=None: [w.code for w in review.task_warnings(t, directory, choices)]  # noqa: E731
    assert codes(task("无人负责")) == ["no_unit"]
    assert codes(task("有人", lead=["办公室"], coop=["宣传处"])) == ["unknown_unit"]
    assert codes(task("有人", lead=["局办公室"])) == []  # an alias is matched, not doubted
    assert codes(task("有人", lead=["宣传处"]), {"宣传处": review.UnitChoice(review.CREATE)}) == []
    assert codes(task("有人", lead=["办公室"], deadline_text="适时", deadline=None)) == [
        "deadline_unresolved"]
    assert codes(task("有人", lead=["办公室"], deadline_text="年底前", deadline="2018-12-31")) == []
    message = review.task_warnings(task("x", lead=["宣传处"]), directory)[0].message
    assert message == "单位“宣传处”不在本系统的单位名单中"


def test_a_changed_deadline_text_is_resolved_again_unless_the_date_was_typed():
    old = task("x", deadline_text="6月底前", deadline="2018-06-30")
    key = "sections[0].items[0].tasks[0]"
    edit = review.TaskEdit(deadline_text="9月底前", deadline="2018-06-30")
    assert review.apply_task_edit(old, edit, 2018, key).deadline == "2018-09-30"
    typed = review.TaskEdit(deadline_text="9月底前", deadline="2018-10-15")
    assert review.apply_task_edit(old, typed, 2018, key).deadline == "2018-10-15"
    ongoing = review.TaskEdit(deadline_text="6月底前", deadline="持续推进")
    assert review.apply_task_edit(old, ongoing, 2018, key).deadline == "ongoing"
    cleared = review.TaskEdit(deadline_text="", deadline="")
    assert review.apply_task_edit(old, cleared, 2018, key).deadline is None
    with pytest.raises(InvalidInput) as refused:
        review.apply_task_edit(old, review.TaskEdit(deadline="2019-02-30"), 2018, key)
    assert refused.value.field == f"{key}.deadline" and "2019-02-30" in refused.value.message
    with pytest.raises(InvalidInput):
        review.apply_task_edit(old, review.TaskEdit(deadline="下个月"), 2018, key)


def test_a_new_year_resolves_the_deadlines_that_came_from_their_text():
    draft = template([task("a", deadline_text="6月底前", deadline=None),
                      task("b", deadline_text="6月底前", deadline="2017-05-01")], year=None)
    review.change_year(draft, 2017)
    assert [t.deadline for t in draft.plan.sections[0].items[0].tasks] == ["2017-06-30", "2017-05-01"]


def test_merge_split_move_delete():
    draft = template([task("甲。", lead=["办公室"], deadline="2018-06-30", deadline_text="6月底前", line=3),
                      task("乙", lead=["信息中心"], coop=["办公室"], deadline="2018-09-30",
                           deadline_text="9月底前", line=5)],
                     [task("丙")])
    review.merge_with_next(draft, (0, 0, 0))
    merged = draft.plan.sections[0].items[0].tasks
    assert len(merged) == 1 and merged[0].text == "甲。乙"
    assert merged[0].lead_units == ["办公室", "信息中心"] and merged[0].cooperating_units == []
    assert (merged[0].deadline_text, merged[0].deadline) == ("9月底前", "2018-09-30")
    with pytest.raises(InvalidInput):
        review.merge_with_next(draft, (0, 0, 0))  # nothing after it
    review.split_task(draft, (0, 0, 0))
    assert [t.text for t in draft.plan.sections[0].items[0].tasks] == ["甲。", "乙"]
    review.move_task(draft, (0, 0, 1), 1)  # past the last of its item: into the next item
    assert [t.text for t in draft.plan.sections[0].items[1].tasks] == ["乙", "丙"]
    review.move_to_item(draft, (0, 1, 1), (0, 0))
    assert [t.text for t in draft.plan.sections[0].items[0].tasks] == ["甲。", "丙"]
    review.delete_task(draft, (0, 0, 0))
    assert [t.text for t in draft.plan.sections[0].items[0].tasks] == ["丙"]
    with pytest.raises(InvalidInput):
        review.split_task(draft, (0, 0, 0))  # one short sentence: nowhere to split
    with pytest.raises(InvalidInput):
        review.delete_task(draft, (0, 5, 0))


def test_the_check_resolves_units_and_names_every_field_at_fault():
    directory = review.UnitDirectory(KNOWN)
    draft = template([task("", lead=["宣传处"]), task("b", lead=["局办公室"], coop=["办公室", "新处"]),
                      task("c", number="1"), task("d", number="1")])
    with pytest.raises(review.DraftRefused) as refused:
        review.check_draft(draft, directory)
    assert refused.value.errors == [
        ("units.宣传处", "单位“宣传处”不在本系统中，请选择：新建、对应到已有单位或不分配"),
        ("units.新处", "单位“新处”不在本系统中，请选择：新建、对应到已有单位或不分配"),
        ("sections[0].items[0].tasks[0].text", "任务内容不能为空"),
        ("sections[0].items[0].tasks[3].number", "编号“1”与本事项第 3 项重复"),
    ]
    assert refused.value.message.endswith("（另有 3 处问题）")

    draft.plan.sections[0].items[0].tasks[0].text = "a"
    draft.plan.sections[0].items[0].tasks[3].number = "2"
    checked = review.check_draft(draft, directory, {
        "宣传处": review.UnitChoice(review.MAP, "信息中心"),
        "新处": review.UnitChoice(review.CREATE)})
    tasks = checked.template.plan.sections[0].items[0].tasks
    assert tasks[0].lead_units == ["信息中心"]
    assert (tasks[1].lead_units, tasks[1].cooperating_units) == (["办公室"], ["新处"])
    assert checked.units_to_create == ["新处"]
    assert checked.template.units == ["信息中心", "办公室", "新处"]
    draft.plan.sections[0].items[0].tasks[2].deadline_text = "10月底前"  # text only: resolved
    assert review.check_draft(draft, directory, {
        "宣传处": review.UnitChoice(review.CREATE), "新处": review.UnitChoice(review.CREATE)},
    ).template.plan.sections[0].items[0].tasks[2].deadline == "2018-10-31"
    assert draft.plan.sections[0].items[0].tasks[0].lead_units == ["宣传处"]  # the draft is kept

    unassigned = review.check_draft(draft, directory, {
        "宣传处": review.UnitChoice(review.UNASSIGNED)}, create_all=True)
    assert unassigned.template.plan.sections[0].items[0].tasks[0].lead_units == []
    assert unassigned.units_to_create == ["新处"]
    with pytest.raises(review.DraftRefused) as bad_target:
        review.check_draft(draft, directory, {"宣传处": review.UnitChoice(review.MAP, "无此处")},
                           create_all=True)
    assert bad_target.value.errors == [("units.宣传处", "单位“宣传处”要对应的“无此处”不是本系统已有的单位")]


def test_the_review_yaml_round_trips_with_its_decisions():
    directory = review.UnitDirectory(KNOWN)
    draft = template([task("a", lead=["局办公室"], coop=["宣传处"], line=7),
                      task("b", deadline_text="适时", line=9)])
    reviewed, comments = review.review_template(draft, directory)
    text = dump_template(reviewed, **comments)
    assert "#   局办公室 → 办公室（按别名对应，任务中已改为“办公室”）\n" in text
    assert "#   宣传处：本系统没有该单位\n" in text
    assert "    # ⚠ 单位“宣传处”不在本系统的单位名单中\n    # 原文第 7 行\n    - text: a\n" in text
    assert "    # ⚠ 未识别到责任单位\n    # ⚠ 完成时限“适时”无法换算为日期\n" in text
    loaded = load_template(text.replace("宣传处: null", "宣传处: 不分配"))
    assert loaded.new_units == {"宣传处": "不分配"}
    assert review.choices_from_template(loaded) == {"宣传处": review.UnitChoice(review.UNASSIGNED)}
    assert review.undecided_units(loaded, directory, {}) == ["宣传处"]
    checked = review.check_draft(loaded, directory, review.choices_from_template(loaded))
    assert checked.template.plan.sections[0].items[0].tasks[0].cooperating_units == []
    mapped = load_template(text.replace("宣传处: null", "宣传处: 信息中心"))
    assert review.choices_from_template(mapped) == {"宣传处": review.UnitChoice(review.MAP, "信息中心")}
