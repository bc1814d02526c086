"""The report's charts from its data: one mapping, used by the PDF and by the chart API."""

from __future__ import annotations

from tracker.reporting import charts
from tracker.reporting.model import ReportData

CHART_NAMES = ("sections", "units", "trend", "status", "milestones")


def report_chart(data: ReportData, name: str, fmt: str = "svg") -> bytes:
    """Chart `name` (one of CHART_NAMES) of the report data, as SVG or PNG bytes."""
    if name == "sections":
        return charts.completion_by_section(data.sections, fmt=fmt)
    if name == "units":
        return charts.completion_by_unit([(u.name, u.percent, u.timeliness) for u in data.units],
                                         fmt=fmt)
    if name == "trend":
        return charts.monthly_trend(data.trend, fmt=fmt)
    if name == "status":
        return charts.status_mix(data.totals, fmt=fmt)
    if name == "milestones":
        return charts.milestone_timeline(data.milestones, data.as_of, fmt=fmt)
    raise ValueError(f"unknown chart {name!r}")
