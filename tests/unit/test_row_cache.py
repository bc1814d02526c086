"""Rows rendered once and reused (tracker/http/rows.py) are never stale: a change to any value
a row shows renders it again, with what rendering from scratch gives, and a reloaded row
template empties the cache."""

from __future__ import annotations

import pytest
from msgspec.structs import replace

from tracker.domain.status import TaskStatus
from tracker.http.app import _jinja_environment
from tracker.http.rows import RowCache, chase_rows, plan_rows, review_cards
from tracker.schemas import (
    AttachmentOut,
    ChaseTask,
    MilestoneOut,
    ReviewOut,
    ReviewQueueRow,
    TaskOut,
    UpdateOut,
)

SUB = TaskOut(id=8, number="（1）", text="子任务", lead_units=["法规处"], cooperating_units=[],
              deadline_text=None, deadline="2018-06-30")
TASK = TaskOut(id=7, number="1", text="做好公开", lead_units=["局办公室"],
               cooperating_units=["法规处"], deadline_text="年底前", deadline="2018-12-31",
               milestones=[MilestoneOut(id=1, title="年中检查", due_on="2018-06-30")],
               subtasks=[SUB])
STATUS = TaskStatus(task_id=7, code="behind", percent=40, expected=60.0, days_to_deadline=20,
                    last_period="2018-09")
def _status(**changes) -> TaskStatus:
    fields = {**STATUS.__dict__, **changes}
    return TaskStatus(**fields)


BASE = {"task": TASK, "statuses": {7: STATUS, 8: _status(task_id=8, code="on_track")},
        "warnings": {7: "blue", 8: None}, "extended": {}}

# Every value a plan row shows, changed one at a time.
PLAN_CHANGES = {
    "text": {"task": replace(TASK, text="做好政务公开（已调整）")},
    "number": {"task": replace(TASK, number="2")},
    "lead unit": {"task": replace(TASK, lead_units=["其他处"])},
    "unassigned": {"task": replace(TASK, lead_units=[])},
    "cooperating unit": {"task": replace(TASK, cooperating_units=["法规处", "其他处"])},
    "deadline": {"task": replace(TASK, deadline="2018-11-30")},
    "deadline as written": {"task": replace(TASK, deadline_text="11月底前")},
    "milestone": {"task": replace(TASK, milestones=[MilestoneOut(1, "年中检查（改）", "2018-06-30")])},
    "withdrawn": {"task": replace(TASK, withdrawn_on="2018-08-01")},
    "sub-task": {"task": replace(TASK, subtasks=[replace(SUB, text="子任务（改）")])},
    "percent": {"statuses": {**BASE["statuses"], 7: _status(percent=55)}},
    "status": {"statuses": {**BASE["statuses"], 7: _status(code="overdue")}},
    "last period": {"statuses": {**BASE["statuses"], 7: _status(last_period="2018-10")}},
    "sub-task's status": {"statuses": {**BASE["statuses"], 8: _status(task_id=8, code="done")}},
    "sub-task not yet there": {"statuses": {7: STATUS}},
    "warning": {"warnings": {7: "red", 8: None}},
    "extension": {"extended": {7: "2019-03-31"}},
}


def _plan_html(cache: RowCache, inputs: dict) -> str:
    return plan_rows(cache, [inputs["task"]], inputs["statuses"], inputs["warnings"],
                     inputs["extended"])


@pytest.mark.parametrize("change", PLAN_CHANGES)
def test_a_plan_row_is_rendered_again_when_anything_it_shows_changes(change):
    environment = _jinja_environment()
    cache = RowCache(environment, "_plan_row.html")
    before = _plan_html(cache, BASE)
    assert _plan_html(cache, BASE) == before  # reused
    changed = {**BASE, **PLAN_CHANGES[change]}
    after = _plan_html(cache, changed)
    assert after != before
    assert after == _plan_html(RowCache(environment, "_plan_row.html"), changed)  # from scratch
    assert _plan_html(cache, BASE) == before  # and back


def test_the_rows_are_reused_not_rendered_again(monkeypatch):
    environment = _jinja_environment()
    cache = RowCache(environment, "_plan_row.html")
    first = _plan_html(cache, BASE)
    monkeypatch.setattr(cache.template, "render", lambda *a, **k: pytest.fail("rendered again"))
    # Equal values in new objects (a tree read again, a snapshot worked out again): reused.
    again = {**BASE, "task": replace(TASK), "statuses": {7: _status(), 8: BASE["statuses"][8]}}
    assert _plan_html(cache, again) == first


def test_a_reloaded_row_template_empties_the_cache():
    environment = _jinja_environment()
    cache = RowCache(environment, "_plan_row.html")
    _plan_html(cache, BASE)
    assert cache.rows
    environment.cache.clear()  # what auto_reload does when the file changed
    _plan_html(cache, BASE)
    assert cache.template is environment.get_template("_plan_row.html") and len(cache.rows) == 2


CHASE = ChaseTask(task_id=7, text="1. 做好公开", lead_units=["局办公室"], status="behind",
                  percent=40, expected=60.0, deadline="2018-12-31", warning="blue")
CHASE_CHANGES = [replace(CHASE, text="1. 做好政务公开"), replace(CHASE, lead_units=[]),
                 replace(CHASE, status="overdue"), replace(CHASE, percent=41),
                 replace(CHASE, expected=None), replace(CHASE, deadline="ongoing"),
                 replace(CHASE, warning=None), replace(CHASE, extended_deadline="2019-03-31")]


@pytest.mark.parametrize("changed", CHASE_CHANGES)
def test_a_chase_row_is_rendered_again_when_anything_it_shows_changes(changed):
    environment = _jinja_environment()
    cache = RowCache(environment, "_chase_row.html")
    before = chase_rows(cache, [CHASE])
    after = chase_rows(cache, [changed])
    assert after != before
    assert after == chase_rows(RowCache(environment, "_chase_row.html"), [changed])


UPDATE = UpdateOut(id=3, task_id=7, unit_id=1, unit_name="局办公室", role="lead", period="2018-09",
                   version=1, percent=40, state="in_progress", work_done="已梳理目录",
                   problems="", next_steps="", evidence_links=[], submitted_by="张三",
                   submitted_at="2018-10-03T02:00:00+00:00", review_state="submitted",
                   reviews=[], attachments=[])
ROW = ReviewQueueRow(update=UPDATE, task_text="做好公开", task_number="1", plan_id=1,
                     plan_title="2018年要点")
ROW_CHANGES = [
    replace(ROW, task_text="做好政务公开"), replace(ROW, task_number=None),
    replace(ROW, plan_title="2019年要点"),
    replace(ROW, update=replace(UPDATE, percent=41)),
    replace(ROW, update=replace(UPDATE, work_done="已梳理目录并公开")),
    replace(ROW, update=replace(UPDATE, problems="人手不足")),
    replace(ROW, update=replace(UPDATE, evidence_links=["https://example.gov.cn/a"])),
    replace(ROW, update=replace(UPDATE, review_state="superseded", superseded_by=2)),
    replace(ROW, update=replace(UPDATE, submitted_at="2018-10-04T02:00:00+00:00")),
    replace(ROW, update=replace(UPDATE, reviews=[ReviewOut(1, "returned", "请补充", "李四",
                                                           "2018-10-05T02:00:00+00:00")])),
    replace(ROW, update=replace(UPDATE, attachments=[AttachmentOut(1, "a.pdf", "application/pdf",
                                                                   2048)])),
]


@pytest.mark.parametrize("changed", ROW_CHANGES)
def test_a_review_card_is_rendered_again_when_anything_it_shows_changes(changed):
    environment = _jinja_environment()
    cache = RowCache(environment, "_review_card.html")
    [before] = review_cards(cache, [ROW])
    [after] = review_cards(cache, [changed])
    assert after != before
    assert [after] == review_cards(RowCache(environment, "_review_card.html"), [changed])


def test_untrusted_text_in_a_cached_row_is_escaped():
    cache = RowCache(_jinja_environment(), "_plan_row.html")
    html = _plan_html(cache, {**BASE, "task": replace(TASK, text="<script>alert(1)</script>")})
    assert "<script>" not in html and "&lt;script&gt;" in html
