"""The audit trail: who changed what, when, with the values before and after.

`record` is called inside the caller's transaction, so a change and its audit entry commit or
fail together. Entries are append-only (database triggers refuse UPDATE and DELETE).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, NamedTuple

import msgspec

from tracker.db import Statement
from tracker.domain.messages import LABELS
from tracker.domain.plan_model import ONGOING
from tracker.domain.status import DEFAULT_TZ
from tracker.domain.vocabulary import (
    AUDIT_DECISION_LABELS,
    AUDIT_FIELD_LABELS,
    ROLE_LABELS,
    UPDATE_STATE_LABELS,
)
from tracker.schemas import AuditChange, AuditOut
from tracker.tables import AuditEntry, ExtensionRequest, Milestone, ProgressUpdate, User


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return msgspec.json.encode(value, enc_hook=str).decode()


class EntryValues(NamedTuple):
    """An entry's columns as written (the JSON and the summary's cut made here, once)."""

    at: dt.datetime
    user: int | None
    action: str
    entity: str
    entity_id: int | None
    plan_id: int | None
    before: str | None
    after: str | None
    summary: str


COLUMNS = 'at, "user", action, entity, entity_id, plan_id, "before", "after", summary'
# One plain INSERT: entries are written inside hot transactions (every submission), where
# building a Piccolo row object and its query cost more than the statement itself.
_INSERT = Statement(f"INSERT INTO audit_entry ({COLUMNS}) VALUES ({{}}, {{}}, {{}}, {{}}, {{}}, "
                    "{}, {}, {}, {})")


def entry_values(actor: int | None, action: str, entity: str, entity_id: int | None,
                 summary: str, *, plan_id: int | None = None, before: Any = None,
                 after: Any = None, at: dt.datetime | None = None) -> EntryValues:
    """What `record` writes; a statement that writes the entry itself (a submission on
    PostgreSQL, in the same statement as the update) takes it from here."""
    return EntryValues(at or dt.datetime.now(dt.UTC), actor, action, entity, entity_id, plan_id,
                       _json(before), _json(after), summary[:300])


async def record(actor: int | None, action: str, entity: str, entity_id: int | None,
                 summary: str, *, plan_id: int | None = None, before: Any = None,
                 after: Any = None, at: dt.datetime | None = None) -> None:
    await write(entry_values(actor, action, entity, entity_id, summary, plan_id=plan_id,
                             before=before, after=after, at=at))


async def write(entry: EntryValues) -> None:
    await _INSERT.fetch(AuditEntry._meta.db, *entry)


@dataclass(frozen=True)
class AuditFilter:
    """What the audit trail is narrowed to; None leaves a criterion out."""

    plan_id: int | None = None
    entity: str | None = None
    entity_id: int | None = None
    task_id: int | None = None  # the task, its updates, extension requests and milestones
    unit_id: int | None = None  # done by the unit's people, or about the unit and its updates
    user_id: int | None = None  # done by this user
    since: dt.date | None = None  # Beijing days, inclusive
    until: dt.date | None = None


async def entries(plan_id: int | None = None, entity: str | None = None,
                  entity_id: int | None = None, limit: int = 200,
                  where: AuditFilter | None = None) -> list[AuditOut]:
    where = where or AuditFilter(plan_id=plan_id, entity=entity, entity_id=entity_id)
    query = AuditEntry.select(AuditEntry.all_columns(), AuditEntry.user.display_name)
    if where.plan_id is not None:
        query = query.where(AuditEntry.plan_id == where.plan_id)
    if where.entity is not None:
        query = query.where(AuditEntry.entity == where.entity)
    if where.entity_id is not None:
        query = query.where(AuditEntry.entity_id == where.entity_id)
    if where.user_id is not None:
        query = query.where(AuditEntry.user == where.user_id)
    if where.since is not None:
        query = query.where(AuditEntry.at >= dt.datetime.combine(where.since, dt.time(), DEFAULT_TZ))
    if where.until is not None:
        query = query.where(AuditEntry.at < dt.datetime.combine(
            where.until + dt.timedelta(days=1), dt.time(), DEFAULT_TZ))
    if where.task_id is not None:
        query = query.where(await _about(task_id=where.task_id))
    if where.unit_id is not None:
        people = [row["id"] for row in await User.select(User.id).where(User.unit == where.unit_id)]
        query = query.where(AuditEntry.user.is_in(people or [0]) | await _about(unit_id=where.unit_id))
    rows = await query.order_by(AuditEntry.id, ascending=False).limit(max(1, min(limit, 1000)))
    outs = []
    for row in rows:
        before = json.loads(row["before"]) if row["before"] else None
        after = json.loads(row["after"]) if row["after"] else None
        outs.append(AuditOut(
            id=row["id"], at=row["at"].astimezone(dt.UTC).isoformat(timespec="seconds"),
            user=row["user.display_name"], action=row["action"], entity=row["entity"],
            entity_id=row["entity_id"], plan_id=row["plan_id"], summary=row["summary"],
            before=before, after=after, changes=describe_changes(before, after)))
    return outs


async def _about(task_id: int | None = None, unit_id: int | None = None):
    """A condition: entries whose subject is the task (or the unit), or one of its updates,
    extension requests or milestones."""
    updates = ProgressUpdate.select(ProgressUpdate.id)
    requests = ExtensionRequest.select(ExtensionRequest.id)
    if task_id is not None:
        updates = updates.where(ProgressUpdate.task == task_id)
        requests = requests.where(ExtensionRequest.task == task_id)
        own = (AuditEntry.entity == "task") & (AuditEntry.entity_id == task_id)
        milestones = [row["id"] for row in await Milestone.select(Milestone.id).where(
            Milestone.task == task_id)]
        own = own | ((AuditEntry.entity == "milestone") & AuditEntry.entity_id.is_in(milestones or [0]))
    else:
        updates = updates.where(ProgressUpdate.unit == unit_id)
        requests = requests.where(ExtensionRequest.unit == unit_id)
        own = (AuditEntry.entity == "unit") & (AuditEntry.entity_id == unit_id)
    update_ids = [row["id"] for row in await updates] or [0]
    request_ids = [row["id"] for row in await requests] or [0]
    return (own | ((AuditEntry.entity == "progress_update") & AuditEntry.entity_id.is_in(update_ids))
            | ((AuditEntry.entity == "extension_request") & AuditEntry.entity_id.is_in(request_ids)))


def _label(field: str, value: Any) -> str:
    """A stored value as people read it: Chinese labels for codes, lists joined with 、."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(_label(field, item) for item in value)
    if field == "state":
        return UPDATE_STATE_LABELS.get(value, str(value))
    if field == "decision":
        return AUDIT_DECISION_LABELS.get(value, str(value))
    if field == "role":
        return ROLE_LABELS.get(value, str(value))
    if field in ("deadline", "requested_deadline") and value == ONGOING:
        return LABELS.ongoing
    if field in ("percent", "tolerance_percent") and isinstance(value, int):
        return f"{value}%" if field == "percent" else str(value)
    return str(value)


def describe_changes(before: Any, after: Any) -> list[AuditChange]:
    """What changed, field by field, in Chinese: only fields people know (version numbers and
    internal ids are left out), and of an edit only those whose value changed."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    changes = []
    for field, name in AUDIT_FIELD_LABELS.items():
        if field not in before and field not in after:
            continue
        old, new = before.get(field), after.get(field)
        if field in before and field in after and old == new:
            continue
        changes.append(AuditChange(field=name, before=_label(field, old) if field in before else "",
                                   after=_label(field, new) if field in after else ""))
    return changes
