"""The WeasyPrint half of the report: HTML → PDF, fetching nothing but data: URIs, with the
environment checks and the charts a render waits for (PendingCharts).

Apart from render (Jinja, the model): the report command's renderer imports only this module
before it renders the HTML the command sends it (worker.render_pending_pdf), so its lane, the
command's longest, does not also load Jinja and the report model.
"""

from __future__ import annotations

import ctypes.util
import functools
import subprocess
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

from tracker.reporting.libraries import load_weasyprint

load_weasyprint()  # before the names below: without the slow library search

from weasyprint import CSS, HTML  # noqa: E402
from weasyprint.images import SVGImage  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402
from weasyprint.urls import URLFetcher  # noqa: E402

REPORTS_DIR = Path(__file__).resolve().parents[2] / "reports"
STYLESHEET = "print.css"

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
    """Check the environment and load fontconfig's configuration and caches, so that a
    process forked after this (the render worker's children) finds them checked and mapped.
    The fontconfig part is not about speed: a child under a tight memory limit (RLIMIT_AS)
    that has to map the caches itself cannot, and fontconfig then scans the font directories
    again, fails to open the fonts under the same limit and writes empty caches to
    /var/cache/fontconfig, after which no process on the machine finds a CJK font (seen once,
    and repaired with `fc-cache -f`)."""
    global _fontconfig_loaded
    check_environment()
    if _fontconfig_loaded is None:
        _fontconfig_loaded = FontConfiguration()


def render_pending(html: str, outlines: dict[str, str], wait: Callable[[str], bytes], *,
                   pdf_variant: str | None = None) -> bytes:
    """The PDF of `html`, in which each chart still being drawn is its outline (`outlines`:
    the outline's data: URI -> chart name) and `wait(name)` gives the chart when it is painted
    (PendingCharts). Raises ChartSizeChanged when a chart does not fit its outline."""
    return render_pdf(html, pdf_variant=pdf_variant, images=PendingCharts(outlines, wait))
