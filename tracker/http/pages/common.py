"""What every page shares: the current user, fixed notices, and form-error rendering."""

from __future__ import annotations

import datetime as dt

from litestar import Request
from litestar.response import Redirect, Template

from tracker.domain.errors import DomainError
from tracker.domain.messages import NOTICES
from tracker.domain.status import DEFAULT_TZ


def page(request: Request, template: str, status_code: int = 200, **context) -> Template:
    user = request.scope.get("user")
    notice_code = request.query_params.get("notice", "")
    notice = NOTICES.get(notice_code)
    return Template(template, context={"user": user, "notice": notice,
                                       "notice_code": notice_code if notice else None,
                                       "status_code": status_code, **context},
                    status_code=status_code)


def redirect(path: str, notice: str | None = None) -> Redirect:
    """303 to a local page, with one of the fixed notices; a #fragment stays last."""
    assert notice is None or notice in NOTICES
    path, _, fragment = path.partition("#")
    query = f"?notice={notice}" if notice else ""
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
