"""The report's charts from its data: one mapping, used by the PDF, the Word copy and the pages.

A chart is a pure function of a few plain values (`chart_inputs`), so it is cached by a hash of
those values: the same plan as of the same date with the same data is drawn once, whoever asks
(overview page, API, PDF, DOCX, the next `tracker report` command); any change in the data
changes the key. The cache is kept in memory and in the data directory (charts/, a few KB per
chart). Drawing is CPU work: `reporting.archive.draw_charts` runs `draw_many` in a render child
(tracker/reporting/worker.py), off the event loop.
"""

from __future__ import annotations

import hashlib
import pickle
from collections import OrderedDict
from pathlib import Path

from tracker.reporting.model import ReportData
from tracker.settings import get_settings

CHART_NAMES = ("sections", "units", "trend", "status", "milestones")
OVERVIEW_CHARTS = ("status", "sections", "trend", "units")  # the plan page's, in its order
CHART_CAPTIONS = {
    "status": "任务状态分布",
    "sections": "各部分完成率",
    "units": "各单位完成率和报送及时率",
    "trend": "计划完成率月度趋势",
    "milestones": "关键节点",
}
CACHE_SIZE = 256  # charts (a few KB of SVG, tens of KB of PNG each)

_cache: OrderedDict[str, bytes] = OrderedDict()


def chart_inputs(data: ReportData, name: str) -> tuple:
    """The plain values chart `name` is drawn from."""
    if name == "sections":
        return (data.sections,)
    if name == "units":
        units = data.units_charted if data.units_charted is not None else data.units
        return ([(u.name, u.percent, u.timeliness) for u in units],)
    if name == "trend":
        return (data.trend,)
    if name == "status":
        return ({code: count for code, count in data.totals.items() if code != "total"},)
    if name == "milestones":
        return (data.milestones, data.as_of)
    raise ValueError(f"unknown chart {name!r}")


def has_data(data: ReportData, name: str) -> bool:
    """False for a chart that would only say 暂无数据 (left out of the unit edition)."""
    inputs = chart_inputs(data, name)
    if name == "status":
        return sum(inputs[0].values()) > 0
    return bool(inputs[0])


def report_charts(data: ReportData) -> list[str]:
    """The charts a report prints, in order: those with data (all of them in the leadership
    edition, where an empty chart still says something about the whole plan)."""
    order = ("status", "sections", "units", "trend", "milestones")
    if data.leadership:
        # Two pages of charts: the short ones first, then the unit chart and the trend.
        order = ("status", "sections", "milestones", "units", "trend")
        return [name for name in order if name != "units" or data.units]
    return [name for name in order if has_data(data, name)]


def cache_key(name: str, fmt: str, inputs: tuple) -> str:
    return hashlib.sha256(pickle.dumps((name, fmt, inputs), protocol=5)).hexdigest()


def _cache_file(key: str) -> Path:
    return get_settings().data_dir / "charts" / key[:2] / key


def cached(key: str) -> bytes | None:
    content = _cache.get(key)
    if content is not None:
        _cache.move_to_end(key)
        return content
    try:
        content = _cache_file(key).read_bytes()
    except OSError:
        return None
    _remember_here(key, content)
    return content


def _remember_here(key: str, content: bytes) -> None:
    _cache[key] = content
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)


def remember(key: str, content: bytes) -> None:
    _remember_here(key, content)
    path = _cache_file(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_bytes(content)
        partial.replace(path)  # whole or absent, even with two writers
    except OSError:
        pass  # a read-only data directory: the memory cache still works


def draw(name: str, inputs: tuple, formats: tuple[str, ...]) -> dict[str, bytes]:
    """Draw one chart in each of `formats` (one drawing); runs in the worker process.
    matplotlib is imported here, so a report whose charts are all cached never loads it."""
    from tracker.reporting import charts

    return charts.CHARTS[name](*inputs, fmt=formats)


Wanted = dict[str, tuple[tuple, tuple[str, ...]]]  # chart name -> (inputs, formats to draw)


def draw_many(wanted: Wanted) -> dict[str, dict[str, bytes]]:
    """Every chart of `wanted`, in one call: one render child draws a report's charts."""
    return {name: draw(name, inputs, formats) for name, (inputs, formats) in wanted.items()}


def look_up(data: ReportData, names: list[str], formats: tuple[str, ...]
            ) -> tuple[dict[str, dict[str, bytes | None]], Wanted]:
    """(found, wanted): the cached charts {name: {fmt: bytes or None}} and what must be
    drawn."""
    found: dict[str, dict[str, bytes | None]] = {}
    wanted: Wanted = {}
    for name in names:
        inputs = chart_inputs(data, name)
        found[name] = {fmt: cached(cache_key(name, fmt, inputs)) for fmt in formats}
        missing = tuple(fmt for fmt, content in found[name].items() if content is None)
        if missing:
            wanted[name] = (inputs, missing)
    return found, wanted


def keep(found: dict[str, dict[str, bytes | None]], wanted: Wanted,
         drawn: dict[str, dict[str, bytes]]) -> dict[str, dict[str, bytes]]:
    """`found` completed with the charts just drawn, which the cache remembers."""
    for name, contents in drawn.items():
        inputs = wanted[name][0]
        for fmt, content in contents.items():
            remember(cache_key(name, fmt, inputs), content)
            found[name][fmt] = content
    return found  # type: ignore[return-value] - every None is filled now


def report_chart(data: ReportData, name: str, fmt: str = "svg") -> bytes:
    """Chart `name` (one of CHART_NAMES) of the report data, drawn here (cached)."""
    return chart_set(data, [name], (fmt,))[name][fmt]


def chart_set(data: ReportData, names: list[str], formats: tuple[str, ...]
              ) -> dict[str, dict[str, bytes]]:
    """Charts drawn in this process, through the cache (the command line, the worker)."""
    found, wanted = look_up(data, names, formats)
    return keep(found, wanted, draw_many(wanted) if wanted else {})
