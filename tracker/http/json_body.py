"""JSON request bodies, read once before the handler: malformed or too-deep JSON is a 400
with a reason (not a 500 from a recursion error), and types are strict: "100" and 50.0 are
not integers, "true" is not a boolean. Litestar's own conversion is lenient (it coerces them),
so the body is decoded here into the handler's own Struct with msgspec's strict rules, and the
decoded value is handed on to Litestar so nothing is parsed twice."""

from __future__ import annotations

import re

import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.utils.scope.state import ScopeState

from tracker.domain.errors import InvalidInput

_TYPE_NAMES = {"int": "整数", "str": "文本", "float": "数字", "bool": "true/false", "array": "列表",
               "object": "对象", "null": "空值"}

# A \uD800-\uDBFF escape not followed by a low one, or a \uDC00-\uDFFF escape not after a high one.
_LONE_SURROGATE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}")


def explain_validation(text: str, field: str | None = None) -> tuple[str, str | None]:
    """msgspec's common validation messages in Chinese, with the field they name."""
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
        if field in (None, "data") or "`$`" in text or not field:
            field = "body"
            detail = f"请求体类型不对，应为{_TYPE_NAMES.get(expected, expected)}"
        else:
            detail = f"字段“{field}”类型不对，应为{_TYPE_NAMES.get(expected, expected)}"
    return detail, field


def _json_body_type(request: Request) -> type | None:
    data = request.route_handler.parsed_fn_signature.parameters.get("data")
    if data is None or getattr(data.kwarg_definition, "media_type", None) != RequestEncodingType.JSON:
        return None
    return data.annotation


async def check_json_body(request: Request) -> None:
    """A before-request hook: decode a JSON body strictly into the handler's type, or refuse."""
    body_type = _json_body_type(request)
    if body_type is None:
        return None
    body = await request.body()  # within the route's size limit (413 beyond it)
    try:
        value = msgspec.json.decode(body or b"null")
    except RecursionError:
        raise InvalidInput("请求体 JSON 嵌套层数过多", "body") from None
    except (msgspec.DecodeError, UnicodeDecodeError) as error:
        lone = _LONE_SURROGATE.search(body or b"")
        if lone:  # msgspec calls this "truncated" too; say what it is
            code = lone.group(0)[2:].decode().upper()
            raise InvalidInput(f"请求体含无效的代理字符（U+{code}）", "body") from None
        if "truncated" in str(error):
            raise InvalidInput("请求体 JSON 不完整（被截断）", "body") from None
        raise InvalidInput("请求体不是有效的 JSON（须为 UTF-8 编码的 JSON 对象）", "body") from None
    if value is None and body.strip() in (b"", b"null"):
        raise InvalidInput("缺少请求体（JSON 对象）", "body")
    try:
        msgspec.convert(value, body_type, strict=True)
    except msgspec.ValidationError as error:
        raise InvalidInput(*explain_validation(str(error))) from None
    ScopeState.from_scope(request.scope).json = value
    return None
