"""The world most API tests start from: MINIMAL imported through the real service, which
creates its units: task 1 "做好公开" is led by 局办公室 with 法规处 cooperating, its sub-task is
led by 法规处. 其他处 has no part in the plan. One user per role, with bearer headers."""

from __future__ import annotations

from dataclasses import dataclass

from tests.support.factories import bearer, make_unit, make_user
from tests.support.samples import MINIMAL
from tracker.domain.plan_parsing.plan_source import load_plan_source
from tracker.services import plans
from tracker.services.accounts import CurrentUser
from tracker.tables import Task, Unit

PDF = b"%PDF-1.4\n% evidence\n"


@dataclass
class World:
    plan_id: int
    task_id: int  # 做好公开: lead 局办公室, cooperating 法规处
    subtask_id: int  # 子任务: lead 法规处
    ongoing_task_id: int  # 持续任务: nobody assigned
    units: dict[str, int]
    coordinator: CurrentUser
    lead: CurrentUser  # reporter of 局办公室
    coop: CurrentUser  # reporter of 法规处
    other: CurrentUser  # reporter of 其他处
    leader: CurrentUser
    admin: CurrentUser
    h: dict[str, dict[str, str]]  # bearer headers by the role names above


async def build_world(template: str = MINIMAL) -> World:
    summary = await plans.import_plan(load_plan_source(template.encode(), "p.yaml"),
                                      source_name="p.yaml")
    assert summary.units_created == ["局办公室", "法规处"]
    units = {row["name"]: row["id"] for row in await Unit.select(Unit.id, Unit.name)}
    units["其他处"] = await make_unit("其他处")
    tasks = {row["text"]: row["id"] for row in await Task.select(Task.id, Task.text)}
    users = {
        "coordinator": await make_user("coordinator", units["局办公室"]),
        "lead": await make_user("reporter", units["局办公室"]),
        "coop": await make_user("reporter", units["法规处"]),
        "other": await make_user("reporter", units["其他处"]),
        "leader": await make_user("leader"),
        "admin": await make_user("admin"),
    }
    return World(plan_id=summary.plan_id, task_id=tasks["做好公开"], subtask_id=tasks["子任务"],
                 ongoing_task_id=tasks["持续任务"], units=units, **users,
                 h={name: await bearer(user) for name, user in users.items()})


def update_body(**changes) -> dict:
    return {"period": "2018-09", "percent": 40, "state": "in_progress",
            "work_done": "已梳理本局公开目录", **changes}


def form_body(**changes) -> dict[str, str]:
    return {key: str(value) for key, value in update_body(**changes).items()}


