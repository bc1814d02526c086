"""Unit notes and unit cells: rules found on the plan corpus (issue 9 §2)."""

from __future__ import annotations

from tracker.domain.plan_parsing import extract_units, split_units
from tracker.domain.plan_parsing.tables import cell_type


def test_trailing_deng_youguan_chushi_is_stripped():
    assert split_units("校产中心、就业指导中心等有关处室（单位）;各高校") == ["校产中心", "就业指导中心", "各高校"]
    assert split_units("办公室等相关科室") == ["办公室"]


def test_a_long_unit_cell_is_still_a_unit_cell():
    cell = ("人事处、发规处、财务处、基教处、高教处、职成处、民教处、师资处、督导办、学生处、科研处、体卫艺处、"
            "监审处、安管处、学生资助管理中心、考试院、教科院、电教馆、校产中心、评估中心、就业指导中心等有关处室(单位);"
            "各市、县(市、区)教育局;各高校")
    assert cell_type(cell) == "unit"


def test_a_long_list_before_the_role_word_in_a_note():
    text = ("及时公开有关政策措施和规则标准。(政策研究室牵头,综合规(guī)划司、公路局、水运局、运输服务司、"
            "安全与质(zhì)量监(jiān)督管理司、海事局等按职责分工负责)")
    lead, coop = extract_units(text)
    assert lead == ["政策研究室"]
    assert coop == ["综合规(guī)划司", "公路局", "水运局", "运输服务司", "安全与质(zhì)量监(jiān)督管理司", "海事局"]


def test_a_one_sentence_item_keeps_its_note():
    """"（三）推进X信息公开，推动…。（生态保护处牵头落实）": the item is one task with that unit,
    also when the note stands on the next line."""
    from tracker.domain.plan_parsing import parse_plan_text

    for gap in ("", "\n"):
        plan = parse_plan_text("一、主要任务\n（一）加大空气质量预报信息公开力度。细化公开空气质量预报。（监测站牵头落实）\n"
                               f"（二）推进重点排污单位信息公开，推动排污单位依法公开排放情况。{gap}（生态保护处牵头落实）\n")
        items = plan.sections[0].items
        assert [len(i.tasks) for i in items] == [1, 1]
        task = items[1].tasks[0]
        assert task.text == "推进重点排污单位信息公开，推动排污单位依法公开排放情况。"
        assert task.lead_units == ["生态保护处"]
        assert items[1].title == "推进重点排污单位信息公开，推动排污单位依法公开排放情况"


def test_recurring_and_whole_year_deadlines_in_notes():
    from tracker.domain.deadlines import ONGOING, resolve_deadline
    from tracker.domain.plan_parsing import parse_plan_text

    assert resolve_deadline("做好年报。（县政府办负责，全年）", 2025) == ("全年", "2025-12-31")
    assert resolve_deadline("公开财政数据。（县财政局负责，每季度）", 2025) == ("每季度", ONGOING)
    # in running text a recurring phrase is part of the task, not its deadline
    assert resolve_deadline("每季度公开财政数据，定期更新。", 2025) == (None, None)
    plan = parse_plan_text("一、平台建设\n1.做好依申请公开。（责任单位：县政府办，全年）\n")
    task = plan.sections[0].items[0].tasks[0]
    assert (task.lead_units, task.deadline_text) == (["县政府办"], "全年")


def test_role_clauses_without_brackets():
    lead, coop = extract_units("做好政策解读工作。县政府办负责，县直各单位按职责分工落实。")
    assert (lead, coop) == (["县政府办"], ["县直各单位"])
    assert extract_units("做好年度报告编制工作。县政府办牵头，各乡镇人民政府配合。") == (["县政府办"], ["各乡镇人民政府"])
    # a clause that merely contains a role word is prose, not a unit note
    assert extract_units("主要负责同志要亲自部署，认真落实。") == ([], [])
    assert extract_units("各单位要明确专人负责信息发布审核工作。") == ([], [])


def test_circled_task_numbers_and_traditional_ongoing_deadlines():
    from tracker.domain.plan_parsing import parse_plan_text

    plan = parse_plan_text("一、推进决策公开\n①完善重大行政决策事项目录。责任单位：县司法局\n"
                           "②做好政策解读工作。（縣政府辦牽頭，縣直各單位配合，持續推進）\n")
    tasks = plan.sections[0].items[0].tasks
    assert [(t.number, t.text) for t in tasks] == [("1", "完善重大行政决策事项目录。"), ("2", "做好政策解读工作。")]
    assert tasks[0].lead_units == ["县司法局"]
    assert (tasks[1].lead_units, tasks[1].deadline_text) == (["縣政府辦"], "持續推進")


def test_article_numbers_and_an_item_whose_rest_is_a_labelled_note():
    from tracker.domain.plan_parsing import parse_plan_text

    plan = parse_plan_text("第一条 做好政策解读工作。（县政府办负责）\n第二条 规范政府网站管理。（县政府办、县委网信办分别负责落实）\n")
    tasks = plan.sections[0].items[0].tasks
    assert [(t.number, t.text) for t in tasks] == [("1", "做好政策解读工作。"), ("2", "规范政府网站管理。")]
    assert tasks[1].lead_units == ["县政府办", "县委网信办"]
    plan = parse_plan_text("一、平台建设\n（三）做好数据开放。责任主体：县大数据中心\n")
    item = plan.sections[0].items[0]
    assert (item.title, [t.text for t in item.tasks]) == ("做好数据开放", ["做好数据开放。"])
    assert item.tasks[0].lead_units == ["县大数据中心"]


def test_a_table_lined_up_with_spaces():
    from tracker.domain.plan_parsing import parse_plan_text

    text = ("XX县2023年政务公开重点任务分解表\n"
            "序号  工作任务                      责任单位          完成时限\n"
            "一、推进决策公开\n"
            "1     完善重大行政决策事项目录。      县司法局          2023年6月底前\n"
            "2     做好政策解读工作。              县政府办、各乡镇  长期坚持\n")
    plan = parse_plan_text(text)
    assert [s.title for s in plan.sections] == ["推进决策公开"]
    tasks = plan.sections[0].items[0].tasks
    assert [(t.number, t.text, t.lead_units, t.deadline_text) for t in tasks] == [
        ("1", "完善重大行政决策事项目录。", ["县司法局"], "2023年6月底前"),
        ("2", "做好政策解读工作。", ["县政府办", "各乡镇"], "长期坚持")]
    assert plan.source_text.count("\n") == text.count("\n")  # lines keep their numbers
