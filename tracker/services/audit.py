"""The audit trail: who changed what, when, with the values before and after.

`record` is called inside the caller's transaction, so a change and its audit entry commit or
fail together. Entries are append-only (database triggers refuse UPDATE and DELETE).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import msgspec

from tracker.schemas import AuditOut
from tracker.tables import AuditEntry


def _json(value: Any) -> str | None:
    if value is None:
        return None
    return msgspec.json.encode(value, enc_hook=str).decode()


async def record(actor: int | None, action: str, entity: str, entity_id: int | None,
                 summary: str, *, plan_id: int | None = None, before: Any = None,
                 after: Any = None) -> None:
    await AuditEntry.insert(AuditEntry(
        at=dt.datetime.now(dt.UTC), user=actor, action=action, entity=entity,
        entity_id=entity_id, plan_id=plan_id, before=_json(before), after=_json(after),
        summary=summary[:300]))


async def entries(plan_id: int | None = None, entity: str | None = None,
                  entity_id: int | None = None, limit: int = 200) -> list[AuditOut]:
    query = AuditEntry.select(AuditEntry.all_columns(), AuditEntry.user.display_name)
    if plan_id is not None:
        query = query.where(AuditEntry.plan_id == plan_id)
    if entity is not None:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    rows = await query.order_by(AuditEntry.id, ascending=False).limit(max(1, min(limit, 1000)))
    return [
        AuditOut(id=row["id"], at=row["at"].astimezone(dt.UTC).isoformat(timespec="seconds"),
                 user=row["user.display_name"], action=row["action"], entity=row["entity"],
                 entity_id=row["entity_id"], plan_id=row["plan_id"], summary=row["summary"],
                 before=json.loads(row["before"]) if row["before"] else None,
                 after=json.loads(row["after"]) if row["after"] else None)
        for row in rows
    ]
