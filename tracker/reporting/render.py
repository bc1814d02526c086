"""ReportData → HTML (Jinja, autoescaped) → PDF (WeasyPrint, fetching nothing but data: URIs).

WeasyPrint is synchronous and CPU-heavy (seconds per report): call `render_report` off the
event loop, in a worker process.
"""

from __future__ import annotations

import base64
import ctypes.util
import functools
import subprocess
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from xml.etree import ElementTree

from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined

from tracker.reporting.libraries import load_weasyprint

load_weasyprint()  # before the names below: without the slow library search

from weasyprint import CSS, HTML  # noqa: E402
from weasyprint.images import SVGImage  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402
from weasyprint.urls import URLFetcher  # noqa: E402

from tracker.reporting import palette  # noqa: E402
from tracker.reporting.chart_sizes import svg_outline  # noqa: E402
from tracker.reporting.figures import (  # noqa: E402
    CHART_CAPTIONS,
    chart_inputs,
    chart_set,
    report_charts,
)
from tracker.reporting.model import ReportData, TaskRow  # noqa: E402

REPORTS_DIR = Path(__file__).resolve().parents[2] / "reports"
TEMPLATE = "monthly.html"  # the detail layouts: detail, unit, year_end
LEADERSHIP_TEMPLATE = "leadership.html"  # the leadership edition (the default 月报)
STYLESHEET = "print.css"
ARCHIVE_VARIANT = "pdf/a-3b"  # for reports that are archived

LABELS = {
    "harfbuzz_missing": (
        "缺少 HarfBuzz 字体子集库（Debian 软件包 libharfbuzz-subset0）：WeasyPrint 会改用 fontTools "
        "嵌入中文字体，一页报告要 20 多秒。请执行 apt-get install libharfbuzz-subset0。"
        " libharfbuzz-subset is missing: install the Debian package libharfbuzz-subset0."
    ),
    "fetch_refused": "报告只能引用内嵌（data:）资源，已拒绝：{url}",
    "font_missing": (
        "找不到中文字体（fontconfig 中没有 zh 语言的字体），报告会显示成方框。"
        "请安装 Debian 软件包 fonts-noto-cjk（apt-get install fonts-noto-cjk）。"
        " No CJK font known to fontconfig: install the Debian package fonts-noto-cjk."
    ),
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


def _cjk_font_known() -> bool:
    """Whether fontconfig (which WeasyPrint's text goes through) knows a Chinese font. The
    charts check matplotlib's own font when they draw (charts.cjk_font_path)."""
    try:
        found = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True,
                               text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return True  # no fc-list to ask: WeasyPrint will say what it finds
    return bool(found.strip())


@functools.cache
def check_environment() -> None:
    """Raise RuntimeError if a report would be slow (no libharfbuzz-subset) or show boxes
    (no CJK font). Cheap after the first call; call it at start-up to fail early."""
    if not _harfbuzz_subset_loaded():
        raise RuntimeError(LABELS["harfbuzz_missing"])
    if not _cjk_font_known():
        raise RuntimeError(LABELS["font_missing"])


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


def render_pdf(html: str, *, pdf_variant: str | None = None,
               images: dict | None = None) -> bytes:
    """PDF bytes of `html` with reports/print.css. `pdf_variant=ARCHIVE_VARIANT` ("pdf/a-3b")
    for archived reports. Fonts are embedded as subsets (never full_fonts: 50 MB files).
    `images`: WeasyPrint's image cache (its `cache` option; PendingCharts)."""
    check_environment()
    fetcher = DataOnlyFetcher()
    stylesheet = CSS(string=(REPORTS_DIR / STYLESHEET).read_text(encoding="utf-8"),
                     url_fetcher=fetcher)
    return HTML(string=html, url_fetcher=fetcher).write_pdf(
        stylesheets=[stylesheet], pdf_variant=pdf_variant, cache=images)


class ChartSizeChanged(RuntimeError):
    """A chart drawn at another size than chart_sizes said: the layout made for the outline
    does not fit it (render_report then renders again with the chart itself)."""


class PendingCharts(dict):
    """WeasyPrint's image cache for a render that starts before its charts are drawn.

    Each chart still being drawn is in the HTML as its outline (chart_sizes.svg_outline: an
    empty SVG of the chart's size), so WeasyPrint lays the pages out at once; when a chart is
    painted (the last step but the PDF's fonts, ~60 % into a render), its image waits for the
    drawing (`wait(name)` returns its SVG) and paints that instead, built as WeasyPrint builds
    an <img>'s SVG image, with the same URL, fetcher and layout context (whose fonts its text
    uses). The PDF is the same, byte for byte, as the one rendered with the drawn charts in
    the HTML; a chart of another size than its outline raises ChartSizeChanged."""

    def __init__(self, outlines: dict[str, str], wait: Callable[[str], bytes]) -> None:
        super().__init__()
        self._names = outlines  # the outline's data: URI -> chart name
        self._wait = wait

    def __setitem__(self, url, image) -> None:
        name = self._names.get(url)
        if name is not None and isinstance(image, SVGImage):
            image.draw = functools.partial(self._draw, image, name, url)
        super().__setitem__(url, image)

    def _draw(self, outline: SVGImage, name: str, url: str, stream, width, height, style):
        tree = ElementTree.fromstring(self._wait(name))
        chart = SVGImage(tree, url, outline._url_fetcher, outline._context)
        if chart.get_intrinsic_size(1, 16) != outline.get_intrinsic_size(1, 16):
            raise ChartSizeChanged(name)
        chart.draw(stream, width, height, style)


# fontconfig's configuration with its font caches mapped, kept for the life of the process:
# see warm_up().
_fontconfig_loaded: FontConfiguration | None = None


def warm_up() -> None:
    """Check the environment, compile the report templates and load fontconfig's configuration
    and caches, so that a process forked after this (the render worker's children) finds them
    checked, compiled and mapped. The fontconfig part is not about speed: a child under a tight
    memory limit (RLIMIT_AS) that has to map the caches itself cannot, and fontconfig then
    scans the font directories again, fails to open the fonts under the same limit and writes
    empty caches to /var/cache/fontconfig, after which no process on the machine finds a CJK
    font (seen once, and repaired with `fc-cache -f`). The warm-up renders nothing: a warm-up
    PDF (~0.5 CPU s, paid by the render worker while the report command drew its charts) made
    the next report's render no faster, since WeasyPrint loads its fonts for every document."""
    global _fontconfig_loaded
    check_environment()
    for template in (LEADERSHIP_TEMPLATE, TEMPLATE):
        _environment().get_template(template)
    if _fontconfig_loaded is None:
        _fontconfig_loaded = FontConfiguration()


def render_report(data: ReportData, *, pdf_variant: str | None = None,
                  charts_drawn: dict[str, dict[str, bytes] | None] | None = None,
                  wait: Callable[[str], bytes] | None = None) -> bytes:
    """The report's PDF. Charts not drawn yet are None in `charts_drawn`: the render starts
    with their outlines and `wait(name)` gives each chart's SVG when it is painted
    (PendingCharts); the same PDF as rendering after they are drawn."""
    pending = [name for name, drawn in (charts_drawn or {}).items() if drawn is None]
    if not pending:
        return render_pdf(render_html(data, charts_drawn), pdf_variant=pdf_variant)
    if wait is None:
        raise ValueError("render_report: charts not drawn and nothing to wait for them")
    outlines = {name: svg_outline(name, *chart_inputs(data, name)) for name in pending}
    html = render_html(data, {**charts_drawn, **{name: {"svg": outline}
                                                 for name, outline in outlines.items()}})
    images = PendingCharts({_svg_uri(outline): name for name, outline in outlines.items()}, wait)
    try:
        return render_pdf(html, pdf_variant=pdf_variant, images=images)
    except ChartSizeChanged:
        drawn = {**charts_drawn, **{name: {"svg": wait(name)} for name in pending}}
        return render_pdf(render_html(data, drawn), pdf_variant=pdf_variant)
