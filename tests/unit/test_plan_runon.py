"""Task tables whose cells ran together on one line (tracker/domain/plan_parsing/runon.py)."""

from __future__ import annotations

from tracker.domain.plan_parsing import parse_plan_text
from tracker.domain.plan_parsing.runon import recover_runon_tables, split_run_units

COVER = ("XX区管委会办公室关于印发2022年全区政务公开工作主要任务分解表的通知 各单位：现将分解表印发给你们，请认真组织实施。"
         + "各单位要认真对照工作任务，细化职责分工，确保落实到位。" * 8 + " 附件")


def _tasks(text: str) -> list:
    plan = parse_plan_text(text)
    return [t for s in plan.sections for i in s.items for t in i.tasks]


def test_units_at_the_end_of_each_row():
    row = (f"{COVER}工作任务工作要求牵头单位配合/责任单位一、加强涉及市场主体的信息公开"
           "1.增强政策制定实施的透明度和可预期性，提振市场主体信心。 区直各有关单位，各区属事业单位"
           "2.建立市场主体反映投资和工程建设项目审批问题的办理和反馈机制，推动优化投资和建设环境。"
           "区经济发展局区行政审批局区直各有关单位，各区属事业单位，各乡镇人民政府（街道办事处）"
           "二、加强涉及减税降费的信息公开3.系统集成、智能推送已出台各项减税降费政策，帮助纳税人了解政策。"
           "区财政金融局区直各有关单位，各片区管理局 来源：XX区管委会办公室 附件下载")
    tasks = _tasks(row)
    assert [t.number for t in tasks] == ["1", "2", "3"]
    assert tasks[0].text == "增强政策制定实施的透明度和可预期性，提振市场主体信心。"
    assert (tasks[0].lead_units, tasks[0].cooperating_units) == (["区直各有关单位", "各区属事业单位"], [])
    # the lead cell's names are glued together, the cooperating cell is a separated list
    assert tasks[1].lead_units == ["区经济发展局", "区行政审批局"]
    assert tasks[1].cooperating_units == ["区直各有关单位", "各区属事业单位", "各乡镇人民政府（街道办事处）"]
    assert (tasks[2].lead_units, tasks[2].cooperating_units) == (["区财政金融局"], ["区直各有关单位", "各片区管理局"])
    plan = parse_plan_text(row)
    assert [(s.number, s.title) for s in plan.sections] == [
        ("一", "加强涉及市场主体的信息公开"), ("二", "加强涉及减税降费的信息公开")]


def test_units_between_the_task_and_its_requirement():
    """工作任务 | 牵头单位 | 责任单位 | 工作要求: the text is "task：requirement"; a row without units
    continues the merged unit cell above; a name that the document shows followed by other
    text ends there (平潭综合实验区 | 通过…)."""
    row = (f"{COVER}工　作　任　务牵头单位责　任　单　位工　作　要　求一、以政务公开助力稳增长（一）加强预期引导"
           "1.深入解读政策背景、依据、涉及范围省直各部门，各设区市，平潭综合实验区通过新闻发布会等方式传递政策意图。"
           "2.按月公开全省财政收支情况省财政厅省统计局各设区市，平潭综合实验区在门户网站集中公开财政收支情况。"
           "3.公开财政收支增减变化情况解读每月财政收支增减变化情况及原因。"
           "（二）推进减税降费信息公开4.定期发布消费市场运行情况分析报告省商务厅各设区市，平潭综合实验区各级政府要做好公开。")
    tasks = _tasks(row)
    assert [t.number for t in tasks] == ["1", "2", "3", "4"]
    assert tasks[0].text == "深入解读政策背景、依据、涉及范围：通过新闻发布会等方式传递政策意图。"
    assert tasks[0].lead_units == ["省直各部门", "各设区市", "平潭综合实验区"]
    assert (tasks[1].lead_units, tasks[1].cooperating_units) == (
        ["省财政厅", "省统计局"], ["各设区市", "平潭综合实验区"])
    assert tasks[2].lead_units == ["省财政厅", "省统计局"]  # merged cell: from the row above
    # "市场运行" is not a unit, "各级政府要…" is the requirement's text
    assert tasks[3].lead_units == ["省商务厅"]
    assert tasks[3].text.endswith("：各级政府要做好公开。")


def test_numbers_in_sequence_only_and_repeated_headings():
    row = (f"{COVER}工作任务工作要求牵头单位配合/责任单位一、强化就业信息公开1.公开2024年12.5万人就业情况。区人社局"
           "一、强化就业信息公开2.公开技能培训政策规定及经办流程。区人社局区财政局4.动态公开补贴发放情况。区财政局")
    recovered = recover_runon_tables(row)
    rows = [r.split("\t") for r in recovered.splitlines() if "\t" in r]
    assert [r[0] for r in rows] == ["序号", "一、强化就业信息公开", "1", "2", "4"]  # a gap of one is allowed
    assert rows[2][1] == "公开2024年12.5万人就业情况。"
    assert rows[3][2:] == ["区人社局", "区财政局", ""]


def test_split_run_units():
    assert split_run_units(["A局", "B局", "C单位", "D区"], [True, True, False]) == (["A局", "B局"], ["C单位", "D区"])
    assert split_run_units(["A局", "B单位", "C区"], [False, False]) == (["A局", "B单位", "C区"], [])
    assert split_run_units(["A局", "B单位", "C区"], [True, True]) == (["A局"], ["B单位", "C区"])
    assert split_run_units(["A局"], []) == (["A局"], [])


def test_ordinary_text_is_left_alone():
    text = "一、总体要求\n1.做好政务公开工作。（牵头单位：办公室）\n" + "这是很长的一段说明文字。" * 40
    assert recover_runon_tables(text) == text


def test_a_deadline_column_at_the_end_of_each_row():
    row = (f"{COVER}序号工作任务牵头单位配合单位完成时限一、推进决策公开"
           "1.做好重大决策预公开工作，广泛听取公众意见。县政府办县司法局，各乡镇人民政府2025年6月底前"
           "2.及时发布政策解读材料。县发展改革局各乡镇人民政府持续推进"
           "3.规范政府网站信息发布。县政府办长期坚持"
           "4.每季度公开财政收支情况。县财政局")
    tasks = _tasks(row)
    assert [t.deadline_text for t in tasks] == ["2025年6月底前", "持续推进", "长期坚持", "长期坚持"]
    assert tasks[0].text == "做好重大决策预公开工作，广泛听取公众意见。"
    assert (tasks[0].lead_units, tasks[0].cooperating_units) == (["县政府办"], ["县司法局", "各乡镇人民政府"])
    assert tasks[1].lead_units == ["县发展改革局"] and tasks[1].cooperating_units == ["各乡镇人民政府"]
    assert tasks[2].lead_units == ["县政府办"]
    assert tasks[3].text == "每季度公开财政收支情况。" and tasks[3].lead_units == ["县财政局"]


def test_split_deadline():
    from tracker.domain.plan_parsing.runon import split_deadline

    assert split_deadline("做好X工作。县政府办2025年12月底前") == ("做好X工作。县政府办", "2025年12月底前")
    assert split_deadline("做好X工作。县政府办全年") == ("做好X工作。县政府办", "全年")
    assert split_deadline("做好X工作。县政府办") == ("做好X工作。县政府办", None)


def test_item_headings_written_again_on_each_row_and_other_number_styles():
    row = (f"{COVER}工作任务工作要求牵头单位配合/责任单位一．加强信息公开（一）做好财政信息公开"
           "1）公开预决算，做到应公开尽公开。区财政局区直各单位，各乡镇"
           "（一）做好财政信息公开2）推进统一、规范的专栏建设。区财政局区直各单位，各乡镇"
           "（二）做好规划公开（3）公开国土空间规划。区自然资源局")
    tasks = _tasks(row)
    assert [t.number for t in tasks] == ["1", "2", "3"]
    assert tasks[1].text == "推进统一、规范的专栏建设。"
    assert (tasks[1].lead_units, tasks[1].cooperating_units) == (["区财政局"], ["区直各单位", "各乡镇"])
    plan = parse_plan_text(row)
    assert [(s.number, s.title) for s in plan.sections] == [("一", "加强信息公开")]
    assert [(i.number, i.title) for i in plan.sections[0].items] == [
        ("（一）", "做好财政信息公开"), ("（二）", "做好规划公开")]


def test_a_numbered_cover_notice_before_the_task_table_is_not_the_plan():
    pad = "各单位要认真对照工作任务，细化职责分工，确保落实到位。" * 6
    text = ("XX省人民政府办公厅关于印发2018年政务公开工作主要任务分解表的通知 各市人民政府：现将分解表印发给你们。"
            "一、各地各部门要加强组织领导。" + pad + "二、要加强督查评估。" + pad +
            " XX省人民政府办公厅 2018年5月1日 2018年政务公开工作主要任务分解表工作任务牵头单位责任单位工作要求"
            "一、以政务公开助力稳增长（一）加强预期引导1.深入解读政策背景省直各部门，各设区市通过新闻发布会等方式传递政策意图。"
            "2.按月公开财政收支情况省财政厅各设区市在门户网站集中公开。二、以政务公开助力促改革（一）推进放管服改革信息公开"
            "3.强化权责清单管理省审改办各设区市以清单管理推动减权放权。")
    plan = parse_plan_text(text)
    assert [(s.number, s.title) for s in plan.sections] == [("一", "以政务公开助力稳增长"), ("二", "以政务公开助力促改革")]
    assert [t.lead_units for s in plan.sections for i in s.items for t in i.tasks] == [
        ["省直各部门", "各设区市"], ["省财政厅"], ["省审改办"]]


def test_items_running_on_across_sections_and_government_names():
    """（三） after 二、 continues the items of 一、; "省政府各部门" is the government's departments
    and "各设区市政府" a city's government, each one name (not 省政府 + 各部门, 各设区 + 市政府)."""
    row = (f"{COVER}2018年政务公开工作主要任务分解表工 作 任 务牵头单位责 任 单 位工 作 要 求"
           "一、着力加强公开解读回应工作（一）围绕建设法治政府全面推进政务公开"
           "1.政府工作要做到公开透明 省政府各部门、各直属机构，各设区市政府、平潭综合实验区管委会坚持以公开为常态。"
           "（二）围绕重点领域加大主动公开力度2.深入推进预决算公开省财政厅省政府各部门、各直属机构，各设区市政府、"
           "平潭综合实验区管委会推动市县级政府全面公开财政预决算信息。二、着力提升政务服务工作实效（三）推进网上办事服务公开"
           "3.推动网上办事服务事项标准化省质监局省审改办省政府各部门、各设区市政府立足于方便企业和群众办事。")
    plan = parse_plan_text(row)
    assert [(s.number, [i.number for i in s.items]) for s in plan.sections] == [
        ("一", ["（一）", "（二）"]), ("二", ["（三）"])]
    tasks = [t for s in plan.sections for i in s.items for t in i.tasks]
    assert [(t.lead_units, t.cooperating_units) for t in tasks] == [
        (["省政府各部门", "各直属机构", "各设区市政府", "平潭综合实验区管委会"], []),
        (["省财政厅"], ["省政府各部门", "各直属机构", "各设区市政府", "平潭综合实验区管委会"]),
        (["省质监局", "省审改办"], ["省政府各部门", "各设区市政府"]),
    ]
    assert tasks[0].text == "政府工作要做到公开透明：坚持以公开为常态。"


def test_a_name_inside_the_title_a_city_word_and_a_joint_lead():
    """"推动市县两级政府工作部门…" and "…地级以上城市人民政府每季度…" name no unit cell (the row
    continues the merged cell above); "A会同B、C等相关部门，D" leads with A."""
    row = (f"{COVER}工 作 任 务牵头单位责　任　单　位工　作　要　求一、围绕深化改革推进公开（一）推进清单公开"
           "1.全面公开省级政府工作部门权力清单省编办省直各部门，各设区市、平潭综合实验区通过门户网站集中展示。"
           "2.推动市县两级政府工作部门全面公开权力清单和责任清单"
           "3.推动饮用水水源水质监测信息公开自2016年起地级以上城市人民政府每季度应向社会公开饮水安全状况。"
           "4.推进面向转移落户人员的服务公开 省公安厅会同省人社厅、教育厅等相关部门，各设区市、平潭综合实验区"
           "及时公开户口迁移政策。")
    tasks = _tasks(row)
    assert [(t.lead_units, t.cooperating_units) for t in tasks] == [
        (["省编办"], ["省直各部门", "各设区市", "平潭综合实验区"]),
        (["省编办"], ["省直各部门", "各设区市", "平潭综合实验区"]),
        (["省编办"], ["省直各部门", "各设区市", "平潭综合实验区"]),
        (["省公安厅"], ["省人社厅", "教育厅", "各设区市", "平潭综合实验区"]),
    ]
    assert tasks[3].text == "推进面向转移落户人员的服务公开：及时公开户口迁移政策。"


def test_row_numbers_without_a_stop_and_one_unit_column_of_stacked_names():
    """序号 | 重点工作任务 | 责任单位 | 工作落实情况 run together, each 序号 written with no stop
    ("1认真…"), numbers that count something ("1次") left alone; the names stacked in the one
    unit cell all lead (a name after a name's bracket, or after the task's full stop, needs no
    place prefix)."""
    row = (f"{COVER}附件：任务分解表 序号重点工作任务责任单位工作落实情况一、健全消防安全责任"
           "1认真学习贯彻消防工作决策部署，每年开展1次培训，研究贯彻落实措施。各处室（中心）东庠办事处各行政村（社区） "
           "2健全消防安全工作领导组织机构和管理制度。政法综治处各行政村（社区） "
           "3聚焦高层建筑等高风险场所，督促落实消防安全主体责任。政法综治处交通与建设处社会事业处 二、强化消防宣传教育"
           "4建立消防宣传教育常态化工作机制。各处室（中心）各行政村 来源：XX片区管理局 附件下载")
    plan = parse_plan_text(row)
    assert [(s.number, s.title) for s in plan.sections] == [("一", "健全消防安全责任"), ("二", "强化消防宣传教育")]
    assert [(t.number, t.text, t.lead_units, t.cooperating_units) for t in _tasks(row)] == [
        ("1", "认真学习贯彻消防工作决策部署，每年开展1次培训，研究贯彻落实措施。",
         ["各处室（中心）", "东庠办事处", "各行政村（社区）"], []),
        ("2", "健全消防安全工作领导组织机构和管理制度。", ["政法综治处", "各行政村（社区）"], []),
        # names stacked with no place prefix at all: the whole cell is cut into names
        ("3", "聚焦高层建筑等高风险场所，督促落实消防安全主体责任。", ["政法综治处", "交通与建设处", "社会事业处"], []),
        ("4", "建立消防宣传教育常态化工作机制。", ["各处室（中心）", "各行政村"], []),
    ]


def test_a_deadline_column_before_the_unit_column_and_a_source_column_after_it():
    """序号 | 主要工作任务 | 具体工作措施 | 完成时限 | 主要责任单位 | 任务来源 run together: groups
    numbered "1推进…" with no stop are sections numbered as written; each measure "N、" runs on
    across groups; its deadline cell comes before its units; the source cell's own list
    ("1、《…》2、…") is neither a task nor a unit (a name glued on with no place prefix before it is);
    the table's note says the first unit leads."""
    row = (f"{COVER}一、推进生态文明建设。建立领导机制。二、分解目标责任。细化目标。 附件：分工表 "
           "序号主要工作任务具体工作措施完成时限主要责任单位任务来源1推进生态文明建设"
           "1、建立生态文明建设领导机制，至少每季度召开一次会议3月区经发局区环土局三十六脚湖水库管理处"
           "1、全区2016年工作要点（岚综委〔2016〕5号）2、福建省生态文明体制改革实施方案3、全省生态环境保护工作会议 "
           "2、组织各乡镇开展生态文明建设创建工作12月区环土局区经发局相关乡镇人民政府2分解推动生态环保目标责任的落实"
           "3、分解细化生态环保目标责任到区直部门全年区环土局、区农发局1、生态环保目标责任书 "
           "注：主要责任单位第一个为牵头单位，其余为主要配合单位。 来源：XX区 附件下载")
    plan = parse_plan_text(row)
    assert [(s.number, s.title) for s in plan.sections] == [("1", "推进生态文明建设"), ("2", "分解推动生态环保目标责任的落实")]
    assert [(t.number, t.text, t.lead_units, t.cooperating_units, t.deadline_text) for t in _tasks(row)] == [
        ("1", "建立生态文明建设领导机制，至少每季度召开一次会议", ["区经发局"], ["区环土局", "三十六脚湖水库管理处"], "3月"),
        ("2", "组织各乡镇开展生态文明建设创建工作", ["区环土局"], ["区经发局", "相关乡镇人民政府"], "12月"),
        ("3", "分解细化生态环保目标责任到区直部门", ["区环土局"], ["区农发局"], "全年"),
    ]


def test_a_table_flattened_with_spaces_between_cells_and_its_header_written_again():
    """工作任务 牵头单位 责任单位 工作要求 with a space between cells: a unit cell set off by spaces
    is one name even with words that mark a sentence elsewhere (政策法规处, 重点办); a name never
    holds a title mark (贯彻落实《福建省…》 is the requirement); the header written again at a page
    break is no part of the group heading before it."""
    row = (f"{COVER} 工作任务 牵头单位 责任单位 工 作 要 求 一、着力加强公开解读回应工作 （一）围绕法治政府推进政务公开 "
           "1.推进政策执行阳光透明 政策法规处 各有关处室 制定出台涉及公共利益的政策文件，要对公开相关信息作出明确规定。 "
           "2.推进重大建设项目信息公开 发改处 重点办 贯彻落实有关实施意见，突出做好项目批准和实施信息公开工作。 "
           "3.推进社会公益事业信息公开 各有关处室 贯彻落实《福建省人民政府办公厅转发的意见》，进一步推进信息公开。 "
           "二、着力提升政务服务工作实效 工作任务 牵头单位 责任单位 工 作 要 求 "
           "4.完善政府网站反馈机制 综合协调办 构建完善网民留言的受理、转办和反馈机制，及时处理答复。 附件下载")
    plan = parse_plan_text(row)
    assert [(s.number, s.title) for s in plan.sections] == [
        ("一", "着力加强公开解读回应工作"), ("二", "着力提升政务服务工作实效")]
    tasks = [t for s in plan.sections for i in s.items for t in i.tasks]
    assert [(t.lead_units, t.cooperating_units) for t in tasks] == [
        (["政策法规处"], ["各有关处室"]), (["发改处"], ["重点办"]), (["各有关处室"], []), (["综合协调办"], [])]
    assert tasks[2].text == "推进社会公益事业信息公开：贯彻落实《福建省人民政府办公厅转发的意见》，进一步推进信息公开。"


def test_two_divisions_stacked_with_no_place_prefix_are_two_names():
    """"…成果。社会事业处经济发展处": a 处 (or 科) never holds another, so two division names stacked
    in the one unit cell with nothing between them are two units, both leading (the one unit
    column), while a lone name ending in 处 (东庠办事处) stays whole."""
    row = (f"{COVER}附件：任务分解表 序号重点工作任务责任单位工作落实情况一、实施全链条消防治理"
           "1巩固行业系统消防安全标准化管理达标创建成果。社会事业处经济发展处 "
           "2针对小场所开展消防安全整治。东庠办事处 "
           "3加强仓储场所的消防安全管理。综合科安全监管科 来源：XX片区管理局 附件下载")
    assert [(t.number, t.lead_units, t.cooperating_units) for t in _tasks(row)] == [
        ("1", ["社会事业处", "经济发展处"], []),
        ("2", ["东庠办事处"], []),
        ("3", ["综合科", "安全监管科"], []),
    ]


def test_three_spaced_names_for_two_unit_columns_keep_the_second_columns_names_apart():
    """"4.推动…监管 政策法规处 办公室 各有关处室 要制定…": three names set off by spaces for the two
    unit columns (the empty cell between them lost): the name the table's two-name rows put in the
    second column (各有关处室) is that column's, the names before it share the lead cell; a row
    whose names are never in the second column elsewhere keeps the first one leading."""
    row = (f"{COVER} 工作任务 牵头单位 责任单位 工 作 要 求 一、着力加强公开解读回应工作 "
           "1.推进政策执行阳光透明 政策法规处 各有关处室 制定出台涉及公共利益的政策文件，要对公开相关信息作出明确规定。 "
           "2.推进决策公开 办公室 各有关处室 对重大决策草案向社会公开征求意见，及时反馈意见采纳情况。 "
           "3.推动全面实施“双随机、一公开”监管 政策法规处 办公室 各有关处室 要制定并公布本部门随机抽查事项清单。 "
           "4.推进重大建设项目信息公开 发改处 重点办 项目办 贯彻落实有关实施意见，突出做好项目信息公开工作。 附件下载")
    tasks = _tasks(row)
    assert [(t.lead_units, t.cooperating_units) for t in tasks] == [
        (["政策法规处"], ["各有关处室"]), (["办公室"], ["各有关处室"]),
        (["政策法规处", "办公室"], ["各有关处室"]), (["发改处"], ["重点办", "项目办"])]
