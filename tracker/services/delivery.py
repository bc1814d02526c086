"""Delivering the outbox: one round over the notices that are due, channel by channel.

The transport (httpx for webhooks and robots, smtplib for e-mail) is ``tracker.notify.sender``;
this module owns the use case: claim, deliver, record the outcome, back off.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass

import httpx

from tracker.domain.status import DEFAULT_TZ
from tracker.notify import messages
from tracker.notify.formatters import Notice
from tracker.notify.sender import DeliveryError, SendConfig, SmtpConfig, deliver
from tracker.services import channels, outbox
from tracker.settings import Settings, get_settings

log = logging.getLogger(__name__)


def send_config(settings: Settings | None = None) -> SendConfig:
    """The delivery limits and the SMTP server from the settings."""
    settings = settings or get_settings()
    return SendConfig(
        connect_timeout=min(5.0, settings.notify_timeout),
        total_timeout=settings.notify_timeout,
        max_attempts=max(1, settings.notify_max_attempts),
        backoff=settings.notify_backoff,
        lease=max(300.0, settings.notify_timeout * 3),
        smtp=SmtpConfig(host=settings.smtp_host, port=settings.smtp_port,
                        user=settings.smtp_user, password=settings.smtp_password,
                        sender=settings.smtp_from, starttls=settings.smtp_starttls),
        public_url=settings.public_url,
    )


@dataclass(frozen=True)
class Outcome:
    notification_id: int
    channel_id: int
    channel_name: str
    event: str
    title: str
    attempt: int
    sent: bool
    error: str = ""  # why it failed (or, when sent, a note such as refused recipients)
    gave_up: bool = False



async def _attempt(client: httpx.AsyncClient, row: dict, config: SendConfig) -> Outcome | None:
    now = dt.datetime.now(dt.UTC)
    attempt = await outbox.claim(row["id"], row["attempts"], now, dt.timedelta(seconds=config.lease))
    if attempt is None:
        return None  # another sender has it
    try:
        title = Notice.from_payload(row["event"], row["payload"]).title
    except (ValueError, KeyError, TypeError):
        title = ""

    def outcome(sent: bool, error: str = "", gave_up: bool = False) -> Outcome:
        return Outcome(row["id"], row["channel"], row["channel.name"], row["event"], title,
                       attempt, sent, error, gave_up)

    try:
        note = await deliver(client, row, config)
    except DeliveryError as error:
        reason = str(error)
    except Exception as error:  # a bug or a broken payload: recorded, never raised
        log.exception("notice %s", row["id"])
        reason = f"{type(error).__name__}: {error}"
    else:
        await outbox.mark_sent(row["id"], attempt, note)
        return outcome(True, note)
    gave_up = await outbox.mark_failed(row["id"], attempt, reason, config.max_attempts,
                                       config.backoff)
    return outcome(False, reason, gave_up)


async def _drain_channel(client: httpx.AsyncClient, channel_id: int, config: SendConfig,
                         slots: asyncio.Semaphore, limit: int) -> list[Outcome]:
    outcomes = []
    try:
        rows = await outbox.due(dt.datetime.now(dt.UTC), channel_id, limit)
    except Exception:
        log.exception("reading the outbox of channel %s", channel_id)
        return outcomes
    for row in rows:
        try:
            async with slots:
                result = await _attempt(client, row, config)
        except Exception:  # e.g. the database is busy: this round stops for this channel
            log.exception("sending notice %s", row["id"])
            break
        if result is None:
            continue
        outcomes.append(result)
        if not result.sent:
            break  # the channel is failing: its other notices wait for the next round
    return outcomes


async def send_outbox(config: SendConfig | None = None, limit: int = 50) -> list[Outcome]:
    """One round over the notices that are due, at most ``limit`` per channel. Never raises
    for a channel's failure."""
    config = config or send_config()
    channel_ids = await outbox.due_channels(dt.datetime.now(dt.UTC))
    if not channel_ids:
        return []
    slots = asyncio.Semaphore(config.concurrency)
    timeout = httpx.Timeout(config.total_timeout, connect=config.connect_timeout)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False,
                                 headers={"User-Agent": "disclosure-tracker"}) as client:
        results = await asyncio.gather(
            *(_drain_channel(client, channel_id, config, slots, limit) for channel_id in channel_ids))
    return [outcome for channel_outcomes in results for outcome in channel_outcomes]


@dataclass(frozen=True)
class TestOutcome:
    channel_name: str
    sent: bool
    detail: str  # why it failed, or a note from the transport


async def send_test(channel_id: int, sent_by: str, config: SendConfig | None = None) -> TestOutcome:
    """Send a test message to one channel at once, outside the outbox (nothing is queued or
    retried): the coordinator sees straight away whether the robot or mailbox answers."""
    config = config or send_config()
    row = await channels.channel_for_sending(channel_id)
    notice = messages.channel_test(row["channel.name"], sent_by,
                                   dt.datetime.now(DEFAULT_TZ))
    row = {**row, "event": notice.event, "payload": notice.payload(),
           "dedupe_key": f"channel_test:{channel_id}:{dt.datetime.now(dt.UTC).timestamp():.0f}"}
    timeout = httpx.Timeout(config.total_timeout, connect=config.connect_timeout)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False,
                                 headers={"User-Agent": "disclosure-tracker"}) as client:
        try:
            note = await deliver(client, row, config)
        except DeliveryError as error:
            return TestOutcome(row["channel.name"], False, str(error))
    return TestOutcome(row["channel.name"], True, note)
