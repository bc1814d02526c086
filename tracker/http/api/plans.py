"""JSON API for plans: list, read the tree, parse a document, import, export."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery, MultipartBody

from tracker.domain.plan_parsing.plan_source import load_plan_source
from tracker.domain.plan_review import choices_from_template
from tracker.domain.plan_templates import dump_template
from tracker.http.forms import read_upload
from tracker.http.guards import planner_guard, reader_guard
from tracker.schemas import ImportSummary, PlanDetail, PlanSummary
from tracker.services import plan_drafts, plans

PlanUpload = MultipartBody[dict[str, UploadFile]]


class PlanApi(Controller):
    path = "/api/plans"
    tags = ["计划 plans"]
    guards = [reader_guard]

    @get("/", operation_id="listPlans")
    async def list_plans(self) -> list[PlanSummary]:
        """All plans, newest year first."""
        return await plans.list_plans()

    @get("/{plan_id:int}", operation_id="getPlan")
    async def get_plan(self, plan_id: FromPath[int]) -> PlanDetail:
        """One plan's whole tree: sections, items, tasks with owners, deadlines and milestones."""
        return await plans.get_plan(plan_id)

    @get("/{plan_id:int}/export.yaml", operation_id="exportPlan", media_type="application/yaml")
    async def export_plan(self, plan_id: FromPath[int]) -> Response[str]:
        """The plan as a YAML template (the format `tracker plan import` reads)."""
        text = dump_template(plans.template_from_plan(await plans.get_plan(plan_id)))
        return Response(text, media_type="application/yaml; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="plan-{plan_id}.yaml"'})

    @post("/parse", operation_id="parsePlan", status_code=200, guards=[planner_guard])
    async def parse_plan(self, data: PlanUpload) -> dict:
        """Parse an uploaded document (field `file`) and return its tree; nothing is stored."""
        content, filename = await read_upload(data, "file")
        return load_plan_source(content, filename).plan.to_dict()

    @post("/", operation_id="importPlan", status_code=201, guards=[planner_guard])
    async def import_plan(
        self, request: Request, data: PlanUpload, replace: FromQuery[bool] = False,
        create_units: FromQuery[bool] = False,
    ) -> ImportSummary:
        """Import a plan from a template (.yaml) or a document (.txt/.docx/.pdf), all or nothing.
        Units not known to the tracker are refused unless `create_units` (or decided in the
        template's `new_units`); to review first, use /api/plans/drafts."""
        content, filename = await read_upload(data, "file")
        template = load_plan_source(content, filename)
        return await plan_drafts.store_checked(
            template, choices_from_template(template), create_all=create_units, replace=replace,
            source_name=filename, actor=request.user.id)



