"""Progress updates (进展填报) and their review (审核).

Updates are only ever inserted: a correction is the next version of the same (task, unit,
period); a review is a new row. So the whole exchange stays in the task's history.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from bisect import insort
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tracker.db import (
    Statement,
    is_sqlite,
    is_unique_violation,
    sent_with_commit,
    write_transaction,
)
from tracker.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from tracker.domain.periods import check_period_in_year, due_date, parse_period, period_start
from tracker.domain.plan_model import COOPERATING, LEAD
from tracker.domain.progress_input import AUTO_STATE, EvidenceFile, UpdateInput, validate_evidence
from tracker.domain.roles import PLANNERS, READERS_OF_ALL, REPORTER
from tracker.domain.status import current_period, deadline_warning, withdrawn_before
from tracker.domain.status import today as local_today
from tracker.schemas import (
    AttachmentOut,
    MyTaskRow,
    ReviewOut,
    ReviewQueueRow,
    TaskContext,
    TaskDetail,
    UpdateOut,
)
from tracker.services import audit, evidence, plan_cache
from tracker.services.access import task_access
from tracker.services.accounts import CurrentUser
from tracker.services.notices import note_update_returned, notify_update_returned
from tracker.services.plans import get_plan
from tracker.services.tracking import approved_deadlines
from tracker.settings import get_settings
from tracker.tables import Attachment, Item, ProgressUpdate, Review, Section, Task, TaskUnit

SUBMITTED = "submitted"
ACCEPTED = "accepted"
RETURNED = "returned"
SUPERSEDED = "superseded"  # never decided, and a later version replaced it
DECISIONS = {"accept": ACCEPTED, "return": RETURNED}
MAX_COMMENT = 1000
MAX_BATCH_REVIEW = 200  # accepted at once (通过所选): more than a page of the queue


def attachments_dir() -> Path:
    """Evidence lives in the data directory, outside anything served as static files."""
    path = get_settings().data_dir / "attachments"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds")


# --- reading -------------------------------------------------------------------------------


_REVIEW_COLUMNS = (Review.id, Review.update, Review.decision, Review.comment, Review.decided_at,
                   Review.reviewer.display_name)  # built once: joins are costly to rebuild


async def _updates_out(rows: list[dict], undecided_latest: bool = False) -> list[UpdateOut]:
    """Attach reviews, attachments and names to update rows, in one query each.
    `undecided_latest`: the rows are the review queue's, each the latest version of its
    period with no decision yet, so there are no reviews and no newer versions to look up."""
    ids = [row["id"] for row in rows] or [0]
    reviews = defaultdict(list)
    latest_version: dict[tuple[int, int, str], int] = defaultdict(int)
    if not undecided_latest:
        for review in await Review.select(*_REVIEW_COLUMNS).where(Review.update.is_in(ids)).order_by(Review.decided_at).order_by(Review.id):
            reviews[review["update"]].append(ReviewOut(
                id=review["id"], decision=review["decision"], comment=review["comment"],
                reviewer=review["reviewer.display_name"], decided_at=_iso(review["decided_at"])))
        latest_version = await _latest_versions(rows)
    files = defaultdict(list)
    for file in await Attachment.select(
        Attachment.id, Attachment.update, Attachment.original_name, Attachment.content_type,
        Attachment.size,
    ).where(Attachment.update.is_in(ids)).order_by(Attachment.id):
        files[file["update"]].append(AttachmentOut(
            id=file["id"], name=file["original_name"], content_type=file["content_type"],
            size=file["size"]))
    outs = []
    for row in rows:
        superseded = latest_version[(row["task"], row["unit"], row["period"])] > row["version"]
        if reviews[row["id"]]:
            review_state = reviews[row["id"]][-1].decision
        else:
            review_state = SUPERSEDED if superseded else SUBMITTED
        outs.append(UpdateOut(
            id=row["id"], task_id=row["task"], unit_id=row["unit"], unit_name=row["unit.name"],
            role=row["role"], period=row["period"], version=row["version"], percent=row["percent"],
            state=row["state"], work_done=row["work_done"], problems=row["problems"],
            next_steps=row["next_steps"], evidence_links=json.loads(row["evidence_links"]),
            submitted_by=row["submitted_by.display_name"], submitted_at=_iso(row["submitted_at"]),
            review_state=review_state, reviews=reviews[row["id"]], attachments=files[row["id"]],
            superseded_by=row["version"] + 1 if superseded else None,
        ))
    return outs


async def _latest_versions(rows: list[dict]) -> dict[tuple[int, int, str], int]:
    """The latest version of each (task, unit, period) the rows belong to, in one query."""
    latest: dict[tuple[int, int, str], int] = defaultdict(int)
    if not rows:
        return latest
    tasks, units = {row["task"] for row in rows}, {row["unit"] for row in rows}
    periods = {row["period"] for row in rows}
    for other in await ProgressUpdate.select(
            ProgressUpdate.task, ProgressUpdate.unit, ProgressUpdate.period, ProgressUpdate.version,
    ).where(ProgressUpdate.task.is_in(list(tasks)), ProgressUpdate.unit.is_in(list(units)),
            ProgressUpdate.period.is_in(list(periods))):
        key = (other["task"], other["unit"], other["period"])
        latest[key] = max(latest[key], other["version"])
    return latest


_UPDATE_COLUMNS = (
    ProgressUpdate.all_columns(), ProgressUpdate.unit.name, ProgressUpdate.submitted_by.display_name,
)


def _select_updates():
    return ProgressUpdate.select(*_UPDATE_COLUMNS)


async def get_update(user: CurrentUser, update_id: int) -> UpdateOut:
    row = await _select_updates().where(ProgressUpdate.id == update_id).first()
    if row is None:
        raise NotFound(f"填报 {update_id} 不存在", "update_id")
    if user.role not in READERS_OF_ALL and row["unit"] != user.unit_id:
        # A lead unit may read its cooperating units' contributions to its own tasks. Anyone
        # else gets the same answer as for an update that does not exist (no task id leaked).
        try:
            access = await task_access(user, row["task"])
        except NotFound:
            access = None
        if access is None or access.my_role != LEAD:
            raise NotFound(f"填报 {update_id} 不存在", "update_id")
    return (await _updates_out([row]))[0]


async def task_detail(user: CurrentUser, task_id: int) -> TaskDetail:
    access = await task_access(user, task_id)
    task = access.task
    plan = await get_plan(task["plan"])
    node = _find_task(plan, task_id)
    item = await Item.select(Item.number, Item.title, Item.section).where(Item.id == task["item"]).first()
    section = await Section.select(Section.number, Section.title).where(
        Section.id == item["section"]).first()
    query = _select_updates().where(ProgressUpdate.task == task_id)
    if user.role not in READERS_OF_ALL and access.my_role == COOPERATING:
        # A cooperating unit sees its own contributions; the lead sees everyone's.
        query = query.where(ProgressUpdate.unit == user.unit_id)
    rows = await query.order_by(ProgressUpdate.period, ascending=False).order_by(
        ProgressUpdate.version, ascending=False).order_by(ProgressUpdate.id, ascending=False)
    return TaskDetail(
        task=node,
        context=TaskContext(
            plan_id=plan.id, plan_title=plan.title, plan_year=plan.year,
            section=f"{section['number']}、{section['title']}",
            item=f"{item['number'] or ''}{item['title'] or ''}" or None,
            parent_id=task["parent"], version=task["version"], due_day=plan.reporting.due_day,
            attention_note=task["attention_note"]),
        my_role=access.my_role,
        updates=await _updates_out(rows),
    )


def _find_task(plan, task_id: int):
    def walk(tasks):
        for task in tasks:
            if task.id == task_id:
                return task
            found = walk(task.subtasks)
            if found:
                return found
        return None

    for section in plan.sections:
        for item in section.items:
            found = walk(item.tasks)
            if found:
                return found
    raise NotFound(f"任务 {task_id} 不存在", "task_id")


@dataclass(frozen=True)
class UpdateFormDefaults:
    """What the update form starts with, and the returned version it corrects (if any)."""

    form: dict[str, str]
    returned: UpdateOut | None = None


def update_form_defaults(updates: Sequence[UpdateOut], unit_id: int | None,
                         default_period: str) -> UpdateFormDefaults:
    """A returned update (its period's latest version) is corrected from what it said; else the
    form starts at the default period with last time's percent and the state set by the percent."""
    latest: dict[str, UpdateOut] = {}
    for update in sorted((u for u in updates if u.unit_id == unit_id),
                         key=lambda u: (u.period, u.version)):
        latest[update.period] = update
    returned = [u for u in latest.values() if u.review_state == RETURNED]
    if returned:
        update = max(returned, key=lambda u: u.period)
        return UpdateFormDefaults(form={
            "period": update.period, "percent": str(update.percent), "state": update.state,
            "work_done": update.work_done, "problems": update.problems,
            "next_steps": update.next_steps, "evidence_links": "\n".join(update.evidence_links),
        }, returned=update)
    form = {"period": default_period, "state": AUTO_STATE}
    if latest:
        form["percent"] = str(latest[max(latest)].percent)
    return UpdateFormDefaults(form=form)


async def my_tasks(user: CurrentUser, period: str | None = None) -> list[MyTaskRow]:
    """The unit's tasks (lead or cooperating) with this period's latest update."""
    if user.unit_id is None:
        return []
    links = await TaskUnit.select(TaskUnit.task, TaskUnit.role).where(TaskUnit.unit == user.unit_id)
    role_of = {link["task"]: link["role"] for link in links}
    if not role_of:
        return []
    tasks = await Task.select(
        Task.id, Task.plan, Task.number, Task.text, Task.deadline, Task.ongoing,
        Task.plan.title, Task.plan.year, Task.plan.report_due_day, Task.withdrawn_on,
    ).where(Task.id.is_in(list(role_of))).order_by(Task.plan).order_by(Task.id)
    updates = await _select_updates().where(
        ProgressUpdate.task.is_in(list(role_of)), ProgressUpdate.unit == user.unit_id
    ).order_by(ProgressUpdate.period).order_by(ProgressUpdate.version)
    outs = await _updates_out(updates)
    latest_by_period: dict[tuple[int, str], UpdateOut] = {}
    latest_any: dict[int, UpdateOut] = {}
    for update in outs:
        latest_by_period[(update.task_id, update.period)] = update
        latest_any[update.task_id] = update
    extended = await approved_deadlines(list(role_of))
    done_by_lead = await _done_by_lead([t for t, role in role_of.items() if role != LEAD])
    today = local_today()
    rows = []
    for task in tasks:
        task_period = period or current_period(task["plan.year"])
        if withdrawn_before(task["withdrawn_on"], due_date(task_period, task["plan.report_due_day"])):
            continue  # withdrawn by a revision: nothing due
        deadline_in_force = extended.get(task["id"], task["deadline"])
        last = latest_any.get(task["id"])
        latest = latest_by_period.get((task["id"], task_period))
        deadline = "ongoing" if task["ongoing"] else (
            task["deadline"].isoformat() if task["deadline"] else None)
        rows.append(MyTaskRow(
            task_id=task["id"], plan_id=task["plan"], plan_title=task["plan.title"],
            number=task["number"], text=task["text"], role=role_of[task["id"]], deadline=deadline,
            period=task_period, due_on=due_date(task_period, task["plan.report_due_day"]).isoformat(),
            latest=latest,
            last_percent=latest_any[task["id"]].percent if task["id"] in latest_any else None,
            needs_action=latest is None or latest.review_state == RETURNED,
            warning=deadline_warning(deadline_in_force, today,
                                     (last is not None and last.state == "done")
                                     or task["id"] in done_by_lead),
            extended_deadline=extended[task["id"]].isoformat() if task["id"] in extended else None,
        ))
    return rows


async def _done_by_lead(task_ids: list[int]) -> set[int]:
    """Of these tasks, those whose lead unit's latest update says done: a task the lead has
    finished is not overdue for the units that cooperate on it."""
    latest: dict[int, tuple[str, int, str]] = {}
    for row in await ProgressUpdate.select(
            ProgressUpdate.task, ProgressUpdate.period, ProgressUpdate.version, ProgressUpdate.state,
    ).where(ProgressUpdate.task.is_in(task_ids or [0]), ProgressUpdate.role == LEAD):
        key = (row["period"], row["version"], row["state"])
        if row["task"] not in latest or key[:2] > latest[row["task"]][:2]:
            latest[row["task"]] = key
    return {task_id for task_id, (_, _, state) in latest.items() if state == "done"}


REVIEW_PAGE_SIZE = 50


_PENDING_SQL = (
    'SELECT p.id FROM progress_update p WHERE p.id NOT IN (SELECT r."update" FROM review r) '
    "AND NOT EXISTS (SELECT 1 FROM progress_update n WHERE n.task = p.task AND n.unit = p.unit "
    "AND n.period = p.period AND n.version > p.version){filters} ORDER BY p.submitted_at, p.id"
)


async def _pending_updates(unit_id: int | None = None, period: str | None = None) -> list[int]:
    """Ids of the latest version of each (task, unit, period) that nobody has decided on yet,
    oldest first. From the in-memory history the plan pages keep up to date
    (services/plan_cache.py: a city's 38,000 updates are a few milliseconds of Python there,
    against 60-500 ms for the query); inside a transaction, from the database."""
    return (await _pending(unit_id, period))[0]


async def _pending(unit_id: int | None, period: str | None) -> tuple[list[int], object | None]:
    """_pending_updates, with the history it came from (None: from the database)."""
    if plan_cache.in_transaction():
        return await _pending_by_query(unit_id, period), None
    async with plan_cache.lock():
        history = await plan_cache.history()
        return _pending_index.ids(history, unit_id, period), history


class _PendingIndex:
    """The undecided latest version of each (task, unit, period), kept in step with the
    history: after a submission or a review only the changed tasks' keys are worked out
    again (the history's change log names them), not the city's 38,000 updates (~13 ms of
    Python after every submission, on every review page)."""

    def __init__(self) -> None:
        self.history = None
        self.version = -1
        self.keys_of_task: dict[int, set[tuple[int, int, str]]] = {}
        self.undecided: dict[tuple[int, int, str], object] = {}
        self.ordered: list = []
        # (unit, period) filter -> the ids of `ordered` it keeps, while `ordered` is the same
        # list (a page of a city's queue asked for them all again: ~1 ms of Python a page)
        self.filtered: tuple[list | None, dict] = (None, {})

    def of(self, history) -> list:
        """The undecided latest versions, oldest first."""
        if self.history is history and self.version == history.version:
            return self.ordered
        changed = (history.changes_since(self.version) if self.history is history else None)
        if changed is None:
            self.__init__()
            for task_id in history.by_task:
                self._redo_task(task_id, history.by_task[task_id])
            self.ordered = sorted(self.undecided.values(), key=_queue_order)
        else:
            # The changed tasks' entries leave the list and come back where they now belong
            # (a city's queue is ~2,650 updates: sorting it all again after every submission
            # was ~2 ms). A new list: the one handed out before stays as it was.
            left, came = [], []
            for task_id in changed[0]:
                gone, new = self._redo_task(task_id, history.by_task.get(task_id, ()))
                left.extend(gone)
                came.extend(new)
            leaving = {update.update_id for update in left}
            ordered = [update for update in self.ordered if update.update_id not in leaving]
            for update in came:
                insort(ordered, update, key=_queue_order)
            self.ordered = ordered
        self.history, self.version = history, history.version
        return self.ordered

    def ids(self, history, unit_id: int | None = None, period: str | None = None) -> list[int]:
        """The ids of the undecided latest versions of the unit and period (None: any),
        oldest first (read only: shared with the next reads)."""
        ordered = self.of(history)
        if self.filtered[0] is not ordered:
            self.filtered = (ordered, {})
        known = self.filtered[1].get((unit_id, period))
        if known is None:
            known = self.filtered[1][(unit_id, period)] = [
                update.update_id for update in ordered
                if (unit_id is None or update.unit_id == unit_id)
                and (period is None or update.period == period)]
            if len(self.filtered[1]) > 256:  # a filter per unit and period at most, normally
                self.filtered = (ordered, {(unit_id, period): known})
        return known

    def _redo_task(self, task_id: int, updates) -> tuple[list, list]:
        """The task's undecided latest versions worked out again: (those it had, those it
        has now)."""
        gone = [self.undecided.pop(key) for key in self.keys_of_task.pop(task_id, ())
                if key in self.undecided]
        latest: dict[tuple[int, int, str], object] = {}  # a task's keys are all its own
        for update in updates:
            key = (update.task_id, update.unit_id, update.period)
            known = latest.get(key)
            if known is None or update.version > known.version:
                latest[key] = update
        new = [(key, update) for key, update in latest.items() if not update.reviews]
        self.undecided.update(new)
        if latest:
            self.keys_of_task[task_id] = set(latest)
        return gone, [update for _, update in new]


def _queue_order(update) -> tuple:
    return (update.submitted_at, update.update_id)


_pending_index = _PendingIndex()


def _pending_in(history) -> list:
    """The undecided latest versions in the history, oldest first (see _PendingIndex)."""
    return _pending_index.of(history)


async def _pending_by_query(unit_id: int | None = None, period: str | None = None) -> list[int]:
    """The same as `_pending_updates`, in one query (the newer-version test runs on the
    (task, unit, period, version) key, the reviewed set is built once)."""
    filters, args = "", []
    if unit_id is not None:
        filters += " AND p.unit = {}"
        args.append(unit_id)
    if period is not None:
        filters += " AND p.period = {}"
        args.append(period)
    rows = await ProgressUpdate.raw(_PENDING_SQL.replace("{filters}", filters), *args)
    return [row["id"] for row in rows]


class _QueuedUpdates:
    """The review queue's updates as the page shows them, by id, kept between pages.

    A queued update is the latest, undecided version of its period, and everything its card
    shows comes from rows nobody changes: the update and its evidence files (history: the
    database refuses UPDATE and DELETE), its unit's name and its submitter's name (units are
    never renamed, users' names never changed). While it stays in the queue its card is what
    it was; once decided or replaced it leaves the queue and is not asked for again. Only the
    task's text and number and the plan's title can change: they are read on every page.
    Kept per history object (a reloaded history, another database: start over), filled only
    outside transactions (an update read inside one could still be rolled back)."""

    LIMIT = 20_000

    def __init__(self) -> None:
        self.history = None
        self.updates: dict[int, UpdateOut] = {}

    def kept(self, history) -> dict[int, UpdateOut]:
        if history is not self.history or len(self.updates) > self.LIMIT:
            self.history, self.updates = history, {}
        return self.updates


_queued_updates = _QueuedUpdates()


async def _queue_rows(update_ids: list[int], history=None) -> list[ReviewQueueRow]:
    """The queue's rows for `update_ids` (undecided latest versions); `history`: the history
    the ids came from, None when they came from the database (nothing is kept then)."""
    kept = _queued_updates.kept(history) if history is not None else {}
    missing = [update_id for update_id in update_ids if update_id not in kept]
    if missing:
        rows = {row["id"]: row for row in await _select_updates().where(
            ProgressUpdate.id.is_in(missing))}
        read = await _updates_out([rows[i] for i in missing if i in rows], undecided_latest=True)
        if history is not None:
            kept.update((update.id, update) for update in read)
        else:
            kept = {update.id: update for update in read}
    updates = [kept[update_id] for update_id in update_ids if update_id in kept]
    tasks = await _queue_tasks(sorted({update.task_id for update in updates}))
    return [
        ReviewQueueRow(update=update, task_text=tasks[update.task_id]["text"],
                       task_number=tasks[update.task_id]["number"],
                       plan_id=tasks[update.task_id]["plan"],
                       plan_title=tasks[update.task_id]["plan_title"])
        for update in updates
    ]


_QUEUE_TASKS_SQL = ("SELECT t.id, t.number, t.text, t.plan, p.title AS plan_title FROM task t "
                    "JOIN plan p ON p.id = t.plan WHERE t.id IN ({ids})")
_queue_tasks_statements: dict[int, Statement] = {}


async def _queue_tasks(task_ids: list[int]) -> dict[int, dict]:
    """Task id -> its number, text, plan and plan title, in one statement (compiled once per
    number of tasks: a page asks for up to 50, the API for up to 500)."""
    if not task_ids:
        return {}
    statement = _queue_tasks_statements.get(len(task_ids))
    if statement is None:
        statement = Statement(_QUEUE_TASKS_SQL.format(ids=", ".join(["{}"] * len(task_ids))))
        if len(_queue_tasks_statements) < 600:
            _queue_tasks_statements[len(task_ids)] = statement
    return {row["id"]: row for row in await statement.fetch(Task._meta.db, *task_ids)}


async def review_queue() -> list[ReviewQueueRow]:
    """The latest version of each (task, unit, period) that nobody has decided on yet."""
    return await _queue_rows(*await _pending(None, None))


@dataclass(frozen=True)
class ReviewPage:
    rows: list[ReviewQueueRow]
    total: int  # undecided updates matching the filter, on every page


async def review_queue_page(unit_id: int | None = None, period: str | None = None,
                            page: int = 1, per_page: int = REVIEW_PAGE_SIZE) -> ReviewPage:
    """One page of the queue, filtered by unit and period: a city's queue is thousands of
    updates, and only the page's own are loaded in full. A page past the end shows the last."""
    pending, history = await _pending(unit_id, _checked_period(period))
    pages = max(1, -(-len(pending) // per_page))
    page = min(max(page, 1), pages)
    return ReviewPage(await _queue_rows(pending[(page - 1) * per_page:page * per_page], history),
                      len(pending))


async def review_queue_slice(unit_id: int | None = None, period: str | None = None,
                             offset: int = 0, limit: int = REVIEW_PAGE_SIZE) -> ReviewPage:
    """The API's window on the queue (limit and offset), with the queue's total."""
    pending, history = await _pending(unit_id, _checked_period(period))
    return ReviewPage(await _queue_rows(pending[offset:offset + limit], history), len(pending))


def _checked_period(period: str | None) -> str | None:
    if not period:
        return None
    try:
        return parse_period(period)
    except ValueError as error:
        raise InvalidInput(str(error), "period") from None


# --- writing -------------------------------------------------------------------------------


async def submit_update(
    user: CurrentUser,
    task_id: int,
    data: UpdateInput,
    files: Sequence[EvidenceFile] = (),
    idempotency_key: str | None = None,
    today: dt.date | None = None,
) -> UpdateOut:
    """Store one update with its evidence files, whole or not at all.

    The hot path of a city's month-end (issue 14): one read for the task, the unit's part in
    it and the plan's year; one for what this key or this period already holds; then the
    update and its audit entry in one transaction, and the answer built from what was written
    (nothing read back)."""
    if user.role != REPORTER or user.unit_id is None:
        raise Forbidden("只有承担该任务的单位填报人可以填报进展", "role")
    files = validate_evidence(list(files))
    if idempotency_key is not None and not 8 <= len(idempotency_key) <= 100:
        raise InvalidInput("Idempotency-Key 须为 8-100 个字符", "idempotency_key")
    context, keyed, latest = await _submission_reads(user, task_id, data.period, idempotency_key)
    if context is None or context["my_role"] is None:
        raise NotFound(f"任务 {task_id} 不存在或不属于本单位", "task_id")
    if context["plan_year"] is not None:
        try:
            check_period_in_year(data.period, context["plan_year"])
        except ValueError as error:
            raise InvalidInput(str(error), "period") from None
    if period_start(data.period) > (today or local_today()):
        raise InvalidInput(f"报送周期 {data.period} 尚未开始", "period")

    fingerprint = request_fingerprint(task_id, data, files) if idempotency_key else None
    if idempotency_key:
        existing_id = _by_idempotency_key(user, keyed, task_id, fingerprint)
        if existing_id is None:
            existing_id = _same_as_latest(user, latest, fingerprint)
        if existing_id is not None:
            return await get_update(user, existing_id)

    stored: list[tuple[EvidenceFile, str, Path]] = []
    try:
        for file in files:
            stored_name = uuid.uuid4().hex
            path = attachments_dir() / stored_name
            path.write_bytes(file.content)
            stored.append((file, stored_name, path))
        written = await _insert_update(user, task_id, context["my_role"], data, stored,
                                       idempotency_key, fingerprint, context["plan_id"], latest)
    except BaseException:
        for _, _, path in stored:
            path.unlink(missing_ok=True)
        raise
    if isinstance(written, int):  # a concurrent retry with the same key stored it first
        return await get_update(user, written)
    if data.evidence_links:
        await evidence.note_links(data.evidence_links)  # to be checked; never fails the update
    return written


_CONTEXT_SQL = (
    "SELECT t.plan AS plan_id, p.year AS plan_year, tu.role AS my_role FROM task t "
    "JOIN plan p ON p.id = t.plan "
    "LEFT JOIN task_unit tu ON tu.task = t.id AND tu.unit = {} WHERE t.id = {} "
    "ORDER BY tu.role DESC LIMIT 1"  # lead before cooperating, should a unit hold both
)


_EARLIER_COLUMNS = ("id, task, submitted_by, request_fingerprint, version, percent, state, "
                    "idempotency_key")
_LATEST_SQL = (
    f"SELECT * FROM (SELECT 'latest' AS found, {_EARLIER_COLUMNS} FROM progress_update "
    "WHERE task = {} AND unit = {} AND period = {} ORDER BY version DESC LIMIT 1) latest"
)
_KEYED_SQL = (
    f" UNION ALL SELECT 'key' AS found, {_EARLIER_COLUMNS} FROM progress_update "
    "WHERE idempotency_key = {}"
)


_EARLIER = {keyed: Statement(_LATEST_SQL + (_KEYED_SQL if keyed else "")) for keyed in (False, True)}
# The context joined with the earlier rows (see _submission_reads), with and without a key.
_SUBMISSION_READS = {keyed: Statement(
    f"SELECT c.plan_id, c.plan_year, c.my_role, e.* FROM ({_CONTEXT_SQL}) c "
    f"LEFT JOIN ({_LATEST_SQL + (_KEYED_SQL if keyed else '')}) e ON 1 = 1") for keyed in (False, True)}


async def _earlier_rows(user: CurrentUser, task_id: int, period: str,
                        idempotency_key: str | None) -> tuple[dict | None, dict | None]:
    """(the update stored with this key, this unit's latest version for the period), in one
    query. The latest version read here is checked again by the unique key on (task, unit,
    period, version) when the next one is inserted."""
    args = [task_id, user.unit_id, period] + ([idempotency_key] if idempotency_key else [])
    return _split_earlier(await _EARLIER[bool(idempotency_key)].fetch(ProgressUpdate._meta.db, *args))


async def _submission_reads(user: CurrentUser, task_id: int, period: str,
                            idempotency_key: str | None
                            ) -> tuple[dict | None, dict | None, dict | None]:
    """(the task's plan and year and the user's unit's part in it, the update stored with this
    key, this unit's latest version for the period), in one statement: the context joined
    with the earlier rows. No context: the task does not exist (for a reporter, no part in it
    is checked by the caller, the same answer as `task_access`)."""
    args = [user.unit_id, task_id, task_id, user.unit_id, period] + (
        [idempotency_key] if idempotency_key else [])
    rows = await _SUBMISSION_READS[bool(idempotency_key)].fetch(Task._meta.db, *args)
    if not rows:
        return None, None, None
    return rows[0], *_split_earlier(rows)


def _split_earlier(rows: list[dict]) -> tuple[dict | None, dict | None]:
    keyed = latest = None
    for row in rows:
        if row["found"] == "key":
            keyed = row
        elif row["found"] == "latest":
            latest = row
    return keyed, latest


def request_fingerprint(task_id: int, data: UpdateInput, files: Sequence[EvidenceFile]) -> str:
    """What an idempotency key is bound to: the task and everything the update says. A retry
    of the same submission (JSON or multipart, whatever its boundary) has the same one."""
    content = {"task": task_id, "period": data.period, "percent": data.percent,
               "state": data.state, "work_done": data.work_done, "problems": data.problems,
               "next_steps": data.next_steps, "evidence_links": data.evidence_links,
               "files": [[file.name, hashlib.sha256(file.content).hexdigest()] for file in files]}
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True).encode()
                          ).hexdigest()


def _same_as_latest(user: CurrentUser, latest: dict | None, fingerprint: str | None) -> int | None:
    """A page form sent again after the back button comes with a fresh token (pages are not
    cached, so the form is fetched anew) but the same content: when this user's latest version
    for the period is exactly that content, it is the same submission, not a new version."""
    if latest is None or latest["submitted_by"] != user.id or (
            latest["request_fingerprint"] != fingerprint):
        return None
    return latest["id"]


def _by_idempotency_key(user: CurrentUser, keyed: dict | None, task_id: int,
                        fingerprint: str | None) -> int | None:
    """The update this key already stored, when the request is the same one again; a key
    reused by another user, for another task or with another body is a conflict."""
    if keyed is None:
        return None
    if keyed["submitted_by"] != user.id:
        raise Conflict("Idempotency-Key 已被其他用户的填报使用，请换一个新的键", "idempotency_key")
    if keyed["task"] != task_id:
        raise Conflict(f"Idempotency-Key 已用于任务 {keyed['task']} 的填报，不能用于任务 {task_id}",
                       "idempotency_key")
    if keyed["request_fingerprint"] is not None and keyed["request_fingerprint"] != fingerprint:
        raise Conflict("Idempotency-Key 已用于内容不同的另一份填报；新的填报请换一个新的键",
                       "idempotency_key")
    return keyed["id"]


_INSERT_UPDATE_SQL = (
    "INSERT INTO progress_update (task, unit, period, version, role, percent, state, work_done, "
    "problems, next_steps, evidence_links, submitted_by, submitted_at, idempotency_key, "
    "request_fingerprint) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) "
    "RETURNING id"
)
_INSERT_UPDATE = Statement(_INSERT_UPDATE_SQL)
# PostgreSQL: the update, its files and its audit entry in one statement (data-modifying
# WITH queries all run, in the statement's own transaction: no BEGIN and COMMIT trips, and no
# read back, the ids come with the answer). The files come as arrays, one per column; their
# ids are matched to them by stored name (the order of RETURNING rows is not promised).
_WRITE_SUBMISSION = Statement(
    f"WITH new_update AS ({_INSERT_UPDATE_SQL}, submitted_at), "
    'new_files AS (INSERT INTO attachment ("update", original_name, stored_name, content_type, '
    "size, sha256, uploaded_at) SELECT new_update.id, f.original_name, f.stored_name, "
    "f.content_type, f.size, f.sha256, new_update.submitted_at FROM new_update, "
    "unnest({}::text[], {}::text[], {}::text[], {}::integer[], {}::text[]) "
    "AS f(original_name, stored_name, content_type, size, sha256) RETURNING id, stored_name), "
    f"new_entry AS (INSERT INTO audit_entry ({audit.COLUMNS}) SELECT new_update.submitted_at, "
    "{}, {}, {}, new_update.id, {}, {}, {}, {} FROM new_update) "
    "SELECT new_update.id, new_files.id AS file_id, new_files.stored_name "
    "FROM new_update LEFT JOIN new_files ON true"
)


async def _insert_update(user, task_id, role, data: UpdateInput, stored, idempotency_key,
                         fingerprint: str | None, plan_id: int,
                         latest: dict | None) -> UpdateOut | int:
    """The update, its files and its audit entry, whole or not at all: on PostgreSQL in one
    statement, on SQLite in one transaction of one statement per table. Returns what was
    stored, or the id of the update a concurrent retry with the same key stored first."""
    engine = ProgressUpdate._meta.db
    for attempt in range(5):
        if attempt:  # the version read before was taken meanwhile: read the latest again
            keyed, latest = await _earlier_rows(user, task_id, data.period, idempotency_key)
            if keyed is not None:
                return _by_idempotency_key(user, keyed, task_id, fingerprint)
        version = latest["version"] + 1 if latest else 1
        now = _now()
        update = (task_id, user.unit_id, data.period, version, role, data.percent, data.state,
                  data.work_done, data.problems, data.next_steps,
                  json.dumps(data.evidence_links, ensure_ascii=False), user.id, now,
                  idempotency_key, fingerprint)
        files = [(file.name, name, file.content_type, len(file.content),
                  hashlib.sha256(file.content).hexdigest()) for file, name, _ in stored]
        entry = audit.entry_values(
            user.id, "update.submit", "progress_update", None,
            f"{user.unit_name or ''}填报任务 {task_id} {data.period} 进展 {data.percent}%",
            plan_id=plan_id,
            # The version it corrects, so the trail reads 状态：推进中 → 已完成.
            before={"percent": latest["percent"], "state": latest["state"]} if latest else None,
            after={"task": task_id, "period": data.period, "percent": data.percent,
                   "state": data.state, "attachments": [f.name for f, _, _ in stored]},
            at=now)
        write = _write_in_transaction if is_sqlite(engine) else _write_in_one_statement
        try:
            update_id, file_ids = await write(engine, update, files, entry)
        except Exception as error:  # a concurrent submission took the same version number
            if not is_unique_violation(error):
                raise
            continue
        return UpdateOut(
            id=update_id, task_id=task_id, unit_id=user.unit_id, unit_name=user.unit_name,
            role=role, period=data.period, version=version, percent=data.percent,
            state=data.state, work_done=data.work_done, problems=data.problems,
            next_steps=data.next_steps, evidence_links=list(data.evidence_links),
            submitted_by=user.display_name, submitted_at=_iso(now), review_state=SUBMITTED,
            reviews=[], attachments=[
                AttachmentOut(id=file_id, name=file.name, content_type=file.content_type,
                              size=len(file.content))
                for file_id, (file, _, _) in zip(file_ids, stored, strict=True)],
            superseded_by=None)
    raise Conflict("同时有其他填报提交，请重试", "version")


async def _write_in_one_statement(engine, update: tuple, files: list[tuple],
                                  entry: audit.EntryValues) -> tuple[int, list[int]]:
    """PostgreSQL: (the update's id, its files' ids in the order given)."""
    columns = [list(column) for column in zip(*files, strict=True)] if files else [[]] * 5
    rows = await _WRITE_SUBMISSION.fetch(
        engine, *update, *columns, entry.user, entry.action, entry.entity, entry.plan_id,
        entry.before, entry.after, entry.summary)
    file_id = {row["stored_name"]: row["file_id"] for row in rows if row["file_id"] is not None}
    return rows[0]["id"], [file_id[name] for _, name, _, _, _ in files]


async def _write_in_transaction(engine, update: tuple, files: list[tuple],
                                entry: audit.EntryValues) -> tuple[int, list[int]]:
    """SQLite (no INSERT inside WITH): one statement per table in one transaction, BEGIN sent
    with the update and the audit entry with the COMMIT (tracker.db: two trips)."""
    async with write_transaction(engine):
        update_id = (await _INSERT_UPDATE.fetch(engine, *update))[0]["id"]
        file_ids = []
        if files:
            ids = await Attachment.insert(*[
                Attachment(update=update_id, original_name=original_name, stored_name=name,
                           content_type=content_type, size=size, sha256=sha256,
                           uploaded_at=update[12])
                for original_name, name, content_type, size, sha256 in files])
            file_ids = [row["id"] for row in ids]
        with sent_with_commit():  # with the COMMIT, one trip for both
            await audit.write(entry._replace(entity_id=update_id))
    return update_id, file_ids


async def _plan_of(task_id: int) -> int | None:
    row = await Task.select(Task.plan).where(Task.id == task_id).first()
    return row["plan"] if row else None


async def review_update(user: CurrentUser, update_id: int, decision: str, comment: str) -> UpdateOut:
    """Accept, or return with a comment. Only the latest, undecided version can be reviewed."""
    _check_reviewer(user)
    if decision not in DECISIONS:
        raise InvalidInput(f"未知审核结果“{str(decision)[:20]}”（可用：accept、return）", "decision")
    # A browser sends a line break as CRLF but counts it as one character against maxlength.
    comment = (comment or "").replace("\r\n", "\n").strip()
    if DECISIONS[decision] == RETURNED and not comment:
        raise InvalidInput("退回时请写明原因", "comment")
    if len(comment) > MAX_COMMENT:
        raise InvalidInput(f"审核意见不能超过{MAX_COMMENT}字", "comment")
    async with write_transaction(Review._meta.db):
        await _record_review(user, await _reviewable(update_id), DECISIONS[decision], comment)
        if DECISIONS[decision] == RETURNED:
            await note_update_returned(update_id)  # the unit's in-app notice, with the review
    if DECISIONS[decision] == RETURNED:
        await notify_update_returned(update_id)  # after the commit; never fails the review
    return await get_update(user, update_id)


@dataclass(frozen=True)
class BatchAccepted:
    accepted: list[int]  # update ids
    skipped: list[tuple[int, str]]  # (update id, why it was not accepted)


async def accept_many(user: CurrentUser, update_ids: Sequence[int]) -> BatchAccepted:
    """Accept several updates at once (the review page's 通过所选), in one transaction, each
    under the same rules as one review. An update that someone decided on meanwhile, or that
    its unit replaced with a newer version, is skipped with the reason instead of failing the
    others: the coordinator ticked it when it was still waiting."""
    _check_reviewer(user)
    ids = list(dict.fromkeys(update_ids))  # a repeated id is one review
    if not ids:
        raise InvalidInput("请先勾选要通过的填报", "update")
    if len(ids) > MAX_BATCH_REVIEW:
        raise InvalidInput(f"一次最多通过 {MAX_BATCH_REVIEW} 条填报", "update")
    accepted: list[int] = []
    skipped: list[tuple[int, str]] = []
    async with write_transaction(Review._meta.db):
        for update_id in ids:
            try:
                row = await _reviewable(update_id)
            except (NotFound, Conflict) as error:
                skipped.append((update_id, error.message))
                continue
            await _record_review(user, row, ACCEPTED, "")
            accepted.append(update_id)
    return BatchAccepted(accepted, skipped)


def _check_reviewer(user: CurrentUser) -> None:
    if user.role not in PLANNERS:
        raise Forbidden("只有协调人可以审核", "role")


async def _reviewable(update_id: int) -> dict:
    """The update's row if it can be reviewed now: it exists, it is the latest version of its
    (task, unit, period), and nobody has decided on it yet. Inside the review's transaction."""
    row = await ProgressUpdate.select(
        ProgressUpdate.id, ProgressUpdate.task, ProgressUpdate.unit, ProgressUpdate.period,
        ProgressUpdate.version).where(ProgressUpdate.id == update_id).first()
    if row is None:
        raise NotFound(f"填报 {update_id} 不存在", "update_id")
    newer = await ProgressUpdate.exists().where(
        ProgressUpdate.task == row["task"], ProgressUpdate.unit == row["unit"],
        ProgressUpdate.period == row["period"], ProgressUpdate.version > row["version"])
    if newer:
        raise Conflict("该填报已有更新的版本，请审核最新版本", "update_id")
    if await Review.exists().where(Review.update == update_id):
        raise Conflict("该填报已审核过", "update_id")
    return row


async def _record_review(user: CurrentUser, row: dict, decision: str, comment: str) -> None:
    """The review and its audit entry (the caller's transaction)."""
    update_id = row["id"]
    await Review.insert(Review(update=update_id, reviewer=user.id, decision=decision,
                               comment=comment, decided_at=_now()))
    await audit.record(user.id, "update.review", "progress_update", update_id,
                       f"审核填报 {update_id}：{'通过' if decision == ACCEPTED else '退回'}",
                       plan_id=await _plan_of(row["task"]),
                       after={"decision": decision, "comment": comment})


async def attachment_file(user: CurrentUser, attachment_id: int) -> tuple[Path, str, str]:
    """(path, original name, content type) of an evidence file the user may read."""
    row = await Attachment.select(Attachment.update, Attachment.stored_name, Attachment.original_name,
                                  Attachment.content_type).where(Attachment.id == attachment_id).first()
    if row is None:
        raise NotFound(f"附件 {attachment_id} 不存在", "attachment_id")
    try:
        await get_update(user, row["update"])
    except NotFound:  # the same answer as for an attachment that does not exist
        raise NotFound(f"附件 {attachment_id} 不存在", "attachment_id") from None
    return attachments_dir() / row["stored_name"], row["original_name"], row["content_type"]
