"""Roles and what each may do: one place for the rules the guards and services apply."""

from __future__ import annotations

COORDINATOR = "coordinator"
REPORTER = "reporter"
LEADER = "leader"
ADMIN = "admin"

ROLE_LABELS = {
    COORDINATOR: "协调人",
    REPORTER: "填报人",
    LEADER: "局领导",
    ADMIN: "管理员",
}
ROLES = tuple(ROLE_LABELS)

# Who may plan (assign, set deadlines and milestones) and review updates.
PLANNERS = (COORDINATOR, ADMIN)
# Who may read every unit's tasks and updates.
READERS_OF_ALL = (COORDINATOR, ADMIN, LEADER)
# Who manages units and accounts.
ACCOUNT_MANAGERS = (ADMIN,)
