"""通知: a person's in-app notices, newest first, paged; open one (marks it read) or mark all."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, QueryParameter

from tracker.domain.vocabulary import INBOX_KIND_LABELS
from tracker.http.pages.common import page, pager, redirect
from tracker.services import inbox


def _safe_link(link: str) -> str:
    """Only a path on this site (never //host or a scheme), else the notices page."""
    return link if link.startswith("/") and not link.startswith("//") else "/inbox"


class InboxPages(Controller):
    path = "/inbox"
    include_in_schema = False

    @get("/")
    async def notices(self, request: Request,
                      page_no: Annotated[int, QueryParameter(name="page", ge=1)] = 1,
                      unread: FromQuery[bool] = False) -> Response:
        items, total = await inbox.notices_for(request.user.id, page_no, unread)
        return page(request, "inbox.html", items=items, kinds=INBOX_KIND_LABELS,
                    unread_only=unread, pages=pager(page_no, total, inbox.PAGE_SIZE))

    @get("/{notice_id:int}")
    async def open_notice(self, request: Request, notice_id: FromPath[int]) -> Response:
        link = await inbox.link_of(request.user.id, notice_id)
        await inbox.mark_read(request.user.id, notice_id)
        return redirect(_safe_link(link) if link else "/inbox")

    @post("/{notice_id:int}/read")
    async def mark_read(self, request: Request, notice_id: FromPath[int]) -> Response:
        await inbox.mark_read(request.user.id, notice_id)
        return redirect("/inbox")

    @post("/read-all")
    async def mark_all_read(self, request: Request) -> Response:
        await inbox.mark_read(request.user.id)
        return redirect("/inbox", "all_read")
