"""The monthly report as real PDFs, checked with poppler (pdftotext, pdffonts, pdfinfo, ...)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from matplotlib.image import imread

from tests.support.report_samples import PLAN_TITLE, sample_report_data
from tracker.reporting import figures, palette, worker
from tracker.reporting import pdf as report_pdf
from tracker.reporting import render as report_render
from tracker.reporting.model import NarrativeRow
from tracker.reporting.pdf import DataOnlyFetcher, render_pdf
from tracker.reporting.render import ARCHIVE_VARIANT, render_html, render_report

POPPLER = ("pdftotext", "pdffonts", "pdfinfo", "pdfimages", "pdftoppm")
if missing := [tool for tool in POPPLER if shutil.which(tool) is None]:
    pytest.fail(f"poppler-utils is needed for the report tests (missing {missing}): "
                "make setup-test installs it", pytrace=False)

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src="file:///etc/passwd">',
    '<img src="http://example.com/x.png">',
]


def poppler(tool: str, *args: str | Path) -> str:
    result = subprocess.run([tool, *map(str, args)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def text_of(pdf: Path, *pages: int) -> str:
    """The PDF's text without whitespace, so line breaks and spacing do not matter."""
    page_args = ["-f", str(pages[0]), "-l", str(pages[-1])] if pages else []
    return re.sub(r"\s+", "", poppler("pdftotext", "-layout", *page_args, pdf, "-"))


def page_count(pdf: Path) -> int:
    return int(re.search(r"^Pages:\s+(\d+)", poppler("pdfinfo", pdf), re.M)[1])


def hostile_data(n_tasks: int = 20):
    """Sample data whose narratives, a section title and a unit name carry markup and URLs."""
    data = sample_report_data(n_tasks)
    narratives = [
        NarrativeRow(unit="局办公室", task=text, period=data.period, work_done=text,
                     problems=text, next_steps="无")
        for text in HOSTILE
    ]
    sections = [*data.sections, ('五、<img src="http://example.com/s.png">', 50.0)]
    units = [replace(data.units[0], name='<img src="file:///etc/hosts">'), *data.units[1:]]
    return replace(data, narratives=[*narratives, *data.narratives], sections=sections,
                   units=units)


@pytest.fixture(scope="module")
def fetched(request):
    """Every URL WeasyPrint asks the fetcher for, while the module's reports render."""
    urls: list[str] = []
    original = DataOnlyFetcher.fetch

    def spy(self, url, headers=None):
        urls.append(url)
        return original(self, url, headers)

    patch = pytest.MonkeyPatch()
    patch.setattr(DataOnlyFetcher, "fetch", spy)
    request.addfinalizer(patch.undo)
    return urls


@pytest.fixture(scope="module")
def report20(tmp_path_factory, fetched) -> Path:
    started = time.perf_counter()
    pdf = render_report(hostile_data(20))
    print(f"\n20-task report: {time.perf_counter() - started:.2f} s, {len(pdf) // 1024} KiB")
    path = tmp_path_factory.mktemp("report") / "report20.pdf"
    path.write_bytes(pdf)
    return path


def test_text_has_title_period_figures_and_units(report20):
    data = sample_report_data(20)
    text = text_of(report20)
    assert PLAN_TITLE in text
    assert "2018年9月工作进展月报" in text
    assert "统计截至2018年10月5日" in text
    assert "苏规办〔2018〕17号" in text
    for label, count in [("已完成", 7), ("正常推进", 6), ("滞后", 3), ("超期", 2), ("未启动", 2)]:
        assert f"{label}{count}项" in text
    assert f"共有工作任务{data.totals['total']}项" in text
    assert "60.8%" in text
    for unit in data.units[1:]:
        assert unit.name in text
    for heading in ("一、总体情况", "二、图表", "三、任务进展明细", "四、本月变化",
                    "五、超期和滞后任务", "六、未报送单位", "七、单位通报排名", "各单位填报原文"):
        assert heading in text
    assert "排名规则" in text


def test_markup_from_data_is_literal_text(report20):
    text = text_of(report20)
    for hostile in HOSTILE:
        assert re.sub(r"\s+", "", hostile) in text
    assert '<imgsrc="file:///etc/hosts">' in text


def test_html_is_escaped():
    html = render_html(hostile_data())
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert '<img src="file:' not in html
    assert '<img src="http:' not in html


def test_only_data_uris_are_fetched(report20, fetched):
    assert fetched, "the charts are fetched as data: URIs"
    assert all(url.startswith("data:image/svg+xml;base64,") for url in fetched)


def test_no_raster_images_in_the_report(report20):
    # The charts are vector SVG; any raster image would have come from somewhere else.
    listing = poppler("pdfimages", "-list", report20).splitlines()
    assert len(listing) == 2, listing  # the two header lines only


def test_fetcher_refuses_everything_but_data():
    fetcher = DataOnlyFetcher()
    for url in ("file:///etc/passwd", "http://example.com/x.png", "https://example.com/",
                "ftp://example.com/x"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain;base64,5aW9").read() == "好".encode()


def test_raw_urls_in_html_are_refused(tmp_path, fetched):
    # Were the template ever to let a URL through, the fetcher is the second wall.
    before = len(fetched)
    html = ('<p>测试</p><img src="file:///etc/passwd"><img src="http://example.com/x.png">'
            '<img src="relative.png"><link rel="stylesheet" href="file:///etc/passwd">'
            '<div style="background: url(https://example.com/bg.png)">背景</div>'
            '<svg><image href="http://example.com/svg.png" width="10" height="10"/></svg>')
    pdf = tmp_path / "raw.pdf"
    pdf.write_bytes(render_pdf(html))
    asked = set(fetched[before:])
    assert asked == {"file:///etc/passwd", "http://example.com/x.png",
                     "https://example.com/bg.png", "http://example.com/svg.png"}
    assert len(poppler("pdfimages", "-list", pdf).splitlines()) == 2  # nothing was loaded
    assert "测试" in text_of(pdf)


def test_fonts_are_cjk_embedded_subsets(report20):
    rows = poppler("pdffonts", report20).splitlines()[2:]
    assert rows
    names = [row.split()[0] for row in rows]
    assert any("CJK-SC" in name and "Serif" in name for name in names), names
    assert any("CJK-SC" in name and "Sans" in name for name in names), names
    for row in rows:
        name = row.split()[0]
        emb, sub = re.search(r"\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", row).group(1, 2)
        assert emb == "yes", row
        assert sub == "yes" and re.match(r"^[A-Z]{6}\+", name), row


def test_page_count_and_running_header(report20):
    pages = page_count(report20)
    assert 5 <= pages <= 12
    cover = text_of(report20, 1)
    assert "—" not in cover  # no page number on the cover
    second = text_of(report20, 2)
    assert "—1—" in second  # the cover does not count
    assert PLAN_TITLE in second and "2018年9月" in second  # running header
    assert f"—{pages - 1}—" in text_of(report20, pages)


def test_pages_render_as_pictures(report20, tmp_path):
    poppler("pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "2", report20, tmp_path / "page")
    for png in sorted(tmp_path.glob("page-*.png")):
        pixels = imread(png)[..., :3]
        assert (pixels.min(axis=-1) < 0.5).sum() > 500, png


def test_large_report_has_more_pages(report20, tmp_path):
    started = time.perf_counter()
    pdf = render_report(sample_report_data(200, 8))
    print(f"\n200-task report: {time.perf_counter() - started:.2f} s, {len(pdf) // 1024} KiB")
    path = tmp_path / "report200.pdf"
    path.write_bytes(pdf)
    assert page_count(path) > page_count(report20) + 10


def test_pdfa_variant(tmp_path):
    path = tmp_path / "archive.pdf"
    path.write_bytes(render_report(sample_report_data(), pdf_variant=ARCHIVE_VARIANT))
    metadata = poppler("pdfinfo", "-meta", path)
    assert re.search(r"pdfaid:part(>|=\")3", metadata)
    assert PLAN_TITLE in text_of(path)
    assert "no" not in [row.split()[-5] for row in poppler("pdffonts", path).splitlines()[2:]]


def test_unit_edition_title(tmp_path):
    data = sample_report_data(edition="unit", unit_name="局办公室")
    text = re.sub(r"\s+", "", render_html(data))
    assert "2018年9月工作进展月报（局办公室）" in text


def test_year_end_edition_title():
    data = sample_report_data(edition="year_end")
    assert "2018年年度总结" in re.sub(r"\s+", "", render_html(data))


def test_empty_report_renders(tmp_path):
    data = replace(sample_report_data(0, 0), trend=[], milestones=[], not_reported=[])
    path = tmp_path / "empty.pdf"
    path.write_bytes(render_report(data))
    text = text_of(path)
    # Charts with nothing to draw are left out, not printed as "暂无数据" boxes.
    assert "暂无任务" in text and "暂无可绘制的图表" in text and "暂无数据" not in text
    assert page_count(path) >= 3


def test_missing_harfbuzz_subset_is_reported(monkeypatch):
    monkeypatch.setattr(report_pdf, "_harfbuzz_subset_loaded", lambda: False)
    report_pdf.check_environment.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="libharfbuzz-subset0"):
            report_pdf.check_environment()
    finally:
        report_pdf.check_environment.cache_clear()


# --- the render worker's limits (tracker/reporting/worker.py) --------------------------------


async def test_a_render_in_the_worker_makes_a_pdf():
    pdf = await worker.render_pdf(sample_report_data(), limits=worker.RenderLimits(120, 1536))
    assert pdf.startswith(b"%PDF")


async def test_a_render_over_its_time_is_stopped():
    started = time.monotonic()
    with pytest.raises(worker.ReportStopped, match=r"报告生成超过0.2秒，已停止"):
        await worker.render_pdf(sample_report_data(200, 8), limits=worker.RenderLimits(0.2, 1536))
    assert time.monotonic() - started < 10


def _fontconfig_caches() -> dict[str, tuple[int, int]]:
    caches = [*Path("/var/cache/fontconfig").glob("*"),
              *(Path.home() / ".cache" / "fontconfig").glob("*")]
    return {str(path): (path.stat().st_mtime_ns, path.stat().st_size) for path in caches}


async def test_a_render_over_its_memory_is_stopped():
    """…and leaves fontconfig's caches alone: a child that mapped them under its limit could
    not, and fontconfig wrote empty caches for the whole machine (render.warm_up)."""
    caches = _fontconfig_caches()
    with pytest.raises(worker.ReportStopped, match=r"报告生成所需内存超过64 MB，已停止"):
        await worker.render_pdf(sample_report_data(), limits=worker.RenderLimits(60, 64))
    assert _fontconfig_caches() == caches


def _exit_at_once(code: int) -> None:
    os._exit(code)


def test_a_child_that_dies_without_a_word_is_reported_by_its_exit_code():
    """worker._receive: a render child (or the chart drawer) that ends without sending its
    result gives the reason its exit code says, not a hang or a pickling error."""
    with pytest.raises(RuntimeError, match=r"渲染进程意外退出（退出码 3）"):
        worker._run(_exit_at_once, (3,), worker.RenderLimits(30, 1536))


async def test_a_small_report_does_not_wait_behind_a_big_one(monkeypatch):
    """The big lane busy (its render held open here), a small report still renders at once;
    a second big one waits its turn."""
    release = threading.Event()
    order: list[str] = []

    def fake_run(function, args, limits):
        data = args[0]
        name = f"{worker.lane_of(data)}-{len(data.tasks)}"
        if name.startswith("big"):
            release.wait(30)
        order.append(name)
        return name.encode()

    monkeypatch.setattr(worker, "_run", fake_run)
    big = sample_report_data(worker.BIG_REPORT_TASKS + 1)
    big2 = sample_report_data(worker.BIG_REPORT_TASKS + 2)
    first = asyncio.create_task(worker.render_pdf(big))
    second = asyncio.create_task(worker.render_pdf(big2))
    await asyncio.sleep(0)
    assert await asyncio.wait_for(worker.render_pdf(sample_report_data(20)), 10) == b"small-20"
    assert not first.done() and not second.done()
    release.set()
    assert await first == f"big-{worker.BIG_REPORT_TASKS + 1}".encode()
    await second
    assert order == ["small-20", f"big-{worker.BIG_REPORT_TASKS + 1}",
                     f"big-{worker.BIG_REPORT_TASKS + 2}"]


def test_weasyprint_is_imported_without_running_the_library_search():
    """ctypes.util.find_library runs ldconfig, gcc and ld for each name WeasyPrint tries before
    the soname (~0.4 s per import): the render module imports it without them, and the libraries
    it needs are loaded all the same."""
    code = (
        "import subprocess, ctypes.util\n"
        "search = ctypes.util.find_library\n"
        "started = []\n"
        "real = subprocess.Popen.__init__\n"
        "def record(self, args, *a, **k):\n"
        "    started.append(args[0] if isinstance(args, (list, tuple)) else args)\n"
        "    real(self, args, *a, **k)\n"
        "subprocess.Popen.__init__ = record\n"
        "import tracker.reporting.pdf\n"
        "from weasyprint.text import ffi\n"
        "assert ffi.harfbuzz_subset is not None and ffi.pango is not None\n"
        "assert ctypes.util.find_library is search\n"
        "print(started)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", result.stdout


def test_warm_up_checks_and_compiles_but_renders_nothing(monkeypatch):
    """The fork server's warm-up: a warm-up PDF cost ~0.5 CPU s and made the next report no
    faster (WeasyPrint loads its fonts again for every document), so it only checks the
    environment and compiles the templates the render children use."""
    monkeypatch.setattr(report_pdf, "render_pdf", lambda *a, **k: pytest.fail("rendered"))
    monkeypatch.setattr(report_pdf.HTML, "write_pdf", lambda *a, **k: pytest.fail("rendered"))
    report_render._environment.cache_clear()
    try:
        report_render.warm_up()
        compiled = {name for _, name in report_render._environment().cache}
    finally:
        report_render._environment.cache_clear()
    assert {report_render.LEADERSHIP_TEMPLATE, report_render.TEMPLATE} <= compiled
    assert report_pdf._fontconfig_loaded is not None  # its caches mapped before any fork


def test_the_fork_server_preloads_what_each_render_child_would_import():
    """Each child runs the `tracker` script again as __mp_main__ and imports the worker module
    for its function: the fork server imports both first, so a child does not (~0.1 s of the
    report's critical path). "__main__" imports nothing on Python 3.11 (the fork server is not
    given the main module's path) and is not relied on."""
    assert "__main__" not in worker._PRELOAD
    assert {"tracker.cli.main", "tracker.reporting.worker"} <= set(worker._PRELOAD)
    assert worker._PRELOAD.index("tracker.reporting.preload") == len(worker._PRELOAD) - 1


_DRAWER = """
import asyncio, sys
from tests.support.report_samples import sample_report_data
from tracker.reporting import archive, figures, worker

data = sample_report_data()
names = figures.report_charts(data)
worker.start_chart_drawer()
drawn = asyncio.run(archive.draw_charts(data, names, ("svg",), in_process=True))
assert not worker.has_chart_drawer()  # one set of charts, then it is gone
assert "matplotlib" not in sys.modules, "drawn in the command's own process"
here = figures.draw_many({name: (figures.chart_inputs(data, name), ("svg",)) for name in names})
assert drawn == here, "the drawer's charts differ from those drawn here"
worker.start_chart_drawer()
try:
    worker.draw_beside({"status": (("not a dict",), ("svg",))})
except RuntimeError as error:
    print("refused:", error)
try:
    worker.draw_beside({})
except RuntimeError as error:
    print("none:", error)
worker.start_chart_drawer()
process = worker._drawer[0]
import os, time
assert worker.DRAWER_NICENESS > 0
wanted = min(os.getpriority(os.PRIO_PROCESS, 0) + worker.DRAWER_NICENESS, 19)
deadline = time.monotonic() + 10
while os.getpriority(os.PRIO_PROCESS, process.pid) != wanted and time.monotonic() < deadline:
    time.sleep(0.01)
assert os.getpriority(os.PRIO_PROCESS, process.pid) == wanted, "the drawer does not yield"
asyncio.run(archive.draw_charts(data, names, ("svg",), in_process=True))  # all in the cache
assert not worker.has_chart_drawer() and not process.is_alive(), "an unused drawer lives on"
print("ok", len(drawn))
"""


def test_the_report_commands_chart_drawer_draws_what_would_be_drawn_here(tmp_path):
    """worker.start_chart_drawer (the report commands, before their event loop): a forked
    process imports matplotlib while the command reads the database, then draws the charts
    archive.draw_charts(in_process=True) asks for, the same bytes as drawn here; a failure
    comes back as an error, without a drawer there is nothing to ask, and a drawer is ended
    unused when every chart is in the cache."""
    env = {**os.environ, "TRACKER_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", _DRAWER], capture_output=True, text=True,
                            timeout=120, cwd=Path(__file__).resolve().parents[2], env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("refused: 报告渲染失败：AttributeError"), lines
    assert lines[1] == "none: draw_beside: no chart drawer was started", lines
    assert lines[2] == f"ok {len(figures.report_charts(sample_report_data()))}", lines


_RENDERER = """
import asyncio, sys
from multiprocessing import forkserver
from tests.support.report_samples import sample_report_data
from tracker.reporting import figures, worker

worker.start_renderer()
data = sample_report_data()
drawn = figures.chart_set(data, figures.report_charts(data), ("svg",))
pdf = asyncio.run(worker.render_pdf(data, archival=True, limits=worker.NO_LIMITS))
assert "weasyprint" not in sys.modules, "rendered in the command's own process"
assert forkserver._forkserver._forkserver_pid is None, "a fork server was started"
assert worker.has_renderer()
try:
    asyncio.run(worker.run_limited(worker.render_word, data, {}, limits=worker.NO_LIMITS))
except RuntimeError as error:
    print("refused:", error)
again = asyncio.run(worker.run_limited(worker.render_report_pdf, data, drawn, True,
                                       limits=worker.NO_LIMITS))
sys.stdout.flush()
sys.stdout.buffer.write(b"".join([pdf, b"\\n--\\n", again]))
"""


def test_the_report_commands_renderer_renders_what_would_be_rendered_here(tmp_path):
    """worker.start_renderer (the report commands, before their event loop): a forked process
    loads WeasyPrint while the command reads the database, then renders, one after the other,
    what the command asks without limits; no fork server (and no interpreter) is started, the
    PDF is the one rendered here byte for byte, and a failure comes back as an error while the
    renderer goes on serving."""
    env = {**os.environ, "TRACKER_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", _RENDERER], capture_output=True,
                            timeout=120, cwd=Path(__file__).resolve().parents[2], env=env)
    assert result.returncode == 0, result.stderr.decode()
    refused, _, pdfs = result.stdout.partition(b"\n")
    assert refused.decode().startswith("refused: 报告渲染失败：KeyError"), refused
    pdf, again = pdfs.split(b"\n--\n")
    here = render_report(sample_report_data(), pdf_variant=ARCHIVE_VARIANT)
    assert pdf == here and again == here


def test_a_render_started_before_its_charts_are_drawn_is_the_same_pdf(monkeypatch):
    """render.pending_html + pdf.render_pending (pdf.PendingCharts): charts not drawn yet
    (None) are laid out as their outlines and waited for only when painted, after every page
    is laid out; the PDF is the same byte for byte. A chart drawn at another size than its
    outline stops the render (ChartSizeChanged; the report command then renders again with
    the charts: test_the_report_command_renders_while_its_charts_are_drawn[misfit])."""
    data = sample_report_data()
    names = figures.report_charts(data)
    drawn = figures.chart_set(data, names, ("svg",))
    here = render_report(data, pdf_variant=ARCHIVE_VARIANT, charts_drawn=drawn)
    asked = []

    def wait(name: str) -> bytes:
        asked.append(name)
        return drawn[name]["svg"]

    pending = {**drawn, "status": None, "units": None, "trend": None}
    html, outlines = report_render.pending_html(data, pending)
    assert sorted(outlines.values()) == ["status", "trend", "units"]
    assert report_pdf.render_pending(html, outlines, wait, pdf_variant=ARCHIVE_VARIANT) == here
    assert sorted(asked) == ["status", "trend", "units"]

    outline = report_render.svg_outline
    monkeypatch.setattr(report_render, "svg_outline", lambda name, *inputs: outline(
        name, *inputs).replace(b'height="', b'height="1'))
    asked.clear()
    html, outlines = report_render.pending_html(data, pending)
    with pytest.raises(report_pdf.ChartSizeChanged):
        report_pdf.render_pending(html, outlines, wait, pdf_variant=ARCHIVE_VARIANT)
    assert "status" in asked


_DRAW_WHILE_RENDERING = """
import asyncio, fcntl, os, sys
from tracker.reporting import worker

def loaded(module):  # before the fork: the renderer has it too
    return module in sys.modules

def failing(html, outlines, pdf_variant):  # a render that fails before it paints a chart
    raise RuntimeError("渲染失败（测试）")

# The drawer hands each chart to the renderer on a pipe: made one page small, so that a chart
# nobody reads blocks the drawer, as a city's charts (over the usual 64 KiB) do.
real_pipe = os.pipe
def small_pipe():
    reading, writing = real_pipe()
    fcntl.fcntl(writing, fcntl.F_SETPIPE_SZ, 4096)
    return reading, writing
os.pipe = small_pipe
worker.start_report_processes()  # as the command does: first thing (cli.entry)
os.pipe = real_pipe
from tests.support.report_samples import sample_report_data
from tracker.reporting import archive, figures, render
assert worker.renders_while_drawing()
if sys.argv[1:] == ["misfit"]:  # every outline a point taller than its chart will be
    outline = render.svg_outline
    render.svg_outline = lambda name, *inputs: outline(name, *inputs).replace(
        b'height="', b'height="1')
    renders = []
    real_run = archive._run
    async def counted(in_process, limits, function, *args):
        renders.append(function.__name__)
        return await real_run(in_process, limits, function, *args)
    archive._run = counted
data = sample_report_data()
if sys.argv[1:] == ["fails"]:
    worker.render_pending_pdf = failing
    try:
        asyncio.run(archive._draw_while_rendering(data, worker.NO_LIMITS, lambda: None))
    except RuntimeError as error:
        print("failed:", error)
    assert not worker.has_chart_drawer() and worker._drawing is None
    sys.exit(0)
pdf = asyncio.run(archive._draw_while_rendering(data, worker.NO_LIMITS, lambda: None))
if sys.argv[1:] == ["misfit"]:
    assert renders == ["render_pending_pdf", "render_report_pdf"], renders
else:  # the renderer loaded WeasyPrint only: the HTML was built here
    assert [worker._run_in_renderer(loaded, (module,)) for module in
            ("weasyprint", "jinja2", "tracker.reporting.model")] == [True, False, False]
assert "matplotlib" not in sys.modules and "weasyprint" not in sys.modules
assert not worker.has_chart_drawer()
assert not figures.look_up(data, figures.report_charts(data), ("svg",))[1], "charts not kept"
sys.stdout.flush()
sys.stdout.buffer.write(pdf)
"""


@pytest.mark.parametrize("outlines", ["fit", "misfit", "fails"])
def test_the_report_command_renders_while_its_charts_are_drawn(tmp_path, outlines):
    """worker.start_report_processes and archive._draw_while_rendering (the report command):
    the command builds the HTML with each chart's outline and the renderer, which loads only
    WeasyPrint, starts on it as soon as the model is built and gets each chart from the chart
    drawer as it is drawn; the charts are kept in the cache and the PDF is the one rendered
    here with the charts drawn first. When a chart does not fit its outline ("misfit"), the
    renderer takes the other charts off the pipe and the report is rendered again with the
    charts themselves: the same PDF. When the render fails ("fails"), the drawer, blocked on a
    full pipe nobody reads, is ended and the command reports the error instead of waiting."""
    env = {**os.environ, "TRACKER_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", _DRAW_WHILE_RENDERING, outlines],
                            capture_output=True, timeout=60,
                            cwd=Path(__file__).resolve().parents[2], env=env)
    assert result.returncode == 0, result.stderr.decode()
    if outlines == "fails":
        assert result.stdout.decode().startswith("failed: 报告渲染失败：RuntimeError: 渲染失败（测试）")
        return
    assert result.stdout == render_report(sample_report_data(), pdf_variant=ARCHIVE_VARIANT)


def test_compiled_templates_are_kept_and_an_unwritable_cache_is_only_slower(tmp_path):
    """render._TemplateCache: the report templates compiled once per source (the report
    command's renderer would compile them before every render); a directory it cannot write
    to does not stop a render."""
    data = sample_report_data()
    html = {}
    for name, cache in (("none", None), ("kept", report_render._TemplateCache(str(tmp_path))),
                        ("again", report_render._TemplateCache(str(tmp_path))),
                        ("unwritable", report_render._TemplateCache(str(tmp_path / "gone")))):
        env = report_render._environment().overlay(bytecode_cache=cache)
        html[name] = env.get_template(report_render.TEMPLATE).render(
            data=data, status_order=palette.STATUS_ORDER, status_labels=palette.STATUS_LABELS,
            status_colours=palette.STATUS_COLOURS,
            figures=[{"name": chart, "caption": chart, "uri": "data:,"}
                     for chart in figures.report_charts(data)])
    assert list(tmp_path.glob("__jinja2_*.cache")), "nothing kept"
    assert html["kept"] == html["again"] == html["none"] == html["unwritable"]
    assert report_render._environment().bytecode_cache is not None


def test_the_charts_of_the_last_identical_command_are_known_before_the_data(tmp_path,
                                                                              monkeypatch):
    """figures.remember_last_charts / last_charts_cached: what lets the report command's chart
    drawer skip importing matplotlib (worker._draw_when_asked): true only while every chart
    the last command with the same arguments used is still in the cache."""
    monkeypatch.setenv("TRACKER_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(figures, "_cache", type(figures._cache)())
    request = "as_of=None edition=monthly kind=monthly period=2018-09 plan=1 unit=None"
    assert not figures.last_charts_cached(request)
    keys = [figures.cache_key(name, "svg", (name,)) for name in ("status", "trend")]
    figures.remember_last_charts(request, keys)
    assert not figures.last_charts_cached(request)  # remembered, not drawn yet
    for key in keys:
        figures.remember(key, b"<svg/>")
    assert figures.last_charts_cached(request)
    assert not figures.last_charts_cached(request.replace("plan=1", "plan=2"))
    figures._cache.clear()
    figures._cache_file(keys[1]).unlink()
    assert not figures.last_charts_cached(request)
