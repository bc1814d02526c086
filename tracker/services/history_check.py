"""`tracker db check`: every stored update, review and task edit has its audit entry.

Each of them is written in the same transaction as its entry (services/progress.py,
services/planning.py, services/demo_data.py), so a gap means a path that bypassed the services, or a
database restored from an inconsistent copy."""

from __future__ import annotations

from dataclasses import dataclass

from tracker.tables import AuditEntry

UPDATES_WITHOUT_AUDIT = """
SELECT p.id FROM progress_update p WHERE NOT EXISTS (
  SELECT 1 FROM audit_entry a WHERE a.action = 'update.submit' AND a.entity = 'progress_update'
  AND a.entity_id = p.id) ORDER BY p.id"""
REVIEWS_WITHOUT_AUDIT = """
SELECT r.id FROM review r WHERE NOT EXISTS (
  SELECT 1 FROM audit_entry a WHERE a.action = 'update.review' AND a.entity = 'progress_update'
  AND a.entity_id = r."update") ORDER BY r.id"""
# A task's version counts its edits: version n has n - 1 entries (task.edit, or a revision
# of the plan rewording, moving or withdrawing it).
TASK_EDITS_WITHOUT_AUDIT = """
SELECT t.id, t.version - 1 - (
  SELECT count(*) FROM audit_entry a
  WHERE a.action IN ('task.edit', 'revision.removed', 'revision.changed') AND a.entity = 'task'
  AND a.entity_id = t.id) AS missing
FROM task t WHERE t.version > 1 ORDER BY t.id"""


@dataclass(frozen=True)
class HistoryGaps:
    updates: list[int]  # progress_update ids without their update.submit entry
    reviews: list[int]  # review ids without their update.review entry
    task_edits: dict[int, int]  # task id -> edits (new versions) without their audit entry

    def __bool__(self) -> bool:
        return bool(self.updates or self.reviews or self.task_edits)

    def lines(self) -> list[str]:
        def ids(values) -> str:
            values = list(values)
            shown = "、".join(str(v) for v in values[:50])
            return shown + (f" 等共 {len(values)} 条" if len(values) > 50 else "")

        lines = []
        if self.updates:
            lines.append(f"缺少审计记录的进展填报（{len(self.updates)}）：{ids(self.updates)}")
        if self.reviews:
            lines.append(f"缺少审计记录的审核（{len(self.reviews)}）：{ids(self.reviews)}")
        if self.task_edits:
            lines.append(f"缺少审计记录的任务修改（{sum(self.task_edits.values())} 次，"
                         f"{len(self.task_edits)} 项任务）：{ids(self.task_edits)}")
        return lines


async def find_gaps() -> HistoryGaps:
    updates = [row["id"] for row in await AuditEntry.raw(UPDATES_WITHOUT_AUDIT)]
    reviews = [row["id"] for row in await AuditEntry.raw(REVIEWS_WITHOUT_AUDIT)]
    task_edits = {row["id"]: row["missing"] for row in await AuditEntry.raw(TASK_EDITS_WITHOUT_AUDIT)
                  if row["missing"] > 0}
    return HistoryGaps(updates, reviews, task_edits)
