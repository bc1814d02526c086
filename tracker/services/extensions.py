"""Extension requests (延期申请): a unit asks for a later deadline with a reason; the
coordinator approves or refuses. The task keeps its original deadline; an approved request
moves the deadline used for status from the moment it was approved."""

from __future__ import annotations

import datetime as dt

from tracker.db import Statement, write_transaction
from tracker.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from tracker.domain.plan_model import LEAD
from tracker.domain.roles import PLANNERS, REPORTER
from tracker.notify import messages
from tracker.notify.messages import TaskRef
from tracker.schemas import ExtensionOut
from tracker.services import audit, inbox
from tracker.services.access import task_access
from tracker.services.accounts import CurrentUser
from tracker.tables import ExtensionRequest, Plan, Task, User

MAX_REASON = 1000
DECISIONS = {"approve": "approved", "refuse": "refused"}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds") if value else None


_COLUMNS = (ExtensionRequest.all_columns(), ExtensionRequest.unit.name,
            ExtensionRequest.requested_by.display_name, ExtensionRequest.task.deadline,
            ExtensionRequest.task.ongoing)


async def _task_ref(task_id: int) -> TaskRef:
    row = await Task.select(Task.number, Task.text).where(Task.id == task_id).first()
    return TaskRef(task_id, row["number"], row["text"])


async def _plan_title(plan_id: int) -> str:
    row = await Plan.select(Plan.title).where(Plan.id == plan_id).first()
    return row["title"] if row else ""


async def _out(rows: list[dict]) -> list[ExtensionOut]:
    decided_by = [r["decided_by"] for r in rows if r["decided_by"]]
    deciders = {row["id"]: row["display_name"] for row in await User.select(
        User.id, User.display_name).where(User.id.is_in(decided_by))} if decided_by else {}
    return [
        ExtensionOut(
            id=row["id"], task_id=row["task"], unit_name=row["unit.name"],
            requested_by=row["requested_by.display_name"],
            requested_deadline=row["requested_deadline"].isoformat(),
            original_deadline="ongoing" if row["task.ongoing"] else (
                row["task.deadline"].isoformat() if row["task.deadline"] else None),
            reason=row["reason"], created_at=_iso(row["created_at"]), decision=row["decision"],
            decided_by=deciders.get(row["decided_by"]), decided_at=_iso(row["decided_at"]),
            comment=row["comment"])
        for row in rows
    ]


async def for_task(user: CurrentUser, task_id: int) -> list[ExtensionOut]:
    await task_access(user, task_id)
    rows = await ExtensionRequest.select(*_COLUMNS).where(ExtensionRequest.task == task_id).order_by(
        ExtensionRequest.id, ascending=False)
    return await _out(rows)


# The requests waiting for a decision, as _COLUMNS gives them, of every plan or of one: read
# on every 催报 page, so compiled once (Piccolo built the four-way join anew each time).
_PENDING_SQL = (
    'SELECT e.*, u.name AS "unit.name", r.display_name AS "requested_by.display_name", '
    't.deadline AS "task.deadline", t.ongoing AS "task.ongoing" FROM extension_request e '
    "JOIN unit u ON u.id = e.unit JOIN app_user r ON r.id = e.requested_by "
    "JOIN task t ON t.id = e.task WHERE e.decision IS NULL{plan} ORDER BY e.id")
_PENDING = Statement(_PENDING_SQL.format(plan=""))
_PENDING_OF_PLAN = Statement(_PENDING_SQL.format(plan=" AND t.plan = {}"))


async def pending(plan_id: int | None = None) -> list[ExtensionOut]:
    if plan_id is None:
        return await _out(await _PENDING.fetch(ExtensionRequest._meta.db))
    return await _out(await _PENDING_OF_PLAN.fetch(ExtensionRequest._meta.db, plan_id))


async def request_extension(user: CurrentUser, task_id: int, requested_deadline: str,
                            reason: str) -> ExtensionOut:
    """Only the lead unit asks: it owns the task's deadline."""
    if user.role != REPORTER:
        raise Forbidden("只有牵头单位的填报人可以申请延期", "role")
    access = await task_access(user, task_id)
    if access.my_role != LEAD:
        raise Forbidden("只有牵头单位可以申请延期", "role")
    try:
        deadline = dt.date.fromisoformat((requested_deadline or "").strip())
    except ValueError:
        raise InvalidInput(f"申请的完成时限“{str(requested_deadline)[:20]}”无效，应为 YYYY-MM-DD",
                           "requested_deadline") from None
    current = access.task["deadline"]
    if access.task["ongoing"] or current is None:
        raise InvalidInput("该任务没有具体完成时限（持续推进），无需申请延期", "requested_deadline")
    if deadline <= current:
        raise InvalidInput(f"申请的完成时限须晚于原时限 {current}", "requested_deadline")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请写明延期理由", "reason")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"延期理由不能超过{MAX_REASON}字", "reason")
    async with write_transaction(ExtensionRequest._meta.db):
        if await ExtensionRequest.exists().where(ExtensionRequest.task == task_id,
                                                 ExtensionRequest.decision.is_null()):
            raise Conflict("该任务已有待审批的延期申请", "task_id")
        row = (await ExtensionRequest.insert(ExtensionRequest(
            task=task_id, unit=user.unit_id, requested_by=user.id, requested_deadline=deadline,
            reason=reason, created_at=_now())).returning(ExtensionRequest.id))[0]
        await audit.record(user.id, "extension.request", "extension_request", row["id"],
                           f"申请任务 {task_id} 延期至 {deadline}", plan_id=access.task["plan"],
                           before={"deadline": current.isoformat()},
                           after={"requested_deadline": deadline.isoformat(), "reason": reason})
        notice = messages.extension_requested(
            access.task["plan"], await _plan_title(access.task["plan"]), await _task_ref(task_id),
            user.unit_name or "", deadline, reason)
        await inbox.notify_coordinators("extension_requested", notice.title, notice.text,
                                        f"/tasks/{task_id}", f"extension_requested:{row['id']}")
    return (await _out(await ExtensionRequest.select(*_COLUMNS).where(
        ExtensionRequest.id == row["id"])))[0]


async def decide(user: CurrentUser, request_id: int, decision: str, comment: str) -> ExtensionOut:
    if user.role not in PLANNERS:
        raise Forbidden("只有协调人可以审批延期申请", "role")
    if decision not in DECISIONS:
        raise InvalidInput(f"未知审批结果“{str(decision)[:20]}”（可用：approve、refuse）", "decision")
    comment = (comment or "").strip()
    if DECISIONS[decision] == "refused" and not comment:
        raise InvalidInput("不同意延期时请写明理由", "comment")
    if len(comment) > MAX_REASON:
        raise InvalidInput(f"审批意见不能超过{MAX_REASON}字", "comment")
    async with write_transaction(ExtensionRequest._meta.db):
        # The WHERE clause only matches a pending request: two coordinators deciding at once
        # cannot both win.
        updated = await ExtensionRequest.update({
            ExtensionRequest.decision: DECISIONS[decision], ExtensionRequest.decided_by: user.id,
            ExtensionRequest.decided_at: _now(), ExtensionRequest.comment: comment,
        }).where(ExtensionRequest.id == request_id,
                 ExtensionRequest.decision.is_null()).returning(ExtensionRequest.id)
        if not updated:
            if not await ExtensionRequest.exists().where(ExtensionRequest.id == request_id):
                raise NotFound(f"延期申请 {request_id} 不存在", "request_id")
            raise Conflict("该延期申请已审批过", "request_id")
        row = await ExtensionRequest.select(ExtensionRequest.task, ExtensionRequest.requested_deadline,
                                            ExtensionRequest.task.plan).where(
            ExtensionRequest.id == request_id).first()
        await audit.record(user.id, "extension.decide", "extension_request", request_id,
                           f"{'同意' if decision == 'approve' else '不同意'}任务 {row['task']} 延期至 "
                           f"{row['requested_deadline']}", plan_id=row["task.plan"],
                           after={"decision": DECISIONS[decision], "comment": comment})
        request = await ExtensionRequest.select(
            ExtensionRequest.unit, ExtensionRequest.task.deadline).where(
            ExtensionRequest.id == request_id).first()
        notice = messages.extension_decided(
            row["task.plan"], await _plan_title(row["task.plan"]), await _task_ref(row["task"]),
            DECISIONS[decision] == "approved", request["task.deadline"], row["requested_deadline"],
            user.display_name, comment)
        await inbox.notify_unit(request["unit"], "extension_decided", notice.title, notice.text,
                                f"/tasks/{row['task']}", f"extension_decided:{request_id}")
    return (await _out(await ExtensionRequest.select(*_COLUMNS).where(
        ExtensionRequest.id == request_id)))[0]
