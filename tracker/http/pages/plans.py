"""Pages for plans and tasks: the overview, a task with its history and forms, my tasks,
the review queue, plan import. Thin: parse the form, call a service, render or redirect."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, QueryParameter, URLEncodedBody
from litestar.response import File

from tracker.domain.errors import DomainError, InvalidInput
from tracker.domain.paging import check_page, filter_id, page_number
from tracker.domain.periods import parse_day, plan_periods
from tracker.domain.plan_filter import (
    count_tasks,
    filter_sections,
    page_of_sections,
    parse_filter,
)
from tracker.domain.plan_model import PlanParseError
from tracker.domain.plan_templates import TemplateError, dump_template
from tracker.domain.progress_input import validate_update, with_state_from_percent
from tracker.domain.roles import PLANNERS, REPORTER
from tracker.domain.status import current_period
from tracker.domain.vocabulary import EVIDENCE_STATE_LABELS
from tracker.http.forms import (
    MAX_UPLOAD_REQUEST_BYTES,
    UPDATE_FORM_FIELDS,
    evidence_from_form,
    form_fields,
    read_upload,
    refuse_unknown_fields,
)
from tracker.http.guards import planner_guard, reader_guard, reporter_guard
from tracker.http.pages.common import form_error, page, pager, redirect
from tracker.reporting import archive as report_archive
from tracker.reporting import figures
from tracker.services import (
    accounts,
    evidence,
    extensions,
    plan_drafts,
    planning,
    plans,
    progress,
    tracking,
)

FORM_TOKEN = "_submission"


def _unit_ids(values: list[str], field: str) -> list[int]:
    try:
        return [int(value) for value in values if value]
    except ValueError:
        raise InvalidInput("单位编号无效", field) from None


async def task_page(request: Request, task_id: int, status_code: int = 200,
                    form: dict | None = None, error: dict | None = None) -> Response:
    """A task with its history and forms; after a refused form, with the reason and what was typed."""
    detail = await progress.task_detail(request.user, task_id)
    user = request.user
    units = await accounts.list_units(include_inactive=False) if user.role in PLANNERS else []
    year = detail.context.plan_year
    periods = plan_periods(year) if year else []
    defaults = progress.update_form_defaults(detail.updates, user.unit_id,
                                             current_period(year))
    form = form or defaults.form
    form.setdefault(FORM_TOKEN, secrets.token_urlsafe(18))
    return page(request, "task.html", status_code=status_code, detail=detail, units=units,
                can_plan=user.role in PLANNERS,
                can_report=user.role == REPORTER and detail.my_role is not None,
                periods=periods, form=form, returned=defaults.returned, error=error,
                extensions=await extensions.for_task(user, task_id),
                extended_deadline=(await tracking.approved_deadlines([task_id])).get(task_id),
                evidence_checks=await evidence.evidence_for(
                    link for u in detail.updates for link in u.evidence_links),
                evidence_labels=EVIDENCE_STATE_LABELS)


# A plan this small shows every section open; a bigger one opens a section on demand, or all of
# them with ?expand=1 (the 2018 seed plan's 19 tasks are 5,700 px of cards on a phone).
OPEN_ALL_UP_TO = 10
# Past this many tasks the unfiltered tree lists its sections only, each a link to its own page
# (?section=N): a city's 2,000 tasks are a 1.1 MB page even folded.
SECTIONS_ONLY_FROM = 300
# A filtered tree or one section shows this many top-level tasks a page (with their sub-tasks):
# a city's section or status filter is hundreds of rows (issue 14: the page under 100 ms).
PLAN_PAGE_SIZE = 100


# The tree filtered for (plan, filter), kept with the tree and status snapshot it came from
# (cached objects, replaced when the plan's structure or its tasks' statuses change): paging
# through a filter, or the next coordinator with the same one, does not filter 2,000 tasks again.
_filters: dict[tuple, tuple] = {}
FILTERS_KEPT = 64


def _filtered(plan_id: int, detail, snapshot, wanted) -> tuple[list, int]:
    """The sections to show and how many tasks they hold."""
    if not wanted.active:
        return detail.sections, len(snapshot.statuses)
    known = _filters.get((plan_id, wanted))
    if known is not None and known[0] is detail and known[1] is snapshot:
        return known[2]
    shown = filter_sections(detail.sections, snapshot.codes, wanted)
    result = shown, sum(count_tasks(i.tasks) for s in shown for i in s.items)
    if len(_filters) >= FILTERS_KEPT:
        _filters.clear()
    _filters[(plan_id, wanted)] = (detail, snapshot, result)
    return result


class PlanPages(Controller):
    path = "/plans"
    include_in_schema = False
    guards = [reader_guard]

    @get("/")
    async def plan_list(self, request: Request) -> Response:
        return page(request, "plans.html", plans=await plans.list_plans())

    @get("/{plan_id:int}")
    async def overview(self, request: Request, plan_id: FromPath[int], as_of: FromQuery[str | None] = None,
                       unit: FromQuery[str | None] = None, status: FromQuery[str | None] = None,
                       section: FromQuery[str | None] = None,
                       q: FromQuery[str | None] = None,
                       expand: FromQuery[bool] = False,
                       page_no: Annotated[str | None, QueryParameter(name="page")] = None,
                       ) -> Response:
        wanted = parse_filter(unit, status, section, q)
        wanted_page = page_number(page_no)
        # One structure check for both (~2-3 ms of the database's time at city scale).
        shape = await plans.plan_shape(plan_id)
        detail = await plans.plan_tree(plan_id, shape)  # shared and read only: no copy of 2,000 tasks
        facts = await tracking.load_plan_facts(plan_id, shape)
        day = parse_day(as_of, "as_of") or tracking.default_as_of(detail.year, detail.reporting.due_day)
        snapshot = tracking.plan_snapshot(facts, day)  # shared: computed once per data version
        statuses = snapshot.statuses
        shown, shown_count = _filtered(plan_id, detail, snapshot, wanted)
        sections_only = not wanted.active and len(statuses) >= SECTIONS_ONLY_FROM
        shown, top_level = page_of_sections(shown, wanted_page, PLAN_PAGE_SIZE)
        check_page(wanted_page, 0 if sections_only else top_level, PLAN_PAGE_SIZE)
        params = {**wanted.as_query(), "as_of": as_of or "", "expand": "1" if expand else ""}
        return page(request, "plan.html", plan=detail, statuses=statuses, as_of=day,
                    wanted=wanted, shown_sections=shown, shown_count=shown_count,
                    total_count=len(statuses), open_all=expand or wanted.active or len(statuses) <= OPEN_ALL_UP_TO,
                    expanded=expand, sections_only=sections_only,
                    pages=pager(wanted_page, top_level, PLAN_PAGE_SIZE), params=params,
                    reports=await report_archive.list_reports(plan_id),
                    periods=plan_periods(detail.year) if detail.year else [],
                    default_period=current_period(detail.year, day),
                    warnings=snapshot.warnings, summary=snapshot.summary,
                    extended=snapshot.extended,
                    charts=[(name, figures.CHART_CAPTIONS[name]) for name in figures.OVERVIEW_CHARTS],
                    can_plan=request.user.role in PLANNERS)

    @get("/{plan_id:int}/export.yaml")
    async def export(self, plan_id: FromPath[int]) -> Response:
        text = dump_template(plans.template_from_plan(await plans.get_plan(plan_id)))
        return Response(text, media_type="application/yaml", headers={
            "Content-Disposition": f'attachment; filename="plan-{plan_id}.yaml"'})

    @get("/{plan_id:int}/charts/{chart:str}")
    async def chart(self, plan_id: FromPath[int], chart: FromPath[str],
                    as_of: FromQuery[str | None] = None,
                    shape: FromQuery[str | None] = None) -> Response:
        day = parse_day(as_of, "as_of")
        content, media_type = await report_archive.plan_chart(plan_id, chart, day, shape)
        return Response(content, media_type=media_type)

    @post("/{plan_id:int}/reporting", guards=[planner_guard])
    async def set_reporting(self, request: Request, plan_id: FromPath[int], data: URLEncodedBody[dict[str, str]]) -> Response:
        try:
            due_day, tolerance = int(data.get("due_day", "")), int(data.get("tolerance_percent", ""))
        except ValueError:
            raise InvalidInput("报送日和容差须为整数", "due_day") from None
        await planning.set_reporting(plan_id, due_day, tolerance, actor=request.user.id)
        return redirect(f"/plans/{plan_id}", "saved")

    @post("/{plan_id:int}/milestones", guards=[planner_guard])
    async def add_milestone(self, request: Request, plan_id: FromPath[int], data: URLEncodedBody[dict[str, str]]) -> Response:
        task = data.get("task_id") or ""
        try:
            await planning.add_milestone(plan_id, int(task) if task.isdigit() else None,
                                         data.get("title", ""), data.get("due_on", ""),
                                         actor=request.user.id)
        except InvalidInput as error:
            if not task.isdigit():
                raise
            return await task_page(request, int(task), 400, error=form_error(error))
        return redirect(f"/tasks/{task}" if task.isdigit() else f"/plans/{plan_id}", "saved")

    @get("/import", guards=[planner_guard])
    async def import_form(self, request: Request) -> Response:
        return page(request, "import.html", error=None, replace=False,
                    drafts=await plan_drafts.list_drafts(request.user.id))

    @post("/import", guards=[planner_guard],
          request_max_body_size=MAX_UPLOAD_REQUEST_BYTES)
    async def import_plan(self, request: Request) -> Response:
        """Parse the upload into a draft and show it for review; nothing is stored yet."""
        form = await request.form()
        replace = form.get("replace") == "1"
        try:
            content, name = await read_upload(form, "file")
            draft = await plan_drafts.create_draft(request.user.id, content, name, replace)
        except (DomainError, PlanParseError, TemplateError) as error:
            message = error.message if isinstance(error, DomainError) else str(error)
            status = error.status_code if isinstance(error, DomainError) else 400
            return page(request, "import.html", status_code=status, replace=replace,
                        error={"field": "file", "message": message},
                        drafts=await plan_drafts.list_drafts(request.user.id))
        return redirect(f"/plans/drafts/{draft.id}")


class TaskPages(Controller):
    path = "/"
    include_in_schema = False

    @get("/tasks/{task_id:int}")
    async def task(self, request: Request, task_id: FromPath[int]) -> Response:
        return await task_page(request, task_id)

    @post("/tasks/{task_id:int}/updates", guards=[reporter_guard],
          request_max_body_size=MAX_UPLOAD_REQUEST_BYTES)
    async def submit(self, request: Request, task_id: FromPath[int]) -> Response:
        form = await request.form()
        fields = form_fields(form)
        try:
            refuse_unknown_fields(form, UPDATE_FORM_FIELDS | {"_csrf_token", FORM_TOKEN})
            update = validate_update(with_state_from_percent(fields))
            # The form's one-time token: the same form sent twice (back button, double click)
            # is stored once, as the API's Idempotency-Key.
            await progress.submit_update(request.user, task_id, update,
                                         await evidence_from_form(form),
                                         idempotency_key=fields.get(FORM_TOKEN) or None)
        except InvalidInput as error:
            return await task_page(request, task_id, 400, form=fields, error=form_error(error))
        return redirect(f"/tasks/{task_id}", "submitted")

    @post("/tasks/{task_id:int}/edit", guards=[planner_guard])
    async def edit(self, request: Request, task_id: FromPath[int]) -> Response:
        form = await request.form()
        lead = form.get("lead_unit_id") or ""
        try:
            edit = planning.TaskEdit(
                lead_unit_ids=_unit_ids([lead], "lead_unit_ids"),
                cooperating_unit_ids=_unit_ids(form.getall("cooperating_unit_ids", []),
                                               "cooperating_unit_ids"),
                deadline=form.get("deadline", ""),
                deadline_text=form.get("deadline_text", ""),
            )
            version = int(form.get("version", "0"))
            await planning.edit_task(task_id, edit, version, actor=request.user.id)
        except (InvalidInput, ValueError) as error:
            if isinstance(error, ValueError):
                error = InvalidInput("版本号无效", "version")
            return await task_page(request, task_id, 400, error=form_error(error))
        warned = await planning.deadline_warnings(task_id)
        return redirect(f"/tasks/{task_id}", "saved_deadline_before_issue" if warned else "saved")

    @post("/tasks/{task_id:int}/attention", guards=[planner_guard])
    async def set_attention(self, request: Request, task_id: FromPath[int],
                            data: URLEncodedBody[dict[str, str]]) -> Response:
        note = data.get("attention_note", "") if data.get("flag") == "1" else ""
        if data.get("flag") == "1" and not note.strip():
            error = InvalidInput("提请领导关注须写明需要领导协调的事项", "attention_note")
            return await task_page(request, task_id, 400, error=form_error(error))
        try:
            await planning.set_attention(task_id, note, actor=request.user.id)
        except InvalidInput as error:
            return await task_page(request, task_id, 400, error=form_error(error))
        return redirect(f"/tasks/{task_id}", "saved")

    @post("/tasks/{task_id:int}/subtasks", guards=[planner_guard])
    async def add_subtask(self, request: Request, task_id: FromPath[int], data: URLEncodedBody[dict[str, str]]) -> Response:
        try:
            await planning.add_subtask(task_id, data.get("text", ""),
                                       _unit_ids([data.get("lead_unit_id", "")], "lead_unit_ids"),
                                       data.get("deadline", ""), actor=request.user.id)
        except InvalidInput as error:
            return await task_page(request, task_id, 400, error=form_error(error))
        return redirect(f"/tasks/{task_id}", "saved")

    @get("/my", guards=[reporter_guard])
    async def my_tasks(self, request: Request, period: FromQuery[str | None] = None) -> Response:
        if period:
            period = validate_update({"period": period, "percent": 0, "state": "not_started",
                                      "work_done": "-"}).period
        rows = await progress.my_tasks(request.user, period)
        return page(request, "my_tasks.html", rows=rows, period=period)

    async def _reviews(self, request: Request, status_code: int = 200, error: dict | None = None,
                       unit: str | None = None, period: str | None = None,
                       page_no: str | None = None,
                       batch: progress.BatchAccepted | None = None) -> Response:
        unit_id, wanted_page = filter_id(unit), page_number(page_no)
        result = await progress.review_queue_page(unit_id, period or None, wanted_page,
                                                  progress.REVIEW_PAGE_SIZE)
        check_page(wanted_page, result.total, progress.REVIEW_PAGE_SIZE)
        return page(request, "reviews.html", status_code=status_code, queue=result.rows,
                    total=result.total, error=error,
                    units=await accounts.list_units(include_inactive=False),
                    filters={"unit": str(unit_id or ""), "period": period or ""},
                    page_no=wanted_page, batch=batch,
                    pages=pager(wanted_page, result.total, progress.REVIEW_PAGE_SIZE))

    @get("/reviews", guards=[planner_guard])
    async def review_queue(self, request: Request, unit: FromQuery[str | None] = None,
                           period: FromQuery[str | None] = None,
                           page_no: Annotated[str | None, QueryParameter(name="page")] = None,
                           ) -> Response:
        return await self._reviews(request, unit=unit, period=period, page_no=page_no)

    @post("/reviews/accept", guards=[planner_guard])
    async def accept_selected(self, request: Request) -> Response:
        """通过所选: the updates ticked on the review page, accepted in one transaction. All
        accepted: back to the queue (same filters) with a notice; some skipped (decided or
        replaced meanwhile): the queue with each skipped one and why."""
        form = await request.form()
        filters = {"unit": form.get("unit") or None, "period": form.get("period") or None,
                   "page_no": form.get("page") or None}
        try:
            ids = [_update_id(raw) for raw in form.getall("update", [])]
            result = await progress.accept_many(request.user, ids)
        except InvalidInput as error:
            return await self._reviews(request, 400, form_error(error), **filters)
        if result.skipped:
            return await self._reviews(request, batch=result, **filters)
        return redirect(_reviews_path(filters), "batch_reviewed")

    @post("/updates/{update_id:int}/review", guards=[planner_guard])
    async def review(self, request: Request, update_id: FromPath[int], data: URLEncodedBody[dict[str, str]]) -> Response:
        try:
            update = await progress.review_update(request.user, update_id, data.get("decision", ""),
                                                  data.get("comment", ""))
        except InvalidInput as error:
            return await self._reviews(request, 400, {**form_error(error), "update_id": update_id,
                                                      "comment": data.get("comment", "")})
        target = data.get("back") or ""
        if target == "task":
            return redirect(f"/tasks/{update.task_id}", "reviewed")
        return redirect("/reviews", "reviewed")

    @get("/attachments/{attachment_id:int}")
    async def attachment(self, request: Request, attachment_id: FromPath[int]) -> File:
        path, name, content_type = await progress.attachment_file(request.user, attachment_id)
        # Always a download, never shown inline: a file claiming to be a PDF may hold HTML.
        return File(path=path, filename=name, media_type=content_type,
                    content_disposition_type="attachment",
                    headers={"X-Content-Type-Options": "nosniff"})


def _update_id(raw: str) -> int:
    if not (str(raw).isascii() and str(raw).isdigit()):  # "²" is a digit int() refuses
        raise InvalidInput(f"填报编号应为数字，收到“{str(raw)[:20]}”", "update")
    return int(raw)


def _reviews_path(filters: dict) -> str:
    """The review queue with the filters the form was posted from (checked again on the GET)."""
    query = urlencode({key: value for key, value in (("unit", filters["unit"]),
                                                      ("period", filters["period"]),
                                                      ("page", filters["page_no"])) if value})
    return f"/reviews?{query}" if query else "/reviews"
