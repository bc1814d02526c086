"""JSON API for tasks and the coordinator's breakdown: a task's history, assignments,
deadlines, sub-tasks, milestones, the reporting cycle."""

from __future__ import annotations

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import FromPath, JSONBody

from tracker.http.guards import planner_guard
from tracker.schemas import (
    MilestoneIn,
    MilestoneOut,
    ReportingIn,
    SubtaskIn,
    TaskDetail,
    TaskPatch,
    TaskVersion,
)
from tracker.services import planning, progress


class PlanningApi(Controller):
    path = "/api"
    tags = ["分工 planning"]

    @get("/tasks/{task_id:int}", operation_id="getTask", tags=["进展 progress"])
    async def task(self, request: Request, task_id: FromPath[int]) -> TaskDetail:
        """A task with every version of its updates and their reviews."""
        return await progress.task_detail(request.user, task_id)

    @patch("/tasks/{task_id:int}", operation_id="editTask", guards=[planner_guard])
    async def edit_task(self, request: Request, task_id: FromPath[int], data: JSONBody[TaskPatch]) -> TaskVersion:
        """Assign units, set the deadline or text; refused with 409 if someone edited it first."""
        edit = planning.TaskEdit(
            lead_unit_ids=data.lead_unit_ids, cooperating_unit_ids=data.cooperating_unit_ids,
            deadline=data.deadline, deadline_text=data.deadline_text, text=data.text)
        version = await planning.edit_task(task_id, edit, data.version, actor=request.user.id)
        return TaskVersion(task_id=task_id, version=version)

    @post("/tasks/{task_id:int}/subtasks", operation_id="addSubtask", status_code=201, guards=[planner_guard])
    async def add_subtask(self, request: Request, task_id: FromPath[int], data: JSONBody[SubtaskIn]) -> TaskVersion:
        """Split a task: add a sub-task with its own lead unit and deadline."""
        new_id = await planning.add_subtask(task_id, data.text, data.lead_unit_ids, data.deadline,
                                            actor=request.user.id)
        return TaskVersion(task_id=new_id, version=1)

    @post("/plans/{plan_id:int}/milestones", operation_id="addMilestone", status_code=201, guards=[planner_guard])
    async def add_milestone(self, request: Request, plan_id: FromPath[int], data: JSONBody[MilestoneIn]) -> MilestoneOut:
        """Add a milestone (节点) to the plan or to one of its tasks."""
        return await planning.add_milestone(plan_id, data.task_id, data.title, data.due_on,
                                           actor=request.user.id)

    @delete("/plans/{plan_id:int}/milestones/{milestone_id:int}", operation_id="deleteMilestone",
            status_code=204, guards=[planner_guard])
    async def delete_milestone(self, request: Request, plan_id: FromPath[int], milestone_id: FromPath[int]) -> None:
        """Remove a milestone."""
        await planning.delete_milestone(plan_id, milestone_id, actor=request.user.id)

    @patch("/plans/{plan_id:int}/reporting", operation_id="setReporting", guards=[planner_guard])
    async def set_reporting(self, request: Request, plan_id: FromPath[int], data: JSONBody[ReportingIn]) -> ReportingIn:
        """Set the monthly due day and the tolerance for "behind"."""
        await planning.set_reporting(plan_id, data.due_day, data.tolerance_percent,
                                     actor=request.user.id)
        return data
