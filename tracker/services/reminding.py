"""催报 by hand: a coordinator reminds one unit, or every unit that has not reported, of a
period's updates. Each reminder goes through the configured channels (the outbox) and as an
in-app notice to the unit's reporters, and is recorded (who, when, which unit, which channels,
for which period), all in one transaction.

Once per unit, period and day: a second click that day sends nothing and says so, unless the
coordinator asks for 再次催报 (``again``), which records the next sequence number. The unique
key (plan, unit, period, day, sequence) settles two coordinators clicking at the same moment.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from tracker.db import Statement, write_transaction
from tracker.domain.errors import Forbidden, InvalidInput
from tracker.domain.roles import PLANNERS
from tracker.domain.status import DEFAULT_TZ
from tracker.domain.status import today as local_today
from tracker.notify import messages
from tracker.notify.messages import TaskRef
from tracker.services import audit, chasing, inbox
from tracker.services.accounts import CurrentUser
from tracker.services.outbox import enqueue
from tracker.tables import ChaseRecord, NotificationChannel, Plan, Task, Unit, User

IN_APP = "站内通知"
SENT, ALREADY, NOTHING_OWED = "sent", "already", "nothing_owed"


@dataclass(frozen=True)
class ChaseOutcome:
    unit_id: int
    unit_name: str
    result: str  # sent | already | nothing_owed
    message: str  # what the coordinator reads, in Chinese
    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChaseEntry:
    unit_id: int
    unit_name: str
    period: str
    day: dt.date
    sequence: int
    reminded_at: dt.datetime
    reminded_by: str
    channels: tuple[str, ...]
    tasks: int
    recipients: int


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _clock(moment: dt.datetime) -> str:
    return moment.astimezone(DEFAULT_TZ).strftime("%H:%M")


def _is_unique_violation(error: Exception) -> bool:
    return "unique" in f"{type(error).__name__} {error}".lower()


async def _task_refs(task_ids: list[int]) -> list[TaskRef]:
    rows = await Task.select(Task.id, Task.number, Task.text).where(
        Task.id.is_in(task_ids or [0])).order_by(Task.id)
    return [TaskRef(row["id"], row["number"], row["text"]) for row in rows]


async def remind(user: CurrentUser, plan_id: int, period: str | None,
                 unit_ids: list[int] | None = None, again: bool = False,
                 today: dt.date | None = None) -> list[ChaseOutcome]:
    """Remind the given units (None: every unit with unreported tasks) of the period."""
    if user.role not in PLANNERS:
        raise Forbidden("只有协调人可以催报", "role")
    today = today or local_today()
    chase = await chasing.chasing(plan_id, period, today)
    owed = {unit.unit_id: unit for unit in chase.not_reported}
    names = {row["id"]: row["name"] for row in await Unit.select(Unit.id, Unit.name)}
    targets = list(owed) if unit_ids is None else unit_ids
    for unit_id in targets:
        if unit_id not in names:
            raise InvalidInput(f"单位 {unit_id} 不存在", "unit_id")
    plan = await Plan.select(Plan.title).where(Plan.id == plan_id).first()
    due_on = dt.date.fromisoformat(chase.due_on)
    outcomes = []
    for unit_id in targets:
        if unit_id not in owed:
            outcomes.append(ChaseOutcome(unit_id, names[unit_id], NOTHING_OWED,
                                         messages.chase_nothing_owed(names[unit_id], chase.period)))
            continue
        tasks = await _task_refs(owed[unit_id].missing_task_ids)
        outcomes.append(await _remind_unit(user, plan_id, plan["title"], chase.period, due_on,
                                           unit_id, names[unit_id], tasks, again, today))
    return outcomes


async def _remind_unit(user: CurrentUser, plan_id: int, plan_title: str, period: str,
                       due_on: dt.date, unit_id: int, unit_name: str, tasks: list[TaskRef],
                       again: bool, today: dt.date) -> ChaseOutcome:
    notice = messages.reminder(plan_id, plan_title, period, due_on, unit_id, unit_name, tasks)
    try:
        async with write_transaction(ChaseRecord._meta.db):
            earlier = await ChaseRecord.select(ChaseRecord.sequence, ChaseRecord.reminded_at).where(
                ChaseRecord.plan == plan_id, ChaseRecord.unit == unit_id,
                ChaseRecord.period == period, ChaseRecord.day == today,
            ).order_by(ChaseRecord.sequence, ascending=False).first()
            if earlier is not None and not again:
                return ChaseOutcome(unit_id, unit_name, ALREADY, messages.chase_already_sent(
                    unit_name, period, _clock(earlier["reminded_at"])))
            sequence = earlier["sequence"] + 1 if earlier else 1
            key = f"chase:{plan_id}:{period}:{unit_id}:{today.isoformat()}:{sequence}"
            queued = await enqueue(notice, key, plan_id)
            recipients = await inbox.notify_unit(unit_id, "reminder", notice.title,
                                                 messages.in_app_text(notice),
                                                 f"/my?period={period}", key)
            channel_names = [IN_APP] + await _channel_names([q.channel_id for q in queued])
            await ChaseRecord.insert(ChaseRecord(
                plan=plan_id, unit=unit_id, period=period, day=today, sequence=sequence,
                reminded_by=user.id, reminded_at=_now(), channels=json.dumps(
                    channel_names, ensure_ascii=False), tasks=len(tasks), recipients=recipients))
            await audit.record(user.id, "chase.remind", "unit", unit_id,
                               f"催报{unit_name} {period} 进展（第 {sequence} 次）", plan_id=plan_id,
                               after={"period": period, "unit": unit_name, "tasks": len(tasks),
                                      "channels": channel_names})
    except Exception as error:
        if not _is_unique_violation(error):
            raise
        # Another coordinator's reminder for this unit went in at the same moment.
        return ChaseOutcome(unit_id, unit_name, ALREADY,
                            messages.chase_already_sent(unit_name, period, _clock(_now())))
    return ChaseOutcome(unit_id, unit_name, SENT,
                        messages.chase_sent(unit_name, period, len(tasks), channel_names),
                        tuple(channel_names))


async def _channel_names(channel_ids: list[int]) -> list[str]:
    if not channel_ids:
        return []
    rows = await NotificationChannel.select(NotificationChannel.id, NotificationChannel.name).where(
        NotificationChannel.id.is_in(channel_ids))
    names = {row["id"]: row["name"] for row in rows}
    return [names[channel_id] for channel_id in channel_ids if channel_id in names]


# Read on every 催报 page: compiled once (Piccolo built the joined query anew each time).
_HISTORY = Statement(
    'SELECT c.*, u.name AS "unit.name" FROM chase_record c JOIN unit u ON u.id = c.unit '
    "WHERE c.plan = {} AND c.period = {} ORDER BY u.name, c.id DESC")


async def history(plan_id: int, period: str) -> list[ChaseEntry]:
    """The period's reminders, unit by unit, newest first within each unit."""
    rows = await _HISTORY.fetch(ChaseRecord._meta.db, plan_id, period)
    by = [r["reminded_by"] for r in rows if r["reminded_by"]]
    people = {row["id"]: row["display_name"] for row in await User.select(
        User.id, User.display_name).where(User.id.is_in(by))} if by else {}
    return [ChaseEntry(
        unit_id=row["unit"], unit_name=row["unit.name"], period=row["period"], day=row["day"],
        sequence=row["sequence"], reminded_at=row["reminded_at"],
        reminded_by=people.get(row["reminded_by"], ""),
        channels=tuple(json.loads(row["channels"] or "[]")), tasks=row["tasks"],
        recipients=row["recipients"]) for row in rows]


def reminded_today(entries: list[ChaseEntry], today: dt.date | None = None) -> dict[int, ChaseEntry]:
    """Per unit, its latest reminder of today (the page offers 再次催报 for these)."""
    today = today or local_today()
    latest: dict[int, ChaseEntry] = {}
    for entry in entries:  # newest first within each unit
        if entry.day == today and entry.unit_id not in latest:
            latest[entry.unit_id] = entry
    return latest
