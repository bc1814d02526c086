"""Report pages: 生成 starts a background job (tracker/jobs: a worker on PostgreSQL, this
process on SQLite), its page shows the progress (long-polling a small
JSON status) and then offers the PDF and the Word copy; archived reports are downloaded here."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import File

from tracker.domain.paging import wait_seconds
from tracker.domain.periods import parse_day
from tracker.domain.vocabulary import EDITION_LABELS
from tracker.http.guards import reader_guard
from tracker.http.pages.common import page, redirect
from tracker.jobs import dispatch
from tracker.reporting import archive as report_archive
from tracker.reporting import build as reports
from tracker.reporting import jobs as report_jobs


class ReportPages(Controller):
    path = "/"
    include_in_schema = False
    guards = [reader_guard]

    @post("/plans/{plan_id:int}/reports")
    async def generate_report(self, request: Request, plan_id: FromPath[int],
                              data: URLEncodedBody[dict[str, str]]) -> Response:
        report_request = await reports.resolve_request(
            plan_id, data.get("period", ""), parse_day(data.get("as_of"), "as_of"),
            data.get("edition", "monthly"), data.get("unit") or None)
        job_id = await dispatch.start_report(report_request, request.user.id)
        return redirect(f"/plans/{plan_id}/report-jobs/{job_id}")

    @get("/plans/{plan_id:int}/report-jobs/{job_id:str}")
    async def job_page(self, request: Request, plan_id: FromPath[int],
                       job_id: FromPath[str]) -> Response:
        job = await report_jobs.get(job_id)
        return page(request, "report_job.html", plan_id=plan_id, job=job.status(),
                    request_=job.request, steps=report_archive.STEPS,
                    edition_names=EDITION_LABELS)

    @get("/report-jobs/{job_id:str}")
    async def job_status(self, job_id: FromPath[str], wait: FromQuery[str | None] = None) -> dict:
        """The job's progress, long-polled by its page (wait=N: held until the job moves on)."""
        return (await report_jobs.moved(job_id, wait_seconds(wait))).status()

    @get("/reports/{report_id:int}/download")
    async def report_download(self, report_id: FromPath[int]) -> File:
        path, name = await report_archive.report_file(report_id)
        return File(path=path, filename=name, media_type=report_archive.FORMATS["pdf"])

    @get("/reports/{report_id:int}/download.docx")
    async def report_download_docx(self, report_id: FromPath[int]) -> File:
        path, name = await report_archive.report_file(report_id, "docx")
        return File(path=path, filename=name, media_type=report_archive.FORMATS["docx"])
