"""Roles and what each may do: one place for the rules the guards and services apply."""

from __future__ import annotations

from tracker.domain.vocabulary import ROLE_LABELS

COORDINATOR = "coordinator"
REPORTER = "reporter"
LEADER = "leader"
ADMIN = "admin"

ROLES = tuple(ROLE_LABELS)

# Who may plan (assign, set deadlines and milestones) and review updates.
PLANNERS = (COORDINATOR, ADMIN)
# Who may read every unit's tasks and updates.
READERS_OF_ALL = (COORDINATOR, ADMIN, LEADER)
# Who manages units and accounts.
ACCOUNT_MANAGERS = (ADMIN,)


def may_see_task(role: str, part_in_task: str | None) -> bool:
    """Coordinators, admins and leaders see every task; a reporter only the tasks its unit
    leads or cooperates on (``part_in_task`` is the unit's TaskUnit role, or None)."""
    return role in READERS_OF_ALL or part_in_task is not None
