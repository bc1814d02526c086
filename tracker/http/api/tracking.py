"""JSON API: chasing (催报), ranking (通报), extension requests (延期申请), the audit trail."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from tracker.domain.paging import window
from tracker.domain.periods import parse_day
from tracker.http.guards import planner_guard, reader_guard, reporter_guard
from tracker.schemas import AuditOut, ChasingOut, DecisionIn, ExtensionIn, ExtensionOut, RankingOut
from tracker.services import audit, chasing, extensions


class TrackingApi(Controller):
    path = "/api"
    tags = ["督办 chasing"]

    @get("/plans/{plan_id:int}/chasing", operation_id="getChasing", guards=[reader_guard])
    async def chasing(self, plan_id: FromPath[int], period: FromQuery[str | None] = None,
                      as_of: FromQuery[str | None] = None, limit: FromQuery[str | None] = None,
                      offset: FromQuery[str | None] = None) -> ChasingOut:
        """Who has not reported for the period, tasks overdue / behind / due soon, missed
        milestones, as of a date (default today). Each list is cut to `limit` rows (1-500,
        default 50) from `offset`; `totals` has every list's full length."""
        chosen = window(limit, offset, chasing.CHASE_PAGE_SIZE)
        return chasing.chasing_window(
            await chasing.chasing(plan_id, period, parse_day(as_of, "as_of")),
            chosen.offset, chosen.limit)

    @get("/plans/{plan_id:int}/ranking", operation_id="getRanking", guards=[reader_guard])
    async def ranking(self, plan_id: FromPath[int], period: FromQuery[str | None] = None,
                      as_of: FromQuery[str | None] = None) -> RankingOut:
        """Units ranked by completion, then timeliness; ties share a rank. The rule is returned."""
        return await chasing.ranking(plan_id, period, parse_day(as_of, "as_of"))

    @get("/tasks/{task_id:int}/extensions", operation_id="listExtensions")
    async def list_extensions(self, request: Request, task_id: FromPath[int]) -> list[ExtensionOut]:
        """A task's extension requests, newest first."""
        return await extensions.for_task(request.user, task_id)

    @post("/tasks/{task_id:int}/extensions", operation_id="requestExtension", status_code=201,
          guards=[reporter_guard])
    async def request_extension(self, request: Request, task_id: FromPath[int],
                                data: JSONBody[ExtensionIn]) -> ExtensionOut:
        """The lead unit asks for a later deadline, with a reason."""
        return await extensions.request_extension(request.user, task_id, data.requested_deadline,
                                                  data.reason)

    @get("/extensions/pending", operation_id="listPendingExtensions", guards=[planner_guard])
    async def pending(self, plan_id: FromQuery[int | None] = None) -> list[ExtensionOut]:
        """Extension requests waiting for the coordinator."""
        return await extensions.pending(plan_id)

    @post("/extensions/{request_id:int}/decision", operation_id="decideExtension", status_code=200,
          guards=[planner_guard])
    async def decide(self, request: Request, request_id: FromPath[int],
                     data: JSONBody[DecisionIn]) -> ExtensionOut:
        """Approve or refuse (a refusal needs a comment). The original deadline is kept."""
        return await extensions.decide(request.user, request_id, data.decision, data.comment)

    @get("/audit", operation_id="listAudit", guards=[planner_guard])
    async def audit_trail(self, plan_id: FromQuery[int | None] = None,
                          entity: FromQuery[str | None] = None,
                          entity_id: FromQuery[int | None] = None,
                          limit: FromQuery[int] = 200) -> list[AuditOut]:
        """Who changed what and when, with values before and after (coordinator and admin)."""
        return await audit.entries(plan_id, entity, entity_id, limit)
