"""The data of one report: what the template shows, already computed as of a date.

This is the contract between the services (which fill it from the database, as of the
report's date) and the renderer (which only lays it out). Figures are final here: the
template does no arithmetic beyond formatting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from tracker.services.ranking import UnitRow  # the ranking (通报) is a service's rule

EDITIONS = ("monthly", "unit", "year_end")


@dataclass(frozen=True)
class TaskRow:
    section: str
    item: str | None
    number: str | None
    text: str
    lead_units: list[str]
    cooperating_units: list[str]
    deadline: str | None  # "YYYY-MM-DD" | "ongoing" | None
    deadline_text: str | None  # as written in the plan, e.g. "2018年12月底前"
    percent: int
    status: str  # done | on_track | behind | overdue | not_started
    expected: float | None  # percent the linear schedule expects by the as-of date
    last_period: str | None  # the last period the lead unit reported, "2018-09"


@dataclass(frozen=True)
class ChangeRow:
    task: str
    unit: str
    from_percent: int | None  # None: first report
    to_percent: int
    from_status: str | None
    to_status: str


@dataclass(frozen=True)
class NarrativeRow:
    unit: str
    task: str
    period: str
    work_done: str
    problems: str
    next_steps: str


@dataclass(frozen=True)
class ReportData:
    plan_title: str
    doc_number: str | None
    issuer: str | None
    period: str  # "2018-09"
    as_of: date
    generated_at: datetime
    edition: str  # "monthly" | "unit" | "year_end"
    unit_name: str | None  # for the unit edition
    totals: dict[str, int]  # count per status code, and "total"
    plan_percent: float
    not_reported: list[str]  # units that have not reported for the period
    sections: list[tuple[str, float]]  # (section title, completion %)
    units: list[UnitRow]  # the ranking (通报), sorted and ranked by the caller
    ranking_rule: str  # how the ranking was made, printed under the table
    trend: list[tuple[str, float, int]]  # (period, plan completion %, tasks done)
    milestones: list[tuple[str, date, str]]  # (title, due date, done | pending | missed)
    tasks: list[TaskRow]
    changes: list[ChangeRow]
    late: list[TaskRow]  # overdue and behind tasks, with their owners
    narratives: list[NarrativeRow]

    def __post_init__(self) -> None:
        if self.edition not in EDITIONS:
            raise ValueError(f"edition must be one of {EDITIONS}, not {self.edition!r}")
