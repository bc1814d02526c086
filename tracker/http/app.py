"""The Litestar application: routes, sessions, CSRF, templates, lifespan (errors: http/errors.py)."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

import swagger_ui
from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Litestar, Request
from litestar.config.csrf import CSRFConfig
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from tracker.domain.messages import LABELS, REVIEW
from tracker.domain.status import current_period
from tracker.domain.vocabulary import (
    REVIEW_STATE_LABELS,
    STATUS_LABELS,
    UPDATE_STATE_LABELS,
    WARNING_LABELS,
)
from tracker.http.api.accounts import AccountApi, TokenApi
from tracker.http.api.jobs import JobApi
from tracker.http.api.ledger import LedgerApi
from tracker.http.api.notifications import EvidenceApi, NotificationApi
from tracker.http.api.plan_drafts import PlanDraftApi
from tracker.http.api.planning import PlanningApi
from tracker.http.api.plans import PlanApi
from tracker.http.api.progress import ProgressApi
from tracker.http.api.reports import ReportApi
from tracker.http.api.tracking import TrackingApi
from tracker.http.edge import add_security_headers, check_request_input, mark_arrival
from tracker.http.errors import EXCEPTION_HANDLERS
from tracker.http.guards import PUBLIC_PATHS, AuthenticationMiddleware, session_config
from tracker.http.json_body import check_json_body
from tracker.http.pages.accounts import AdminPages, LoginPages
from tracker.http.pages.common import load_unread, local_time, query_with
from tracker.http.pages.inbox import InboxPages
from tracker.http.pages.jobs import JobPages
from tracker.http.pages.ledger import LedgerPages
from tracker.http.pages.lineage import LineagePages
from tracker.http.pages.notifications import NotificationPages
from tracker.http.pages.plan_drafts import PlanDraftPages
from tracker.http.pages.plans import PlanPages, TaskPages
from tracker.http.pages.reports import ReportPages
from tracker.http.pages.tracking import TrackingPages
from tracker.http.rows import RowCache, chase_rows, plan_rows, review_cards
from tracker.jobs import dispatch
from tracker.reporting import archive as report_archive
from tracker.services import warm_up
from tracker.services.database import close_pool, open_pool, require_current_schema
from tracker.settings import get_settings, secret_key, use_package_piccolo_conf

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).parent
SWAGGER_UI_DIR = Path(swagger_ui.__file__).parent / "static"
API_DOCS_ASSETS = "/static/apidocs"
# Every body is small unless its route takes files (tracker.http.forms.MAX_UPLOAD_REQUEST_BYTES):
# a JSON update or a form is a few KB; a 10 MB one is refused (413) before it is read whole.
MAX_REQUEST_BYTES = 256 * 1024


def _api_docs_page() -> SwaggerRenderPlugin:
    """接口文档 with Swagger UI's files from the installed package, never from a CDN: the page
    works on an office network without Internet access."""
    return SwaggerRenderPlugin(
        js_url=f"{API_DOCS_ASSETS}/swagger-ui-bundle.js", css_url=f"{API_DOCS_ASSETS}/swagger-ui.css",
        standalone_preset_js_url=f"{API_DOCS_ASSETS}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{API_DOCS_ASSETS}/favicon-32x32.png'>")


def _jinja_environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(WEB_DIR / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["t"] = LABELS
    environment.globals["review_text"] = REVIEW  # the import preview's texts
    # The code → Chinese label tables every page may show, given once rather than per page.
    environment.globals.update(status_labels=STATUS_LABELS, state_labels=UPDATE_STATE_LABELS,
                               review_labels=REVIEW_STATE_LABELS, warning_labels=WARNING_LABELS)
    environment.globals["local_time"] = local_time
    environment.filters["local_time"] = local_time
    environment.globals["query_with"] = query_with
    # Placeholders show this year's shape (2026-10), not the demo's 2018.
    environment.globals["last_period"] = lambda: current_period(None)
    # Long tables' rows, rendered once per set of values they show (tracker/http/rows.py).
    environment.globals.update(
        plan_rows=partial(plan_rows, RowCache(environment, "_plan_row.html")),
        chase_rows=partial(chase_rows, RowCache(environment, "_chase_row.html")),
        review_cards=partial(review_cards, RowCache(environment, "_review_card.html")))
    return environment


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
        if scope["type"] == "http":
            mark_arrival(scope)
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


async def _before_request(request: Request) -> None:
    """Before every handler: the JSON body decoded once, the input rules (both refuse by
    raising), then a page's unread-notice count."""
    await check_json_body(request)
    await check_request_input(request)
    await load_unread(request)


WARM_CHART_PLANS = 3  # the most recent plans' overview charts are drawn as a worker starts


async def _warm_up(app: Litestar) -> None:
    """A new worker's caches (services/warm_up.py), compiled page templates and the recent
    plans' overview charts, in the background, so that its first pages cost what later ones
    do. Ends with the log line "warm-up done" (the server benchmark waits for it)."""
    started = time.monotonic()
    plan_ids = await warm_up.warm_in_background()
    environment = app.template_engine.engine
    for name in environment.list_templates(extensions=["html"]):
        environment.get_template(name)
        await asyncio.sleep(0)
    await report_archive.warm_overview_charts(plan_ids[:WARM_CHART_PLANS])
    log.info("warm-up done in %.1f s", time.monotonic() - started)


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    """The database pool, the schema check and the background jobs for the app's life (the
    queue on PostgreSQL, the in-process schedule on SQLite: tracker/jobs/dispatch.py).
    What was started is stopped even if a later step fails."""
    await open_pool()
    warming = None
    try:
        await require_current_schema()
        await dispatch.start()
        if get_settings().warm_caches:
            warming = asyncio.create_task(_warm_up(app), name="tracker-warm-up")
        try:
            yield
        finally:
            if warming is not None:
                warming.cancel()
                await asyncio.gather(warming, return_exceptions=True)
            await dispatch.stop()
    finally:
        await close_pool()


def create_app() -> Litestar:
    use_package_piccolo_conf()
    settings = get_settings()
    return Litestar(
        route_handlers=[
            LoginPages,
            AdminPages,
            JobPages,
            PlanPages,
            PlanDraftPages,
            TaskPages,
            ReportPages,
            TokenApi,
            AccountApi,
            PlanDraftApi,
            PlanApi,
            PlanningApi,
            ProgressApi,
            ReportApi,
            LedgerApi,
            LedgerPages,
            LineagePages,
            TrackingApi,
            TrackingPages,
            NotificationApi,
            EvidenceApi,
            JobApi,
            NotificationPages,
            InboxPages,
            create_static_files_router(path="/static", directories=[WEB_DIR / "static"],
                                       include_in_schema=False),
            create_static_files_router(path=API_DOCS_ASSETS, directories=[SWAGGER_UI_DIR],
                                       include_in_schema=False),
        ],
        middleware=[
            SubmissionAdmission,
            session_config(settings).middleware,
            DefineMiddleware(AuthenticationMiddleware, exclude=PUBLIC_PATHS),
        ],
        # Pages use the session cookie and need CSRF tokens; the API takes only bearer tokens.
        # Probes and static files carry no form, so they get no token cookie either.
        csrf_config=CSRFConfig(secret=secret_key(), cookie_secure=settings.cookie_secure,
                               cookie_httponly=True,
                               exclude=["/api/", "^/(healthz|readyz)$", "^/static/"]),
        template_config=TemplateConfig(engine=JinjaTemplateEngine.from_environment(_jinja_environment())),
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=_before_request,
        before_send=[add_security_headers],
        openapi_config=OpenAPIConfig(
            title="政务公开工作要点跟踪 API", version="0.1.0", path="/schema",
            components=Components(security_schemes={
                "BearerToken": SecurityScheme(type="http", scheme="bearer",
                                              description="POST /api/tokens 取得的令牌")}),
            security=[{"BearerToken": []}],
            render_plugins=[_api_docs_page()],
        ),
        request_max_body_size=MAX_REQUEST_BYTES,
        lifespan=[lifespan],
        debug=settings.debug,
    )
