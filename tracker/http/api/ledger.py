"""JSON API for Excel in and out: bulk assignment from a 任务分工表, the ledger (台账) download."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, MultipartBody

from tracker.domain.periods import parse_day
from tracker.http.forms import (
    MAX_UPLOAD_REQUEST_BYTES,
    apply_from_form,
    download,
    form_flag,
    read_upload,
)
from tracker.http.guards import planner_guard, reader_guard
from tracker.schemas import AssignmentPreview, AssignmentSummary
from tracker.services import ledger_import
from tracker.services.ledger_export import export_ledger

# `file` is an upload, the other fields (upload_id, token, flags) are text.
LedgerForm = MultipartBody[dict[str, Any]]
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
        await ledger_import.stage_upload(preview, content, request.user.id)
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
