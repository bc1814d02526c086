"""What every request and response passes through at the door, pages and API alike: a request
id, the browser security headers, the one rule for text input, and JSON only as JSON."""

from __future__ import annotations

import gc
import json
import logging
import secrets
import time

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType

from tracker.domain.errors import UnsupportedMediaType
from tracker.domain.text_rules import check_all_text, check_text
from tracker.settings import get_settings

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "x-request-id"
# How long the app worked on a request (from its arrival at the outermost middleware to the
# start of its answer), so a slow answer seen by a client or a load balancer can be told apart
# from time spent queueing in front of the app (a standard header browsers' tools show).
SERVER_TIMING_HEADER = "server-timing"

# Only the app's own scripts and styles (the templates carry no inline ones); nothing may frame
# a page (clickjacking on the review buttons); forms post only back to the app.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
# The OpenAPI page (/schema) is Litestar's Swagger UI (its files served from the installed
# package) booted by inline code: it gets its own, wider policy; it shows no user data.
SCHEMA_CONTENT_SECURITY_POLICY = "frame-ancestors 'none'"

_COMMON_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
_OWN_HEADERS = {name for name, _ in _COMMON_HEADERS} | {
    b"cache-control", b"content-security-policy", REQUEST_ID_HEADER.encode(),
    SERVER_TIMING_HEADER.encode()}


class _GcClock:
    """Milliseconds this process has spent in the cyclic garbage collector (for the slow
    request log: a full collection over a large heap is a pause every request in flight
    shares)."""

    def __init__(self) -> None:
        self.total_ms = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.total_ms += (time.perf_counter() - self._started) * 1000


_gc_clock = _GcClock()
gc.callbacks.append(_gc_clock)


def mark_arrival(scope) -> None:
    """Note when the request reached the app (the outermost middleware calls this): the clock,
    this process's CPU time and its garbage-collection time."""
    state = scope.setdefault("state", {})
    if "arrived" not in state:
        state["arrived"] = (time.perf_counter(), time.process_time(), _gc_clock.total_ms)


def _report_time(scope, path: str) -> bytes | None:
    """The Server-Timing value; a request slower than TRACKER_SLOW_REQUEST_MS is logged with
    the CPU this worker spent meanwhile (on it or on others): near the wall time, the worker
    was busy; far below it, it waited (the database, another process holding the core)."""
    arrived = scope.get("state", {}).get("arrived")
    if arrived is None:
        return None
    elapsed_ms = (time.perf_counter() - arrived[0]) * 1000
    if elapsed_ms > get_settings().slow_request_ms:
        log.warning("slow request %s %s: %.0f ms, this worker's CPU meanwhile %.0f ms, of it "
                    "garbage collection %.0f ms (id %s)", scope.get("method", ""), path,
                    elapsed_ms, (time.process_time() - arrived[1]) * 1000,
                    _gc_clock.total_ms - arrived[2], request_id(scope))
    return f"app;dur={elapsed_ms:.1f}".encode()


def request_id(scope) -> str:
    """The id of the request being handled, made on first use, for logs, error pages and the
    X-Request-ID header."""
    state = scope.setdefault("state", {})
    if "request_id" not in state:
        state["request_id"] = secrets.token_hex(8)
    return state["request_id"]


async def add_security_headers(message, scope) -> None:
    """before_send: the request id and the security headers on every answer, errors, 404s of
    unknown paths and static files included. Pages and API answers show a user's data, so
    nothing but the static assets may be kept by a browser or a proxy."""
    if message["type"] != "http.response.start":
        return
    path = scope.get("path", "")
    static = path.startswith("/static/")
    policy = SCHEMA_CONTENT_SECURITY_POLICY if path.startswith("/schema") else (
        CONTENT_SECURITY_POLICY)
    headers = [(name, value) for name, value in message.get("headers", [])
               if name.lower() not in _OWN_HEADERS or (static and name.lower() == b"cache-control")]
    headers += _COMMON_HEADERS
    headers.append((b"content-security-policy", policy.encode()))
    headers.append((REQUEST_ID_HEADER.encode(), request_id(scope).encode()))
    timing = _report_time(scope, path)
    if timing is not None:
        headers.append((SERVER_TIMING_HEADER.encode(), timing))
    if not static:
        headers.append((b"cache-control", b"no-store"))
    message["headers"] = headers


def _expects_json(request: Request) -> bool:
    field = request.route_handler.parsed_data_field
    if field is None:
        return False
    media_type = getattr(field.kwarg_definition, "media_type", None)
    return media_type in (None, RequestEncodingType.JSON)


async def check_request_input(request: Request) -> None:
    """before_request: every text field of a JSON body or a form passes the one text rule
    (tracker.domain.text_rules); a JSON endpoint takes only `application/json`."""
    if request.method not in ("POST", "PUT", "PATCH"):
        return
    content_type = request.content_type[0]
    if _expects_json(request):
        if content_type != "application/json" and await request.body():
            raise UnsupportedMediaType(
                f"请求体须以 Content-Type: application/json 发送（收到 {content_type or '无'}）",
                "content-type")
        try:
            body = await request.json()
        except Exception:  # noqa: BLE001 - see below
            # msgspec refuses a lone surrogate (\ud800) as if the JSON were broken; the
            # standard library decodes it, so the answer can name the field. Anything else
            # malformed is the handler's to refuse.
            try:
                body = json.loads(await request.body())
            except ValueError:
                return
        check_all_text(body)
    elif content_type in (RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART):
        for key, value in (await request.form()).multi_items():
            check_text(key, key)
            if isinstance(value, UploadFile):
                check_text(value.filename or "", key)
            elif isinstance(value, str):
                check_text(value, key)
