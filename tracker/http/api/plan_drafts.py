"""JSON API for the import preview: upload a document → a draft with its warnings and unit
matches; PUT the corrected tree → stored in one transaction (or refused, every field named)."""

from __future__ import annotations

from litestar import Controller, Request, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from tracker.http.api.plans import PlanUpload
from tracker.http.forms import read_upload
from tracker.http.guards import planner_guard
from tracker.schemas import ImportSummary, PlanDraftIn, PlanDraftOut
from tracker.services import plan_drafts


class PlanDraftApi(Controller):
    path = "/api/plans/drafts"
    tags = ["计划 plans"]
    guards = [planner_guard]

    @post("/", operation_id="createPlanDraft", status_code=201)
    async def create(self, request: Request, data: PlanUpload,
                     replace: FromQuery[bool] = False) -> PlanDraftOut:
        """Parse an uploaded plan (field `file`) into a draft to review; nothing is stored."""
        content, filename = await read_upload(data, "file")
        draft = await plan_drafts.create_draft(request.user.id, content, filename, replace=replace)
        return await plan_drafts.view_draft(draft.id, request.user.id)

    @get("/{draft_id:str}", operation_id="getPlanDraft")
    async def show(self, request: Request, draft_id: FromPath[str]) -> PlanDraftOut:
        """A draft with its source lines, unit matches and per-task warnings."""
        return await plan_drafts.view_draft(draft_id, request.user.id)

    @put("/{draft_id:str}", operation_id="storePlanDraft", status_code=201)
    async def store(self, request: Request, draft_id: FromPath[str],
                    data: JSONBody[PlanDraftIn]) -> ImportSummary:
        """Store the corrected tree as a plan, all or nothing; the draft is then gone."""
        return await plan_drafts.store_corrected(draft_id, request.user.id, data)

    @delete("/{draft_id:str}", operation_id="discardPlanDraft", status_code=204)
    async def discard(self, request: Request, draft_id: FromPath[str]) -> None:
        """Throw the draft away."""
        await plan_drafts.discard_draft(draft_id, request.user.id)
