"""plan_parsing: text → plan tree, on the real seed document and on hand-made variants."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.domain.plan_model import ParsedPlan, PlanParseError
from tracker.domain.plan_parsing import extract_units, parse_plan_text, split_units

SEED = Path(__file__).resolve().parents[2] / "plan_templates" / "suzhou_planning_2018.txt"

# The whole expected tree of the seed: (number, title, [(number, task text start), ...]).
SEED_TREE = [
    ("一", "高质量推进政务发布解读回应工作", [
        ("（一）", "重大政策及时向社会发布", [
            ("1", "围绕市委、市政府中心工作"),
            ("2", "做好行政许可、行政处罚信息公示。"),
            ("3", "继续推进人大代表建议和政协"),
            ("4", "制定出台涉及公共利益、公众"),
        ]),
        ("（二）", "重点领域的公开", [(None, "按照职责分工继续做好城乡")]),
        ("（三）", "做好政策解读工作", [
            (None, "按照推动高质量发展的根本"),
            (None, "认真落实《市政府办公室关"),
            (None, "积极开展“政策简明问答”"),
        ]),
        ("（四）", "对群众关切及时高效回应", [
            (None, "用好“两微一端”新平台，"),
            (None, "积极回应公众关注热点，对"),
            (None, "对涉及群众切身利益的行政"),
            (None, "按法律要求组织听证会、座"),
        ]),
    ]),
    ("二", "着力提升政务服务公开质量和实效", [
        ("（五）", "推进网上办事服务公开标准化规范化", [(None, "进一步贯彻“放管服”改革")]),
    ]),
    ("三", "强化政务公开制度保障和平台支撑", [
        ("（六）", "贯彻落实好政府信息公开条例", [(None, "新修订的《中华人民共和国")]),
        ("（七）", "高水平完成基层政务公开标准化规范化试点工作", [(None, "扎实推进试点工作，加强对")]),
        ("（八）", "持续推进政务公开各项制度建设", [
            (None, "严格落实行政机关公文办理"),
            (None, "结合新修订的条例出台，加"),
        ]),
        ("（九）", "进一步提升政府网站建设管理水平", [
            (None, "对照网站考核要求，加强信"),
            (None, "完善政府网站安全保障机制"),
        ]),
    ]),
]
SEED_TASK_LINES = [22, 24, 26, 28, 31, 33, 35, 37, 41, 43, 45, 47, 50, 55, 59, 62, 64, 67, 69]


def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def tree_of(plan: ParsedPlan) -> list:
    """The plan reduced to the SEED_TREE shape (full task texts)."""
    return [
        (s.number, s.title, [
            (i.number, i.title, [(t.number, t.text) for t in i.tasks]) for i in s.items
        ]) for s in plan.sections
    ]


def _shape(tree: list) -> list:
    return [(n, t, [(i_n, i_t, [number for number, _ in tasks]) for i_n, i_t, tasks in items])
            for n, t, items in tree]


def assert_tree(plan: ParsedPlan, expected: list) -> None:
    """Same sections, items and task numbers; each task text starts as expected."""
    actual = tree_of(plan)
    assert _shape(actual) == _shape(expected)
    for (_, _, items), (_, _, e_items) in zip(actual, expected, strict=True):
        for (_, _, tasks), (_, _, e_tasks) in zip(items, e_items, strict=True):
            for (_, text), (_, start) in zip(tasks, e_tasks, strict=True):
                assert text.startswith(start), (text, start)


def all_tasks(plan: ParsedPlan):
    return [t for s in plan.sections for i in s.items for t in i.tasks]


# --- the seed document ---------------------------------------------------------------------


def test_seed_metadata():
    plan = parse_plan_text(seed_text())
    assert plan.title == "苏州市规划局2018年政务公开工作要点实施方案"
    assert plan.issuer == "苏州市规划局"
    assert plan.doc_number == "苏规办〔2018〕17号"
    assert plan.issued_on == "2018-08-01"
    assert plan.year == 2018
    assert plan.preamble == (
        "为全面贯彻落实省政府办公厅《江苏省2018年政务公开工作要点及任务分工》和市政府办公室"
        "《苏州市2018年政务公开工作要点实施方案》,根据我局政务公开工作实际，现制定"
        "《苏州市规划局2018年政务公开工作要点实施方案》。"
    )


def test_seed_interpretation_is_kept_apart():
    plan = parse_plan_text(seed_text())
    # The 解读 starts with its own heading (two source lines joined), then one line per paragraph.
    assert plan.interpretation.startswith(
        "《苏州市规划局2018年政务公开工作要点实施方案》解读\n为全面贯彻落实省政府办公厅")
    assert "\n六、加强政务公开平台建设、创新公开方式。\n" in plan.interpretation
    assert plan.interpretation.endswith("全面提升政务公开工作水平。")
    assert len(plan.interpretation.split("\n")) == 9
    assert [s.number for s in plan.sections] == ["一", "二", "三"]


def test_seed_tree():
    plan = parse_plan_text(seed_text())
    assert_tree(plan, SEED_TREE)
    assert [t.line for t in all_tasks(plan)] == SEED_TASK_LINES


def test_seed_units_and_deadlines():
    tasks = all_tasks(parse_plan_text(seed_text()))
    units = {(t.text[:6], tuple(t.lead_units), tuple(t.cooperating_units)) for t in tasks
             if t.lead_units or t.cooperating_units}
    assert units == {("积极开展“政", ("局办公室",), ("政策制定业务部门", "宣传部门"))}
    # The seed writes no completion times at all: nothing may be invented.
    assert all(t.deadline is None and t.deadline_text is None for t in tasks)


def test_seed_task_texts_are_as_written():
    tasks = all_tasks(parse_plan_text(seed_text()))
    assert tasks[1].text == "做好行政许可、行政处罚信息公示。"
    assert tasks[4].text == "按照职责分工继续做好城乡规划的信息公开工作；重大建设项目的规划审核服务情况向社会公开；"
    assert tasks[-1].text.endswith("保障用户信息安全。")


def test_seed_to_dict_is_json_ready():
    import json

    data = parse_plan_text(seed_text()).to_dict()
    assert set(data) == {"title", "issuer", "doc_number", "issued_on", "year", "interpretation",
                         "preamble", "sections"}
    task = data["sections"][0]["items"][2]["tasks"][2]
    assert set(task) == {"number", "text", "lead_units", "cooperating_units", "deadline_text",
                         "deadline", "line"}
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data


def test_seed_is_fast():
    text = seed_text()
    started = time.perf_counter()
    for _ in range(20):
        parse_plan_text(text)
    assert (time.perf_counter() - started) / 20 < 0.05


def test_seed_with_windows_newlines_and_no_blank_lines():
    text = "\r\n".join(line for line in seed_text().splitlines() if line.strip())
    plan = parse_plan_text(text)
    assert_tree(plan, SEED_TREE)
    assert plan.title == "苏州市规划局2018年政务公开工作要点实施方案"


def test_seed_body_alone():
    """Without the distribution cover the title still comes from the lines above the body."""
    text = seed_text()
    body = text[text.index("苏州市规划局2018年政务公开\n工作要点实施方案\n\n为全面"):]
    plan = parse_plan_text(body)
    assert_tree(plan, SEED_TREE)
    assert (plan.title, plan.issuer, plan.doc_number, plan.issued_on, plan.year) == (
        "苏州市规划局2018年政务公开工作要点实施方案", "苏州市规划局", None, None, 2018)


# --- metadata variants ---------------------------------------------------------------------

BODY = "一、推进决策公开\n（一）做好发布\n1. 做好发布工作。\n"


@pytest.mark.parametrize("written", [
    "苏规办〔2018〕17号", "苏规办[2018]17号", "苏规办【2018】17号", "苏规办(2018)17号",
    "苏规办（2018）17号", "苏规办［2018］17号", "苏规办﹝2018﹞17号", "苏规办 〔 2018 〕 17 号",
])
def test_doc_number_brackets_are_normalised(written):
    plan = parse_plan_text(f"{written}\n某市某局2018年政务公开工作要点\n{BODY}")
    assert plan.doc_number == "苏规办〔2018〕17号"


def test_doc_number_in_body_is_not_the_plans():
    plan = parse_plan_text("某局2019年政务公开工作方案\n" + BODY + "2. 落实（苏府办〔2017〕26号）。\n")
    assert plan.doc_number is None
    assert plan.year == 2019


def test_title_from_the_cover_letter():
    text = ("国办发〔2018〕23号\n各省、自治区、直辖市人民政府，国务院各部委、各直属机构：\n"
            "《2018年政务公开工作要点》已经国务院同意，现印发给你们，请认真贯彻落实。\n"
            "国务院办公厅\n2018年4月13日\n（此件公开发布）\n" + BODY)
    plan = parse_plan_text(text)
    assert (plan.title, plan.issuer, plan.doc_number, plan.issued_on, plan.year, plan.preamble) == (
        "2018年政务公开工作要点", "国务院办公厅", "国办发〔2018〕23号", "2018-04-13", 2018, None)


def test_issuer_before_the_cover_title():
    text = ("国务院办公厅关于印发2018年政务公开工作要点的通知\n国办发〔2018〕23号\n"
            "国务院办公厅\n2018年4月13日\n（此件公开发布）\n2018年政务公开工作要点\n做好工作，要以…为指导。\n" + BODY)
    plan = parse_plan_text(text)
    assert (plan.title, plan.issuer, plan.doc_number, plan.preamble) == (
        "2018年政务公开工作要点", "国务院办公厅", "国办发〔2018〕23号", "做好工作，要以…为指导。")


def test_cover_title_is_used_when_the_body_has_no_title():
    text = ("京政办发〔2019〕3号\n关于印发《北京市2019年政务公开工作要点》的通知\n各区人民政府，市政府各委、办、局：\n"
            "现将《北京市2019年政务公开工作要点》印发给你们，请认真贯彻落实。\n北京市人民政府办公厅\n"
            "二〇一九年三月十二日\n" + BODY)
    plan = parse_plan_text(text)
    assert plan.title == "北京市2019年政务公开工作要点"
    assert plan.doc_number == "京政办发〔2019〕3号"
    assert plan.issuer == "北京市人民政府办公厅"
    assert plan.issued_on == "2019-03-12"
    assert plan.year == 2019
    assert plan.preamble is None


def test_signature_at_the_end_of_the_body():
    text = "某局2020年政务公开工作要点\n" + BODY + "某市某局\n2020年2月3日\n"
    plan = parse_plan_text(text)
    assert plan.issuer == "某市某局"
    assert plan.issued_on == "2020-02-03"
    assert [t.text for t in all_tasks(plan)] == ["做好发布工作。"]


def test_title_on_one_line_and_preamble_over_several():
    text = "某区2021年政务公开工作实施方案\n为做好工作，制定本方案。\n现结合实际，提出如下意见。\n" + BODY
    plan = parse_plan_text(text)
    assert plan.title == "某区2021年政务公开工作实施方案"
    assert plan.issuer == "某区"
    assert plan.preamble == "为做好工作，制定本方案。\n现结合实际，提出如下意见。"


# --- numbering variants --------------------------------------------------------------------


def test_numbering_styles():
    text = """某局2018年工作要点
一. 第一部分
(一) 甲项
1、任务一。
2．任务二。
3) 任务三。
（二）乙项
（1）任务一。
(2) 任务二。
⑶任务三。
二．第二部分
（三）丙项。本项的任务写在同一行。
壹、第三部分
第三部分的段落任务。
"""
    plan = parse_plan_text(text)
    assert tree_of(plan) == [
        ("一", "第一部分", [
            ("（一）", "甲项", [("1", "任务一。"), ("2", "任务二。"), ("3", "任务三。")]),
            ("（二）", "乙项", [("1", "任务一。"), ("2", "任务二。"), ("3", "任务三。")]),
        ]),
        ("二", "第二部分", [("（三）", "丙项", [(None, "本项的任务写在同一行。")])]),
        ("一", "第三部分", [(None, None, [(None, "第三部分的段落任务。")])]),
    ]


def test_points_numbered_in_another_style_belong_to_their_task():
    text = "一、甲\n（一）乙\n1. 做甲：\n（1）公开A；\n（2）公开B。\n2. 做乙。\n（1）公开C。\n"
    plan = parse_plan_text(text)
    assert [(t.number, t.text) for t in all_tasks(plan)] == [
        ("1", "做甲：\n（1）公开A；\n（2）公开B。"), ("2", "做乙。\n（1）公开C。")]


def test_items_without_sections_go_into_one_section_titled_with_the_plan():
    plan = parse_plan_text("某局2018年政务公开工作要点\n（一）甲\n做甲。\n（二）乙\n做乙。\n")
    assert tree_of(plan) == [("一", "某局2018年政务公开工作要点", [
        ("（一）", "甲", [(None, "做甲。")]), ("（二）", "乙", [(None, "做乙。")]),
    ])]


def test_numbered_tasks_only():
    plan = parse_plan_text("工作要点\n1. 做甲。\n2. 做乙。\n")
    assert tree_of(plan) == [("一", "工作要点", [(None, None, [("1", "做甲。"), ("2", "做乙。")])])]


def test_plain_paragraph_after_numbered_task_continues_it():
    plan = parse_plan_text("一、甲\n1. 做甲，\n包括以下内容。\n2. 做乙。\n")
    assert [(t.number, t.text) for t in all_tasks(plan)] == [("1", "做甲，\n包括以下内容。"), ("2", "做乙。")]


def test_enumerations_inside_a_paragraph_stay_one_task():
    plan = parse_plan_text("一、甲\n（一）乙\n一是做好发布；二是做好解读；三是做好回应。\n")
    assert [t.text for t in all_tasks(plan)] == ["一是做好发布；二是做好解读；三是做好回应。"]


def test_item_heading_alone_becomes_its_task():
    plan = parse_plan_text("某局2018年工作要点\n一、甲\n（一）做好X工作（市发改委负责，2018年底前完成）\n（二）乙\n做乙。\n")
    first = plan.sections[0].items[0]
    assert first.title == "做好X工作"
    assert [(t.text, t.lead_units, t.deadline_text, t.deadline) for t in first.tasks] == [
        ("做好X工作", ["市发改委"], "2018年底前", "2018-12-31")]


def test_traditional_and_half_width_variant():
    text = """蘇州市規劃局2018年政務公開工作要點
壹、高質量推進政務發佈解讀回應工作
(一)重大政策及時向社會發佈
1.做好行政許可公示(牽頭單位:局辦公室;配合單位:規劃處、法規處等;完成時限:2018年12月底前)
2.由局辦公室牽頭,聯合政策制定業務部門、宣傳部門解讀重點政策.
(二)重點領域
加強公開(責任單位:市發展改革委、市財政局)。
《蘇州市規劃局2018年政務公開工作要點》解讀
一、解讀內容。
"""
    plan = parse_plan_text(text)
    assert plan.year == 2018
    assert plan.title == "蘇州市規劃局2018年政務公開工作要點"
    assert plan.issuer == "蘇州市規劃局"
    assert tree_of(plan) == [("一", "高質量推進政務發佈解讀回應工作", [
        ("（一）", "重大政策及時向社會發佈", [
            ("1", "做好行政許可公示"),
            ("2", "由局辦公室牽頭,聯合政策制定業務部門、宣傳部門解讀重點政策."),
        ]),
        ("（二）", "重點領域", [(None, "加強公開")]),
    ])]
    first, second, third = all_tasks(plan)
    assert (first.lead_units, first.cooperating_units) == (["局辦公室"], ["規劃處", "法規處"])
    assert (first.deadline_text, first.deadline) == ("2018年12月底前", "2018-12-31")
    assert (second.lead_units, second.cooperating_units) == (["局辦公室"], ["政策制定業務部門", "宣傳部門"])
    assert (third.lead_units, third.cooperating_units) == (["市發展改革委", "市財政局"], [])
    assert plan.interpretation == "《蘇州市規劃局2018年政務公開工作要點》解讀\n一、解讀內容。"


@pytest.mark.parametrize("heading", [
    "关于《某局2018年政务公开工作要点》的解读", "《某局2018年政务公开工作要点》解读", "政策解读",
    "某局2018年政务公开工作要点解读",
])
def test_interpretation_headings(heading):
    plan = parse_plan_text(f"某局2018年政务公开工作要点\n{BODY}{heading}\n一、背景。\n二、内容。\n")
    assert plan.interpretation == f"{heading}\n一、背景。\n二、内容。"
    assert len(plan.sections) == 1


# --- units and deadlines in text ------------------------------------------------------------


@pytest.mark.parametrize("text, lead, cooperating", [
    ("做好工作（牵头单位：A局、B局；责任单位：C局）", ["A局", "B局"], ["C局"]),
    ("做好工作（责任单位：市发改委、市财政局等）", ["市发改委", "市财政局"], []),
    ("做好工作（配合单位：市统计局）", [], ["市统计局"]),
    ("做好工作（市发展改革委负责）", ["市发展改革委"], []),
    ("做好工作（市发改委牵头，市财政局、市统计局配合，2018年底前完成）", ["市发改委"], ["市财政局", "市统计局"]),
    ("做好工作（国家发展改革委牵头，各地区各部门负责，持续推进）", ["国家发展改革委"], ["各地区各部门"]),
    ("由局办公室牵头，联合政策制定业务部门、宣传部门解读重点政策。", ["局办公室"], ["政策制定业务部门", "宣传部门"]),
    ("由市政府办公室负责，市大数据局配合。", ["市政府办公室"], ["市大数据局"]),
    ("做好工作。牵头单位：局办公室；配合单位：规划处/法规处", ["局办公室"], ["规划处", "法规处"]),
    ("做好工作(牵头单位:A处,B处;配合单位:C处)", ["A处", "B处"], ["C处"]),
    ("牵头单位：局办公室（统筹）；配合单位：C处", ["局办公室"], ["C处"]),
    ("我局主要负责同志履行职责，落实（苏府办〔2017〕5号）。", [], []),
    ("由于工作需要，负责同志要参加。", [], []),
])
def test_extract_units(text, lead, cooperating):
    assert extract_units(text) == (lead, cooperating)


def test_split_units():
    assert split_units("局办公室、规划处；宣传部门等,法规处/信息中心\n市局") == [
        "局办公室", "规划处", "宣传部门", "法规处", "信息中心", "市局"]
    assert split_units("市发改委等相关部门") == ["市发改委"]
    assert split_units("") == []


def test_task_deadlines_use_the_plan_year():
    text = """某局2018年政务公开工作要点
一、甲
1. 做甲（局办公室负责，12月底前完成）。
2. 做乙，年底前完成。
3. 做丙，持续推进。
4. 做丁。完成时限：2018年9月30日前
5. 做戊，自2018年5月1日起施行。
6. 做己（长期）。
"""
    tasks = all_tasks(parse_plan_text(text))
    # Only a note, a labelled field or a column states a deadline; a date inside the task's own
    # sentence stays text (tests/data/plans conventions).
    assert [(t.deadline_text, t.deadline) for t in tasks] == [
        ("12月底前", "2018-12-31"), (None, None), (None, None),
        ("2018年9月30日前", "2018-09-30"), (None, None), ("长期", "ongoing"),
    ]
    assert [t.text for t in tasks][:4] == ["做甲", "做乙，年底前完成。", "做丙，持续推进。", "做丁。"]


def test_month_deadline_without_a_year_is_not_resolved():
    tasks = all_tasks(parse_plan_text("一、甲\n1. 做甲（6月底前完成）。\n"))
    assert (tasks[0].deadline_text, tasks[0].deadline) == ("6月底前", None)


# --- task-division tables -------------------------------------------------------------------

TAB_TABLE = """某局2018年政务公开工作任务分解表
序号\t工作任务\t工作要求\t牵头单位\t配合单位\t完成时限
一、推进决策公开\t一、推进决策公开\t一、推进决策公开\t一、推进决策公开\t一、推进决策公开\t一、推进决策公开
1\t重大政策发布\t及时发布重大政策\t局办公室\t规划处、法规处\t2018年12月底前
2\t\t做好政策解读\t\t宣传处\t
二、推进服务公开\t\t\t\t\t
3\t办事服务公开\t公开办事指南\t行政审批处；信息中心\t\t持续推进
"""


def test_tab_separated_table_alone():
    plan = parse_plan_text(TAB_TABLE)
    assert plan.title == "某局2018年政务公开工作任务分解表"
    assert plan.year == 2018
    # With a task column and a details column, the task column names the group (an item).
    assert tree_of(plan) == [
        ("一", "推进决策公开", [(None, "重大政策发布", [("1", "及时发布重大政策"), ("2", "做好政策解读")])]),
        ("二", "推进服务公开", [(None, "办事服务公开", [("3", "公开办事指南")])]),
    ]
    first, second, third = all_tasks(plan)
    assert (first.lead_units, first.cooperating_units, first.deadline_text, first.deadline) == (
        ["局办公室"], ["规划处", "法规处"], "2018年12月底前", "2018-12-31")
    # Merged (empty) cells inherit the 工作任务, 牵头单位 and 完成时限 of the row above.
    assert (second.lead_units, second.cooperating_units, second.deadline) == (["局办公室"], ["宣传处"], "2018-12-31")
    assert (third.lead_units, third.cooperating_units, third.deadline_text, third.deadline) == (
        ["行政审批处", "信息中心"], [], "持续推进", "ongoing")
    assert [t.line for t in all_tasks(plan)] == [4, 5, 7]


def test_pipe_table_with_synonyms_in_another_order():
    text = """| 完成时间 | 责任单位 | 主要任务 | 编号 | 具体要求 |
| --- | --- | --- | --- | --- |
| 年底前 | 市发改委（牵头）、市财政局 | 决策公开 | 1 | 公开决策草案 |
| 6月底前 | 市统计局 | 数据公开 | 2 | 公开统计数据 |
"""
    plan = parse_plan_text("某市2019年政务公开任务清单\n" + text)
    first, second = all_tasks(plan)
    assert (first.number, first.text, first.lead_units, first.cooperating_units, first.deadline) == (
        "1", "公开决策草案", ["市发改委"], ["市财政局"], "2019-12-31")
    assert (second.number, second.lead_units, second.deadline_text, second.deadline) == (
        "2", ["市统计局"], "6月底前", "2019-06-30")
    assert [(s.number, s.title) for s in plan.sections] == [("一", "某市2019年政务公开任务清单")]


def test_table_after_prose_becomes_its_own_section():
    text = ("某局2018年政务公开工作要点\n" + BODY + "二、加强保障\n做好保障。\n附件：任务分解表\n"
            "序号\t任务\t责任单位\t完成时限\n（一）决策公开\t\t\t\n1\t公开决策\t局办公室\t2018年6月底前\n")
    plan = parse_plan_text(text)
    assert [(s.number, s.title) for s in plan.sections] == [
        ("一", "推进决策公开"), ("二", "加强保障"), ("三", "任务分解表")]
    assert tree_of(plan)[2] == ("三", "任务分解表", [("（一）", "决策公开", [("1", "公开决策")])])
    task = plan.sections[2].items[0].tasks[0]
    assert (task.lead_units, task.deadline) == (["局办公室"], "2018-06-30")
    assert tree_of(plan)[1] == ("二", "加强保障", [(None, None, [(None, "做好保障。")])])


def test_table_without_caption_after_prose():
    text = "一、甲\n做甲。\n序号\t工作任务\t牵头单位\n1\t做乙\t局办公室\n"
    plan = parse_plan_text(text)
    assert [(s.number, s.title) for s in plan.sections] == [("一", "甲"), ("二", "任务分解表")]


def test_tab_lines_without_a_header_are_plain_paragraphs():
    plan = parse_plan_text("一、甲\n做甲\t马上\n")
    assert [t.text for t in all_tasks(plan)] == ["做甲\t马上"]


def test_duplicate_table_number_is_kept_with_a_warning():
    """Real plans repeat a number by mistake: the task is kept, and flagged for the preview."""
    text = "序号\t工作任务\t牵头单位\n1\t做甲\t局办公室\n1\t做乙\t局办公室\n"
    tasks = all_tasks(parse_plan_text(text))
    assert [(t.number, t.line, t.warnings) for t in tasks] == [
        ("1", 2, []), ("1", 3, ["任务编号“1”重复"])]


# --- refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\t\n\u3000", "\n\n"])
def test_empty_text(text):
    with pytest.raises(PlanParseError, match="文本为空") as caught:
        parse_plan_text(text)
    assert caught.value.line is None


def test_text_without_numbering():
    with pytest.raises(PlanParseError, match="未识别到任何编号结构"):
        parse_plan_text("某局2018年政务公开工作要点\n做好政务公开工作。\n加强解读回应。\n")


def test_duplicate_task_number_is_kept_with_a_warning():
    text = "一、甲\n（一）乙\n1. 做甲。\n2. 做乙。\n2. 做丙。\n"
    tasks = all_tasks(parse_plan_text(text))
    assert [t.text for t in tasks] == ["做甲。", "做乙。", "做丙。"]
    assert tasks[2].warnings == ["任务编号“2”重复"] and tasks[2].to_dict()["warnings"] == tasks[2].warnings


def test_same_number_in_different_items_is_fine():
    plan = parse_plan_text("一、甲\n（一）乙\n1. 做甲。\n（二）丙\n1. 做丙。\n")
    assert [t.number for t in all_tasks(plan)] == ["1", "1"]


# --- robustness ------------------------------------------------------------------------------

TOKENS = ["一、", "二、", "十一、", "壹、", "（二）", "(三)", "（1）", "3.", "1、", "⑴", "牵头单位：", "责任单位:",
          "配合单位：", "〔2018〕", "[2019]", "12月底前", "年底前", "持续推进", "2018年8月1日", "二〇一八年八月一日",
          "\t", "|", "\n", "\n\n", "。", "；", "、", "（", "）", "(", ")", "《", "》", "解读", "关于印发",
          "的通知", "序号", "工作任务", "完成时限", "牵头", "配合", "由", "负责", "局办公室", "做好工作",
          "苏规办", "号", " ", "\u3000", "\r", "0", "99", "—", "-", "印发", "共印：5份"]


def _check(text: str) -> None:
    try:
        plan = parse_plan_text(text)
    except PlanParseError as error:
        assert str(error)
        return
    assert isinstance(plan, ParsedPlan)
    plan.to_dict()
    for task in all_tasks(plan):
        assert not set(task.lead_units) & set(task.cooperating_units)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes(text):
    _check(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=4)), max_size=60))
def test_token_soup_never_crashes(tokens):
    _check("".join(tokens))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=3000), st.text(max_size=20))
def test_seed_with_damage_never_crashes(position, insert):
    text = seed_text()
    _check(text[:position] + insert + text[position:])


CELLS = ["序号", "工作任务", "具体要求", "牵头单位", "责任单位", "配合单位", "完成时限", "1", "2", "一、甲",
         "（一）乙", "局办公室", "A处牵头,B处配合", "宣传处会办公室", "各科室等按职责分工落实", "年底前",
         "持续推进", "2019年6月底前", "做好工作。", "", " ", "|", "—"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.one_of(st.sampled_from(CELLS), st.text(max_size=6)), max_size=7),
                max_size=12),
       st.sampled_from(["\t", " | ", "\n|\n", "\n"]))
def test_arbitrary_tables_never_crash(rows, separator):
    """Tables as tab/pipe rows or one cell per line, ragged and merged: a tree or a reason."""
    row_end = "\n|\n|\n" if separator == "\n|\n" else "\n"
    _check(row_end.join(separator.join(row) for row in rows))
    _check("某局2019年任务分解表\n序号\t工作任务\t牵头单位\t完成时限\n" + "\n".join("\t".join(r) for r in rows))
