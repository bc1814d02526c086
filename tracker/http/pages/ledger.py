"""Pages for Excel in and out: upload a 任务分工表, see the preview, confirm; download the ledger."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery

from tracker.domain.errors import DomainError
from tracker.domain.periods import parse_day
from tracker.domain.vocabulary import ASSIGNMENT_MATCH_LABELS, ASSIGNMENT_OUTCOME_LABELS
from tracker.http.forms import (
    MAX_UPLOAD_REQUEST_BYTES,
    apply_from_form,
    download,
    form_flag,
    read_upload,
)
from tracker.http.guards import planner_guard, reader_guard
from tracker.http.pages.common import form_error, page, redirect
from tracker.services import ledger_import
from tracker.services.ledger_export import export_ledger
from tracker.services.plans import get_plan


class LedgerPages(Controller):
    path = "/plans"
    include_in_schema = False
    guards = [reader_guard]

    async def _render(self, request: Request, plan_id: int, preview=None, error=None,
                      status_code: int = 200) -> Response:
        plan = await get_plan(plan_id)
        return page(request, "ledger_preview.html", status_code=status_code, plan=plan,
                    preview=preview, error=error, outcome_labels=ASSIGNMENT_OUTCOME_LABELS,
                    match_labels=ASSIGNMENT_MATCH_LABELS)

    @get("/{plan_id:int}/ledger.xlsx")
    async def ledger_xlsx(self, plan_id: FromPath[int], as_of: FromQuery[str | None] = None) -> Response:
        return download(await export_ledger(plan_id, "xlsx", parse_day(as_of, "as_of"), with_title=False))

    @get("/{plan_id:int}/ledger.csv")
    async def ledger_csv(self, plan_id: FromPath[int], as_of: FromQuery[str | None] = None) -> Response:
        return download(await export_ledger(plan_id, "csv", parse_day(as_of, "as_of")))

    @post("/{plan_id:int}/assignments/preview", guards=[planner_guard],
          request_max_body_size=MAX_UPLOAD_REQUEST_BYTES)
    async def preview(self, request: Request, plan_id: FromPath[int]) -> Response:
        form = await request.form()
        try:
            content, name = await read_upload(form, "file", ledger_import.MAX_LEDGER_BYTES)
            preview = await ledger_import.preview_assignments(
                plan_id, content, name, create_units=form_flag(form, "create_units"))
        except DomainError as error:
            if error.status_code == 404:
                raise
            return await self._render(request, plan_id, error=form_error(error),
                                      status_code=error.status_code)
        await ledger_import.stage_upload(preview, content, request.user.id)
        return await self._render(request, plan_id, preview=preview)

    @post("/{plan_id:int}/assignments/apply", guards=[planner_guard],
          request_max_body_size=MAX_UPLOAD_REQUEST_BYTES)
    async def apply(self, request: Request, plan_id: FromPath[int]) -> Response:
        form = await request.form()
        try:
            await apply_from_form(form, plan_id, request.user.id)
        except DomainError as error:
            if error.field == "plan_id":
                raise
            return await self._render(request, plan_id, error=form_error(error),
                                      status_code=error.status_code)
        return redirect(f"/plans/{plan_id}", "saved")
