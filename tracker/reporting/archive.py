"""Generating, archiving and serving monthly reports.

Rendering is CPU-heavy (WeasyPrint, matplotlib): the server does it in a worker process, off
the event loop. Archived reports are PDF/A, kept with their parameters and SHA-256.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import multiprocessing
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tracker.domain.errors import NotFound
from tracker.domain.vocabulary import EDITION_LABELS
from tracker.reporting.build import ReportRequest, build_report_data
from tracker.reporting.model import ReportData
from tracker.schemas import ReportOut
from tracker.services.notices import notify_report_published
from tracker.settings import get_settings
from tracker.tables import GeneratedReport, Plan

_executor: ProcessPoolExecutor | None = None


def render_archival_pdf(data: ReportData) -> bytes:
    """Runs in the worker process."""
    from tracker.reporting.render import ARCHIVE_VARIANT, render_report

    return render_report(data, pdf_variant=ARCHIVE_VARIANT)


def _worker_pool() -> ProcessPoolExecutor:
    global _executor
    if _executor is None:
        # spawn: a clean interpreter, not a fork of a running event loop and open connections.
        _executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    return _executor


def shutdown_workers() -> None:
    global _executor
    if _executor is not None:
        _executor.shutdown(cancel_futures=True)
        _executor = None


def reports_dir() -> Path:
    path = get_settings().data_dir / "reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


async def archive(request: ReportRequest, pdf: bytes, user_id: int | None) -> ReportOut:
    stored_name = f"{uuid.uuid4().hex}.pdf"
    path = reports_dir() / stored_name
    path.write_bytes(pdf)
    try:
        row = (await GeneratedReport.insert(GeneratedReport(
            plan=request.plan_id, period=request.period, as_of=request.as_of,
            edition=request.edition, unit=request.unit_id, sha256=hashlib.sha256(pdf).hexdigest(),
            size=len(pdf), stored_name=stored_name, created_by=user_id,
        )).returning(GeneratedReport.id))[0]
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return await get_report(row["id"])


async def generate(request: ReportRequest, user_id: int | None = None) -> ReportOut:
    """Build the data (as of the request's date), render in the worker, archive."""
    data = await build_report_data(request)
    pdf = await asyncio.get_running_loop().run_in_executor(_worker_pool(), render_archival_pdf, data)
    return await archive(request, pdf, user_id)


async def publish(request: ReportRequest, user_id: int | None = None,
                  pdf: bytes | None = None) -> ReportOut:
    """Generate (or take an already rendered PDF), archive, and queue the report_published
    notice. A notice that cannot be queued is logged; the archived report stands."""
    report = await archive(request, pdf, user_id) if pdf is not None else await generate(request, user_id)
    await notify_report_published(report)
    return report


def _report_out(row: dict) -> ReportOut:
    return ReportOut(
        id=row["id"], plan_id=row["plan"], period=row["period"], as_of=row["as_of"].isoformat(),
        edition=row["edition"], unit_name=row["unit.name"], sha256=row["sha256"], size=row["size"],
        created_at=row["created_at"].astimezone(dt.UTC).isoformat(timespec="seconds"),
        download_url=f"/reports/{row['id']}/download",
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


async def report_file(report_id: int) -> tuple[Path, str]:
    """(path, a download name such as 计划名-2018年9月-月报.pdf)."""
    row = await GeneratedReport.select(GeneratedReport.stored_name, GeneratedReport.period,
                                       GeneratedReport.edition, GeneratedReport.unit.name,
                                       GeneratedReport.plan).where(
        GeneratedReport.id == report_id).first()
    if row is None:
        raise NotFound(f"报告 {report_id} 不存在", "report_id")
    plan = await Plan.select(Plan.title).where(Plan.id == row["plan"]).first()
    year, month = row["period"].split("-")
    unit = f"-{row['unit.name']}" if row["unit.name"] else ""
    name = f"{plan['title']}-{year}年{int(month)}月{unit}-{EDITION_LABELS[row['edition']]}.pdf"
    return reports_dir() / row["stored_name"], name
