"""The job queue on PostgreSQL: procrastinate, in the same database as everything else.

Why procrastinate (and not SAQ or a home-made table): it is PostgreSQL-native (jobs, locks and
LISTEN/NOTIFY in the database the app already has, nothing else to run), retries with backoff,
tells a stalled job from a slow one by its worker's heartbeat, and defers each periodic job
once per scheduled time for the whole cluster (a unique row per task and timestamp), however
many workers run. Its schema is applied by `tracker db migrate` (a migration of this project).

Tasks (queue, what):
- report (reports): a report asked for on the page; publish (reports): `tracker report publish`;
- reminders (notices, periodic, hourly): reminders and late lists due today, from
  TRACKER_REMIND_HOUR on; evidence (notices, periodic, hourly): stale evidence links re-checked;
- outbox (notices, periodic every minute, and deferred whenever a notice is queued);
- stalled (maintenance, periodic every minute): jobs whose worker stopped sending heartbeats
  (killed, machine lost) are put back in the queue.

Settings: TRACKER_JOB_RETRIES (retries after the first attempt, default 4), TRACKER_JOB_BACKOFF
(seconds; the n-th retry waits backoff**n, default 5: 5 s, 25 s, 2 min, 10 min),
TRACKER_WORKER_HEARTBEAT (seconds between a worker's heartbeats, default 10; a worker silent
for three of them is taken for dead), TRACKER_QUEUE_CRON (one cron line for every periodic job,
for tests; a 6th field counts seconds).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.job_context import JobContext
from procrastinate.retry import RetryDecision

from tracker.domain.errors import DomainError, InvalidInput, NotFound
from tracker.domain.vocabulary import JOB_TASK_LABELS
from tracker.jobs import bodies
from tracker.schemas import FailedJobOut
from tracker.settings import ConfigError, get_settings
from tracker.tables import JobError

log = logging.getLogger(__name__)
QUEUES = ("reports", "notices", "maintenance")


@dataclass(frozen=True)
class QueueSettings:
    retries: int
    backoff: int
    heartbeat: float
    cron: str | None

    @classmethod
    def from_environment(cls) -> QueueSettings:
        def number(name: str, default: str, kind):
            try:
                value = kind(os.environ.get(name) or default)
            except ValueError:
                value = -1
            if value < 0:
                raise ConfigError(f"环境变量 {name} 应为非负数，现为“{os.environ.get(name)}”")
            return value

        return cls(retries=number("TRACKER_JOB_RETRIES", "4", int),
                   backoff=number("TRACKER_JOB_BACKOFF", "5", int),
                   heartbeat=number("TRACKER_WORKER_HEARTBEAT", "10", float) or 10.0,
                   cron=os.environ.get("TRACKER_QUEUE_CRON") or None)

    @property
    def stalled_after(self) -> float:
        return 3 * self.heartbeat


class _Retry(procrastinate.RetryStrategy):
    """procrastinate's strategy, except that a user's error (DomainError: the plan is gone, the
    request is wrong) is the job's answer and is not tried again."""

    def get_retry_decision(self, *, exception: BaseException, job) -> RetryDecision | None:
        if isinstance(exception, DomainError):
            return None
        return super().get_retry_decision(exception=exception, job=job)


@dataclass(frozen=True)
class TaskSpec:
    name: str
    body: Callable[..., Awaitable]
    queue: str
    cron: str | None = None  # periodic
    queueing_lock: str | None = None  # at most one waiting job of this task
    lock: str | None = None  # at most one running job of this task
    given_up: Callable[..., Awaitable] | None = None  # after the last attempt


async def requeue_stalled(timestamp: int | None = None) -> int:
    """Put back in the queue the jobs whose worker stopped sending heartbeats."""
    app, settings = queue_app(), queue_settings()
    count = 0
    for job in await app.job_manager.get_stalled_jobs(
            seconds_since_heartbeat=settings.stalled_after):
        log.warning("job %s (%s) stalled: its worker is gone; retrying it", job.id, job.task_name)
        try:
            await app.job_manager.retry_job(job)
        except Exception as error:  # noqa: BLE001 - another worker's `stalled` job was first
            log.info("job %s was not requeued: %s", job.id, error)
            continue
        count += 1
    # Workers that died without saying so: their rows go, their jobs were just requeued.
    await app.job_manager.prune_stalled_workers(settings.stalled_after)
    return count


TASKS = {spec.name: spec for spec in (
    TaskSpec("report", bodies.report, "reports", given_up=bodies.report_given_up),
    TaskSpec("publish", bodies.publish, "reports"),
    TaskSpec("reminders", bodies.reminders, "notices", cron="0 * * * *",
             queueing_lock="reminders", lock="reminders"),
    TaskSpec("evidence", bodies.evidence_checks, "notices", cron="30 * * * *",
             queueing_lock="evidence", lock="evidence"),
    TaskSpec("outbox", bodies.outbox, "notices", cron="* * * * *",
             queueing_lock="outbox", lock="outbox"),
    # No lock: a `stalled` job cut off with its worker must not block the next one.
    TaskSpec("stalled", requeue_stalled, "maintenance", cron="* * * * *",
             queueing_lock="stalled"),
)}


@functools.cache
def queue_settings() -> QueueSettings:
    return QueueSettings.from_environment()


def _task_function(spec: TaskSpec, settings: QueueSettings):
    async def run(context: JobContext, **kwargs) -> None:
        try:
            await spec.body(**kwargs)
        except Exception as error:
            attempt = context.job.attempts + 1
            await _record_error(context.job.id, spec.name, attempt, error)
            if spec.given_up is not None and (isinstance(error, DomainError)
                                              or attempt > settings.retries):
                await spec.given_up(**kwargs)
            raise

    run.__name__ = run.__qualname__ = spec.name
    return run


async def _record_error(job_id: int | None, task: str, attempt: int, error: Exception) -> None:
    text = error.message if isinstance(error, DomainError) else f"{type(error).__name__}: {error}"
    try:
        await JobError.insert(JobError(job_id=job_id or 0, task=task, attempt=attempt,
                                       error=text[:2000], created_at=dt.datetime.now(dt.UTC)))
    except Exception:  # noqa: BLE001 - the job's own failure is what matters
        log.exception("could not record the error of job %s", job_id)


@functools.cache
def queue_app() -> procrastinate.App:
    """The procrastinate app with every task (one per process; opened by whoever uses it)."""
    settings, url = queue_settings(), get_settings().database_url
    if url is None:
        raise ConfigError("任务队列需要 PostgreSQL（TRACKER_DATABASE_URL=postgresql://…）；"
                          "SQLite 单机部署时后台任务在服务进程内运行")
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(
        conninfo=url, min_size=1, max_size=4))
    retry = _Retry(max_attempts=settings.retries, exponential_wait=settings.backoff)
    for spec in TASKS.values():
        task = app.task(name=spec.name, queue=spec.queue, pass_context=True, retry=retry,
                        queueing_lock=spec.queueing_lock, lock=spec.lock)(
            _task_function(spec, settings))
        if spec.cron is not None:
            app.periodic(cron=settings.cron or spec.cron, periodic_id=spec.name)(task)
    return app


async def defer(name: str, **kwargs) -> int | None:
    """Put a job in the queue (the app must be open); its id, or None when a job of a task
    that waits at most once (the outbox) is already waiting."""
    spec = TASKS[name]
    try:
        return await queue_app().tasks[name].defer_async(**kwargs)
    except AlreadyEnqueued:
        if spec.queueing_lock is None:
            raise
        return None


def _summary(args: dict) -> str:
    text = "，".join(f"{key}={value}" for key, value in args.items() if key != "timestamp")
    return text[:200] or "（无参数）"


_FAILED = """
    SELECT j.id, j.task_name, j.args, j.attempts,
           (SELECT max(e.at) FROM procrastinate_events e WHERE e.job_id = j.id) AS failed_at,
           (SELECT x.error FROM job_error x WHERE x.job_id = j.id
             ORDER BY x.id DESC LIMIT 1) AS error
    FROM procrastinate_jobs j
    WHERE j.status = 'failed'
    ORDER BY j.id DESC
    LIMIT {limit}"""


async def failed_jobs(limit: int = 100) -> list[FailedJobOut]:
    """The jobs that failed after their retries (the dead letters), newest first."""
    rows = await JobError.raw(_FAILED.format(limit=int(limit)))
    result = []
    for row in rows:
        args = row["args"] if isinstance(row["args"], dict) else json.loads(row["args"] or "{}")
        failed_at = row["failed_at"]
        result.append(FailedJobOut(
            id=row["id"], task=row["task_name"],
            task_label=JOB_TASK_LABELS.get(row["task_name"], row["task_name"]),
            args=_summary(args), attempts=row["attempts"], error=row["error"] or "",
            failed_at=failed_at.astimezone(dt.UTC).isoformat(timespec="seconds")
            if failed_at else None))
    return result


async def retry_failed(job_id: int) -> FailedJobOut:
    """Put a failed job back in the queue (the administrator fixed its cause)."""
    jobs = list(await queue_app().job_manager.list_jobs_async(id=job_id))
    if not jobs:
        raise NotFound(f"后台任务 {job_id} 不存在", "job_id")
    job = jobs[0]
    if job.status != "failed":
        raise InvalidInput(f"后台任务 {job_id} 未失败（当前状态：{job.status}），无需重试", "job_id")
    if job.task_name == "report":
        await bodies.report_reopened(**job.task_kwargs)
    await queue_app().job_manager.retry_job_by_id_async(job_id, dt.datetime.now(dt.UTC))
    return FailedJobOut(id=job_id, task=job.task_name,
                        task_label=JOB_TASK_LABELS.get(job.task_name, job.task_name),
                        args=_summary(job.task_kwargs), attempts=job.attempts + 1, error="",
                        failed_at=None)
