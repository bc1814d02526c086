"""Derived status as of a date: pure rules over a task's update history.

Nothing here reads a database or a clock; callers pass plain frozen facts and an ``as_of``
date, so the September report regenerated in December shows September's numbers.

Rules, one function each:

1. As-of cut-off (``counted``). An update counts only if ``submitted_at`` is at or before the
   end of the as-of day, and a review counts only if ``decided_at`` is. "End of day" is taken
   in ``tz`` (default Asia/Shanghai): 2018-10-05 23:59 Beijing time is still 2018-10-05 even
   though it is 15:59 UTC. All datetimes must be timezone-aware.
2. Review state (``review_state``). The latest counted review's decision ("accepted" or
   "returned"), else "submitted". A review decided after as_of is ignored.
3. Counting updates (``counting_updates``). Counted updates whose review state is not
   "returned". Dropping returned updates is what makes the previous counted version (or the
   previous period) count again.
4. Reporting unit (``reporting_updates``). A task's figures come from its LEAD unit's updates;
   cooperating units report their own contribution, but the lead consolidates. A task
   without a lead unit uses every unit's updates.
5. Latest update (``latest_update``). Highest period, then highest version (a correction is a
   new version of the same task/unit/period), then latest submitted_at, then highest id.
6. Progress (``task_progress``). Percent and state of the latest counting update of the
   reporting unit; 0 % and no state when there is none.
7. Schedule (``effective_deadline``, ``expected_percent``). An approved extension replaces the
   deadline for status. Expected percent is linear by days from start (0) to the effective
   deadline (100): 0 on/before start, 100 on/after the deadline; None for ongoing tasks and
   tasks without a deadline.
8. Status (``task_status``), first match wins:
   - "done": latest counting update has state "done" or percent 100 (any kind of task);
   - dated tasks: "overdue" if effective deadline < as_of; "behind" if
     expected - percent > tolerance (exactly at the tolerance is not behind);
   - ongoing / undated tasks (``missed_latest_period``): "behind" if the most recent period
     due by as_of (from the task's start period on) has no counting update of the reporting
     unit for that period or later;
   - "not_started": no counting update, or percent 0 with state "not_started";
   - "on_track" otherwise.
9. Deadline warning (``deadline_warning``). "Within N days" counts today as day one, i.e.
   0 <= days left < N: "red" once passed, "yellow" within 3 days (today, tomorrow, the day
   after), "blue" within ``soon_days``, else None; None when done or without a deadline.
10. Milestones (``milestone_state``). "done" if its task is done, or if ``achieved_on`` (a date
    the coordinator records, needed for plan-level milestones that have no task) is on or
    before as_of; otherwise "pending" up to and including ``due_on``, "missed" after it.
11. Timeliness (``unit_timeliness``). A unit owes one update per period for each task it
    leads (tasks without a lead are owed by nobody), from the later of ``first_period`` and
    the task's start period, for every period whose due date <= as_of. The first version
    submitted for that (task, unit, period) decides, whatever its review later said: on time
    if submitted by the end of the due day (in ``tz``), late if after that but by the end of
    the as-of day, missing otherwise. ratio = on_time / due, None when nothing is due.
    Done stops owing (``done_period``): once the unit's counting reports say done and keep
    saying so, no report is owed after the period of the first of those done reports.
    A task withdrawn (撤销) by a revision owes no report due on or after that day, so the
    figures as of an earlier day are unchanged.
12. Plan figures (``plan_summary``, ``plan_percent``). Count per status code, every code
    present; mean percent, 0 for an empty plan.

Helpers take all updates and filter by task/unit themselves; callers with many tasks may
pre-group updates by task_id for speed, the results are the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from tracker.domain.periods import (
    due_date,
    latest_due_period,
    parse_period,
    period_of,
    periods_between,
)
from tracker.domain.vocabulary import STATUS_LABELS

__all__ = [
    "DEFAULT_TZ",
    "MilestoneFacts",
    "ReviewFacts",
    "TaskFacts",
    "owed_from",
    "TaskProgress",
    "TaskStatus",
    "Timeliness",
    "UpdateFacts",
    "counted",
    "counting_updates",
    "deadline_warning",
    "done_period",
    "effective_deadline",
    "end_of_day",
    "expected_percent",
    "is_done",
    "latest_counting",
    "latest_first",
    "latest_update",
    "milestone_state",
    "missed_latest_period",
    "missing_report",
    "plan_percent",
    "plan_summary",
    "reporting_updates",
    "review_state",
    "task_progress",
    "task_status",
    "unit_timeliness",
    "withdrawn_before",
]

DEFAULT_TZ: tzinfo = ZoneInfo("Asia/Shanghai")

UPDATE_STATES = ("not_started", "in_progress", "done", "blocked")
REVIEW_DECISIONS = ("accepted", "returned")


# --------------------------------------------------------------------------- facts


def _require_aware(value: datetime, name: str) -> None:
    # Comparing naive and aware datetimes raises deep inside a sort; fail early and clearly.
    # A fixed offset (what the database gives) always has one: utcoffset() is asked of others.
    tz = value.tzinfo
    if tz is None or (type(tz) is not timezone and value.utcoffset() is None):
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")


@dataclass(frozen=True)
class TaskFacts:
    task_id: int
    start: date  # when work is expected to start (plan issue date or Jan 1 of the year)
    deadline: date | None  # resolved deadline, or None
    ongoing: bool  # 持续推进/长期坚持: no end date
    lead_unit_id: int | None
    extended_deadline: date | None = None  # approved 延期; replaces deadline for status
    withdrawn_on: date | None = None  # 撤销 by a revision of the plan: owes nothing due after it
    # Added after the plan's start (a sub-task): the day (local) it was created; None: from the
    # start. Nothing is owed for it before then, and views as of an earlier day leave it out.
    created_on: date | None = None
    lead_since: date | None = None  # the day its lead unit was given it, if after the start


def owed_from(task: TaskFacts) -> date:
    """The first day the lead unit owes reports on the task: the task's start, or the day the
    unit was given the task if later."""
    return max(task.start, task.lead_since) if task.lead_since else task.start


@dataclass(frozen=True)
class ReviewFacts:
    decision: str  # "accepted" | "returned"
    decided_at: datetime

    def __post_init__(self) -> None:
        if self.decision not in REVIEW_DECISIONS:
            raise ValueError(f"unknown review decision {self.decision!r}")
        _require_aware(self.decided_at, "decided_at")


@dataclass(frozen=True)
class UpdateFacts:
    update_id: int
    task_id: int
    unit_id: int
    period: str  # "YYYY-MM" (normalised on construction)
    version: int  # corrections are new versions for the same (task, unit, period)
    percent: int  # 0-100
    state: str  # "not_started" | "in_progress" | "done" | "blocked"
    submitted_at: datetime  # timezone-aware
    reviews: tuple[ReviewFacts, ...] = ()  # in decision order

    def __post_init__(self) -> None:
        # Normalised so periods compare as strings ("2018-9" would sort after "2018-10").
        object.__setattr__(self, "period", parse_period(self.period))
        object.__setattr__(self, "reviews", tuple(self.reviews))
        if not 0 <= self.percent <= 100:
            raise ValueError(f"percent must be 0-100, got {self.percent!r}")
        if self.state not in UPDATE_STATES:
            raise ValueError(f"unknown update state {self.state!r}")
        _require_aware(self.submitted_at, "submitted_at")


@dataclass(frozen=True)
class MilestoneFacts:
    milestone_id: int
    task_id: int | None  # None for a plan-level milestone
    due_on: date
    achieved_on: date | None = None  # recorded by the coordinator; how plan-level ones get done


@dataclass(frozen=True)
class TaskProgress:
    percent: int
    state: str | None
    last_update_id: int | None
    last_period: str | None


@dataclass(frozen=True)
class TaskStatus:
    task_id: int
    code: str  # a key of STATUS_LABELS
    percent: int
    expected: float | None
    days_to_deadline: int | None  # effective deadline - as_of; negative once passed
    state: str | None = None
    last_update_id: int | None = None
    last_period: str | None = None

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.code]


@dataclass(frozen=True)
class Timeliness:
    due: int
    on_time: int
    late: int
    missing: int
    ratio: float | None
    missing_items: tuple[tuple[int, str], ...] = ()  # (task_id, period), for 催报
    late_items: tuple[tuple[int, str], ...] = ()


# --------------------------------------------------------------------------- rule 1: cut-off


def today(tz: tzinfo = DEFAULT_TZ) -> date:
    """The date on the users' calendar (Beijing), not the server's UTC date."""
    return datetime.now(tz).date()


@lru_cache(maxsize=4096, typed=True)  # pure; asked for many tasks and the same few days
def end_of_day(day: date, tz: tzinfo = DEFAULT_TZ) -> datetime:
    """The first instant after ``day`` in ``tz``; something happened by ``day`` if before it.

    Given in UTC, the zone the database gives times in: comparing datetimes of one tzinfo
    compares them directly, of two zones asks each for its offset (cut-offs are compared with
    every update and review of a plan, many times over)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)


def current_period(plan_year: int | None, on: date | None = None) -> str:
    """The period being reported now: last month, clamped to the plan's year."""
    on = on or today()
    last_month = period_of(on.replace(day=1) - timedelta(days=1))
    if plan_year is None:
        return last_month
    return min(max(last_month, f"{plan_year}-01"), f"{plan_year}-12")


def counted(moment: datetime, as_of: date, tz: tzinfo = DEFAULT_TZ) -> bool:
    """Whether a submission or decision at ``moment`` had happened by the end of ``as_of``."""
    _require_aware(moment, "moment")
    return moment < end_of_day(as_of, tz)


# --------------------------------------------------------------------------- rule 2: review


def review_state(update: UpdateFacts, as_of: date, tz: tzinfo = DEFAULT_TZ) -> str:
    """The latest review decided by as_of ("accepted" / "returned"), else "submitted"."""
    return _review_state_before(update, end_of_day(as_of, tz))


def _review_state_before(update: UpdateFacts, cutoff: datetime) -> str:
    # Reviews come in decision order; the latest decision time wins, and among equal times the
    # later one in the list, even if a caller passes them unsorted. (Facts are checked to be
    # timezone-aware when they are made, so this hot path compares directly.)
    latest_at, latest = None, "submitted"
    for review in update.reviews:
        if review.decided_at < cutoff and (latest_at is None or review.decided_at >= latest_at):
            latest_at, latest = review.decided_at, review.decision
    return latest


# --------------------------------------------------------------------------- rules 3-6


def counting_updates(
    updates: Iterable[UpdateFacts], as_of: date, tz: tzinfo = DEFAULT_TZ
) -> list[UpdateFacts]:
    """Updates submitted by as_of and not returned (as of as_of)."""
    cutoff = end_of_day(as_of, tz)  # once, not per update: this runs for every task and date
    return [
        u
        for u in updates
        if u.submitted_at < cutoff and _review_state_before(u, cutoff) != "returned"
    ]


def reporting_updates(task: TaskFacts, updates: Iterable[UpdateFacts]) -> list[UpdateFacts]:
    """The updates a task's figures come from: its lead unit's, or any unit's without a lead."""
    return [
        u
        for u in updates
        if u.task_id == task.task_id
        and (task.lead_unit_id is None or u.unit_id == task.lead_unit_id)
    ]


def _latest_key(update: UpdateFacts) -> tuple:
    return (update.period, update.version, update.submitted_at, update.update_id)


def latest_update(updates: Iterable[UpdateFacts]) -> UpdateFacts | None:
    """Highest period, then version, then submitted_at (then id, for determinism)."""
    return max(updates, key=_latest_key, default=None)


def latest_first(updates: Iterable[UpdateFacts]) -> list[UpdateFacts]:
    """Updates in the order rule 5 prefers them, latest first (for `latest_counting`)."""
    return sorted(updates, key=_latest_key, reverse=True)


def latest_counting(
    updates_latest_first: list[UpdateFacts], as_of: date, tz: tzinfo = DEFAULT_TZ
) -> UpdateFacts | None:
    """Rules 3 and 5 together: the latest update counting as of a date, from updates already in
    `latest_first` order. The same as ``latest_update(counting_updates(updates, as_of))``, but a
    caller asking for many dates (the report's trend) sorts once and stops at the first hit."""
    cutoff = end_of_day(as_of, tz)
    for update in updates_latest_first:
        if update.submitted_at < cutoff and _review_state_before(update, cutoff) != "returned":
            return update
    return None


def _progress_of(update: UpdateFacts | None) -> TaskProgress:
    if update is None:
        return TaskProgress(percent=0, state=None, last_update_id=None, last_period=None)
    return TaskProgress(
        percent=update.percent,
        state=update.state,
        last_update_id=update.update_id,
        last_period=update.period,
    )


def task_progress(
    task: TaskFacts, updates: Iterable[UpdateFacts], as_of: date, tz: tzinfo = DEFAULT_TZ
) -> TaskProgress:
    """The task's figures as of a date, from the reporting unit's latest counting update."""
    mine = reporting_updates(task, updates)
    return _progress_of(latest_update(counting_updates(mine, as_of, tz)))


def is_done(progress: TaskProgress | UpdateFacts) -> bool:
    """Reported done: state "done" or 100 % (a task's progress, or the update it comes from)."""
    return progress.state == "done" or progress.percent >= 100


# --------------------------------------------------------------------------- rule 7: schedule


def effective_deadline(task: TaskFacts) -> date | None:
    """The deadline status is judged by: an approved extension wins; None for ongoing tasks."""
    if task.ongoing:
        return None
    return task.extended_deadline or task.deadline


def expected_percent(task: TaskFacts, as_of: date) -> float | None:
    """Linear schedule by days from start (0) to the effective deadline (100)."""
    deadline = effective_deadline(task)
    if deadline is None:
        return None
    if as_of >= deadline:
        return 100.0
    if as_of <= task.start:
        return 0.0
    # Here start < as_of < deadline, so the span is at least 2 days.
    return 100.0 * (as_of - task.start).days / (deadline - task.start).days


# --------------------------------------------------------------------------- rule 8: status


def missed_latest_period(
    task: TaskFacts,
    updates: Iterable[UpdateFacts],
    as_of: date,
    due_day: int,
    tz: tzinfo = DEFAULT_TZ,
) -> bool:
    """Regular-reporting test for ongoing/undated tasks.

    True when a period is due by as_of (counting from the task's start period) and the
    reporting unit has no counting update for the most recent such period or a later one.
    """
    latest_due = latest_due_period(as_of, due_day)
    if latest_due < period_of(owed_from(task)):
        return False  # nothing owed yet
    mine = counting_updates(reporting_updates(task, updates), as_of, tz)
    return not any(u.period >= latest_due for u in mine)


def task_status(
    task: TaskFacts,
    updates: Iterable[UpdateFacts],
    as_of: date,
    tolerance_percent: float,
    due_day: int,
    tz: tzinfo = DEFAULT_TZ,
) -> TaskStatus:
    """The task's status code and figures as of a date (see rule 8 in the module doc)."""
    updates = list(updates)
    progress = task_progress(task, updates, as_of, tz)
    expected = expected_percent(task, as_of)
    deadline = effective_deadline(task)

    if is_done(progress):
        code = "done"
    elif deadline is not None and deadline < as_of:
        code = "overdue"
    elif expected is not None and expected - progress.percent > tolerance_percent:
        code = "behind"
    elif deadline is None and missed_latest_period(task, updates, as_of, due_day, tz):
        code = "behind"
    elif progress.state is None or (progress.percent == 0 and progress.state == "not_started"):
        code = "not_started"
    else:
        code = "on_track"

    return TaskStatus(
        task_id=task.task_id,
        code=code,
        percent=progress.percent,
        expected=expected,
        days_to_deadline=None if deadline is None else (deadline - as_of).days,
        state=progress.state,
        last_update_id=progress.last_update_id,
        last_period=progress.last_period,
    )


# --------------------------------------------------------------------------- rule 9: warning


def deadline_warning(
    deadline: date | None, as_of: date, done: bool, soon_days: int = 14
) -> str | None:
    """Colour for a deadline: "red" passed, "yellow" within 3 days, "blue" within soon_days."""
    if done or deadline is None:
        return None
    days_left = (deadline - as_of).days
    if days_left < 0:
        return "red"
    if days_left < 3:  # today, tomorrow, the day after
        return "yellow"
    if days_left < soon_days:
        return "blue"
    return None


# --------------------------------------------------------------------------- rule 10: milestones


def milestone_state(milestone: MilestoneFacts, status: TaskStatus | None, as_of: date) -> str:
    """One of MILESTONE_STATE_LABELS: done, pending (up to and including due_on) or missed.

    ``status`` is the milestone's task status as of the same date, None for plan-level ones.
    """
    if status is not None and status.code == "done":
        return "done"
    if milestone.achieved_on is not None and milestone.achieved_on <= as_of:
        return "done"
    return "pending" if as_of <= milestone.due_on else "missed"


# --------------------------------------------------------------------------- rule 11: timeliness


def done_period(updates: Iterable[UpdateFacts], as_of: date, tz: tzinfo = DEFAULT_TZ) -> str | None:
    """The period after which a task stops owing reports, or None if it is not done.

    ``updates`` are one unit's updates for one task. Per period, its latest counting version
    speaks for it; if the last period reported says done, the answer is the first period of
    the unbroken run of done reports ending there (a task reopened later owes again).
    """
    by_period: dict[str, UpdateFacts] = {}
    for u in counting_updates(updates, as_of, tz):
        current = by_period.get(u.period)
        if current is None or _latest_key(u) > _latest_key(current):
            by_period[u.period] = u
    first_done = None
    for period in sorted(by_period, reverse=True):
        if not is_done(by_period[period]):
            break
        first_done = period
    return first_done


def withdrawn_before(withdrawn_on: date | None, due_on: date) -> bool:
    """A report due on `due_on` is not owed for a task withdrawn (撤销) on or before that day."""
    return withdrawn_on is not None and due_on >= withdrawn_on


def unit_timeliness(
    unit_id: int,
    tasks: Iterable[TaskFacts],
    updates: Iterable[UpdateFacts],
    as_of: date,
    due_day: int,
    first_period: str | None = None,
    tz: tzinfo = DEFAULT_TZ,
) -> Timeliness:
    """报送及时率 of one unit as of a date (rule 11).

    ``tasks`` may be all tasks: only those the unit leads are owed. ``first_period`` (e.g. the
    plan's "2018-01") is the earliest period owed; a task's own start period may be later.
    """
    cutoff = end_of_day(as_of, tz)
    first = parse_period(first_period) if first_period is not None else None
    mine = [u for u in updates if u.unit_id == unit_id and u.submitted_at < cutoff]
    by_task: dict[int, list[UpdateFacts]] = {}
    for u in mine:
        by_task.setdefault(u.task_id, []).append(u)

    on_time: list[tuple[int, str]] = []
    late: list[tuple[int, str]] = []
    missing: list[tuple[int, str]] = []
    last_due = latest_due_period(as_of, due_day)
    due_ends: dict[str, datetime] = {}  # period -> end of its due day
    for task in tasks:
        if task.lead_unit_id != unit_id:
            continue
        task_updates = by_task.get(task.task_id, [])
        first_by_period: dict[str, datetime] = {}
        for u in task_updates:
            if u.period not in first_by_period or u.submitted_at < first_by_period[u.period]:
                first_by_period[u.period] = u.submitted_at
        start = max(period_of(owed_from(task)), first) if first else period_of(owed_from(task))
        stop = done_period(task_updates, as_of, tz)
        last = min(last_due, stop) if stop else last_due
        for period in periods_between(start, last):
            if withdrawn_before(task.withdrawn_on, due_date(period, due_day)):
                break
            item = (task.task_id, period)
            submitted = first_by_period.get(period)
            if period not in due_ends:
                due_ends[period] = end_of_day(due_date(period, due_day), tz)
            if submitted is None:
                missing.append(item)
            elif submitted < due_ends[period]:
                on_time.append(item)
            else:
                late.append(item)

    due = len(on_time) + len(late) + len(missing)
    return Timeliness(
        due=due,
        on_time=len(on_time),
        late=len(late),
        missing=len(missing),
        ratio=len(on_time) / due if due else None,
        missing_items=tuple(missing),
        late_items=tuple(late),
    )


def missing_report(
    task: TaskFacts,
    updates: Iterable[UpdateFacts],
    period: str,
    as_of: date,
    due_day: int,
    first_period: str | None = None,
    tz: tzinfo = DEFAULT_TZ,
) -> bool:
    """Rule 11 for one task and one period: whether its lead unit owed ``period``'s report by
    as_of and had not sent it. The same answer as ``(task.task_id, period) in
    unit_timeliness(task.lead_unit_id, [task], updates, ...).missing_items``, without working
    out every other period (the report asks this of every task for one period)."""
    if task.lead_unit_id is None:
        return False
    cutoff = end_of_day(as_of, tz)
    mine = [u for u in updates if u.unit_id == task.lead_unit_id and u.task_id == task.task_id
            and u.submitted_at < cutoff]
    if any(u.period == period for u in mine):
        return False
    first = parse_period(first_period) if first_period is not None else None
    start = max(period_of(owed_from(task)), first) if first else period_of(owed_from(task))
    if not start <= period <= latest_due_period(as_of, due_day):
        return False
    stop = done_period(mine, as_of, tz)
    return not (stop is not None and period > stop)


# --------------------------------------------------------------------------- rule 12: plan


def plan_summary(statuses: Iterable[TaskStatus]) -> dict[str, int]:
    """Number of tasks per status code; every code present, in STATUS_LABELS order."""
    counts = dict.fromkeys(STATUS_LABELS, 0)
    for status in statuses:
        counts[status.code] += 1
    return counts


def plan_percent(statuses: Iterable[TaskStatus]) -> float:
    """Mean percent over the tasks; 0.0 for a plan without tasks."""
    percents = [s.percent for s in statuses]
    return sum(percents) / len(percents) if percents else 0.0
