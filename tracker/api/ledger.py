"""JSON API for Excel in and out: bulk assignment from a 任务分工表, the ledger (台账) download."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery, MultipartBody

from tracker.errors import InvalidInput
from tracker.periods import parse_day
from tracker.services import ledger_import
from tracker.services.ledger_export import LedgerFile, export_ledger
from tracker.services.ledger_import import AssignmentPreview, AssignmentSummary
from tracker.uploads import MAX_UPLOAD_REQUEST_BYTES, read_upload
from tracker.web.auth import planner_guard, reader_guard

# `file` is an upload, the other fields (upload_id, token, flags) are text.
LedgerForm = MultipartBody[dict[str, Any]]
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
        content, seen = ledger_import.load_upload(upload_id, plan_id, user_id)
        summary = await ledger_import.apply_assignments(
            plan_id, content, seen.file_name, create_units=seen.create_units,
            skip_refused=skip_refused, expected=seen, actor=user_id)
        ledger_import.discard_upload(upload_id)
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


class LedgerApi(Controller):
    path = "/api/plans"
    tags = ["台账 ledger"]
    guards = [reader_guard]

    @post("/{plan_id:int}/assignments/preview", operation_id="previewAssignments",
          status_code=200, guards=[planner_guard],
          request_max_body_size=MAX_UPLOAD_REQUEST_BYTES)
    async def preview(self, request: Request, plan_id: FromPath[int],
                      data: LedgerForm) -> AssignmentPreview:
        """What a 任务分工表 (`file`: .xlsx/.csv; `create_units`) would change; nothing is written."""
        content, name = await read_upload(data, "file", ledger_import.MAX_LEDGER_BYTES)
        preview = await ledger_import.preview_assignments(
            plan_id, content, name, create_units=form_flag(data, "create_units"))
        ledger_import.stage_upload(preview, content, request.user.id)
        return preview

    @post("/{plan_id:int}/assignments/apply", operation_id="applyAssignments", status_code=200,
          guards=[planner_guard],
          request_max_body_size=MAX_UPLOAD_REQUEST_BYTES)
    async def apply(self, request: Request, plan_id: FromPath[int],
                    data: LedgerForm) -> AssignmentSummary:
        """Apply a previewed table in one transaction (`upload_id`, or `file` + `token`;
        `skip_refused`); 409 if a task changed since the preview, 400 if a row is refused."""
        return await apply_from_form(data, plan_id, request.user.id)

    @get("/{plan_id:int}/ledger.xlsx", operation_id="ledgerXlsx")
    async def ledger_xlsx(self, plan_id: FromPath[int], as_of: FromQuery[str | None] = None,
                          title: FromQuery[bool] = False) -> Response[bytes]:
        """The ledger (台账) as a formatted workbook, statuses as of `as_of`."""
        return download(await export_ledger(plan_id, "xlsx", parse_day(as_of, "as_of"), title))

    @get("/{plan_id:int}/ledger.csv", operation_id="ledgerCsv")
    async def ledger_csv(self, plan_id: FromPath[int],
                         as_of: FromQuery[str | None] = None) -> Response[bytes]:
        """The ledger (台账) as CSV (UTF-8 with BOM), statuses as of `as_of`."""
        return download(await export_ledger(plan_id, "csv", parse_day(as_of, "as_of")))
