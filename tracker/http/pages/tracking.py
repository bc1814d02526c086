"""Pages for chasing (催报), ranking (通报), extension requests and the audit trail."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody

from tracker.domain.errors import DomainError
from tracker.domain.periods import parse_day
from tracker.domain.vocabulary import AUDIT_ENTITY_LABELS
from tracker.http.guards import planner_guard, reader_guard, reporter_guard
from tracker.http.pages.common import page, redirect
from tracker.services import accounts, audit, chasing, extensions, plans, progress

Form = URLEncodedBody[dict[str, str]]


class TrackingPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/plans/{plan_id:int}/chasing", guards=[reader_guard])
    async def chasing(self, request: Request, plan_id: FromPath[int],
                      period: FromQuery[str | None] = None,
                      as_of: FromQuery[str | None] = None) -> Response:
        detail = await plans.get_plan(plan_id)
        result = await chasing.chasing(plan_id, period, parse_day(as_of, "as_of"))
        return page(request, "chasing.html", plan=detail, chase=result,
                    pending=await extensions.pending(plan_id) if request.user.role != "leader" else [])

    @get("/plans/{plan_id:int}/ranking", guards=[reader_guard])
    async def ranking(self, request: Request, plan_id: FromPath[int],
                      period: FromQuery[str | None] = None) -> Response:
        detail = await plans.get_plan(plan_id)
        return page(request, "ranking.html", plan=detail,
                    ranking=await chasing.ranking(plan_id, period))

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
