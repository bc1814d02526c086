"""Form and request helpers shared by the JSON API and the pages: uploads read with limits,
flags and text fields, the update form's evidence, the ledger apply step, file downloads."""

from __future__ import annotations

from litestar import Request, Response
from litestar.datastructures import UploadFile

from tracker.domain.errors import InvalidInput
from tracker.domain.progress_input import EvidenceFile
from tracker.schemas import AssignmentSummary
from tracker.services import ledger_import
from tracker.services.ledger_export import LedgerFile

MAX_PLAN_BYTES = 20 * 1024 * 1024
# The body limit of the routes that take files (the others take 256 KB, tracker.http.app):
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


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


TRUE = ("1", "true", "on", "yes")


def form_flag(form, name: str) -> bool:
    value = form.get(name)
    return isinstance(value, str) and value.strip().lower() in TRUE


def form_text(form, name: str) -> str | None:
    value = form.get(name)
    return value.strip() or None if isinstance(value, str) else None


async def apply_from_form(form, plan_id: int, user_id: int) -> AssignmentSummary:
    """Apply a staged upload (`upload_id`, as previewed) or a file posted again (`file`, with the
    preview's `token` to refuse if anything changed since)."""
    upload_id = form_text(form, "upload_id")
    skip_refused = form_flag(form, "skip_refused")
    if upload_id:
        content, seen = await ledger_import.load_upload(upload_id, plan_id, user_id)
        summary = await ledger_import.apply_assignments(
            plan_id, content, seen.file_name, create_units=seen.create_units,
            skip_refused=skip_refused, expected=seen, actor=user_id)
        await ledger_import.discard_upload(upload_id)
        return summary
    if not isinstance(form.get("file"), UploadFile):
        raise InvalidInput("请上传分工表文件（file）或提供预览返回的 upload_id", "file")
    content, name = await read_upload(form, "file", ledger_import.MAX_LEDGER_BYTES)
    return await ledger_import.apply_assignments(
        plan_id, content, name, create_units=form_flag(form, "create_units"),
        skip_refused=skip_refused, expected_token=form_text(form, "token"), actor=user_id)


def download(ledger: LedgerFile) -> Response[bytes]:
    return Response(ledger.content, media_type=ledger.media_type, headers={
        "Content-Disposition": f'attachment; filename="{ledger.filename}"',
        "X-Content-Type-Options": "nosniff"})


async def evidence_from_form(form) -> list[EvidenceFile]:
    """The `attachments` files of a multipart form (one or several)."""
    uploads = form.getall("attachments", []) if hasattr(form, "getall") else form.get("attachments", [])
    if not isinstance(uploads, list):
        uploads = [uploads]
    files = []
    for upload in uploads:
        if not isinstance(upload, UploadFile):
            if upload in ("", None):
                continue
            raise InvalidInput("附件须以文件上传", "attachments")
        if not upload.filename:
            continue
        content = await upload.read()
        files.append(EvidenceFile(upload.filename, upload.content_type or "", content))
    return files


UPDATE_FORM_FIELDS = frozenset({"period", "percent", "state", "work_done", "problems",
                                "next_steps", "evidence_links", "attachments"})


def refuse_unknown_fields(form, allowed: frozenset[str] = UPDATE_FORM_FIELDS) -> None:
    """A form may not set what the server decides (unit, role, version, reviewer...): refused
    by name, as the JSON body's unknown fields are."""
    for key in form.keys():
        if key not in allowed:
            raise InvalidInput(f"不允许提交字段“{key[:50]}”", key[:50])


def form_fields(form) -> dict:
    """Text fields of a form as a dict; the links textarea may hold several lines."""
    return {key: value for key, value in form.items() if isinstance(value, str)}
