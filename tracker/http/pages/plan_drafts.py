"""The import preview page: the parsed plan beside its source text, corrected with plain forms
(one form, one button per action), stored in one transaction. Thin: read the form, call
tracker.services.plan_drafts, render or redirect."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath

from tracker.domain import plan_review as review
from tracker.domain.errors import DomainError
from tracker.http.guards import planner_guard
from tracker.http.pages.common import page, redirect
from tracker.schemas import PlanDraftOut
from tracker.services import plan_drafts

TASK_FIELDS = ("text", "number", "lead_units", "cooperating_units", "deadline_text", "deadline")


def anchor(key: str) -> str:
    """sections[0].items[1].tasks[2] → t-0-1-2, the task's element id."""
    s, i, t = plan_drafts.parse_task_key(key)
    return f"t-{s}-{i}-{t}"


def read_form(form) -> plan_drafts.DraftForm:
    """The preview form → a DraftForm; task fields are named by the task's key."""
    version = form.get("version", "")
    action = form.get("action") or "save"
    verb, _, key = action.partition(":")
    if verb == "move":
        action = f"move:{key}>{form.get(f'{key}.move_to', '')}"
    tasks: dict[review.TaskPath, review.TaskEdit] = {}
    for name in form:
        prefix, _, field = name.rpartition(".")
        if field != "text" or not prefix.startswith("sections["):
            continue
        path = plan_drafts.parse_task_key(prefix)
        lead, cooperating = form.get(f"{prefix}.lead_units"), form.get(f"{prefix}.cooperating_units")
        tasks[path] = review.TaskEdit(
            text=form.get(f"{prefix}.text"), number=form.get(f"{prefix}.number"),
            lead_units=None if lead is None else review.split_unit_names(lead),
            cooperating_units=None if cooperating is None else review.split_unit_names(cooperating),
            deadline_text=form.get(f"{prefix}.deadline_text"),
            deadline=form.get(f"{prefix}.deadline"))
    return plan_drafts.DraftForm(
        version=int(version) if version.isdigit() else None,
        title=form.get("plan.title"), year=form.get("plan.year"),
        doc_number=form.get("plan.doc_number"), issuer=form.get("plan.issuer"),
        tasks=tasks,
        choices={name[5:]: form.get(name, "") for name in form if name.startswith("unit:")},
        replace=form.get("replace") == "1" if "replace_shown" in form else None,
        action=action)


def render(request: Request, draft: PlanDraftOut, errors: list[tuple[str, str]] | None = None,
           typed: dict | None = None, status_code: int = 200) -> Response:
    line_tasks: dict[int, str] = {}
    items = []
    for s, section in enumerate(draft.sections):
        for i, item in enumerate(section.items):
            items.append((f"{s}.{i}", f"{section.number}、{item.number or ''}"
                          f"{item.title or section.title}"))
            for task in item.tasks:
                if task.line and task.line not in line_tasks:
                    line_tasks[task.line] = anchor(task.key)
    return page(request, "plan_draft.html", status_code=status_code, draft=draft,
                errors=dict(reversed(errors or [])), error_list=errors or [], typed=typed or {},
                items=items, line_tasks=line_tasks, anchor=anchor)


class PlanDraftPages(Controller):
    path = "/plans/drafts"
    include_in_schema = False
    guards = [planner_guard]

    @get("/{draft_id:str}")
    async def show(self, request: Request, draft_id: FromPath[str]) -> Response:
        return render(request, await plan_drafts.view_draft(draft_id, request.user.id))

    @post("/{draft_id:str}")
    async def edit(self, request: Request, draft_id: FromPath[str]) -> Response:
        form = await request.form()
        edits = read_form(form)
        draft, errors = await plan_drafts.edit_draft(draft_id, request.user.id, edits)
        directory = await plan_drafts.unit_directory()
        if errors:
            return render(request, plan_drafts.draft_out(draft, directory), errors,
                          typed=dict(form), status_code=400)
        if edits.action == "store":
            try:
                summary = await plan_drafts.store_draft(draft_id, request.user.id, draft.version)
            except review.DraftRefused as refused:
                return render(request, plan_drafts.draft_out(draft, directory), refused.errors,
                              status_code=400)
            except DomainError as error:
                return render(request, plan_drafts.draft_out(draft, directory),
                              [(error.field or "file", error.message)],
                              status_code=error.status_code)
            return redirect(f"/plans/{summary.plan_id}", "imported")
        key = edits.action.partition(":")[2].partition(">")[0]
        target = f"#{anchor(key)}" if key else ""
        return redirect(f"/plans/drafts/{draft_id}{target}", "draft_saved")

    @post("/{draft_id:str}/discard")
    async def discard(self, request: Request, draft_id: FromPath[str]) -> Response:
        await plan_drafts.discard_draft(draft_id, request.user.id)
        return redirect("/plans/import", "draft_discarded")
