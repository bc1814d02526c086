"""The Litestar application: routes, sessions, CSRF, templates, error mapping, lifespan."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Litestar, MediaType, Request, Response
from litestar.config.csrf import CSRFConfig
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from tracker.api.accounts import AccountApi, TokenApi
from tracker.api.ledger import LedgerApi
from tracker.api.notifications import EvidenceApi, NotificationApi
from tracker.api.planning import PlanningApi
from tracker.api.plans import PlanApi
from tracker.api.progress import ProgressApi
from tracker.api.reports import ReportApi
from tracker.api.tracking import TrackingApi
from tracker.db import DATABASE_ERRORS, database_unavailable
from tracker.errors import DomainError
from tracker.messages import LABELS, REVIEW_STATE_LABELS, WARNING_LABELS
from tracker.notify import scheduler
from tracker.plan_model import PlanParseError
from tracker.plan_templates import TemplateError
from tracker.progress_input import STATE_LABELS
from tracker.schemas import ErrorOut
from tracker.services.database import close_pool, open_pool, require_current_schema
from tracker.services.report_archive import shutdown_workers
from tracker.settings import get_settings
from tracker.status import STATUS_LABELS
from tracker.web.account_pages import AdminPages, LoginPages
from tracker.web.auth import PUBLIC_PATHS, AuthenticationMiddleware, session_config
from tracker.web.common import local_time
from tracker.web.json_body import check_json_body, explain_validation
from tracker.web.ledger_pages import LedgerPages
from tracker.web.notification_pages import NotificationPages
from tracker.web.pages import PlanPages, TaskPages
from tracker.web.tracking_pages import TrackingPages

log = logging.getLogger(__name__)
WEB_DIR = Path(__file__).parent / "web"
# Every body is small unless its route takes files (tracker.uploads.MAX_UPLOAD_REQUEST_BYTES):
# a JSON update or a form is a few KB; a 10 MB one is refused (413) before it is read whole.
MAX_REQUEST_BYTES = 256 * 1024
CSRF_FAILED = "CSRF token verification failed"


def _jinja_environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(WEB_DIR / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["t"] = LABELS
    # The code → Chinese label tables every page may show, given once rather than per page.
    environment.globals.update(status_labels=STATUS_LABELS, state_labels=STATE_LABELS,
                               review_labels=REVIEW_STATE_LABELS, warning_labels=WARNING_LABELS)
    environment.globals["local_time"] = local_time
    environment.filters["local_time"] = local_time
    return environment


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/schema"))


def _error_response(request: Request, status_code: int, detail: str, field: str | None,
                    headers: dict[str, str] | None = None) -> Response:
    if _is_api(request):
        return Response(ErrorOut(status_code=status_code, detail=detail, field=field),
                        status_code=status_code, media_type=MediaType.JSON, headers=headers)
    return Template("error.html", status_code=status_code, headers=headers,
                    context={"status_code": status_code, "detail": detail,
                             "user": request.scope.get("user")})


def _domain_error(request: Request, error: DomainError) -> Response:
    return _error_response(request, error.status_code, error.message, error.field)


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
    its traceback, 500."""
    if not database_unavailable(error):
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
        return _error_response(request, 500, "服务器内部错误，请稍后重试或联系管理员", None)
    now = time.monotonic()
    if now - _outage["logged_at"] >= 60:
        log.warning("database unavailable (%s: %s); answering 503%s", type(error).__name__,
                    str(error)[:200], f", {_outage['suppressed']} more since the last line"
                    if _outage["suppressed"] else "")
        _outage.update(logged_at=now, suppressed=0)
    else:
        _outage["suppressed"] += 1
    return _error_response(request, 503, "数据库暂时无法连接，请稍后重试", None,
                           {"Retry-After": str(DATABASE_RETRY_SECONDS)})


def _not_authorized(request: Request, error: NotAuthorizedException) -> Response:
    if _is_api(request):
        return _error_response(request, 401, error.detail, "authorization")
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(f"/login?next={quote(target)}", status_code=303)


def _http_error(request: Request, error: HTTPException) -> Response:
    if isinstance(error, NotFoundException):
        detail = "页面或资源不存在"
    elif isinstance(error, PermissionDeniedException) and error.detail == CSRF_FAILED:
        detail = "表单安全令牌（CSRF）缺失或已失效，请刷新页面后重试"
    else:
        detail = error.detail
    return _error_response(request, error.status_code, detail, None)


SUBMISSION_PATH = re.compile(r"^/api/tasks/\d+/updates$")  # JSON submissions (small bodies)
MAX_CONCURRENT_SUBMISSIONS = 4
MAX_BUFFERED_BODY = 1024 * 1024


class SubmissionAdmission:
    """At most a few JSON progress submissions are worked on at once; the others wait at the
    door, their bodies already received (a slow client never holds a place).

    One worker runs every request on one event loop. Forty reporters submitting at once would
    fill its queue: each await of a coordinator's read, and on SQLite each step of the one
    write transaction holding the lock, would wait behind all of them. Waiting at the door
    costs nothing and the CPU stays as busy; the reads stay fast (bench/server_bench.py)."""

    def __init__(self, app, limit: int = MAX_CONCURRENT_SUBMISSIONS):
        self.app = app
        self.limit = limit
        self._slots: asyncio.Semaphore | None = None
        self._loop = None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not SUBMISSION_PATH.match(
                scope["path"]):
            await self.app(scope, receive, send)
            return
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if message["type"] != "http.request" or not message.get("more_body"):
                break
            if size > MAX_BUFFERED_BODY:  # not a normal submission: no queueing for it
                await self.app(scope, _replay(messages, receive), send)
                return
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # tests run apps on several event loops
            self._slots, self._loop = asyncio.Semaphore(self.limit), loop
        async with self._slots:
            await self.app(scope, _replay(messages, receive), send)


def _replay(messages: list[dict], receive):
    """An ASGI receive that hands out the buffered messages first, then the real ones."""
    pending = list(messages)

    async def replay() -> dict:
        return pending.pop(0) if pending else await receive()

    return replay


def create_app() -> Litestar:
    settings = get_settings()
    return Litestar(
        route_handlers=[
            LoginPages,
            AdminPages,
            PlanPages,
            TaskPages,
            TokenApi,
            AccountApi,
            PlanApi,
            PlanningApi,
            ProgressApi,
            ReportApi,
            LedgerApi,
            LedgerPages,
            TrackingApi,
            TrackingPages,
            NotificationApi,
            EvidenceApi,
            NotificationPages,
            create_static_files_router(path="/static", directories=[WEB_DIR / "static"],
                                       include_in_schema=False),
        ],
        middleware=[
            SubmissionAdmission,
            session_config(settings).middleware,
            DefineMiddleware(AuthenticationMiddleware, exclude=PUBLIC_PATHS),
        ],
        # Pages use the session cookie and need CSRF tokens; the API takes only bearer tokens.
        csrf_config=CSRFConfig(secret=settings.secret_key, cookie_secure=settings.cookie_secure,
                               cookie_httponly=True, exclude=["/api/"]),
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(_jinja_environment())),
        exception_handlers={
            DomainError: _domain_error,
            PlanParseError: _input_error,
            TemplateError: _input_error,
            ValidationException: _validation_error,
            NotAuthorizedException: _not_authorized,
            HTTPException: _http_error,
            **{kind: _database_error for kind in DATABASE_ERRORS},
        },
        openapi_config=OpenAPIConfig(
            title="政务公开工作要点跟踪 API", version="0.1.0", path="/schema",
            components=Components(security_schemes={
                "BearerToken": SecurityScheme(type="http", scheme="bearer",
                                              description="POST /api/tokens 取得的令牌")}),
            security=[{"BearerToken": []}],
        ),
        request_max_body_size=MAX_REQUEST_BYTES,
        before_request=check_json_body,
        on_startup=[open_pool, require_current_schema, scheduler.start],
        on_shutdown=[scheduler.stop, close_pool, shutdown_workers],
        debug=settings.debug,
    )
