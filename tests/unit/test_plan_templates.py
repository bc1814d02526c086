"""Plan templates: strict reading with the key at fault named, and a lossless round trip."""

from __future__ import annotations

import pytest

from tests.support.samples import MINIMAL, SEED_TEMPLATE
from tracker.domain.plan_templates import TemplateError, dump_template, load_template


def test_reads_every_part_of_a_template():
    template = load_template(MINIMAL)
    plan = template.plan
    assert (plan.title, plan.issuer, plan.doc_number, plan.issued_on, plan.year) == (
        "测试计划", "测试局", "测办〔2018〕1号", "2018-03-01", 2018)
    assert template.units == ["局办公室", "法规处"]
    assert [(m.title, m.due_on) for m in template.milestones] == [("半年小结", "2018-06-30")]
    first, second = plan.sections[0].items[0].tasks
    assert (first.number, first.text, first.lead_units, first.cooperating_units) == (
        "1", "做好公开", ["局办公室"], ["法规处"])
    assert (first.deadline_text, first.deadline) == ("2018年12月底前", "2018-12-31")
    assert [(m.title, m.due_on) for m in first.milestones] == [("三季度", "2018-09-30")]
    assert [(s.text, s.lead_units) for s in first.subtasks] == [("子任务", ["法规处"])]
    assert (second.number, second.deadline, second.lead_units) == (None, "ongoing", [])
    assert template.reporting.due_day == 5


def test_dump_then_load_gives_the_same_template():
    text = dump_template(load_template(MINIMAL))
    assert dump_template(load_template(text)) == text
    assert "lead_units: [局办公室]" in text  # unit lists stay readable on one line
    assert "deadline: 2018-12-31" in text


def test_seed_template_round_trips():

    text = SEED_TEMPLATE.read_text(encoding="utf-8")
    template = load_template(text)
    assert dump_template(load_template(dump_template(template))) == dump_template(template)


@pytest.mark.parametrize(
    ("change", "key", "reason"),
    [
        (("units: [局办公室, 法规处]", "unitz: [局办公室]"), "unitz", "未知字段"),
        (("            lead_units: [局办公室]", "            leed_units: [局办公室]"),
         "sections[0].items[0].tasks[0].leed_units", "未知字段"),
        (("            lead_units: [局办公室]", "            lead_units: [宣传处]"),
         "sections[0].items[0].tasks[0].lead_units[0]", "未在 units 中列出"),
        (("            deadline: 2018-12-31", "            deadline: 2018-13-45"),
         "sections[0].items[0].tasks[0].deadline", "日期"),
        (("  issued_on: 2018-03-01", "  issued_on: 去年"), "plan.issued_on", "日期"),
        (("          - text: 持续任务", "          - number: 1\n            text: 持续任务"),
         "sections[0].items[0].tasks[1].number", "重复"),
        (("            cooperating_units: [法规处]", "            cooperating_units: [局办公室]"),
         "sections[0].items[0].tasks[0].cooperating_units[0]", "既是牵头单位又是配合单位"),
        (("  title: 测试计划", "  title: ''"), "plan.title", "缺少必填字段"),
        (("  year: 2018", "  year: 二〇一八"), "plan.year", "整数"),
        (("sections:", "reporting: {due_day: 31}\nsections:"), "reporting.due_day", "1到28"),
    ],
)
def test_bad_templates_name_the_key_at_fault(change, key, reason):
    old, new = change
    assert old in MINIMAL
    with pytest.raises(TemplateError) as caught:
        load_template(MINIMAL.replace(old, new, 1))
    assert caught.value.key == key
    assert reason in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("text", ["", "   \n", "- a\n- b\n", "plan: [\n", "plan: {title: x}\n"])
def test_empty_or_malformed_templates_are_refused(text):
    with pytest.raises(TemplateError):
        load_template(text)
