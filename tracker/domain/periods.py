"""Reporting periods (报送周期): pure functions over month strings "YYYY-MM".

A period is one calendar month, written "YYYY-MM" (e.g. "2018-09"). Zero-padded strings sort
in time order, so periods compare correctly as plain strings once normalised by
``parse_period``. Every function that takes a period accepts the loose form ("2018-9") too.

Updates for a period are due on ``due_day`` (1-28, so it exists in every month) of the
FOLLOWING month: the period "2018-09" with due_day 5 is due on 2018-10-05.

    parse_period("2018-9") == "2018-09"
    due_date("2018-09", 5) == date(2018, 10, 5)
    periods_due_by("2018-01", date(2018, 3, 5), 5) == ["2018-01", "2018-02"]
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from functools import lru_cache

from tracker.domain.errors import InvalidInput

__all__ = [
    "check_period_in_year",
    "due_date",
    "latest_due_period",
    "next_period",
    "parse_period",
    "period_end",
    "period_of",
    "period_start",
    "periods_between",
    "periods_due_by",
    "plan_periods",
    "previous_period",
]

# ASCII digits only: \d would also accept e.g. Arabic-Indic digits.
_PERIOD_RE = re.compile(r"([0-9]{4})-([0-9]{1,2})", re.ASCII)


_PARSED: dict[str, str] = {}  # valid period text -> normalised (every fact has one)
_PARSED_LIMIT = 4096


def parse_period(text: str) -> str:
    """Validate a period and return it normalised ("2018-9" → "2018-09").

    Surrounding whitespace is ignored. Raises ValueError with a one-line Chinese reason.
    """
    if type(text) is str and (known := _PARSED.get(text)) is not None:
        return known
    normalised = _parse_period(text)
    if len(_PARSED) < _PARSED_LIMIT:
        _PARSED[text] = normalised
    return normalised


def _parse_period(text: str) -> str:
    if not isinstance(text, str):
        raise ValueError(f"报送周期应为“年-月”格式的文字，收到 {text!r}")
    stripped = text.strip()
    if not stripped:
        raise ValueError("报送周期不能为空，应为“年-月”格式，如 2018-09")
    match = _PERIOD_RE.fullmatch(stripped)
    if match is None:
        raise ValueError(f"报送周期“{stripped}”格式不对，应为“年-月”格式，如 2018-09")
    year, month = int(match.group(1)), int(match.group(2))
    if year < 1:
        raise ValueError(f"报送周期“{stripped}”的年份无效")
    if not 1 <= month <= 12:
        raise ValueError(f"报送周期“{stripped}”的月份应在 1 到 12 之间")
    return f"{year:04d}-{month:02d}"


def _year_month(period: str) -> tuple[int, int]:
    normalised = parse_period(period)
    return int(normalised[:4]), int(normalised[5:])


def _format(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def period_of(day: date) -> str:
    """The period a day falls in."""
    return _format(day.year, day.month)


def period_start(period: str) -> date:
    """First day of the period's month."""
    year, month = _year_month(period)
    return date(year, month, 1)


def period_end(period: str) -> date:
    """Last day of the period's month."""
    year, month = _year_month(period)
    return date(year, month, calendar.monthrange(year, month)[1])


def next_period(period: str) -> str:
    year, month = _year_month(period)
    return _format(year + 1, 1) if month == 12 else _format(year, month + 1)


def previous_period(period: str) -> str:
    year, month = _year_month(period)
    return _format(year - 1, 12) if month == 1 else _format(year, month - 1)


def _check_due_day(due_day: int) -> None:
    # Capped at 28 so the due day exists in every month, February included.
    if isinstance(due_day, bool) or not isinstance(due_day, int) or not 1 <= due_day <= 28:
        raise ValueError(f"报送截止日应为每月 1 到 28 日之间，收到 {due_day!r}")


@lru_cache(maxsize=4096, typed=True)  # pure; asked for every (task, period) of a plan
def due_date(period: str, due_day: int) -> date:
    """The day updates for ``period`` are due: ``due_day`` of the following month."""
    _check_due_day(due_day)
    return period_start(next_period(period)).replace(day=due_day)


def periods_between(first: str, last: str) -> list[str]:
    """All periods from ``first`` to ``last`` inclusive; empty when first > last."""
    year, month = _year_month(first)
    last_key = _year_month(last)
    result = []
    while (year, month) <= last_key:
        result.append(_format(year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return result


def plan_periods(year: int) -> list[str]:
    """The twelve periods of a plan year, "YYYY-01" .. "YYYY-12"."""
    return [_format(year, month) for month in range(1, 13)]


def latest_due_period(as_of: date, due_day: int) -> str:
    """The most recent period whose due date is on or before ``as_of``.

    On 2018-10-05 with due_day 5 that is "2018-09"; on 2018-10-04 it is still "2018-08".
    """
    _check_due_day(due_day)
    last_month = previous_period(period_of(as_of))
    return last_month if as_of.day >= due_day else previous_period(last_month)


def periods_due_by(first: str, as_of: date, due_day: int) -> list[str]:
    """Periods from ``first`` whose due date is <= ``as_of``: what a unit owed by that day."""
    return periods_between(first, latest_due_period(as_of, due_day))


def check_period_in_year(period: str, year: int) -> str:
    """Return the normalised period, or raise ValueError if it lies outside the plan year."""
    normalised = parse_period(period)
    if int(normalised[:4]) != year:
        raise ValueError(f"报送周期 {normalised} 不在计划年度 {year} 内")
    return normalised


def parse_day(value: str | None, field: str) -> date | None:
    """An optional YYYY-MM-DD from a form, query or flag; a bad one is refused naming `field`."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"日期“{value[:20]}”无效，应为 YYYY-MM-DD", field) from None
