"""Pages for a plan's parent and past: the links to confirm, the parent-clause coverage, the
look back, the carry-over, a task's years, and the annual report draft. Thin: call a service,
render or redirect."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, URLEncodedBody

from tracker.domain.annual_report import draft_text
from tracker.domain.errors import InvalidInput
from tracker.domain.periods import parse_day
from tracker.domain.plan_lineage import FOLLOWS_LINK, LINK_KINDS, PARENT_LINK
from tracker.domain.roles import PLANNERS
from tracker.domain.vocabulary import (
    CARRY_LABELS,
    COVERAGE_LABELS,
    LINK_KIND_LABELS,
    LINK_STATE_LABELS,
    STATUS_LABELS,
)
from tracker.http.guards import planner_guard, reader_guard
from tracker.http.pages.common import page, redirect
from tracker.reporting import annual
from tracker.services import plan_links, plans

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(content: bytes, media_type: str, filename: str) -> Response:
    return Response(content, media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "X-Content-Type-Options": "nosniff"})


class LineagePages(Controller):
    path = "/"
    include_in_schema = False
    guards = [reader_guard]

    @get("/plans/{plan_id:int}/links")
    async def links(self, request: Request, plan_id: FromPath[int],
                    kind: FromQuery[str] = PARENT_LINK) -> Response:
        if kind not in LINK_KINDS:
            raise InvalidInput(f"未知的对照类型“{kind[:20]}”（可用：parent、follows）", "kind")
        detail = await plans.get_plan(plan_id)
        coverage, look_back, as_of = [], [], None
        if kind == PARENT_LINK:
            coverage, as_of = await plan_links.coverage(plan_id)
        else:
            _, look_back = await plan_links.look_back(plan_id)
        return page(request, "links.html", plan=detail, kind=kind,
                    links=await plan_links.links(plan_id, kind),
                    related=await plan_links.related_plans(plan_id, kind),
                    coverage=coverage, look_back=look_back, as_of=as_of,
                    kind_labels=LINK_KIND_LABELS, state_labels=LINK_STATE_LABELS,
                    coverage_labels=COVERAGE_LABELS, carry_labels=CARRY_LABELS,
                    status_labels=STATUS_LABELS, can_plan=request.user.role in PLANNERS)

    @post("/plans/{plan_id:int}/links/{link_id:int}", guards=[planner_guard])
    async def decide(self, request: Request, plan_id: FromPath[int], link_id: FromPath[int],
                     data: URLEncodedBody[dict[str, str]]) -> Response:
        await plan_links.decide(plan_id, link_id, data.get("state", ""), actor=request.user.id)
        return redirect(f"/plans/{plan_id}/links?kind={data.get('kind', PARENT_LINK)}", "saved")

    @post("/plans/{plan_id:int}/carry-over", guards=[planner_guard])
    async def carry_over(self, request: Request, plan_id: FromPath[int]) -> Response:
        await plan_links.carry_over(plan_id, actor=request.user.id)
        return redirect(f"/plans/{plan_id}/links?kind={FOLLOWS_LINK}", "saved")

    @post("/plans/{plan_id:int}/carry-in/{task_id:int}", guards=[planner_guard])
    async def include(self, request: Request, plan_id: FromPath[int], task_id: FromPath[int]) -> Response:
        await plan_links.include_task(plan_id, task_id, actor=request.user.id)
        return redirect(f"/plans/{plan_id}/links?kind={FOLLOWS_LINK}", "saved")

    @get("/plans/{plan_id:int}/coverage.xlsx")
    async def coverage_xlsx(self, plan_id: FromPath[int], as_of: FromQuery[str | None] = None) -> Response:
        content, day = await plan_links.coverage_export(plan_id, parse_day(as_of, "as_of"))
        return _attachment(content, XLSX_TYPE, f"coverage-{plan_id}-{day.isoformat()}.xlsx")

    @get("/plans/{plan_id:int}/annual.docx")
    async def annual_docx(self, plan_id: FromPath[int], as_of: FromQuery[str | None] = None) -> Response:
        draft = await annual.annual_draft(plan_id, parse_day(as_of, "as_of"))
        return _attachment(annual.annual_docx(draft), annual.DOCX_TYPE, f"annual-{plan_id}.docx")

    @get("/plans/{plan_id:int}/annual.txt")
    async def annual_text(self, plan_id: FromPath[int], as_of: FromQuery[str | None] = None) -> Response:
        draft = await annual.annual_draft(plan_id, parse_day(as_of, "as_of"))
        return Response(draft_text(draft), media_type="text/plain; charset=utf-8")

    @get("/tasks/{task_id:int}/years")
    async def years(self, request: Request, task_id: FromPath[int]) -> Response:
        return page(request, "task_years.html", task_id=task_id,
                    years=await plan_links.history(task_id))
