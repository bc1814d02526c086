"""Reading uploaded files with limits, for every route that takes one."""

from __future__ import annotations

from litestar.datastructures import UploadFile

from tracker.errors import InvalidInput

MAX_PLAN_BYTES = 20 * 1024 * 1024
# The body limit of the routes that take files (the others take 256 KB, tracker.asgi):
# five evidence files of 10 MB each, plus the form around them.
MAX_UPLOAD_REQUEST_BYTES = 60 * 1024 * 1024


async def read_upload(form: dict, field: str, limit: int = MAX_PLAN_BYTES) -> tuple[bytes, str]:
    upload = form.get(field)
    if not isinstance(upload, UploadFile):
        raise InvalidInput("请选择要上传的文件", field)
    content = await upload.read(limit + 1)
    if len(content) > limit:
        raise InvalidInput(f"文件超过 {limit // (1024 * 1024)} MB 上限", field)
    name = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    if not name or "\x00" in name:
        raise InvalidInput("文件名无效", field)
    return content, name
