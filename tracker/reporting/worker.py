"""Where every server-side render runs: one child process per report, with a time and a memory
limit, in two lanes by size so a small report never waits behind a big one.

- Each render is its own process, forked from a fork server that has already imported
  WeasyPrint and matplotlib (a fork costs milliseconds; a fresh interpreter would cost
  seconds), started at the first render. The child sets RLIMIT_AS (memory) and RLIMIT_CPU
  before rendering; the parent kills it when the wall-clock limit passes. A stopped render raises ReportStopped with the
  reason in Chinese, which the pages and the API show to the user.
- Lanes: reports with more than BIG_REPORT_TASKS task rows render in the "big" lane, the rest
  in the "small" lane; each lane renders one report at a time (two cores: one each), so a
  city-scale report in progress leaves the small lane free for everyone else's.

Limits come from the environment: TRACKER_REPORT_TIMEOUT (seconds, default 120) and
TRACKER_REPORT_MEMORY_MB (default 1536); the command line renders without limits
(`NO_LIMITS`), as it always has, and without the fork server: the report command forks, at its
first line, a chart drawer that imports matplotlib and a renderer that imports WeasyPrint, both
while it reads the database (start_chart_drawer, start_renderer).
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import sys
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tracker.domain.errors import DomainError

if TYPE_CHECKING:
    import asyncio

    from tracker.reporting.model import ReportData

# The report command imports this module first thing, to fork (cli.entry): what it imports here
# delays that fork, so asyncio (~0.05 s) is imported where it is used, by the server's renders.

BIG_REPORT_TASKS = 300
LANES = ("small", "big")
# Imported once by the fork server, so no render child pays for them: the `tracker` command's
# module and this one, matplotlib (charts) and WeasyPrint (reporting/preload.py). Every child
# runs the `tracker` script again as __mp_main__ (multiprocessing's rule for the main module)
# and imports this module to run its function: with both already imported that costs nothing,
# else ~0.1 s on the report's critical path. ("__main__" in the list does not do it on Python
# 3.11: the fork server is never given the main module's path, so it imports only its own.)
_PRELOAD = ["tracker.cli.main", "tracker.reporting.worker", "tracker.reporting.charts",
            "tracker.reporting.preload"]


class ReportStopped(DomainError):
    """A render went over its time or memory limit and was stopped."""

    status_code = 422


@dataclass(frozen=True)
class RenderLimits:
    seconds: float | None  # None: no limit
    memory_mb: int | None

    @classmethod
    def from_environment(cls) -> RenderLimits:
        def number(name: str, default: str, kind):
            try:
                return kind(os.environ.get(name) or default)
            except ValueError:
                raise ValueError(f"环境变量 {name} 应为数字，现为“{os.environ.get(name)}”") from None

        return cls(seconds=number("TRACKER_REPORT_TIMEOUT", "120", float),
                   memory_mb=number("TRACKER_REPORT_MEMORY_MB", "1536", int))


NO_LIMITS = RenderLimits(seconds=None, memory_mb=None)


def lane_of(data: ReportData) -> str:
    return "big" if len(data.tasks) > BIG_REPORT_TASKS else "small"


# What render children run. Here, in the module every child imports anyway, so unpickling the
# function does not import the database layer into the child (reporting.archive: ~0.35 s).


def render_report_pdf(data: ReportData, charts_drawn: dict | None = None,
                      archival: bool = True) -> bytes:
    """The PDF of `data` (PDF/A when `archival`), with charts already drawn or drawn here."""
    from tracker.reporting.render import ARCHIVE_VARIANT, render_report

    return render_report(data, pdf_variant=ARCHIVE_VARIANT if archival else None,
                         charts_drawn=charts_drawn)


def render_pending_pdf(html: str, outlines: dict[str, str], pdf_variant: str | None
                       ) -> bytes | None:
    """In the report command's renderer: the PDF of `html` (render.pending_html, built by the
    command), each chart still being drawn waited for from the chart drawer when it is painted
    (pdf.render_pending); None when a chart came out at another size than its outline (the
    command then renders the report again with the charts drawn). Every chart is taken off the
    feed first: the drawer hands on each as it is drawn and blocks when the pipe is full."""
    from tracker.reporting import pdf

    try:
        return pdf.render_pending(html, outlines, _fed_chart, pdf_variant=pdf_variant)
    except pdf.ChartSizeChanged:
        for name in outlines.values():
            _fed_chart(name)
        return None


def render_word(data: ReportData, charts_drawn: dict) -> bytes:
    from tracker.reporting.docx_render import render_docx

    return render_docx(data, charts_drawn)


def _call_in_child(connection, function, args: tuple, limits: RenderLimits) -> None:
    """The child: limit itself, run, send ("ok", result) or ("error", kind, text)."""
    if limits.memory_mb is not None:
        memory = limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    if limits.seconds is not None:
        cpu = max(1, int(limits.seconds) + 1)  # the parent's wall clock usually acts first
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    _reply(connection, function, args, memory_limited=limits.memory_mb is not None)


def _reply(connection, function, args: tuple, memory_limited: bool = False) -> None:
    """Run `function(*args)` and send ("ok", result) or ("error", kind, text)."""
    try:
        connection.send(_result(function, args, memory_limited))
    finally:
        connection.close()


def _result(function, args: tuple, memory_limited: bool = False) -> tuple:
    """("ok", function(*args)) or ("error", kind, text). Under a memory limit a SystemError
    is the limit too: C code whose allocation failed without raising MemoryError (seen in
    the regular-expression compiler that cffi's C parser calls during a render at the limit)."""
    try:
        return "ok", function(*args)
    except MemoryError:
        return "error", "memory", ""
    except SystemError as error:
        if memory_limited:
            return "error", "memory", ""
        return "error", "failed", f"{type(error).__name__}: {error}"
    except BaseException as error:  # noqa: BLE001 - reported to the parent, which raises
        return "error", "failed", f"{type(error).__name__}: {error}"


_context = None
_context_lock = threading.Lock()


def _fork_server():
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(_PRELOAD)
            _context = context
    return _context


def _run(function, args: tuple, limits: RenderLimits):
    """In a thread of the server: start the child, wait at most the limit, collect."""
    context = _fork_server()
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_call_in_child, args=(sender, function, args, limits),
                            daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(limits.seconds):
            raise ReportStopped(
                f"报告生成超过{limits.seconds:g}秒，已停止。请缩小范围（如按单位生成），"
                "或请管理员调大 TRACKER_REPORT_TIMEOUT", "report")
        result = _receive(receiver, child)
    finally:
        if child.is_alive():
            child.kill()
        child.join(5)
        receiver.close()
    return _outcome(result, limits)


def _receive(connection, process) -> tuple:
    """The child's report, or what its exit code says when it died without a word."""
    try:
        return connection.recv()
    except EOFError:
        process.join(5)
        return _death(process.exitcode)


def _outcome(result: tuple, limits: RenderLimits):
    """The child's result, or the exception its report says."""
    if result[0] == "ok":
        return result[1]
    if result[1] == "time":
        raise ReportStopped(
            f"报告生成占用处理器超过{limits.seconds:g}秒，已停止。请缩小范围（如按单位生成），"
            "或请管理员调大 TRACKER_REPORT_TIMEOUT", "report")
    if result[1] == "memory" and limits.memory_mb is not None:
        raise ReportStopped(
            f"报告生成所需内存超过{limits.memory_mb} MB，已停止。请缩小范围（如按单位生成），"
            "或请管理员调大 TRACKER_REPORT_MEMORY_MB", "report")
    raise RuntimeError(f"报告渲染失败：{result[2]}")


def _death(exitcode: int | None) -> tuple[str, str, str]:
    """Why a child that sent nothing died: the CPU limit's signal, another signal (the
    allocator or a C library giving up at the memory limit), or a plain failure."""
    if exitcode == -signal.SIGXCPU:
        return "error", "time", ""
    if exitcode is not None and exitcode < 0:
        return "error", "memory", ""
    return "error", "failed", f"渲染进程意外退出（退出码 {exitcode}）"


_lanes: dict[tuple[int, str], asyncio.Semaphore] = {}


def _lane(name: str) -> asyncio.Semaphore:
    import asyncio

    key = (id(asyncio.get_running_loop()), name)  # tests run several event loops
    if key not in _lanes:
        _lanes[key] = asyncio.Semaphore(1)
    return _lanes[key]


async def run_limited(function, *args, lane: str = "small",
                      limits: RenderLimits | None = None):
    """`function(*args)` (a module-level function: charts, PDF, Word) in a limited child
    process, in its lane; without limits, by the command's own renderer if it started one
    (start_renderer)."""
    import asyncio

    limits = limits or RenderLimits.from_environment()
    async with _lane(lane):
        if limits == NO_LIMITS and _renderer is not None:
            return await asyncio.to_thread(_run_in_renderer, function, args)
        return await asyncio.to_thread(_run, function, args, limits)


async def render_pdf(data: ReportData, archival: bool = False,
                     limits: RenderLimits | None = None) -> bytes:
    """The PDF of `data` (PDF/A when `archival`), rendered in a limited child process in its
    lane."""
    return await run_limited(render_report_pdf, data, None, archival, lane=lane_of(data),
                             limits=limits)


# --- the report command's renderer and chart drawer ---------------------------------------------

_renderer: tuple | None = None  # (process, connection) started by start_renderer()
_renderer_lock = threading.Lock()


def _fork(target, name: str, *args) -> tuple:
    """(process, connection): `target(connection, *args)` in a process forked from this one.
    Only before any thread or event loop exists (a fork copies the calling thread alone)."""
    for stream in (sys.stdout, sys.stderr):  # else the child would write their buffers again
        stream.flush()
    context = multiprocessing.get_context("fork")
    mine, theirs = context.Pipe()
    process = context.Process(target=target, args=(theirs, *args), daemon=True, name=name)
    process.start()
    theirs.close()
    return process, mine


_charts_request: str | None = None  # the report command's arguments (start_report_processes)


def start_report_processes(request: str | None = None) -> None:
    """The report command's helpers, forked at its first line (cli.entry.start_report_helpers):
    the chart drawer first (its lane, matplotlib then the charts, is the longest), then the
    renderer, and between them a pipe on which the drawer hands each chart to the renderer as
    soon as it is drawn, so the renderer lays the report out while the charts are drawn and
    waits only when it paints them (pdf.PendingCharts). `request` (the command's
    arguments) lets the drawer skip importing matplotlib when the last identical command's
    charts are all in the cache (figures.last_charts_cached; remember_charts notes them)."""
    global _charts_request
    if _drawer is not None or _renderer is not None:
        return
    _charts_request = request
    receiver, sender = multiprocessing.get_context("fork").Pipe(duplex=False)
    start_chart_drawer(feed=(sender, receiver), request=request)
    start_renderer(feed=(receiver, sender))
    sender.close()
    receiver.close()


def start_renderer(feed: tuple | None = None) -> None:
    """Fork the report command's renderer: a process that imports WeasyPrint and loads
    fontconfig now (pdf.warm_up, ~0.4 CPU s, while the command reads the database) and then
    runs, one after the other, the renders the command sends it without limits (run_limited
    with NO_LIMITS: the PDF, the Word copy). Forked from the command, it does not start an
    interpreter, import the command's modules again or start multiprocessing's resource
    tracker, as the fork server does (three interpreter start-ups became one). The command
    line renders without limits; the server's renders keep their fork server and its limited
    children (fontconfig is never loaded under RLIMIT_AS: the renderer sets no limit)."""
    global _renderer
    if _renderer is None:
        _renderer = _fork(_render_when_asked, "tracker-render", feed)


def _render_when_asked(connection, feed: tuple | None) -> None:
    """The renderer: load WeasyPrint, then run each (function, args) it is sent until the
    command closes the connection. `feed`: (the end the chart drawer's charts come from, the
    drawer's end, closed here so that a drawer that dies is seen)."""
    global _feed
    if feed is not None:
        _feed, theirs = feed
        theirs.close()
    # WeasyPrint, its check and fontconfig; not Jinja or the report model: the command sends
    # the HTML (render_pending_pdf) and this lane is the command's longest.
    from tracker.reporting import pdf

    try:
        pdf.warm_up()
    except Exception:  # noqa: BLE001 - a broken set-up is reported by the render itself
        pass

    while True:
        try:
            function, args = connection.recv()
        except EOFError:
            return
        connection.send(_result(function, args))


def has_renderer() -> bool:
    return _renderer is not None


_feed = None  # in the renderer: where the chart drawer's charts come from
_fed: dict[str, bytes] = {}  # in the renderer: the charts come so far, by name


def _fed_chart(name: str) -> bytes:
    """In the renderer: chart `name`'s SVG, waiting for the chart drawer to draw it."""
    while name not in _fed:
        try:
            got, content = _feed.recv()
        except EOFError:
            raise RuntimeError("图表绘制进程意外退出") from None
        if got is None:
            raise RuntimeError(f"图表绘制失败：{content}")
        _fed[got] = content
    return _fed[name]


def renders_while_drawing() -> bool:
    """Whether the command's renderer gets its charts from the chart drawer as they are drawn
    (start_report_processes): archive.produce then starts the render before the charts."""
    return _renderer is not None and _drawer is not None and _drawer[2]


def _run_in_renderer(function, args: tuple):
    """`function(*args)` in the command's renderer (start_renderer); blocks until done."""
    with _renderer_lock:
        process, connection = _renderer
        connection.send((function, args))
        result = _receive(connection, process)
    return _outcome(result, NO_LIMITS)


# --- the report command's chart drawer -------------------------------------------------------

_drawer: tuple | None = None  # (process, connection, feeds the renderer): start_chart_drawer()
DRAWER_NICENESS = 10  # the chart drawer's priority below the renderer's (_draw_when_asked)


def remember_charts(keys: list[str]) -> None:
    """The report command: note the chart cache keys its report used, for the next identical
    command's drawer (start_report_processes)."""
    if _charts_request is not None:
        from tracker.reporting import figures

        figures.remember_last_charts(_charts_request, keys)


def start_chart_drawer(feed: tuple | None = None, request: str | None = None) -> None:
    """Fork a process that imports matplotlib now (the charts module, ~0.6 CPU s) and then
    draws the charts it is sent (draw_beside): the report command's serial chain (start-up,
    database, matplotlib, charts) becomes two chains, the import running on the other core
    while the command reads the database, beside the fork server loading WeasyPrint. Only
    before any thread or event loop exists (a fork copies the calling thread alone): the report
    commands call it first thing (cli.entry.start_report_helpers)."""
    global _drawer
    if _drawer is None:
        _drawer = (*_fork(_draw_when_asked, "tracker-charts", feed, request),
                   feed is not None)


def _draw_when_asked(connection, feed: tuple | None = None, request: str | None = None) -> None:
    """The chart drawer: import matplotlib, then draw the one set of charts it is sent; with a
    `feed` (the renderer's end to send each chart on as soon as it is drawn, the renderer's
    end, closed here), the renderer gets them too. When the last command made as `request`
    found its charts all in the cache, matplotlib is imported only if charts are asked for
    after all (the CPU goes to the renderer and the command instead)."""
    sender = None
    if feed is not None:
        sender, theirs = feed
        theirs.close()
    # The renderer's lane (WeasyPrint's import, then the render) is the command's longest, and
    # the charts are wanted only when it paints them, ~60 % into the render: with three
    # processes on two cores, the drawer yields to the renderer and the command's own work.
    os.nice(DRAWER_NICENESS)
    from tracker.reporting import figures

    if request is None or not figures.last_charts_cached(request):
        from tracker.reporting.charts import CHARTS  # noqa: F401 - imported before it is asked

    try:
        wanted = connection.recv()
    except EOFError:  # the command needed no charts (all cached, or no report)
        return

    def draw_and_hand_on(wanted: figures.Wanted) -> dict[str, dict[str, bytes]]:
        drawn = {}
        try:
            for name, (inputs, formats) in wanted.items():
                drawn[name] = figures.draw(name, inputs, formats)
                if sender is not None and "svg" in drawn[name]:
                    sender.send((name, drawn[name]["svg"]))
        except BaseException as error:
            if sender is not None:
                sender.send((None, f"{type(error).__name__}: {error}"))
            raise
        return drawn

    _reply(connection, draw_and_hand_on, (wanted,))


def has_chart_drawer() -> bool:
    return _drawer is not None


def stop_chart_drawer() -> None:
    """End the chart drawer: unused (every chart was in the cache: its import would only take
    CPU from the renderer), or drawing for a render that failed (draw_beside then returns
    with the error)."""
    global _drawer
    if _drawer is not None:
        (process, connection, _), _drawer = _drawer, None
        process.kill()
        process.join(5)
        connection.close()
    elif _drawing is not None:
        _drawing.kill()


_drawing = None  # the drawer's process while draw_beside waits for its charts


def draw_beside(wanted: dict) -> dict[str, dict[str, bytes]]:
    """figures.draw_many(wanted), done by the chart drawer (start_chart_drawer), which then
    ends: it draws one set of charts. Blocks until they are drawn."""
    global _drawer, _drawing
    if _drawer is None:
        raise RuntimeError("draw_beside: no chart drawer was started")
    process, connection, _ = _drawer
    _drawing, _drawer = process, None  # in this order: stop_chart_drawer always finds it
    try:
        connection.send(wanted)
        result = _receive(connection, process)
    finally:
        _drawing = None
        connection.close()
        process.join(5)
        if process.is_alive():
            process.kill()
    return _outcome(result, NO_LIMITS)
