"""Reports generated in the background: the page's 生成 button starts a job and polls it.

A job runs `report_archive.produce` (the one report pipeline) as an asyncio task in the server
process (the CPU work goes to the worker process) and records which step it is at. Jobs live
in memory: they are short, and the report they make is archived in the database. Asking for the
same report while a job for it is still running joins that job instead of starting another.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field

from tracker.domain.errors import DomainError, NotFound
from tracker.reporting import archive as report_archive
from tracker.reporting.build import ReportRequest

log = logging.getLogger(__name__)
KEEP = 200  # finished jobs remembered, for their status pages
FAILED = "生成失败，请稍后重试；如仍失败请联系管理员"


@dataclass
class Job:
    id: str
    request: ReportRequest
    user_id: int | None
    step: int = 0
    step_name: str = report_archive.STEPS[0]
    state: str = "running"  # running | done | failed
    report_id: int | None = None
    reused: bool = False
    error: str | None = None
    task: asyncio.Task | None = field(default=None, repr=False)

    def status(self) -> dict:
        """The small JSON the page polls."""
        total = len(report_archive.STEPS)
        return {
            "id": self.id, "state": self.state, "step": self.step_name,
            "done_steps": total if self.state == "done" else self.step, "total_steps": total,
            "report_id": self.report_id, "reused": self.reused, "error": self.error,
            "pdf_url": f"/reports/{self.report_id}/download" if self.report_id else None,
            "docx_url": f"/reports/{self.report_id}/download.docx" if self.report_id else None,
        }


_jobs: dict[str, Job] = {}


def _running_for(request: ReportRequest) -> Job | None:
    for job in _jobs.values():
        if job.state == "running" and job.request == request:
            return job
    return None


async def _run(job: Job) -> None:
    def progress(index: int, name: str) -> None:
        job.step, job.step_name = index, name

    try:
        report, job.reused = await report_archive.produce(job.request, job.user_id,
                                                          progress=progress)
        job.report_id, job.state = report.id, "done"
    except DomainError as error:
        job.state, job.error = "failed", error.message
    except Exception:
        log.exception("report job %s", job.id)
        job.state, job.error = "failed", FAILED


def start(request: ReportRequest, user_id: int | None) -> Job:
    """Start generating (or join the running job for the same report)."""
    running = _running_for(request)
    if running is not None:
        return running
    job = Job(id=uuid.uuid4().hex, request=request, user_id=user_id)
    _jobs[job.id] = job
    job.task = asyncio.get_running_loop().create_task(_run(job))
    finished = [key for key, old in _jobs.items() if old.state != "running"]
    for key in finished[:max(0, len(finished) - KEEP)]:
        del _jobs[key]
    return job


def get(job_id: str) -> Job:
    job = _jobs.get(job_id)
    if job is None:
        raise NotFound("报告生成任务不存在或已过期，请重新生成", "job_id")
    return job


async def wait(job_id: str) -> Job:
    """The job once it has finished (for tests and the API)."""
    job = get(job_id)
    if job.task is not None:
        await asyncio.shield(job.task)
    return job
