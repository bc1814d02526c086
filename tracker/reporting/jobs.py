"""Reports generated in the background: the page's 生成 button records a job, a worker runs it,
and the job's page polls its progress.

A job is a row of ``report_job`` (the request, the step it is at, the archived report it
made), so every instance shows the same progress and whoever runs it (a `tracker worker` on
PostgreSQL, the server itself on SQLite; tracker/jobs) may be another process than the one
that took the request. `run` is the job's one body: it calls `report_archive.produce` (the one
report pipeline) and is safe to run again after a crash, since produce returns the archived
report when one with the same content exists. Asking for the same report while a job for it
is still running joins that job instead of starting another.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from dataclasses import dataclass

from tracker.domain.errors import DomainError, NotFound
from tracker.reporting import archive as report_archive
from tracker.reporting.build import ReportRequest
from tracker.schemas import ReportJobOut
from tracker.tables import ReportJob

log = logging.getLogger(__name__)
FAILED = "生成失败，请稍后重试；如仍失败请联系管理员"
# A running job older than this is not joined: its worker may be gone for good.
JOIN_WINDOW = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class JobView:
    id: str
    request: ReportRequest
    user_id: int | None
    state: str  # running | done | failed
    step: int
    report_id: int | None
    reused: bool
    error: str

    @property
    def step_name(self) -> str:
        return report_archive.STEPS[min(self.step, len(report_archive.STEPS) - 1)]

    def status(self) -> dict:
        """The small JSON the page polls."""
        total = len(report_archive.STEPS)
        return {
            "id": self.id, "state": self.state, "step": self.step_name,
            "done_steps": total if self.state == "done" else self.step, "total_steps": total,
            "report_id": self.report_id, "reused": self.reused, "error": self.error or None,
            "pdf_url": f"/reports/{self.report_id}/download" if self.report_id else None,
            "docx_url": f"/reports/{self.report_id}/download.docx" if self.report_id else None,
        }


async def api_status(job: JobView) -> ReportJobOut:
    """The job as the JSON API shows it: its progress, and the archived report once done."""
    status = job.status()
    report = await report_archive.get_report(job.report_id) if job.report_id else None
    return ReportJobOut(id=job.id, state=job.state, step=status["step"],
                        done_steps=status["done_steps"], total_steps=status["total_steps"],
                        reused=job.reused, error=status["error"],
                        status_url=f"/api/report-jobs/{job.id}", report=report)


def _view(row: dict) -> JobView:
    return JobView(
        id=row["token"], request=ReportRequest(plan_id=row["plan"], period=row["period"],
                                               as_of=row["as_of"], edition=row["edition"],
                                               unit_id=row["unit"]),
        user_id=row["requested_by"], state=row["state"], step=row["step"],
        report_id=row["report"], reused=row["reused"], error=row["error"])


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _running_for(request: ReportRequest) -> str | None:
    query = ReportJob.select(ReportJob.token).where(
        ReportJob.plan == request.plan_id, ReportJob.state == "running",
        ReportJob.period == request.period, ReportJob.as_of == request.as_of,
        ReportJob.edition == request.edition, ReportJob.created_at > _now() - JOIN_WINDOW)
    if request.unit_id is None:
        query = query.where(ReportJob.unit.is_null())
    else:
        query = query.where(ReportJob.unit == request.unit_id)
    row = await query.order_by(ReportJob.id, ascending=False).first()
    return row["token"] if row else None


async def create(request: ReportRequest, user_id: int | None) -> tuple[str, bool]:
    """Record a job for the request, or find the running one for the same report.
    Returns (job id, whether it is new: a new one has to be run)."""
    running = await _running_for(request)
    if running is not None:
        return running, False
    token = uuid.uuid4().hex
    await ReportJob.insert(ReportJob(
        token=token, plan=request.plan_id, period=request.period, as_of=request.as_of,
        edition=request.edition, unit=request.unit_id, requested_by=user_id, state="running",
        step=0, reused=False, error="", created_at=_now()))
    return token, True


async def get(job_id: str) -> JobView:
    row = await ReportJob.select().where(ReportJob.token == job_id).first()
    if row is None:
        raise NotFound("报告生成任务不存在或已过期，请重新生成", "job_id")
    return _view(row)


async def running() -> list[str]:
    """Jobs not finished (on SQLite the server runs these again when it starts)."""
    rows = await ReportJob.select(ReportJob.token).where(ReportJob.state == "running").order_by(
        ReportJob.id)
    return [row["token"] for row in rows]


async def _set_step(job_id: str, index: int) -> None:
    await ReportJob.update({ReportJob.step: index}).where(
        ReportJob.token == job_id, ReportJob.step < index, ReportJob.state == "running")


async def run(job_id: str) -> JobView:
    """The job's body: produce the report and record the outcome. A job already finished is
    left as it is (a retry after the last step). A user's error (DomainError: the plan is
    gone, the report is too big) is the job's answer; anything else is raised, for the
    caller to retry or to record with `fail`."""
    job = await get(job_id)
    if job.state != "running":
        return job
    loop = asyncio.get_running_loop()
    writes: list[asyncio.Task] = []

    def progress(index: int, name: str) -> None:
        writes.append(loop.create_task(_set_step(job_id, index)))

    try:
        report, reused = await report_archive.produce(job.request, job.user_id,
                                                      progress=progress)
    except DomainError as error:
        await _finish(job_id, writes, state="failed", error=error.message)
    else:
        await _finish(job_id, writes, state="done", report=report.id, reused=reused,
                      step=len(report_archive.STEPS))
    return await get(job_id)


async def _finish(job_id: str, writes: list[asyncio.Task], **values) -> None:
    await asyncio.gather(*writes, return_exceptions=True)
    await ReportJob.update({getattr(ReportJob, name): value for name, value in values.items()}
                           ).where(ReportJob.token == job_id, ReportJob.state == "running")


async def fail(job_id: str, message: str = FAILED) -> None:
    """Record that the job will not finish (its last attempt raised)."""
    await ReportJob.update({ReportJob.state: "failed", ReportJob.error: message}).where(
        ReportJob.token == job_id, ReportJob.state == "running")


async def reopen(job_id: str) -> None:
    """A failed job about to run again (the administrator's 重试)."""
    await ReportJob.update({ReportJob.state: "running", ReportJob.error: "",
                            ReportJob.step: 0}).where(
        ReportJob.token == job_id, ReportJob.state == "failed")


async def moved(job_id: str, seconds: float, interval: float = 0.1) -> JobView:
    """The job as soon as its state or step differs from what it is now, or after `seconds`:
    a client long-polls the status instead of sleeping between looks, so it learns that the
    report is ready within a tenth of a second rather than up to its next look (the job's row
    is read every `interval`, wherever the job runs). `seconds=0`: the job as it is now."""
    first = job = await get(job_id)
    deadline = loop_time() + seconds
    while job.state == "running" and job.step == first.step and loop_time() < deadline:
        await asyncio.sleep(interval)
        job = await get(job_id)
    return job


def loop_time() -> float:
    return asyncio.get_running_loop().time()
