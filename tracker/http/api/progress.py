"""JSON API: my tasks, a task's history, submitting updates with evidence, reviewing them."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import ResponseHeader
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody
from litestar.response import File

from tracker.domain.paging import filter_id, window
from tracker.domain.progress_input import validate_update
from tracker.http.forms import (
    MAX_UPLOAD_REQUEST_BYTES,
    evidence_from_form,
    form_fields,
    refuse_unknown_fields,
)
from tracker.http.guards import planner_guard, reporter_guard
from tracker.schemas import (
    AcceptManyIn,
    AcceptManyOut,
    MyTaskRow,
    ReviewIn,
    ReviewQueueRow,
    SkippedReviewOut,
    UpdateIn,
    UpdateOut,
)
from tracker.services import progress

IdempotencyKey = Annotated[str | None, HeaderParameter(name="Idempotency-Key", required=False)]


class ProgressApi(Controller):
    path = "/api"
    tags = ["进展 progress"]

    @get("/my/tasks", operation_id="listMyTasks")
    async def my_tasks(self, request: Request, period: FromQuery[str | None] = None) -> list[MyTaskRow]:
        """The caller's unit's tasks and what is due for the period (default: last month)."""
        if period is not None:
            period = validate_update({"period": period, "percent": 0, "state": "not_started",
                                      "work_done": "-"}).period
        return await progress.my_tasks(request.user, period)

    @post("/tasks/{task_id:int}/updates", operation_id="submitUpdate", guards=[reporter_guard])
    async def submit(self, request: Request, task_id: FromPath[int], data: JSONBody[UpdateIn],
                     idempotency_key: IdempotencyKey = None) -> UpdateOut:
        """Submit an update (JSON). A second submission for the same period is a new version."""
        update = validate_update({
            "period": data.period, "percent": data.percent, "state": data.state,
            "work_done": data.work_done, "problems": data.problems, "next_steps": data.next_steps,
            "evidence_links": data.evidence_links,
        })
        return await progress.submit_update(request.user, task_id, update,
                                            idempotency_key=idempotency_key)

    @post("/tasks/{task_id:int}/updates/multipart", operation_id="submitUpdateWithFiles",
          guards=[reporter_guard],
          request_max_body_size=MAX_UPLOAD_REQUEST_BYTES)
    async def submit_with_files(self, request: Request, task_id: FromPath[int],
                                idempotency_key: IdempotencyKey = None) -> UpdateOut:
        """Submit an update as a multipart form with `attachments` files."""
        form = await request.form()
        refuse_unknown_fields(form)
        update = validate_update(form_fields(form))
        return await progress.submit_update(request.user, task_id, update,
                                            await evidence_from_form(form), idempotency_key)

    @get("/updates/{update_id:int}", operation_id="getUpdate")
    async def update(self, request: Request, update_id: FromPath[int]) -> UpdateOut:
        """One update with its review state."""
        return await progress.get_update(request.user, update_id)

    @get("/attachments/{attachment_id:int}", operation_id="getAttachment",
         media_type="application/octet-stream")
    async def attachment(self, request: Request, attachment_id: FromPath[int]) -> File:
        """Download an evidence file."""
        path, name, content_type = await progress.attachment_file(request.user, attachment_id)
        # Always a download, never shown inline: a file claiming to be a PDF may hold HTML.
        return File(path=path, filename=name, media_type=content_type,
                    content_disposition_type="attachment",
                    headers={"X-Content-Type-Options": "nosniff"})

    @get("/reviews/queue", operation_id="listReviewQueue", guards=[planner_guard],
         response_headers=[ResponseHeader(name="X-Total-Count", documentation_only=True,
                                          description="undecided updates matching the filter")])
    async def review_queue(self, limit: FromQuery[str | None] = None,
                           offset: FromQuery[str | None] = None,
                           unit: FromQuery[str | None] = None,
                           period: FromQuery[str | None] = None) -> Response[list[ReviewQueueRow]]:
        """Updates waiting for the coordinator's decision, oldest first: `limit` (1-500,
        default 50) from `offset`, filtered by unit id and period; X-Total-Count has them all."""
        chosen = window(limit, offset, progress.REVIEW_PAGE_SIZE)
        result = await progress.review_queue_slice(filter_id(unit), period, chosen.offset,
                                                   chosen.limit)
        return Response(result.rows, headers={"X-Total-Count": str(result.total)})

    @post("/reviews/accept", operation_id="acceptUpdates", guards=[planner_guard], status_code=200)
    async def accept_many(self, request: Request, data: JSONBody[AcceptManyIn]) -> AcceptManyOut:
        """Accept several updates in one transaction (`update_ids`, at most 200); one decided
        or replaced by a newer version meanwhile is listed under `skipped` with the reason."""
        result = await progress.accept_many(request.user, data.update_ids)
        return AcceptManyOut(accepted=result.accepted, skipped=[
            SkippedReviewOut(update_id=update_id, reason=reason)
            for update_id, reason in result.skipped])

    @post("/updates/{update_id:int}/review", operation_id="reviewUpdate", guards=[planner_guard])
    async def review(self, request: Request, update_id: FromPath[int], data: JSONBody[ReviewIn]) -> UpdateOut:
        """Accept, or return with a comment."""
        return await progress.review_update(request.user, update_id, data.decision, data.comment)
