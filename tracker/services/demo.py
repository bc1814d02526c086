"""Demo data: the 2018 seed plan with its sample assignment, and an account for every role."""

from __future__ import annotations

import datetime as dt
import random

from tracker.domain.errors import Conflict
from tracker.domain.plan_templates import load_template
from tracker.domain.roles import ROLE_LABELS
from tracker.services import accounts
from tracker.services.database import migrate
from tracker.services.demo_data import add_history
from tracker.services.plans import find_same_plan, import_plan
from tracker.settings import PROJECT_ROOT
from tracker.tables import User

SEED_TEMPLATE = PROJECT_ROOT / "plan_templates" / "suzhou_planning_2018.yaml"
DEMO_PASSWORD = "demo-2018"
# (user name, name, role, unit): one per role, and a reporter for a lead and a cooperating unit.
DEMO_ACCOUNTS = [
    ("admin", "系统管理员", "admin", None),
    ("office", "王协调（局办公室）", "coordinator", "局办公室"),
    ("leader", "李局长", "leader", None),
    ("clerk", "钱填报（局办公室）", "reporter", "局办公室"),
    ("policy", "张填报（政策法规处）", "reporter", "政策法规处"),
    ("info", "陈填报（信息中心）", "reporter", "信息中心"),
    ("permits", "刘填报（行政许可处）", "reporter", "行政许可处"),
    ("landuse", "赵填报（用地规划处）", "reporter", "用地规划处"),
    ("building", "孙填报（建筑规划处）", "reporter", "建筑规划处"),
    ("municipal", "周填报（市政规划处）", "reporter", "市政规划处"),
    ("gusu", "吴填报（姑苏分局）", "reporter", "姑苏分局"),
]
# Five months of history, as the office would have it at the start of 2019.
DEMO_PERIODS = ["2018-08", "2018-09", "2018-10", "2018-11", "2018-12"]
DEMO_TODAY = dt.date(2019, 1, 10)


async def load_demo() -> list[str]:
    """Migrate, load the seed plan and demo accounts unless already there. Lines to print."""
    await migrate()
    lines = []
    template = load_template(SEED_TEMPLATE.read_text(encoding="utf-8"))
    existing = await find_same_plan(template.plan)
    if existing is None:
        summary = await import_plan(template, source_name=SEED_TEMPLATE.name)
        lines.append(f"已载入示例计划 {summary.plan_id}：{summary.title}（任务 {summary.tasks} 项）")
    else:
        lines.append(f"示例计划已存在（计划 {existing}）：{template.plan.title}")
    lines.append(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
    users: dict[str, int] = {}
    for username, name, role, unit in DEMO_ACCOUNTS:
        unit_id = await accounts.unit_id_by_name(unit) if unit else None
        try:
            users[username] = (await accounts.add_user(username, name, DEMO_PASSWORD, role, unit_id)).id
        except Conflict:
            pass  # already created by an earlier run
        lines.append(f"  {username:<10}{ROLE_LABELS[role]}{'（' + unit + '）' if unit else ''}")
    if existing is None:
        plan_id = summary.plan_id
        submitters = {row["unit"]: row["id"] for row in await User.select(User.unit, User.id).where(
            User.role == "reporter", User.username.is_in(list(users)))}
        history = await add_history(plan_id, DEMO_PERIODS, submitters, users["office"],
                                    random.Random(2018), today=DEMO_TODAY)
        lines.insert(1, f"已生成 2018年8-12月的进展填报 {history.updates} 条、审核 {history.reviews} 条")
    return lines
