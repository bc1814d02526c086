"""JSON API: notification channels, the outbox (failed notices with their last error), and the
checked evidence links."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from tracker.http.guards import planner_guard, reader_guard
from tracker.schemas import ChannelIn, ChannelOut, EvidenceOut, NotificationOut
from tracker.services import channels, evidence, outbox

# `state` is a name Litestar reserves for the application state; the query keeps it.
StateQuery = Annotated[str | None, QueryParameter(name="state", required=False)]


class NotificationApi(Controller):
    path = "/api"
    tags = ["通知 notifications"]
    guards = [planner_guard]

    @get("/channels", operation_id="listChannels")
    async def list_channels(self, plan_id: FromQuery[int | None] = None) -> list[ChannelOut]:
        """Channels (every plan's, and this plan's when plan_id is given); keys are masked."""
        return await channels.list_channels(plan_id)

    @post("/channels", operation_id="addChannel", status_code=201)
    async def add_channel(self, data: JSONBody[ChannelIn]) -> ChannelOut:
        """Add a webhook, WeCom or DingTalk robot, or e-mail channel, for a plan or every plan."""
        return await channels.add_channel(data)

    @get("/notifications", operation_id="listNotifications")
    async def list_notifications(self, wanted: StateQuery = None,
                                 limit: FromQuery[int] = 100) -> list[NotificationOut]:
        """The outbox, newest first; state pending, sent or failed (given up, with last_error)."""
        return await outbox.list_notifications(wanted, max(1, min(limit, 500)))

    @post("/notifications/{notification_id:int}/retry", operation_id="retryNotification",
          status_code=200)
    async def retry(self, notification_id: FromPath[int]) -> NotificationOut:
        """Queue a given-up notice again (after the channel was fixed)."""
        return await outbox.retry(notification_id)


class EvidenceApi(Controller):
    path = "/api/evidence"
    tags = ["佐证 evidence"]
    guards = [reader_guard]

    @get("/", operation_id="listEvidence")
    async def list_evidence(self, wanted: StateQuery = None,
                            plan_id: FromQuery[int | None] = None) -> list[EvidenceOut]:
        """Cited evidence links as last checked (state ok, dead, no_title, refused, unchecked),
        with the updates that cite them."""
        return await evidence.list_evidence(wanted, plan_id)
