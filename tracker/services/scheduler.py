"""The optional in-process schedule of the server (TRACKER_SCHEDULER=1, on for `tracker serve`):
a small office then needs no cron.

Two background tasks: the outbox is sent every minute (and at once when something is
queued); once a day, from TRACKER_REMIND_HOUR (Beijing time), reminders and late lists are
queued and stale evidence links re-checked. Every job is wrapped: an error is logged and the
loop goes on, so the schedule can never take the server down. On shutdown the loops are told
to stop, given a few seconds, then cancelled; a notice cut off mid-send keeps its claim and is
sent again after the claim runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import fcntl
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from tracker.domain.status import DEFAULT_TZ
from tracker.services import evidence, outbox
from tracker.services.delivery import send_outbox
from tracker.services.notices import queue_due_notices
from tracker.settings import get_settings

log = logging.getLogger(__name__)
STOP_GRACE_SECONDS = 5.0


class Scheduler:
    def __init__(self, remind_hour: int = 9, outbox_interval: float = 60.0,
                 daily_check_interval: float = 60.0,
                 send: Callable[[], Awaitable] = send_outbox,
                 daily: Callable[[dt.date], Awaitable] | None = None):
        self.remind_hour = remind_hour
        self.outbox_interval = outbox_interval
        self.daily_check_interval = daily_check_interval
        self._send = send
        self._daily = daily or daily_jobs
        self._stop = asyncio.Event()
        self._wakeup = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self.last_daily: dt.date | None = None

    async def _safely(self, name: str, job: Callable[[], Awaitable]) -> None:
        try:
            await job()
        except Exception:
            log.exception("scheduled job %s failed; the schedule goes on", name)

    async def _pause(self, seconds: float, wakeup: bool = False) -> None:
        waits = [asyncio.ensure_future(self._stop.wait())]
        if wakeup:
            waits.append(asyncio.ensure_future(self._wakeup.wait()))
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()

    async def _outbox_loop(self) -> None:
        while not self._stop.is_set():
            self._wakeup.clear()
            await self._safely("outbox", self._send)
            await self._pause(self.outbox_interval, wakeup=True)

    async def _daily_loop(self) -> None:
        while not self._stop.is_set():
            now = dt.datetime.now(DEFAULT_TZ)
            if self.last_daily != now.date() and now.hour >= self.remind_hour:
                day = self.last_daily = now.date()
                await self._safely("daily", lambda day=day: self._daily(day))
            await self._pause(self.daily_check_interval)

    def start(self) -> None:
        outbox.set_wakeup(self._wakeup)
        self._tasks = [asyncio.create_task(self._outbox_loop(), name="tracker-outbox"),
                       asyncio.create_task(self._daily_loop(), name="tracker-daily")]

    async def stop(self) -> None:
        self._stop.set()
        outbox.set_wakeup(None)
        if not self._tasks:
            return
        _, running = await asyncio.wait(self._tasks, timeout=STOP_GRACE_SECONDS)
        for task in running:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []


async def daily_jobs(today: dt.date) -> None:
    queued = await queue_due_notices(today)
    if queued:
        log.info("queued %d notices for %s", len(queued), today)
    try:
        await evidence.check_due()
    except Exception:
        log.exception("evidence checks failed; reminders were queued")


_running: Scheduler | None = None
_lock: ScheduleLock | None = None
_waiting: asyncio.Task | None = None
LOCK_FILE = "scheduler.lock"
LOCK_RETRY_SECONDS = 60.0


class ScheduleLock:
    """One process per data directory runs the schedule. `tracker serve --workers N` on SQLite
    starts N processes, each with this lifespan: the first to take an exclusive lock on
    `scheduler.lock` runs it; the others try again every minute. The operating system drops
    the lock with the process (a worker killed or restarted), so another one takes over."""

    def __init__(self, path: Path):
        self.path = path
        self._file = None

    def try_take(self) -> bool:
        if self._file is not None:
            return True
        handle = open(self.path, "a+b")  # noqa: SIM115 - held open for as long as the lock
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held by another process (or another lock of this one)
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        handle, self._file = self._file, None
        if handle is not None:
            handle.close()  # closing the descriptor drops the lock


def _begin(remind_hour: int) -> None:
    global _running
    _running = Scheduler(remind_hour=remind_hour)
    _running.start()
    log.info("in-process schedule started: outbox every minute, reminders daily from %02d:00",
             remind_hour)


async def _take_over(lock: ScheduleLock, remind_hour: int) -> None:
    while not lock.try_take():
        await asyncio.sleep(LOCK_RETRY_SECONDS)
    _begin(remind_hour)


async def start() -> None:
    """Lifespan hook (no parameters: Litestar passes the app to hooks that take one)."""
    global _lock, _waiting
    settings = get_settings()
    if not settings.scheduler or _lock is not None:
        return
    _lock = ScheduleLock(settings.data_dir / LOCK_FILE)
    if _lock.try_take():
        _begin(settings.remind_hour)
        return
    log.info("another server process of this data directory runs the schedule; this one "
             "takes over if it stops")
    _waiting = asyncio.create_task(_take_over(_lock, settings.remind_hour),
                                   name="tracker-schedule-lock")


def runs_here() -> bool:
    """Whether this process does the one-per-machine work (the schedule, resuming the report
    jobs a restart cut off): with no schedule there is no lock and one process."""
    return _lock is None or _running is not None


async def stop() -> None:
    global _running, _lock, _waiting
    if _waiting is not None:
        _waiting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await _waiting
        _waiting = None
    if _running is not None:
        await _running.stop()
        _running = None
    if _lock is not None:
        _lock.release()
        _lock = None
