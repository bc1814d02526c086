"""The coordinator's page of notification channels, the outbox and the evidence checks."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from tracker.domain.vocabulary import (
    CHANNEL_KIND_LABELS,
    EVIDENCE_STATE_LABELS,
    NOTICE_EVENT_LABELS,
    NOTICE_STATE_LABELS,
)
from tracker.http.guards import planner_guard
from tracker.http.pages.common import page, redirect
from tracker.services import channels, evidence, outbox


class NotificationPages(Controller):
    path = "/notifications"
    include_in_schema = False
    guards = [planner_guard]

    @get("/")
    async def overview(self, request: Request) -> Response:
        links = [link for link in await evidence.list_evidence() if link.state != "ok"]
        return page(request, "notifications.html", channels=await channels.list_channels(),
                    failed=await outbox.list_notifications("failed", 50),
                    recent=await outbox.list_notifications(None, 50), evidence=links,
                    events=NOTICE_EVENT_LABELS, kinds=CHANNEL_KIND_LABELS, outbox_labels=NOTICE_STATE_LABELS,
                    evidence_labels=EVIDENCE_STATE_LABELS)

    @post("/{notification_id:int}/retry")
    async def retry(self, notification_id: FromPath[int]) -> Response:
        await outbox.retry(notification_id)
        return redirect("/notifications")
