"""What every page shares: the current user, fixed notices, and form-error rendering."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from litestar import Request
from litestar.response import Redirect, Template

from tracker.domain.errors import DomainError
from tracker.domain.messages import NOTICES
from tracker.domain.status import DEFAULT_TZ
from tracker.services import inbox


def page(request: Request, template: str, status_code: int = 200, **context) -> Template:
    user = request.scope.get("user")
    notice_code = request.query_params.get("notice", "")
    notice = NOTICES.get(notice_code)
    return Template(template, context={"user": user, "notice": notice,
                                       "notice_code": notice_code if notice else None,
                                       "status_code": status_code,
                                       "unread": unread_of(request), **context},
                    status_code=status_code)


UNREAD_KEY = "tracker.unread"


def unread_of(request: Request) -> int | None:
    """The menu badge's count, worked out once per page request (see ``load_unread``)."""
    return request.scope.get(UNREAD_KEY)


async def load_unread(request: Request) -> None:
    """before_request: one indexed count for a signed-in person's page (not for the API, the
    static files or form posts, which redirect)."""
    user = request.scope.get("user")
    if user is None or request.method not in ("GET", "HEAD") or request.url.path.startswith(
            ("/api/", "/static/", "/schema")):
        return
    request.scope[UNREAD_KEY] = await inbox.unread_count(user.id)


@dataclass(frozen=True)
class Pager:
    page: int
    pages: int
    total: int
    per_page: int

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def pager(page_no: int, total: int, per_page: int) -> Pager:
    pages = max(1, -(-total // per_page))
    return Pager(min(max(page_no, 1), pages), pages, total, per_page)


def query_with(params: dict, **changes) -> str:
    """A page's query string with some parameters changed (None or "" drops one)."""
    merged = {**params, **changes}
    return urlencode({key: value for key, value in merged.items() if value not in (None, "")})


def redirect(path: str, notice: str | None = None) -> Redirect:
    """303 to a local page, with one of the fixed notices; a #fragment stays last."""
    assert notice is None or notice in NOTICES
    path, _, fragment = path.partition("#")
    query = f"{'&' if '?' in path else '?'}notice={notice}" if notice else ""
    return Redirect(f"{path}{query}{'#' + fragment if fragment else ''}", status_code=303)


def form_error(error: DomainError) -> dict:
    return {"field": error.field, "message": error.message}


def local_time(value: str | None) -> str:
    """A stored ISO moment as the users' clock shows it: Beijing time, to the minute."""
    if not value:
        return ""
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(DEFAULT_TZ)
    return moment.strftime("%Y-%m-%d %H:%M")
