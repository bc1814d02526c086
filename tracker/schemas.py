"""Shapes at the API edge (msgspec Structs). Services build these from rows; nothing returns ORM rows."""

from __future__ import annotations

import msgspec


class MilestoneOut(msgspec.Struct):
    id: int
    title: str
    due_on: str


class TaskOut(msgspec.Struct):
    id: int
    number: str | None
    text: str
    lead_units: list[str]
    cooperating_units: list[str]
    deadline_text: str | None
    deadline: str | None  # YYYY-MM-DD, "ongoing" or null
    milestones: list[MilestoneOut] = []
    subtasks: list[TaskOut] = []
    withdrawn_on: str | None = None  # 撤销 by a revision on this day (YYYY-MM-DD)


class ItemOut(msgspec.Struct):
    id: int
    number: str | None
    title: str | None
    tasks: list[TaskOut]


class SectionOut(msgspec.Struct):
    id: int
    number: str
    title: str
    items: list[ItemOut]


class ReportingOut(msgspec.Struct):
    cycle: str
    due_day: int
    tolerance_percent: int


class PlanSummary(msgspec.Struct):
    id: int
    title: str
    issuer: str | None
    doc_number: str | None
    issued_on: str | None
    year: int | None
    task_count: int
    unassigned_count: int
    created_at: str
    kind: str = "own"  # own | parent (上级: reference only)


class PlanDetail(msgspec.Struct):
    id: int
    title: str
    issuer: str | None
    doc_number: str | None
    issued_on: str | None
    year: int | None
    preamble: str | None
    interpretation: str | None
    reporting: ReportingOut
    units: list[str]
    milestones: list[MilestoneOut]
    sections: list[SectionOut]
    kind: str = "own"  # own | parent (上级: reference only)


class ImportSummary(msgspec.Struct):
    plan_id: int
    title: str
    sections: int
    items: int
    tasks: int
    assignments: int
    unassigned_tasks: int
    milestones: int
    units_created: list[str]
    replaced_plan_id: int | None = None


class ErrorOut(msgspec.Struct):
    """Every refusal: a one-line reason, and the field at fault where there is one."""

    status_code: int
    detail: str
    field: str | None = None
    # Every field at fault, when a refusal names several (left out otherwise).
    errors: list[FieldErrorOut] | msgspec.UnsetType = msgspec.UNSET
    # For unexpected errors (500): the id in the server log's entry; every answer also carries
    # it as X-Request-ID. Left out of other refusals.
    request_id: str | msgspec.UnsetType = msgspec.UNSET


class UnitOut(msgspec.Struct):
    id: int
    name: str
    active: bool
    position: int = 0  # the organisation's order


class UserOut(msgspec.Struct):
    id: int
    username: str
    display_name: str
    role: str
    unit_id: int | None
    unit_name: str | None
    active: bool


class TokenOut(msgspec.Struct):
    token: str
    expires_at: str
    user: UserOut


class ReviewOut(msgspec.Struct):
    id: int
    decision: str  # accepted | returned
    comment: str
    reviewer: str
    decided_at: str


class AttachmentOut(msgspec.Struct):
    id: int
    name: str
    content_type: str
    size: int


class UpdateOut(msgspec.Struct):
    id: int
    task_id: int
    unit_id: int
    unit_name: str
    role: str
    period: str
    version: int
    percent: int
    state: str
    work_done: str
    problems: str
    next_steps: str
    evidence_links: list[str]
    submitted_by: str
    submitted_at: str
    review_state: str  # submitted | accepted | returned | superseded (undecided, replaced)
    reviews: list[ReviewOut]
    attachments: list[AttachmentOut]
    superseded_by: int | None = None  # the version that replaced this one


class UpdateIn(msgspec.Struct, forbid_unknown_fields=True):
    """What a unit submits. Its unit, role, version and reviewer are never taken from the body."""

    period: str
    percent: int
    state: str
    work_done: str
    problems: str = ""
    next_steps: str = ""
    evidence_links: list[str] = []


class ReviewIn(msgspec.Struct, forbid_unknown_fields=True):
    decision: str  # accept | return
    comment: str = ""


class AcceptManyIn(msgspec.Struct, forbid_unknown_fields=True):
    update_ids: list[int]


class SkippedReviewOut(msgspec.Struct):
    update_id: int
    reason: str  # why it was not accepted: decided or replaced meanwhile, or not found


class AcceptManyOut(msgspec.Struct):
    accepted: list[int]
    skipped: list[SkippedReviewOut]


class TaskContext(msgspec.Struct):
    plan_id: int
    plan_title: str
    plan_year: int | None
    section: str
    item: str | None
    parent_id: int | None
    version: int
    due_day: int
    attention_note: str | None = None  # 提请领导关注, set by the coordinator


class TaskDetail(msgspec.Struct):
    task: TaskOut
    context: TaskContext
    my_role: str | None  # lead | cooperating | None (not the user's unit's task)
    updates: list[UpdateOut]  # every version, newest first


class MyTaskRow(msgspec.Struct):
    task_id: int
    plan_id: int
    plan_title: str
    number: str | None
    text: str
    role: str
    deadline: str | None
    period: str
    due_on: str
    latest: UpdateOut | None  # this period's latest version
    last_percent: int | None  # latest version of any period
    needs_action: bool
    warning: str | None = None  # blue | yellow | red as the deadline (or extension) nears
    extended_deadline: str | None = None


class ReviewQueueRow(msgspec.Struct):
    update: UpdateOut
    task_text: str
    task_number: str | None
    plan_id: int
    plan_title: str


class ReportOut(msgspec.Struct):
    id: int
    plan_id: int
    period: str
    as_of: str
    edition: str
    unit_name: str | None
    sha256: str
    size: int
    created_at: str
    download_url: str  # the PDF/A
    docx_url: str | None = None  # the editable Word copy (made on its first download)


class ReportJobOut(msgspec.Struct):
    """A report being generated in the background (POST answers 202 with this; poll
    status_url until state is done or failed)."""

    id: str
    state: str  # running | done | failed
    step: str  # the step it is at (Chinese, as the page shows it)
    done_steps: int
    total_steps: int
    reused: bool  # done: an archived report with the same content was returned
    error: str | None  # failed: why, in one line
    status_url: str
    report: ReportOut | None = None  # done: the archived report


class ReportIn(msgspec.Struct, forbid_unknown_fields=True):
    period: str
    as_of: str | None = None
    edition: str = "monthly"  # monthly (leadership) | detail | unit | year_end
    unit: str | None = None  # unit name, for the unit edition


class AuditChange(msgspec.Struct):
    """One field of an audited change: its Chinese name, and the values before and after."""

    field: str
    before: str
    after: str


class AuditOut(msgspec.Struct):
    id: int
    at: str
    user: str | None
    action: str
    entity: str
    entity_id: int | None
    plan_id: int | None
    summary: str
    before: object | None
    after: object | None
    changes: list[AuditChange] = []  # the same, as people read it: Chinese names and labels




class ExtensionOut(msgspec.Struct):
    id: int
    task_id: int
    unit_name: str
    requested_by: str
    requested_deadline: str
    original_deadline: str | None
    reason: str
    created_at: str
    decision: str | None  # approved | refused | None (pending)
    decided_by: str | None
    decided_at: str | None
    comment: str


class ExtensionIn(msgspec.Struct, forbid_unknown_fields=True):
    requested_deadline: str
    reason: str


class DecisionIn(msgspec.Struct, forbid_unknown_fields=True):
    decision: str  # approve | refuse
    comment: str = ""


class ChaseUnit(msgspec.Struct):
    unit: str
    missing_tasks: list[str]  # tasks the unit has not reported for the period
    late: int  # reports for the period that came in after the due day
    unit_id: int = 0
    missing_task_ids: list[int] = []


class ChaseTask(msgspec.Struct):
    task_id: int
    text: str
    lead_units: list[str]
    status: str
    percent: int
    expected: float | None
    deadline: str | None
    warning: str | None  # blue | yellow | red
    extended_deadline: str | None = None  # an approved extension in force as of the date


class ChaseMilestone(msgspec.Struct):
    title: str
    due_on: str
    state: str
    task_id: int | None


class ChasingOut(msgspec.Struct):
    plan_id: int
    period: str
    due_on: str
    as_of: str
    not_reported: list[ChaseUnit]
    overdue: list[ChaseTask]
    behind: list[ChaseTask]
    due_soon: list[ChaseTask]
    missed_milestones: list[ChaseMilestone]
    # Each list's full length when the lists are one page of it (limit/offset, ?page=N).
    totals: dict[str, int] = {}


class RankingRow(msgspec.Struct):
    rank: int
    unit: str
    tasks: int
    percent: float
    timeliness: float | None
    due: int
    on_time: int
    late: int
    missing: int


class RankingOut(msgspec.Struct):
    plan_id: int
    period: str
    as_of: str
    rule: str
    rows: list[RankingRow]


# --- notices and evidence (tracker/notify, tracker/evidence.py) ---------------------------


class ChannelIn(msgspec.Struct, forbid_unknown_fields=True):
    """A place notices go. ``events`` empty: every event; ``plan_id`` null: every plan."""

    kind: str  # webhook | wecom | dingtalk | email
    name: str
    target: str  # the robot's or webhook's URL, or comma-separated e-mail addresses
    plan_id: int | None = None
    events: list[str] = []
    secret: str | None = None  # DingTalk signing secret (SEC…), or a generic webhook's HMAC key


class ChannelOut(msgspec.Struct):
    id: int
    kind: str
    name: str
    target: str  # a URL's query values (robot keys, tokens) are masked
    plan_id: int | None
    plan_title: str | None
    events: list[str]
    has_secret: bool
    active: bool
    created_at: str


class FailedJobOut(msgspec.Struct):
    """A background job that failed after its retries (the queue's dead letters)."""

    id: int
    task: str
    task_label: str
    args: str  # a short summary of the job's arguments
    attempts: int
    error: str
    failed_at: str | None


class NotificationOut(msgspec.Struct):
    id: int
    channel_id: int
    channel_name: str
    channel_kind: str
    event: str
    title: str
    state: str  # pending | sent | failed
    attempts: int
    next_attempt_at: str | None
    sent_at: str | None
    failed_at: str | None
    last_error: str
    created_at: str


class EvidenceCitation(msgspec.Struct):
    update_id: int
    task_id: int
    plan_id: int
    unit_name: str
    period: str


class EvidenceOut(msgspec.Struct):
    id: int
    url: str
    expected_title: str | None
    state: str  # unchecked | ok | dead | no_title | refused
    http_status: int | None
    detail: str
    checked_at: str | None
    cited_by: list[EvidenceCitation] = []


# --- the import preview: a draft plan the coordinator corrects before it is stored ------------


class DraftWarning(msgspec.Struct):
    code: str  # no_unit | unknown_unit | deadline_unresolved | parser
    message: str
    field: str  # the task's field it is about


class DraftMilestone(msgspec.Struct):
    title: str
    due_on: str  # YYYY-MM-DD


class DraftTask(msgspec.Struct, kw_only=True):
    number: str | None = None
    text: str
    lead_units: list[str] = []
    cooperating_units: list[str] = []
    deadline_text: str | None = None  # as written
    deadline: str | None = None  # YYYY-MM-DD, "ongoing" or null
    line: int | None = None  # source lines the task came from
    end_line: int | None = None
    milestones: list[DraftMilestone] = []
    subtasks: list[DraftTask] = []
    key: str | None = None  # output only: sections[s].items[i].tasks[t], the field prefix
    warnings: list[DraftWarning] = []  # output only


class DraftItem(msgspec.Struct, kw_only=True):
    number: str | None = None
    title: str | None = None
    tasks: list[DraftTask] = []


class DraftSection(msgspec.Struct, kw_only=True):
    number: str
    title: str
    items: list[DraftItem] = []


class DraftPlanMeta(msgspec.Struct, kw_only=True):
    title: str = ""
    issuer: str | None = None
    doc_number: str | None = None
    issued_on: str | None = None
    year: int | None = None
    preamble: str | None = None
    interpretation: str | None = None


class UnitChoiceIn(msgspec.Struct, forbid_unknown_fields=True):
    action: str  # create | map | unassigned
    unit: str | None = None  # map: a known unit's name


class DraftUnit(msgspec.Struct):
    name: str  # as written in the plan
    match: str  # exact | alias | new
    unit: str | None  # the known unit it stands for (exact, alias)
    candidates: list[str]  # new: known units with the same alias key
    choice: UnitChoiceIn | None  # the coordinator's decision so far


class PlanDraftOut(msgspec.Struct):
    id: str
    version: int
    file_name: str
    replace: bool
    plan: DraftPlanMeta
    sections: list[DraftSection]
    units: list[DraftUnit]
    warnings: int  # tasks with something to check
    known_units: list[str]
    source_lines: list[str]  # the text the tasks' line numbers refer to (line 1 first)


class PlanDraftIn(msgspec.Struct, forbid_unknown_fields=True):
    """The corrected tree to store (PUT); `version` is the draft's version the edits start from."""

    version: int
    plan: DraftPlanMeta
    sections: list[DraftSection]
    unit_choices: dict[str, UnitChoiceIn] = {}
    replace: bool = False


class FieldErrorOut(msgspec.Struct):
    field: str
    message: str
# --- accounts (input) ----------------------------------------------------------------------


class TokenIn(msgspec.Struct, forbid_unknown_fields=True):
    username: str
    password: str
    name: str = ""


class UnitIn(msgspec.Struct, forbid_unknown_fields=True):
    name: str


class UnitPatch(msgspec.Struct, forbid_unknown_fields=True):
    active: bool


class UserIn(msgspec.Struct, forbid_unknown_fields=True):
    username: str
    display_name: str
    password: str
    role: str
    unit_id: int | None = None


class UserPatch(msgspec.Struct, forbid_unknown_fields=True):
    active: bool | None = None
    password: str | None = None


# --- planning (input) ----------------------------------------------------------------------


class TaskPatch(msgspec.Struct, forbid_unknown_fields=True):
    version: int  # the version the editor saw; a stale one gets 409
    lead_unit_ids: list[int] | None = None
    cooperating_unit_ids: list[int] | None = None
    deadline: str | None = None
    deadline_text: str | None = None
    text: str | None = None


class TaskVersion(msgspec.Struct):
    task_id: int
    version: int
    warnings: list[str] = []  # accepted, but worth a second look (e.g. a deadline before issue)


class SubtaskIn(msgspec.Struct, forbid_unknown_fields=True):
    text: str
    lead_unit_ids: list[int] = []
    deadline: str = ""


class MilestoneIn(msgspec.Struct, forbid_unknown_fields=True):
    title: str
    due_on: str
    task_id: int | None = None


class ReportingIn(msgspec.Struct, forbid_unknown_fields=True):
    due_day: int
    tolerance_percent: int = 10


# --- bulk assignment from a task-division table (ledger import) ----------------------------


class UnitsChange(msgspec.Struct):
    before: list[str]
    after: list[str]


class DeadlineChange(msgspec.Struct):
    before_text: str | None
    before: str | None  # YYYY-MM-DD | "ongoing" | None
    after_text: str | None
    after: str | None


class AssignmentRowOut(msgspec.Struct):
    row: int  # the sheet's row number
    number: str | None  # 序号 as written
    text: str  # 工作任务 as written
    outcome: str  # "change" | "same" | "refused"
    reason: str | None = None  # why refused
    task_id: int | None = None
    task_path: str | None = None  # 一/（一）/1
    task_text: str | None = None
    task_version: int | None = None
    matched_by: str | None = None  # exact | normalised | prefix | number
    lead: UnitsChange | None = None  # None: unchanged
    cooperating: UnitsChange | None = None
    deadline: DeadlineChange | None = None
    new_units: list[str] = []  # units this row would create


class AssignmentPreview(msgspec.Struct):
    plan_id: int
    file_name: str
    sheet: str | None
    header_row: int
    columns: dict[str, str]  # role → header as written
    create_units: bool
    rows: list[AssignmentRowOut]
    changed: int
    unchanged: int
    refused: int
    units_to_create: list[str]
    token: str  # a digest of the rows: apply with it refuses if anything changed since
    upload_id: str | None = None  # the staged file, for confirming without uploading again


class AssignmentSummary(msgspec.Struct):
    plan_id: int
    tasks_changed: int
    rows_unchanged: int
    rows_skipped: int
    units_created: list[str]
    task_ids: list[int]
