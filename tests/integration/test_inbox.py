"""In-app notices (站内通知), on SQLite and PostgreSQL: written with the event that causes them,
the menu's unread badge, the 通知 page, marking read, and nobody reading another's notices."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.factories import csrf, login, make_user
from tests.support.world import build_world, update_body
from tracker.domain.progress_input import validate_update
from tracker.services import extensions, inbox, notices, progress
from tracker.tables import InboxNotice, Review

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


async def test_a_returned_update_notifies_the_units_reporters(database):
    w = await build_world()
    colleague = await make_user("reporter", w.units["局办公室"])
    update = await progress.submit_update(w.lead, w.task_id, validate_update(update_body()))
    await progress.review_update(w.coordinator, update.id, "return", "请补充佐证材料")
    for person in (w.lead, colleague):
        [notice], total = await inbox.notices_for(person.id)
        assert total == 1 and notice.kind == "update_returned"
        assert "退回" in notice.title and "请补充佐证材料" in notice.body
        assert notice.link == f"/tasks/{w.task_id}" and not notice.read
    assert await inbox.unread_count(w.coop.id) == 0
    # Accepting says nothing in the inbox.
    again = await progress.submit_update(w.lead, w.task_id, validate_update(update_body()))
    await progress.review_update(w.coordinator, again.id, "accept", "")
    assert await inbox.unread_count(w.lead.id) == 1


async def test_the_notice_is_in_the_reviews_transaction(database, monkeypatch):
    """If the review cannot be stored, no notice is left behind (and the other way round)."""
    w = await build_world()
    update = await progress.submit_update(w.lead, w.task_id, validate_update(update_body()))

    async def broken(update_id):
        raise RuntimeError("inbox down")

    monkeypatch.setattr(progress, "note_update_returned", broken)
    with pytest.raises(RuntimeError):
        await progress.review_update(w.coordinator, update.id, "return", "请补充")
    assert await Review.count() == 0 and await InboxNotice.count() == 0


async def test_extension_requests_and_decisions_are_noticed(database):
    w = await build_world()
    request = await extensions.request_extension(w.lead, w.task_id, "2019-03-31", "需要协调外部单位")
    [asked], _ = await inbox.notices_for(w.coordinator.id)
    assert asked.kind == "extension_requested" and "2019-03-31" in asked.title
    await extensions.decide(w.coordinator, request.id, "approve", "同意")
    [decided], _ = await inbox.notices_for(w.lead.id)
    assert decided.kind == "extension_decided"
    assert "延期已同意" in decided.title and "2018-12-31 延至 2019-03-31" in decided.body
    refused = await extensions.request_extension(w.lead, w.task_id, "2019-06-30", "再延")
    await extensions.decide(w.coordinator, refused.id, "refuse", "不再延期")
    latest, total = await inbox.notices_for(w.lead.id)
    assert total == 2 and "延期未同意" in latest[0].title and "不再延期" in latest[0].body


async def test_deadline_soon_notices_once_per_window(database):
    w = await build_world()
    plan = {"id": w.plan_id, "title": "测试计划"}
    # 做好公开 is due 2018-12-31: 14 days before, then 3 days before; once each.
    assert await notices.note_deadlines(plan, dt.date(2018, 12, 1)) == 0
    assert await notices.note_deadlines(plan, dt.date(2018, 12, 20)) == 1
    assert await notices.note_deadlines(plan, dt.date(2018, 12, 21)) == 0
    assert await notices.note_deadlines(plan, dt.date(2018, 12, 30)) == 1
    items, total = await inbox.notices_for(w.lead.id)
    assert total == 2 and {i.kind for i in items} == {"deadline_soon"}
    assert "2018-12-31" in items[0].title


async def test_mark_read_one_and_all_and_only_ones_own(database):
    w = await build_world()
    for n in range(3):
        await inbox.notify_unit(w.units["局办公室"], "reminder", f"催报{n}", link="/my")
    items, _ = await inbox.notices_for(w.lead.id)
    assert await inbox.mark_read(w.lead.id, items[0].id) == 1
    assert await inbox.unread_count(w.lead.id) == 2
    with pytest.raises(Exception) as other:
        await inbox.mark_read(w.coop.id, items[1].id)
    assert "不存在" in str(other.value)
    assert await inbox.mark_read(w.lead.id) == 2 and await inbox.unread_count(w.lead.id) == 0
    unread, total = await inbox.notices_for(w.lead.id, unread_only=True)
    assert (unread, total) == ([], 0)


async def test_inbox_page_badge_open_and_mark_all(app_client, database):
    w = await build_world()
    await make_user("reporter", w.units["局办公室"], username="clerk")
    await make_user("reporter", w.units["法规处"], username="coop")
    await inbox.notify_unit(w.units["局办公室"], "update_returned", "填报退回：请修改",
                            "退回意见：请补充", f"/tasks/{w.task_id}")
    await inbox.notify_unit(w.units["局办公室"], "reminder", "催报：请报送", link="//evil.example")
    await login(app_client, "clerk")
    page = await app_client.get("/inbox")
    assert page.status_code == 200
    assert '<span class="count" title="未读 2">2</span>' in page.text
    assert "填报退回：请修改" in page.text and "退回意见：请补充" in page.text
    clerk = await _user_id("clerk")
    ids = [row["id"] for row in await InboxNotice.select(InboxNotice.id).where(
        InboxNotice.recipient == clerk).order_by(InboxNotice.id)]
    opened = await app_client.get(f"/inbox/{ids[0]}")
    assert opened.status_code == 303 and opened.headers["location"] == f"/tasks/{w.task_id}"
    unsafe = await app_client.get(f"/inbox/{ids[1]}")
    assert unsafe.headers["location"] == "/inbox"  # never off the site
    assert await inbox.unread_count(clerk) == 0
    assert '<span class="count"' not in (await app_client.get("/inbox")).text
    await inbox.notify_unit(w.units["局办公室"], "reminder", "催报：再次")
    done = await app_client.post("/inbox/read-all", data=csrf(app_client))
    assert done.status_code == 303 and done.headers["location"] == "/inbox?notice=all_read"
    # Another unit's reporter can neither open nor mark them.
    await app_client.post("/logout", data=csrf(app_client))
    await login(app_client, "coop")
    assert (await app_client.get(f"/inbox/{ids[0]}")).status_code == 404
    assert (await app_client.post(f"/inbox/{ids[0]}/read", data=csrf(app_client))).status_code == 404
    assert "还没有通知" in (await app_client.get("/inbox")).text
    assert (await app_client.get("/inbox?page=0")).status_code == 400


async def test_inbox_needs_a_login(app_client, database):
    response = await app_client.get("/inbox")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def _user_id(username: str) -> int:
    from tracker.tables import User

    return (await User.select(User.id).where(User.username == username).first())["id"]


async def test_scheduled_reminders_also_reach_the_inbox_once(database):
    w = await build_world()
    await notices.queue_due_notices(today=dt.date(2018, 10, 3), plan_id=w.plan_id)
    [reminder], _ = await inbox.notices_for(w.lead.id)
    assert reminder.kind == "reminder" and "2018年9月" in reminder.title
    assert "填报入口" not in reminder.body  # the title is the link in the tracker
    await notices.queue_due_notices(today=dt.date(2018, 10, 4), plan_id=w.plan_id)
    assert await inbox.unread_count(w.lead.id) == 1


async def test_the_unread_badge_is_one_indexed_count(database):
    if database != "sqlite":
        pytest.skip("the plan is checked on SQLite; PostgreSQL has the same index")
    w = await build_world()
    rows = await InboxNotice.raw(
        "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM inbox_notice WHERE recipient = {} "
        "AND read_at IS NULL", w.lead.id)
    assert any("inbox_notice_unread" in row["detail"] for row in rows), rows
