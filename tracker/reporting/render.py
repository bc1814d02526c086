"""ReportData → HTML (Jinja, autoescaped) → PDF (WeasyPrint, fetching nothing but data: URIs).

WeasyPrint is synchronous and CPU-heavy (seconds per report): call `render_report` off the
event loop, in a worker process.
"""

from __future__ import annotations

import base64
import ctypes.util
import functools
from datetime import date, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

from tracker.domain.vocabulary import STATUS_LABELS
from tracker.reporting import charts
from tracker.reporting.figures import CHART_NAMES, report_chart
from tracker.reporting.model import ReportData, TaskRow

REPORTS_DIR = Path(__file__).resolve().parents[2] / "reports"
TEMPLATE = "monthly.html"
STYLESHEET = "print.css"
ARCHIVE_VARIANT = "pdf/a-3b"  # for reports that are archived

LABELS = {
    "harfbuzz_missing": (
        "缺少 HarfBuzz 字体子集库（Debian 软件包 libharfbuzz-subset0）：WeasyPrint 会改用 fontTools "
        "嵌入中文字体，一页报告要 20 多秒。请执行 apt-get install libharfbuzz-subset0。"
        " libharfbuzz-subset is missing: install the Debian package libharfbuzz-subset0."
    ),
    "fetch_refused": "报告只能引用内嵌（data:）资源，已拒绝：{url}",
    "ongoing": "持续推进",
    "no_deadline": "未定",
    "month": "{year}年{month}月",
    "day": "{year}年{month}月{day}日",
    "time": "{year}年{month}月{day}日 {hour:02d}:{minute:02d}",
}


# --- environment checks --------------------------------------------------------------------


def _harfbuzz_subset_loaded() -> bool:
    try:  # what WeasyPrint itself loaded: the authoritative answer
        from weasyprint.text import ffi

        return ffi.harfbuzz_subset is not None
    except (ImportError, AttributeError):
        return ctypes.util.find_library("harfbuzz-subset") is not None


@functools.cache
def check_environment() -> None:
    """Raise RuntimeError if a report would be slow (no libharfbuzz-subset) or show boxes
    (no CJK font). Cheap after the first call; call it at start-up to fail early."""
    if not _harfbuzz_subset_loaded():
        raise RuntimeError(LABELS["harfbuzz_missing"])
    charts.cjk_font_path()


# --- URL fetcher ---------------------------------------------------------------------------


class DataOnlyFetcher(URLFetcher):
    """Serves `data:` URIs (the embedded charts) and refuses everything else: no file://,
    no http(s)://, no redirects. Relative URLs never get here: there is no base_url."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data"}, allow_redirects=False)

    def fetch(self, url, headers=None):
        if not url.lower().startswith("data:"):
            raise ValueError(LABELS["fetch_refused"].format(url=url[:200]))
        return super().fetch(url, headers)


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


@functools.cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(REPORTS_DIR),
        autoescape=True,  # every string from data is untrusted
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(period_zh=period_zh, date_zh=date_zh, percent=percent,
                       deadline_zh=deadline_zh)
    return env


# --- rendering -----------------------------------------------------------------------------


def _svg_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def chart_uris(data: ReportData) -> dict[str, str]:
    """The report's five charts as SVG data: URIs, by name in charts.CHARTS."""
    return {name: _svg_uri(report_chart(data, name, "svg")) for name in CHART_NAMES}


def render_html(data: ReportData) -> str:
    """The report as one HTML document; charts are embedded, nothing else is referenced."""
    return _environment().get_template(TEMPLATE).render(
        data=data,
        charts=chart_uris(data),
        status_order=charts.STATUS_ORDER,
        status_labels=STATUS_LABELS,
        status_colours=charts.STATUS_COLOURS,
    )


def render_pdf(html: str, *, pdf_variant: str | None = None) -> bytes:
    """PDF bytes of `html` with reports/print.css. `pdf_variant=ARCHIVE_VARIANT` ("pdf/a-3b")
    for archived reports. Fonts are embedded as subsets (never full_fonts: 50 MB files)."""
    check_environment()
    fetcher = DataOnlyFetcher()
    stylesheet = CSS(string=(REPORTS_DIR / STYLESHEET).read_text(encoding="utf-8"),
                     url_fetcher=fetcher)
    return HTML(string=html, url_fetcher=fetcher).write_pdf(
        stylesheets=[stylesheet], pdf_variant=pdf_variant)


def render_report(data: ReportData, *, pdf_variant: str | None = None) -> bytes:
    return render_pdf(render_html(data), pdf_variant=pdf_variant)
