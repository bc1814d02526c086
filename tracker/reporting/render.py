"""ReportData → HTML (Jinja, autoescaped) → PDF (WeasyPrint, in tracker.reporting.pdf, fetching
nothing but data: URIs).

WeasyPrint is synchronous and CPU-heavy (seconds per report): call `render_report` off the
event loop, in a worker process. This module does not import WeasyPrint itself (pdf does, when a
PDF is made): the report command builds the HTML here, beside its database work, and its
renderer imports only pdf.
"""

from __future__ import annotations

import base64
import functools
from datetime import date, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined

from tracker.reporting import palette
from tracker.reporting.chart_sizes import svg_outline
from tracker.reporting.figures import CHART_CAPTIONS, chart_inputs, chart_set, report_charts
from tracker.reporting.model import ReportData, TaskRow

REPORTS_DIR = Path(__file__).resolve().parents[2] / "reports"  # templates (pdf: the stylesheet)
TEMPLATE = "monthly.html"  # the detail layouts: detail, unit, year_end
LEADERSHIP_TEMPLATE = "leadership.html"  # the leadership edition (the default 月报)
ARCHIVE_VARIANT = "pdf/a-3b"  # for reports that are archived

LABELS = {
    "ongoing": "持续推进",
    "no_deadline": "未定",
    "month": "{year}年{month}月",
    "day": "{year}年{month}月{day}日",
    "time": "{year}年{month}月{day}日 {hour:02d}:{minute:02d}",
}


# --- formatting filters (how a value is written, not where it goes) -------------------------


def period_zh(period: str) -> str:
    """"2018-09" → "2018年9月"."""
    year, month = period.split("-")[:2]
    return LABELS["month"].format(year=int(year), month=int(month))


def date_zh(value: date | datetime | str | None) -> str:
    """A date as "2018年10月5日"; a datetime with its time; "YYYY-MM-DD" strings too."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if isinstance(value, datetime):
        return LABELS["time"].format(year=value.year, month=value.month, day=value.day,
                                     hour=value.hour, minute=value.minute)
    return LABELS["day"].format(year=value.year, month=value.month, day=value.day)


def percent(value: float | None) -> str:
    """61.5 → "61.5%", 60.0 → "60%", None → "—"."""
    if value is None:
        return "—"
    return f"{value:.1f}".removesuffix(".0") + "%"


def deadline_zh(task: TaskRow) -> str:
    """The deadline as written in the plan, else the resolved date."""
    if task.deadline_text:
        return task.deadline_text
    if task.deadline == "ongoing":
        return LABELS["ongoing"]
    if task.deadline:
        return date_zh(task.deadline)
    return LABELS["no_deadline"]


class _TemplateCache(FileSystemBytecodeCache):
    """The report templates compiled once per source (~0.15 CPU s for the two, on the
    report command's critical path: its renderer compiles them before it can render), in
    Jinja's private per-user directory under the temporary directory; a cache that cannot be
    written is only slower."""

    def dump_bytecode(self, bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _bytecode_cache() -> FileSystemBytecodeCache | None:
    try:
        return _TemplateCache()
    except (OSError, RuntimeError):  # no private temporary directory: compile every time
        return None


@functools.cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(REPORTS_DIR),
        autoescape=True,  # every string from data is untrusted
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=_bytecode_cache(),
    )
    env.filters.update(period_zh=period_zh, date_zh=date_zh, percent=percent,
                       deadline_zh=deadline_zh)
    return env


# --- rendering -----------------------------------------------------------------------------


def _svg_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def figures_of(data: ReportData, charts_drawn: dict[str, dict[str, bytes]] | None = None
               ) -> list[dict]:
    """The report's charts in print order: name, numbered caption, SVG data: URI."""
    names = report_charts(data)
    drawn = charts_drawn if charts_drawn is not None else chart_set(data, names, ("svg",))
    return [{"name": name, "caption": CHART_CAPTIONS[name], "uri": _svg_uri(drawn[name]["svg"])}
            for name in names]


def render_html(data: ReportData, charts_drawn: dict[str, dict[str, bytes]] | None = None) -> str:
    """The report as one HTML document; charts are embedded, nothing else is referenced."""
    template = LEADERSHIP_TEMPLATE if data.leadership else TEMPLATE
    return _environment().get_template(template).render(
        data=data,
        figures=figures_of(data, charts_drawn),
        status_order=palette.STATUS_ORDER,
        status_labels=palette.STATUS_LABELS,
        status_colours=palette.STATUS_COLOURS,
    )


def warm_up() -> None:
    """Check the environment, load fontconfig (pdf.warm_up) and compile the report templates,
    so that a process forked after this (the render worker's children) finds them done. It
    renders nothing: a warm-up PDF (~0.5 CPU s, paid by the render worker while the report
    command drew its charts) made the next report's render no faster, since WeasyPrint loads
    its fonts for every document."""
    from tracker.reporting import pdf

    pdf.warm_up()
    for template in (LEADERSHIP_TEMPLATE, TEMPLATE):
        _environment().get_template(template)


def pending_html(data: ReportData, charts_drawn: dict[str, dict[str, bytes] | None]
                 ) -> tuple[str, dict[str, str]]:
    """The report's HTML for a render that starts before some charts are drawn (None in
    `charts_drawn`): those charts are their outlines (chart_sizes.svg_outline, the size each
    will be drawn at). Returns the HTML and the outlines' data: URIs -> chart names, for
    pdf.render_pending."""
    outlines = {name: svg_outline(name, *chart_inputs(data, name))
                for name, drawn in charts_drawn.items() if drawn is None}
    html = render_html(data, {**charts_drawn, **{name: {"svg": outline}
                                                 for name, outline in outlines.items()}})
    return html, {_svg_uri(outline): name for name, outline in outlines.items()}


def render_report(data: ReportData, *, pdf_variant: str | None = None,
                  charts_drawn: dict[str, dict[str, bytes]] | None = None) -> bytes:
    """The report's PDF, its charts drawn (`charts_drawn`, else drawn here). A render that
    starts before its charts are drawn is pending_html + pdf.render_pending (the report
    command's renderer: worker.render_pending_pdf)."""
    from tracker.reporting import pdf

    return pdf.render_pdf(render_html(data, charts_drawn), pdf_variant=pdf_variant)
