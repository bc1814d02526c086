"""The size of each chart, from its inputs, without matplotlib: the one place the figures'
heights are decided (tracker/reporting/charts.py draws at these sizes) and what lets a report
be laid out before its charts are drawn (render.pending_html: the page needs a chart's
size, not its drawing, until the page is painted).

Also the label wrapping the heights depend on (a wrapped label's lines make its row taller).
"""

from __future__ import annotations

import math
import unicodedata

from tracker.reporting.palette import STATUS_ORDER

WIDTH = 6.2  # inches: the text width of an A4 page with the report's margins
# A narrow screen's charts (figures.SHAPES "phone"): 3.75 in is 360 CSS px, the width a chart
# gets on a 390 px phone, so shown at about its own size its 9-10 pt text reads at 12-13 px.
PHONE_WIDTH = 3.75
PHONE_WRAP_COLUMNS = 44  # a phone label has the whole width above its bar: ~22 CJK characters
PHONE_LINE = 0.19  # inches per label line at 10 pt
PHONE_EMPTY_HEIGHT = 1.2
PHONE_BAR = 0.15  # inches per bar in a phone row (a 0.12 in bar and its gap)
PHONE_MARGINS = {"sections": (0.12, 0.08), "units": (0.42, 0.08)}  # (top, bottom), inches
EMPTY_HEIGHT = 1.6  # inches: a chart that only says 暂无数据
WRAP_COLUMNS = 28  # ~14 CJK characters per label line
MAX_LABEL_LINES = 3
NO_LINE_START = "，、。；：？！）》」』”’…,.;:?!)"  # punctuation that must not begin a line


def display_columns(text: str) -> int:
    """Display width: CJK characters count two columns, others one."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap_label(text: str, columns: int = WRAP_COLUMNS, max_lines: int = MAX_LABEL_LINES) -> str:
    """Wrap a label into lines of at most `columns` display columns, of even length (no
    one-character last line); cut with "…" past `max_lines`."""
    text = " ".join(text.split())
    lines_needed = max(1, math.ceil(display_columns(text) / columns))
    target = columns if lines_needed > max_lines else math.ceil(display_columns(text) / lines_needed)
    lines, line, width = [], "", 0
    for ch in text:
        w = display_columns(ch)
        full = width >= target or width + w > columns
        if full and line and ch not in NO_LINE_START:
            lines.append(line)
            line, width = "", 0
        line += ch
        width += w
    lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:-1] + "…"
    return "\n".join(lines)


def row_heights(labels: list[str], per_line: float = 0.17, minimum: float = 0.3) -> list[float]:
    return [max(minimum, per_line * (label.count("\n") + 1) + 0.08) for label in labels]


def status_values(counts: dict[str, int]) -> list[int]:
    """The status chart's segments, in STATUS_ORDER."""
    return [max(0, int(counts.get(status, 0))) for status in STATUS_ORDER]


def width_of(shape: str) -> float:
    return PHONE_WIDTH if shape == "phone" else WIDTH


def phone_rows(labels: list[str], bars: int) -> list[float]:
    """Each row's height in a phone chart: the label's lines above `bars` bars and a gap
    (charts.completion_by_section_phone, completion_by_unit_phone)."""
    return [PHONE_LINE * (label.count("\n") + 1) + PHONE_BAR * bars + 0.12 for label in labels]


def _phone_height(name: str, first) -> float:
    if name == "status":
        return 1.45 if sum(status_values(first)) else PHONE_EMPTY_HEIGHT
    if not first:
        return PHONE_EMPTY_HEIGHT
    if name == "trend":
        return 2.7
    labels = [wrap_label(row[0], PHONE_WRAP_COLUMNS) for row in first]
    if name in PHONE_MARGINS:
        return sum(phone_rows(labels, 1 if name == "sections" else 2)) + sum(PHONE_MARGINS[name])
    raise ValueError(f"chart {name!r} has no phone shape")


def height_of(name: str, *inputs, shape: str = "wide") -> float:
    """Chart `name`'s height in inches, from the inputs it is drawn from
    (figures.chart_inputs), in `shape` (figures.SHAPES)."""
    first = inputs[0]
    if shape == "phone":
        return _phone_height(name, first)
    if name == "status":
        return 1.2 if sum(status_values(first)) else EMPTY_HEIGHT
    if not first:
        return EMPTY_HEIGHT
    if name == "trend":
        return 2.6
    labels = [wrap_label(row[0]) for row in first]
    if name == "sections":
        return sum(row_heights(labels)) + 0.7
    if name == "units":
        return sum(row_heights(labels, minimum=0.36)) + 0.85
    if name == "milestones":
        return sum(row_heights(labels)) + 0.85
    raise ValueError(f"unknown chart {name!r}")


def _points(inches: float) -> str:
    """How matplotlib's SVG writer prints a length (backend_svg._short_float_fmt of points)."""
    return f"{inches * 72:f}".rstrip("0").rstrip(".")


def svg_outline(name: str, *inputs) -> bytes:
    """An empty SVG document of chart `name`'s size, written as matplotlib writes the chart's
    own root element (width, height, viewBox in points): it tells WeasyPrint the chart's
    size before the chart is drawn."""
    width, tall = _points(WIDTH), _points(height_of(name, *inputs))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}pt" height="{tall}pt" '
            f'viewBox="0 0 {width} {tall}" id="tracker-pending-{name}"/>').encode()
