"""Plans around the 2018 seed plan: its parent plan, the next year's plan and a revised
document, each built from the seed with the changes such documents really have."""

from __future__ import annotations

import copy
import textwrap
from dataclasses import replace

from tests.support.samples import SEED_TEMPLATE
from tracker.domain.plan_templates import PlanTemplate, iter_tasks, load_template

# The city plan the seed plan implements (its preamble names it), as a few clauses in the
# city's own words: five implemented by seed tasks, one (政务公开培训) by none.
PARENT_2018 = textwrap.dedent("""\
    plan:
      title: 苏州市2018年政务公开工作要点实施方案
      issuer: 苏州市人民政府办公室
      doc_number: 苏府办〔2018〕120号
      issued_on: 2018-06-01
      year: 2018
    units: [市各部门]
    sections:
      - number: 一
        title: 推进政务发布解读回应
        items:
          - number: （一）
            title: 加强政策解读
            tasks:
              - number: 1
                text: 落实政策文件解读实施办法，按照谁起草谁解读的原则，政策文件与解读方案、解读材料同步组织、同步审签、同步部署。
                lead_units: [市各部门]
              - number: 2
                text: 用好两微一端新平台，发挥政务微博、微信、移动客户端优势，做好信息发布和互动回应。
                lead_units: [市各部门]
          - number: （二）
            title: 推进重点领域公开
            tasks:
              - number: 3
                text: 推进人大代表建议和政协委员提案办理结果公开。
                lead_units: [市各部门]
              - number: 4
                text: 做好新修订的政府信息公开条例学习培训和新旧条例衔接过渡工作。
                lead_units: [市各部门]
              - number: 5
                text: 完善政府网站安全保障机制，落实安全防护措施，确保网站安全可靠运行。
                lead_units: [市各部门]
              - number: 6
                text: 每年组织开展不少于两次面向窗口工作人员的业务轮训。
                lead_units: [市各部门]
""")

NOT_A_PLAN = "苏州市规划局关于召开政务公开工作会议的通知\n请各处室负责同志于8月10日上午9点准时参会。\n"


def seed() -> PlanTemplate:
    return load_template(SEED_TEMPLATE.read_text(encoding="utf-8"))


def _tasks(template: PlanTemplate):
    return list(iter_tasks(template.plan))


def _next_year(date: str | None) -> str | None:
    if not date or date == "ongoing":
        return date
    return str(int(date[:4]) + 1) + date[4:]


REWORDED_2019 = ("围绕市委、市政府中心工作，结合《政府工作报告》确定的重点工作，选取社会广泛关注、"
                 "与宏观经济和民生关系密切的重点事项，作为本部门2019年度政务公开工作要点向社会发布。")
ADDED_2019 = "做好自然资源和规划领域机构改革后权责清单的调整和公开工作。"


def plan_2019() -> PlanTemplate:
    """The bureau's 2019 plan as a document gives it: the seed's tasks a year later, with no
    assignment written (the coordinator carries it over), task 一（一）1 reworded, the
    pilot task (试点工作, finished in 2018) dropped, one new task added."""
    template = copy.deepcopy(seed())
    plan = template.plan
    for task in iter_tasks(plan):
        task.lead_units, task.cooperating_units, task.milestones = [], [], []
        task.deadline = _next_year(task.deadline)
        task.deadline_text = _next_year(task.deadline_text) if task.deadline_text else None
    first = plan.sections[0].items[0].tasks[0]
    first.text = REWORDED_2019
    for section in plan.sections:
        for item in section.items:
            item.tasks = [t for t in item.tasks if "试点工作" not in t.text]
    pilot_item = next(i for s in plan.sections for i in s.items if "试点" in (i.title or ""))
    pilot_item.tasks.append(replace(first, number=None, text=ADDED_2019, deadline="2019-06-30",
                                    deadline_text="2019年6月底前"))
    template.plan = replace(plan, title=plan.title.replace("2018", "2019"),
                            doc_number="苏规办〔2019〕9号", issued_on="2019-03-01", year=2019,
                            interpretation=None)
    template.units, template.milestones = [], []
    return template


REWORDED_REVISION = "做好行政许可、行政处罚和行政强制信息公示，在作出决定之日起7个工作日内上网公开。"
ADDED_REVISION = "年内编制并公开本局政务公开事项标准目录。"


def revised_2018() -> PlanTemplate:
    """A revised document of the same 2018 plan (same 文号, same year): task 一（一）2
    reworded, 一（一）3 removed, 一（三）first task moved to （四）, the website-security
    task given to 局办公室 with a November deadline, one task added."""
    template = copy.deepcopy(seed())
    items = [i for s in template.plan.sections for i in s.items]
    first_item = items[0]
    first_item.tasks[1].text = REWORDED_REVISION
    del first_item.tasks[2]
    moved = items[2].tasks.pop(0)
    items[3].tasks.append(moved)
    security = next(t for t in iter_tasks(template.plan) if t.text.startswith("完善政府网站安全保障"))
    security.lead_units, security.cooperating_units = ["局办公室"], ["信息中心"]
    security.deadline, security.deadline_text = "2018-11-30", "2018年11月底前"
    items[-1].tasks.append(replace(security, number=None, text=ADDED_REVISION, lead_units=["信息中心"],
                                   cooperating_units=[], deadline="2018-12-31",
                                   deadline_text="2018年12月底前", milestones=[], subtasks=[]))
    return template


def seed_with_doc_number(doc_number: str) -> PlanTemplate:
    template = seed()
    template.plan = replace(template.plan, doc_number=doc_number)
    return template


def seed_as_parent() -> PlanTemplate:
    """The bureau's own plan offered as its parent: same issuer, same year."""
    return seed_with_doc_number("苏规办〔2018〕18号")
