"""催报 that acts, on SQLite and PostgreSQL: through the channels (the outbox) and in-app,
recorded, once per unit, period and day unless 再次催报; and its page."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.support.factories import csrf, login, make_user
from tests.support.world import build_world
from tracker.domain.errors import Forbidden, InvalidInput
from tracker.schemas import ChannelIn
from tracker.services import channels, inbox, reminding
from tracker.tables import ChaseRecord, InboxNotice, Notification

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")
PERIOD = "2018-09"
TODAY = dt.date(2026, 11, 28)


async def _channel(name: str = "办公室群") -> int:
    return (await channels.add_channel(ChannelIn(kind="webhook", name=name,
                                                 target="https://hooks.example.cn/x"))).id


async def test_remind_one_unit_goes_through_channels_and_inbox_and_is_recorded(database):
    w = await build_world()
    await _channel()
    office = w.units["局办公室"]
    [outcome] = await reminding.remind(w.coordinator, w.plan_id, PERIOD, [office], today=TODAY)
    assert outcome.result == reminding.SENT
    assert outcome.channels == ("站内通知", "办公室群")
    assert "局办公室" in outcome.message and "2018年9月" in outcome.message
    # The outbox has the reminder for the channel; the unit's reporter has it in the tracker.
    [queued] = await Notification.select().where(Notification.event == "reminder")
    assert json.loads(queued["payload"])["data"]["unit"]["id"] == office
    items, total = await inbox.notices_for(w.lead.id)
    assert total == 1 and items[0].kind == "reminder" and "催报" in items[0].title
    assert items[0].link == f"/my?period={PERIOD}"
    assert await inbox.unread_count(w.lead.id) == 1
    assert await inbox.unread_count(w.coop.id) == 0  # another unit's reporter
    [entry] = await reminding.history(w.plan_id, PERIOD)
    assert (entry.unit_name, entry.sequence, entry.channels, entry.recipients) == (
        "局办公室", 1, ("站内通知", "办公室群"), 1)
    assert entry.reminded_by == w.coordinator.display_name and entry.tasks == 1


async def test_a_second_reminder_the_same_day_is_refused_unless_asked_again(database):
    w = await build_world()
    office = w.units["局办公室"]
    await reminding.remind(w.coordinator, w.plan_id, PERIOD, [office], today=TODAY)
    [again] = await reminding.remind(w.coordinator, w.plan_id, PERIOD, [office], today=TODAY)
    assert again.result == reminding.ALREADY and "再次催报" in again.message
    assert await ChaseRecord.count() == 1 and await InboxNotice.count() == 1
    [explicit] = await reminding.remind(w.coordinator, w.plan_id, PERIOD, [office], again=True,
                                        today=TODAY)
    assert explicit.result == reminding.SENT
    assert [e.sequence for e in await reminding.history(w.plan_id, PERIOD)] == [2, 1]
    assert await inbox.unread_count(w.lead.id) == 2
    # The next day is a new day.
    [next_day] = await reminding.remind(w.coordinator, w.plan_id, PERIOD, [office],
                                        today=TODAY + dt.timedelta(days=1))
    assert next_day.result == reminding.SENT


async def test_remind_all_reaches_every_unit_not_reported_only(database):
    w = await build_world()
    outcomes = await reminding.remind(w.coordinator, w.plan_id, PERIOD, None, today=TODAY)
    assert sorted(o.unit_name for o in outcomes) == ["局办公室", "法规处"]
    assert all(o.result == reminding.SENT for o in outcomes)
    [nothing] = await reminding.remind(w.coordinator, w.plan_id, PERIOD, [w.units["其他处"]],
                                       today=TODAY)
    assert nothing.result == reminding.NOTHING_OWED and await ChaseRecord.count() == 2


async def test_only_coordinators_remind_and_bad_input_stores_nothing(database):
    w = await build_world()
    with pytest.raises(Forbidden):
        await reminding.remind(w.lead, w.plan_id, PERIOD, None, today=TODAY)
    with pytest.raises(InvalidInput) as refused:
        await reminding.remind(w.coordinator, w.plan_id, "2018-13", None, today=TODAY)
    assert refused.value.field == "period"
    with pytest.raises(InvalidInput):
        await reminding.remind(w.coordinator, w.plan_id, PERIOD, [99999], today=TODAY)
    assert await ChaseRecord.count() == 0 and await InboxNotice.count() == 0


async def test_chasing_page_reminds_and_shows_history_and_badge(app_client, database):
    w = await build_world()
    await make_user("coordinator", w.units["局办公室"], username="coord")
    await make_user("reporter", w.units["局办公室"], username="clerk")
    await login(app_client, "coord")
    page = await app_client.get(f"/plans/{w.plan_id}/chasing?period={PERIOD}")
    assert page.status_code == 200
    assert "一键催报全部未报单位" in page.text and 'name="unit_id"' in page.text
    sent = await app_client.post(f"/plans/{w.plan_id}/chasing/remind",
                                 data={"period": PERIOD, "unit_id": str(w.units["局办公室"]),
                                       **csrf(app_client)})
    assert sent.status_code == 200
    assert "已向局办公室催报2018年9月进展" in sent.text
    assert "今日已催报" in sent.text and "再次催报" in sent.text
    assert "催报记录（1）" in sent.text and "本期已催报 1 次" in sent.text
    assert f'id="history-unit-{w.units["局办公室"]}"' in sent.text
    twice = await app_client.post(f"/plans/{w.plan_id}/chasing/remind",
                                  data={"period": PERIOD, "unit_id": str(w.units["局办公室"]),
                                        **csrf(app_client)})
    assert "今天" in twice.text and "未重复发送" in twice.text and "催报记录（1）" in twice.text
    bad = await app_client.post(f"/plans/{w.plan_id}/chasing/remind",
                                data={"period": PERIOD, "unit_id": "x", **csrf(app_client)})
    assert bad.status_code == 400 and "单位编号无效" in bad.text
    # The unit's reporter sees the badge in the menu and the notice on 通知.
    await app_client.post("/logout", data=csrf(app_client))
    await login(app_client, "clerk")
    my = await app_client.get("/my")
    assert '<span class="count"' in my.text
    notices = await app_client.get("/inbox")
    assert "催报：局办公室" in notices.text


async def test_remind_route_is_for_coordinators_only(app_client, database):
    w = await build_world()
    await make_user("reporter", w.units["局办公室"], username="clerk")
    await make_user("leader", None, username="boss")
    for username in ("clerk", "boss"):
        await login(app_client, username)
        response = await app_client.post(f"/plans/{w.plan_id}/chasing/remind",
                                         data={"period": PERIOD, **csrf(app_client)})
        assert response.status_code == 403
        await app_client.post("/logout", data=csrf(app_client))
    assert await ChaseRecord.count() == 0
