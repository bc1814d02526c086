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


def test_a_whole_plan_folded_onto_one_line_with_half_width_and_square_notes():
    """Paragraphs run together with spaces; a task ends in a half-width "(A牵头,B配合)" or a
    〔…〕 note naming what each unit is responsible for (规章由A牵头、规范性文件由B牵头)."""
    filler = "做好政务公开工作,要坚持以人民为中心,着力推进重点信息公开,深入做好重大政策解读,积极回应群众关切。" * 5
    text = " ".join([
        "某部2021年政务公开工作要点", filler, "一、推进重点信息公开",
        "1.及时更新行政法规文本。(政策法规司牵头,信息中心配合)",
        "2.集中公开部门规章和规范性文件。〔规章由政策法规司牵头、规范性文件由制发司(局)牵头,各有关司(局)、档案馆配合〕",
        "3.主动公开发展规划。(规划财务司、养老服务司按职责分工负责)",
    ])
    assert _tasks(parse_plan_text(text)) == [
        ("一", None, "及时更新行政法规文本。", ["政策法规司"], ["信息中心"], None),
        ("一", None, "集中公开部门规章和规范性文件。", ["政策法规司", "制发司(局)"], ["各有关司(局)", "档案馆"], None),
        ("一", None, "主动公开发展规划。", ["规划财务司", "养老服务司"], [], None),
    ]


def test_table_rows_with_only_a_closing_border_and_heading_cells_before_the_task():
    """"a | b |" rows (no opening bar), the section and item cells written before the task cell,
    a unit name with 和 in it ("法规和基金监管科牵头,办公室配合")."""
    text = "\n".join([
        "某局2022年政务公开工作要点分工方案",
        "工作要求 | 一级要点 | 二级要点 | 责任科室 |",
        "一、优化政务公开工作基础 | (一)深化规范性文件集中公开。 | 1.规范行政法规使用。 | 法规和基金监管科牵头,办公室配合 |",
        "2.摸清规范性文件底数。 | 办公室牵头,各科室按职责分工落实 | ||",
    ])
    assert _tasks(parse_plan_text(text)) == [
        ("一", "深化规范性文件集中公开", "规范行政法规使用。", ["法规和基金监管科"], ["办公室"], None),
        ("一", "深化规范性文件集中公开", "摸清规范性文件底数。", ["办公室"], ["各科室"], None),
    ]


def test_a_unit_cell_giving_each_unit_its_own_part():
    """"A、B、C分别牵头落实" in a one-cell-per-line table: a unit cell, all three lead."""
    text = "\n".join([
        "某市2017年政务公开工作要点实施方案", "目标", "任务", "主要内容", "责任单位",
        "一、以政务公开助力稳增长", "(一)加强预期引导",
        "围绕就业创业政策,加强就业创业政策信息公开。", "市人社局牵头落实",
        "围绕信贷政策,加强金融政策信息公开。", "市金融办、人民银行某市中心支行、某银监分局分别牵头落实",
        "加强财政政策信息公开。", "市财政局牵头落实",
    ])
    assert [t[2:4] for t in _tasks(parse_plan_text(text))] == [
        ("围绕就业创业政策,加强就业创业政策信息公开。", ["市人社局"]),
        ("围绕信贷政策,加强金融政策信息公开。", ["市金融办", "人民银行某市中心支行", "某银监分局"]),
        ("加强财政政策信息公开。", ["市财政局"]),
    ]


def test_a_one_cell_per_line_task_table_with_numbered_task_cells_and_stacked_units():
    """A task table as one cell per line, no separators: headings are rows of their own, a
    numbered task cell starts a row and is the task (its details joined after "："), units are
    stacked one per line, a role word or a bracketed sub-unit wraps onto its own line, a row
    with no unit cell continues the merged unit cells above, one with its own does not."""
    text = "\n".join([
        "附件", "某局2016年政务公开工作主要任务分解表",
        "工作任务", "管委会牵头部门", "本局责任处（单位）", "工作要求",
        "一、围绕深化改革推进公开", "（一）推进权力清单公开",
        "1.全面公开权力清单", "区行政审批局", "综合处牵头，各处、单位配合落实", "通过门户网站集中展示。",
        "2.公开保留的行政审批事项", "重点公开行政许可事项清单。",
        "3.依法公开随机抽查事项清单", "综合处牵头", "及时公布抽查结果。",
        "（二）推进政务服务公开",
        "4.实行收费目录清单管理", "区行政审批局", "区财政金融局", "综合处牵头，各处配合落实", "公布收费目录清单。",
        "5.督导检查建设单位公开环评信息", "区经济发展局", "水利处、海洋与渔业处", "牵头落实",
        "6.做好法律法规发布", "区管委会办公室", "（政策法规处）", "综合处牵头落实", "提升规章发布质量。",
        "7.严格执行保密审查制度", "区保密工作委员会", "综合处牵头落实", "完善保密审查制度。",
    ])
    plan = parse_plan_text(text)
    assert [(s.number, [(i.number, i.title) for i in s.items]) for s in plan.sections] == [
        ("一", [("（一）", "推进权力清单公开"), ("（二）", "推进政务服务公开")])]
    assert [t[2:5] for t in _tasks(plan)] == [
        ("全面公开权力清单：通过门户网站集中展示。", ["区行政审批局", "综合处"], ["各处", "单位"]),
        ("公开保留的行政审批事项：重点公开行政许可事项清单。", ["区行政审批局", "综合处"], ["各处", "单位"]),
        ("依法公开随机抽查事项清单：及时公布抽查结果。", ["综合处"], []),
        ("实行收费目录清单管理：公布收费目录清单。", ["区行政审批局", "区财政金融局", "综合处"], ["各处"]),
        ("督导检查建设单位公开环评信息", ["区经济发展局", "水利处", "海洋与渔业处"], []),
        ("做好法律法规发布：提升规章发布质量。", ["区管委会办公室（政策法规处）", "综合处"], []),
        ("严格执行保密审查制度：完善保密审查制度。", ["区保密工作委员会", "综合处"], []),
    ]


def test_a_letter_spaced_header_in_a_folded_line_stays_one_word():
    from tracker.domain.plan_parsing.text import unfold

    folded = "附件 某局任务分解表 工 作 任 务 牵头部门 工　作　要　求 " + "一、围绕深化改革推进公开 " * 30
    assert unfold(folded).split("\n")[2:4] == ["工作任务", "牵头部门"]


def test_a_paragraph_broken_off_mid_sentence_goes_on_in_the_next():
    """A web page that broke a paragraph mid-sentence ("…完善管" / "机制、创新…"): one task; a
    short line without a full stop stays its own paragraph."""
    text = "\n".join([
        "某乡2021年度政务公开工作实施方案",
        "一、深化重点领域政府信息公开",
        "(一)聚焦优化营商环境推进政务公开。",
        "更新完善权责清单和本级政府行政机关机构职能目录并按要求公开,推进政务服务标准化、规范化、便利化,完善管",
        "理机制、创新服务方式等方面的信息公开。",
        "做好惠企政策公开",
        "及时公开惠企政策。",
    ])
    assert [t[2] for t in _tasks(parse_plan_text(text))] == [
        "更新完善权责清单和本级政府行政机关机构职能目录并按要求公开,推进政务服务标准化、规范化、便利化,完善管\n"
        "理机制、创新服务方式等方面的信息公开。",
        "做好惠企政策公开",
        "及时公开惠企政策。",
    ]


def test_a_cut_off_last_table_row_with_fewer_bars_is_still_a_row():
    """A page cut off in its last row ("（二）… | 3.完善…" and no more cells): the row's item
    heading opens the item; the line is not an item whose title holds the row."""
    text = "\n".join([
        "主要工作任务 | 任务内容 | 完成时限 | 责任单位 |",
        "一、提升重点领域信息公开质量 | (一)加大公开力度 | 1.做好规划公开。 | 全年 | 区发改局 |",
        "2.做好预算公开。 | 12月底前 | 区财政局 |",
        "(二)聚焦重点领域加大公开力度 | 3.完善为民办实事长效机制,着力提高民生实事征集",
    ])
    plan = parse_plan_text(text)
    assert [(i.number, i.title) for s in plan.sections for i in s.items] == [
        ("（一）", "加大公开力度"), ("（二）", "聚焦重点领域加大公开力度")]


def test_the_page_chrome_after_a_one_cell_per_line_table_is_not_a_cell():
    text = "\n".join([
        "某局任务分解表", "工作任务", "牵头部门", "工作要求",
        "一、围绕深化改革推进公开",
        "1.全面公开权力清单", "区行政审批局", "通过门户网站集中展示。",
        "2.做好法律法规发布", "综合处", "提升规章发布质量。",
        "来源：某区农村发展局",
    ])
    assert [(t[2], t[3]) for t in _tasks(parse_plan_text(text))] == [
        ("全面公开权力清单：通过门户网站集中展示。", ["区行政审批局"]),
        ("做好法律法规发布：提升规章发布质量。", ["综合处"]),
    ]


def test_a_closing_remark_and_related_links_after_the_last_point_are_not_tasks():
    """A plan page ends with the conclusion (下一步，我们将…) and the site's 相关文章 heading."""
    text = "\n".join([
        "某中心政务公开实施方案",
        "一、工作要求",
        "(一)加强组织领导。成立领导小组，统筹推进公开工作。",
        "(二)加强队伍建设。各科室落实专人负责公开工作。",
        "下一步，中心将严格按照任务分解表落实每项工作任务。",
        "相关文章",
    ])
    plan = parse_plan_text(text)
    assert [t[2] for t in _tasks(plan)] == ["成立领导小组，统筹推进公开工作。", "各科室落实专人负责公开工作。"]
    # an item whose only paragraph opens so is still a task
    only = parse_plan_text("一、工作任务\n(一)下步安排\n下一步，我局将做好公开工作。")
    assert [t[2] for t in _tasks(only)] == ["下一步，我局将做好公开工作。"]


def test_a_folded_section_heading_with_its_first_paragraph_run_onto_it():
    """An article on one line: "一、工作目标紧紧围绕…" is the part name 工作目标 and a paragraph."""
    body = "紧紧围绕全县重点任务和社会公众关切，进一步加大政务公开力度，拓宽公开范围和渠道，加强政策解读回应，提升政务服务水平。"
    plan = parse_plan_text("\n".join([
        "某县2018年政务公开实施方案",
        f"一、工作目标{body}",
        "二、以政务公开助力推进重点工作和民生实事项目建设，全面提升群众满意度和获得感",
        "1.做好重点项目信息公开。",
    ]))
    assert [(s.number, s.title) for s in plan.sections] == [
        ("一", "工作目标"), ("二", "以政务公开助力推进重点工作和民生实事项目建设，全面提升群众满意度和获得感")]
    assert [t[2] for t in _tasks(plan)] == [body, "做好重点项目信息公开。"]


def test_a_shared_document_text_run_together_with_page_markers():
    """A document-sharing site's copy of a .docx: a page marker "1、" before the title, the lead-in,
    the first section and its first task run together on one line; the next page marker
    takes the place of the next task's number, the dot of which ended up after the deadline."""
    lead_in = ("1、某局关于做好当前政务公开重点工作的方案为贯彻落实市政府办公室关于做好当前政务公开重点工作的通知要求，"
               "持续深化政务公开工作，进一步做好政策文件公开，推进决策公开、执行公开、管理公开、服务公开和结果公开，"
               "切实保障人民群众的知情权、参与权、表达权和监督权，积极引导公众参与决策，更好发挥以公开促落实、助监督、"
               "强监管的功能作用，以扎实有效的公开工作，助力实现全面振兴新突破，现将当前重点工作任务分解如下：")
    first = ("全面公开现行有效行政规范性文件。要按照司法行政机关关于行政规范性文件认定的指导意见，做好行政规范性文件认定，"
             "将现行有效行政规范性文件在政府网站信息公开专栏中集中公开。")
    second = "完善行政规范性文件动态更新机制。根据立改废情况，在政府网站及时更新发布。"
    text = "\n".join([
        f"{lead_in}一、围绕经济高质量发展，推进政策文件公开1.{first}"
        "牵头科室:局办公室,责任科室:局各科室。完成时限:2023年10月底前2,",
        f"2、{second}(牵头科室:局办公室,责任科室:局各科室。完成时限:长期坚持)3切实落实政策解读工作规范。(牵",
    ])
    plan = parse_plan_text(text)
    assert [(s.number, s.title) for s in plan.sections] == [("一", "围绕经济高质量发展，推进政策文件公开")]
    assert [(t.number, t.text, t.lead_units, t.cooperating_units, t.deadline_text)
            for t in plan.sections[0].items[0].tasks] == [
        ("1", first, ["局办公室"], ["局各科室"], "2023年10月底前"),
        ("2", second, ["局办公室"], ["局各科室"], "长期坚持"),
    ]


def test_a_web_table_copied_one_cell_per_line_with_rows_padded_by_empty_cells():
    """Each cell ends with its bar; a row whose cells are merged from the rows above is padded
    to the table's width with empty cells ("||||"); the 工作任务 header spans three group
    columns given only in the first row they span: the outer group is a section, the next an
    item (the third level is not kept), and the unit cell spans the rows below it."""
    text = "\n".join([
        "某区2023年政务公开常态化工作任务清单",
        "工作任务 |", "具体要求 |", "责任单位 |", "||",
        "主动公开 |", "基础信息公开 |", "行政规范 |",
        "做好规范性文件的集中公开工作。 |",
        "区司法局牵头区级文件集中公开工作,区各文件制定主体具体落实;各成员单位负责做好本单位文件公开工作 |",
        "详细列明标题、文号、有效性等。 |", "||||",
        "及时公开规范性文件的备案目录。 |", "各成员单位 |", "|||",
        "依申请公开 |", "办理流程 |", "申请渠道 |",
        "公开依申请公开的办理流程。 |", "区政府办公室 |",
    ])
    plan = parse_plan_text(text)
    assert [(s.number, s.title, [(i.number, i.title) for i in s.items]) for s in plan.sections] == [
        ("一", "主动公开", [(None, "基础信息公开")]), ("二", "依申请公开", [(None, "办理流程")])]
    assert plan.to_dict()["sections"][0]["number"] is None  # named, not numbered, by the document
    shared = (["区司法局"], ["区各文件制定主体", "各成员单位"])
    assert [(t[2], t[3], t[4]) for t in _tasks(plan)] == [
        ("做好规范性文件的集中公开工作。", *shared),
        ("详细列明标题、文号、有效性等。", *shared),
        ("及时公开规范性文件的备案目录。", ["各成员单位"], []),
        ("公开依申请公开的办理流程。", ["区政府办公室"], []),
    ]


def test_a_long_paragraph_enumerating_two_points_inline_is_not_unfolded():
    """Two inline （一）（二） of one level in a long paragraph are an enumeration, not a folded
    article (a folded one with two breaks has a heading and its first point)."""
    filler = "围绕重点领域推进信息公开，细化公开内容，规范公开流程，提升公开质量，" * 8
    task = f"做好年度报告工作。{filler}年报内容主要包括（一）主动公开政府信息情况；（二）依申请公开情况。"
    plan = parse_plan_text(f"一、工作任务\n1.{task}")
    assert len(f"1.{task}") > 300
    assert [t[2] for t in _tasks(plan)] == [task]


def test_numbered_points_each_run_into_their_unit_label_on_a_folded_line():
    """A list folded onto one line: each numbered point runs straight into its `责任单位：` list
    and the next number follows the last unit ("…区农业农村中心2.《宪法》…"), a point may open
    with 《 or a space after its number."""
    cover = "各相关处室：为进一步贯彻落实普法责任制，结合年度重点学法要求，现将普法责任清单印发给你们，请认真组织学习宣传。" * 3
    text = (f"某局关于印发普法责任清单的通知 {cover}2022年普法责任清单一、重点宣传普及法律法规"
            "1.习近平法治思想责任单位：局机关党委、乡村振兴处，区农业农村中心"
            "2.《宪法》《民法典》责任单位：局乡村振兴处，区农业农村中心"
            "二、与其他部门联合开展的普法活动（专题活动）1. 结合食品安全宣传周，开展普法宣传活动。责任单位：局农业处，区农业农村中心"
            "2.结合宪法宣传周，联合省司法厅开展主题普法宣传活动。责任单位：局乡村振兴处")
    plan = parse_plan_text(text)
    assert [(s.number, s.title) for s in plan.sections] == [
        ("一", "重点宣传普及法律法规"), ("二", "与其他部门联合开展的普法活动（专题活动）")]
    assert [(t[0], t[2], t[3], t[4]) for t in _tasks(plan)] == [
        ("一", "习近平法治思想", ["局机关党委", "乡村振兴处", "区农业农村中心"], []),
        ("一", "《宪法》《民法典》", ["局乡村振兴处", "区农业农村中心"], []),
        ("二", "结合食品安全宣传周，开展普法宣传活动。", ["局农业处", "区农业农村中心"], []),
        ("二", "结合宪法宣传周，联合省司法厅开展主题普法宣传活动。", ["局乡村振兴处"], []),
    ]


def test_a_unit_label_with_a_bracketed_second_kind_follows_the_lead_units_unseparated():
    """`责任处室：A、B配合处室（单位）：C、D`: the cooperating label's kind is given twice
    (处室（单位）) and starts right after the last lead unit, with no separator."""
    text = "\n".join([
        "某片区2022年普法责任清单",
        "一、重点工作",
        "1.开展法律下乡活动。责任处室：党群工作处、政法综治处配合处室（单位）：各相关处室、机关党委",
        "2.开展全民反诈宣传。责任处室：政法综治处配合处室(单位):各公安派出所",
    ])
    assert [(t[2], t[3], t[4]) for t in _tasks(parse_plan_text(text))] == [
        ("开展法律下乡活动。", ["党群工作处", "政法综治处"], ["各相关处室", "机关党委"]),
        ("开展全民反诈宣传。", ["政法综治处"], ["各公安派出所"]),
    ]


def test_an_item_heading_ending_in_a_colon_or_a_stage_period_shares_its_paragraph():
    """"（一）旅行社相关业务：未经许可…" (the heading ends at its colon) and "（一）动员部署（3月至4月）
    根据…。4月底前，…" (at the bracketed stage period; the whole rest is one paragraph, and a date
    in it is not a deadline)."""
    text = "\n".join([
        "某局2021年旅游市场秩序专项整治方案",
        "一、工作重点",
        "（一）旅行社相关业务：未经许可非法从事旅行社业务；售卖“不合理低价游”产品。",
        "（二）在线旅游经营者：安全风险防范不到位。",
        "二、实施步骤",
        "（一）动员部署（3月至4月）根据通知要求，对专项整治行动进行部署安排。4月底前，集中发布典型案例。",
        "（二）总结巩固（8月）总结专项行动开展情况。",
    ])
    assert [(t[1], t[2], t[5]) for t in _tasks(parse_plan_text(text))] == [
        ("旅行社相关业务", "未经许可非法从事旅行社业务；售卖“不合理低价游”产品。", None),
        ("在线旅游经营者", "安全风险防范不到位。", None),
        ("动员部署（3月至4月）", "根据通知要求，对专项整治行动进行部署安排。4月底前，集中发布典型案例。", None),
        ("总结巩固（8月）", "总结专项行动开展情况。", None),
    ]


def test_an_attachment_list_after_the_tasks_ends_the_plan_unless_a_task_table_follows():
    """"附件：1.X清单2.Y情况表" after the last section, then the attachments' own numbered lists
    and forms: not tasks. A closing part name runs into its first labelled line (联系方式联系人：)."""
    text = "\n".join([
        "某局2022年淘汰落后产能工作方案",
        "一、主要任务",
        "（一）能耗方面。加强节能监察工作的统筹协调与指导。",
        "二、联系方式联系人：张三，联系电话：0591-12345678。",
        "附件：1.落后产能重点排查清单",
        "2.落后产能企业摸底排查情况表",
        "附件1",
        "落后产能重点排查清单",
        "一、船舶",
        "1.废旧船舶滩涂拆解工艺",
        "2.单壳油船",
    ])
    plan = parse_plan_text(text)
    assert [(s.number, s.title) for s in plan.sections] == [("一", "主要任务"), ("二", "联系方式")]
    assert [t[2] for t in _tasks(plan)] == ["加强节能监察工作的统筹协调与指导。", "联系人：张三，联系电话：0591-12345678。"]
    # the attachment that is the plan's task table is read
    table = parse_plan_text("\n".join([
        "某局2022年工作方案", "一、主要任务", "1.做好统筹协调。", "附件：任务分解表",
        "序号 | 工作任务 | 责任单位 |", "1 | 做好信息报送。 | 局办公室 |"]))
    assert [(t[2], t[3]) for t in _tasks(table)][-1] == ("做好信息报送。", ["局办公室"])
    # and so is an attachment named as the plan's task list, written as prose
    prose = parse_plan_text("\n".join([
        "某局2022年工作方案", "一、主要任务", "1.做好统筹协调。", "附件：重点任务分工",
        "一、信息公开", "1.做好信息报送。（局办公室牵头）"]))
    assert [(t[2], t[3]) for t in _tasks(prose)][-1] == ("做好信息报送。", ["局办公室"])


def test_a_unit_name_holding_a_programmes_quoted_name_in_a_run_together_table():
    """"省“互联网+政务服务”联席办" is one unit name (glued after the task title, before the
    cooperating list), not the end of the task's text."""
    cover = "各单位：现将分解表印发给你们，请认真组织实施。" + "各单位要认真对照工作任务，细化职责分工，确保落实到位。" * 8
    row = (f"某省政务公开工作要点任务分解表的通知 {cover} 附件工作任务牵头单位责任单位工作要求"
           "一、着力提升政务服务工作实效（一）推进网上办事服务公开"
           "1.全面推广“互联网+政务服务”省“互联网+政务服务”联席办省政府各部门、各直属机构，各设区市政府大力推行网上审批。"
           "2.推动网上办事服务事项标准化省质监局省审改办省政府各部门、各直属机构，各设区市政府编制标准化工作规程。")
    assert [(t[2], t[3], t[4]) for t in _tasks(parse_plan_text(row))] == [
        ("全面推广“互联网+政务服务”：大力推行网上审批。", ["省“互联网+政务服务”联席办"],
         ["省政府各部门", "各直属机构", "各设区市政府"]),
        ("推动网上办事服务事项标准化：编制标准化工作规程。", ["省质监局", "省审改办"],
         ["省政府各部门", "各直属机构", "各设区市政府"]),
    ]


def test_a_note_of_units_sharing_their_work_by_duty_reads_its_units():
    """"(A、B等相关部门按职责分工落实)" after a paragraph, half- or full-width: the units lead."""
    assert extract_units("推进标准化生产。(区农发局、市场监管局等相关部门按职责分工落实)") == (
        ["区农发局", "市场监管局"], [])
    assert extract_units("推进标准化生产。（区办公室、经发局按职责落实）") == (["区办公室", "经发局"], [])


def test_labelled_fields_after_an_activity_time_a_lead_office_and_the_offices_responsible():
    """"活动时间：…牵头处室：…责任对象：…" run together after the activity's text: the time field is
    its deadline (it ends where the next label starts), 责任对象 beside a 牵头处室 cooperates."""
    text = "\n".join([
        "某局系列活动方案",
        "一、活动内容",
        "（一）开展学习活动",
        "1.组织专题学习会。活动时间：2021年4－5月牵头处室：局办公室责任对象：局各处室，各区属国企",
    ])
    assert _tasks(parse_plan_text(text)) == [
        ("一", "开展学习活动", "组织专题学习会。", ["局办公室"], ["局各处室", "各区属国企"], "2021年4－5月"),
    ]


def test_a_unit_line_naming_its_leads_then_the_units_working_beside_them():
    """"责任单位：A、B（简称）牵头，C": C, with no role word of its own, works beside the leads; a
    short bracket after a name is part of the name."""
    assert extract_units("推行网上办理。 责任单位：区行政审批局、智慧岛服务管理中心（区数字办）牵头，区直相关部门") == (
        ["区行政审批局", "智慧岛服务管理中心（区数字办）"], ["区直相关部门"])
    assert extract_units("推行网上办理。 责任单位：区市场监督管理局牵头，区直相关部门") == (
        ["区市场监督管理局"], ["区直相关部门"])


def test_a_folded_article_breaks_nothing_inside_quotation_marks_nor_at_a_list_inside_a_paragraph():
    """On a page folded onto one line: a space or "一、" inside “…” is not a line break or a
    heading, and points numbered again after each colon ("一是…：1.…；2.…二是…：1.…；2.…") stay
    in their paragraph."""
    filler = "为进一步深化改革，提升服务效能，结合实际，制定本措施，请各单位认真贯彻执行，确保各项工作落到实处。" * 6
    text = " ".join([
        "某区改革创新措施", filler,
        "一、创新广告审批方式 打破“分散管理、标准不一、运作不规范”的现状，开展“阳光招标 服务品牌”创建。",
        "牵头单位：区交通与建设局",
        "二、开启智能服务模式 引进智能自助终端机。一是出入境业务：1.自助申请；2.自助缴费。"
        "二是户籍业务：1.户籍证明；2.信息查询。",
        "牵头单位：区公安局",
    ])
    plan = parse_plan_text(text)
    assert [(s.number, s.title) for s in plan.sections] == [("一", "创新广告审批方式"), ("二", "开启智能服务模式")]
    assert _tasks(plan) == [
        ("一", None, "打破“分散管理、标准不一、运作不规范”的现状，开展“阳光招标 服务品牌”创建。",
         ["区交通与建设局"], [], None),
        ("二", None, "引进智能自助终端机。一是出入境业务：1.自助申请；2.自助缴费。二是户籍业务：1.户籍证明；2.信息查询。",
         ["区公安局"], [], None),
    ]


def test_an_item_heading_followed_by_its_bodys_field_label():
    """"（一）开展征文活动活动内容：以…" — the label 活动内容 belongs to neither title nor task."""
    text = "\n".join([
        "某局系列活动方案",
        "一、活动安排",
        "（一）开展国资国企发展征文活动活动内容：以“百年辉煌路”为主题，组织征文。",
    ])
    assert _tasks(parse_plan_text(text)) == [
        ("一", "开展国资国企发展征文活动", "以“百年辉煌路”为主题，组织征文。", [], [], None)]


def test_a_leading_group_name_list_is_the_body_of_its_section():
    """"二、组织机构为…成立领导小组，名单如下。" then one name or title per line, then the line closing
    the list: one task, the section titled with the part name."""
    text = "\n".join([
        "某局专项整治实施方案",
        "一、工作目标",
        "全面提升道路交通安全水平。",
        "二、组织机构为全面推进片区道路交通安全综合整治工作，决定成立片区道路交通安全综合整治工作领导小组，名单如下。",
        "组 长：张三",
        "党委书记、局长",
        "成 员：李四",
        "党政办公室负责人王五",
        "领导小组下设办公室，承担日常工作。",
        "三、工作要求",
        "各处室要加强协作。",
    ])
    plan = parse_plan_text(text)
    assert [(s.number, s.title) for s in plan.sections] == [("一", "工作目标"), ("二", "组织机构"), ("三", "工作要求")]
    assert [t.text.replace("\n", "") for t in plan.sections[1].items[0].tasks] == [
        "为全面推进片区道路交通安全综合整治工作，决定成立片区道路交通安全综合整治工作领导小组，名单如下。组 长：张三党委书记、局长成 员：李四"
        "党政办公室负责人王五领导小组下设办公室，承担日常工作。"]
    assert len(plan.sections[2].items[0].tasks) == 1


def test_fields_after_a_paragraph_and_a_numeral_ending_a_word_on_a_folded_page():
    """"牵头单位：…" / "配合部门：…" / "完成时间：…" after a section's paragraph, and a field naming
    units of another kind ("试点单位：…") that is neither a task nor its units; "标准不一、运作…"
    inside a sentence is no section heading."""
    filler = "为进一步深化改革，提升服务效能，结合实际，制定本措施，请各单位认真贯彻执行，确保各项工作落到实处。" * 6
    text = " ".join([
        "某区改革创新措施", filler,
        "一、实施档案电子化 推进全区档案电子化，解决档案分散管理、标准不一、运作不规范的问题。",
        "牵头单位：区行政审批局", "试点单位：第一批：区档案局，2017年12月底前完成；第二批：其他区直部门。",
        "二、推进自助结算 建立独立的社保卡管理系统。",
        "牵头单位：区社会事业局", "配合部门：区财政金融局", "完成时间：2018年3月底前完成",
    ])
    plan = parse_plan_text(text)
    assert _tasks(plan) == [
        ("一", None, "推进全区档案电子化，解决档案分散管理、标准不一、运作不规范的问题。", ["区行政审批局"], [], None),
        ("二", None, "建立独立的社保卡管理系统。", ["区社会事业局"], ["区财政金融局"], "2018年3月底前完成"),
    ]


def test_an_items_lead_in_its_points_after_a_colon_and_its_unit_line_on_a_folded_page():
    """"（一）强化责任。我区是…主要职责是：1.…；2.…。责任单位：A，B。" on a folded line: the lead-in
    ending in a colon is no task, the points are, and the unit line after the last point is
    the item's (each point gets its units); "附件：1.…2.…" after a colon stays an attachment list."""
    filler = "为贯彻落实粮食安全责任制，结合我区实际，提出如下实施意见，请各单位认真贯彻执行，确保各项工作落到实处。" * 5
    text = " ".join([
        "某区实施意见", filler,
        "一、明确责任（一）强化政府责任。我区是粮食主销区，对外依存度高，主要职责是：1.严守耕地红线，稳定粮食产量；"
        "2.完善储备粮管理制度；3.健全粮食质量安全保障体系。责任单位：区直各相关单位，各乡镇人民政府。"
        "（二）强化部门职责。加强粮食行政管理机构建设。责任单位：区农村发展局。",
        "附件：1.粮食清单2.考核表",
    ])
    units = (["区直各相关单位", "各乡镇人民政府"], [])
    assert [(i, t[2], (t[3], t[4])) for i, t in enumerate(_tasks(parse_plan_text(text)))] == [
        (0, "严守耕地红线，稳定粮食产量；", units),
        (1, "完善储备粮管理制度；", units),
        (2, "健全粮食质量安全保障体系。", units),
        (3, "加强粮食行政管理机构建设。", (["区农村发展局"], [])),
    ]


def test_an_unnumbered_paragraph_after_a_numbered_points_unit_line_is_a_task_of_its_own():
    """"3.防治农业面源污染 …" then "责任单位：A牵头，B等参与" then a plain paragraph with its own
    unit line: the paragraph is one more task (number null), not the end of point 3."""
    text = "\n".join([
        "某区土壤污染防治工作方案",
        "一、主要任务",
        "（一）严格监管各类污染源",
        "3.防治农业面源污染 强化畜禽养殖污染防治。",
        "责任单位：区农村发展局牵头，区环境与国土资源局等参与",
        "鼓励农民增施有机肥，减少化肥使用量。",
        "责任单位：区农村发展局负责",
    ])
    assert [(t[2], t[3], t[4]) for t in _tasks(parse_plan_text(text))] == [
        ("防治农业面源污染 强化畜禽养殖污染防治。", ["区农村发展局"], ["区环境与国土资源局"]),
        ("鼓励农民增施有机肥，减少化肥使用量。", ["区农村发展局"], []),
    ]


def test_an_item_number_apart_from_its_paragraph_and_a_full_width_space_before_a_heading():
    """On a folded page: "（六） 发动…" (a space after the number) is an item whose heading shares
    its paragraph; "…（责任处室：A）\u3000四、…" — a full-width space before a heading breaks the line."""
    filler = "为做好消防工作，结合实际，制定本要点，请各单位认真贯彻执行，确保各项工作落到实处，切实维护安全稳定。" * 5
    text = " ".join([
        "某片区消防工作要点", filler,
        "三、落实消防经费保障 设立消防专项经费。（责任处室：党政办公室）\u3000四、做好火灾预防工作",
        "（一） 定期开展专项督查检查。对发现损坏的应及时修复。（责任处室：政法综治处）",
    ])
    plan = parse_plan_text(text)
    assert [(s.number, s.title) for s in plan.sections] == [("三", "落实消防经费保障"), ("四", "做好火灾预防工作")]
    assert _tasks(plan)[-1] == ("四", "定期开展专项督查检查", "对发现损坏的应及时修复。", ["政法综治处"], [], None)


def test_a_bracketed_numeral_inside_a_sentence_is_no_item_on_a_folded_page():
    """"…落实刑法修正案(十一)要求…" with no item (十) before it: part of the sentence."""
    filler = "为做好安全生产工作，结合实际，制定本要点，请各处室认真贯彻执行，确保各项工作落到实处，切实维护安全稳定。" * 5
    text = " ".join([
        "某片区安全生产工作要点", filler,
        "一、强化依法治理1.完善法规标准体系。严格落实刑法修正案(十一)要求，组织开展宣贯工作。(各处室按职责分工负责)"
        "2.严格精准监管执法。开展执法检查。(政法综治处负责)",
    ])
    plan = parse_plan_text(text)
    assert [i.number for s in plan.sections for i in s.items] == [None]
    assert [(t[2], t[3]) for t in _tasks(plan)] == [
        ("完善法规标准体系。严格落实刑法修正案(十一)要求，组织开展宣贯工作。", ["各处室"]),
        ("严格精准监管执法。开展执法检查。", ["政法综治处"]),
    ]


def test_a_basic_situation_part_name_with_its_paragraph_run_onto_it():
    """"一、基本情况君山片区现有52个行政村，…" — 基本情况 is a part name: the title, the rest a task."""
    text = "\n".join([
        "某片区人居环境年度工作计划",
        "一、基本情况君山片区现有52个行政村，136个自然村，目前片区环境卫生保洁工作通过政府采购由第三方公司负责。",
        "二、年度工作计划",
        "（一）持续推进农村垃圾治理。构建垃圾治理常态化机制。",
    ])
    plan = parse_plan_text(text)
    assert [(s.number, s.title) for s in plan.sections] == [("一", "基本情况"), ("二", "年度工作计划")]
    assert _tasks(plan)[0][2] == "君山片区现有52个行政村，136个自然村，目前片区环境卫生保洁工作通过政府采购由第三方公司负责。"


def test_the_person_in_charge_is_no_unit_in_the_prose():
    """"由创城工作领导小组约谈该单位负责人" names a person in charge, not a unit that 负责."""
    assert extract_units("对问题较多的单位，由创城工作领导小组约谈该单位负责人。") == ([], [])
    assert extract_units("由局办公室负责，各科室配合。") == (["局办公室"], ["各科室"])


def test_a_bracketed_unit_note_names_the_units_not_the_prose_before_it():
    """"…由区农业农村局牵头，各成员单位各司其职…（各有关部门分别负责）": the note names the task's
    units; the prose describes how the work is organised (it stays in the text)."""
    assert extract_units("健全工作机制，由区农业农村局牵头，各成员单位各司其职。（各有关部门分别负责）") == (
        ["各有关部门"], [])
    assert extract_units("健全工作机制，由区农业农村局牵头，各成员单位各司其职。") == (["区农业农村局"], [])


def test_a_signature_and_its_date_on_one_line_with_the_pages_chrome_after_it():
    """"流水镇人民政府2017年3月10日Power by YOZOSOFT 来源：流水镇" closes the plan: no task."""
    text = "\n".join([
        "某镇专项整治工作实施方案",
        "一、工作要求",
        "（一）加强组织领导。各村要高度重视。",
        "流水镇人民政府2017年3月10日Power by YOZOSOFT 来源：流水镇",
    ])
    plan = parse_plan_text(text)
    assert [t[2] for t in _tasks(plan)] == ["各村要高度重视。"]
    assert plan.issued_on == "2017-03-10"


def test_an_item_part_name_with_its_paragraph_run_onto_it():
    """"（一）指导思想以习近平…，…。" — a part name (指导思想, 主要目标) as an item heading, its
    paragraph run onto it with no stop: the part name is the title, the paragraph the task."""
    text = "\n".join([
        "某区质量提升行动实施意见",
        "一、总体要求",
        "（一）指导思想以新时代中国特色社会主义思想为指导，进一步贯彻落实关于质量工作的重要论述，牢固树立质量第一的强烈意识。",
        "（二）主要目标到2021年，质量提升行动取得明显成效，质量总体水平显著提升，质量发展环境不断优化，群众质量获得感显著增强。",
    ])
    assert [(t[1], t[2][:6]) for t in _tasks(parse_plan_text(text))] == [
        ("指导思想", "以新时代中国"), ("主要目标", "到2021年")]


def test_headings_run_into_a_paragraph_that_opens_with_a_sentence_word():
    """A heading with no stop before its paragraph, the paragraph opening with a word that opens
    a sentence (根据 / 严格按照 / 本次 / 各级各部门 / 以“…): the heading ends there. A section's
    lead-in before its first item is no task; "指导思想和总体目标" is one part name."""
    text = "\n".join([
        "某片区专项整治工作方案",
        "一、指导思想和总体目标深入贯彻落实科学发展观，坚持问题导向，坚持安全发展，坚守安全红线，确保安全形势持续稳定。",
        "二、重点整治和分工严格按照有关法律法规明确的职责分工，持续加大专项整治力度。",
        "（一）齐抓共管，强化监测预警根据省处非办工作要求，组织开展风险排查整治专项活动。",
        "（二）开展庆祝建党100周年摄影活动以“迎建党百年”为主题，鼓励干部职工用镜头记录。",
        "（三）创新方式，提升宣传效果各部门、各单位要负责本行业本领域的宣传工作。",
        "（四）推动服务业提质增效全力推进国际旅游岛建设，提升旅游产品体系和服务质量。",
        "（五）组织基层网格人员深入村内各家庭开展面对面宣传提示，各部门要积极配合开展工作。",
        "三、专项整治实施步骤本次专项整治工作分四个阶段实施：",
        "（一）动员准备阶段。广泛宣传发动。",
    ])
    plan = parse_plan_text(text)
    assert [(s.number, s.title) for s in plan.sections] == [
        ("一", "指导思想和总体目标"), ("二", "重点整治和分工"), ("三", "专项整治实施步骤")]
    assert [(t[1], t[2][:4]) for t in _tasks(plan)] == [
        (None, "深入贯彻"),
        ("齐抓共管，强化监测预警", "根据省处"),
        ("开展庆祝建党100周年摄影活动", "以“迎建"),
        ("创新方式，提升宣传效果", "各部门、"),
        ("推动服务业提质增效", "全力推进"),
        ("组织基层网格人员深入村内各家庭开展面对面宣传提示，各部门要积极配合开展工作", "组织基层"),
        ("动员准备阶段", "广泛宣传"),
    ]


def test_a_long_clause_opening_with_each_is_no_unit_clause():
    """"各相关部门要以强有力的督查促进改革落实" is a sentence about the departments, not a unit and
    its role; "各村居、各处室按职责分工落实" / "各成员单位配合" still name units."""
    assert extract_units("各相关部门要以强有力的督查促进改革落实，建立改革落实推进机制。") == ([], [])
    assert extract_units("加强宣传。各村居、各处室按职责分工落实。") == (["各村居", "各处室"], [])
    assert extract_units("加强宣传。各乡镇人民政府负责，各成员单位配合。") == (["各乡镇人民政府"], ["各成员单位"])


def test_a_stated_first_listed_leads_rule_applies_to_the_following_notes():
    """"（A、B负责。列第一位者为牵头单位，下同）": the rule's words name no unit; from there on the
    first unit of a 负责 note leads and the others cooperate; a note marking roles itself
    (A、B牵头负责) keeps them; a note before the rule is stated is read as before."""
    text = "\n".join([
        "某某意见",
        "一、总体要求",
        "（一）先行事项。做好前期准备。（甲部、乙部负责）",
        "二、主要措施",
        "（二）稳定就业。支持企业稳定岗位。（甲部、乙部负责。列第一位者为牵头单位，下同）",
        "（三）鼓励创业。加大创业扶持。（丙部、甲部、丁部等负责）",
        "（四）强化统筹。建立协调机制。（甲部、丙部牵头负责）",
        "（五）压实责任。各地结合实际抓好落实。（各省级人民政府负责）",
    ])
    assert [(t[3], t[4]) for t in _tasks(parse_plan_text(text))] == [
        (["甲部", "乙部"], []),
        (["甲部"], ["乙部"]),
        (["丙部"], ["甲部", "丁部"]),
        (["甲部", "丙部"], []),
        (["各省级人民政府"], []),
    ]
    assert extract_units("做好X。（税务总局、财政部负责，排在第一位的部门为牵头部门，下同）") == (
        ["税务总局", "财政部"], [])


def test_another_field_of_a_note_ends_its_unit_list():
    """"（负责部门：A、B；适用范围：…）": the field after the unit list (适用范围, 备注…) is neither a
    unit nor part of one, whether it follows a ； or a ，."""
    assert extract_units("放宽比例要求。（负责部门：甲部、乙部；适用范围：所有试验区，以下适用范围均为所有试验区）") == (
        ["甲部", "乙部"], [])
    assert extract_units("支持机场建设。（负责部门：丙局，适用范围：某试验区）") == (["丙局"], [])


def test_a_note_naming_who_leads_makes_its_working_units_cooperate():
    """"（X负责，A牵头，B配合）": where a note marks who leads, a unit it only gives the work to
    (负责 / 落实 / 组织实施), even listed first, cooperates; 分工负责 / 分工落实 / 分工组织实施 are
    roles, not part of a name; 组织实施 after a 负责 unit cooperates."""
    assert extract_units("做好X。（各级人民政府负责，甲局牵头，乙局、丙局配合）") == (
        ["甲局"], ["乙局", "丙局", "各级人民政府"])
    assert extract_units("做好X。（各级人民政府负责，公安、交通等部门组织实施）") == (["各级人民政府"], ["公安", "交通"])
    assert extract_units("做好X。（甲局、乙局分工负责）") == (["甲局", "乙局"], [])
    assert extract_units("做好X。（丙局、丁局分工负责牵头，戊局配合）") == (["丙局", "丁局"], ["戊局"])
    assert extract_units("做好X。（各级人民政府负责，甲办、乙办分工落实，丙部门配合）") == (
        ["各级人民政府"], ["甲办", "乙办", "丙部门"])
    assert extract_units("做好X。（甲局牵头，乙局负责，丙局配合）") == (["甲局"], ["乙局", "丙局"])


def test_and_between_two_unit_names_parts_them_a_bare_place_joins_the_next():
    """"A局和B部门" / "A局及B公司": 和/及 between two whole unit names are two units; a name whose
    first half is no unit (住房和城乡建设局) or a bare kind word after it (各有关部门和单位) stays
    whole; "区、县交通与建设局" (a one-character place before a name) is one unit as written."""
    from tracker.domain.plan_parsing.units import split_units

    assert split_units("县交通与建设局、公路局和公安部门") == ["县交通与建设局", "公路局", "公安部门"]
    assert split_units("安监局及保险公司") == ["安监局", "保险公司"]
    assert split_units("各乡镇人民政府及各有关部门") == ["各乡镇人民政府", "各有关部门"]
    assert split_units("住房和城乡建设局、各有关部门和单位") == ["住房和城乡建设局", "各有关部门和单位"]
    assert split_units("区、县交通与建设局") == ["区、县交通与建设局"]


def test_a_web_table_whose_rows_name_their_own_measure():
    """序号 | 改革举措 | 主要内容 | 指导部门 | 推广范围 in a page's <table>, group rows merged across:
    each numbered row with its own measure is one task "举措：内容" (the measure names no group
    of rows), 指导部门 are its units, 推广范围 is neither a unit nor a deadline."""
    from tracker.domain.plan_parsing import parse_plan_document

    html = """<html><body><p>某某改革举措推广清单</p><table>
    <tr><td>序号</td><td>改革举措</td><td>主要内容</td><td>指导部门</td><td>推广范围</td></tr>
    <tr><td colspan="5">一、甲方面（共2项）</td></tr>
    <tr><td>1</td><td>甲举措</td><td>整合审判资源，提高审判效率。</td><td>甲院、乙局</td><td>全国</td></tr>
    <tr><td>2</td><td>乙举措</td><td>开发保险产品，降低侵权损失。</td><td>乙局</td><td>全国</td></tr>
    <tr><td colspan="5">二、乙方面（共1项）</td></tr>
    <tr><td>3</td><td>丙举措</td><td>建立容错机制。</td><td>丙委</td><td>试验区域</td></tr>
    </table></body></html>""".encode()
    plan = parse_plan_document(html, "list.html")
    assert [(s.number, [i.title for i in s.items]) for s in plan.sections] == [("一", [None]), ("二", [None])]
    assert [(t[2], t[3], t[4], t[5]) for t in _tasks(plan)] == [
        ("甲举措：整合审判资源，提高审判效率。", ["甲院", "乙局"], [], None),
        ("乙举措：开发保险产品，降低侵权损失。", ["乙局"], [], None),
        ("丙举措：建立容错机制。", ["丙委"], [], None),
    ]


def test_people_in_charge_in_the_prose_are_no_units():
    """"成员由A、B等部门负责同志组成" names the officials of a group, "由校长全盘负责" a person;
    neither is a unit that 负责. "由局办公室负责" still is."""
    assert extract_units("成立工作小组，成员由甲部、乙部等部门负责同志组成。") == ([], [])
    assert extract_units("建立由校长全盘负责，班主任专人联系的帮扶机制。") == ([], [])
    assert extract_units("年度报告由局办公室负责编制。") == (["局办公室"], [])


def test_a_number_set_off_by_spaces_in_a_folded_article_breaks_no_line():
    """A whole article on one line, its line breaks turned into spaces: "到 2025 年，…" (a number
    typeset with a space on each side, its measure word after it) is inside the sentence, not a
    line break followed by a task number."""
    filler = "坚持规划引领、因地制宜、城乡统筹、生态优先，巩固拓展整治行动成果，着力改善农民生活品质。" * 6
    text = ("某片区人居环境行动方案 一、总体要求 " + filler + "到 2025 年，农村人居环境显著提升，生活垃圾得到有效治理。"
            " 二、重点任务 （一）农村改厕质量提升 1.改造农村户用厕所。在充分尊重农民意愿的基础上推进改厕。"
            " 2.提升公厕档次。因地制宜继续推进农村公厕建设。")
    tasks = _tasks(parse_plan_text(text))
    assert [(t[0], t[2][:6]) for t in tasks] == [("一", filler[:6]), ("二", "改造农村户用"), ("二", "提升公厕档次")]
    assert tasks[0][2].endswith("到 2025 年，农村人居环境显著提升，生活垃圾得到有效治理。")


def test_a_paragraph_of_one_sentence_and_its_note_is_no_heading_run_on():
    """"（二）支持…个人按照规定开展…。（负责部门：X）": a paragraph of one sentence with only its note
    after it is the item's title and task whole, even with a sentence-opening word (按照) inside;
    with more sentences after it, the run-on heading is still split there."""
    text = "\n".join([
        "某某若干措施",
        "一、措施",
        "（一）支持自贸试验区内符合条件的个人按照规定开展境外证券投资。（负责部门：甲会、乙行）",
        "（二）齐抓共管，强化监测预警根据省处非办工作要求，组织开展风险排查整治专项活动。做好宣传。",
    ])
    assert [(t[1], t[2], t[3]) for t in _tasks(parse_plan_text(text))] == [
        ("支持自贸试验区内符合条件的个人按照规定开展境外证券投资", "支持自贸试验区内符合条件的个人按照规定开展境外证券投资。",
         ["甲会", "乙行"]),
        ("齐抓共管，强化监测预警", "根据省处非办工作要求，组织开展风险排查整治专项活动。做好宣传。", []),
    ]


def test_a_short_heading_run_into_a_paragraph_opening_with_a_verb():
    """"（一）加强组织领导落实五级书记…": a short heading with no comma run into a paragraph that
    opens with 落实/开展 ends there; 贯彻落实 / 集中开展 and a heading with a comma stay whole."""
    text = "\n".join([
        "某片区行动方案",
        "一、保障措施",
        "（一）加强组织领导落实五级书记抓乡村振兴的要求，把改善农村人居环境作为一把手工程。定期研究工作。",
        "（二）强化技术支撑开展农村人居环境整治提升关键技术、工艺和装备研发。加强集成应用。",
        "（三）认真学习宣传贯彻落实习近平总书记重要讲话精神，紧扣推动高质量发展这一主题。组织学习。",
        "（四）发动村居委会集中开展敲门行动，点对点提醒群众查改身边火灾隐患。做好记录。",
    ])
    assert [t[1] for t in _tasks(parse_plan_text(text))] == [
        "加强组织领导", "强化技术支撑",
        "认真学习宣传贯彻落实习近平总书记重要讲话精神，紧扣推动高质量发展这一主题",
        "发动村居委会集中开展敲门行动，点对点提醒群众查改身边火灾隐患",
    ]


def test_a_plans_closing_words_after_its_last_point_are_no_task():
    """A plain paragraph after the last point addressed to everyone ("各地区、各有关部门要…"), or
    with no unit where every other task (five or more) names its units, closes the plan."""
    text = "\n".join([
        "某某指导意见",
        "一、主要任务",
        "（一）丰富赛事活动。培育品牌赛事。",
        "（二）发展场馆服务。提高场馆利用率。",
        "各地区、各有关部门要充分认识重要意义，加强组织领导，务求取得实效。",
    ])
    assert [t[2][:6] for t in _tasks(parse_plan_text(text))] == ["培育品牌赛事", "提高场馆利用"]
    noted = "\n".join([
        "某某若干意见",
        "一、稳定就业",
        *(f"（{n}）措施{n}。做好工作{n}。（甲部、乙部负责）" for n in "一二三四五"),
        "从专项资金中安排部分资金，专项用于当前稳就业工作。",
    ])
    assert len(_tasks(parse_plan_text(noted))) == 5


def test_an_items_lead_in_naming_its_points_is_no_task():
    """"…办公室下设监督组、专家组、采购小组。" then "1.监督组。…": the lead-in names the points that
    follow, so it is no task; a paragraph before points it does not name stays a task."""
    text = "\n".join([
        "某某试点方案",
        "一、组织实施",
        "（一）成立联合采购办公室。",
        "在工作小组领导下成立联合采购办公室，开展集中采购。办公室下设监督组、专家组、采购小组。",
        "1.监督组。负责监督采购工作。",
        "2.专家组。负责评审。",
        "（二）加强宣传。",
        "做好政策宣传解读。",
        "1.编写问答。及时发布。",
    ])
    assert [(t[1], t[2][:5]) for t in _tasks(parse_plan_text(text))] == [
        ("成立联合采购办公室", "监督组。负"), ("成立联合采购办公室", "专家组。负"),
        ("加强宣传", "做好政策宣"), ("加强宣传", "编写问答。")]


# --- layouts of the fourth hold-out u01-u02 / v01-v05, retired into development -----------------


def test_a_section_heading_that_is_one_sentence_and_its_note_is_the_sections_task():
    """"一、对…的地区，优先支持…。（甲部负责）": measures numbered at section level, one sentence each
    with its note: the section's title is the sentence, its one task the sentence; plain closing
    paragraphs right after the last noted measure are the plan's closing words. A section heading
    with a note and items under it keeps no task of its own."""
    text = "\n".join([
        "某某激励措施通知",
        *(f"{n}、对工作成效明显的地区，在资金安排上给予倾斜支持{n}。（甲部{n}、乙部负责）" for n in "一二三四五"),
        "六、对改革成效显著的地区，优先纳入试点。（丙部会同有关部门负责）",
        "各有关部门要认真组织实施激励措施，及时制定实施办法。",
        "自本通知印发之日起，原通知停止执行。",
    ])
    plan = parse_plan_text(text)
    tasks = _tasks(plan)
    assert [s.title for s in plan.sections][5] == "对改革成效显著的地区，优先纳入试点"
    assert [(t[0], t[1], t[2][:8], t[3], t[4]) for t in tasks][4:] == [
        ("五", None, "对工作成效明显的", ["甲部五", "乙部"], []),
        ("六", None, "对改革成效显著的", ["丙部"], ["有关部门"])]
    assert tasks[5][2] == "对改革成效显著的地区，优先纳入试点。"
    headed = parse_plan_text("\n".join([
        "某某方案", "一、加强组织领导（牵头单位：甲局）", "（一）成立领导小组。", "（二）建立例会制度。"]))
    assert [(t[1], t[2]) for t in _tasks(headed)] == [("成立领导小组", "成立领导小组。"), ("建立例会制度", "建立例会制度。")]


def test_a_note_naming_the_units_working_together_before_its_role_word():
    """"（A、B会同有关部门负责）": the units before 会同 lead, those after it cooperate."""
    assert extract_units("予以倾斜。（国家发展改革委、财政部会同有关部门负责）") == (
        ["国家发展改革委", "财政部"], ["有关部门"])
    assert extract_units("予以倾斜。（教育部会同有关部门负责）") == (["教育部"], ["有关部门"])


def test_a_bare_trailing_note_of_unit_names_gives_the_lead_units():
    """"…把好检疫关。（区经济发展局农业处）": a trailing note naming only units, no label or role word:
    they lead and the note leaves the text; brackets inside the text ("屠宰厂（场）") and asides
    ("（试行）", "（省、市、县）") are no units. A note closed with the look-alike 〉 is a note, and the
    next task number run on after it starts a task."""
    assert extract_units("严格执行定点屠宰厂（场）制度，把好检疫关。（区经济发展局农业处）") == (["区经济发展局农业处"], [])
    assert extract_units("加强学校饮用水卫生监管。(区社会事业局、区市场监管局）") == (["区社会事业局", "区市场监管局"], [])
    assert extract_units("制定管理办法（试行）") == ([], [])
    assert extract_units("覆盖各级政府（省、市、县）") == ([], [])
    folded = ("某某工作方案 一、目标任务（一）餐饮服务业治理" + "加强餐饮服务单位日常监管，提高食品安全水平。" * 12
              + "1.加强学校食堂管理。定期培训食堂管理人员。（区市场监管局、区社会事业局）"
              + "2.开展示范建设。创建示范街和示范店。（区市场监管局〉3.开展监督抽检。及时公布抽检结果。（区市场监管局）")
    tasks = _tasks(parse_plan_text(folded))
    assert [(t[2], t[3]) for t in tasks][-3:] == [
        ("加强学校食堂管理。定期培训食堂管理人员。", ["区市场监管局", "区社会事业局"]),
        ("开展示范建设。创建示范街和示范店。", ["区市场监管局"]),
        ("开展监督抽检。及时公布抽检结果。", ["区市场监管局"])]


def test_run_on_fields_with_an_implementing_unit_and_a_quoted_name_before_a_space():
    """"牵头单位：A配合单位：B实施单位：C完成时限：…" run on after each measure: 实施单位 cooperates
    beside a named lead (and leads when none is named); a folded line broken after a quoted name
    ("…跨境电商“O2O” 试点模式") goes on in the next piece."""
    text = ("某某任务分解方案 为推进落实，对有关任务分工如下：" + "按照工作分工和时限要求推进各项工作。" * 8
            + "一、支持跨境电商发展。支持争取设立跨境电商综合试验区，试点跨境电商海关优惠监管政策。支持规范和创新跨境电商“O2O” 试点模式，推动业态多元化开展。"
            "牵头单位：区经发局配合单位：平潭海关实施单位：区交通集团、跨境通公司完成时限：2019年底"
            "二、支持口岸建设。加强监管设施建设。牵头单位：区口岸办配合单位：平潭海关完成时限：2019年11月底")
    tasks = _tasks(parse_plan_text(text))
    assert [(t[2], t[3], t[4], t[5]) for t in tasks] == [
        ("支持争取设立跨境电商综合试验区，试点跨境电商海关优惠监管政策。支持规范和创新跨境电商“O2O”\n试点模式，推动业态多元化开展。",
         ["区经发局"], ["平潭海关", "区交通集团", "跨境通公司"], "2019年底"),
        ("加强监管设施建设。", ["区口岸办"], ["平潭海关"], "2019年11月底")]
    assert extract_units("做好通关工作。实施单位：区交通集团") == (["区交通集团"], [])


def test_a_part_name_or_the_documents_own_heading_ending_run_into_the_paragraph():
    """"（二）资金保障区财政部门要…": a part name (组织保障, 资金保障…) run straight into its
    paragraph ends the heading; "（六）大范围开展宣传工作发挥广播…": an item heading run into its
    paragraph with no stop ends where two or more of the document's headings written alone end."""
    text = "\n".join([
        "某某实施意见",
        "一、重点工作",
        "（一）启动生态景观修复工作",
        "1.恢复水土流失区域的植被。（牵头单位：甲局）",
        "（二）加强水环境监测工作",
        "1.对库区水资源进行实时监测。（牵头单位：乙局）",
        "（三）大范围开展保护区宣传工作发挥广播、电视、报刊等新闻媒体的作用，向群众宣传保护水资源。（牵头单位：丙中心）",
        "二、保障措施",
        "（一）资金保障区财政部门要积极保障整治工作资金的投入力度，针对各单位提出的项目资金进行审查列支。",
    ])
    tasks = _tasks(parse_plan_text(text))
    assert [(t[1], t[2][:8]) for t in tasks][2:] == [
        ("大范围开展保护区宣传工作", "发挥广播、电视、"), ("资金保障", "区财政部门要积极")]


def test_contact_lines_and_an_attached_files_name_closing_a_folded_page():
    """"…顺利开展。联 系 人：张三联系电话：…" and "….pdf" after the page's 附件下载 are page chrome."""
    text = ("某某实施方案 " + "为做好相关工作，结合实际，制定本方案。" * 10
            + "一、工作任务（一）加强组织领导。各单位要明确责任。（二）加大资金投入。区财政部门要保障各项工作的顺利开展。"
            "联 系 人：张三联系邮箱：a@b.cn联系电话：12345678 附件下载 某某关于印发实施方案的通知.pdf")
    tasks = _tasks(parse_plan_text(text))
    assert [t[2] for t in tasks] == ["各单位要明确责任。", "区财政部门要保障各项工作的顺利开展。"]


def test_a_section_named_for_why_or_where_the_plan_applies_run_into_its_paragraph():
    """"一、必要性和紧迫性某水库是…" / "二、整治范围保护区…": the standard names of why and where a plan
    applies (重要意义, 必要性和紧迫性, 适用范围, 整治对象) run straight into the section's paragraph."""
    text = "\n".join([
        "某某实施意见",
        "一、必要性和紧迫性某某水库是我区唯一的中型水库，是重要的水源保护区、自然保护区、风景名胜区。正常库容为两千万方。",
        "二、整治范围保护区13.4平方公里范围内，重点是水库库区沿岸、居民生活的村庄、流入水库的上游溪流等。",
    ])
    plan = parse_plan_text(text)
    assert [(s.title, t[2][:6]) for s in plan.sections for t in _tasks(plan) if t[0] == s.number] == [
        ("必要性和紧迫性", "某某水库是我"), ("整治范围", "保护区13.")]


def test_each_spanning_two_bare_levels_of_government_is_one_unit():
    """"各区、县级市" / "各有关区、县级市政府": the 各 spans both levels, so the pair is one unit; a
    whole name after "各区、" ("各区、市人社局") stays a unit of its own."""
    assert extract_units("做好人才引进。（牵头单位：甲局，配合单位：乙局，各区、县级市）") == (
        ["甲局"], ["乙局", "各区、县级市"])
    assert extract_units("做好就业服务。（牵头单位：甲局，配合单位：各有关区、县级市政府、丙局）") == (
        ["甲局"], ["各有关区、县级市政府", "丙局"])
    assert extract_units("做好就业服务。（牵头单位：甲局，配合单位：各区、市人社局）") == (
        ["甲局"], ["各区", "市人社局"])


def test_a_note_field_naming_units_for_another_role_beside_a_lead():
    """(牵头单位:A;责任单位:B;数据提供单位:C): a unit field with any other role word takes part, so
    beside a lead it cooperates; a label with a lead word in it still leads; alone it names no unit."""
    assert extract_units("地区生产总值增长7%左右。(牵头单位:甲委;数据提供单位:乙局)") == (["甲委"], ["乙局"])
    assert extract_units("增加值增长2%。(牵头单位:甲局;责任单位:乙局;督办部门:丙办)") == (
        ["甲局"], ["乙局", "丙办"])
    assert extract_units("做好发布。（主要牵头单位：甲局；配合单位：乙局）") == (["甲局"], ["乙局"])


def test_unnumbered_points_with_heading_sentences_after_a_whole_numbered_task():
    """"1.实施某战略，…。…。" then "平台建设取得新突破。构建…" / "企业集群发展壮大。…": a paragraph that
    opens with a short heading sentence of its own, after a numbered task that is a whole paragraph,
    is a task beside it (number null); after a task that is only a heading line it is its body."""
    text = "\n".join([
        "某市推进科技创新工程实施意见",
        "一、发展目标",
        "1.实施创新驱动战略，把创新作为城市发展的核心动力。到2015年建设成为国家创新型城市。",
        "创新平台建设取得新突破。构建具有国际先进水平的科技园区。",
        "创新型企业集群发展壮大。大中型工业企业设立研发机构的比例达35%。",
        "二、主要任务",
        "2.强化工矿企业环境监管",
        "加强日常环境监管。确定重点监管企业名单，并按要求开展监测监管。（牵头单位：甲局）",
    ])
    tasks = _tasks(parse_plan_text(text))
    assert [(t[0], t[2][:6], t[3]) for t in tasks] == [
        ("一", "实施创新驱动", []), ("一", "创新平台建设", []), ("一", "创新型企业集", []),
        ("二", "强化工矿企业", ["甲局"])]


def test_a_task_number_whose_text_opens_with_digits():
    """"11.121人才梯队项目。" after task 10 is task 11 (the next number), not a decimal; "1.5倍" that
    does not follow in sequence stays part of the paragraph above."""
    text = "\n".join([
        "某市人才工程实施意见",
        "一、重点项目",
        "1.特聘岗位项目。设立50个特聘岗位。（牵头单位：甲部）",
        "2.121人才梯队项目。重点培养不少于10名后备人才。（牵头单位：乙局）",
        "3.5G网络建设项目。建成5G基站1000个。（牵头单位：丙局）",
        "5.5倍增长目标不变。",
    ])
    tasks = _tasks(parse_plan_text(text))
    assert [(t[2][:6], t[3]) for t in tasks] == [
        ("特聘岗位项目", ["甲部"]), ("121人才梯", ["乙局"]), ("5G网络建设", ["丙局"])]


def test_a_bracket_explaining_a_term_names_no_unit():
    """"推行“五民主工作法”（即村民民主提事、…和新村民民主参与）": a bracket opening with 即 / 包括 /
    简称 glosses the sentence, even when its last word is a role word (参与)."""
    assert extract_units("推行“五民主工作法”（即民主提事、民主监事和新村民民主参与），保证权利。"
                         "（牵头单位：甲部，配合单位：乙局）") == (["甲部"], ["乙局"])
    assert extract_units("完善各类平台（包括网站、政务新媒体等相关单位配合）。（丙局负责）") == (["丙局"], [])


def test_a_first_listed_rule_stated_in_a_tasks_own_unit_line():
    """"责任单位:A、B、C(除标注“分别牵头”外,列第一位为牵头或汇总单位,下同)" on the line under task 1:
    the rule holds for that task too (its exception clause is part of the rule, not a role mark);
    "各县(市、区)政府" is one unit (a bracket of levels of government inside a name)."""
    text = "\n".join([
        "某市政府工作报告重点工作责任分解",
        "一、主要预期目标",
        "1.固定资产投资增长10%。",
        "",
        "责任单位:市发改委、市经信局、市科技局(除标注“分别牵头”外,列第一位为牵头或汇总单位,下同)",
        "",
        "2.城乡居民收入增速保持领先。",
        "",
        "责任单位:市人社局、市农业局分别牵头",
        "",
        "3.实施招商引资行动。",
        "",
        "责任单位:市招商办、市发改委,各县(市、区)政府、开发区管委会",
    ])
    tasks = _tasks(parse_plan_text(text))
    assert [(t[3], t[4]) for t in tasks] == [
        (["市发改委"], ["市经信局", "市科技局"]), (["市人社局", "市农业局"], []),
        (["市招商办"], ["市发改委", "各县(市、区)政府", "开发区管委会"])]


def test_a_long_section_heading_ending_in_a_phrase_after_de():
    """"八、发挥互联网等新兴媒体在推进民主法治建设中的积极作用": 积极 after 的 qualifies a noun, it
    does not open a paragraph run into the heading, so the whole line is the section title."""
    text = "\n".join([
        "某市实施意见",
        "一、发挥互联网等新兴媒体在推进民主法治建设中的积极作用",
        "1.加快电子政务建设。完善政府网站。（牵头单位：甲办）",
    ])
    plan = parse_plan_text(text)
    assert [s.title for s in plan.sections] == ["发挥互联网等新兴媒体在推进民主法治建设中的积极作用"]
    assert [t[2] for t in _tasks(plan)] == ["加快电子政务建设。完善政府网站。"]


def test_a_bar_table_whose_task_header_spans_a_group_cell_given_once():
    """"工作任务 | 目标和要求 | 责任单位 | 备注 |" over rows whose first row opens with the merged group
    cell (one cell more than the header, its 备注 empty): the group is a section, the 工作任务 cell
    names its own row ("名称：目标和要求") as no row continues it (a last row short of its 备注 cell
    still has its own name), and the units are read from the unit column."""
    text = "\n".join([
        "工作任务 | 目标和要求 | 责任单位 | 备注 |",
        "深化公开内容 | 推进财政信息公开 | 重点推进预算、决算公开,逐步推进审计结果公开 | 市财政局、市审计局 | |",
        "完善草案公开 | 完善重大决定草案的公开工作 | 市法制办 | |",
        "推行解读服务 | 各机关编写配套的解读材料 | 各政府机关 | |",
        "规范电话公开 | 做好办事电话号码公开的工作 | 市政府办公厅",
    ])
    plan = parse_plan_text(text)
    assert [(s["number"], s["title"]) for s in plan.to_dict()["sections"]] == [(None, "深化公开内容")]
    assert [t[1:] for t in _tasks(plan)] == [
        (None, "推进财政信息公开：重点推进预算、决算公开,逐步推进审计结果公开", ["市财政局", "市审计局"], [], None),
        (None, "完善草案公开：完善重大决定草案的公开工作", ["市法制办"], [], None),
        (None, "推行解读服务：各机关编写配套的解读材料", ["各政府机关"], [], None),
        (None, "规范电话公开：做好办事电话号码公开的工作", ["市政府办公厅"], [], None),
    ]


def test_question_marks_for_lost_indentation_before_a_heading():
    """"? ?二、重点任务": a mis-encoded copy turned the full-width spaces indenting the line into
    question marks; the line is still the section heading, and 一's one paragraph is its task."""
    text = "\n".join([
        "某局2020年政务公开工作重点任务实施方案",
        "一、总体要求",
        "以习近平新时代中国特色社会主义思想为指导,持续提升政务公开的质量和效益。",
        "? ?二、重点任务",
        "(一)推进决策公开。做好信息公开工作,推动依法履职。(责任科室:各科室)",
        "\ufffd\ufffd(二)推进执行公开。公布工作进展情况。(责任科室:综合科)",
    ])
    plan = parse_plan_text(text)
    assert [(s.number, s.title) for s in plan.sections] == [("一", "总体要求"), ("二", "重点任务")]
    assert [(t[0], t[1], t[3]) for t in _tasks(plan)] == [
        ("一", None, []), ("二", "推进决策公开", ["各科室"]), ("二", "推进执行公开", ["综合科"])]


def test_a_noted_paragraph_after_a_one_sentence_numbered_target():
    """"1.生产总值增长12%。" then the paragraph "全市生产总值…。(市发改委)": the note closes the paragraph
    it ends, so that paragraph is a task of its own (number null) with the unit, and the numbered
    target line names none; a paragraph with no note after such a line stays its body (unless two
    points of the list were each followed by a paragraph of their own), and a numbered heading line
    without a stop keeps its noted body."""
    text = "\n".join([
        "某市政府工作报告主要任务分解",
        "一、主要调控预期目标",
        "1.生产总值增长12%。",
        "  ",
        "全市生产总值增长12%,总量达到2790亿元。其中一产增长5%。(市发改委)",
        "2.财政收入增长12%。",
        "一般预算收入522.5亿元,比上年增长12%。",
        "二、重点工作",
        "1.强化企业环境监管",
        "加强日常环境监管,开展监测。(市环保局)",
        "三、民生目标",
        "1.城镇居民收入增长7%。",
        "城镇居民人均可支配收入达到18600元。(市发改委)",
        "2.农民收入增长7.5%。",
        "农民人均纯收入达到8400元。(市农业局)",
        "3.新增就业岗位10万个。",
        "全面落实再就业各项优惠政策,多渠道提供就业岗位",
    ])
    assert [(t[0], t[2], t[3]) for t in _tasks(parse_plan_text(text))] == [
        ("一", "生产总值增长12%。", []),
        ("一", "全市生产总值增长12%,总量达到2790亿元。其中一产增长5%。", ["市发改委"]),
        ("一", "财政收入增长12%。\n一般预算收入522.5亿元,比上年增长12%。", []),
        ("二", "强化企业环境监管\n加强日常环境监管,开展监测。", ["市环保局"]),
        ("三", "城镇居民收入增长7%。", []),
        ("三", "城镇居民人均可支配收入达到18600元。", ["市发改委"]),
        ("三", "农民收入增长7.5%。", []),
        ("三", "农民人均纯收入达到8400元。", ["市农业局"]),
        # two points of the list each followed by a paragraph of its own: the third reads the same,
        # though its paragraph (here cut off by the page) has no note
        ("三", "新增就业岗位10万个。", []),
        ("三", "全面落实再就业各项优惠政策,多渠道提供就业岗位", []),
    ]


def test_a_note_line_after_a_paragraph_below_an_item_heading_sentence():
    """"（四）解决收费问题。重点抓住收费的清理工作。" then a paragraph, then its note on a line of its
    own: the note is that paragraph's, not also the task left on the heading's line; a unit line
    after an item's numbered points still gives its units to each of them."""
    text = "\n".join([
        "某区纠风工作实施意见",
        "一、专项治理",
        "（一）解决收费问题。重点抓住收费的清理工作，建立长效机制。",
        "坚决纠正银行乱收费问题。开展收费专项检查。",
        "（牵头单位：区银监办；参加单位：区物价局）",
        "坚决纠正电信乱收费问题。清理电信资费文件。",
        "（牵头单位：区经发局）",
        "（二）加强粮食安全",
        "1.深化粮食企业改革。",
        "2.完善粮食市场调控机制。",
        "责任单位：区经发局、区财政局",
    ])
    assert [(t[1], t[2], t[3], t[4]) for t in _tasks(parse_plan_text(text))] == [
        ("解决收费问题", "重点抓住收费的清理工作，建立长效机制。", [], []),
        ("解决收费问题", "坚决纠正银行乱收费问题。开展收费专项检查。", ["区银监办"], ["区物价局"]),
        ("解决收费问题", "坚决纠正电信乱收费问题。清理电信资费文件。", ["区经发局"], []),
        ("加强粮食安全", "深化粮食企业改革。", ["区经发局", "区财政局"], []),
        ("加强粮食安全", "完善粮食市场调控机制。", ["区经发局", "区财政局"], []),
    ]


def test_html_markup_left_in_a_page_text_ends_the_line():
    """"…配合） <p style="margin: 0cm 0cm 0p</body> 附件下载": a tag (whole or cut off) left in a
    page's text is markup: the last task keeps its note apart from its text, the chrome after it
    is not read; an inline tag inside a sentence is dropped, and a title in angle brackets is not a
    tag."""
    text = "\n".join([
        "某区道路交通安全工作任务分工方案",
        "一、完善保障机制",
        "1.落实《关于印发<2013年工作要点>的通知》要求，建立<span style=\"font-size:16px\">长效投入</span>机制。（财政部门牵头，公安部门配合）",
        "2.加强道路交通安全管理力量建设。（区党群工作部牵头，财政部门配合） <p style=\"margin: 0cm 0cm 0p</body> 附件下载",
    ])
    assert [(t[2], t[3], t[4]) for t in _tasks(parse_plan_text(text))] == [
        ("落实《关于印发<2013年工作要点>的通知》要求，建立长效投入机制。", ["财政部门"], ["公安部门"]),
        ("加强道路交通安全管理力量建设。", ["区党群工作部"], ["财政部门"]),
    ]


def test_a_supported_party_acting_according_to_rules_is_not_a_heading_run_on():
    """"（四十七）支持“某服务平台”根据规定向协会申请登记，开展服务业务。…": after 支持/鼓励/允许
    the one supported acts itself, so 根据 opens that act's clause and the item's title is the whole
    first sentence; "强化监测预警根据省里要求，…" is still a heading run into its paragraph."""
    text = "\n".join([
        "某自贸试验区改革创新若干措施",
        "一、推进金融领域开放创新",
        "（四十七）支持“某基金业综合服务平台”根据规定向中国证券投资基金业协会申请登记，开展私募投资基金服务业务。"
        "支持符合条件的台资保险机构在自贸试验区内设立保险营业机构。（负责部门：银保监会、证监会）",
        "（四十八）齐抓共管，强化监测预警根据省里的工作要求，建立健全非法集资监测预警机制，及时发现风险隐患。",
    ])
    plan = parse_plan_text(text)
    assert [(i.title, [t.text for t in i.tasks]) for s in plan.sections for i in s.items] == [
        ("支持“某基金业综合服务平台”根据规定向中国证券投资基金业协会申请登记，开展私募投资基金服务业务",
         ["支持符合条件的台资保险机构在自贸试验区内设立保险营业机构。"]),
        ("齐抓共管，强化监测预警", ["根据省里的工作要求，建立健全非法集资监测预警机制，及时发现风险隐患。"]),
    ]


def test_a_paragraph_without_a_note_before_points_that_each_name_their_units():
    """"（二）开展征迁工作" then a paragraph that names no unit, then points 1.-2. that each end with
    their own note: the paragraph is the item's lead-in, not a task; before points without notes
    a paragraph stays a task (see the test above on lead-ins naming their points)."""
    text = "\n".join([
        "某保护区整治实施意见",
        "一、重点工作",
        "（一）开展保护区内的移民征迁工作",
        "保护区内现有的居民分布于13个行政村，其生活污水未能集中排放。应对保护区内的村庄分批整体搬迁。",
        "1.编制保护区分步征迁实施方案。（牵头单位：区经济发展局）",
        "2.分阶段组织实施移民征迁工作。（牵头单位：区国土局；配合单位：区经济发展局）",
        "（二）实施保护区截污工程",
        "加快建设截污管网。",
        "1.对水库流域内的水沟进行清淤。",
        "2.建设水沟护岸堤。",
    ])
    assert [(t[1], t[2][:6], t[3]) for t in _tasks(parse_plan_text(text))] == [
        ("开展保护区内的移民征迁工作", "编制保护区分", ["区经济发展局"]),
        ("开展保护区内的移民征迁工作", "分阶段组织实", ["区国土局"]),
        ("实施保护区截污工程", "加快建设截污", []),
        ("实施保护区截污工程", "对水库流域内", []),
        ("实施保护区截污工程", "建设水沟护岸", []),
    ]


def test_closing_words_to_every_body_and_a_signature_dated_with_yinfa():
    """"各部门、单位要进一步强化组织领导…" after the plan's last point is its closing word to every
    body, and "某区管委会办公室" over "2013年5月30日印发" is the signature: neither is a task."""
    text = "\n".join([
        "某区纠风工作实施意见",
        "一、坚决查处损害群众利益的不正之风",
        "以查处典型案件为重点，加强纠风信访件的受理、办理，突出对重点案件跟踪督办。",
        "各部门、单位要进一步强化组织领导，认真落实纠风工作责任制。区纠风办要加强组织协调和监督检查。",
        "某区管委会办公室",
        "2013年5月30日印发",
        "附件下载",
    ])
    plan = parse_plan_text(text)
    assert [t[2][:8] for t in _tasks(plan)] == ["以查处典型案件为"]
    assert plan.issuer == "某区管委会办公室"


def test_an_item_heading_with_a_note_and_no_stop():
    """"（十五）加强农村道路交通安全监管（各级人民政府负责，…组织实施）" over numbered points: the note is
    no part of the item's title; an item that is only such a heading is still its own task with
    the note's units."""
    text = "\n".join([
        "某区道路交通安全工作任务分工方案",
        "一、强化源头管理",
        "（一）加强农村道路交通安全监管（各级人民政府负责，区交通与建设局组织实施）",
        "1.完善农村道路交通安全管理体系。（区公安局牵头）",
        "2.加强农村客运安全管理。（区交通与建设局负责）",
        "（二）加强驾驶人培训考试管理（区公安局负责）",
    ])
    plan = parse_plan_text(text)
    assert [(i.title, [(t.text[:6], t.lead_units) for t in i.tasks]) for s in plan.sections for i in s.items] == [
        ("加强农村道路交通安全监管", [("完善农村道路", ["区公安局"]), ("加强农村客运", ["区交通与建设局"])]),
        ("加强驾驶人培训考试管理", [("加强驾驶人培", ["区公安局"])]),
    ]


# --- a/g, b/j odd half (joined development 2026-11-29) -------------------------------------------


def test_a_cell_per_line_table_whose_unit_cell_ends_in_a_stop():
    """序号 / 重点工作任务 / 主要责任单位 / 协同配合单位 one cell per line: a unit list closed by its
    "。" is still the unit cell, not a task of its own."""
    text = "\n".join([
        "某局重点工作任务分解表",
        "序号", "重点工作任务", "主要责任单位", "协同配合单位",
        "一、主要预期目标",
        "3", "固定资产投资增长7.5%左右。", "区发改委", "区工信局、区住建局,各乡镇人民政府。",
        "4", "深化与某集团合作。", "区教育局", "区投资促进中心。",
    ])
    assert _tasks(parse_plan_text(text)) == [
        ("一", None, "固定资产投资增长7.5%左右。", ["区发改委"], ["区工信局", "区住建局", "各乡镇人民政府"], None),
        ("一", None, "深化与某集团合作。", ["区教育局"], ["区投资促进中心"], None),
    ]


def test_a_unit_name_with_the_areas_it_covers_in_brackets():
    """"各街办(新区)", "各街道(功能区)" in a labelled note: the bracket is part of the name."""
    assert extract_units("做好防控。[牵头单位:区卫健局;责任单位:区防控指挥部成员单位、各街办(新区)]") == (
        ["区卫健局"], ["区防控指挥部成员单位", "各街办(新区)"])
    assert extract_units("做好评估。(牵头单位:区政府办公室,责任单位:各街道(功能区))") == (
        ["区政府办公室"], ["各街道(功能区)"])


def test_task_lines_with_a_leader_line_and_lead_and_partner_unit_lines():
    """"1﹒…" (a small full stop) then lines 牵头负责领导:name / 牵头责任单位:X / 协同责任单位:Y、Z等:
    the leader is a person (no unit, no task); the partner units cooperate."""
    text = "\n".join([
        "某省重点工作及责任分解",
        "一、确保完成全年主要预期目标",
        "1﹒全省生产总值增长7%以上。",
        "牵头负责领导:张三。",
        "牵头责任单位:省发展改革委。",
        "协同责任单位:省财政厅、省税务局等。",
        "2﹒进出口总额增长9%左右。",
        "分管省领导:李四",
        "牵头责任单位:省商务厅。",
        "协同责任单位:合肥海关。",
    ])
    assert [(t.number, t.text, t.lead_units, t.cooperating_units)
            for s in parse_plan_text(text).sections for i in s.items for t in i.tasks] == [
        ("1", "全省生产总值增长7%以上。", ["省发展改革委"], ["省财政厅", "省税务局"]),
        ("2", "进出口总额增长9%左右。", ["省商务厅"], ["合肥海关"]),
    ]


def test_clauses_closed_by_bare_notes_with_a_stop_inside():
    """An item paragraph whose clauses each end in a bare note "（区金融办、区财政局。）": one task
    per clause, the units (all leading) without the stop; a bracket inside a name is no note."""
    text = "\n".join([
        "某区2018年政务公开工作要点",
        "一、着力加强重点工作信息公开",
        "（一）围绕民生事项做好信息公开。协调发布金融领域政策措施。（区金融办、区财政局。）"
        "坚持环境保护例行新闻发布制度。（区环保局、区水务局。）",
    ])
    assert [(t[1], t[2], t[3]) for t in _tasks(parse_plan_text(text))] == [
        ("围绕民生事项做好信息公开", "协调发布金融领域政策措施。", ["区金融办", "区财政局"]),
        ("围绕民生事项做好信息公开", "坚持环境保护例行新闻发布制度。", ["区环保局", "区水务局"]),
    ]
    assert extract_units("支持台车入闽。牵头单位：区办公室（政策法规处）、区口岸办") == (
        ["区办公室（政策法规处）", "区口岸办"], [])


def test_a_closing_sentence_saying_who_does_the_work():
    """"…作用。此项工作由A(A')负责,B、C及D配合。" closes each item paragraph: it is the item's unit
    note (not task text); a bracketed gloss stays in the name, 及 parts two names."""
    text = "\n".join([
        "（二十四）规范行政服务中心建设。出台规范性文件,发挥其重要作用。此项工作由市政府办公室(市政务公开办)负责,"
        "市编办、市法制局配合。",
        "（二十五）加强新闻发布工作。及时发布相关政务信息。此项工作由市委宣传部负责,市有关部门及各县(市、区)政府配合。",
    ])
    assert [(t[1], t[2], t[3], t[4]) for t in _tasks(parse_plan_text(text))] == [
        ("规范行政服务中心建设", "出台规范性文件,发挥其重要作用。", ["市政府办公室(市政务公开办)"], ["市编办", "市法制局"]),
        ("加强新闻发布工作", "及时发布相关政务信息。", ["市委宣传部"], ["市有关部门", "各县(市、区)政府"]),
    ]


def test_a_target_table_after_the_notice_listing_its_attachments():
    """A notice "附件:1. X分解表" / "2. Y分解表", then the table one cell per paragraph under
    序号 / 2022年预期目标 / 责任单位: the attachment list is no task, a column name may open with
    the year, and a target "完成年度目标任务" is a task text, not a deadline."""
    text = "\n".join([
        "某区人民政府办公室关于印发2022年区政府工作报告目标任务的通知",
        "各镇人民政府,区级各部门:",
        "现印发给你们。",
        "附件:1. 2022年区政府工作报告预期目标任务分解表",
        "2. 2022年区政府工作报告重点工作任务分解表",
        "某区人民政府办公室",
        "附件1",
        "序号", "2022年预期目标", "责任单位",
        "1", "地区生产总值增长5.5%左右", "区发展改革委",
        "2", "空气质量完成年度目标任务", "区生态环境局",
    ])
    assert [(t.number, t.text, t.lead_units, t.deadline_text)
            for s in parse_plan_text(text).sections for i in s.items for t in i.tasks] == [
        ("1", "地区生产总值增长5.5%左右", ["区发展改革委"], None),
        ("2", "空气质量完成年度目标任务", ["区生态环境局"], None),
    ]


def test_a_cell_per_line_table_with_a_leader_column():
    """序号 / 目标与任务 / 分 管 县领导 / 牵头责任单位 / 责任单位, each cell on its line with a trailing
    "|": the leader column holds people (no unit); the table is read, not refused."""
    text = "\n".join([
        "2024年重点工作目标任务分解表",
        "序号 |", "目标与任务 |", "分 管 县领导 |", "牵头责任单位 |", "责任单位 |",
        "80 |", "加大普惠性托育供给,新增托位数400个以上。 |", "张 三 |", "县教育局 |", "县各有关单位 |",
        "81 |", "支持职业学校发展。 |", "李 四 |", "县教育局 |", "县人社局 |",
    ])
    assert [(t.number, t.text, t.lead_units, t.cooperating_units)
            for s in parse_plan_text(text).sections for i in s.items for t in i.tasks] == [
        ("80", "加大普惠性托育供给,新增托位数400个以上。", ["县教育局"], ["县各有关单位"]),
        ("81", "支持职业学校发展。", ["县教育局"], ["县人社局"]),
    ]


def test_a_cell_per_line_table_whose_heading_rows_are_padded_with_bars():
    """Each cell followed by a "|" line, a section or item row padded with "|||" (its empty
    cells), task rows not padded: the padding ends the heading row only."""
    text = "\n".join([
        "某市政务公开工作任务分解方案",
        "工作任务", "|", "工作要求", "|", "牵头单位", "|", "责任单位", "|",
        "一、深化政务公开", "|", "|||",
        "(一)做好各类规划主动公开", "|", "|||",
        "1.主动公开规划纲要", "|", "设立专题集中展示", "|", "市发展改革委", "|", "市直有关单位", "|",
        "2.归集整理历史规划", "|", "集中发布", "|", "市发展改革委、市自然资源局", "|", "各县(市、区)人民政府", "|",
    ])
    assert [(t[0], t[1], t[2], t[3], t[4]) for t in _tasks(parse_plan_text(text))] == [
        ("一", "做好各类规划主动公开", "主动公开规划纲要：设立专题集中展示", ["市发展改革委"], ["市直有关单位"]),
        ("一", "做好各类规划主动公开", "归集整理历史规划：集中发布", ["市发展改革委", "市自然资源局"],
         ["各县(市、区)人民政府"]),
    ]


def test_a_unit_cell_printed_after_the_rows_it_spans():
    """工作任务 / 具体要求 / 落实科室(部门) one cell per paragraph; a group's rows 3, 4, 5 and then one
    unit cell: the merged cell spans the three rows (the group's first rows share it)."""
    text = "\n".join([
        "某局2021年政务公开工作要点分工方案",
        "工作任务", "具体要求", "落实科室(部门)",
        "做好各类规划主动公开",
        "1.主动公开各类规划原文。", "各科室按职责分工落实",
        "2.集中发布规划原文。", "办公室",
        "做好监管执法信息公开",
        "3.主动公开市场准入负面清单。",
        "4.及时公开定点机构名单。",
        "5.强化行政执法信息公开。",
        "法规科、医药服务管理科按职责分工落实",
    ])
    got = [(t[1], t[2][:6], t[3]) for t in _tasks(parse_plan_text(text))]
    assert got == [
        ("做好各类规划主动公开", "主动公开各类", ["各科室"]),
        ("做好各类规划主动公开", "集中发布规划", ["办公室"]),
        ("做好监管执法信息公开", "主动公开市场", ["法规科", "医药服务管理科"]),
        ("做好监管执法信息公开", "及时公开定点", ["法规科", "医药服务管理科"]),
        ("做好监管执法信息公开", "强化行政执法", ["法规科", "医药服务管理科"]),
    ]


def test_page_metadata_as_a_numbered_list_of_bracketed_fields():
    """"1. [主题分类] …" to "8. [有效性] …" above the plan: page furniture, not tasks."""
    text = "\n".join([
        "1. [主题分类] 综合政务/政务公开",
        "2. [制发单位] 某区人民政府办公室",
        "3. [发文字号] 〔〕",
        "某区2019年政务公开工作要点",
        "一、深化重点领域信息公开",
        "(一)强化协同发展信息公开",
        "1.做好总体规划实施的信息公开。(区发展改革委负责落实)",
    ])
    plan = parse_plan_text(text)
    assert [(s.number, t[2], t[3]) for s in plan.sections for t in _tasks(plan)] == [
        ("一", "做好总体规划实施的信息公开。", ["区发展改革委"])]


def test_a_bar_table_whose_header_was_not_stored():
    """A page stored from inside its task table: "一、… |", "（一）X。 | 1.Y | units |", "2.Y | units |"
    with no header row: most rows end in a unit cell, so the block is the table (group / task /
    units, read from the right); 办理 is a working role, "X牵头,会同Y办理" makes Y cooperate."""
    text = "\n".join([
        "一、紧扣“十四五”深化政务公开 |",
        "(一)做好各类规划主动公开。 | 1.主动公开规划纲要。 | 区发展改革局,以及各镇(街)办理。 |",
        "2.做好历史规划的归集整理。 | 区政府办会同各有关单位办理。 |",
        "(二)做好监管执法信息公开。 | 3.主动公开负面清单。 | 区市场监管局牵头办理,在工作中加强沟通对接。 |",
        "4.及时公开落实举措。 | 区发展改革局牵头,会同各有关单位、各镇(街)办理。 |",
    ])
    plan = parse_plan_text(text)
    assert [(s.number, s.title) for s in plan.sections] == [("一", "紧扣“十四五”深化政务公开")]
    assert [(t[1], t[2], t[3], t[4]) for t in _tasks(plan)] == [
        ("做好各类规划主动公开", "主动公开规划纲要。", ["区发展改革局", "各镇(街)"], []),
        ("做好各类规划主动公开", "做好历史规划的归集整理。", ["区政府办"], ["各有关单位"]),
        ("做好监管执法信息公开", "主动公开负面清单。", ["区市场监管局"], []),
        ("做好监管执法信息公开", "及时公开落实举措。", ["区发展改革局"], ["各有关单位", "各镇(街)"]),
    ]


def test_section_headings_that_name_the_units_of_their_tasks():
    """"一、减免幼儿保教费（责任单位：县教育局）" over a body paragraph: the note is the section's
    (title without it) and the paragraph's units; "一、县示范区管委会牵头工作（8项）" over tasks 1. 2.:
    the named unit leads each task, the title kept whole."""
    text = "\n".join([
        "2021年全县民生实事实施方案",
        "一、减免700名幼儿保教费（责任单位：县教育局）",
        "减免普惠性幼儿园在园困难儿童保教费。计划安排资金70万元。",
        "二、县示范区管委会牵头工作（2项）",
        "1.建设养殖基地。",
        "2.打造生产基地。",
    ])
    plan = parse_plan_text(text)
    assert [(s.number, s.title) for s in plan.sections] == [
        ("一", "减免700名幼儿保教费"), ("二", "县示范区管委会牵头工作（2项）")]
    assert [(t[0], t[2][:6], t[3]) for t in _tasks(plan)] == [
        ("一", "减免普惠性幼", ["县教育局"]), ("二", "建设养殖基地", ["县示范区管委会"]),
        ("二", "打造生产基地", ["县示范区管委会"])]


def test_a_cover_notice_with_its_own_numbered_points():
    """The notice's "一、…二、…" points, its signature (or 附件 list), then the plan from "一、"
    again: the notice's points are not sections of the plan; "附件:1.X清单" "2.Y分解" is no task."""
    text = "\n".join([
        "各街道办事处,区人民政府各部门:",
        "现印发给你们,并就有关事项通知如下:",
        "一、各责任单位要高度重视,制订工作方案。",
        "二、区绩效考评机构要纳入绩效管理考核范围。",
        "附件:1.2023年区政府工作报告任务清单",
        "2.2023年民生实事任务分解",
        "某区人民政府办公室",
        "2023年1月3日",
        "2023年区政府工作报告任务清单",
        "一、主要预期目标",
        "(一)地区生产总值增长7%以上",
        "责任单位:区发展和改革局",
    ])
    plan = parse_plan_text(text)
    assert [(s.number, s.title) for s in plan.sections] == [("一", "主要预期目标")]
    assert [(t[1], t[3]) for t in _tasks(plan)] == [("地区生产总值增长7%以上", ["区发展和改革局"])]


def test_unit_notes_with_a_lead_before_a_list_mark_a_pointer_gloss_and_a_long_kind_tail():
    """"（厅X处牵头、厅机关各处室配合）": the role word ends the lead's part even before 、;
    "市有关单位（见附件1，下同）": the pointer names no unit; "…、区房管局等公共企事业单位行业主管部门":
    the rest of the list named by its kind is no unit."""
    assert extract_units("做好标准化管理。(厅政策法规处牵头、厅机关各处室配合)") == (
        ["厅政策法规处"], ["厅机关各处室"])
    assert extract_units("及时公开。(市政府办公室、市有关单位(见附件1,下同),各县(市、区)人民政府负责)") == (
        ["市政府办公室", "市有关单位", "各县(市、区)人民政府"], [])
    assert extract_units("完善服务指南。(责任单位:区教育局、区房管局等公共企事业单位行业主管部门)") == (
        ["区教育局", "区房管局"], [])


def test_a_table_of_first_and_second_level_points_one_cell_per_paragraph():
    """工作要求 / 一级要点 / 二级要点 / 责任单位 one cell per paragraph: the 要点 columns are the task
    columns; "X牵头,Y配合,Z按职能分工落实" makes Y and Z cooperate."""
    text = "\n".join([
        "某镇2022年政务公开工作要点分工方案",
        "工作要求", "一级要点", "二级要点", "责任单位",
        "一、优化政务公开工作基础",
        "(一)深化规范性文件集中公开。",
        "1.高质量发布现行有效规范性文件。", "司法所",
        "2.规范行政法规使用。", "各有关单位",
        "3.完善规范性文件的分类展示。", "司法所牵头,党政综合办配合,各有关单位按职能分工落实",
    ])
    assert [(t[0], t[1], t[2], t[3], t[4]) for t in _tasks(parse_plan_text(text))] == [
        ("一", "深化规范性文件集中公开", "高质量发布现行有效规范性文件。", ["司法所"], []),
        ("一", "深化规范性文件集中公开", "规范行政法规使用。", ["各有关单位"], []),
        ("一", "深化规范性文件集中公开", "完善规范性文件的分类展示。", ["司法所"], ["党政综合办", "各有关单位"]),
    ]


def test_a_division_of_work_list_flattened_with_spaces():
    """三、工作分工 with paragraphs "办公室  组织…" / "法规处  负责…": each opens with a unit name set off
    by two spaces (a 处室 / 职责 list flattened): the unit leads that paragraph's work."""
    text = "\n".join([
        "某局政务公开工作规定",
        "一、组织保障",
        "设立政务公开工作领导小组,办公室和法规处主要负责人为小组副组长。",
        "三、工作分工",
        "办公室  组织、协调和管理主动公开政府信息的事宜;统一受理政府信息公开申请;",
        "法规处  负责规范性文件的法律审核。",
    ])
    assert [(t[0], t[2], t[3]) for t in _tasks(parse_plan_text(text))] == [
        ("一", "设立政务公开工作领导小组,办公室和法规处主要负责人为小组副组长。", []),
        ("三", "组织、协调和管理主动公开政府信息的事宜;统一受理政府信息公开申请;", ["办公室"]),
        ("三", "负责规范性文件的法律审核。", ["法规处"]),
    ]


def test_bar_rows_whose_requirement_cells_are_numbered_items():
    """工作任务 | 具体要求 | 责任单位 rows whose requirement cells are numbered （一）…, running on across
    the groups, rows carrying only empty cells "||" under the unit cell of the row above: each
    cell is an item (title = its first sentence) with one task (the rest, or the sentence)."""
    text = "\n".join([
        "某市2019年政务公开工作要点责任分工表",
        "工作任务 | 具体要求 | 责任单位 |",
        "一、深入解读重要政策措施 | (一)按照“谁起草、谁解读”原则,同步部署。解读材料应准确详尽。 | 各镇(街),市直各单位 |",
        "(二)对关注度高的政府文件进行政策解读。 | ||",
        "二、积极回应社会关切 | (三)牵头起草部门要做好舆情风险评估。 | 市委宣传部 |",
        "(四)进一步强化舆情回应意识。 | 市政府办公室 | |",
    ])
    assert [(t[0], t[1], t[2], t[3]) for t in _tasks(parse_plan_text(text))] == [
        ("一", "按照“谁起草、谁解读”原则,同步部署", "解读材料应准确详尽。", ["各镇(街)", "市直各单位"]),
        ("一", "对关注度高的政府文件进行政策解读", "对关注度高的政府文件进行政策解读。", ["各镇(街)", "市直各单位"]),
        ("二", "牵头起草部门要做好舆情风险评估", "牵头起草部门要做好舆情风险评估。", ["市委宣传部"]),
        ("二", "进一步强化舆情回应意识", "进一步强化舆情回应意识。", ["市政府办公室"]),
    ]


def test_a_unit_cell_giving_each_unit_its_duty():
    """"各有关单位、各镇(街)做好发布工作,区数据局做好技术支持和指导。" in the unit cell of a bar table
    (here one whose header was not stored) names no role word: every unit leads, each name
    without the duty after it."""
    text = "\n".join([
        "(一)做好规划公开。 | 1.集中发布规划原文。 | 各有关单位、各镇(街)做好发布工作,区数据局做好技术支持和指导。 |",
        "2.做好历史规划归集。 | 区政府办 |",
        "3.公开负面清单。 | 区市场监管局牵头办理。 |",
    ])
    assert [(t[2], t[3], t[4]) for t in _tasks(parse_plan_text(text))] == [
        ("集中发布规划原文。", ["各有关单位", "各镇(街)", "区数据局"], []),
        ("做好历史规划归集。", ["区政府办"], []),
        ("公开负面清单。", ["区市场监管局"], []),
    ]


def test_a_plan_with_units_before_its_signature_is_not_a_cover_notice():
    """Sections whose tasks name units, a signature, then "附件" and a list from "一、" again: the
    sections before were the plan's own, so they stay (only a notice's points are dropped)."""
    text = "\n".join([
        "某区2023年重点工作分工方案",
        "一、稳定经济增长",
        "1.地区生产总值增长7%。(区发改局负责)",
        "二、改善民生",
        "2.新增就业5000人。(区人社局负责)",
        "某区人民政府办公室",
        "2023年1月3日",
        "附件:重点工作分工表",
        "一、考核办法",
        "1.按季度通报。",
    ])
    plan = parse_plan_text(text)
    assert [s.title for s in plan.sections][:2] == ["稳定经济增长", "改善民生"]


def test_half_width_items_set_off_by_a_space_on_a_folded_page():
    """A page folded onto one line whose items are half-width "(一)…" after a space (after a
    sentence or after the last note): each starts a line, as "一、" and "（一）" do."""
    filler = "为认真落实政府信息公开条例,深入贯彻全面推进政务公开工作的系列部署,制定本分工方案。" * 5
    text = " ".join([
        "某市2022年政务公开重点工作任务分工方案", filler,
        "一、强化重点领域信息公开,促进政策措施阳光透明",
        "(一)加强稳增长信息公开。及时发布重点项目实施情况。(责任单位:市发展改革委)",
        "(二)加强调结构信息公开。及时发布相关规划。(责任单位:市商务局)",
    ])
    assert _tasks(parse_plan_text(text)) == [
        ("一", "加强稳增长信息公开", "及时发布重点项目实施情况。", ["市发展改革委"], [], None),
        ("一", "加强调结构信息公开", "及时发布相关规划。", ["市商务局"], [], None),
    ]


def test_a_note_stating_that_the_units_before_its_comma_lead():
    """"（责任单位：A、B，C。逗号前为牵头单位，…下同）": from that note on, the units before a
    note's first comma lead and those after it cooperate; a note marking roles keeps them, and
    notes before the rule is stated are read as written."""
    text = "\n".join([
        "一、重点工作",
        "1.做好甲项公开。(责任单位:市财政局、市税务局,各区县政府)",
        "2.做好乙项公开。(责任单位:市发展改革委、市商务局,各区县政府、高新区管委会。"
        "逗号前为牵头单位,多个牵头单位的按职责分别牵头,下同)",
        "3.做好丙项公开。(责任单位:市教育局,各区县政府)",
        "4.做好丁项公开。(市卫生健康委牵头,市医保局配合)",
        "5.做好戊项公开。(责任单位:市民政局、市人力资源社会保障局)",
    ])
    assert [(t[3], t[4]) for t in _tasks(parse_plan_text(text))] == [
        (["市财政局", "市税务局", "各区县政府"], []),
        (["市发展改革委", "市商务局"], ["各区县政府", "高新区管委会"]),
        (["市教育局"], ["各区县政府"]),
        (["市卫生健康委"], ["市医保局"]),
        (["市民政局", "市人力资源社会保障局"], []),
    ]


def test_notes_saying_how_units_share_the_work():
    """"按职责分工分别牵头落实", "按照职责分工负责", "按照职能分别落实": words on how the units share
    the role, part of no unit name; with no 牵头 split all lead, after "X牵头;" the rest cooperate."""
    assert extract_units("做好甲项公开。(各市政府和省民政厅、省农业厅等有关部门按職責分工分別牽頭落實)") == (
        ["各市政府", "省民政厅", "省农业厅"], [])
    assert extract_units("做好乙项公开。(省政府办公厅、省发展改革委牵头;省直有关部门,各地政府按照职责分工负责)") == (
        ["省政府办公厅", "省发展改革委"], ["省直有关部门", "各地政府"])
    assert extract_units("做好丙项公开。(市政府各部门,各开发区管委会按照职能分别落实)") == (
        ["市政府各部门", "各开发区管委会"], [])


def test_one_each_over_two_levels_and_square_bracket_glosses():
    """"各州、市人民政府", "各乡镇、街道", "各市〔州〕、县〔市、区〕政府": one 各 over two bare levels of
    government is one unit; a 〔…〕 gloss inside a name keeps its 、; a whole note may be in 〔…〕."""
    assert extract_units("做好甲项公开。(省直有关部门,各州、市人民政府按照职责分工负责)") == (
        ["省直有关部门", "各州、市人民政府"], [])
    assert extract_units("做好乙项公开。(责任单位:市农业农村局,各乡镇、街道)") == (
        ["市农业农村局", "各乡镇、街道"], [])
    assert extract_units("做好丙项公开。(各市〔州〕、县〔市、区〕政府,各级政府各部门按照职能分别落实)") == (
        ["各市〔州〕、县〔市、区〕政府", "各级政府各部门"], [])
    assert extract_units("做好丁项公开。(责任单位:省直各部门,各市〔州〕政府,各县〔市、区、特区〕政府)") == (
        ["省直各部门", "各市〔州〕政府", "各县〔市、区、特区〕政府"], [])
    assert extract_units("做好戊项公开。〔各县(市)区人民政府,市政府各部门(单位)按照职能分别落实〕") == (
        ["各县(市)区人民政府", "市政府各部门(单位)"], [])
    # full names under one 各 stay apart, as do two 各
    assert extract_units("做好己项公开。(责任单位:各乡镇政府、街道办事处,各乡镇、各街道)")[0] == [
        "各乡镇政府", "街道办事处", "各乡镇", "各街道"]


def test_cells_ended_by_their_bar_with_rows_padded_on_the_same_line():
    """A web table copied one cell per line, each cell ended by " |", a row's empty cells
    padded after its last cell on the same line ("一、… | ||"): rows of empty cells share the unit
    cells above them, and a row printing one unit cell of two has the first merged from above
    (the printed cell is its 责任单位)."""
    text = "\n".join([
        "某省2015年政府信息公开工作主要任务分解表",
        "工 作 任 务 |", "牵头单位 |", "责 任 单 位 |",
        "一、推进重点领域信息公开 | ||",
        "(一)推进权力清单公开 | ||",
        "1.甲项信息公开 |", "省编办 |", "省直各部门,各设区市 |",
        "2.乙项信息公开 | ||",
        "(二)推进财政资金信息公开 | ||",
        "3.丙项信息公开 |", "省财政厅 |", "省直各部门 |",
        "4.丁项信息公开 |", "各设区市 | |",
    ])
    assert _tasks(parse_plan_text(text)) == [
        ("一", "推进权力清单公开", "甲项信息公开", ["省编办"], ["省直各部门", "各设区市"], None),
        ("一", "推进权力清单公开", "乙项信息公开", ["省编办"], ["省直各部门", "各设区市"], None),
        ("一", "推进财政资金信息公开", "丙项信息公开", ["省财政厅"], ["省直各部门"], None),
        ("一", "推进财政资金信息公开", "丁项信息公开", ["省财政厅"], ["各设区市"], None),
    ]


def test_a_padded_table_with_status_and_remark_columns_and_points_in_one_cell():
    """Cells ended by " |", the header padded ("||") and holding plain column names (完成情况,
    备注); a numbered 工作任务 cell names the item of the numbered points in its 具体要求 cell,
    each point a task with the row's units; a 备注 cell holding a deadline is the deadline (a
    status is not); the row the stored text stops inside has no whole task."""
    text = "\n".join([
        "某市2022年政务公开重点工作任务清单",
        "工作任务 |", "具 体 要 求 |", "责任单位 |", "完成情况 |", "备注 |", "||",
        "一、年底前专项工作任务 |", "|", "|||||",
        "1.文件集中公开 |",
        "1.开展文件清理,形成目录。2.发布文件标准文本。3.建立专栏集中公开。 |",
        "市政府各部门,各县市区政府 |", "推进中 |", "11月底前完成 |", "||",
        "2.基层公开提升 |",
        "1. 全面公开各领域政府信息。2.公开涉农补贴项目",
    ])
    plan = parse_plan_text(text)
    units = ["市政府各部门", "各县市区政府"]
    assert _tasks(plan) == [
        ("一", "文件集中公开", "开展文件清理,形成目录。", units, [], "11月底前完成"),
        ("一", "文件集中公开", "发布文件标准文本。", units, [], "11月底前完成"),
        ("一", "文件集中公开", "建立专栏集中公开。", units, [], "11月底前完成"),
    ]
    assert [(i.number, i.title) for i in plan.sections[0].items] == [("1", "文件集中公开"), ("2", "基层公开提升")]
    assert [t.number for t in plan.sections[0].items[0].tasks] == ["1", "2", "3"]


def test_a_padded_table_whose_task_column_holds_only_its_headings():
    """Cells ended by " |": 工作任务 holds the 一、 and （三） heading cells of each row (its column
    spans two), a glossed name "贯彻举措(市上统一要求)" and 工作要求 both describe the task ("A：B");
    时限要求 gives the deadline; a unit cell captioned "牵头处室:财务处" takes its column's role."""
    text = "\n".join([
        "某委贯彻落实2021年政务公开工作要点任务分工",
        "工作任务 |", "贯彻举措(市上统一要求) |", "工作要求 |", "时限要求 |", "市级牵头单位 |", "责任单位 | ||",
        "一、深化政务公开 |", "(三)做好财政信息公开。 |", "及时公开本部门财政预决算信息。 |",
        "每年度公开预决算信息 |", "每年度 |", "市财政局 |", "牵头处室:财务处 | |",
        "(四)做好疫情防控信息公开。 |", "切实增强疫情防控信息发布的及时性",
    ])
    plan = parse_plan_text(text)
    assert _tasks(plan) == [
        ("一", "做好财政信息公开", "及时公开本部门财政预决算信息。：每年度公开预决算信息", ["市财政局"], ["财务处"], "每年度"),
    ]
    assert [(i.number, i.title) for i in plan.sections[0].items] == [("（三）", "做好财政信息公开"),
                                                                    ("（四）", "做好疫情防控信息公开")]


def test_units_following_by_reference_lead_joined_by_hui_and_broken_role_words():
    """"各镇(街)参照落实" (units following the others' lead take part, no unit "各镇(街)参照");
    "A牵头会B、C负责" (会 = 会同: A leads, B and C work with it); "牵 头" broken by a PDF's space."""
    assert extract_units("做好甲项公开。(市政府办公室、市发改局牵头,市直有关部门配合;各镇(街)参照落实)") == (
        ["市政府办公室", "市发改局"], ["市直有关部门", "各镇(街)"])
    assert extract_units("做好乙项公开。(市财政局牵头,市直各部门落实;各乡镇参照执行)") == (
        ["市财政局"], ["市直各部门", "各乡镇"])
    assert extract_units("做好丙项公开。(区数据局牵头会区各单位、各镇街负责)") == (["区数据局"], ["区各单位", "各镇街"])
    assert extract_units("做好丁项公开。(市司法局牵 头,各 有关部门配 合)") == (["市司法局"], ["各 有关部门"])


def test_clauses_closed_by_bare_notes_naming_a_ministrys_si():
    """A ministry's 司 (监测司, 大气司) is a unit: each clause of the paragraph closed by a bare note
    "（监测司、大气司）", a space after some notes and none after others, is one task."""
    text = "\n".join([
        "某部落实2019年政务公开工作要点实施方案",
        "一、加强重点信息公开",
        "(一)环境质量信息",
        "实时发布空气质量数据。公布最好的20个城市名单。(监测司、大气司) 公开近岸海域水质信息。(海洋司)"
        "公布排放情况等信息。(气候司)",
        "(二)许可信息",
        "更新发布行政许可事项目录。(人事司、各相关部门) 公开行政处罚决定。(法规司)",
    ])
    plan = parse_plan_text(text)
    assert _tasks(plan) == [
        ("一", "环境质量信息", "实时发布空气质量数据。公布最好的20个城市名单。", ["监测司", "大气司"], [], None),
        ("一", "环境质量信息", "公开近岸海域水质信息。", ["海洋司"], [], None),
        ("一", "环境质量信息", "公布排放情况等信息。", ["气候司"], [], None),
        ("一", "许可信息", "更新发布行政许可事项目录。", ["人事司", "各相关部门"], [], None),
        ("一", "许可信息", "公开行政处罚决定。", ["法规司"], [], None),
    ]


def test_an_item_headings_own_note_over_its_numbered_tasks():
    """"（一）推进X。（A牵头，有关单位负责）" then tasks 1. 2.: the heading's note names the units of
    each task under it that names none of its own."""
    text = "\n".join([
        "2015年某部政府信息公开工作要点",
        "一、推进重点领域信息公开",
        "(一)推进行政权力运行信息公开。(法制司牵头,有关单位负责)",
        "1.全面建立权力清单制度,依法公开行政职权。",
        "2.建立行政审批动态调整机制。(办公厅负责)",
        "(二)推进财政信息公开。",
        "1.公开部门预算。",
    ])
    plan = parse_plan_text(text)
    assert _tasks(plan) == [
        ("一", "推进行政权力运行信息公开", "全面建立权力清单制度,依法公开行政职权。", ["法制司"], ["有关单位"], None),
        ("一", "推进行政权力运行信息公开", "建立行政审批动态调整机制。", ["办公厅"], [], None),
        ("一", "推进财政信息公开", "公开部门预算。", [], [], None),
    ]


def test_pinyin_readings_inside_a_unit_name():
    """A mirror's pinyin reading after some characters ("湘西經(jīng)開區(qū)管委會") is part of the name."""
    assert extract_units("做好甲项。(牽頭單位:州行政審批服務局;責任單位:州司法局,湘西經(jīng)開區(qū)管委會)") == (
        ["州行政審批服務局"], ["州司法局", "湘西經(jīng)開區(qū)管委會"])


def test_bar_rows_broken_before_their_unit_cell_and_points_in_the_measures_cell():
    """`|` rows 工作任务 / 具体要求 / 具体措施 / 牵头落实科室 padded `| ||`: a row broken after its
    measures cell has its unit cell (then the padding) on the next line; a measures cell holding
    "1.A。 2.B。" gives one task per point, each with the row's unit."""
    text = "\n".join([
        "全市工作任务 | 具体要求 | 具体措施 | 牵头落实科室 | |",
        "一、加大主动公开力度 | (一)重大政策决策前公开草案。 | 1.重大决策预公开。广泛听取意见。 2.局制定的政策及时公开。 |",
        "政策科 | |",
        "(二)推进建议提案办理结果公开。 | 所有建议提案及时公开答复。 | 办公室 | ||",
        "(三)纳入主动公开目录 | 1.纳入主动公开基本目录; 2.在年度报告中公布公开情况。 |",
        "各科室、办公室 | ||",
    ])
    plan = parse_plan_text(text)
    assert _tasks(plan) == [
        ("一", "重大政策决策前公开草案", "重大决策预公开。广泛听取意见。", ["政策科"], [], None),
        ("一", "重大政策决策前公开草案", "局制定的政策及时公开。", ["政策科"], [], None),
        ("一", "推进建议提案办理结果公开", "所有建议提案及时公开答复。", ["办公室"], [], None),
        ("一", "纳入主动公开目录", "纳入主动公开基本目录;", ["各科室", "办公室"], [], None),
        ("一", "纳入主动公开目录", "在年度报告中公布公开情况。", ["各科室", "办公室"], [], None),
    ]


def test_a_division_of_work_line_under_each_task():
    """"1.X。" then "分管省领导：name" (a person) and "部门分工：A牵头，各地、各部门配合。": the
    部门分工 line gives the task's units with the roles it marks; it is no part of the text."""
    text = "\n".join([
        "2021年某省政府工作报告重点任务分工方案",
        "一、主要预期目标",
        "1.地区生产总值增长6%以上。",
        "分管省领导:张三",
        "部门分工:省发展改革委牵头,各地、各部门配合。",
        "2.地方一般公共预算收入增长5%左右。",
        "分管省领导:李四",
        "部门分工:省财政厅牵头,各地、各部门配合。",
    ])
    plan = parse_plan_text(text)
    assert _tasks(plan) == [
        ("一", None, "地区生产总值增长6%以上。", ["省发展改革委"], ["各地", "各部门"], None),
        ("一", None, "地方一般公共预算收入增长5%左右。", ["省财政厅"], ["各地", "各部门"], None),
    ]


def test_unit_names_after_the_last_role_word_of_a_note():
    """"A、B按职能分工落实，各镇(街)": names after the note's last role word, with no role of their own,
    lead beside the others; after "A牵头，B配合" they cooperate; a deadline there is no unit."""
    assert extract_units("做好甲项。(区税务局、区财政局按职能分工落实,各镇(街))") == (
        ["区税务局", "区财政局", "各镇(街)"], [])
    assert extract_units("做好乙项。(市发改局牵头,市财政局配合,各镇)") == (["市发改局"], ["市财政局", "各镇"])
    assert extract_units("做好丙项。(市发改局负责,2022年底前)") == (["市发改局"], [])


def test_an_item_headings_sentence_running_on_past_a_line_break():
    """"（四）编制年度报告。指导各地按照" then "《条例》要求编制报告。此项工作由A负责，B配合。": the prose after
    the heading sentence breaks off mid-sentence, however short, and goes on on the next line."""
    text = "\n".join([
        "某省政务公开工作任务",
        "一、工作任务",
        "(四)编制并公布年度报告。指导各地、各部门按照",
        "《条例》要求,编制并公布年度报告。此项工作由省府办公厅负责,省监察厅配合。",
        "(五)规范服务中心建设。起草规范性文件。此项工作由省府办公厅负责,编办配合。",
    ])
    plan = parse_plan_text(text)
    assert _tasks(plan) == [
        ("一", "编制并公布年度报告", "指导各地、各部门按照\n《条例》要求,编制并公布年度报告。", ["省府办公厅"], ["省监察厅"], None),
        ("一", "规范服务中心建设", "起草规范性文件。", ["省府办公厅"], ["编办"], None),
    ]


def test_a_table_printing_its_section_and_item_cells_again():
    """`|` rows 工作要求 / 工作任务 / 具体要求 / 责任单位 whose section and item cells are printed again
    before a later row: the same section and item go on, none is opened twice."""
    text = "\n".join([
        "工作要求 | 工作任务 | 具体要求 | 责任单位 |",
        "一、优化公开基础 | (一)深化文件集中公开。 | 1.推进文件库建设。 | 市司法局 |",
        "(二)推进基层公开规范化。 | 2.动态更新公开目录。 | 市有关单位 |",
        "一、优化公开基础 | (二)推进基层公开规范化。 | 3.加大惠民资金信息公开力度。 | 市财政局 |",
        "(三)规范依申请公开。 | 4.规范使用依申请公开系统。 | 市政府办公室 |",
    ])
    plan = parse_plan_text(text)
    assert [(s.number, [(i.number, len(i.tasks)) for i in s.items]) for s in plan.sections] == [
        ("一", [("（一）", 1), ("（二）", 2), ("（三）", 1)])]


def test_a_pages_field_lines_and_chrome_are_no_title():
    """A crawled page's header: "标题: …关于印发…的通知" then field lines (发布时间: …, • 索引号:…,
    栏目: …) and a "==== 正文 ====" rule before the article: the plan is named by the notice's
    title, not by the last field line; the field lines are no part of the preamble."""
    text = "\n".join([
        "标题: 某省人民政府办公厅关于印发某省2019年政务公开工作主要任务的通知",
        "发布时间: 2019-05-29 09:56",
        "  • 索引号:SY002438160202400030",
        "栏目: 政府信息公开制度",
        "==================== 正文 ====================",
        "为做好2019年政务公开工作，制定本任务。",
        "一、推进决策公开",
        "1.做好重大决策预公开。(责任单位:省发展改革委)",
    ])
    plan = parse_plan_text(text)
    assert plan.title == "某省2019年政务公开工作主要任务"
    assert "发布时间" not in (plan.preamble or "") and "索引号" not in (plan.preamble or "")
