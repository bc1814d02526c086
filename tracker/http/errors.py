"""Error mapping, in one table: domain errors, bad plan files, Litestar's validation and HTTP
errors become a JSON ErrorOut on the API and the error page on pages, in Chinese, with the
field at fault named. Services raise plain Python exceptions and never see HTTP."""

from __future__ import annotations

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

from tracker.domain.errors import DomainError
from tracker.domain.plan_model import PlanParseError
from tracker.domain.plan_templates import TemplateError
from tracker.http.guards import SESSION_EXPIRED
from tracker.schemas import ErrorOut, FieldErrorOut

CSRF_FAILED = "CSRF token verification failed"


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/schema"))


def _error_response(request: Request, status_code: int, detail: str, field: str | None,
                    errors: list[FieldErrorOut] | None = None) -> Response:
    if _is_api(request):
        return Response(ErrorOut(status_code=status_code, detail=detail, field=field,
                                 errors=errors or msgspec.UNSET),
                        status_code=status_code, media_type=MediaType.JSON)
    return Template("error.html", status_code=status_code,
                    context={"status_code": status_code, "detail": detail,
                             "user": request.scope.get("user")})


def _domain_error(request: Request, error: DomainError) -> Response:
    errors = [FieldErrorOut(field=f, message=m) for f, m in getattr(error, "errors", [])]
    return _error_response(request, error.status_code, error.message, error.field, errors)


def _input_error(request: Request, error: PlanParseError | TemplateError) -> Response:
    field = getattr(error, "key", None) or (f"line {error.line}" if getattr(error, "line", None) else None)
    return _error_response(request, 400, str(error), field or "file")


_TYPE_NAMES = {"int": "整数", "str": "文本", "float": "数字", "bool": "true/false", "array": "列表",
               "object": "对象", "null": "空值"}


def _validation_error(request: Request, error: ValidationException) -> Response:
    """Litestar's own validation failures (types, unknown fields), with the field named and
    msgspec's common messages said in Chinese."""
    extra = error.extra if isinstance(error.extra, list) else []
    first = extra[0] if extra and isinstance(extra[0], dict) else {}
    field = first.get("key")
    text = str(first.get("message") or error.detail)
    detail = f"参数无效：{text}"
    if "unknown field `" in text:  # "Object contains unknown field `unit_id`"
        field = text.split("unknown field `", 1)[1].split("`", 1)[0]
        detail = f"不接受字段“{field}”（该字段由系统确定或不存在）"
    elif "missing required field `" in text:  # "Object missing required field `period`"
        field = text.split("missing required field `", 1)[1].split("`", 1)[0]
        detail = f"缺少必填字段“{field}”"
    elif text.startswith("Expected `"):  # "Expected `int`, got `str` - at `$.percent`"
        if "`$." in text:
            field = text.split("`$.", 1)[1].split("`", 1)[0]
        expected = text.split("`", 2)[1]
        detail = f"字段“{field}”类型不对，应为{_TYPE_NAMES.get(expected, expected)}"
    return _error_response(request, 400, detail, field)


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
}
