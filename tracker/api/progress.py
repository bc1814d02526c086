"""JSON API: my tasks, a task's history, submitting updates with evidence, reviewing them."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody
from litestar.response import File

from tracker.errors import InvalidInput
from tracker.progress_input import EvidenceFile, validate_update
from tracker.schemas import MyTaskRow, ReviewIn, ReviewQueueRow, UpdateIn, UpdateOut
from tracker.services import progress
from tracker.uploads import MAX_UPLOAD_REQUEST_BYTES
from tracker.web.auth import planner_guard, reporter_guard

IdempotencyKey = Annotated[str | None, HeaderParameter(name="Idempotency-Key", required=False)]


async def evidence_from_form(form) -> list[EvidenceFile]:
    """The `attachments` files of a multipart form (one or several)."""
    uploads = form.getall("attachments", []) if hasattr(form, "getall") else form.get("attachments", [])
    if not isinstance(uploads, list):
        uploads = [uploads]
    files = []
    for upload in uploads:
        if not isinstance(upload, UploadFile):
            if upload in ("", None):
                continue
            raise InvalidInput("附件须以文件上传", "attachments")
        if not upload.filename:
            continue
        content = await upload.read()
        files.append(EvidenceFile(upload.filename, upload.content_type or "", content))
    return files


UPDATE_FORM_FIELDS = frozenset({"period", "percent", "state", "work_done", "problems",
                                "next_steps", "evidence_links", "attachments"})


def refuse_unknown_fields(form, allowed: frozenset[str] = UPDATE_FORM_FIELDS) -> None:
    """A form may not set what the server decides (unit, role, version, reviewer...): refused
    by name, as the JSON body's unknown fields are."""
    for key in form.keys():
        if key not in allowed:
            raise InvalidInput(f"不允许提交字段“{key[:50]}”", key[:50])


def form_fields(form) -> dict:
    """Text fields of a form as a dict; the links textarea may hold several lines."""
    return {key: value for key, value in form.items() if isinstance(value, str)}


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

    @get("/reviews/queue", operation_id="listReviewQueue", guards=[planner_guard])
    async def review_queue(self) -> list[ReviewQueueRow]:
        """Updates waiting for the coordinator's decision, oldest first."""
        return await progress.review_queue()

    @post("/updates/{update_id:int}/review", operation_id="reviewUpdate", guards=[planner_guard])
    async def review(self, request: Request, update_id: FromPath[int], data: JSONBody[ReviewIn]) -> UpdateOut:
        """Accept, or return with a comment."""
        return await progress.review_update(request.user, update_id, data.decision, data.comment)
