"""Error mapping, in one table: domain errors, bad plan files, Litestar's validation and HTTP
errors become a JSON ErrorOut on the API and the error page on pages, in Chinese, with the
field at fault named. Services raise plain Python exceptions and never see HTTP."""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import msgspec
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect, Template

from tracker.db import DATABASE_ERRORS, concurrent_conflict, database_unavailable
from tracker.domain.errors import DomainError, TooManyRequests
from tracker.domain.messages import LABELS
from tracker.domain.plan_model import PlanParseError
from tracker.domain.plan_templates import TemplateError
from tracker.http.edge import request_id
from tracker.http.guards import SESSION_EXPIRED
from tracker.http.json_body import explain_validation
from tracker.schemas import ErrorOut, FieldErrorOut

log = logging.getLogger(__name__)
CSRF_FAILED = "CSRF token verification failed"
log = logging.getLogger("tracker.errors")


def _is_api(request: Request) -> bool:
    """The JSON API, or a page's script asking for JSON (the report job's status)."""
    return (request.url.path.startswith(("/api/", "/schema"))
            or request.headers.get("accept", "").startswith("application/json"))


def _error_response(request: Request, status_code: int, detail: str, field: str | None,
                    errors: list[FieldErrorOut] | None = None,
                    headers: dict[str, str] | None = None, show_id: bool = False) -> Response:
    rid = request_id(request.scope) if show_id else None
    if _is_api(request):
        return Response(ErrorOut(status_code=status_code, detail=detail, field=field,
                                 errors=errors or msgspec.UNSET,
                                 request_id=rid or msgspec.UNSET),
                        status_code=status_code, media_type=MediaType.JSON, headers=headers)
    return Template("error.html", status_code=status_code, headers=headers,
                    context={"status_code": status_code, "detail": detail, "request_id": rid,
                             "user": request.scope.get("user")})


def _domain_error(request: Request, error: DomainError) -> Response:
    errors = [FieldErrorOut(field=f, message=m) for f, m in getattr(error, "errors", [])]
    headers = ({"Retry-After": str(error.retry_after)} if isinstance(error, TooManyRequests)
               else None)
    return _error_response(request, error.status_code, error.message, error.field, errors,
                           headers)


def _unexpected_error(request: Request, error: Exception) -> Response:
    """A bug or an outage: logged once, with its traceback and the request id the user sees,
    so "出错了" with that id can be found in the log."""
    log.error("unexpected error, request id %s: %s %s", request_id(request.scope),
              request.method, request.url.path, exc_info=error)
    return _error_response(request, 500, LABELS.unexpected_error, None, show_id=True)


def _input_error(request: Request, error: PlanParseError | TemplateError) -> Response:
    field = getattr(error, "key", None) or (f"line {error.line}" if getattr(error, "line", None) else None)
    return _error_response(request, 400, str(error), field or "file")


def _validation_error(request: Request, error: ValidationException) -> Response:
    """Litestar's own validation failures (types, unknown fields), with the field named and
    msgspec's common messages said in Chinese."""
    extra = error.extra if isinstance(error.extra, list) else []
    first = extra[0] if extra and isinstance(extra[0], dict) else {}
    detail, field = explain_validation(str(first.get("message") or error.detail), first.get("key"))
    return _error_response(request, 400, detail, field)


DATABASE_RETRY_SECONDS = 10
_outage = {"logged_at": 0.0, "suppressed": 0}


def _database_error(request: Request, error: Exception) -> Response:
    """The database away: 503 with Retry-After and a Chinese message, and one log line per
    minute of outage instead of a traceback per request. Anything else is a bug: logged with
    its traceback, 500. A transaction the database rolled back for another running at the same
    time is a 409: nothing was stored, sending it again is safe."""
    if concurrent_conflict(error):
        log.info("transaction rolled back by the database (%s); answering 409", type(error).__name__)
        return _error_response(request, 409, LABELS.concurrent_conflict, None)
    if not database_unavailable(error):
        return _unexpected_error(request, error)
    now = time.monotonic()
    if now - _outage["logged_at"] >= 60:
        log.warning("database unavailable (%s: %s); answering 503%s", type(error).__name__,
                    str(error)[:200], f", {_outage['suppressed']} more since the last line"
                    if _outage["suppressed"] else "")
        _outage.update(logged_at=now, suppressed=0)
    else:
        _outage["suppressed"] += 1
    return _error_response(request, 503, "数据库暂时无法连接，请稍后重试", None,
                           headers={"Retry-After": str(DATABASE_RETRY_SECONDS)})


def _not_authorized(request: Request, error: NotAuthorizedException) -> Response:
    """Pages go to the login form, which then leads back. A form sent without a valid session
    (it was shown to a logged-in user, so the login expired) leads back to the page the form
    was on, never to its POST-only address (which would answer 405)."""
    if _is_api(request):
        return _error_response(request, 401, error.detail, "authorization")
    if request.method in ("GET", "HEAD"):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        expired = error.detail == SESSION_EXPIRED
    else:
        target, expired = _referring_page(request), True
    notice = "&notice=session_expired" if expired else ""
    return Redirect(f"/login?next={quote(target)}{notice}", status_code=303)


def _referring_page(request: Request) -> str:
    """The page of this site the request came from (the Referer), else the home page; without
    the notice it showed then (a "submitted" notice would drop the draft kept in the browser)."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc and referer.netloc != request.headers.get("host", ""):
        return "/"
    query = urlencode([(k, v) for k, v in parse_qsl(referer.query) if k != "notice"])
    return (referer.path or "/") + (f"?{query}" if query else "")


def _http_error(request: Request, error: HTTPException) -> Response:
    if isinstance(error, NotFoundException):
        detail = "页面或资源不存在"
    elif isinstance(error, PermissionDeniedException) and error.detail == CSRF_FAILED:
        detail = "表单安全令牌（CSRF）缺失或已失效，请刷新页面后重试"
    else:
        detail = error.detail
    return _error_response(request, error.status_code, detail, None)


EXCEPTION_HANDLERS = {
    DomainError: _domain_error,
    PlanParseError: _input_error,
    TemplateError: _input_error,
    ValidationException: _validation_error,
    NotAuthorizedException: _not_authorized,
    HTTPException: _http_error,
    Exception: _unexpected_error,
    **{kind: _database_error for kind in DATABASE_ERRORS},
}
