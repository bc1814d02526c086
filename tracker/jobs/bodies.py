"""What each background job does, whoever runs it (the queue's worker on PostgreSQL, the
server's own process on SQLite). Every body is safe to run again after a crash or a retry:

- report: `report_jobs.run` returns the archived report when one with the same content exists,
  so a retried job leaves exactly one;
- publish: the same pipeline; its notice's dedupe key (report_published:{report}) queues it once;
- reminders: the notices' dedupe keys (reminder:{plan}:{period}:{unit}:…) queue each once;
- evidence checks: only links not checked for a while are fetched;
- outbox: a notice is claimed before it is sent and marked sent once (services/outbox.py).
"""

from __future__ import annotations

import datetime as dt
import logging

from tracker.domain.periods import parse_day
from tracker.domain.status import DEFAULT_TZ
from tracker.reporting import archive as report_archive
from tracker.reporting import build as reports
from tracker.reporting import jobs as report_jobs
from tracker.services import evidence
from tracker.services.delivery import send_outbox
from tracker.services.notices import queue_due_notices
from tracker.settings import get_settings

log = logging.getLogger(__name__)


async def report(job_id: str) -> None:
    """A report asked for on the page (生成)."""
    await report_jobs.run(job_id)


async def report_given_up(job_id: str) -> None:
    await report_jobs.fail(job_id)


async def report_reopened(job_id: str) -> None:
    """Before the administrator's 重试 of a report job that failed: its page shows it running."""
    await report_jobs.reopen(job_id)


async def publish(plan_id: int, period: str | None = None, as_of: str | None = None) -> int:
    """`tracker report publish`: generate, archive and announce a period's report."""
    request = await reports.resolve_request(plan_id, period, parse_day(as_of, "as_of"))
    report_out, _ = await report_archive.produce(request, None, publish=True)
    return report_out.id


async def reminders(timestamp: int | None = None, now: dt.datetime | None = None) -> int:
    """Reminders and late lists due today, from the daily hour (TRACKER_REMIND_HOUR, Beijing
    time) on. It may run every hour: a day's notices are queued once whatever runs again."""
    now = (now or dt.datetime.now(dt.UTC)).astimezone(DEFAULT_TZ)
    if now.hour < get_settings().remind_hour:
        return 0
    queued = await queue_due_notices(now.date())
    if queued:
        log.info("queued %d notices for %s", len(queued), now.date())
    return len(queued)


async def evidence_checks(timestamp: int | None = None) -> None:
    """Re-check the evidence links not checked for a while."""
    await evidence.check_due()


async def outbox(timestamp: int | None = None) -> None:
    """Send the notices whose time has come."""
    await send_outbox()
