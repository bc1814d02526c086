"""The review queue kept in step with the history (services.progress._PendingIndex): after any
sequence of submissions, corrections and reviews, what it holds is what working the queue out
from the whole history gives, in the same order. No database: the history is changed the way
History.sync changes it (a new list per changed task, a new version, its change logged)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain.status import ReviewFacts, UpdateFacts
from tracker.services.plan_cache import History
from tracker.services.progress import _PendingIndex

START = datetime(2018, 3, 1, tzinfo=UTC)


def from_scratch(history: History) -> list[UpdateFacts]:
    latest: dict[tuple, UpdateFacts] = {}
    for updates in history.by_task.values():
        for update in updates:
            key = (update.task_id, update.unit_id, update.period)
            if key not in latest or update.version > latest[key].version:
                latest[key] = update
    return sorted((u for u in latest.values() if not u.reviews),
                  key=lambda u: (u.submitted_at, u.update_id))


class Changes:
    def __init__(self, history: History) -> None:
        self.history = history
        self.next_id = 1

    def _logged(self, task_id: int, unit_id: int) -> None:
        self.history.version += 1
        self.history.log.append((self.history.version, frozenset({task_id}),
                                 frozenset({unit_id})))

    def submit(self, task_id: int, unit_id: int, month: int) -> None:
        period = f"2018-{month:02d}"
        versions = [u.version for u in self.history.by_task.get(task_id, ())
                    if u.unit_id == unit_id and u.period == period]
        update = UpdateFacts(self.next_id, task_id, unit_id, period, max(versions, default=0) + 1,
                             50, "in_progress", START + timedelta(minutes=self.next_id))
        self.next_id += 1
        self.history.by_task[task_id] = [*self.history.by_task.get(task_id, ()), update]
        self._logged(task_id, unit_id)

    def review(self, pick: int, decision: str) -> None:
        updates = [u for us in self.history.by_task.values() for u in us]
        if not updates:
            return
        target = updates[pick % len(updates)]
        review = ReviewFacts(decision, START + timedelta(days=30, minutes=self.next_id))
        self.next_id += 1
        self.history.by_task[target.task_id] = [
            replace(u, reviews=(*u.reviews, review)) if u.update_id == target.update_id else u
            for u in self.history.by_task[target.task_id]]
        self._logged(target.task_id, target.unit_id)


step = st.one_of(
    st.tuples(st.just("submit"), st.integers(1, 4), st.integers(1, 3), st.integers(3, 5)),
    st.tuples(st.just("review"), st.integers(0, 50), st.sampled_from(["accepted", "returned"])),
    st.tuples(st.just("look"), st.none(), st.none()),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(step, max_size=40))
def test_the_kept_queue_is_the_queue_worked_out_from_scratch(steps):
    history = History()
    changes = Changes(history)
    index = _PendingIndex()
    for kind, *args in steps:
        if kind == "submit":
            changes.submit(*args)
        elif kind == "review":
            changes.review(*args)
        else:  # the index is asked between changes, as pages ask it
            assert index.of(history) == from_scratch(history)
    assert index.of(history) == from_scratch(history)


def test_a_new_history_or_a_change_log_that_lost_the_version_starts_over():
    history = History()
    changes = Changes(history)
    index = _PendingIndex()
    changes.submit(1, 1, 3)
    assert [u.update_id for u in index.of(history)] == [1]
    changes.submit(1, 1, 3)  # a correction replaces the undecided version
    changes.submit(2, 2, 4)
    history.log.clear()  # as when more changes came than the log keeps
    assert [u.update_id for u in index.of(history)] == [2, 3]
    other = History()  # the cache was reloaded: nothing of the old one may stay
    assert index.of(other) == []
