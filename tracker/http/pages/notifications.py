"""The coordinator's page of notification channels, the outbox and the evidence checks."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from tracker.http.guards import planner_guard
from tracker.http.pages.common import page, redirect
from tracker.notify import EVENTS, KINDS
from tracker.services import channels, evidence, outbox
from tracker.services.link_check import STATE_LABELS as EVIDENCE_LABELS

OUTBOX_LABELS = {"pending": "待发送", "sent": "已发送", "failed": "已放弃"}


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
                    events=EVENTS, kinds=KINDS, outbox_labels=OUTBOX_LABELS,
                    evidence_labels=EVIDENCE_LABELS)

    @post("/{notification_id:int}/retry")
    async def retry(self, notification_id: FromPath[int]) -> Response:
        await outbox.retry(notification_id)
        return redirect("/notifications")
