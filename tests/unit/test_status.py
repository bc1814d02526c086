"""Derived status as of a date, on hand-built update histories."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.domain.status import (
    MilestoneFacts,
    ReviewFacts,
    TaskFacts,
    TaskStatus,
    UpdateFacts,
    counted,
    deadline_warning,
    done_period,
    end_of_day,
    expected_percent,
    milestone_state,
    plan_percent,
    plan_summary,
    review_state,
    task_progress,
    task_status,
    unit_timeliness,
)
from tracker.domain.vocabulary import STATUS_LABELS

SH = ZoneInfo("Asia/Shanghai")
LEAD, HELPER = 1, 2
DUE_DAY = 5
TOLERANCE = 10


def at(year, month, day, hour=12, minute=0, second=0, tz=SH):
    return datetime(year, month, day, hour, minute, second, tzinfo=tz)


def dated_task(task_id=1, start=date(2018, 1, 1), deadline=date(2018, 12, 31), **kw):
    return TaskFacts(task_id=task_id, start=start, deadline=deadline, ongoing=False,
                     lead_unit_id=kw.pop("lead_unit_id", LEAD), **kw)


def ongoing_task(task_id=1, start=date(2018, 1, 1), lead_unit_id=LEAD):
    return TaskFacts(task_id=task_id, start=start, deadline=None, ongoing=True,
                     lead_unit_id=lead_unit_id)


_ids = iter(range(1, 10**9))


def upd(period, percent, submitted_at, *, state="in_progress", version=1, unit=LEAD, task=1,
        reviews=(), update_id=None):
    return UpdateFacts(update_id=update_id or next(_ids), task_id=task, unit_id=unit,
                       period=period, version=version, percent=percent, state=state,
                       submitted_at=submitted_at, reviews=tuple(reviews))


def accepted(when):
    return ReviewFacts("accepted", when)


def returned(when):
    return ReviewFacts("returned", when)


def status(task, updates, as_of, tolerance=TOLERANCE):
    return task_status(task, updates, as_of, tolerance, DUE_DAY)


# --------------------------------------------------------------------------- as-of cut-off


def test_updates_after_as_of_are_ignored():
    task = dated_task()
    sept = upd("2018-09", 60, at(2018, 10, 3))
    octo = upd("2018-10", 80, at(2018, 11, 3))
    progress = task_progress(task, [sept, octo], date(2018, 10, 31))
    assert (progress.percent, progress.last_update_id, progress.last_period) == (
        60, sept.update_id, "2018-09")
    assert task_progress(task, [sept, octo], date(2018, 11, 3)).percent == 80


def test_nothing_counted_gives_zero_and_no_state():
    progress = task_progress(dated_task(), [upd("2018-09", 60, at(2018, 10, 3))], date(2018, 9, 1))
    assert (progress.percent, progress.state, progress.last_update_id, progress.last_period) == (
        0, None, None, None)


def test_end_of_day_is_taken_in_shanghai_not_utc():
    last_second = at(2018, 9, 30, 23, 59, 59)
    midnight = datetime(2018, 9, 30, 16, 0, tzinfo=UTC)  # 2018-10-01 00:00 in Shanghai
    assert counted(last_second, date(2018, 9, 30))
    assert not counted(midnight, date(2018, 9, 30))
    assert counted(midnight, date(2018, 9, 30), tz=UTC)

    task = dated_task()
    late_update = upd("2018-09", 70, midnight)
    assert task_progress(task, [late_update], date(2018, 9, 30)).percent == 0
    assert task_progress(task, [late_update], date(2018, 9, 30), tz=UTC).percent == 70


def test_end_of_day_is_shanghai_midnight_given_in_utc():
    # In the zone stored times come in, so the many as-of comparisons need no offset look-up.
    cutoff = end_of_day(date(2018, 9, 30))
    assert cutoff == datetime(2018, 10, 1, tzinfo=SH) and cutoff.tzinfo is UTC
    assert end_of_day(date(2018, 9, 30), tz=UTC) == datetime(2018, 10, 1, tzinfo=UTC)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        upd("2018-09", 10, datetime(2018, 10, 1, 12))
    with pytest.raises(ValueError, match="timezone-aware"):
        ReviewFacts("accepted", datetime(2018, 10, 1, 12))


def test_update_facts_are_validated_and_normalised():
    assert upd("2018-9", 10, at(2018, 10, 1)).period == "2018-09"
    with pytest.raises(ValueError):
        upd("2018-09", 101, at(2018, 10, 1))
    with pytest.raises(ValueError):
        upd("2018-09", 10, at(2018, 10, 1), state="finished")
    with pytest.raises(ValueError):
        ReviewFacts("rejected", at(2018, 10, 1))


# --------------------------------------------------------------------------- versions and reviews


def test_correction_replaces_earlier_version():
    task = dated_task()
    v1 = upd("2018-09", 40, at(2018, 10, 3), version=1)
    v2 = upd("2018-09", 55, at(2018, 10, 8), version=2)
    assert task_progress(task, [v2, v1], date(2018, 10, 10)).last_update_id == v2.update_id
    # Before the correction was submitted, version 1 stands.
    assert task_progress(task, [v2, v1], date(2018, 10, 7)).percent == 40


def test_a_later_period_beats_a_higher_version_of_an_earlier_one():
    task = dated_task()
    aug_v3 = upd("2018-08", 50, at(2018, 9, 20), version=3)
    sept_v1 = upd("2018-09", 45, at(2018, 10, 3), version=1)
    assert task_progress(task, [aug_v3, sept_v1], date(2018, 10, 10)).percent == 45


def test_returned_correction_falls_back_to_previous_version():
    task = dated_task()
    v1 = upd("2018-09", 40, at(2018, 10, 3), reviews=[accepted(at(2018, 10, 4))])
    v2 = upd("2018-09", 90, at(2018, 10, 6), version=2, reviews=[returned(at(2018, 10, 7))])
    assert task_progress(task, [v1, v2], date(2018, 10, 6)).percent == 90  # not yet returned
    assert task_progress(task, [v1, v2], date(2018, 10, 7)).percent == 40


def test_returned_update_falls_back_to_previous_period():
    task = dated_task()
    aug = upd("2018-08", 30, at(2018, 9, 3))
    sept = upd("2018-09", 50, at(2018, 10, 3), reviews=[returned(at(2018, 10, 4))])
    progress = task_progress(task, [aug, sept], date(2018, 10, 10))
    assert (progress.percent, progress.last_period) == (30, "2018-08")


def test_review_decided_after_as_of_is_ignored():
    sept = upd("2018-09", 50, at(2018, 10, 3), reviews=[returned(at(2018, 10, 12))])
    assert review_state(sept, date(2018, 10, 11)) == "submitted"
    assert review_state(sept, date(2018, 10, 12)) == "returned"
    assert task_progress(dated_task(), [sept], date(2018, 10, 11)).percent == 50


def test_review_state_is_the_latest_decision():
    reviewed = upd("2018-09", 50, at(2018, 10, 3),
                   reviews=[returned(at(2018, 10, 4)), accepted(at(2018, 10, 6))])
    assert review_state(reviewed, date(2018, 10, 3)) == "submitted"
    assert review_state(reviewed, date(2018, 10, 5)) == "returned"
    assert review_state(reviewed, date(2018, 10, 6)) == "accepted"


# --------------------------------------------------------------------------- lead unit


def test_figures_come_from_the_lead_unit():
    task = dated_task()
    lead = upd("2018-09", 40, at(2018, 10, 3))
    helper = upd("2018-09", 100, at(2018, 10, 3), unit=HELPER, state="done")
    as_of = date(2018, 10, 10)
    assert task_progress(task, [lead, helper], as_of).percent == 40
    assert status(task, [lead, helper], as_of).code != "done"


def test_without_a_lead_any_unit_reports():
    task = dated_task(lead_unit_id=None)
    first = upd("2018-08", 40, at(2018, 9, 3), unit=LEAD)
    second = upd("2018-09", 55, at(2018, 10, 3), unit=HELPER)
    assert task_progress(task, [first, second], date(2018, 10, 10)).percent == 55


def test_other_tasks_updates_are_ignored():
    other = upd("2018-09", 100, at(2018, 10, 3), task=2, state="done")
    assert task_progress(dated_task(task_id=1), [other], date(2018, 10, 10)).state is None


# --------------------------------------------------------------------------- schedule


def test_expected_percent_is_linear_from_start_to_deadline():
    task = dated_task(start=date(2018, 1, 1), deadline=date(2018, 1, 11))
    assert expected_percent(task, date(2017, 12, 1)) == 0
    assert expected_percent(task, date(2018, 1, 1)) == 0
    assert expected_percent(task, date(2018, 1, 6)) == 50
    assert expected_percent(task, date(2018, 1, 11)) == 100
    assert expected_percent(task, date(2019, 1, 1)) == 100


def test_expected_percent_none_for_ongoing_or_undated():
    assert expected_percent(ongoing_task(), date(2018, 6, 1)) is None
    assert expected_percent(dated_task(deadline=None), date(2018, 6, 1)) is None


def test_deadline_before_start_does_not_divide_by_zero():
    task = dated_task(start=date(2018, 6, 1), deadline=date(2018, 6, 1))
    assert expected_percent(task, date(2018, 5, 31)) == 0
    assert expected_percent(task, date(2018, 6, 1)) == 100


# --------------------------------------------------------------------------- status codes


def test_tolerance_exactly_at_the_limit_is_not_behind():
    task = dated_task(start=date(2018, 1, 1), deadline=date(2018, 1, 11))
    as_of = date(2018, 1, 4)  # expected 30 %
    at_limit = [upd("2018-01", 20, at(2018, 1, 3))]
    past_limit = [upd("2018-01", 19, at(2018, 1, 3))]
    assert status(task, at_limit, as_of).code == "on_track"
    assert status(task, past_limit, as_of).code == "behind"
    assert status(task, at_limit, as_of).expected == 30


def test_overdue_and_an_extension_puts_it_back_on_track():
    original = dated_task(start=date(2018, 1, 1), deadline=date(2018, 6, 30))
    extended = dated_task(start=date(2018, 1, 1), deadline=date(2018, 6, 30),
                          extended_deadline=date(2018, 12, 31))
    updates = [upd("2018-06", 80, at(2018, 7, 3))]
    as_of = date(2018, 7, 10)

    before = status(original, updates, as_of)
    assert (before.code, before.days_to_deadline, before.expected) == ("overdue", -10, 100)

    after = status(extended, updates, as_of)
    assert after.code == "on_track"
    assert after.days_to_deadline == (date(2018, 12, 31) - as_of).days
    assert after.expected == pytest.approx(100 * 190 / 364)


def test_deadline_day_itself_is_not_overdue():
    task = dated_task(start=date(2018, 1, 1), deadline=date(2018, 6, 30))
    updates = [upd("2018-05", 95, at(2018, 6, 3))]
    assert status(task, updates, date(2018, 6, 30)).code == "on_track"
    assert status(task, updates, date(2018, 7, 1)).code == "overdue"


@pytest.mark.parametrize(("percent", "state"), [(100, "in_progress"), (90, "done")])
def test_done_by_state_or_full_percent_even_after_deadline(percent, state):
    task = dated_task(deadline=date(2018, 6, 30))
    updates = [upd("2018-09", percent, at(2018, 10, 3), state=state)]
    assert status(task, updates, date(2018, 10, 10)).code == "done"


def test_not_started():
    task = dated_task(start=date(2018, 3, 1), deadline=date(2018, 12, 31))
    assert status(task, [], date(2018, 2, 1)).code == "not_started"
    zero = [upd("2018-03", 0, at(2018, 3, 2), state="not_started")]
    assert status(task, zero, date(2018, 3, 5)).code == "not_started"  # within tolerance
    assert status(task, zero, date(2018, 6, 1)).code == "behind"
    assert status(task, zero, date(2019, 1, 1)).code == "overdue"
    started = [upd("2018-03", 0, at(2018, 3, 2), state="in_progress")]
    assert status(task, started, date(2018, 3, 5)).code == "on_track"


def test_status_carries_figures_and_label():
    task = dated_task()
    sept = upd("2018-09", 70, at(2018, 10, 3))
    result = status(task, [sept], date(2018, 10, 10))
    assert (result.percent, result.last_update_id, result.last_period, result.state) == (
        70, sept.update_id, "2018-09", "in_progress")
    assert result.label == STATUS_LABELS[result.code]


# --------------------------------------------------------------------------- ongoing tasks


def test_ongoing_task_is_judged_by_regular_reporting():
    task = ongoing_task(start=date(2018, 1, 1))
    # 2018-01 is due on 2018-02-05: nothing owed the day before.
    assert status(task, [], date(2018, 2, 4)).code == "not_started"
    assert status(task, [], date(2018, 2, 5)).code == "behind"

    jan = upd("2018-01", 10, at(2018, 2, 5, 23, 59))
    result = status(task, [jan], date(2018, 2, 5))
    assert (result.code, result.expected, result.days_to_deadline) == ("on_track", None, None)
    assert status(task, [jan], date(2018, 3, 4)).code == "on_track"
    assert status(task, [jan], date(2018, 3, 5)).code == "behind"  # 2018-02 missed

    # A report for a later period also covers the missed one.
    mar = upd("2018-03", 20, at(2018, 3, 25))
    assert status(task, [jan, mar], date(2018, 3, 5)).code == "behind"  # not yet submitted
    assert status(task, [jan, mar], date(2018, 3, 25)).code == "on_track"


def test_ongoing_task_returned_or_helper_report_does_not_count():
    task = ongoing_task()
    returned_jan = upd("2018-01", 10, at(2018, 2, 3), reviews=[returned(at(2018, 2, 4))])
    helper_jan = upd("2018-01", 10, at(2018, 2, 3), unit=HELPER)
    assert status(task, [returned_jan, helper_jan], date(2018, 2, 10)).code == "behind"


def test_undated_task_is_judged_like_an_ongoing_one():
    task = dated_task(deadline=None)
    assert status(task, [], date(2018, 2, 10)).code == "behind"
    jan = upd("2018-01", 10, at(2018, 2, 3))
    assert status(task, [jan], date(2018, 2, 10)).code == "on_track"


def test_ongoing_task_can_be_done():
    task = ongoing_task()
    jan = upd("2018-01", 100, at(2018, 2, 3), state="done")
    assert status(task, [jan], date(2018, 9, 10)).code == "done"


# --------------------------------------------------------------------------- deadline warning


@pytest.mark.parametrize(
    ("deadline", "expected"),
    [
        (date(2018, 10, 9), "red"),
        (date(2018, 10, 10), "yellow"),  # today
        (date(2018, 10, 12), "yellow"),  # third day counting today
        (date(2018, 10, 13), "blue"),
        (date(2018, 10, 23), "blue"),  # 14th day counting today
        (date(2018, 10, 24), None),
        (None, None),
    ],
)
def test_deadline_warning(deadline, expected):
    assert deadline_warning(deadline, date(2018, 10, 10), done=False) == expected


def test_no_warning_when_done_and_custom_soon_days():
    assert deadline_warning(date(2018, 10, 1), date(2018, 10, 10), done=True) is None
    assert deadline_warning(date(2018, 10, 24), date(2018, 10, 10), False, soon_days=30) == "blue"


# --------------------------------------------------------------------------- milestones


def _status_with(code):
    return TaskStatus(task_id=1, code=code, percent=0, expected=None, days_to_deadline=None)


def test_task_milestone():
    milestone = MilestoneFacts(milestone_id=1, task_id=1, due_on=date(2018, 6, 30))
    assert milestone_state(milestone, _status_with("done"), date(2018, 9, 1)) == "done"
    assert milestone_state(milestone, _status_with("on_track"), date(2018, 6, 30)) == "pending"
    assert milestone_state(milestone, _status_with("on_track"), date(2018, 7, 1)) == "missed"


def test_plan_milestone_is_done_only_when_achieved():
    open_one = MilestoneFacts(milestone_id=2, task_id=None, due_on=date(2018, 6, 30))
    assert milestone_state(open_one, None, date(2018, 6, 30)) == "pending"
    assert milestone_state(open_one, None, date(2018, 7, 1)) == "missed"
    achieved = MilestoneFacts(2, None, date(2018, 6, 30), achieved_on=date(2018, 7, 5))
    assert milestone_state(achieved, None, date(2018, 7, 4)) == "missed"  # not yet, as of then
    assert milestone_state(achieved, None, date(2018, 7, 5)) == "done"


# --------------------------------------------------------------------------- timeliness


def test_timeliness_on_time_late_missing_and_done_stops_owing():
    tasks = [dated_task(1), dated_task(2), dated_task(3, lead_unit_id=HELPER)]
    updates = [
        upd("2018-01", 10, at(2018, 2, 5, 23, 59, 59), task=1),  # on time: last second
        upd("2018-02", 20, at(2018, 3, 6, 0, 0, 1), task=1),  # late
        # task 1, 2018-03: missing
        upd("2018-01", 100, at(2018, 2, 1), task=2, state="done"),  # done: owes nothing after
        upd("2018-01", 10, at(2018, 2, 1), task=3, unit=LEAD),  # not the lead: not owed
    ]
    result = unit_timeliness(LEAD, tasks, updates, date(2018, 4, 10), DUE_DAY, "2018-01")
    assert (result.due, result.on_time, result.late, result.missing) == (4, 2, 1, 1)
    assert result.ratio == 0.5
    assert result.missing_items == ((1, "2018-03"),)
    assert result.late_items == ((1, "2018-02"),)


def test_timeliness_nothing_due():
    result = unit_timeliness(LEAD, [dated_task()], [], date(2018, 2, 4), DUE_DAY, "2018-01")
    assert (result.due, result.ratio) == (0, None)


def test_timeliness_due_day_boundary_in_shanghai_vs_utc():
    tasks = [dated_task()]
    # 16:30 UTC on the due day is already 00:30 the next day in Shanghai.
    jan = upd("2018-01", 10, datetime(2018, 2, 5, 16, 30, tzinfo=UTC))
    as_of = date(2018, 2, 28)
    shanghai = unit_timeliness(LEAD, tasks, [jan], as_of, DUE_DAY, "2018-01")
    utc = unit_timeliness(LEAD, tasks, [jan], as_of, DUE_DAY, "2018-01", tz=UTC)
    assert (shanghai.on_time, shanghai.late) == (0, 1)
    assert (utc.on_time, utc.late) == (1, 0)


def test_timeliness_first_version_decides_even_if_returned():
    v1 = upd("2018-01", 10, at(2018, 2, 3), reviews=[returned(at(2018, 2, 4))])
    v2 = upd("2018-01", 12, at(2018, 2, 9), version=2)
    result = unit_timeliness(LEAD, [dated_task()], [v2, v1], date(2018, 2, 28), DUE_DAY, "2018-01")
    assert (result.due, result.on_time) == (1, 1)


def test_timeliness_submission_after_as_of_is_missing():
    jan = upd("2018-01", 10, at(2018, 2, 11))
    result = unit_timeliness(LEAD, [dated_task()], [jan], date(2018, 2, 10), DUE_DAY, "2018-01")
    assert (result.due, result.missing) == (1, 1)


def test_timeliness_starts_at_the_later_of_plan_and_task_start():
    task = dated_task(start=date(2018, 3, 15))
    result = unit_timeliness(LEAD, [task], [], date(2018, 6, 10), DUE_DAY, "2018-01")
    assert result.missing_items == ((1, "2018-03"), (1, "2018-04"), (1, "2018-05"))
    no_plan_start = unit_timeliness(LEAD, [task], [], date(2018, 6, 10), DUE_DAY)
    assert no_plan_start.due == 3


def test_done_reported_in_a_later_month_stops_owing_after_that_period():
    updates = [
        upd("2018-01", 50, at(2018, 2, 3)),
        upd("2018-02", 100, at(2018, 3, 3), state="done"),
        upd("2018-03", 100, at(2018, 4, 3), state="done"),  # extra reports do no harm
    ]
    assert done_period(updates, date(2018, 6, 10)) == "2018-02"
    result = unit_timeliness(LEAD, [dated_task()], updates, date(2018, 6, 10), DUE_DAY, "2018-01")
    assert (result.due, result.on_time) == (2, 2)


def test_reopened_or_returned_done_report_keeps_owing():
    reopened = [
        upd("2018-01", 100, at(2018, 2, 3), state="done"),
        upd("2018-02", 90, at(2018, 3, 3)),
    ]
    assert done_period(reopened, date(2018, 6, 10)) is None
    returned_done = [upd("2018-01", 100, at(2018, 2, 3), state="done",
                         reviews=[returned(at(2018, 2, 4))])]
    assert done_period(returned_done, date(2018, 6, 10)) is None
    assert done_period(returned_done, date(2018, 2, 3)) == "2018-01"  # before it was returned
    result = unit_timeliness(LEAD, [dated_task()], returned_done, date(2018, 4, 10), DUE_DAY,
                             "2018-01")
    assert (result.due, result.on_time, result.missing) == (3, 1, 2)


# --------------------------------------------------------------------------- plan figures


def test_plan_summary_and_percent():
    statuses = [
        TaskStatus(1, "done", 100, 100.0, -3),
        TaskStatus(2, "behind", 20, 50.0, 30),
        TaskStatus(3, "behind", 30, 50.0, 30),
    ]
    summary = plan_summary(statuses)
    assert list(summary) == list(STATUS_LABELS)
    assert summary == {"done": 1, "on_track": 0, "behind": 2, "overdue": 0, "not_started": 0}
    assert plan_percent(statuses) == 50.0
    assert plan_percent([]) == 0.0
    assert plan_summary([]) == dict.fromkeys(STATUS_LABELS, 0)


# --------------------------------------------------------------------------- properties

as_of_days = st.dates(min_value=date(2018, 1, 1), max_value=date(2019, 3, 31))


@st.composite
def histories(draw):
    """A random history of one task reported by the lead and a helper unit in 2018."""
    result = []
    for update_id in range(1, draw(st.integers(0, 12)) + 1):
        month = draw(st.integers(1, 12))
        submitted = at(2018, month, 1) + timedelta(days=draw(st.integers(0, 70)),
                                                     minutes=draw(st.integers(0, 1439)))
        reviews = draw(st.lists(
            st.builds(ReviewFacts, st.sampled_from(["accepted", "returned"]),
                      st.integers(0, 20).map(lambda d, s=submitted: s + timedelta(days=d))),
            max_size=2))
        result.append(upd(f"2018-{month:02d}", draw(st.integers(0, 100)), submitted,
                          state=draw(st.sampled_from(["not_started", "in_progress", "done",
                                                      "blocked"])),
                          version=draw(st.integers(1, 3)), unit=draw(st.sampled_from([LEAD,
                                                                                      HELPER])),
                          reviews=sorted(reviews, key=lambda r: r.decided_at),
                          update_id=update_id))
    return result


tasks = st.one_of(
    st.builds(dated_task, deadline=st.dates(date(2018, 1, 1), date(2018, 12, 31)),
              extended_deadline=st.none() | st.dates(date(2018, 6, 1), date(2019, 6, 30))),
    st.just(ongoing_task()),
)


@given(tasks, histories(), as_of_days)
def test_later_submissions_do_not_change_the_past(task, history, as_of):
    before = status(task, history, as_of)
    future = upd("2018-12", 100, at(as_of.year, as_of.month, as_of.day) + timedelta(days=1),
                 state="done", version=9)
    assert status(task, [*history, future], as_of) == before
    assert before.code in STATUS_LABELS
    assert 0 <= before.percent <= 100


@given(tasks, as_of_days, as_of_days)
def test_expected_percent_is_bounded_and_monotone(task, first, second):
    early, late = sorted([first, second])
    a, b = expected_percent(task, early), expected_percent(task, late)
    if task.ongoing:
        assert a is None and b is None
    else:
        assert 0 <= a <= b <= 100


@given(histories(), as_of_days, st.sampled_from(["2018-01", "2018-04", None]))
def test_timeliness_adds_up(history, as_of, first_period):
    result = unit_timeliness(LEAD, [dated_task()], history, as_of, DUE_DAY, first_period)
    assert result.due == result.on_time + result.late + result.missing
    assert result.ratio is None or 0 <= result.ratio <= 1
    assert len(result.missing_items) == result.missing


@given(st.lists(st.sampled_from(list(STATUS_LABELS))))
def test_plan_summary_counts_every_task(codes):
    statuses = [TaskStatus(i, code, 0, None, None) for i, code in enumerate(codes)]
    assert sum(plan_summary(statuses).values()) == len(codes)
