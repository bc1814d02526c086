"""Charts for the report and the pages: data in, SVG or PNG bytes out.

Pure functions over plain data. Each builds its own `matplotlib.figure.Figure` (pyplot keeps
global state and leaks in a server) under a per-figure `rc_context`. The rc_context changes
matplotlib's global rcParams while it is active, so draw charts from one thread per process
(reports are rendered in a worker process anyway).
"""

from __future__ import annotations

import functools
import inspect
import io
from collections.abc import Callable
from datetime import date, timedelta

from tracker.reporting.plotting import load_matplotlib

load_matplotlib()  # before the names below: without the parts the charts never use

import matplotlib  # noqa: E402
from matplotlib import dates as mdates  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from tracker.domain.vocabulary import MILESTONE_STATE_LABELS  # noqa: E402
from tracker.reporting.chart_sizes import (  # noqa: E402
    EMPTY_HEIGHT,
    PHONE_BAR,
    PHONE_EMPTY_HEIGHT,
    PHONE_LINE,
    PHONE_MARGINS,
    PHONE_WIDTH,
    PHONE_WRAP_COLUMNS,
    WIDTH,
    display_columns,
    height_of,
    phone_rows,
    status_values,
    wrap_label,
)
from tracker.reporting.palette import STATUS_COLOURS, STATUS_LABELS, STATUS_ORDER  # noqa: E402

LABELS = {
    "no_data": "暂无数据",
    "completion": "完成率",
    "timeliness": "报送及时率",
    "percent_axis": "完成率（%）",
    "plan_completion": "计划完成率（%）",
    "tasks_done": "已完成任务数",
    "no_value": "—",
    "as_of": "统计截至 {month}月{day}日",
    "month": "{month}月",
    "font_missing": (
        "找不到中文字体（Noto Sans CJK SC 等），图表会显示成方框。"
        "请安装 Debian 软件包 fonts-noto-cjk（apt-get install fonts-noto-cjk），"
        "然后删除 matplotlib 字体缓存（MPLCONFIGDIR）重试。"
        " No CJK font found by matplotlib: install the Debian package fonts-noto-cjk."
    ),
}

# Status order, labels and colours: one place (tracker.reporting.palette).
MILESTONE_STYLE = {  # state -> (marker, colour, filled)
    "done": ("o", STATUS_COLOURS["done"], True),
    "pending": ("o", STATUS_COLOURS["on_track"], False),
    "missed": ("X", STATUS_COLOURS["overdue"], True),
}
SERIES_COLOURS = {"completion": "#1565c0", "timeliness": "#ef8f00", "done": "#90caf9"}

CJK_FAMILIES = [
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
    "WenQuanYi Zen Hei",
]
_RC = {
    "font.family": "sans-serif",
    "font.sans-serif": [*CJK_FAMILIES, "DejaVu Sans"],
    "font.size": 9,
    "axes.unicode_minus": False,  # CJK fonts lack U+2212
    "svg.fonttype": "none",  # text stays text: small SVG, WeasyPrint draws it with the CJK font
    "svg.hashsalt": "tracker",  # stable element ids, so the same data gives the same bytes
    "text.parse_math": False,  # task and unit names may contain "$"
    "axes.spines.top": False,
    "axes.spines.right": False,
}
FORMATS = ("svg", "png")
PNG_DPI = 150
FONT_PT = 9


@functools.cache
def cjk_font_path() -> str:
    """The file of the first CJK font matplotlib finds; RuntimeError if there is none."""
    for family in CJK_FAMILIES:
        try:
            return str(font_manager.findfont(FontProperties(family=family),
                                             fallback_to_default=False))
        except ValueError:
            continue
    raise RuntimeError(LABELS["font_missing"])


# --- helpers -------------------------------------------------------------------------------


def _label_inches(labels: list[str]) -> float:
    """Width in inches of the widest wrapped label line at FONT_PT."""
    widest = max((display_columns(line) for label in labels for line in label.split("\n")), default=0)
    return widest * FONT_PT / 2 / 72


def _new_figure(height: float, width: float = WIDTH) -> Figure:
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, fmt: str | tuple[str, ...]) -> bytes | dict[str, bytes]:
    """The figure as `fmt`; with a tuple of formats, {fmt: bytes} from one drawing."""
    if isinstance(fmt, tuple):
        return {one: _save(fig, one) for one in fmt}
    buffer = io.BytesIO()
    if fmt == "svg":
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    else:
        fig.savefig(buffer, format="png", dpi=PNG_DPI, facecolor="white")
    return buffer.getvalue()


def _empty(fmt: str, height: float = EMPTY_HEIGHT, width: float = WIDTH) -> bytes:
    fig = _new_figure(height, width)
    fig.text(0.5, 0.5, LABELS["no_data"], ha="center", va="center", fontsize=12,
             color="#757575")
    return _save(fig, fmt)


def _chart(func: Callable[..., bytes]) -> Callable[..., bytes]:
    """Check `fmt` and the CJK font, then draw under the charts' rcParams."""
    signature = inspect.signature(func)

    @functools.wraps(func)
    def wrapper(*args, **kwargs) -> bytes:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        fmt = bound.arguments["fmt"]
        if not set(fmt if isinstance(fmt, tuple) else (fmt,)) <= set(FORMATS):
            raise ValueError(f"fmt must be one of {FORMATS} (or a tuple of them), not {fmt!r}")
        cjk_font_path()
        with matplotlib.rc_context(_RC):
            return func(*args, **kwargs)

    return wrapper


def _percent_axis(axis) -> None:
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0f}%"))


def _margins(fig: Figure, labels: list[str], height: float, *, bottom: float = 0.45,
             top: float = 0.15, right: float = 0.45) -> None:
    """Margins from the label width, in inches, so no tight_layout pass is needed."""
    left = _label_inches(labels) + 0.2
    fig.subplots_adjust(left=left / WIDTH, right=1 - right / WIDTH,
                        bottom=bottom / height, top=1 - top / height)


# --- charts --------------------------------------------------------------------------------


@_chart
def completion_by_section(sections: list[tuple[str, float]], fmt: str = "svg") -> bytes:
    """Horizontal bars: completion percent (0-100) per plan section, in plan order."""
    if not sections:
        return _empty(fmt)
    labels = [wrap_label(title) for title, _ in sections]
    values = [max(0.0, min(100.0, float(percent))) for _, percent in sections]
    height = height_of("sections", sections)
    fig = _new_figure(height)
    _margins(fig, labels, height)
    ax = fig.add_subplot()
    y = range(len(labels))
    ax.barh(y, values, height=0.6, color=SERIES_COLOURS["completion"])
    ax.barh(y, [100 - v for v in values], left=values, height=0.6, color="#e3eaf3")
    for i, value in enumerate(values):
        ax.text(value + 1, i, f"{value:.0f}%", va="center", fontsize=8)
    ax.set_yticks(list(y), labels)
    ax.invert_yaxis()  # first section at the top, as in the plan
    ax.set_xlim(0, 110)
    ax.set_xticks(range(0, 101, 20))
    _percent_axis(ax.xaxis)
    ax.tick_params(axis="y", length=0)
    return _save(fig, fmt)


@_chart
def completion_by_unit(units: list[tuple[str, float, float | None]], fmt: str = "svg") -> bytes:
    """Grouped horizontal bars per unit: completion % and reporting timeliness %."""
    if not units:
        return _empty(fmt)
    labels = [wrap_label(name) for name, _, _ in units]
    height = height_of("units", units)
    fig = _new_figure(height)
    _margins(fig, labels, height, bottom=0.7)
    ax = fig.add_subplot()
    bar = 0.36
    for i, (_, completion, timeliness) in enumerate(units):
        ax.barh(i - bar / 2, completion, height=bar, color=SERIES_COLOURS["completion"])
        ax.text(completion + 1, i - bar / 2, f"{completion:.0f}%", va="center", fontsize=7)
        if timeliness is None:
            ax.text(1, i + bar / 2, LABELS["no_value"], va="center", fontsize=7)
        else:
            ax.barh(i + bar / 2, timeliness, height=bar, color=SERIES_COLOURS["timeliness"])
            ax.text(timeliness + 1, i + bar / 2, f"{timeliness:.0f}%", va="center", fontsize=7)
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 110)
    ax.set_xticks(range(0, 101, 20))
    _percent_axis(ax.xaxis)
    ax.tick_params(axis="y", length=0)
    handles = [Patch(color=SERIES_COLOURS[key], label=LABELS[key])
               for key in ("completion", "timeliness")]
    fig.legend(handles=handles, loc="lower center", ncols=2, frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    return _save(fig, fmt)


def _done_bars(ax, x: list[int], done_counts: list[int], width: float, **ticks):
    """The trend's tasks-done bars on a right-hand count axis of whole, non-negative numbers
    (0-1 when nothing is done yet), under the completion line drawn on `ax`."""
    bars = ax.twinx()
    bars.bar(x, done_counts, width=width, color=SERIES_COLOURS["done"])
    bars.set_ylim(0, max(1, max(done_counts, default=0)) * 1.15)
    bars.yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1, **ticks))
    bars.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0f}" if v >= 0 else ""))
    bars.spines["right"].set_visible(True)
    bars.spines["top"].set_visible(False)
    ax.set_zorder(bars.get_zorder() + 1)  # line over bars
    ax.patch.set_visible(False)
    return bars


def _trend_handles() -> list:
    return [
        Line2D([], [], color=SERIES_COLOURS["completion"], marker="o",
               label=LABELS["plan_completion"]),
        Patch(color=SERIES_COLOURS["done"], label=LABELS["tasks_done"]),
    ]


def _status_segments(ax, values: list[int], fontsize: float, min_share: float) -> None:
    """One bar split by status, each count inside its segment where it fits (`min_share`)."""
    total, left = sum(values), 0
    for status, value in zip(STATUS_ORDER, values, strict=True):
        if value:
            ax.barh(0, value, left=left, height=0.8, color=STATUS_COLOURS[status])
            if value / total >= min_share:
                ax.text(left + value / 2, 0, str(value), ha="center", va="center",
                        color="white", fontsize=fontsize, fontweight="bold")
        left += value
    ax.set_xlim(0, total)
    ax.set_axis_off()


def _status_handles(values: list[int]) -> list:
    return [Patch(color=STATUS_COLOURS[status], label=f"{STATUS_LABELS[status]} {value}")
            for status, value in zip(STATUS_ORDER, values, strict=True)]


@_chart
def monthly_trend(points: list[tuple[str, float, int]], fmt: str = "svg") -> bytes:
    """Plan completion % per period (line, left axis) over tasks done (bars, right axis).

    The count axis is whole, non-negative numbers (0-1 when nothing is done yet); months are
    labelled "9月" without rotation, so twelve fit, and the legend sits above the plot, clear
    of the month labels."""
    if not points:
        return _empty(fmt)
    height = height_of("trend", points)
    fig = _new_figure(height)
    fig.subplots_adjust(left=0.7 / WIDTH, right=1 - 0.7 / WIDTH, bottom=0.45 / height,
                        top=1 - 0.5 / height)
    ax = fig.add_subplot()
    x = list(range(len(points)))
    periods = [period for period, _, _ in points]
    done_counts = [max(0, int(done)) for _, _, done in points]
    bars = _done_bars(ax, x, done_counts, width=0.5)
    bars.set_ylabel(LABELS["tasks_done"])
    percents = [percent for _, percent, _ in points]
    ax.plot(x, percents, color=SERIES_COLOURS["completion"], marker="o", markersize=4)
    if len(points) <= 12:
        for xi, percent in zip(x, percents, strict=True):
            ax.annotate(f"{percent:.0f}%", (xi, percent), textcoords="offset points",
                        xytext=(0, 5), ha="center", fontsize=7)
    ax.set_ylim(0, 105)
    _percent_axis(ax.yaxis)
    ax.set_ylabel(LABELS["plan_completion"])
    years = {period[:4] for period in periods}
    labels = [LABELS["month"].format(month=int(period[5:7])) if len(years) == 1 else period
              for period in periods]
    crowded = len(points) > 12 or (len(years) > 1 and len(points) > 8)
    ax.set_xticks(x, labels, rotation=45 if crowded else 0, ha="right" if crowded else "center")
    ax.set_xlim(-0.6, len(points) - 0.4)
    fig.legend(handles=_trend_handles(), loc="upper center", ncols=2, frameon=False,
               bbox_to_anchor=(0.5, 1.0))
    return _save(fig, fmt)


@_chart
def status_mix(counts: dict[str, int], fmt: str = "svg") -> bytes:
    """One horizontal bar split by status, with a legend of labels and counts."""
    values = status_values(counts)
    total = sum(values)
    if total == 0:
        return _empty(fmt)
    height = height_of("status", counts)
    fig = _new_figure(height)
    fig.subplots_adjust(left=0.15 / WIDTH, right=1 - 0.15 / WIDTH, bottom=0.5 / height,
                        top=1 - 0.1 / height)
    _status_segments(fig.add_subplot(), values, fontsize=9, min_share=0.06)
    fig.legend(handles=_status_handles(values), loc="lower center", ncols=5, frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    return _save(fig, fmt)


@_chart
def milestone_timeline(milestones: list[tuple[str, date, str]], as_of: date,
                       fmt: str = "svg") -> bytes:
    """Milestones as markers on a time axis, one row each, with a line at the as-of date."""
    if not milestones:
        return _empty(fmt)
    labels = [wrap_label(title) for title, _, _ in milestones]
    height = height_of("milestones", milestones, as_of)
    fig = _new_figure(height)
    _margins(fig, labels, height, bottom=0.75, top=0.3, right=0.3)
    ax = fig.add_subplot()
    days = [due for _, due, _ in milestones] + [as_of]
    start, end = min(days) - timedelta(days=10), max(days) + timedelta(days=10)
    for i, (_, due, state) in enumerate(milestones):
        marker, colour, filled = MILESTONE_STYLE.get(state, MILESTONE_STYLE["pending"])
        ax.plot([start, due], [i, i], color="#e0e0e0", linewidth=0.8, zorder=1)
        ax.scatter([due], [i], marker=marker, s=40, zorder=3, edgecolors=colour,
                   facecolors=colour if filled else "white", linewidths=1.4)
    ax.axvline(as_of, color="#616161", linestyle="--", linewidth=1)
    ax.text(as_of, -0.7, LABELS["as_of"].format(month=as_of.month, day=as_of.day),
            ha="center", va="bottom", fontsize=8, color="#424242")
    ax.set_xlim(start, end)
    ax.set_ylim(len(milestones) - 0.5, -0.8)  # first milestone at the top
    ax.set_yticks(range(len(labels)), labels)
    ax.tick_params(axis="y", length=0)
    locator = mdates.MonthLocator() if (end - start).days <= 550 else mdates.YearLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda v, _pos: _month_label(mdates.num2date(v).date(), start, end)))
    handles = [
        Line2D([], [], linestyle="", marker=marker, markeredgecolor=colour,
                                markerfacecolor=colour if filled else "white",
                                label=MILESTONE_STATE_LABELS[state])
        for state, (marker, colour, filled) in MILESTONE_STYLE.items()
    ]
    fig.legend(handles=handles, loc="lower center", ncols=3, frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    return _save(fig, fmt)


def _month_label(day: date, start: date, end: date) -> str:
    """"9月"; the year goes on a second line at January when the axis spans years."""
    label = LABELS["month"].format(month=day.month)
    if start.year != end.year and day.month == 1:
        label += f"\n{day.year}"
    return label


CHARTS: dict[str, Callable[..., bytes]] = {
    "sections": completion_by_section,
    "units": completion_by_unit,
    "trend": monthly_trend,
    "status": status_mix,
    "milestones": milestone_timeline,
}


# --- the phone's charts --------------------------------------------------------------------
# The overview page's charts for a narrow screen (figures.SHAPES "phone"), drawn PHONE_WIDTH
# (360 CSS px) wide to be shown at about their own size: no text under PHONE_SMALL_PT (12 px
# there); each label on its own line(s) above its bars, using the whole width; no axes where
# the bars carry their values.

PHONE_PT = 10  # labels
PHONE_SMALL_PT = 9  # values, ticks, legends
TRACK = "#e3eaf3"  # the rest of a bar, up to 100%


def _phone_empty(fmt: str) -> bytes:
    return _empty(fmt, PHONE_EMPTY_HEIGHT, PHONE_WIDTH)


def _phone_bars(fig: Figure, name: str, labels: list[str],
                series: list[tuple[list[float | None], str]]) -> None:
    """Rows of a label above one bar per series (values 0-100 or None, colour), the value
    after each bar; laid out in inches from the top (chart_sizes.phone_rows)."""
    rows = phone_rows(labels, len(series))
    height = fig.get_figheight()
    top, bottom = PHONE_MARGINS[name]
    fig.subplots_adjust(left=0.1 / PHONE_WIDTH, right=1 - 0.1 / PHONE_WIDTH,
                        bottom=bottom / height, top=1 - top / height)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_xlim(0, 116)  # bars to 100, their values after them
    ax.set_ylim(sum(rows), 0)  # inches, from the top
    y = 0.0
    for i, (label, row) in enumerate(zip(labels, rows, strict=True)):
        ax.text(0, y, label, va="top", ha="left", fontsize=PHONE_PT, linespacing=1.25)
        bar_y = y + PHONE_LINE * (label.count("\n") + 1) + PHONE_BAR / 2
        for values, colour in series:
            value = values[i]
            if value is None:
                ax.barh(bar_y, 100, height=PHONE_BAR - 0.03, color=TRACK)
                ax.text(101.5, bar_y, LABELS["no_value"], va="center", fontsize=PHONE_SMALL_PT)
            else:
                value = max(0.0, min(100.0, float(value)))
                ax.barh(bar_y, value, height=PHONE_BAR - 0.03, color=colour)
                ax.barh(bar_y, 100 - value, left=value, height=PHONE_BAR - 0.03, color=TRACK)
                ax.text(101.5, bar_y, f"{value:.0f}%", va="center", fontsize=PHONE_SMALL_PT)
            bar_y += PHONE_BAR
        y += row


@_chart
def completion_by_section_phone(sections: list[tuple[str, float]], fmt: str = "svg") -> bytes:
    """completion_by_section for a phone: each section's title above its bar."""
    if not sections:
        return _phone_empty(fmt)
    fig = _new_figure(height_of("sections", sections, shape="phone"), PHONE_WIDTH)
    _phone_bars(fig, "sections", [wrap_label(title, PHONE_WRAP_COLUMNS) for title, _ in sections],
                [([percent for _, percent in sections], SERIES_COLOURS["completion"])])
    return _save(fig, fmt)


@_chart
def completion_by_unit_phone(units: list[tuple[str, float, float | None]],
                             fmt: str = "svg") -> bytes:
    """completion_by_unit for a phone: each unit's name above its two bars, the legend on top."""
    if not units:
        return _phone_empty(fmt)
    fig = _new_figure(height_of("units", units, shape="phone"), PHONE_WIDTH)
    _phone_bars(fig, "units", [wrap_label(name, PHONE_WRAP_COLUMNS) for name, _, _ in units],
                [([completion for _, completion, _ in units], SERIES_COLOURS["completion"]),
                 ([timeliness for _, _, timeliness in units], SERIES_COLOURS["timeliness"])])
    handles = [Patch(color=SERIES_COLOURS[key], label=LABELS[key])
               for key in ("completion", "timeliness")]
    fig.legend(handles=handles, loc="upper left", ncols=2, frameon=False,
               bbox_to_anchor=(0.0, 1.0), fontsize=PHONE_SMALL_PT)
    return _save(fig, fmt)


@_chart
def monthly_trend_phone(points: list[tuple[str, float, int]], fmt: str = "svg") -> bytes:
    """monthly_trend for a phone: the legend above names the axes (no axis titles), at most
    six month labels, the latest percent only."""
    if not points:
        return _phone_empty(fmt)
    height = height_of("trend", points, shape="phone")
    fig = _new_figure(height, PHONE_WIDTH)
    fig.subplots_adjust(left=0.5 / PHONE_WIDTH, right=1 - 0.35 / PHONE_WIDTH,
                        bottom=0.45 / height, top=1 - 0.45 / height)
    ax = fig.add_subplot()
    x = list(range(len(points)))
    done_counts = [max(0, int(done)) for _, _, done in points]
    bars = _done_bars(ax, x, done_counts, width=0.55, nbins=4)
    bars.tick_params(labelsize=PHONE_SMALL_PT)
    percents = [percent for _, percent, _ in points]
    ax.plot(x, percents, color=SERIES_COLOURS["completion"], marker="o", markersize=4)
    ax.annotate(f"{percents[-1]:.0f}%", (x[-1], percents[-1]), textcoords="offset points",
                xytext=(0, 6), ha="center", fontsize=PHONE_SMALL_PT,
                color=SERIES_COLOURS["completion"],
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1, "alpha": 0.85})
    ax.set_ylim(0, 110)
    ax.set_yticks(range(0, 101, 25))
    _percent_axis(ax.yaxis)
    ax.tick_params(labelsize=PHONE_SMALL_PT)
    every = -(-len(points) // 6)  # at most six labels: "9月", the year under the first and January
    periods = [period for period, _, _ in points]
    years = {period[:4] for period in periods}
    labels = []
    for i, period in enumerate(periods):
        label = LABELS["month"].format(month=int(period[5:7])) if i % every == 0 else ""
        if label and len(years) > 1 and (i == 0 or period[5:7] == "01"):
            label += f"\n{period[:4]}"
        labels.append(label)
    ax.set_xticks(x, labels)
    ax.set_xlim(-0.6, len(points) - 0.4)
    fig.legend(handles=_trend_handles(), loc="upper left", ncols=2, frameon=False,
               bbox_to_anchor=(0.0, 1.0), fontsize=PHONE_SMALL_PT)
    return _save(fig, fmt)


@_chart
def status_mix_phone(counts: dict[str, int], fmt: str = "svg") -> bytes:
    """status_mix for a phone: the legend in three columns under the bar."""
    values = status_values(counts)
    total = sum(values)
    if total == 0:
        return _phone_empty(fmt)
    height = height_of("status", counts, shape="phone")
    fig = _new_figure(height, PHONE_WIDTH)
    fig.subplots_adjust(left=0.1 / PHONE_WIDTH, right=1 - 0.1 / PHONE_WIDTH,
                        bottom=0.7 / height, top=1 - 0.1 / height)
    _status_segments(fig.add_subplot(), values, fontsize=PHONE_PT, min_share=0.08)
    fig.legend(handles=_status_handles(values), loc="lower center", ncols=3, frameon=False,
               bbox_to_anchor=(0.5, 0.0), fontsize=PHONE_SMALL_PT + 0.5)
    return _save(fig, fmt)


PHONE_CHARTS: dict[str, Callable[..., bytes]] = {
    "sections": completion_by_section_phone,
    "units": completion_by_unit_phone,
    "trend": monthly_trend_phone,
    "status": status_mix_phone,
}
