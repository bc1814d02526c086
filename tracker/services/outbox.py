"""The outbox (table ``notification``): queueing notices once, and claiming them for sending.

Nothing is queued twice: a notice's dedupe key (e.g. ``reminder:{plan}:{period}:{unit}:
{channel}``) is UNIQUE and the insert does nothing on conflict, so running ``tracker remind``
again, or two servers doing it at once, queues nothing new.

Nothing is taken by two senders: a sender claims a notice with one conditional UPDATE that
only matches the row as the sender read it (same ``attempts``, still due, not sent, not given
up) and pushes ``next_attempt_at`` a lease ahead. On PostgreSQL the second of two concurrent
UPDATEs re-checks the WHERE against the committed row and matches nothing; SQLite runs one
writer at a time. The result (sent, or failed and when to retry) is written only if the row
still carries the claim. The HTTP call itself runs outside any transaction: on SQLite an open
write transaction holds the database lock, and a hanging webhook must never hold up a unit's
submission.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass

from tracker.db import after_commit
from tracker.domain.errors import InvalidInput, NotFound
from tracker.domain.vocabulary import NOTICE_STATE_LABELS
from tracker.notify.formatters import Notice
from tracker.schemas import NotificationOut
from tracker.services.channels import channels_for
from tracker.tables import Notification

log = logging.getLogger(__name__)
MAX_BACKOFF = dt.timedelta(hours=6)
_wakeup: asyncio.Event | None = None


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds") if value else None


def set_wakeup(event: asyncio.Event | None) -> None:
    """The in-process scheduler's event: set when something is queued, so it sends at once."""
    global _wakeup
    _wakeup = event


@dataclass(frozen=True)
class Queued:
    notification_id: int
    channel_id: int
    event: str
    title: str
    dedupe_key: str


async def enqueue(notice: Notice, key: str, plan_id: int | None) -> list[Queued]:
    """Queue a notice for every channel that takes it; what was queued before is skipped.

    ``key`` identifies the notice (without the channel), e.g. ``reminder:3:2018-09:12``."""
    queued = []
    now = _now()
    for channel in await channels_for(notice.event, plan_id):
        dedupe_key = f"{key}:{channel['id']}"
        rows = await Notification.insert(Notification(
            channel=channel["id"], event=notice.event, dedupe_key=dedupe_key,
            payload=notice.payload(), created_at=now, attempts=0, next_attempt_at=now,
            last_error="",
        )).on_conflict(target=Notification.dedupe_key, action="DO NOTHING").returning(Notification.id)
        if rows:
            queued.append(Queued(rows[0]["id"], channel["id"], notice.event, notice.title, dedupe_key))
    if queued and _wakeup is not None:
        # Inside a transaction the notice is not there for the sender until the commit: wake
        # it then (woken before, it found nothing and the notice waited for the next minute).
        after_commit(Notification._meta.db, _wakeup.set)
    return queued


async def enqueue_quietly(notice: Notice, key: str, plan_id: int | None) -> list[Queued]:
    """For hooks after a committed change: a notice that cannot be queued is logged, and the
    change (a review, a report) still stands."""
    try:
        return await enqueue(notice, key, plan_id)
    except Exception:
        log.exception("could not queue notice %s", key)
        return []


_DUE_COLUMNS = (
    Notification.id, Notification.event, Notification.dedupe_key, Notification.payload,
    Notification.attempts, Notification.channel, Notification.channel.kind,
    Notification.channel.name, Notification.channel.target, Notification.channel.secret,
)


def _is_due(now: dt.datetime) -> tuple:
    return (Notification.sent_at.is_null(), Notification.failed_at.is_null(),
            Notification.next_attempt_at <= now, Notification.channel.active.eq(True))


async def due_channels(now: dt.datetime) -> list[int]:
    """Channels with notices whose time has come."""
    rows = await Notification.select(Notification.channel).where(*_is_due(now)).distinct()
    return sorted(row["channel"] for row in rows)


async def due(now: dt.datetime, channel_id: int, limit: int = 50) -> list[dict]:
    """One channel's notices whose time has come, oldest first. Per channel, so a dead
    channel's backlog can never crowd the others out of a round."""
    return await Notification.select(*_DUE_COLUMNS).where(
        *_is_due(now), Notification.channel == channel_id,
    ).order_by(Notification.next_attempt_at).order_by(Notification.id).limit(limit)


async def claim(notification_id: int, seen_attempts: int, now: dt.datetime,
                lease: dt.timedelta) -> int | None:
    """Take a notice for one attempt; the attempt number, or None if another sender has it."""
    rows = await Notification.update({
        Notification.attempts: Notification.attempts + 1,
        Notification.next_attempt_at: now + lease,
    }).where(
        Notification.id == notification_id, Notification.attempts == seen_attempts,
        Notification.sent_at.is_null(), Notification.failed_at.is_null(),
        Notification.next_attempt_at <= now,
    ).returning(Notification.attempts)
    return rows[0]["attempts"] if rows else None


async def mark_sent(notification_id: int, attempt: int, note: str = "") -> None:
    await Notification.update({Notification.sent_at: _now(), Notification.last_error: note}).where(
        Notification.id == notification_id, Notification.attempts == attempt,
        Notification.sent_at.is_null())


def backoff_delay(attempt: int, first: float) -> dt.timedelta:
    """first, 2×first, 4×first … seconds, at most six hours."""
    return min(dt.timedelta(seconds=first * 2 ** max(attempt - 1, 0)), MAX_BACKOFF)


async def mark_failed(notification_id: int, attempt: int, error: str, max_attempts: int,
                      backoff: float) -> bool:
    """Record a failed attempt; True when this was the last one (given up)."""
    now = _now()
    gave_up = attempt >= max_attempts
    values = {Notification.last_error: error[:1000]}
    if gave_up:
        values[Notification.failed_at] = now
    else:
        values[Notification.next_attempt_at] = now + backoff_delay(attempt, backoff)
    await Notification.update(values).where(
        Notification.id == notification_id, Notification.attempts == attempt,
        Notification.sent_at.is_null())
    return gave_up


async def retry(notification_id: int) -> NotificationOut:
    """A notice given up on goes back in the queue with fresh attempts (the coordinator fixed the
    channel). A sent notice is never sent again."""
    await get_notification(notification_id)
    await Notification.update({
        Notification.failed_at: None, Notification.attempts: 0, Notification.next_attempt_at: _now(),
    }).where(Notification.id == notification_id, Notification.sent_at.is_null(),
             Notification.failed_at.is_not_null())
    return await get_notification(notification_id)


def state_of(row: dict) -> str:
    if row["sent_at"] is not None:
        return "sent"
    if row["failed_at"] is not None:
        return "failed"
    return "pending"


def _out(row: dict) -> NotificationOut:
    try:
        title = Notice.from_payload(row["event"], row["payload"]).title
    except (ValueError, KeyError, TypeError):
        title = ""
    pending = state_of(row) == "pending"
    return NotificationOut(
        id=row["id"], channel_id=row["channel"], channel_name=row["channel.name"],
        channel_kind=row["channel.kind"], event=row["event"], title=title, state=state_of(row),
        attempts=row["attempts"], next_attempt_at=_iso(row["next_attempt_at"]) if pending else None,
        sent_at=_iso(row["sent_at"]), failed_at=_iso(row["failed_at"]), last_error=row["last_error"],
        created_at=_iso(row["created_at"]) or "",
    )


_COLUMNS = (
    Notification.id, Notification.channel, Notification.channel.name, Notification.channel.kind,
    Notification.event, Notification.payload, Notification.attempts, Notification.next_attempt_at,
    Notification.sent_at, Notification.failed_at, Notification.last_error, Notification.created_at,
)


async def get_notification(notification_id: int) -> NotificationOut:
    row = await Notification.select(*_COLUMNS).where(Notification.id == notification_id).first()
    if row is None:
        raise NotFound(f"通知 {notification_id} 不存在", "notification_id")
    return _out(row)


async def list_notifications(state: str | None = None, limit: int = 100) -> list[NotificationOut]:
    """Newest first; ``state`` pending, sent or failed."""
    if state is not None and state not in NOTICE_STATE_LABELS:
        raise InvalidInput(f"未知状态“{state[:20]}”（可用：{'、'.join(NOTICE_STATE_LABELS)}）", "state")
    query = Notification.select(*_COLUMNS).order_by(Notification.id, ascending=False).limit(limit)
    if state == "sent":
        query = query.where(Notification.sent_at.is_not_null())
    elif state == "failed":
        query = query.where(Notification.failed_at.is_not_null())
    elif state == "pending":
        query = query.where(Notification.sent_at.is_null(), Notification.failed_at.is_null())
    return [_out(row) for row in await query]
