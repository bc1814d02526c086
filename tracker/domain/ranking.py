"""A unit's row in the 通报 ranking: plain data, shared by the ranking service that computes it
and the report model that prints it (so the report model loads without the database layer)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UnitRow:
    name: str
    tasks: int
    percent: float
    timeliness: float | None  # updates on time ÷ updates due, percent; None if none were due
    due: int
    on_time: int
    late: int
    missing: int
    rank: int | None
