"""Where notices go: channels per plan (plan set) or for every plan (plan null), each listening
to some events (none listed: all of them)."""

from __future__ import annotations

import datetime as dt
import json
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tracker.db import write_transaction
from tracker.domain.errors import InvalidInput, NotFound
from tracker.domain.vocabulary import CHANNEL_KIND_LABELS, NOTICE_EVENT_LABELS
from tracker.notify.formatters import email_recipients
from tracker.schemas import ChannelIn, ChannelOut
from tracker.tables import NotificationChannel, Plan

EMAIL_PATTERN = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
MAX_TARGET = 1000


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds") if value else None


def mask_target(kind: str, target: str) -> str:
    """Robot keys and tokens travel in the query (key=…, access_token=…): never show them."""
    if kind == "email":
        return target
    parts = urlsplit(target)
    query = urlencode([(name, "***") for name, _ in parse_qsl(parts.query, keep_blank_values=True)],
                      safe="*")
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, query, ""))


def events_of(raw: str) -> list[str]:
    try:
        events = json.loads(raw or "[]")
    except ValueError:
        return []
    return [event for event in events if isinstance(event, str)] if isinstance(events, list) else []


def clean_channel(data: ChannelIn) -> ChannelIn:
    """Check a new channel; each refusal names its field."""
    if data.kind not in CHANNEL_KIND_LABELS:
        raise InvalidInput(f"未知渠道类型“{data.kind[:20]}”（可用：{'、'.join(CHANNEL_KIND_LABELS)}）", "kind")
    name = (data.name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput("渠道名称不能为空，且不超过100字", "name")
    target = (data.target or "").strip()
    if not target or len(target) > MAX_TARGET:
        raise InvalidInput(f"目标地址不能为空，且不超过{MAX_TARGET}字符", "target")
    if data.kind == "email":
        addresses = email_recipients(target)
        bad = [address for address in addresses if not EMAIL_PATTERN.match(address)]
        if not addresses or bad:
            raise InvalidInput(f"电子邮件地址无效：{'、'.join(bad)[:100] or target[:100]}", "target")
        target = ", ".join(addresses)
    else:
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidInput("Webhook 地址须为 http(s) 地址", "target")
    events = list(dict.fromkeys(event.strip() for event in data.events if event.strip()))
    unknown = [event for event in events if event not in NOTICE_EVENT_LABELS]
    if unknown:
        raise InvalidInput(f"未知事件“{'、'.join(unknown)[:60]}”（可用：{'、'.join(NOTICE_EVENT_LABELS)}）", "events")
    secret = (data.secret or "").strip() or None
    if secret and data.kind not in ("dingtalk", "webhook"):
        raise InvalidInput("只有钉钉机器人和 JSON Webhook 可以设置签名密钥", "secret")
    if secret and len(secret) > 200:
        raise InvalidInput("签名密钥不能超过200字符", "secret")
    return ChannelIn(kind=data.kind, name=name, target=target, plan_id=data.plan_id, events=events,
                     secret=secret)


def _channel_out(row: dict) -> ChannelOut:
    return ChannelOut(
        id=row["id"], kind=row["kind"], name=row["name"], target=mask_target(row["kind"], row["target"]),
        plan_id=row["plan"], plan_title=row["plan.title"], events=events_of(row["events"]),
        has_secret=bool(row["secret"]), active=row["active"], created_at=_iso(row["created_at"]) or "",
    )


_COLUMNS = (NotificationChannel.id, NotificationChannel.kind, NotificationChannel.name,
            NotificationChannel.target, NotificationChannel.plan, NotificationChannel.plan.title,
            NotificationChannel.events, NotificationChannel.secret, NotificationChannel.active,
            NotificationChannel.created_at)


async def add_channel(data: ChannelIn) -> ChannelOut:
    data = clean_channel(data)
    async with write_transaction(NotificationChannel._meta.db):
        if data.plan_id is not None and not await Plan.exists().where(Plan.id == data.plan_id):
            raise NotFound(f"计划 {data.plan_id} 不存在", "plan_id")
        row = (await NotificationChannel.insert(NotificationChannel(
            plan=data.plan_id, kind=data.kind, name=data.name, target=data.target,
            secret=data.secret, events=json.dumps(data.events), active=True,
            created_at=dt.datetime.now(dt.UTC),
        )).returning(NotificationChannel.id))[0]
    return await get_channel(row["id"])


async def get_channel(channel_id: int) -> ChannelOut:
    row = await NotificationChannel.select(*_COLUMNS).where(NotificationChannel.id == channel_id).first()
    if row is None:
        raise NotFound(f"通知渠道 {channel_id} 不存在", "channel_id")
    return _channel_out(row)


async def list_channels(plan_id: int | None = None) -> list[ChannelOut]:
    query = NotificationChannel.select(*_COLUMNS).order_by(NotificationChannel.id)
    if plan_id is not None:
        query = query.where((NotificationChannel.plan == plan_id) | NotificationChannel.plan.is_null())
    return [_channel_out(row) for row in await query]


async def set_channel_active(channel_id: int, active: bool) -> ChannelOut:
    """Stop (or resume) sending to a channel; what it was sent stays in the outbox's history."""
    await get_channel(channel_id)
    await NotificationChannel.update({NotificationChannel.active: active}).where(
        NotificationChannel.id == channel_id)
    return await get_channel(channel_id)


async def channels_for(event: str, plan_id: int | None) -> list[dict]:
    """Active channels that take this event for this plan (their own plan's, or every plan's)."""
    query = NotificationChannel.select(NotificationChannel.id, NotificationChannel.events).where(
        NotificationChannel.active.eq(True))
    if plan_id is None:
        query = query.where(NotificationChannel.plan.is_null())
    else:
        query = query.where((NotificationChannel.plan == plan_id) | NotificationChannel.plan.is_null())
    rows = await query.order_by(NotificationChannel.id)
    return [row for row in rows if not events_of(row["events"]) or event in events_of(row["events"])]


async def channel_for_sending(channel_id: int) -> dict:
    """What the sender needs of one channel (its target and secret unmasked)."""
    row = await NotificationChannel.select(
        NotificationChannel.id, NotificationChannel.kind, NotificationChannel.name,
        NotificationChannel.target, NotificationChannel.secret,
    ).where(NotificationChannel.id == channel_id).first()
    if row is None:
        raise NotFound(f"通知渠道 {channel_id} 不存在", "channel_id")
    return {"id": row["id"], "channel": row["id"], "channel.kind": row["kind"],
            "channel.name": row["name"], "channel.target": row["target"],
            "channel.secret": row["secret"], "attempts": 0}
