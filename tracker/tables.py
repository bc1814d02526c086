"""Piccolo tables. Names follow the glossary in the design notes."""

from __future__ import annotations

from piccolo.columns import (
    BigInt,
    Boolean,
    Bytea,
    Date,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.reference import LazyTableReference
from piccolo.table import Table


class Unit(Table, tablename="unit"):
    """An organisational unit: 处室、分局、基层单位 (or an outside body named in a plan)."""

    name = Varchar(length=100, unique=True)
    active = Boolean(default=True)
    created_at = Timestamptz()
    # Place in the organisation's order (组织顺序); 0: where it was added (its id).
    position = Integer(default=0)


class Plan(Table, tablename="plan"):
    """One year's plan (工作要点 / 实施方案) of one issuing body."""

    title = Varchar(length=300)
    issuer = Varchar(length=200, null=True, default=None)
    doc_number = Varchar(length=100, null=True, default=None)
    issued_on = Date(null=True, default=None)
    year = Integer(null=True, default=None)
    preamble = Text(null=True, default=None)
    interpretation = Text(null=True, default=None)
    source_name = Varchar(length=300, null=True, default=None)
    # Reporting cycle: monthly, due on this day of the following month.
    reporting_cycle = Varchar(length=20, default="monthly")
    report_due_day = Integer(default=5)
    # Percentage points behind the linear schedule before a task counts as "behind".
    tolerance_percent = Integer(default=10)
    # Reminders go to units that have not reported this many days before the due day.
    remind_days_before = Integer(default=3)
    created_at = Timestamptz()
    version = Integer(default=1)
    # "own": a plan this body runs; "parent": a plan above it (上级), kept for reference only:
    # never assigned, chased or reported on.
    kind = Varchar(length=20, default="own")
    # The table also has `structure_version`, bumped by triggers on every write to the plan's
    # structure (see plan_cache.structure); left out here so the app never writes it.


class PlanRelation(Table, tablename="plan_relation"):
    """A plan's parent plan (上级, kind "parent") or the plan of last year it follows
    (承接上年, kind "follows")."""

    plan = ForeignKey(references=Plan, null=False, on_delete=OnDelete.cascade)
    related = ForeignKey(references=Plan, null=False, on_delete=OnDelete.cascade)
    kind = Varchar(length=20)  # parent | follows
    created_at = Timestamptz()


class Section(Table, tablename="plan_section"):
    """一、 top heading of a plan."""

    plan = ForeignKey(references=Plan, null=False, on_delete=OnDelete.cascade)
    position = Integer()
    number = Varchar(length=20)
    title = Varchar(length=300)


class Item(Table, tablename="plan_item"):
    """（一） second-level heading; number and title are null where a plan skips that level."""

    section = ForeignKey(references=Section, null=False, on_delete=OnDelete.cascade)
    position = Integer()
    number = Varchar(length=20, null=True, default=None)
    title = Varchar(length=300, null=True, default=None)


class Task(Table, tablename="task"):
    """The unit of work that is assigned and reported on."""

    plan = ForeignKey(references=Plan, null=False, on_delete=OnDelete.cascade)
    item = ForeignKey(references=Item, null=False, on_delete=OnDelete.cascade)
    parent = ForeignKey(
        references=LazyTableReference("Task", module_path=__name__),
        null=True,
        default=None,
        on_delete=OnDelete.cascade,
    )
    position = Integer()
    number = Varchar(length=20, null=True, default=None)
    text = Text()
    deadline_text = Varchar(length=100, null=True, default=None)
    deadline = Date(null=True, default=None)
    ongoing = Boolean(default=False)
    version = Integer(default=1)
    # 提请领导关注: the coordinator's sentence for the leadership report; null when not marked.
    attention_note = Text(null=True, default=None)
    # When the task was added after the plan's import (a sub-task); null: from the plan's start.
    created_at = Timestamptz(null=True, default=None)
    # Withdrawn (撤销) by a revision of the plan on this day: kept with its history, no longer
    # due from this day on.
    withdrawn_on = Date(null=True, default=None)


class TaskLink(Table, tablename="task_link"):
    """A task of our plan linked to the parent plan's clause it implements (kind "parent"), or
    to last year's task it continues (kind "follows"): suggested by text similarity, then
    confirmed or rejected by the coordinator."""

    task = ForeignKey(references=Task, null=False, on_delete=OnDelete.cascade)
    target = ForeignKey(references=Task, null=False, on_delete=OnDelete.cascade)
    kind = Varchar(length=20)  # parent | follows
    score = Integer(default=0)  # similarity in thousandths when suggested; 0 when set by hand
    state = Varchar(length=20, default="suggested")  # suggested | confirmed | rejected
    decided_by = ForeignKey(references=LazyTableReference("User", module_path=__name__),
                            null=True, default=None, on_delete=OnDelete.restrict)
    decided_at = Timestamptz(null=True, default=None)


class TaskUnit(Table, tablename="task_unit"):
    """A unit's part in a task: the lead unit (牵头单位) or a cooperating unit (配合单位)."""

    task = ForeignKey(references=Task, null=False, on_delete=OnDelete.cascade)
    unit = ForeignKey(references=Unit, null=False, on_delete=OnDelete.restrict)
    role = Varchar(length=20)  # "lead" | "cooperating"
    position = Integer(default=0)
    # When this part was given after the plan's import; null: from the plan's start.
    created_at = Timestamptz(null=True, default=None)


class Milestone(Table, tablename="milestone"):
    """A dated checkpoint (节点) of a task, or of the whole plan when task is null."""

    plan = ForeignKey(references=Plan, null=False, on_delete=OnDelete.cascade)
    task = ForeignKey(references=Task, null=True, default=None, on_delete=OnDelete.cascade)
    title = Varchar(length=300)
    due_on = Date()
    position = Integer(default=0)


class User(Table, tablename="app_user"):
    """A person who logs in. Reporters belong to one unit and see only its tasks."""

    username = Varchar(length=50, unique=True)
    display_name = Varchar(length=100)
    password_hash = Varchar(length=255, secret=True)
    role = Varchar(length=20)  # coordinator | reporter | leader | admin
    unit = ForeignKey(references=Unit, null=True, default=None, on_delete=OnDelete.restrict)
    active = Boolean(default=True)
    created_at = Timestamptz()


class ApiToken(Table, tablename="api_token"):
    """A bearer token for the API; only its SHA-256 is stored."""

    user = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade)
    token_hash = Varchar(length=64, unique=True)
    name = Varchar(length=100, default="")
    created_at = Timestamptz()
    expires_at = Timestamptz()
    revoked = Boolean(default=False)


class UserSession(Table, tablename="user_session"):
    """A logged-in page session; the cookie carries a random id, only its SHA-256 is stored.
    Logout deletes the row; a new password or a deactivation deletes all of the user's."""

    user = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade, index=True)
    session_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz()


class LoginThrottle(Table, tablename="login_throttle"):
    """Recent failed logins under one key (an account, an address, or both), and when the
    delay they earned ends (tracker/domain/login_throttle.py). Unique on (scope, key)."""

    scope = Varchar(length=10)  # pair | account | address
    key = Varchar(length=200)
    failures = Integer(default=0)
    last_failure_at = Timestamptz()
    blocked_until = Timestamptz(null=True, default=None, index=True)


class ProgressUpdate(Table, tablename="progress_update"):
    """A unit's report (进展填报) on one task for one period. Never updated: a correction is a
    new row with the next version number."""

    task = ForeignKey(references=Task, null=False, on_delete=OnDelete.restrict)
    unit = ForeignKey(references=Unit, null=False, on_delete=OnDelete.restrict)
    period = Varchar(length=7, index=True)  # YYYY-MM
    version = Integer()
    role = Varchar(length=20)  # lead | cooperating, as assigned when submitted
    percent = Integer()
    state = Varchar(length=20)  # not_started | in_progress | done | blocked
    work_done = Text(default="")
    problems = Text(default="")
    next_steps = Text(default="")
    evidence_links = Text(default="[]")  # JSON list of URLs
    submitted_by = ForeignKey(references=User, null=False, on_delete=OnDelete.restrict)
    submitted_at = Timestamptz(index=True)
    idempotency_key = Varchar(length=100, null=True, default=None, unique=True)
    # SHA-256 of what was submitted with the key (services.progress.request_fingerprint).
    request_fingerprint = Varchar(length=64, null=True, default=None)


class Attachment(Table, tablename="attachment"):
    """An evidence file, stored outside the web root under a generated name."""

    update = ForeignKey(references=ProgressUpdate, null=False, on_delete=OnDelete.restrict)
    original_name = Varchar(length=255)
    stored_name = Varchar(length=100, unique=True)
    content_type = Varchar(length=100)
    size = Integer()
    sha256 = Varchar(length=64)
    uploaded_at = Timestamptz()


class Review(Table, tablename="review"):
    """The coordinator's decision on an update (审核): accepted, or returned with a comment."""

    update = ForeignKey(references=ProgressUpdate, null=False, on_delete=OnDelete.restrict)
    reviewer = ForeignKey(references=User, null=False, on_delete=OnDelete.restrict)
    decision = Varchar(length=20)  # accepted | returned
    comment = Text(default="")
    decided_at = Timestamptz()


class GeneratedReport(Table, tablename="generated_report"):
    """A report as generated and archived (PDF/A), with its parameters and SHA-256."""

    plan = ForeignKey(references=Plan, null=False, on_delete=OnDelete.restrict)
    period = Varchar(length=7)
    as_of = Date()
    edition = Varchar(length=20)  # monthly | unit | year_end
    unit = ForeignKey(references=Unit, null=True, default=None, on_delete=OnDelete.restrict)
    sha256 = Varchar(length=64)
    size = Integer()
    stored_name = Varchar(length=100, unique=True)
    created_at = Timestamptz()
    created_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.restrict)
    # SHA-256 of the report's content (its model without the generation time): generating the
    # same content again returns this row.
    fingerprint = Varchar(length=64, null=True, default=None)
    docx_name = Varchar(length=100, null=True, default=None)  # the editable Word copy
    docx_size = Integer(null=True, default=None)


class ExtensionRequest(Table, tablename="extension_request"):
    """A unit's request for a later deadline (延期申请); the original deadline stays on the task."""

    task = ForeignKey(references=Task, null=False, on_delete=OnDelete.restrict)
    unit = ForeignKey(references=Unit, null=False, on_delete=OnDelete.restrict)
    requested_by = ForeignKey(references=User, null=False, on_delete=OnDelete.restrict)
    requested_deadline = Date()
    reason = Text()
    created_at = Timestamptz()
    decision = Varchar(length=20, null=True, default=None)  # approved | refused; null: pending
    decided_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.restrict)
    decided_at = Timestamptz(null=True, default=None)
    comment = Text(default="")


class AuditEntry(Table, tablename="audit_entry"):
    """Who changed what, when, with the values before and after (JSON). Never updated."""

    at = Timestamptz(index=True)
    user = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.restrict)
    action = Varchar(length=50)
    entity = Varchar(length=50)
    entity_id = Integer(null=True, default=None)
    plan_id = Integer(null=True, default=None, index=True)
    before = Text(null=True, default=None)
    after = Text(null=True, default=None)
    summary = Varchar(length=300, default="")


class NotificationChannel(Table, tablename="notification_channel"):
    """Where notices go: a JSON webhook, a WeCom or DingTalk group robot, or e-mail."""

    plan = ForeignKey(references=Plan, null=True, default=None, on_delete=OnDelete.cascade)
    kind = Varchar(length=20)  # webhook | wecom | dingtalk | email
    name = Varchar(length=100)
    target = Text()  # URL, or comma-separated e-mail addresses
    secret = Varchar(length=200, null=True, default=None, secret=True)  # DingTalk signing
    events = Text(default="[]")  # JSON list of event names; empty: all
    active = Boolean(default=True)
    created_at = Timestamptz()


class Notification(Table, tablename="notification"):
    """The outbox: one notice for one channel, retried until sent or given up."""

    channel = ForeignKey(references=NotificationChannel, null=False, on_delete=OnDelete.cascade)
    event = Varchar(length=50)
    dedupe_key = Varchar(length=200, unique=True)  # the same notice is never queued twice
    payload = Text()  # JSON: title, text, and event details
    created_at = Timestamptz()
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(index=True)
    sent_at = Timestamptz(null=True, default=None)
    failed_at = Timestamptz(null=True, default=None)  # given up after the last attempt
    last_error = Text(default="")


class EvidenceUrl(Table, tablename="evidence_url"):
    """A published page cited as evidence, and what the last check found."""

    url = Varchar(length=500, unique=True)
    expected_title = Varchar(length=300, null=True, default=None)
    state = Varchar(length=20, default="unchecked")  # unchecked | ok | dead | no_title | refused
    http_status = Integer(null=True, default=None)
    detail = Text(default="")
    checked_at = Timestamptz(null=True, default=None)


class InboxNotice(Table, tablename="inbox_notice"):
    """An in-app notice (站内通知) for one person: a returned update, a deadline coming up, a
    decision on an extension, a 催报. Written in the transaction of the event that causes it."""

    recipient = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade)
    kind = Varchar(length=30)  # update_returned | deadline_soon | extension_decided | ...
    title = Varchar(length=300)
    body = Text(default="")
    link = Varchar(length=300, default="")  # a local path, e.g. /tasks/12
    dedupe_key = Varchar(length=200, null=True, default=None, unique=True)
    created_at = Timestamptz()
    read_at = Timestamptz(null=True, default=None)


class ChaseRecord(Table, tablename="chase_record"):
    """One 催报 sent by a coordinator to a unit for a period: who, when, through which channels.
    ``sequence`` counts the reminders of that unit, period and day (1: the first, 2: 再次催报)."""

    plan = ForeignKey(references=Plan, null=False, on_delete=OnDelete.cascade)
    unit = ForeignKey(references=Unit, null=False, on_delete=OnDelete.cascade)
    period = Varchar(length=7)
    day = Date()  # the users' (Beijing) day it was sent on
    sequence = Integer(default=1)
    reminded_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    reminded_at = Timestamptz()
    channels = Text(default="[]")  # JSON list of the channels' names, 站内通知 first
    tasks = Integer(default=0)  # tasks not reported when it was sent
    recipients = Integer(default=0)  # in-app notices written


class ReportJob(Table, tablename="report_job"):
    """A report someone asked for on the page (生成): the request, the step it is at, and the
    archived report it made. In the database, so that any instance shows its progress and any
    worker (the queue on PostgreSQL, the server itself on SQLite) can run or retry it."""

    token = Varchar(length=32, unique=True)  # the job's id in its page's address
    plan = ForeignKey(references=Plan, null=False, on_delete=OnDelete.cascade)
    period = Varchar(length=7)
    as_of = Date()
    edition = Varchar(length=20)
    unit = ForeignKey(references=Unit, null=True, default=None, on_delete=OnDelete.cascade)
    requested_by = ForeignKey(references=User, null=True, default=None,
                              on_delete=OnDelete.set_null)
    state = Varchar(length=10, default="running")  # running | done | failed
    step = Integer(default=0)
    report = ForeignKey(references=GeneratedReport, null=True, default=None,
                        on_delete=OnDelete.set_null)
    reused = Boolean(default=False)
    error = Text(default="")
    created_at = Timestamptz()


class JobError(Table, tablename="job_error"):
    """Why an attempt of a queued job failed (the queue keeps the job and its attempts, not the
    error): what the administrator's list of failed jobs shows."""

    job_id = BigInt()  # procrastinate_jobs.id
    task = Varchar(length=128)
    attempt = Integer()
    error = Text(default="")
    created_at = Timestamptz()


class PlanDraft(Table, tablename="plan_draft"):
    """A plan import kept while the coordinator corrects it (tracker/services/plan_drafts.py),
    in the database so that any instance can show, edit and store it."""

    draft_key = Varchar(length=32, unique=True)  # the random id in the draft's address
    owner = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade, index=True)
    version = Integer(default=1)  # every saved edit bumps it: two windows never overwrite
    body = Text()  # JSON: file name, source text, the tree, the unit choices
    saved_at = Timestamptz(index=True)


class StagedUpload(Table, tablename="staged_upload"):
    """A task-division table previewed and waiting for its confirmation (the page confirms
    without uploading the file again, possibly on another instance); kept a day."""

    upload_key = Varchar(length=32, unique=True)
    owner = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade, index=True)
    preview = Text()  # JSON of the AssignmentPreview shown
    content = Bytea()
    created_at = Timestamptz(index=True)
