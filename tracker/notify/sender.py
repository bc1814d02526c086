"""Delivering one notice: httpx for the webhooks and robots, smtplib (in a worker thread) for
e-mail.

- Every delivery is bounded: connect timeout, and a total time for the whole attempt.
- A failure is recorded on the notice (``attempts``, ``last_error``) and retried later with a
  doubling backoff; after ``max_attempts`` the notice is given up (``failed_at``) and shows on
  the coordinator's page.
- One channel never holds up another: channels are drained side by side (bounded), each
  notice in its own try/except; after a failure the rest of that channel's notices wait for
  the next round instead of each waiting out the same dead server.
- A notice is claimed before it is sent (see ``outbox``), so two senders never both send it.
  If a sender dies after the far end accepted a notice but before it wrote "sent", the claim
  runs out and the notice goes again; every request carries X-Tracker-Dedupe-Key for that.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from dataclasses import dataclass, field

import httpx

from tracker.domain.addresses import AddressPolicy
from tracker.domain.channel_targets import ROBOT_HOSTS
from tracker.notify.formatters import (
    Notice,
    email_message,
    email_recipients,
    http_request,
    response_error,
)

log = logging.getLogger(__name__)
MAX_RESPONSE_BYTES = 64 * 1024


@dataclass(frozen=True)
class SmtpConfig:
    host: str | None = None
    port: int = 25
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "tracker@localhost"
    starttls: bool = False


@dataclass(frozen=True)
class SendConfig:
    connect_timeout: float = 5.0
    total_timeout: float = 10.0
    max_attempts: int = 8
    backoff: float = 60.0  # seconds before the first retry
    concurrency: int = 4  # deliveries at once
    lease: float = 300.0  # seconds a claim lasts; longer than any one attempt
    smtp: SmtpConfig = SmtpConfig()
    public_url: str | None = None
    addresses: AddressPolicy = AddressPolicy()  # where webhooks may go (services.delivery checks)
    # httpx's own injection point: tests route the robots' official hosts to a local recorder.
    transport: httpx.AsyncBaseTransport | None = None


class DeliveryError(Exception):
    """A delivery that did not arrive, with a one-line reason for the coordinator."""


async def _post(client: httpx.AsyncClient, kind: str, notice: Notice, target: str,
                secret: str | None, address: str | None) -> None:
    request = http_request(kind, notice, target, secret)
    url, headers, extensions = httpx.URL(request.url), dict(request.headers), {}
    if address is not None:  # to the address that was checked; Host and SNI keep the name
        headers["Host"] = url.netloc.decode("ascii")
        extensions["sni_hostname"] = url.raw_host.decode("ascii")
        url = url.copy_with(host=address)
    async with client.stream("POST", url, content=request.body, headers=headers,
                             extensions=extensions) as response:
        body = b""
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) >= MAX_RESPONSE_BYTES:
                break
        error = response_error(kind, response.status_code, body)
    if error:
        raise DeliveryError(error)


def _send_mail(smtp: SmtpConfig, notice: Notice, target: str, timeout: float,
               public_url: str | None) -> str:
    """Blocking; runs in a worker thread. Returns a note on recipients refused, if any."""
    if not smtp.host:
        raise DeliveryError("未配置邮件服务器（TRACKER_SMTP_HOST）")
    recipients = email_recipients(target)
    message = email_message(notice, smtp.sender, recipients, public_url)
    connect = smtplib.SMTP_SSL if smtp.port == 465 else smtplib.SMTP
    with connect(smtp.host, smtp.port, timeout=timeout) as client:
        if smtp.starttls and smtp.port != 465:
            client.starttls(context=ssl.create_default_context())
        if smtp.user:
            client.login(smtp.user, smtp.password or "")
        refused = client.send_message(message, from_addr=smtp.sender, to_addrs=recipients)
    return f"部分收件人被拒收：{'、'.join(refused)}" if refused else ""


async def deliver(client: httpx.AsyncClient, row: dict, config: SendConfig,
                  address: str | None) -> str:
    """One attempt at one notice; raises DeliveryError with the reason when it fails.

    A webhook goes to ``address``, the one the caller checked against the address rule just
    before (services.delivery); robots (address None) go by name to their official host."""
    notice = Notice.from_payload(row["event"], row["payload"], row["dedupe_key"])
    kind, target, secret = row["channel.kind"], row["channel.target"], row["channel.secret"]
    if address is None and kind not in ROBOT_HOSTS and kind != "email":
        raise DeliveryError("拒绝发送：Webhook 地址未经检查")
    try:
        async with asyncio.timeout(config.total_timeout):
            if kind == "email":
                return await asyncio.to_thread(_send_mail, config.smtp, notice, target,
                                               config.total_timeout, config.public_url)
            await _post(client, kind, notice, target, secret, address)
            return ""
    except TimeoutError:
        raise DeliveryError(f"超时：{config.total_timeout:g} 秒内未完成") from None
    except httpx.TimeoutException:
        raise DeliveryError(f"超时：{config.total_timeout:g} 秒内未完成") from None
    except httpx.HTTPError as error:
        raise DeliveryError(f"连接失败：{type(error).__name__} {error}".strip()) from None
    except smtplib.SMTPException as error:
        raise DeliveryError(f"邮件服务器拒绝：{error}") from None
    except OSError as error:
        raise DeliveryError(f"连接失败：{error}") from None
