"""In-process caches for the coordinators' reads (overview, chasing, ranking, reports).

Reading a city-scale plan from scratch (2,000 tasks, ~40,000 updates and as many reviews)
takes one to three seconds; every overview and chasing request used to do it. Two things make
a cheap, exact cache possible:

- Progress history is append-only (database triggers refuse UPDATE and DELETE on
  `progress_update` and `review`). `History` keeps every update with its reviews in memory
  and, on each read, fetches only rows it has not seen: ids above the highest seen, plus the
  "gaps" below it. A gap is an id skipped so far; on PostgreSQL a transaction that took a lower
  id can commit after one with a higher id, and its row then fills the gap. Rolled-back ids
  stay gaps (at most MAX_GAPS are watched), and once a minute the rows up to the highest id
  are counted: any difference, or a table that shrank, reloads everything.
- A plan's structure (plan row, tasks, assignments, milestones, sections, items, extension
  requests) is checked on each read by reading the plan row, `structure()`: database triggers
  bump its `structure_version` in the same transaction as any insert, update or delete of those
  rows, whoever writes them, and a plan column change shows in the row itself. Unit names are
  not covered: units are never renamed.

Nothing is cached from inside a transaction (it could be rolled back), and `clear()` (called
by `bind_engine`) drops everything when the tables are pointed at another database.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from dataclasses import dataclass, replace

from tracker.domain import status
from tracker.tables import Plan, ProgressUpdate

log = logging.getLogger(__name__)

MAX_GAPS = 2000
VERIFY_SECONDS = 60.0
LOG_LENGTH = 2000


def _engine():
    return Plan._meta.db


def in_transaction() -> bool:
    """True inside a transaction: its reads may see changes that will be rolled back."""
    current = getattr(_engine(), "current_transaction", None)
    return current is not None and current.get() is not None


# --- structure fingerprint -----------------------------------------------------------------

# The plan row: its columns, and `structure_version`, which triggers on every structure table
# (task, task_unit, milestone, plan_section, plan_item, extension_request) bump in the writing
# transaction (migration 2026-11-29T04:25). One row by its key: ~0.1 ms, where the aggregate
# over all of the plan's rows it replaces took ~4 ms of SQLite's CPU at city scale.
_STRUCTURE_SQL = 'SELECT * FROM "plan" WHERE id = {}'


async def structure(plan_id: int) -> tuple | None:
    """A value that changes whenever the plan's structure does; None if there is no such plan."""
    rows = await Plan.raw(_STRUCTURE_SQL, plan_id)
    if not rows:
        return None
    return tuple(sorted((key, str(value)) for key, value in rows[0].items()))


# --- progress history ----------------------------------------------------------------------


@dataclass
class _Tail:
    """Which rows of an append-only table have been seen: all ids <= top except the gaps."""

    top: int = 0
    seen: int = 0
    gaps: set[int] | None = None

    def where(self) -> tuple[str, list[int]]:
        gaps = sorted(self.gaps or ())
        if not gaps:
            return "x.id > {}", [self.top]
        return f"(x.id > {{}} OR x.id IN ({', '.join(['{}'] * len(gaps))}))", [self.top, *gaps]

    def absorb(self, ids: list[int]) -> None:
        """Record fetched ids (ascending): fill gaps, note skipped ids as new gaps."""
        gaps = self.gaps if self.gaps is not None else set()
        for row_id in ids:
            if row_id <= self.top:
                gaps.discard(row_id)
            else:
                gaps.update(range(max(self.top + 1, row_id - MAX_GAPS), row_id))
                self.top = row_id
            self.seen += 1
        if len(gaps) > MAX_GAPS:
            gaps = set(sorted(gaps)[-MAX_GAPS:])
        self.gaps = gaps


_UPDATES_SQL = """
SELECT m.top, x.id, x.task, x.unit, x.period, x.version, x.percent, x.state, x.submitted_at
FROM (SELECT max(id) AS top FROM progress_update) AS m
LEFT JOIN progress_update x ON {where} ORDER BY x.id
"""
_REVIEWS_SQL = """
SELECT m.top, x.id, x."update" AS update_id, x.decision, x.decided_at
FROM (SELECT max(id) AS top FROM review) AS m
LEFT JOIN review x ON {where} ORDER BY x.id
"""


class History:
    """Every progress update with its reviews, grouped by task, kept up to date.

    `by_task` lists are never changed in place (a change puts a new list in the dict), so a
    PlanFacts built from them earlier stays as it was."""

    def __init__(self) -> None:
        self.by_task: dict[int, list[status.UpdateFacts]] = {}
        self.where_is: dict[int, tuple[int, int]] = {}  # update id -> (task id, unit id)
        self.orphans: dict[int, list[tuple[int, status.ReviewFacts]]] = {}
        self.updates = _Tail()
        self.reviews = _Tail()
        self.version = 0
        # (version, task ids, unit ids) of recent changes, for callers that keep derived data.
        self.log: list[tuple[int, frozenset[int], frozenset[int]]] = []
        self.verified_at = time.monotonic()

    async def sync(self) -> bool:
        """Fetch what is new; False if the tables no longer match (the caller starts over)."""
        # Reviews first: an update a review points to committed before the review, so the
        # update query that follows sees it.
        where, args = self.reviews.where()
        review_rows = await ProgressUpdate.raw(_REVIEWS_SQL.format(where=where), *args)
        where, args = self.updates.where()
        update_rows = await ProgressUpdate.raw(_UPDATES_SQL.format(where=where), *args)
        if (update_rows[0]["top"] or 0) < self.updates.top or (
                review_rows[0]["top"] or 0) < self.reviews.top:
            log.warning("progress history reloaded: rows disappeared (another or a reset database)")
            return False
        if time.monotonic() - self.verified_at > VERIFY_SECONDS and not await self._verify():
            log.warning("progress history reloaded: the row counts differ from the rows seen")
            return False
        tasks: set[int] = set()
        units: set[int] = set()
        new_updates = [row for row in update_rows if row["id"] is not None]
        new_reviews = [row for row in review_rows if row["id"] is not None]
        arriving = {row["id"] for row in new_updates}
        known_reviews = []
        for row in new_reviews:
            if row["update_id"] in arriving or row["update_id"] not in self.where_is:
                # Attached as its update is built (or, not seen yet, when it arrives).
                review = status.ReviewFacts(row["decision"], row["decided_at"])
                self.orphans.setdefault(row["update_id"], []).append((row["decided_at"], review))
            else:
                known_reviews.append(row)
        arrived: dict[int, list[status.UpdateFacts]] = {}
        for row in new_updates:
            update = status.UpdateFacts(
                update_id=row["id"], task_id=row["task"], unit_id=row["unit"],
                period=row["period"], version=row["version"], percent=row["percent"],
                state=row["state"], submitted_at=row["submitted_at"],
                reviews=tuple(review for _, review in sorted(
                    self.orphans.pop(row["id"], []), key=lambda item: item[0])))
            arrived.setdefault(update.task_id, []).append(update)
            self.where_is[update.update_id] = (update.task_id, update.unit_id)
            tasks.add(update.task_id)
            units.add(update.unit_id)
        for task_id, updates in arrived.items():  # a new list per task, once per sync
            self.by_task[task_id] = [*self.by_task.get(task_id, ()), *updates]
        self.updates.absorb([row["id"] for row in new_updates])
        for row in known_reviews:
            review = status.ReviewFacts(row["decision"], row["decided_at"])
            task_id, unit_id = self.where_is[row["update_id"]]
            self.by_task[task_id] = [
                replace(u, reviews=tuple(sorted((*u.reviews, review), key=lambda r: r.decided_at)))
                if u.update_id == row["update_id"] else u
                for u in self.by_task[task_id]
            ]
            tasks.add(task_id)
            units.add(unit_id)
        self.reviews.absorb([row["id"] for row in new_reviews])
        if tasks:
            self.version += 1
            self.log.append((self.version, frozenset(tasks), frozenset(units)))
            del self.log[:-LOG_LENGTH]
        return True

    async def _verify(self) -> bool:
        """Count the rows up to the highest id seen: a difference means a row was missed."""
        self.verified_at = time.monotonic()
        for table, tail in (("progress_update", self.updates), ("review", self.reviews)):
            rows = await ProgressUpdate.raw(f"SELECT count(*) AS n FROM {table} WHERE id <= {{}}",
                                            tail.top)
            if rows[0]["n"] != tail.seen:
                return False
        return True

    def changes_since(self, version: int) -> tuple[set[int], set[int]] | None:
        """(task ids, unit ids) changed after `version`; None if that is too long ago."""
        if version == self.version:
            return set(), set()
        if not self.log or self.log[0][0] > version + 1:
            return None
        tasks: set[int] = set()
        units: set[int] = set()
        for logged, task_ids, unit_ids in self.log:
            if logged > version:
                tasks |= task_ids
                units |= unit_ids
        return tasks, units


class _State:
    def __init__(self) -> None:
        self.engine = None
        self.history: History | None = None
        self.lock: asyncio.Lock | None = None
        self.lock_loop = None
        self.facts: dict[int, object] = {}  # plan id -> tracking's cache entry
        self.trees: dict[int, tuple] = {}  # plan id -> (structure, msgpack, shared PlanDetail)


_state = _State()


def clear() -> None:
    """Forget everything (the tables now point at another database)."""
    global _state
    _state = _State()


def state() -> _State:
    if _state.engine is not _engine():
        clear()
        _state.engine = _engine()
    return _state


def lock() -> asyncio.Lock:
    current = state()
    loop = asyncio.get_running_loop()
    if current.lock is None or current.lock_loop is not loop:
        current.lock, current.lock_loop = asyncio.Lock(), loop
    return current.lock


async def history() -> History:
    """The history, brought up to date (call under `lock()`)."""
    current = state()
    if current.history is None or not await current.history.sync():
        current.history = History()
        current.facts.clear()
        await current.history.sync()
        settle()
    else:
        settle_now_and_then()
    return current.history


def settle() -> None:
    """Take what the caches just loaded out of the cyclic garbage collector's sight.

    A full collection walks every tracked object: with a city-scale history in memory
    (~240,000 objects) that is a 100-200 ms pause, every few requests. Frozen objects are
    skipped; they are still freed normally when no longer referenced (none of them form
    cycles)."""
    gc.collect(1)
    gc.freeze()
    _settling.last = time.monotonic()


@dataclass
class _Settling:
    last: float = 0.0
    count: int = 0


_settling = _Settling()
SETTLE_SECONDS = 30.0
# Every this many settles (about an hour apart), one full collection with nothing frozen: a
# cycle that became garbage after it was frozen is freed then, not kept for the process's life.
SETTLES_PER_FULL_COLLECTION = 120


def settle_now_and_then(now: float | None = None) -> bool:
    """settle() at most every SETTLE_SECONDS, as the history is read. The caches keep
    replacing entries as progress comes in (snapshots, rows, 催报 records): unfrozen, they grew
    back into a heap whose full collections paused requests 30-45 ms under a city's load.
    True if it settled."""
    now = time.monotonic() if now is None else now
    if now - _settling.last < SETTLE_SECONDS:
        return False
    _settling.count += 1
    if _settling.count % SETTLES_PER_FULL_COLLECTION == 0:
        gc.unfreeze()
        gc.collect()
    settle()
    _settling.last = now
    return True
