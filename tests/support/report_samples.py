"""Realistic report data for the chart and report tests, built without a database.

Deterministic: the same arguments always give the same data. With n_tasks=20 the totals are
已完成 7, 正常推进 6, 滞后 3, 超期 2, 未启动 2; larger plans repeat that mix.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from tracker.reporting.model import (
    ChangeRow,
    NarrativeRow,
    ReportData,
    TaskRow,
    UnitRow,
)

PLAN_TITLE = "苏州市规划局2018年政务公开工作要点实施方案"
DOC_NUMBER = "苏规办〔2018〕17号"
PERIOD = "2018-09"
AS_OF = date(2018, 10, 5)

SECTIONS = [
    "一、高质量推进政务发布解读回应工作",
    "二、着力提升政务服务公开质量和实效",
    "三、强化政务公开制度保障和平台支撑",
    "四、加强组织领导，推进决策、执行、管理、服务、结果公开",
]
ITEMS = [
    ["（一）重大政策及时向社会发布", "（二）重点领域的公开", "（三）做好政策解读工作",
     "（四）对群众关切及时高效回应"],
    ["（五）推进网上办事服务公开标准化规范化"],
    ["（六）贯彻落实好政府信息公开条例", "（七）加强政府网站和政务新媒体建设"],
    ["（八）强化考核监督"],
]
TASK_TEXTS = [
    "围绕市委、市政府中心工作推进政务公开，结合《政府工作报告》确定的重点工作和任务分工，"
    "选取社会广泛关注、与宏观经济和民生关系密切的重点事项，作为本部门2018年度政务公开工作要点"
    "的重要内容向社会发布。",
    "做好行政许可、行政处罚信息公示。",
    "继续推进人大代表建议和政协委员提案办理结果公开。",
    "制定出台涉及公共利益、公众权益的重大政策文件，依法定程序和要求公开相关内容。",
    "按照职责分工继续做好城乡规划的信息公开工作；重大建设项目的规划审核服务情况向社会公开。",
    "积极开展“政策简明问答”活动，由局办公室牵头，联合政策制定业务部门、宣传部门解读重点政策，"
    "通过一问一答方式进行解读，拓展新媒体传播渠道。",
    "用好“两微一端”新平台，做好新平台信息发布和互动回应工作。",
    "对涉及群众切身利益的行政许可，如选址意见书、建设用地规划许可、规划建筑方案等实施批前公示，"
    "征求利害关系人意见。",
    "深化“不见面审批（服务）”改革，再造网上办事流程，全面公开网上办事服务信息。",
    "对照新条例全面梳理应该主动公开的政府信息，优化调整主动公开目录（含 $x$ 之类的字符）。",
]
UNITS = [
    "局办公室",
    "政策法规处",
    "规划编制处",
    "建设用地规划管理处",
    "信息中心",
    "吴中分局",
    "相城分局",
    "姑苏分局",
    "市规划编制研究中心",
    "市规划展示馆",
]
STATUS_MIX = ["done"] * 7 + ["on_track"] * 6 + ["behind"] * 3 + ["overdue"] * 2 + ["not_started"] * 2
PERCENT = {"done": 100, "on_track": 60, "behind": 30, "overdue": 70, "not_started": 0}
DEADLINES = [("2018-06-30", "2018年6月底前"), ("2018-09-30", "2018年9月底前"),
             ("2018-12-31", "2018年12月底前"), ("ongoing", "持续推进"), (None, None)]


def sample_tasks(n_tasks: int, units: list[str]) -> list[TaskRow]:
    """Tasks in plan order: the sections share the tasks in blocks, items likewise."""
    tasks = []
    for i in range(n_tasks):
        section_index = i * len(SECTIONS) // n_tasks
        first = -(-section_index * n_tasks // len(SECTIONS))  # first task of this section
        in_section = -(-(section_index + 1) * n_tasks // len(SECTIONS)) - first
        items = ITEMS[section_index]
        item = items[(i - first) * len(items) // in_section]
        status = STATUS_MIX[i * 7 % len(STATUS_MIX)]  # 7 is coprime with 20: mixed, same totals
        deadline, deadline_text = DEADLINES[i % len(DEADLINES)]
        if status == "overdue":
            deadline, deadline_text = "2018-09-30", "2018年9月底前"
        if status in ("done", "not_started"):
            percent = PERCENT[status]
        else:
            percent = PERCENT[status] - (i % 3) * 5
        tasks.append(TaskRow(
            section=SECTIONS[section_index],
            item=item,
            number=f"{i + 1}.",
            text=TASK_TEXTS[i % len(TASK_TEXTS)],
            lead_units=[units[i % len(units)]],
            cooperating_units=[units[(i + 2) % len(units)]] if i % 3 == 0 else [],
            deadline=deadline,
            deadline_text=deadline_text,
            percent=percent,
            status=status,
            expected=None if status in ("done", "not_started") or deadline == "ongoing"
            else 75.0,
            last_period=None if status == "not_started" else ("2018-08" if i % 7 == 3 else PERIOD),
        ))
    return tasks


def sample_report_data(n_tasks: int = 20, n_units: int = 6, *, edition: str = "detail",
                       unit_name: str | None = None) -> ReportData:
    units = UNITS[:n_units]
    tasks = sample_tasks(n_tasks, units)
    totals = {status: sum(t.status == status for t in tasks)
              for status in ("done", "on_track", "behind", "overdue", "not_started")}
    totals["total"] = len(tasks)
    plan_percent = round(sum(t.percent for t in tasks) / max(len(tasks), 1), 1)

    sections = []
    for title in SECTIONS:
        own = [t.percent for t in tasks if t.section == title]
        if own:
            sections.append((title, round(sum(own) / len(own), 1)))

    unit_rows = []
    for k, name in enumerate(units):
        own = [t for t in tasks if name in t.lead_units]
        due = len(own) * 6
        missing = k % 3
        late = k % 2
        on_time = max(due - missing - late, 0)
        unit_rows.append(UnitRow(
            name=name, tasks=len(own),
            percent=round(sum(t.percent for t in own) / len(own), 1) if own else 0.0,
            timeliness=round(on_time * 100 / due, 1) if due else None,
            due=due, on_time=on_time, late=late, missing=missing, rank=None))
    unit_rows.sort(key=lambda u: (-u.percent, -(u.timeliness or 0)))
    unit_rows = [replace(u, rank=r + 1) for r, u in enumerate(unit_rows)]

    changes = [
        ChangeRow(task=t.text[:30], unit=t.lead_units[0],
                  from_percent=None if i == 0 else max(t.percent - 20, 0), to_percent=t.percent,
                  from_status=None if i == 0 else "on_track", to_status=t.status)
        for i, t in enumerate(tasks[: max(3, n_tasks // 4)])
    ]
    late = [t for t in tasks if t.status in ("overdue", "behind")]
    narratives = [
        NarrativeRow(
            unit=t.lead_units[0], task=t.text[:40], period=PERIOD,
            work_done="本月召开专题会议1次，完成主动公开目录梳理，\n在局门户网站公开信息23条。",
            problems="个别业务处室报送不及时。" if i % 2 else "无。",
            next_steps="下月完成目录调整并报市政府办公室备案。",
        )
        for i, t in enumerate(tasks[: max(4, n_tasks // 5)])
    ]
    months = ["2018-03", "2018-04", "2018-05", "2018-06", "2018-07", "2018-08", "2018-09"]
    trend = [(month, round(plan_percent * (k + 1) / len(months), 1),
              totals["done"] * (k + 1) // len(months)) for k, month in enumerate(months)]
    milestones = [
        ("印发年度工作要点实施方案", date(2018, 8, 1), "done"),
        ("上半年工作总结报送市政府办公室", date(2018, 7, 10), "done"),
        ("政务公开第三方评估自查", date(2018, 9, 30), "missed"),
        ("新条例配套制度修订", date(2018, 11, 30), "pending"),
        ("年度政务公开工作报告", date(2018, 12, 31), "pending"),
    ]
    return ReportData(
        plan_title=PLAN_TITLE, doc_number=DOC_NUMBER, issuer="苏州市规划局", period=PERIOD,
        as_of=AS_OF, generated_at=datetime(2018, 10, 6, 9, 30), edition=edition,
        unit_name=unit_name, totals=totals, plan_percent=plan_percent,
        not_reported=[u.name for u in unit_rows if u.missing >= 2][:3],
        sections=sections, units=unit_rows,
        ranking_rule="按平均完成率从高到低排名；完成率相同的，按报送及时率排名。"
                     "报送及时率 = 按时报送次数 ÷ 应报送次数。",
        trend=trend, milestones=milestones, tasks=tasks, changes=changes, late=late,
        narratives=narratives,
    )
