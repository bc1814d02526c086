"""Reporting periods: parsing, month arithmetic, due dates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.domain.periods import (
    check_period_in_year,
    due_date,
    latest_due_period,
    next_period,
    parse_period,
    period_end,
    period_of,
    period_start,
    periods_between,
    periods_due_by,
    plan_periods,
    previous_period,
)

periods = st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(1900, 2200), st.integers(1, 12))
days = st.dates(min_value=date(1900, 3, 1), max_value=date(2200, 12, 31))
due_days = st.integers(1, 28)


# --------------------------------------------------------------------------- parse_period


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2018-09", "2018-09"), ("2018-9", "2018-09"), (" 2018-12 ", "2018-12"), ("2019-01", "2019-01")],
)
def test_parse_period_normalises(text, expected):
    assert parse_period(text) == expected


@pytest.mark.parametrize(
    "text",
    ["2018-13", "2018-0", "2018-00", "2018/09", "", "   ", "abc", "18-09", "2018-009", "2018-09-01",
     "２０１８-０９", "0000-01", None, 201809],
)
def test_parse_period_rejects_with_chinese_reason(text):
    with pytest.raises(ValueError) as info:
        parse_period(text)
    message = str(info.value)
    assert "报送周期" in message
    assert "\n" not in message


def test_parse_period_month_out_of_range_says_so():
    with pytest.raises(ValueError, match="月份"):
        parse_period("2018-13")


@given(periods)
def test_parse_period_is_idempotent(period):
    assert parse_period(period) == period
    assert parse_period(parse_period(period)) == period


# --------------------------------------------------------------------------- month arithmetic


def test_period_of_and_bounds():
    assert period_of(date(2018, 9, 30)) == "2018-09"
    assert period_start("2018-9") == date(2018, 9, 1)
    assert period_end("2018-09") == date(2018, 9, 30)
    assert period_end("2016-02") == date(2016, 2, 29)
    assert period_end("2018-02") == date(2018, 2, 28)
    assert period_end("2018-12") == date(2018, 12, 31)


def test_next_and_previous_cross_the_year():
    assert next_period("2018-12") == "2019-01"
    assert previous_period("2019-01") == "2018-12"
    assert next_period("2018-9") == "2018-10"


def test_periods_between():
    assert periods_between("2018-11", "2019-02") == ["2018-11", "2018-12", "2019-01", "2019-02"]
    assert periods_between("2018-09", "2018-09") == ["2018-09"]
    assert periods_between("2018-10", "2018-09") == []


def test_plan_periods():
    months = plan_periods(2018)
    assert months[0] == "2018-01" and months[-1] == "2018-12" and len(months) == 12


@given(periods)
def test_next_previous_are_inverse(period):
    assert previous_period(next_period(period)) == period
    assert next_period(previous_period(period)) == period
    assert next_period(period) > period


@given(periods)
def test_bounds_belong_to_the_period(period):
    start, end = period_start(period), period_end(period)
    assert period_of(start) == period_of(end) == period
    assert period_of(end + timedelta(days=1)) == next_period(period)
    assert start.day == 1


@given(periods, periods)
def test_periods_between_is_contiguous(first, last):
    result = periods_between(first, last)
    if first > last:
        assert result == []
    else:
        assert result[0] == first and result[-1] == last
        assert all(next_period(a) == b for a, b in zip(result, result[1:], strict=False))


# --------------------------------------------------------------------------- due dates


def test_due_date_is_in_the_following_month():
    assert due_date("2018-09", 5) == date(2018, 10, 5)
    assert due_date("2018-12", 10) == date(2019, 1, 10)
    assert due_date("2018-01", 28) == date(2018, 2, 28)


@pytest.mark.parametrize("bad", [0, 29, 31, -1, True, 5.0])
def test_due_day_must_exist_in_every_month(bad):
    with pytest.raises(ValueError, match="截止日"):
        due_date("2018-09", bad)


def test_latest_due_period_on_the_due_day_itself():
    assert latest_due_period(date(2018, 10, 5), 5) == "2018-09"  # due today: owed
    assert latest_due_period(date(2018, 10, 4), 5) == "2018-08"  # due tomorrow: not yet
    assert latest_due_period(date(2019, 1, 4), 5) == "2018-11"


def test_periods_due_by():
    assert periods_due_by("2018-01", date(2018, 3, 5), 5) == ["2018-01", "2018-02"]
    assert periods_due_by("2018-01", date(2018, 3, 4), 5) == ["2018-01"]
    assert periods_due_by("2018-01", date(2018, 2, 4), 5) == []
    assert periods_due_by("2018-06", date(2018, 3, 31), 5) == []


@given(periods, days, due_days)
def test_periods_due_by_is_exactly_the_due_ones(first, as_of, due_day):
    owed = periods_due_by(first, as_of, due_day)
    assert all(due_date(p, due_day) <= as_of for p in owed)
    # The first period not in the list is not due yet.
    after = next_period(owed[-1]) if owed else first
    assert due_date(after, due_day) > as_of


# --------------------------------------------------------------------------- plan year


def test_check_period_in_year():
    assert check_period_in_year("2018-9", 2018) == "2018-09"
    with pytest.raises(ValueError) as info:
        check_period_in_year("2019-01", 2018)
    assert str(info.value) == "报送周期 2019-01 不在计划年度 2018 内"
