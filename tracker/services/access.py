"""Who may open which task: the task row and this user's part in it, or NotFound."""

from __future__ import annotations

from dataclasses import dataclass

from tracker.domain.errors import NotFound
from tracker.domain.roles import may_see_task
from tracker.services.accounts import CurrentUser
from tracker.tables import Task, TaskUnit


@dataclass(frozen=True)
class TaskAccess:
    task: dict
    my_role: str | None


async def task_access(user: CurrentUser, task_id: int) -> TaskAccess:
    """The task if this user may see it. A reporter sees only its unit's tasks; others get 404."""
    task = await Task.select().where(Task.id == task_id).first()
    my_role = None
    if task is not None and user.unit_id is not None:
        link = await TaskUnit.select(TaskUnit.role).where(
            TaskUnit.task == task_id, TaskUnit.unit == user.unit_id).first()
        my_role = link["role"] if link else None
    if task is None or not may_see_task(user.role, my_role):
        raise NotFound(f"任务 {task_id} 不存在或不属于本单位", "task_id")
    return TaskAccess(task=task, my_role=my_role)
