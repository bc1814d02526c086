"""JSON API: monthly reports (generate, list, download) and the plan's charts."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.response import File

from tracker.domain.paging import wait_seconds
from tracker.domain.periods import parse_day
from tracker.http.guards import reader_guard
from tracker.jobs import dispatch
from tracker.reporting import archive as report_archive
from tracker.reporting import build as reports
from tracker.reporting import jobs as report_jobs
from tracker.schemas import ReportIn, ReportJobOut, ReportOut


class ReportApi(Controller):
    path = "/api"
    tags = ["报告 reports"]
    guards = [reader_guard]

    @post("/plans/{plan_id:int}/reports", operation_id="generateReport", status_code=202)
    async def generate(self, request: Request, plan_id: FromPath[int],
                       data: JSONBody[ReportIn]) -> Response[ReportJobOut]:
        """Start generating a report (PDF/A and Word) for a period, as of a date (default: the
        period's due date). edition: monthly (the leadership edition), detail, year_end; unit
        for one unit's edition. Answers 202 with the job: poll its status_url (Location) until
        state is done (report holds the archived report) or failed (error says why). Asking
        again while it runs joins the same job; the same content again returns the archived
        report, so repeating the request never archives a second copy."""
        report_request = await reports.resolve_request(
            plan_id, data.period, parse_day(data.as_of, "as_of"), data.edition, data.unit)
        job_id = await dispatch.start_report(report_request, request.user.id)
        job = await report_jobs.api_status(await report_jobs.get(job_id))
        return Response(job, status_code=202, headers={"Location": job.status_url})

    @get("/report-jobs/{job_id:str}", operation_id="getReportJob")
    async def job_status(self, job_id: FromPath[str],
                         wait: FromQuery[str | None] = None) -> ReportJobOut:
        """A report job's progress; once done, the archived report it made. wait=N (0-30):
        answer as soon as the job moves on (a new step, done or failed), or after N seconds."""
        return await report_jobs.api_status(await report_jobs.moved(job_id, wait_seconds(wait)))

    @get("/plans/{plan_id:int}/reports", operation_id="listReports")
    async def list_reports(self, plan_id: FromPath[int]) -> list[ReportOut]:
        """Archived reports of a plan, newest first, with their SHA-256."""
        return await report_archive.list_reports(plan_id)

    @get("/reports/{report_id:int}", operation_id="getReport")
    async def get_report(self, report_id: FromPath[int]) -> ReportOut:
        """One archived report's parameters and checksum."""
        return await report_archive.get_report(report_id)

    @get("/reports/{report_id:int}/download", operation_id="downloadReport",
         media_type="application/pdf")
    async def download(self, report_id: FromPath[int]) -> File:
        """The archived PDF."""
        path, name = await report_archive.report_file(report_id)
        return File(path=path, filename=name, media_type="application/pdf")

    @get("/reports/{report_id:int}/download.docx", operation_id="downloadReportDocx",
         media_type=report_archive.FORMATS["docx"])
    async def download_docx(self, report_id: FromPath[int]) -> File:
        """The archived report's editable Word copy (same content as the PDF)."""
        path, name = await report_archive.report_file(report_id, "docx")
        return File(path=path, filename=name, media_type=report_archive.FORMATS["docx"])

    @get("/plans/{plan_id:int}/charts/{chart:str}", operation_id="getChart",
         media_type="image/svg+xml")
    async def chart(self, plan_id: FromPath[int], chart: FromPath[str],
                    as_of: FromQuery[str | None] = None,
                    shape: FromQuery[str | None] = None) -> Response[bytes]:
        """A chart (sections, units, trend, status, milestones) as .svg or .png, as of a date;
        shape=phone: drawn for a narrow screen (the overview's four, not milestones)."""
        day = parse_day(as_of, "as_of")
        content, media_type = await report_archive.plan_chart(plan_id, chart, day, shape)
        return Response(content, media_type=media_type)
