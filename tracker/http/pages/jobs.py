"""The administrator's list of failed background jobs (the queue's dead letters), with 重试."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from tracker.domain.errors import DomainError
from tracker.http.guards import jobs_guard
from tracker.http.pages.common import form_error, page, redirect
from tracker.jobs import dispatch, queue


class JobPages(Controller):
    path = "/admin/jobs"
    include_in_schema = False
    guards = [jobs_guard]

    async def _render(self, request: Request, status_code: int = 200, error=None) -> Response:
        uses_queue = dispatch.uses_queue()
        return page(request, "jobs.html", status_code=status_code, queue=uses_queue,
                    jobs=await queue.failed_jobs() if uses_queue else [], error=error)

    @get("/")
    async def failed_jobs(self, request: Request) -> Response:
        return await self._render(request)

    @post("/{job_id:int}/retry")
    async def retry(self, request: Request, job_id: FromPath[int]) -> Response:
        try:
            await dispatch.retry_failed(job_id)
        except DomainError as error:
            return await self._render(request, 400, error=form_error(error))
        return redirect("/admin/jobs", "job_retried")
