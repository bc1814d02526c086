"""The report pipeline: generate, archive and serve reports. One function, `produce`, is what
the page's 生成 button (through a background job), the API, `tracker report …` and
`tracker report publish` all call.

Rendering is CPU-heavy (WeasyPrint, matplotlib): it runs in a child process per step, forked
from the render worker's fork server, which has both loaded (tracker/reporting/worker.py); the
server's children have time and memory limits and a lane for big reports, the command line's
none, and the command line starts the fork server first, so it loads them while the data is
read. Archived reports are PDF/A,
with an editable Word copy, kept with their parameters, SHA-256 and the fingerprint of their
content: asking again for a report whose content is unchanged returns the archived copy.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import hashlib
import logging
import pickle
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from tracker.domain.errors import NotFound
from tracker.domain.periods import period_of
from tracker.domain.vocabulary import EDITION_LABELS
from tracker.reporting import figures, worker
from tracker.reporting.build import ReportRequest, build_report_data
from tracker.reporting.model import ReportData
from tracker.reporting.worker import (
    RenderLimits,
    lane_of,
    render_report_pdf,
    render_word,
    run_limited,
)
from tracker.schemas import ReportOut
from tracker.services.plans import get_plan
from tracker.services.tracking import default_as_of, load_plan_facts
from tracker.settings import get_settings
from tracker.tables import GeneratedReport, Plan

STEPS = ("准备数据", "绘制图表", "排版 PDF", "归档", "生成 Word")
FORMATS = {"pdf": "application/pdf",
           "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
_REPORTS_DIR = Path(__file__).resolve().parents[2] / "reports"

Progress = Callable[[int, str], None]  # (step index, step name)


async def _run(in_process: bool, limits: RenderLimits | None, function, *args):
    """`function(*args)` here (`in_process`) or in a render child in the lane of the report it
    works on, with `limits` (None: the environment's; the command line: worker.NO_LIMITS)."""
    if in_process:
        return function(*args)
    lane = lane_of(args[0]) if args and isinstance(args[0], ReportData) else "small"
    return await run_limited(function, *args, lane=lane, limits=limits)


def reports_dir() -> Path:
    path = get_settings().data_dir / "reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


@functools.cache
def _layout_version() -> bytes:
    """The templates and stylesheet: a new layout is new content."""
    return b"".join(path.read_bytes() for path in sorted(_REPORTS_DIR.glob("*.*")))


def fingerprint(data: ReportData) -> str:
    """SHA-256 of what the report shows (its model, without the generation time, and the
    layout): equal fingerprints, equal reports."""
    content = dataclasses.replace(data, generated_at=dt.datetime(2000, 1, 1))
    return hashlib.sha256(pickle.dumps(content, protocol=5) + _layout_version()).hexdigest()


async def draw_charts(data: ReportData, names: list[str], formats: tuple[str, ...],
                      in_process: bool = False, limits: RenderLimits | None = None
                      ) -> dict[str, dict[str, bytes]]:
    """The charts, each drawn once per content (figures' cache); the missing ones all in one
    render child, or `in_process`: by this process's chart drawer if it started one (the
    report commands: worker.start_chart_drawer), else here."""
    found, wanted = figures.look_up(data, names, formats)
    if not wanted:
        drawn = {}
        if in_process:
            worker.stop_chart_drawer()
    elif in_process and worker.has_chart_drawer():
        drawn = await asyncio.to_thread(worker.draw_beside, wanted)
    else:
        drawn = await _run(in_process, limits, figures.draw_many, wanted)
    return figures.keep(found, wanted, drawn)


async def _draw_while_rendering(data: ReportData, limits: RenderLimits | None,
                                 rendering: Callable[[], None]) -> bytes:
    """The report command (worker.start_report_processes): the PDF, rendered by the renderer
    from the moment the model is built while the chart drawer draws the charts not in the
    cache; the renderer waits for a chart only when it paints it (pdf.PendingCharts). The HTML
    is built here (render.pending_html), so the renderer loads only WeasyPrint. The charts
    drawn are then kept in the cache. `rendering()` says the render has started."""
    from tracker.reporting import render

    names = figures.report_charts(data)
    found, wanted = figures.look_up(data, names, ("svg",))
    if not wanted:
        worker.stop_chart_drawer()
    worker.remember_charts([figures.cache_key(name, "svg", figures.chart_inputs(data, name))
                            for name in names])
    charts = {name: None if name in wanted else found[name] for name in names}
    html, outlines = render.pending_html(data, charts)
    rendering()
    rendered = _run(False, limits, worker.render_pending_pdf, html, outlines,
                    render.ARCHIVE_VARIANT)
    if not wanted:
        return await rendered
    try:
        pdf, drawn = await asyncio.gather(rendered, asyncio.to_thread(worker.draw_beside, wanted))
    except BaseException:
        # The render failed: nobody reads the charts the drawer hands on any more, and once
        # their pipe is full it would wait for ever, and the command with it. End it.
        worker.stop_chart_drawer()
        raise
    charts = figures.keep(found, wanted, drawn)
    if pdf is None:  # a chart did not fit its outline: render with the charts themselves
        pdf = await _run(False, limits, render_report_pdf, data, charts)
    return pdf


CHART_MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png"}
_chart_models: dict[tuple, tuple[object, ReportData]] = {}  # (plan, as_of) -> (facts, model)


async def plan_chart(plan_id: int, chart: str, as_of: dt.date | None,
                     shape: str | None = None) -> tuple[bytes, str]:
    """One chart of a plan as of a date, e.g. chart="status.svg", in a shape (the query's
    text, checked by figures.parse_shape). Returns (bytes, media type). Each chart is drawn
    once per content and shape, in the worker process."""
    name, _, fmt = chart.partition(".")
    if name not in figures.CHART_NAMES or fmt not in CHART_MEDIA_TYPES:
        raise NotFound(f"图表“{chart[:40]}”不存在（可用：{'、'.join(figures.CHART_NAMES)}，"
                       ".svg 或 .png）", "chart")
    wanted = figures.variant(name, figures.parse_shape(shape, name))
    drawn = await draw_charts(await _chart_model(plan_id, as_of), [wanted], (fmt,))
    return drawn[wanted][fmt], CHART_MEDIA_TYPES[fmt]


async def _chart_model(plan_id: int, as_of: dt.date | None) -> ReportData:
    """The model behind a plan's charts as of a date (None: the overview's default date),
    kept while the plan's facts are the same object (load_plan_facts returns a new one when
    anything changed)."""
    plan = await get_plan(plan_id)
    as_of = as_of or default_as_of(plan.year, plan.reporting.due_day)
    period = period_of(as_of)
    if plan.year is not None:
        period = min(max(period, f"{plan.year}-01"), f"{plan.year}-12")
    facts = await load_plan_facts(plan_id)
    key = (plan_id, as_of, period)
    known = _chart_models.get(key)
    if known is not None and known[0] is facts:
        return known[1]
    data = await build_report_data(ReportRequest(plan_id=plan_id, period=period, as_of=as_of),
                                   words=False)
    if len(_chart_models) > 64:
        _chart_models.clear()
    _chart_models[key] = (facts, data)
    return data


# The overview page's charts, for a desk and for a phone (plan.html's <picture>).
OVERVIEW_VARIANTS = [figures.variant(name, shape) for shape in figures.SHAPES
                     for name in figures.OVERVIEW_CHARTS]


async def warm_overview_charts(plan_ids: list[int]) -> None:
    """Each plan's overview charts as of its default date, drawn as a server worker starts
    (after its caches: services/warm_up.py). The first chart request otherwise waits for the
    fork server to load WeasyPrint and matplotlib and then draws (10 s on a busy machine);
    this moves both out of the first visitor's way. A failure costs only that wait."""
    log = logging.getLogger(__name__)
    started = time.monotonic()
    try:
        for plan_id in plan_ids:
            await draw_charts(await _chart_model(plan_id, None), OVERVIEW_VARIANTS, ("svg",))
    except asyncio.CancelledError:
        raise
    except Exception:  # noqa: BLE001 - the page draws what is missing itself
        log.exception("drawing the overview charts failed; pages will draw them on first use")
        return
    log.info("overview charts drawn: %d plan(s) in %.1f s", len(plan_ids),
             time.monotonic() - started)


async def find_archived(request: ReportRequest, content: str) -> ReportOut | None:
    """The archived report of the same edition, period, as-of date and unit whose content is
    the same, if any: the one place that decides whether a report is generated again."""
    query = GeneratedReport.select(GeneratedReport.id).where(
        GeneratedReport.plan == request.plan_id, GeneratedReport.period == request.period,
        GeneratedReport.as_of == request.as_of, GeneratedReport.edition == request.edition,
        GeneratedReport.fingerprint == content)
    if request.unit_id is None:
        query = query.where(GeneratedReport.unit.is_null())
    else:
        query = query.where(GeneratedReport.unit == request.unit_id)
    row = await query.order_by(GeneratedReport.id, ascending=False).first()
    return await get_report(row["id"]) if row else None


def _model_path(stored_name: str) -> Path:
    return reports_dir() / (Path(stored_name).stem + ".model")


async def archive(request: ReportRequest, data: ReportData, pdf: bytes, content: str,
                  user_id: int | None) -> ReportOut:
    """Store the PDF/A and the model it was made from (the Word copy is made from that model,
    now or on its first download), and the row with parameters, SHA-256 and fingerprint."""
    stem = uuid.uuid4().hex
    pdf_path = reports_dir() / f"{stem}.pdf"
    model_path = _model_path(pdf_path.name)
    pdf_path.write_bytes(pdf)
    model_path.write_bytes(pickle.dumps(data, protocol=5))
    try:
        row = (await GeneratedReport.insert(GeneratedReport(
            plan=request.plan_id, period=request.period, as_of=request.as_of,
            edition=request.edition, unit=request.unit_id, sha256=hashlib.sha256(pdf).hexdigest(),
            size=len(pdf), stored_name=pdf_path.name, created_by=user_id, fingerprint=content,
        )).returning(GeneratedReport.id))[0]
    except BaseException:
        pdf_path.unlink(missing_ok=True)
        model_path.unlink(missing_ok=True)
        raise
    return await get_report(row["id"])


async def ensure_word(report_id: int, in_process: bool = False,
                      limits: RenderLimits | None = None) -> ReportOut:
    """The archived report with its Word copy, made now from the archived model if it has
    none yet (same model as the PDF: same words, same figures)."""
    row = await GeneratedReport.select(GeneratedReport.stored_name,
                                       GeneratedReport.docx_name).where(
        GeneratedReport.id == report_id).first()
    if row is None:
        raise NotFound(f"报告 {report_id} 不存在", "report_id")
    if row["docx_name"] is None:
        model = _model_path(row["stored_name"])
        if not model.exists():
            raise NotFound(f"报告 {report_id} 是早期生成的，没有 Word 版；请重新生成", "report_id")
        data = pickle.loads(model.read_bytes())  # written by archive() above, in our data dir
        drawn = await draw_charts(data, figures.report_charts(data), ("svg", "png"), in_process,
                                  limits)
        docx = await _run(in_process, limits, render_word, data, drawn)
        path = reports_dir() / (Path(row["stored_name"]).stem + ".docx")
        path.write_bytes(docx)
        await GeneratedReport.update({GeneratedReport.docx_name: path.name,
                                      GeneratedReport.docx_size: len(docx)}).where(
            GeneratedReport.id == report_id)
    return await get_report(report_id)


async def produce(request: ReportRequest, user_id: int | None = None, *,
                  progress: Progress | None = None, in_process: bool = False,
                  limits: RenderLimits | None = None, publish: bool = False,
                  word: bool = True, charts_here: bool = False) -> tuple[ReportOut, bool]:
    """The report pipeline: the model as of the request's date, the archived copy if its
    content is unchanged, else charts, PDF/A, archive; then the Word copy (`word=False`
    leaves it to its first download). `publish` also queues the report_published notice.
    Charts, PDF and Word render in children of the render worker with `limits` (None: the
    environment's), or here with `in_process`; `charts_here` draws the charts here or by this
    process's chart drawer (the command line: worker.start_chart_drawer), whose renders without
    limits go to its own renderer (worker.start_renderer).
    Returns (report, whether it was already archived)."""
    def step(index: int) -> None:
        if progress is not None:
            progress(index, STEPS[index])

    step(0)
    data = await build_report_data(request)
    content = fingerprint(data)
    report = await find_archived(request, content)
    reused = report is not None
    if report is None:
        step(1)
        if charts_here and not in_process and worker.renders_while_drawing():
            pdf = await _draw_while_rendering(data, limits, lambda: step(2))
        else:
            drawn = await draw_charts(data, figures.report_charts(data), ("svg",),
                                      in_process or charts_here, limits)
            step(2)
            pdf = await _run(in_process, limits, render_report_pdf, data, drawn)
        step(3)
        report = await archive(request, data, pdf, content, user_id)
    if word:
        step(4)
        report = await ensure_word(report.id, in_process, limits)
    if publish:
        # Here, not at the top: the notice formatters are not needed to make a report.
        from tracker.services.notices import notify_report_published

        await notify_report_published(report)
    return report, reused


def _report_out(row: dict) -> ReportOut:
    return ReportOut(
        id=row["id"], plan_id=row["plan"], period=row["period"], as_of=row["as_of"].isoformat(),
        edition=row["edition"], unit_name=row["unit.name"], sha256=row["sha256"], size=row["size"],
        created_at=row["created_at"].astimezone(dt.UTC).isoformat(timespec="seconds"),
        download_url=f"/reports/{row['id']}/download",
        docx_url=f"/reports/{row['id']}/download.docx",  # made on its first download if need be
    )


_COLUMNS = (GeneratedReport.all_columns(), GeneratedReport.unit.name)


async def get_report(report_id: int) -> ReportOut:
    row = await GeneratedReport.select(*_COLUMNS).where(GeneratedReport.id == report_id).first()
    if row is None:
        raise NotFound(f"报告 {report_id} 不存在", "report_id")
    return _report_out(row)


async def list_reports(plan_id: int) -> list[ReportOut]:
    rows = await GeneratedReport.select(*_COLUMNS).where(GeneratedReport.plan == plan_id).order_by(
        GeneratedReport.id, ascending=False)
    return [_report_out(row) for row in rows]


async def report_file(report_id: int, fmt: str = "pdf") -> tuple[Path, str]:
    """(path, a download name such as 计划名-2018年9月-月报.pdf); fmt "pdf" or "docx"."""
    row = await GeneratedReport.select(GeneratedReport.stored_name, GeneratedReport.docx_name,
                                       GeneratedReport.period,
                                       GeneratedReport.edition, GeneratedReport.unit.name,
                                       GeneratedReport.plan).where(
        GeneratedReport.id == report_id).first()
    if row is None:
        raise NotFound(f"报告 {report_id} 不存在", "report_id")
    plan = await Plan.select(Plan.title).where(Plan.id == row["plan"]).first()
    year, month = row["period"].split("-")
    unit = f"-{row['unit.name']}" if row["unit.name"] else ""
    if fmt == "docx" and row["docx_name"] is None:
        await ensure_word(report_id)
        return await report_file(report_id, fmt)
    stored = row["stored_name"] if fmt == "pdf" else row["docx_name"]
    name = f"{plan['title']}-{year}年{int(month)}月{unit}-{EDITION_LABELS[row['edition']]}.{fmt}"
    return reports_dir() / stored, name
