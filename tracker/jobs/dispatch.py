"""Where a background job runs: `enqueue` puts it in the queue on PostgreSQL (a `tracker worker`
runs it, with retries) and runs it in this process on SQLite (one machine, as before the
queue). The server's lifespan calls `start` and `stop`."""

from __future__ import annotations

import asyncio
import logging

from tracker.domain.errors import NotFound
from tracker.jobs import queue
from tracker.reporting import jobs as report_jobs
from tracker.reporting.build import ReportRequest
from tracker.schemas import FailedJobOut
from tracker.services import outbox, scheduler
from tracker.settings import get_settings

log = logging.getLogger(__name__)
_running: set[asyncio.Task] = set()  # in-process jobs, kept until they finish
_queue_open = False


def uses_queue() -> bool:
    """PostgreSQL: jobs go through the queue, for every instance and worker to share."""
    return get_settings().database_url is not None


async def _in_process(name: str, kwargs: dict) -> None:
    spec = queue.TASKS[name]
    try:
        await spec.body(**kwargs)
    except Exception:
        log.exception("background job %s(%s) failed", name, kwargs)
        if spec.given_up is not None:
            await spec.given_up(**kwargs)


async def enqueue(name: str, **kwargs) -> None:
    """Run the job `name` (a key of queue.TASKS) with `kwargs`, in the background."""
    if uses_queue():
        if not _queue_open:  # a command, not the server: open the queue for this one job
            async with queue.queue_app().open_async():
                await queue.defer(name, **kwargs)
            return
        await queue.defer(name, **kwargs)
        return
    task = asyncio.get_running_loop().create_task(_in_process(name, kwargs))
    _running.add(task)
    task.add_done_callback(_running.discard)


async def start_report(request: ReportRequest, user_id: int | None) -> str:
    """The page's 生成: record the job (or join the running one for the same report), run it."""
    job_id, new = await report_jobs.create(request, user_id)
    if new:
        await enqueue("report", job_id=job_id)
    return job_id


async def retry_failed(job_id: int) -> FailedJobOut:
    """The administrator's 重试 of a failed job (PostgreSQL: on SQLite nothing is queued)."""
    if not uses_queue():
        raise NotFound(f"后台任务 {job_id} 不存在（SQLite 单机部署不使用任务队列）", "job_id")
    if not _queue_open:
        async with queue.queue_app().open_async():
            return await queue.retry_failed(job_id)
    return await queue.retry_failed(job_id)


class OutboxWakeup:
    """What the outbox calls when a notice is queued: on PostgreSQL, an outbox job (at most one
    waits at a time), so a worker sends it now rather than at the next minute."""

    def set(self) -> None:
        task = asyncio.get_running_loop().create_task(self._defer())
        _running.add(task)
        task.add_done_callback(_running.discard)

    async def _defer(self) -> None:
        try:
            await queue.defer("outbox")
        except Exception:  # noqa: BLE001 - the minute's periodic job sends it anyway
            log.exception("could not queue the outbox job")


async def start() -> None:
    """Server start: open the queue (PostgreSQL; the workers run the schedule), or start the
    in-process schedule and resume the report jobs a restart cut off (SQLite)."""
    global _queue_open
    if uses_queue():
        await queue.queue_app().open_async()
        _queue_open = True
        outbox.set_wakeup(OutboxWakeup())
        return
    await scheduler.start()
    if not scheduler.runs_here():  # another worker process of `serve --workers N` resumes them
        return
    for job_id in await report_jobs.running():
        await enqueue("report", job_id=job_id)


async def stop() -> None:
    global _queue_open
    if _queue_open:
        outbox.set_wakeup(None)
        if _running:
            await asyncio.wait(set(_running), timeout=scheduler.STOP_GRACE_SECONDS)
        await queue.queue_app().close_async()
        _queue_open = False
        return
    await scheduler.stop()
    for task in list(_running):
        task.cancel()

