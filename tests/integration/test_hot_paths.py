"""Issue 14's hot paths at a small scale, on SQLite and PostgreSQL: what a submission costs in
statements (deterministic, unlike timing: bench/server_bench.py times it), that its answer,
built from what was written, is what reading it back gives, and the paged review queue, 催报
list and plan overview with their bad page numbers."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import quote

import httpx
import pytest
from piccolo.engine.postgres import PostgresEngine

from tests.support.factories import csrf, login, make_user
from tests.support.pg_wire import counting_proxy
from tests.support.world import PDF, build_world, form_body, update_body
from tracker.db import count_statements
from tracker.domain.progress_input import validate_update
from tracker.http.app import create_app
from tracker.http.pages import plans as plan_pages
from tracker.http.pages import tracking as tracking_pages
from tracker.services import chasing, progress
from tracker.services.database import bind_engine, close_pool, current_engine, open_pool
from tracker.tables import AuditEntry, ProgressUpdate

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

# A JSON submission: the bearer token, the task with the unit's part and the plan's year, what
# the key or the period already holds; then the update and its audit entry: on PostgreSQL one
# statement (no transaction of its own), on SQLite two in one transaction.
SUBMISSION_STATEMENTS = {"postgres": 3, "sqlite": 4}
SUBMISSION_TRANSACTIONS = {"postgres": 0, "sqlite": 1}
PERIODS = [f"2018-{month:02d}" for month in range(3, 13)]


async def test_a_submission_stays_within_its_statement_budget(app_client, database):
    w = await build_world()
    url = f"/api/tasks/{w.task_id}/updates"
    engine = current_engine()
    for version, key in ((1, "budget-key-0001"), (2, "budget-key-0002")):  # new, then a correction
        with count_statements(engine) as count:
            response = await app_client.post(url, json=update_body(percent=10 * version),
                                             headers={**w.h["lead"], "Idempotency-Key": key})
        assert response.status_code == 201, response.text
        assert response.json()["version"] == version
        assert count.statements == SUBMISSION_STATEMENTS[database], "\n".join(count.sql)
        assert count.transactions == SUBMISSION_TRANSACTIONS[database]
    # The same request again (a client's retry) answers with the stored update, writes nothing.
    with count_statements(engine) as count:
        again = await app_client.post(url, json=update_body(percent=20),
                                      headers={**w.h["lead"], "Idempotency-Key": "budget-key-0002"})
    assert again.status_code == 201 and again.json()["version"] == 2
    assert count.transactions == 0
    assert await ProgressUpdate.count() == 2


async def test_a_submission_on_postgresql_is_three_round_trips(database, backend_urls):
    """Counted on the wire, through the app's pool: the token, the reads, and one statement
    for the update with its audit entry (no BEGIN, no COMMIT, no read back; six trips
    before). The statements are the same text every time, so they stay prepared on the
    connection: a prepared statement missing from asyncpg's cache would cost a trip more."""
    if database == "sqlite":
        pytest.skip("SQLite's trips to its connection thread: tests/integration/test_sqlite_pool.py")
    w = await build_world()
    url = f"/api/tasks/{w.task_id}/updates"
    engine = current_engine()
    # Made on the real address: Piccolo checks the server's version synchronously as it is made
    # (run_sync, another thread and loop), which the proxy on this test's loop cannot answer.
    through_proxy = PostgresEngine(config={"dsn": backend_urls("postgres")[0]})
    async with counting_proxy(backend_urls("postgres")[0]) as (proxied, trips):
        through_proxy.config = {"dsn": proxied}
        bind_engine(through_proxy)
        await open_pool()
        try:
            transport = httpx.ASGITransport(app=create_app())
            async with httpx.AsyncClient(transport=transport,
                                         base_url="https://testserver.local") as client:
                async def submit(percent: int, key: str) -> httpx.Response:
                    response = await client.post(url, json=update_body(percent=percent),
                                                 headers={**w.h["lead"], "Idempotency-Key": key})
                    assert response.status_code == 201, response.text
                    return response

                await submit(10, "trips-key-0001")  # the connection prepares the statements
                trips.reset()
                second = await submit(20, "trips-key-0002")
                assert trips.sent == ["S", "S", "S"], trips.queries
                trips.reset()
                third = await submit(30, "trips-key-0003")
                assert trips.sent == ["S", "S", "S"], trips.queries
                assert [second.json()["version"], third.json()["version"]] == [2, 3]
                # The page's form: the session instead of the token, the same two after it.
                await login(client, w.lead.username)
                form = {**form_body(percent=40), "_submission": "trips-form-0001", **csrf(client)}
                trips.reset()
                page = await client.post(f"/tasks/{w.task_id}/updates", data=form)
                assert page.status_code == 303, page.text
                assert trips.sent == ["S", "S", "S"], trips.queries
        finally:
            await close_pool()
            bind_engine(engine)
    entries = await AuditEntry.select(AuditEntry.entity_id, AuditEntry.after).where(
        AuditEntry.action == "update.submit").order_by(AuditEntry.id)
    assert [entry["entity_id"] for entry in entries] == [
        row["id"] for row in await ProgressUpdate.select(ProgressUpdate.id).order_by(
            ProgressUpdate.id)]
    assert json.loads(entries[-1]["after"])["percent"] == 40


async def test_a_version_taken_meanwhile_is_retried_and_stored_once(app_client, monkeypatch):
    """Two submissions read the same latest version; the second one's insert meets the unique
    (task, unit, period, version) and is stored as the next version, with one audit entry
    each. A concurrent retry of the same key answers with what the first one stored."""
    w = await build_world()
    url = f"/api/tasks/{w.task_id}/updates"
    reads = progress._submission_reads

    async def stale_reads(*args):  # what was read before the other submission was stored
        context, keyed, latest = await reads(*args)
        return context, None, None

    monkeypatch.setattr(progress, "_submission_reads", stale_reads)
    first = await app_client.post(url, json=update_body(percent=10),
                                  headers={**w.h["lead"], "Idempotency-Key": "race-key-0001"})
    second = await app_client.post(url, json=update_body(percent=20),
                                   headers={**w.h["lead"], "Idempotency-Key": "race-key-0002"})
    assert (first.status_code, second.status_code) == (201, 201), second.text
    assert [first.json()["version"], second.json()["version"]] == [1, 2]
    again = await app_client.post(url, json=update_body(percent=20),
                                  headers={**w.h["lead"], "Idempotency-Key": "race-key-0002"})
    assert again.status_code == 201 and again.json() == second.json()
    assert await ProgressUpdate.count() == 2
    assert await AuditEntry.count().where(AuditEntry.action == "update.submit") == 2


async def test_the_answer_to_a_submission_is_what_reading_it_back_gives(app_client):
    w = await build_world()
    url = f"/api/tasks/{w.task_id}/updates"
    first = await app_client.post(url, json=update_body(evidence_links=["https://example.gov.cn/a"]),
                                  headers=w.h["lead"])
    files = await app_client.post(f"{url}/multipart", data=form_body(percent=60),
                                  files=[("attachments", ("目录.pdf", PDF, "application/pdf")),
                                         ("attachments", ("附表.pdf", PDF, "application/pdf"))],
                                  headers=w.h["lead"])
    cooperating = await app_client.post(url, json=update_body(percent=5), headers=w.h["coop"])
    for answer in (first, files, cooperating):
        assert answer.status_code == 201, answer.text
        stored = await app_client.get(f"/api/updates/{answer.json()['id']}",
                                      headers=w.h["coordinator"])
        expected = stored.json()
        if answer is first:  # version 2 came after it
            expected.update(review_state="submitted", superseded_by=None)
        assert answer.json() == expected


async def _fill_queue(w) -> None:
    """30 undecided updates: every period of 做好公开 from both units and of 子任务."""
    for period in PERIODS:
        for user, task in ((w.lead, w.task_id), (w.coop, w.task_id), (w.coop, w.subtask_id)):
            await progress.submit_update(user, task, validate_update(update_body(period=period)))


async def test_review_queue_api_takes_limit_and_offset(app_client):
    w = await build_world()
    await _fill_queue(w)
    url, headers = "/api/reviews/queue", w.h["coordinator"]
    everything = [row.update.id for row in await progress.review_queue()]
    first = await app_client.get(url, headers=headers)
    assert first.headers["x-total-count"] == "30" and len(first.json()) == 30
    window = await app_client.get(url, params={"limit": 7, "offset": 7}, headers=headers)
    assert [row["update"]["id"] for row in window.json()] == everything[7:14]
    tail = await app_client.get(url, params={"limit": 7, "offset": 28}, headers=headers)
    assert len(tail.json()) == 2 and tail.headers["x-total-count"] == "30"
    filtered = await app_client.get(url, params={"unit": w.units["法规处"], "period": "2018-09"},
                                    headers=headers)
    assert filtered.headers["x-total-count"] == "2"
    for params, field, words in (({"limit": 0}, "limit", "不小于 1"), ({"limit": 501}, "limit", "500"),
                                 ({"limit": "ten"}, "limit", "ten"), ({"offset": -1}, "offset", "不小于 0"),
                                 ({"unit": "x"}, "unit", "单位编号无效"),
                                 ({"period": "2018-13"}, "period", "")):
        bad = await app_client.get(url, params=params, headers=headers)
        assert bad.status_code == 400, params
        assert bad.json()["field"] == field and words in bad.json()["detail"], bad.json()


async def test_review_page_refuses_a_bad_page_and_its_links_keep_the_filter(app_client, database,
                                                                             monkeypatch):
    w = await build_world()
    await _fill_queue(w)
    monkeypatch.setattr(progress, "REVIEW_PAGE_SIZE", 4)
    await make_user("coordinator", w.units["局办公室"], username="coord")
    await login(app_client, "coord")
    unit = w.units["法规处"]
    second = await app_client.get(f"/reviews?unit={unit}&page=2")
    assert second.status_code == 200
    assert "第 2 / 5 页，共 20 条" in second.text
    assert f'href="?unit={unit}&amp;page=1"' in second.text and "上一页" in second.text
    assert f'href="?unit={unit}&amp;page=3"' in second.text and "下一页" in second.text
    for page, words in (("0", "页码须为不小于 1 的整数"), ("x", "页码须为不小于 1 的整数"),
                        ("6", "第 6 页不存在：共 5 页")):
        bad = await app_client.get(f"/reviews?unit={unit}&page={page}")
        assert bad.status_code == 400 and words in bad.text, page


async def test_chasing_is_paged_on_the_api_and_the_page(app_client, database, monkeypatch):
    w = await build_world()
    params = {"period": "2018-09", "as_of": "2018-10-06"}
    full = await chasing.chasing(w.plan_id, "2018-09", dt.date(2018, 10, 6))
    assert len(full.behind) == 3 and len(full.missed_milestones) == 2
    api = await app_client.get(f"/api/plans/{w.plan_id}/chasing",
                               params={**params, "limit": 1, "offset": 1}, headers=w.h["coordinator"])
    body = api.json()
    assert [t["task_id"] for t in body["behind"]] == [full.behind[1].task_id]
    assert body["totals"] == {"not_reported": len(full.not_reported), "overdue": 0, "behind": 3,
                              "due_soon": 0, "missed_milestones": 2}
    assert [u["unit"] for u in body["not_reported"]] == [u.unit for u in full.not_reported[1:2]]
    assert len(body["missed_milestones"]) == 1
    bad = await app_client.get(f"/api/plans/{w.plan_id}/chasing", params={"limit": "0"},
                               headers=w.h["coordinator"])
    assert bad.status_code == 400 and bad.json()["field"] == "limit"

    monkeypatch.setattr(chasing, "CHASE_PAGE_SIZE", 1)
    await make_user("coordinator", w.units["局办公室"], username="coord")
    await login(app_client, "coord")
    url = f"/plans/{w.plan_id}/chasing?period=2018-09&as_of=2018-10-06"
    second = await app_client.get(f"{url}&page=2")
    assert second.status_code == 200
    assert "滞后任务（3）" in second.text and f"未报送单位（{len(full.not_reported)}）" in second.text
    assert "第 2 / 3 页（每类每页 1 条）" in second.text
    third = await app_client.get(f"{url}&page=3")  # only 滞后任务 has a third row
    assert "本页无（其余见前页）" in third.text and "上一页" in third.text
    assert 'href="?period=2018-09&amp;as_of=2018-10-06&amp;page=3"' in second.text
    for page in ("0", "4", "二"):
        assert (await app_client.get(f"{url}&page={page}")).status_code == 400, page


async def test_plan_overview_pages_a_filtered_tree_and_keeps_the_filter(app_client, database,
                                                                       monkeypatch):
    w = await build_world()
    monkeypatch.setattr(plan_pages, "PLAN_PAGE_SIZE", 1)
    await make_user("coordinator", w.units["局办公室"], username="coord")
    await login(app_client, "coord")
    url = f"/plans/{w.plan_id}?as_of=2018-10-06&q=任务"  # 做好公开 (for 子任务), 持续任务
    first = await app_client.get(url)
    assert first.status_code == 200
    assert "符合条件的任务 3 项（共 3 项），分 2 页显示" in first.text
    next_link = f'href="?q={quote("任务")}&amp;as_of=2018-10-06&amp;page=2"'
    assert next_link in first.text and "下一页" in first.text
    second = await app_client.get(f"{url}&page=2")
    assert second.status_code == 200 and "持续任务" in second.text.split('id="tree"')[1]
    assert "持续任务" not in first.text.split('id="tree"')[1]
    for page, words in (("3", "第 3 页不存在"), ("-1", "页码须为不小于 1 的整数")):
        bad = await app_client.get(f"{url}&page={page}")
        assert bad.status_code == 400 and words in bad.text, page
    monkeypatch.setattr(plan_pages, "PLAN_PAGE_SIZE", 100)
    seed_like = await app_client.get(f"/plans/{w.plan_id}")  # one page: no pager at all
    assert 'class="pager"' not in seed_like.text and "分 2 页" not in seed_like.text


async def test_the_queue_kept_in_memory_is_the_one_the_database_gives(database):
    w = await build_world()
    await _fill_queue(w)
    coordinator = await make_user("coordinator", w.units["局办公室"], username="coord")
    queue = await progress._pending_updates()
    await progress.review_update(coordinator, queue[0], "accept", "")
    await progress.review_update(coordinator, queue[1], "return", "请补充材料")
    # A correction of a returned update is undecided again; of an undecided one, replaces it.
    await progress.submit_update(w.lead, w.task_id, validate_update(update_body(period="2018-03",
                                                                                percent=70)))
    for unit_id, period in ((None, None), (w.units["法规处"], None), (None, "2018-03"),
                            (w.units["局办公室"], "2018-04")):
        assert await progress._pending_updates(unit_id, period) == (
            await progress._pending_by_query(unit_id, period)), (unit_id, period)
    assert len(await progress._pending_updates()) == 29


async def test_a_starting_server_fills_its_caches_before_the_first_page(database, monkeypatch):
    """`tracker serve` (TRACKER_WARM_CACHES=1) warms each worker as it starts: the history,
    the review queue, the recent plans' facts, trees and snapshots, the page templates, the
    overview's charts. The first overview then reads nothing but the checks every read makes,
    and its charts are there without a render child."""
    import asyncio
    from dataclasses import replace

    from tracker.http import app as http_app
    from tracker.reporting import archive, figures
    from tracker.services import plan_cache, tracking
    from tracker.settings import get_settings

    w = await build_world()
    await progress.submit_update(w.lead, w.task_id, validate_update(update_body(period="2018-03")))
    plan_cache.clear()
    monkeypatch.setattr(http_app, "get_settings", lambda: replace(get_settings(), warm_caches=True))
    app = http_app.create_app()
    async with app.lifespan():
        warming = next(t for t in asyncio.all_tasks() if t.get_name() == "tracker-warm-up")
        await asyncio.wait_for(warming, 30)
        state = plan_cache.state()
        assert state.history is not None and w.plan_id in state.facts and w.plan_id in state.trees
        assert state.history.by_task[w.task_id]
        assert progress._pending_index.history is state.history
        facts = await tracking.load_plan_facts(w.plan_id)
        assert {key[0] for key in facts.memo} >= {"snapshot", "timeliness"}
        assert "plan.html" in {t.name for t in app.template_engine.engine.cache.values()}
        assert (await progress.review_queue_page()).total == 1
        with count_statements(current_engine()) as count:
            await tracking.load_plan_facts(w.plan_id)
        # The structure check and the history's "anything new?" pair, nothing loaded in full.
        assert count.statements == 3, "\n".join(count.sql)

        def no_child(*args, **kwargs):
            raise AssertionError("the overview's charts were drawn again")

        monkeypatch.setattr(archive, "run_limited", no_child)
        for name in figures.OVERVIEW_CHARTS:
            for shape in figures.SHAPES:  # the desk's and the phone's
                content, media_type = await archive.plan_chart(w.plan_id, f"{name}.svg", None,
                                                               shape)
                assert media_type == "image/svg+xml" and content.startswith(b"<?xml")
    assert warming.done()


async def test_the_chasing_page_lists_a_few_unreported_tasks_per_unit_and_links_the_rest(
        app_client, database, monkeypatch):
    """A city unit can owe 30 tasks a month: the page lists the first few and links the unit's
    tasks on the overview (the Excel export keeps every one)."""
    w = await build_world()
    full = await chasing.chasing(w.plan_id, "2018-09", dt.date(2018, 10, 6))
    owing = max(full.not_reported, key=lambda u: len(u.missing_tasks))
    await make_user("coordinator", w.units["局办公室"], username="coord")
    await login(app_client, "coord")
    url = f"/plans/{w.plan_id}/chasing?period=2018-09&as_of=2018-10-06"
    page = (await app_client.get(url)).text
    assert all(task in page for task in owing.missing_tasks) and "more-missing" not in page
    shown = len(owing.missing_tasks) - 1
    monkeypatch.setattr(tracking_pages, "MISSING_SHOWN", shown)
    page = (await app_client.get(url)).text
    row = page.split(f'data-unit="{owing.unit}"')[1].split("</tr>")[0]
    assert owing.missing_tasks[-1] not in row
    assert all(task in row for task in owing.missing_tasks[:shown])
    link = f'/plans/{w.plan_id}?unit={quote(owing.unit)}&amp;as_of=2018-10-06#tree'
    assert f"等 {len(owing.missing_tasks)} 项" in row and link in row

