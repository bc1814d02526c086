"""Pages for chasing (催报), ranking (通报), extension requests and the audit trail."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, QueryParameter, URLEncodedBody

from tracker.domain.errors import DomainError, InvalidInput
from tracker.domain.paging import check_page, page_number
from tracker.domain.periods import parse_day
from tracker.domain.roles import PLANNERS
from tracker.domain.vocabulary import AUDIT_ENTITY_LABELS
from tracker.http.guards import planner_guard, reader_guard, reporter_guard
from tracker.http.pages.common import page, pager, redirect
from tracker.services import (
    accounts,
    audit,
    chasing,
    exports,
    extensions,
    plans,
    progress,
    reminding,
)
from tracker.services.exports import ExportFile

Form = URLEncodedBody[dict[str, str]]


def _download(file: ExportFile) -> Response:
    return Response(file.content, media_type=file.media_type, headers={
        "Content-Disposition": f'attachment; filename="{file.filename}"'})


# A unit's unreported tasks listed on the 催报 page; the rest are a link to the unit's tasks
# on the overview (a city unit can owe 30 or more, and 50 units to a page made it 1,600 lines).
MISSING_SHOWN = 5


class TrackingPages(Controller):
    path = "/"
    include_in_schema = False

    async def _chasing_page(self, request: Request, plan_id: int, period: str | None,
                            as_of: str | None, results: list | None = None,
                            status_code: int = 200, page_no: str | None = None) -> Response:
        wanted_page = page_number(page_no)
        shape = await plans.plan_shape(plan_id)  # one structure check for both
        detail = await plans.plan_tree(plan_id, shape)  # shared and read only
        size = chasing.CHASE_PAGE_SIZE
        result = chasing.chasing_window(
            await chasing.chasing(plan_id, period, parse_day(as_of, "as_of"), shape),
            (wanted_page - 1) * size, size)
        longest = max(result.totals.values())
        check_page(wanted_page, longest, size)
        can_remind = request.user.role in PLANNERS
        history = await reminding.history(plan_id, result.period)
        return page(request, "chasing.html", status_code=status_code, plan=detail, chase=result,
                    pending=await extensions.pending(plan_id) if request.user.role != "leader" else [],
                    can_remind=can_remind, history=history,
                    reminded_today=reminding.reminded_today(history), results=results or [],
                    missing_shown=MISSING_SHOWN,
                    pages=pager(wanted_page, longest, size), page_from=(wanted_page - 1) * size,
                    params={"period": result.period, "as_of": as_of or ""})

    @get("/plans/{plan_id:int}/chasing", guards=[reader_guard])
    async def chasing(self, request: Request, plan_id: FromPath[int],
                      period: FromQuery[str | None] = None,
                      as_of: FromQuery[str | None] = None,
                      page_no: Annotated[str | None, QueryParameter(name="page")] = None,
                      ) -> Response:
        return await self._chasing_page(request, plan_id, period, as_of, page_no=page_no)

    @post("/plans/{plan_id:int}/chasing/remind", guards=[planner_guard])
    async def remind(self, request: Request, plan_id: FromPath[int], data: Form) -> Response:
        """一键催报: one unit (unit_id) or every unit not reported; again=1 for 再次催报."""
        unit = (data.get("unit_id") or "").strip()
        if unit and not unit.isdigit():
            raise InvalidInput("单位编号无效", "unit_id")
        period = data.get("period") or None
        outcomes = await reminding.remind(request.user, plan_id, period,
                                          [int(unit)] if unit else None,
                                          again=data.get("again") == "1")
        return await self._chasing_page(request, plan_id, period, None, outcomes)

    @get("/plans/{plan_id:int}/chasing.xlsx", guards=[reader_guard])
    async def chasing_xlsx(self, plan_id: FromPath[int], period: FromQuery[str | None] = None,
                           as_of: FromQuery[str | None] = None) -> Response:
        file = await exports.chasing_xlsx(plan_id, period, parse_day(as_of, "as_of"))
        return _download(file)

    @get("/plans/{plan_id:int}/ranking", guards=[reader_guard])
    async def ranking(self, request: Request, plan_id: FromPath[int],
                      period: FromQuery[str | None] = None) -> Response:
        detail = await plans.get_plan(plan_id)
        return page(request, "ranking.html", plan=detail,
                    ranking=await chasing.ranking(plan_id, period))

    @get("/plans/{plan_id:int}/ranking.xlsx", guards=[reader_guard])
    async def ranking_xlsx(self, plan_id: FromPath[int],
                           period: FromQuery[str | None] = None) -> Response:
        return _download(await exports.ranking_xlsx(plan_id, period))

    @post("/tasks/{task_id:int}/extensions", guards=[reporter_guard])
    async def request_extension(self, request: Request, task_id: FromPath[int],
                                data: Form) -> Response:
        try:
            await extensions.request_extension(request.user, task_id,
                                               data.get("requested_deadline", ""),
                                               data.get("reason", ""))
        except DomainError as error:
            return page(request, "error.html", status_code=error.status_code,
                        detail=error.message)
        return redirect(f"/tasks/{task_id}", "extension_requested")

    @post("/extensions/{request_id:int}/decision", guards=[planner_guard])
    async def decide(self, request: Request, request_id: FromPath[int], data: Form) -> Response:
        decided = await extensions.decide(request.user, request_id, data.get("decision", ""),
                                          data.get("comment", ""))
        notice = "extension_approved" if decided.decision == "approved" else "extension_refused"
        return redirect(f"/tasks/{decided.task_id}", notice)

    @get("/audit", guards=[planner_guard])
    async def audit_trail(self, request: Request, plan_id: FromQuery[int | None] = None,
                          entity: FromQuery[str | None] = None,
                          task_id: FromQuery[int | None] = None,
                          unit_id: FromQuery[int | None] = None,
                          user_id: FromQuery[int | None] = None,
                          since: FromQuery[str | None] = None,
                          until: FromQuery[str | None] = None) -> Response:
        where = audit.AuditFilter(plan_id=plan_id, entity=entity or None, task_id=task_id,
                                  unit_id=unit_id, user_id=user_id,
                                  since=parse_day(since, "since"), until=parse_day(until, "until"))
        task = await progress.task_detail(request.user, task_id) if task_id else None
        return page(request, "audit.html", entries=await audit.entries(where=where), where=where,
                    task=task, units=await accounts.list_units(), users=await accounts.list_users(),
                    entity_labels=AUDIT_ENTITY_LABELS)
