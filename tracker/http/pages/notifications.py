"""The coordinator's page of notification channels (add, test-send, disable), the outbox and
the evidence checks. Channels are checked by the channel service, as from the API and the CLI."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from tracker.domain.errors import DomainError, InvalidInput
from tracker.domain.vocabulary import (
    CHANNEL_KIND_LABELS,
    EVIDENCE_STATE_LABELS,
    NOTICE_EVENT_LABELS,
    NOTICE_STATE_LABELS,
)
from tracker.http.guards import planner_guard
from tracker.http.pages.common import form_error, page, redirect
from tracker.schemas import ChannelIn
from tracker.services import channels, delivery, evidence, outbox, plans


class NotificationPages(Controller):
    path = "/notifications"
    include_in_schema = False
    guards = [planner_guard]

    async def _render(self, request: Request, status_code: int = 200, error: dict | None = None,
                      form: dict | None = None, test=None) -> Response:
        links = [link for link in await evidence.list_evidence() if link.state != "ok"]
        return page(request, "notifications.html", status_code=status_code,
                    channels=await channels.list_channels(), plans=await plans.list_plans(),
                    failed=await outbox.list_notifications("failed", 50),
                    recent=await outbox.list_notifications(None, 50), evidence=links,
                    events=NOTICE_EVENT_LABELS, kinds=CHANNEL_KIND_LABELS,
                    outbox_labels=NOTICE_STATE_LABELS, evidence_labels=EVIDENCE_STATE_LABELS,
                    error=error, form=form or {}, test=test)

    @get("/")
    async def overview(self, request: Request) -> Response:
        return await self._render(request)

    @post("/channels")
    async def add_channel(self, request: Request) -> Response:
        form = await request.form()
        values = {key: form.get(key, "") for key in ("kind", "name", "target", "secret", "plan_id")}
        try:
            plan = values["plan_id"].strip()
            if plan and not plan.isdigit():
                raise InvalidInput("计划编号无效", "plan_id")
            await channels.add_channel(ChannelIn(
                kind=values["kind"], name=values["name"], target=values["target"],
                plan_id=int(plan) if plan else None, events=form.getall("events", []),
                secret=values["secret"] or None))
        except DomainError as error:
            values["events"] = form.getall("events", [])
            values.pop("secret")  # never echoed back into the page
            return await self._render(request, error.status_code, form_error(error), values)
        return redirect("/notifications", "channel_added")

    @post("/channels/{channel_id:int}/active")
    async def set_active(self, request: Request, channel_id: FromPath[int]) -> Response:
        active = (await request.form()).get("active") == "1"
        await channels.set_channel_active(channel_id, active)
        return redirect("/notifications", "channel_enabled" if active else "channel_disabled")

    @post("/channels/{channel_id:int}/test")
    async def test_send(self, request: Request, channel_id: FromPath[int]) -> Response:
        outcome = await delivery.send_test(channel_id, request.user.display_name)
        return await self._render(request, test=outcome)

    @post("/{notification_id:int}/retry")
    async def retry(self, notification_id: FromPath[int]) -> Response:
        await outbox.retry(notification_id)
        return redirect("/notifications")
