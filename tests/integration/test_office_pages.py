"""The office's pages at scale and on paper: the plan tree's filters, the paged review queue,
the ranking and 催报 list as xlsx (no formulas), and channels set up on a page."""

from __future__ import annotations

import io

import httpx
import pytest
from openpyxl import load_workbook

from tests.support.factories import csrf, login, make_unit, make_user
from tests.support.world import build_world, update_body
from tracker.domain.errors import Forbidden
from tracker.domain.progress_input import validate_update
from tracker.services import delivery, planning, progress
from tracker.tables import NotificationChannel, Task, TaskUnit

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")
PERIODS = [f"2018-{month:02d}" for month in range(3, 13)]


async def _coordinator(app_client, w):
    await make_user("coordinator", w.units["局办公室"], username="coord")
    await login(app_client, "coord")


async def _fill_queue(w) -> int:
    """Every period of 做好公开 from both units, and of 子任务 from 法规处: 30 undecided."""
    for period in PERIODS:
        await progress.submit_update(w.lead, w.task_id, validate_update(update_body(period=period)))
        await progress.submit_update(w.coop, w.task_id, validate_update(update_body(period=period)))
        await progress.submit_update(w.coop, w.subtask_id, validate_update(update_body(period=period)))
    return 3 * len(PERIODS)


async def test_review_queue_pages_and_filters(database):
    w = await build_world()
    total = await _fill_queue(w)
    first = await progress.review_queue_page(per_page=7)
    assert first.total == total and len(first.rows) == 7
    last = await progress.review_queue_page(page=5, per_page=7)
    assert len(last.rows) == total - 4 * 7
    beyond = await progress.review_queue_page(page=99, per_page=7)
    assert [r.update.id for r in beyond.rows] == [r.update.id for r in last.rows]
    seen = [r.update.id for page in range(1, 6)
            for r in (await progress.review_queue_page(page=page, per_page=7)).rows]
    assert sorted(seen) == sorted(r.update.id for r in await progress.review_queue())
    by_unit = await progress.review_queue_page(unit_id=w.units["法规处"])
    assert by_unit.total == 20 and {r.update.unit_name for r in by_unit.rows} == {"法规处"}
    by_period = await progress.review_queue_page(period="2018-09")
    assert by_period.total == 3 and {r.update.period for r in by_period.rows} == {"2018-09"}


async def test_review_page_shows_one_page_with_a_pager(app_client, database, monkeypatch):
    w = await build_world()
    await _fill_queue(w)
    monkeypatch.setattr(progress, "REVIEW_PAGE_SIZE", 10)
    await _coordinator(app_client, w)
    page = await app_client.get("/reviews")
    assert "审核（30）" in page.text and page.text.count('class="card"') == 10
    assert "第 1 / 3 页，共 30 条" in page.text and 'href="?page=2"' in page.text
    filtered = await app_client.get(f"/reviews?unit={w.units['法规处']}&period=2018-09")
    assert "审核（2）" in filtered.text and filtered.text.count('class="card"') == 2
    assert (await app_client.get("/reviews?period=2018-13")).status_code == 400
    assert (await app_client.get("/reviews?unit=x")).status_code == 400


async def test_plan_tree_filters_without_javascript(app_client, database):
    w = await build_world()
    await _coordinator(app_client, w)
    everything = await app_client.get(f"/plans/{w.plan_id}")
    assert "共 3 项任务" in everything.text and "<details class=\"plan-section\"" in everything.text
    by_unit = await app_client.get(f"/plans/{w.plan_id}?unit=法规处")
    assert "符合条件的任务 2 项（共 3 项）" in by_unit.text  # 做好公开 (cooperating) and 子任务
    assert "持续任务" not in by_unit.text.split('id="tree"')[1]
    by_text = await app_client.get(f"/plans/{w.plan_id}?q=持续")
    assert "符合条件的任务 1 项" in by_text.text
    none = await app_client.get(f"/plans/{w.plan_id}?status=done")
    assert "没有符合条件的任务" in none.text
    bad = await app_client.get(f"/plans/{w.plan_id}?status=late")
    assert bad.status_code == 400 and "未知状态" in bad.text


async def test_ranking_and_chasing_export_as_xlsx_without_formulas(app_client, database):
    w = await build_world()
    sly = await make_unit("=HYPERLINK(\"http://x\")处")
    subtask = await planning.add_subtask(w.task_id, "子任务二", [sly], "", actor=None)
    # Split before the period: a task added today is not owed in 2018-09 (as-of ranking).
    await Task.update({Task.created_at: None}).where(Task.id == subtask)
    await TaskUnit.update({TaskUnit.created_at: None}).where(TaskUnit.task == subtask)
    await _coordinator(app_client, w)
    ranking = await app_client.get(f"/plans/{w.plan_id}/ranking.xlsx?period=2018-09")
    assert ranking.status_code == 200
    assert ranking.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="ranking-' in ranking.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(ranking.content)).active
    assert sheet.title == "通报排名" and "单位通报排名 2018-09" in sheet["A1"].value
    units = [row[1] for row in sheet.iter_rows(min_row=3, values_only=True) if row[0]]
    assert set(units) == {"局办公室", "法规处", "'=HYPERLINK(\"http://x\")处"}
    chasing = await app_client.get(f"/plans/{w.plan_id}/chasing.xlsx?period=2018-09")
    sheet = load_workbook(io.BytesIO(chasing.content)).active
    cells = [c for row in sheet.iter_rows(min_row=3, values_only=True) for c in row if c]
    assert "未报送" in cells and "局办公室" in cells
    assert [c for row in sheet.iter_rows() for c in row if c.data_type == "f"] == []
    assert any(isinstance(c, str) and c.startswith("'=HYPERLINK") for c in cells)
    page = await app_client.get(f"/plans/{w.plan_id}/ranking")
    assert "导出 Excel" in page.text and "data-print" in page.text


async def test_channels_are_set_up_tested_and_disabled_on_a_page(app_client, database, monkeypatch):
    w = await build_world()
    await _coordinator(app_client, w)
    refused = await app_client.post("/notifications/channels", data={
        "kind": "wecom", "name": "办公室群", "target": "ftp://qyapi.example/x", **csrf(app_client)})
    assert refused.status_code == 400 and 'data-field="target"' in refused.text
    assert "办公室群" in refused.text and await NotificationChannel.count() == 0
    added = await app_client.post("/notifications/channels", data={
        "kind": "wecom", "name": "办公室群", "events": ["reminder", "update_returned"],
        "target": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET", **csrf(app_client)})
    assert added.status_code == 303 and added.headers["location"] == "/notifications?notice=channel_added"
    page = await app_client.get("/notifications")
    assert "办公室群" in page.text and "SECRET" not in page.text and "key=***" in page.text
    [channel] = await NotificationChannel.select(NotificationChannel.id)
    sent = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"errcode": 0, "errmsg": "ok"})

    real_client = httpx.AsyncClient
    monkeypatch.setattr(delivery.httpx, "AsyncClient",
                        lambda **kw: real_client(transport=httpx.MockTransport(answer), **kw))
    tested = await app_client.post(f"/notifications/channels/{channel['id']}/test", data=csrf(app_client))
    assert tested.status_code == 200 and "测试消息已发往“办公室群”" in tested.text
    assert len(sent) == 1 and "key=SECRET" in str(sent[0].url) and "测试消息" in sent[0].content.decode()
    disabled = await app_client.post(f"/notifications/channels/{channel['id']}/active",
                                     data={"active": "0", **csrf(app_client)})
    assert disabled.status_code == 303, disabled.text[-1500:]
    assert disabled.headers["location"] == "/notifications?notice=channel_disabled"
    assert (await NotificationChannel.select(NotificationChannel.active).first())["active"] is False
    await app_client.post("/logout", data=csrf(app_client))
    await login(app_client, w.lead.username)
    assert (await app_client.post(f"/notifications/channels/{channel['id']}/active",
                                  data={"active": "1", **csrf(app_client)})).status_code == 403
    assert (await app_client.post("/notifications/channels", data={
        "kind": "webhook", "name": "x", "target": "https://a.example", **csrf(app_client)})
            ).status_code == 403


async def test_a_big_plan_lists_its_sections_as_links(app_client, database, monkeypatch):
    from tracker.http.pages import plans as plan_pages

    w = await build_world()
    monkeypatch.setattr(plan_pages, "SECTIONS_ONLY_FROM", 3)
    await _coordinator(app_client, w)
    page = await app_client.get(f"/plans/{w.plan_id}")
    assert 'class="section-index"' in page.text and "做好公开" not in page.text
    assert "&amp;section=" in page.text and "请选择部分或按条件筛选" in page.text
    one = await app_client.get(f"/plans/{w.plan_id}?section={(await _first_section(w))}")
    assert "做好公开" in one.text and 'class="section-index"' not in one.text


async def _first_section(w) -> int:
    from tracker.tables import Section

    return (await Section.select(Section.id).where(Section.plan == w.plan_id).first())["id"]


async def test_selected_updates_are_accepted_at_once(app_client, database):
    """通过所选: the ticked updates are accepted in one post, each with its review and audit
    entry; one its unit replaced meanwhile and one already decided are skipped with the reason
    (the others still go through); the filters survive; bad input is refused, nothing stored."""
    from tracker.tables import AuditEntry, Review

    w = await build_world()
    await _fill_queue(w)
    await _coordinator(app_client, w)
    queue = await progress.review_queue_page(unit_id=w.units["法规处"], per_page=100)
    ids = [row.update.id for row in queue.rows]
    assert len(ids) == 20
    page = await app_client.get(f"/reviews?unit={w.units['法规处']}")
    assert 'action="/reviews/accept"' in page.text and f'value="{ids[0]}" form="batch-review"' in page.text

    # Refused, nothing stored: nothing ticked, an id that is not a number, a user who is not a
    # coordinator (a reporter's session).
    nothing = await app_client.post("/reviews/accept", data={**csrf(app_client)})
    assert nothing.status_code == 400 and "请先勾选要通过的填报" in nothing.text
    for odd in ("x", "²"):  # "²" passes str.isdigit but not int()
        bad = await app_client.post("/reviews/accept",
                                    data={**csrf(app_client), "update": ["1", odd]})
        assert bad.status_code == 400 and "填报编号应为数字" in bad.text
    assert await Review.count() == 0
    with pytest.raises(Forbidden):
        await progress.accept_many(w.coop, ids[:1])

    # Meanwhile: the unit files a new version of one ticked update, and another is returned.
    replaced, returned = ids[0], ids[1]
    replaced_period = next(r.update.period for r in queue.rows if r.update.id == replaced)
    await progress.submit_update(w.coop, next(r.update.task_id for r in queue.rows
                                              if r.update.id == replaced),
                                 validate_update(update_body(period=replaced_period, percent=60)))
    await progress.review_update(w.coordinator, returned, "return", "请补充")
    audits_before = await AuditEntry.count()

    ticked = ids[:12]
    answer = await app_client.post("/reviews/accept", data={
        **csrf(app_client), "update": [str(i) for i in ticked], "unit": str(w.units["法规处"]),
        "period": "", "page": "1"})
    assert answer.status_code == 200, answer.text
    assert "已通过 10 条填报；以下 2 条未处理" in answer.text
    assert f"填报 {replaced}：该填报已有更新的版本" in answer.text
    assert f"填报 {returned}：该填报已审核过" in answer.text
    accepted = {row["update"] for row in await Review.select(Review.update).where(
        Review.decision == progress.ACCEPTED)}
    assert accepted == set(ticked[2:])
    assert await AuditEntry.count() == audits_before + 10

    # All still waiting: back to the same filtered queue with the notice; the queue shrank.
    rest = [row.update.id for row in (await progress.review_queue_page(
        unit_id=w.units["法规处"], per_page=100)).rows]
    done = await app_client.post("/reviews/accept", data={
        **csrf(app_client), "update": [str(i) for i in rest[:3]] * 2,  # a repeat counts once
        "unit": str(w.units["法规处"]), "period": "", "page": "1"})
    assert done.status_code == 303
    assert done.headers["location"] == f"/reviews?unit={w.units['法规处']}&page=1&notice=batch_reviewed"
    shown = await app_client.get(done.headers["location"])
    assert "所选填报已全部通过。" in shown.text
    assert f"审核（{len(rest) - 3}）" in shown.text

