"""JSON API: the background jobs that failed after their retries, and retrying one."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import FromPath

from tracker.http.guards import jobs_guard
from tracker.jobs import dispatch, queue
from tracker.schemas import FailedJobOut


class JobApi(Controller):
    path = "/api/jobs"
    tags = ["后台任务 jobs"]
    guards = [jobs_guard]

    @get("/failed", operation_id="listFailedJobs")
    async def failed_jobs(self) -> list[FailedJobOut]:
        """Jobs that failed after their retries, newest first (empty on SQLite, where jobs run
        in the server's process)."""
        return await queue.failed_jobs() if dispatch.uses_queue() else []

    @post("/{job_id:int}/retry", operation_id="retryJob")
    async def retry(self, job_id: FromPath[int]) -> FailedJobOut:
        """Put a failed job back in the queue."""
        return await dispatch.retry_failed(job_id)
