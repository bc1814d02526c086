"""The data of one report: what the template shows, already computed as of a date.

This is the contract between the services (which fill it from the database, as of the
report's date) and the renderer (which only lays it out). Figures are final here: the
template does no arithmetic beyond formatting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from tracker.domain.ranking import UnitRow

# monthly: the leadership edition (the default 月报, at most 8 pages at any plan size);
# detail: the full task table and the units' own words; unit: one unit's tasks (detail layout);
# year_end: the year's summary (detail layout).
EDITIONS = ("monthly", "detail", "unit", "year_end")
LEADERSHIP_EDITIONS = ("monthly",)


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
class Headline:
    """The 摘要's figures as of one date; the same rules as the status page."""

    total: int
    done: int
    on_track: int
    behind: int
    overdue: int
    not_started: int
    plan_percent: float  # mean task percent, one decimal
    not_reported: int  # lead units that owe the period's report and have not sent it


@dataclass(frozen=True)
class ExceptionRow:
    """An overdue or behind task, for the leadership edition's exceptions list."""

    task: str  # number and shortened text
    lead_unit: str
    status: str  # overdue | behind
    percent: int
    expected: float | None  # None: an ongoing task, behind for a missed report
    gap: float | None  # expected - percent, percentage points (overdue: 100 - percent)
    days_late: int | None  # days past the effective deadline, overdue tasks only
    deadline: str  # as the report prints it
    problem: str  # the lead unit's own 存在问题 in its latest counting update, "" if none


@dataclass(frozen=True)
class MilestoneRow:
    title: str
    due_on: date
    owner: str  # the task's lead unit, "" for a plan-level milestone
    days_late: int


@dataclass(frozen=True)
class ExtensionRow:
    task: str
    unit: str
    old_deadline: date | None
    new_deadline: date
    approved_on: date


@dataclass(frozen=True)
class AttentionRow:
    """A task the coordinator marked 提请领导关注, with the sentence they wrote."""

    task: str
    lead_unit: str
    status: str
    percent: int
    note: str


@dataclass(frozen=True)
class Shortlist:
    """The first `shown` rows of a long list and how many more the 台账 holds."""

    rows: list
    more: int = 0


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
    # The leadership edition's parts (empty in the detail layouts).
    headline: Headline | None = None
    previous: Headline | None = None  # as of the previous period's due date
    previous_period: str | None = None
    summary: list[str] = field(default_factory=list)  # the 摘要's paragraph, sentence by sentence
    exceptions: Shortlist = field(default_factory=lambda: Shortlist([]))
    missed_milestones: Shortlist = field(default_factory=lambda: Shortlist([]))
    extensions: Shortlist = field(default_factory=lambda: Shortlist([]))
    attention: Shortlist = field(default_factory=lambda: Shortlist([]))
    ranking_top: list[UnitRow] = field(default_factory=list)
    ranking_bottom: list[UnitRow] = field(default_factory=list)
    units_charted: list[UnitRow] | None = None  # the unit chart's rows when not all units fit

    @property
    def leadership(self) -> bool:
        return self.edition in LEADERSHIP_EDITIONS

    def __post_init__(self) -> None:
        if self.edition not in EDITIONS:
            raise ValueError(f"edition must be one of {EDITIONS}, not {self.edition!r}")
