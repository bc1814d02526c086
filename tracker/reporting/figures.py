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

from tracker.domain.errors import InvalidInput
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
# The shapes a chart is drawn in: "wide" for the report and a desk's screen, "phone" for a
# narrow screen (the overview's charts only: PHONE_CHARTS). A chart in a shape other than wide
# goes by the variant name "units@phone" through the cache and the drawing (variant()): the
# shape is part of the cache key, and a wide chart's name and key are what they always were.
SHAPES = ("wide", "phone")
PHONE_CHARTS = OVERVIEW_CHARTS
CACHE_SIZE = 256  # charts (a few KB of SVG, tens of KB of PNG each)

_cache: OrderedDict[str, bytes] = OrderedDict()


def parse_shape(value: str | None, chart: str, field: str = "shape") -> str:
    """A chart's shape from a query (None or "": wide); a bad one is refused naming `field`."""
    shape = value or "wide"
    if shape not in SHAPES:
        raise InvalidInput(f"图表版式“{shape[:20]}”无效，应为 {' 或 '.join(SHAPES)}", field)
    if shape == "phone" and chart not in PHONE_CHARTS:
        raise InvalidInput(f"图表“{chart[:40]}”没有手机版（有：{'、'.join(PHONE_CHARTS)}）", field)
    return shape


def variant(name: str, shape: str = "wide") -> str:
    """The name chart `name` in `shape` goes by in the cache and the drawing."""
    return name if shape == "wide" else f"{name}@{shape}"


def split_variant(chart: str) -> tuple[str, str]:
    """(name, shape) of a variant name."""
    name, _, shape = chart.partition("@")
    return name, shape or "wide"


def chart_inputs(data: ReportData, name: str) -> tuple:
    """The plain values chart `name` (or a variant of it) is drawn from."""
    name = split_variant(name)[0]
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


def _last_charts_file(request: str) -> Path:
    return get_settings().data_dir / "charts" / "last" / hashlib.sha256(
        request.encode()).hexdigest()


def remember_last_charts(request: str, keys: list[str]) -> None:
    """Note the cache keys of the charts the report asked for as `request` printed (the report
    command: its arguments), so the next identical command knows before reading the database
    whether it will draw anything (last_charts_cached)."""
    path = _last_charts_file(request)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_text("\n".join(keys), encoding="ascii")
        partial.replace(path)
    except OSError:
        pass  # a read-only data directory: the command draws as if nothing were cached


def last_charts_cached(request: str) -> bool:
    """Whether every chart the last report asked for as `request` used is in the cache: then
    this one most likely draws none (unless the data changed since, when it draws them after
    all, later)."""
    try:
        keys = _last_charts_file(request).read_text(encoding="ascii").split()
    except OSError:
        return False
    return bool(keys) and all(key in _cache or _cache_file(key).is_file() for key in keys)


def draw(name: str, inputs: tuple, formats: tuple[str, ...]) -> dict[str, bytes]:
    """Draw one chart (or variant) in each of `formats` (one drawing); runs in the worker
    process. matplotlib is imported here, so a report whose charts are all cached never
    loads it."""
    from tracker.reporting import charts

    name, shape = split_variant(name)
    drawers = charts.PHONE_CHARTS if shape == "phone" else charts.CHARTS
    return drawers[name](*inputs, fmt=formats)


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
