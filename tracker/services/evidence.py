"""Cited evidence pages in the database (table ``evidence_url``): registered when an update
cites them, checked (stale first), and shown to the coordinator with who cited them."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Iterable

from tracker.domain.errors import InvalidInput
from tracker.domain.progress_input import MAX_LINK_LENGTH, parse_links
from tracker.domain.vocabulary import EVIDENCE_STATE_LABELS
from tracker.schemas import EvidenceCitation, EvidenceOut
from tracker.services.link_check import CheckConfig, check_url, new_client
from tracker.tables import EvidenceUrl, ProgressUpdate

log = logging.getLogger(__name__)
STALE_AFTER = dt.timedelta(hours=20)  # a daily run re-checks what yesterday's run checked
CHECK_CONCURRENCY = 4
DEFAULT_LIMIT = 200


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds") if value else None


def _out(row: dict, cited_by: list[EvidenceCitation] | None = None) -> EvidenceOut:
    return EvidenceOut(id=row["id"], url=row["url"], expected_title=row["expected_title"],
                       state=row["state"], http_status=row["http_status"], detail=row["detail"],
                       checked_at=_iso(row["checked_at"]), cited_by=cited_by or [])


async def register_links(urls: Iterable[str]) -> None:
    """Known URLs stay as they are (their state and expected title included)."""
    for url in dict.fromkeys(urls):
        if not url or len(url) > MAX_LINK_LENGTH:
            continue
        await EvidenceUrl.insert(EvidenceUrl(
            url=url, expected_title=None, state="unchecked", http_status=None, detail="",
            checked_at=None,
        )).on_conflict(target=EvidenceUrl.url, action="DO NOTHING")


async def note_links(urls: Iterable[str]) -> None:
    """The hook after an update is stored: the update stands even if this fails (the next
    `tracker evidence check` registers every cited link anyway)."""
    try:
        await register_links(urls)
    except Exception:
        log.exception("could not register evidence links")


async def register_cited() -> None:
    """Every link cited by any update, registered (catches up on what a hook missed)."""
    cited: set[str] = set()
    for row in await ProgressUpdate.select(ProgressUpdate.evidence_links).where(
            ProgressUpdate.evidence_links != "[]"):
        cited.update(_links(row["evidence_links"]))
    known = {row["url"] for row in await EvidenceUrl.select(EvidenceUrl.url)}
    await register_links(sorted(cited - known))


def _links(raw: str) -> list[str]:
    try:
        links = json.loads(raw or "[]")
    except ValueError:
        return []
    return [link for link in links if isinstance(link, str)] if isinstance(links, list) else []


async def expect_title(url: str, title: str | None) -> EvidenceOut:
    """Register a URL with the title its page should carry (or clear it); it is checked anew."""
    url = parse_links([url])[0] if url else ""
    if not url:
        raise InvalidInput("请提供佐证链接", "url")
    title = (title or "").strip() or None
    if title and len(title) > 300:
        raise InvalidInput("预期标题不能超过300字", "expected_title")
    await register_links([url])
    await EvidenceUrl.update({EvidenceUrl.expected_title: title, EvidenceUrl.state: "unchecked",
                              EvidenceUrl.checked_at: None}).where(EvidenceUrl.url == url)
    row = await EvidenceUrl.select().where(EvidenceUrl.url == url).first()
    return _out(row)


async def _to_check(check_all: bool, limit: int) -> list[dict]:
    """Never-checked links first, then the longest unchecked; only stale ones unless all."""
    never = await EvidenceUrl.select().where(EvidenceUrl.checked_at.is_null()).order_by(
        EvidenceUrl.id).limit(limit)
    query = EvidenceUrl.select().where(EvidenceUrl.checked_at.is_not_null()).order_by(
        EvidenceUrl.checked_at).order_by(EvidenceUrl.id).limit(max(limit - len(never), 0))
    if not check_all:
        query = query.where(EvidenceUrl.checked_at < _now() - STALE_AFTER)
    return never + (await query if len(never) < limit else [])


async def check_due(check_all: bool = False, limit: int = DEFAULT_LIMIT,
                    config: CheckConfig | None = None) -> list[EvidenceOut]:
    """Check the links that are due (all with ``check_all``), a few at a time; returns them."""
    config = config or CheckConfig.from_settings()
    await register_cited()
    rows = await _to_check(check_all, limit)
    slots = asyncio.Semaphore(CHECK_CONCURRENCY)

    async def check(row: dict, client) -> None:
        async with slots:
            result = await check_url(row["url"], row["expected_title"], config, client)
        await EvidenceUrl.update({
            EvidenceUrl.state: result.state, EvidenceUrl.http_status: result.http_status,
            EvidenceUrl.detail: result.detail[:1000], EvidenceUrl.checked_at: _now(),
        }).where(EvidenceUrl.id == row["id"])

    async with new_client(config) as client:
        outcomes = await asyncio.gather(*(check(row, client) for row in rows), return_exceptions=True)
    for row, outcome in zip(rows, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            log.error("evidence check of %s failed: %r", row["url"], outcome)
    ids = [row["id"] for row in rows] or [0]
    checked = await EvidenceUrl.select().where(EvidenceUrl.id.is_in(ids)).order_by(EvidenceUrl.id)
    return [_out(row) for row in checked]


async def list_evidence(state: str | None = None, plan_id: int | None = None) -> list[EvidenceOut]:
    """Registered links with who cited them; ``state`` e.g. dead, ``plan_id`` only that plan's."""
    if state is not None and state not in EVIDENCE_STATE_LABELS:
        raise InvalidInput(f"未知状态“{state[:20]}”（可用：{'、'.join(EVIDENCE_STATE_LABELS)}）", "state")
    citations: dict[str, list[EvidenceCitation]] = defaultdict(list)
    query = ProgressUpdate.select(
        ProgressUpdate.id, ProgressUpdate.task, ProgressUpdate.task.plan, ProgressUpdate.unit.name,
        ProgressUpdate.period, ProgressUpdate.evidence_links,
    ).where(ProgressUpdate.evidence_links != "[]").order_by(ProgressUpdate.id)
    if plan_id is not None:
        query = query.where(ProgressUpdate.task.plan == plan_id)
    for row in await query:
        for url in dict.fromkeys(_links(row["evidence_links"])):
            citations[url].append(EvidenceCitation(
                update_id=row["id"], task_id=row["task"], plan_id=row["task.plan"],
                unit_name=row["unit.name"], period=row["period"]))
    rows = EvidenceUrl.select().order_by(EvidenceUrl.id)
    if state is not None:
        rows = rows.where(EvidenceUrl.state == state)
    return [_out(row, citations.get(row["url"], [])) for row in await rows
            if plan_id is None or row["url"] in citations]


async def evidence_for(urls: Iterable[str]) -> dict[str, EvidenceOut]:
    """What is known of these links, by URL (for marking them on a page)."""
    wanted = list(dict.fromkeys(urls))
    if not wanted:
        return {}
    rows = await EvidenceUrl.select().where(EvidenceUrl.url.is_in(wanted))
    return {row["url"]: _out(row) for row in rows}
