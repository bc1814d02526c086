"""`tracker worker`: run the queue's jobs (PostgreSQL). Any number of workers on any number of
machines share the one queue; each runs `concurrency` jobs at once and the periodic deferrer
(which defers each periodic job once per scheduled time for the whole cluster).

When it starts, and every minute in the cluster (the periodic `stalled` job), the jobs of
workers that stopped sending heartbeats are put back in the queue.

SIGTERM or SIGINT stops it cleanly: no new job is taken, running jobs get SHUTDOWN_GRACE
seconds to finish, then they are cancelled and a later worker's `stalled` job requeues them.
"""

from __future__ import annotations

import logging
import os
import socket

from tracker.jobs.dispatch import OutboxWakeup
from tracker.jobs.queue import queue_app, queue_settings, requeue_stalled
from tracker.services import outbox
from tracker.services.database import close_pool, open_pool, require_current_schema

log = logging.getLogger(__name__)
SHUTDOWN_GRACE = 30.0


async def run_worker(concurrency: int = 2) -> None:
    settings = queue_settings()
    await open_pool()
    try:
        await require_current_schema()
        async with queue_app().open_async() as app:
            # A worker (re)started after a crash takes over its predecessors' jobs at once
            # rather than at the next minute's `stalled` job.
            await requeue_stalled()
            # Notices queued by this worker's jobs (reminders, a published report) are sent
            # by an outbox job at once, not at the next minute.
            outbox.set_wakeup(OutboxWakeup())
            log.info("worker started: concurrency %d, heartbeat every %g s", concurrency,
                     settings.heartbeat)
            await app.run_worker_async(
                name=f"{socket.gethostname()}:{os.getpid()}", concurrency=concurrency,
                update_heartbeat_interval=settings.heartbeat,
                stalled_worker_timeout=settings.stalled_after,
                shutdown_graceful_timeout=SHUTDOWN_GRACE, install_signal_handlers=True,
                delete_jobs="successful")
    finally:
        await close_pool()
