"""Layout classes found on the retired hold-out documents (issue 9 §2): each test is a small
made-up snippet of one layout, read the general way."""

from __future__ import annotations

from tracker.domain.plan_parsing import extract_units, parse_plan_text


def _tasks(plan):
    return [(s.number, i.title, t.text, t.lead_units, t.cooperating_units, t.deadline_text)
            for s in plan.sections for i in s.items for t in i.tasks]


def test_unit_labels_name_any_kind_of_sub_unit():
    """牵头股室 / 责任股室 (a county bureau's 股), written in traditional characters too."""
    assert extract_units("做好数据发布。(牽頭股室:綜合股,責任股室:各相關股室)") == (["綜合股"], ["各相關股室"])
    assert extract_units("做好数据发布。(牵头机构:甲中心;配合机构:乙中心)") == (["甲中心"], ["乙中心"])


def test_a_task_table_repeating_the_prose_points_above_it():
    """一、 lists the points as prose, 二、 repeats them as a table with a 负责科室 column: the
    tree follows the table, in the section whose heading is right above it."""
    text = "\n".join([
        "某局2023年政务公开工作要点",
        "一、工作要点",
        "1.做好政策解读。对本局起草的政策文件进行全面解读。",
        "2.及时回应关切。对群众普遍关注的热点问题及时回应。",
        "3.加强制度建设。建立一套完善的信息公开制度。",
        "二、重点工作任务分解",
        "重点任务 | 工作内容 | 负责科室 |",
        "政策解读 | 对本局起草的政策文件进行全面解读。 | 各业务科室 |",
        "回应关切 | 对群众普遍关注的热点问题及时回应。 | 综合科 |",
    ])
    plan = parse_plan_text(text)
    assert [(s.number, s.title) for s in plan.sections] == [("二", "重点工作任务分解")]
    assert _tasks(plan) == [
        ("二", "政策解读", "对本局起草的政策文件进行全面解读。", ["各业务科室"], [], None),
        ("二", "回应关切", "对群众普遍关注的热点问题及时回应。", ["综合科"], [], None),
    ]


def test_a_web_table_copied_one_cell_per_line_with_each_cells_bar():
    """Each cell on its own line ending in its right border "|", a lone "|" line ending a row."""
    text = "\n".join([
        "|", "工作任务 |", "具体要求 |", "责任单位 |", "完成时限 |", "|", "|",
        "一、推进政策公开 |", "1 |", "及时发布政策信息及执行效果。 |", "各区直部门、各镇(办)、经开区 |", "持续推进 |", "|",
        "2 |", "集中发布政务服务事项目录。 |", "区数据局、区发改委等相关区直部门 |", "2025年底前 |", "|", "|",
    ])
    assert _tasks(parse_plan_text(text)) == [
        ("一", None, "及时发布政策信息及执行效果。", ["各区直部门", "各镇(办)", "经开区"], [], "持续推进"),
        ("一", None, "集中发布政务服务事项目录。", ["区数据局", "区发改委"], [], "2025年底前"),
    ]
