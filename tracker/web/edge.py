"""What every request and response passes through at the door, pages and API alike: a request
id, the browser security headers, the one rule for text input, and JSON only as JSON."""

from __future__ import annotations

import json
import secrets

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType

from tracker.errors import UnsupportedMediaType
from tracker.text_rules import check_all_text, check_text

REQUEST_ID_HEADER = "x-request-id"

# Only the app's own scripts and styles (the templates carry no inline ones); nothing may frame
# a page (clickjacking on the review buttons); forms post only back to the app.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
# The OpenAPI page (/schema) is Litestar's, built from a CDN script and inline code: it gets
# its own, wider policy; it shows no user data.
SCHEMA_CONTENT_SECURITY_POLICY = "frame-ancestors 'none'"

_COMMON_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


def request_id(scope) -> str:
    """The id of the request being handled (set by SecurityHeaders), for logs and error pages."""
    return scope.get("state", {}).get("request_id", "")


class SecurityHeaders:
    """ASGI middleware: gives each request an id and every response (errors and static files
    included) the security headers. Pages and API answers show a user's data, so nothing but
    the static assets may be kept by a browser or a proxy."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = rid
        path = scope["path"]
        policy = SCHEMA_CONTENT_SECURITY_POLICY if path.startswith("/schema") else (
            CONTENT_SECURITY_POLICY)
        static = path.startswith("/static/")

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = [(name, value) for name, value in message.get("headers", [])
                           if name.lower() not in (b"cache-control", b"x-request-id")
                           or (static and name.lower() == b"cache-control")]
                headers += _COMMON_HEADERS
                headers.append((b"content-security-policy", policy.encode()))
                headers.append((REQUEST_ID_HEADER.encode(), rid.encode()))
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _expects_json(request: Request) -> bool:
    field = request.route_handler.parsed_data_field
    if field is None:
        return False
    media_type = getattr(field.kwarg_definition, "media_type", None)
    return media_type in (None, RequestEncodingType.JSON)


async def check_request_input(request: Request) -> None:
    """before_request: every text field of a JSON body or a form passes the one text rule
    (tracker.text_rules); a JSON endpoint takes only `application/json`."""
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
