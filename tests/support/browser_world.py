"""Run once on the browser tests' server data, after `tracker demo load`: a unit that has not
reported yet (宣传处, with the reporter `xuanchuan`), made the lead of one of 信息中心's tasks,
so that the coordinator has someone to chase (the demo's units have all reported).

    python -m tests.support.browser_world   (TRACKER_DATA_DIR set to the server's)
"""

from __future__ import annotations

import asyncio

from tracker.services import accounts, planning
from tracker.services.database import close_pool, open_pool
from tracker.tables import Task, TaskUnit

UNIT = "宣传处"
USERNAME = "xuanchuan"
DISPLAY_NAME = "郑填报（宣传处）"
PASSWORD = "demo-2018"
DONOR = "信息中心"


async def prepare() -> int:
    await open_pool()
    try:
        unit = await accounts.add_unit(UNIT)
        await accounts.add_user(USERNAME, DISPLAY_NAME, PASSWORD, "reporter", unit.id)
        donor = await accounts.unit_id_by_name(DONOR)
        led = [row["task"] for row in await TaskUnit.select(TaskUnit.task).where(
            TaskUnit.unit == donor, TaskUnit.role == "lead").order_by(TaskUnit.task)]
        task = await Task.select(Task.id, Task.version).where(
            Task.id.is_in(led), Task.parent.is_null(), Task.deadline.is_not_null()).order_by(
            Task.id).first()
        await planning.edit_task(task["id"], planning.TaskEdit(lead_unit_ids=[unit.id]),
                                 task["version"])
        # Given from the plan's start, so the demo's 2018 periods owe it (assignments are as-of).
        await TaskUnit.update({TaskUnit.created_at: None}).where(
            TaskUnit.task == task["id"], TaskUnit.unit == unit.id)
        return task["id"]
    finally:
        await close_pool()


if __name__ == "__main__":
    print(asyncio.run(prepare()))
