"""Notices end to end, on SQLite and PostgreSQL: a real HTTP server on loopback receives the
webhooks (WeCom, DingTalk, generic JSON) and a real SMTP sink (aiosmtpd) receives the mail;
the tests assert what arrived.

The loopback webhooks are allowed by TRACKER_WEBHOOK_ALLOWED_PRIVATE_HOSTS=127.0.0.1, as an
office lists its intranet systems. Robots may only be at their official hosts: their channels
name those, and the sender's httpx transport routes the official hosts to the recorder, at
/<outcome>/<wecom|ding> where the outcome is the key's first part (key=ok-k → /ok/wecom).

The world: MINIMAL (tests/support/samples.py), plan year 2018, reports due on the 5th,
reminders 3 days before. 局办公室 leads 做好公开, 法规处 leads 子任务. 法规处 has reported for
2018-09 on 2018-09-28, 局办公室 has not.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import os
import socket
import time
from dataclasses import dataclass, replace
from email import message_from_bytes
from email.header import decode_header, make_header
from email.policy import default as default_policy

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.support.commands import run_tracker
from tests.support.factories import bearer, insert_past_update, login, make_unit, make_user
from tests.support.http_recorder import recording_server
from tests.support.samples import MINIMAL
from tracker.db import write_transaction
from tracker.domain.addresses import AddressPolicy
from tracker.domain.errors import NotFound
from tracker.domain.plan_parsing.plan_source import load_plan_source
from tracker.domain.progress_input import UpdateInput
from tracker.http.app import create_app
from tracker.notify.formatters import Notice, dingtalk_sign, response_error, truncate_bytes
from tracker.notify.sender import DeliveryError, SendConfig, SmtpConfig, deliver
from tracker.reporting import archive as report_archive
from tracker.reporting import build as reports
from tracker.schemas import ChannelIn
from tracker.services import channels, outbox, plans, progress, scheduler
from tracker.services import notices as triggers
from tracker.services.delivery import send_outbox
from tracker.settings import get_settings
from tracker.tables import Notification, Task, Unit

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

SECRET = "SEC0123456789abcdef"
REMIND_DAY = dt.date(2018, 10, 2)  # 3 days before 2018-10-05, the due day of 2018-09
DUE_DAY = dt.date(2018, 10, 5)


# --- servers -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def web():
    with recording_server() as recorder:
        ROBOTS["url"] = recorder.url
        yield recorder


@pytest.fixture(autouse=True)
def fresh_requests(web):
    web.requests.clear()


@pytest.fixture(autouse=True)
def loopback_listed(monkeypatch):
    """The recorder on 127.0.0.1 is a listed intranet host, for the app and `tracker` runs."""
    monkeypatch.setenv("TRACKER_WEBHOOK_ALLOWED_PRIVATE_HOSTS", "127.0.0.1")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("TRACKER_WEBHOOK_ALLOWED_PRIVATE_HOSTS")
    get_settings.cache_clear()


WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key="
DINGTALK = "https://oapi.dingtalk.com/robot/send?access_token="
ROBOT_PATHS = {"qyapi.weixin.qq.com": "wecom", "oapi.dingtalk.com": "ding"}


class RobotsToRecorder(httpx.AsyncBaseTransport):
    """The robots' official hosts answered by the recorder; everything else as usual."""

    def __init__(self, recorder_url: str):
        self.recorder = httpx.URL(recorder_url)
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host in ROBOT_PATHS:
            token = request.url.params.get("key") or request.url.params.get("access_token") or ""
            path = f"/{token.split('-', 1)[0]}/{ROBOT_PATHS[request.url.host]}"
            request.url = request.url.copy_with(scheme="http", host=self.recorder.host,
                                                port=self.recorder.port, path=path)
            request.headers["host"] = f"{self.recorder.host}:{self.recorder.port}"
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class Sink:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    def parsed(self):
        return [message_from_bytes(content, policy=default_policy) for _, _, content in self.messages]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def smtp():
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield sink, controller.port
    controller.stop()


@pytest.fixture(autouse=True)
def fresh_mail(smtp):
    smtp[0].messages.clear()


ROBOTS = {}


def send_config(smtp_port: int | None = None, **changes) -> SendConfig:
    values = {"connect_timeout": 0.5, "total_timeout": 0.6, "max_attempts": 3, "backoff": 0.0,
              "smtp": SmtpConfig(host="127.0.0.1", port=smtp_port or 25, sender="tracker@example.gov.cn"),
              "addresses": AddressPolicy(private_hosts=frozenset({"127.0.0.1"})),
              "transport": RobotsToRecorder(ROBOTS["url"])}
    return SendConfig(**{**values, **changes})


# --- the world -----------------------------------------------------------------------------


@dataclass
class World:
    plan_id: int
    tasks: dict[str, int]
    units: dict[str, int]


async def build_world() -> World:
    summary = await plans.import_plan(load_plan_source(MINIMAL.encode(), "p.yaml"), source_name="p.yaml")
    units = {row["name"]: row["id"] for row in await Unit.select(Unit.id, Unit.name)}
    tasks = {row["text"]: row["id"] for row in await Task.select(Task.id, Task.text)}
    reporter = await make_user("reporter", units["法规处"])
    # History as it stood: 法规处 reported for September on 28 September 2018.
    await insert_past_update(
        task=tasks["子任务"], unit=units["法规处"], period="2018-09", version=1, role="lead",
        percent=50, state="in_progress", work_done="已完成一半", submitted_by=reporter.id,
        submitted_at=dt.datetime(2018, 9, 28, 2, 0, tzinfo=dt.UTC))
    return World(summary.plan_id, tasks, units)


async def add(kind: str, name: str, target: str, plan_id: int | None = None,
              events: list[str] | None = None, secret: str | None = None):
    return await channels.add_channel(ChannelIn(kind=kind, name=name, target=target,
                                                plan_id=plan_id, events=events or [], secret=secret))


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


# --- pure formatting -------------------------------------------------------------------------


def test_dingtalk_signature_follows_the_documented_scheme():
    expected = base64.b64encode(hmac.new(SECRET.encode(), f"1700000000000\n{SECRET}".encode(),
                                         hashlib.sha256).digest()).decode()
    assert dingtalk_sign(SECRET, 1700000000000) == expected


def test_robot_answers_are_judged_by_status_and_errcode():
    assert response_error("wecom", 200, b'{"errcode":0,"errmsg":"ok"}') is None
    assert response_error("dingtalk", 200, b'{"errcode":310000,"errmsg":"sign not match"}') == (
        "HTTP 200：机器人拒收，errcode 310000")
    assert response_error("wecom", 200, b"<html>") == "HTTP 200：应答不是 JSON"
    assert response_error("webhook", 204, b"") is None
    # Never the far end's text: it is whatever an internal service chose to answer.
    assert response_error("webhook", 500, b"root:x:0:0 secret") == "HTTP 500 Internal Server Error"


def test_wecom_content_is_cut_to_4096_bytes_on_a_character_boundary():
    text = truncate_bytes("催报" * 3000, 4096)
    assert len(text.encode()) <= 4096 and text.endswith("（内容过长，已截断）")


# --- reminders, late lists: what arrives, once --------------------------------------------------


async def test_reminders_and_late_list_arrive_once_in_each_format(database, web, smtp, monkeypatch,
                                                                   backend_urls):
    sink, smtp_port = smtp
    world = await build_world()
    await add("email", "办公室邮箱", "office@example.gov.cn, lead@example.gov.cn", None, ["reminder"])
    await add("webhook", "督办系统", f"{web.url}/ok/hook", None, ["late_list"])

    # `tracker remind`, the real command, twice on the reminder day.
    url, data_dir = backend_urls(database)
    monkeypatch.setenv("TRACKER_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("TRACKER_SMTP_PORT", str(smtp_port))
    monkeypatch.setenv("TRACKER_SMTP_FROM", "tracker@example.gov.cn")
    monkeypatch.setenv("TRACKER_PUBLIC_URL", "https://tracker.example.gov.cn")
    first = run_tracker("remind", "--plan", str(world.plan_id), "--today", REMIND_DAY.isoformat(),
                        database_url=url, data_dir=data_dir)
    assert first.returncode == 0, first.stderr
    assert "已排队 1 条通知" in first.stdout and "成功 1 条，失败 0 条" in first.stdout
    second = run_tracker("remind", "--plan", str(world.plan_id), "--today", REMIND_DAY.isoformat(),
                         database_url=url, data_dir=data_dir)
    assert second.returncode == 0, second.stderr
    assert "没有新排队的通知" in second.stdout and "没有待发送的通知" in second.stdout

    # The robots, added now, get the same day's reminder (sent in-process: their official
    # hosts are routed to the recorder).
    get_settings.cache_clear()  # TRACKER_PUBLIC_URL, for the links
    wecom = await add("wecom", "办公室企业微信群", f"{WECOM}ok-robot-key", world.plan_id,
                      ["reminder", "late_list"])
    await add("dingtalk", "钉钉群", f"{DINGTALK}ok-tok", world.plan_id, ["reminder"], secret=SECRET)
    assert wecom.target.endswith("key=***") and "robot-key" not in wecom.target
    assert len(await triggers.queue_due_notices(REMIND_DAY, world.plan_id)) == 2
    assert await triggers.queue_due_notices(REMIND_DAY, world.plan_id) == []
    assert [o.sent for o in await send_outbox(send_config(smtp_port))] == [True, True]

    # WeCom: one markdown message, for the unit that has not reported, naming its task.
    [wecom_request] = web.to("/ok/wecom")
    assert wecom_request.query == {"key": ["ok-robot-key"]}
    body = wecom_request.json()
    assert set(body) == {"msgtype", "markdown"} and body["msgtype"] == "markdown"
    assert set(body["markdown"]) == {"content"}
    content = body["markdown"]["content"]
    assert content.startswith("**催报：局办公室请于10月5日前报送2018年9月进展**")
    assert "做好公开" in content and "法规处" not in content and "子任务" not in content
    assert "https://tracker.example.gov.cn/my" in content
    dedupe_key = wecom_request.headers["x-tracker-dedupe-key"]
    assert dedupe_key == f"reminder:{world.plan_id}:2018-09:{world.units['局办公室']}:{wecom.id}"

    # DingTalk: markdown with title and text, signed: timestamp + sign in the query.
    [ding_request] = web.to("/ok/ding")
    body = ding_request.json()
    assert body["msgtype"] == "markdown" and set(body["markdown"]) == {"title", "text"}
    assert "催报" in body["markdown"]["title"] and "做好公开" in body["markdown"]["text"]
    assert ding_request.query["access_token"] == ["ok-tok"]
    timestamp = ding_request.query["timestamp"][0]
    assert abs(int(timestamp) / 1000 - time.time()) < 120
    assert ding_request.query["sign"] == [dingtalk_sign(SECRET, int(timestamp))]

    # E-mail: one message to both addresses, Chinese subject and body.
    assert len(sink.messages) == 1
    mail_from, recipients, _ = sink.messages[0]
    assert mail_from == "tracker@example.gov.cn"
    assert sorted(recipients) == ["lead@example.gov.cn", "office@example.gov.cn"]
    [message] = sink.parsed()
    assert subject(message) == "催报：局办公室请于10月5日前报送2018年9月进展"
    assert "以下 1 项任务尚未填报" in message.get_content() and "1. 做好公开" in message.get_content()

    # Nothing for the late-list-only webhook yet; on the due day it gets who is late.
    assert web.to("/ok/hook") == []
    queued = await triggers.queue_due_notices(DUE_DAY, world.plan_id)
    assert sorted(q.event for q in queued) == ["late_list", "late_list"]
    assert await triggers.queue_due_notices(DUE_DAY, world.plan_id) == []
    outcomes = await send_outbox(send_config(smtp_port))
    assert [o.sent for o in outcomes] == [True, True]
    [hook] = web.to("/ok/hook")
    late = hook.json()
    assert set(late) == {"event", "title", "text", "plan", "data"}
    assert late["event"] == "late_list" and late["plan"] == {"id": world.plan_id, "title": "测试计划"}
    assert late["title"] == "2018年9月进展报送情况：1 个单位未报送"
    assert [unit["name"] for unit in late["data"]["missing"]] == ["局办公室"]
    assert "尚未报送的单位（1 个）" in late["text"]
    assert len(web.to("/ok/wecom")) == 2 and len(web.to("/ok/ding")) == 1 and len(sink.messages) == 1


async def test_no_reminder_outside_the_window_or_the_plan_year(database):
    world = await build_world()
    await add("webhook", "全部", "http://127.0.0.1:9/ok")
    for day in (dt.date(2018, 9, 30), dt.date(2018, 10, 1), dt.date(2019, 2, 3)):
        assert [q for q in await triggers.queue_due_notices(day, world.plan_id)
                if q.event == "reminder"] == [], day
    with pytest.raises(NotFound, match="计划 999 不存在"):
        await triggers.queue_due_notices(REMIND_DAY, 999)


# --- failures: retried, given up, never blocking another channel ---------------------------------


async def test_dead_and_hanging_webhooks_are_retried_then_given_up_without_blocking_others(
        database, web, smtp):
    await add("webhook", "坏掉的系统", f"{web.url}/fail/hook")
    await add("wecom", "卡住的机器人", f"{WECOM}hang-k")
    await add("dingtalk", "密钥不对", f"{DINGTALK}errcode-t", secret="wrong")
    await add("email", "邮箱", "office@example.gov.cn")
    await add("wecom", "正常的群", f"{WECOM}ok-k")
    notice = Notice(event="report_published", title="测试通知", text="月报已发布")
    assert len(await outbox.enqueue(notice, "test:1", None)) == 5

    # Round one: with a one-minute backoff nothing is due again straight away.
    started = time.monotonic()
    outcomes = {o.channel_name: o for o in await send_outbox(send_config(smtp[1], backoff=60.0))}
    assert time.monotonic() - started < 3, "a hanging webhook held up the round"
    assert outcomes["正常的群"].sent and outcomes["邮箱"].sent
    assert outcomes["坏掉的系统"].error == "HTTP 500 Internal Server Error"
    assert outcomes["卡住的机器人"].error.startswith("超时")
    assert outcomes["密钥不对"].error == "HTTP 200：机器人拒收，errcode 310000"
    assert await send_outbox(send_config(smtp[1])) == []
    row = await Notification.select(Notification.next_attempt_at, Notification.attempts).where(
        Notification.dedupe_key.like("test:1:%"), Notification.last_error == "HTTP 500 Internal Server Error").first()
    assert row["attempts"] == 1
    assert row["next_attempt_at"] > dt.datetime.now(dt.UTC) + dt.timedelta(seconds=50)

    # Later rounds (backoff over): retried until the third attempt, then given up.
    await Notification.update({Notification.next_attempt_at: dt.datetime.now(dt.UTC)}).where(
        Notification.sent_at.is_null())
    for attempt in (2, 3):
        outcomes = await send_outbox(send_config(smtp[1]))
        assert sorted((o.channel_name, o.attempt, o.gave_up) for o in outcomes) == [
            ("卡住的机器人", attempt, attempt == 3), ("坏掉的系统", attempt, attempt == 3),
            ("密钥不对", attempt, attempt == 3)]
    assert await send_outbox(send_config(smtp[1])) == []
    assert len(web.to("/fail/hook")) == 3 and len(web.to("/ok/wecom")) == 1
    assert len(smtp[0].messages) == 1

    failed = await outbox.list_notifications("failed")
    assert sorted(n.channel_name for n in failed) == ["卡住的机器人", "坏掉的系统", "密钥不对"]
    assert all(n.attempts == 3 and n.failed_at and n.last_error for n in failed)
    # The coordinator fixes a channel and queues a notice again; a sent notice never goes twice.
    retried = await outbox.retry(failed[0].id)
    assert (retried.state, retried.attempts) == ("pending", 0)
    sent = (await outbox.list_notifications("sent"))[0]
    assert (await outbox.retry(sent.id)).state == "sent"


async def test_a_dead_channels_backlog_never_crowds_out_another(database, web):
    await add("webhook", "坏掉的系统", f"{web.url}/fail/hook", events=["late_list"])
    await add("webhook", "正常的系统", f"{web.url}/ok/hook", events=["reminder"])
    for number in range(60):
        await outbox.enqueue(Notice(event="late_list", title=f"积压{number}", text="内容"),
                             f"backlog:{number}", None)
    await outbox.enqueue(Notice(event="reminder", title="新通知", text="内容"), "fresh:1", None)
    outcomes = await send_outbox(send_config(), limit=20)
    assert sorted((o.channel_name, o.sent) for o in outcomes) == [("坏掉的系统", False),
                                                                  ("正常的系统", True)]
    assert len(web.to("/fail/hook")) == 1  # one try per round, not one per queued notice


async def test_mail_without_a_server_fails_with_a_clear_reason(database):
    await add("email", "邮箱", "office@example.gov.cn")
    await outbox.enqueue(Notice(event="reminder", title="催报", text="请报送"), "mail:1", None)
    [outcome] = await send_outbox(send_config(smtp=SmtpConfig(host=None)))
    assert not outcome.sent and outcome.error == "未配置邮件服务器（TRACKER_SMTP_HOST）"


async def test_two_senders_at_once_send_each_notice_once(database, web):
    await add("webhook", "系统", f"{web.url}/ok/hook")
    await add("wecom", "群", f"{WECOM}ok-k")
    for number in range(6):
        await outbox.enqueue(Notice(event="reminder", title=f"第{number}条", text="内容"),
                             f"race:{number}", None)
    results = await asyncio.gather(*(send_outbox(send_config()) for _ in range(3)))
    assert sum(len(r) for r in results) == 12
    keys = [r.headers["x-tracker-dedupe-key"] for r in web.requests]
    assert len(keys) == 12 and len(set(keys)) == 12
    assert await Notification.count().where(Notification.sent_at.is_null()) == 0


# --- hooks: a returned update, a published report ------------------------------------------------


async def test_returned_update_and_published_report_are_announced(database, web):
    world = await build_world()
    await add("webhook", "督办系统", f"{web.url}/ok/hook", world.plan_id,
              ["update_returned", "report_published"])
    coordinator = await make_user("coordinator")
    lead = await make_user("reporter", world.units["局办公室"])
    update = await progress.submit_update(lead, world.tasks["做好公开"], UpdateInput(
        period="2018-09", percent=30, state="in_progress", work_done="已梳理"))
    await progress.review_update(coordinator, update.id, "return", "请补充公开目录链接")
    again = await progress.submit_update(lead, world.tasks["做好公开"], UpdateInput(
        period="2018-09", percent=40, state="in_progress", work_done="已补充"))
    await progress.review_update(coordinator, again.id, "accept", "")

    request = await reports.resolve_request(world.plan_id, "2018-09")
    report, _ = await report_archive.produce(request, coordinator.id, publish=True, word=False)
    await send_outbox(send_config())
    returned, published = [r.json() for r in web.to("/ok/hook")]
    assert returned["event"] == "update_returned"
    assert returned["title"] == "填报退回：局办公室 2018年9月进展需修改后重新报送"
    assert returned["data"]["comment"] == "请补充公开目录链接" and returned["data"]["update_id"] == update.id
    assert "退回意见：请补充公开目录链接" in returned["text"]
    assert published["event"] == "report_published"
    assert published["title"] == "《测试计划》2018年9月月报已发布"
    assert published["data"]["report_id"] == report.id and published["data"]["sha256"] == report.sha256


# --- API, page, schedule -------------------------------------------------------------------------


async def test_coordinator_manages_channels_and_sees_failures(app_client, web):
    coordinator = await make_user("coordinator", username="coord")
    reporter = await make_user("reporter", await make_unit())
    h = await bearer(coordinator)
    created = await app_client.post("/api/channels", headers=h, json={
        "kind": "dingtalk", "name": "钉钉群", "target": f"{DINGTALK}fail-secret-token",
        "events": ["reminder"], "secret": SECRET})
    assert created.status_code == 201, created.text
    channel = created.json()
    assert channel["has_secret"] and "secret-token" not in channel["target"] and "secret" not in channel
    bad = await app_client.post("/api/channels", headers=h, json={
        "kind": "sms", "name": "短信", "target": "13800000000"})
    assert (bad.status_code, bad.json()["field"]) == (400, "kind")
    bad = await app_client.post("/api/channels", headers=h, json={
        "kind": "email", "name": "邮箱", "target": "not-an-address"})
    assert (bad.status_code, bad.json()["field"]) == (400, "target")
    bad = await app_client.post("/api/channels", headers=h, json={
        "kind": "webhook", "name": "x", "target": "http://h/x", "events": ["everything"]})
    assert (bad.status_code, bad.json()["field"]) == (400, "events")
    assert (await app_client.get("/api/channels", headers=await bearer(reporter))).status_code == 403

    await outbox.enqueue(Notice(event="reminder", title="催报测试", text="请报送"), "api:1", None)
    await send_outbox(send_config(max_attempts=1))
    failed = (await app_client.get("/api/notifications?state=failed", headers=h)).json()
    assert [(n["title"], n["state"], n["last_error"]) for n in failed] == [
        ("催报测试", "failed", "HTTP 500 Internal Server Error")]
    assert (await app_client.get("/api/notifications?state=lost", headers=h)).status_code == 400

    await login(app_client, "coord")
    page = await app_client.get("/notifications")
    assert page.status_code == 200
    assert "钉钉群" in page.text and "HTTP 500 Internal Server Error" in page.text and "secret-token" not in page.text


async def test_schedule_runs_jobs_survives_errors_and_stops_cleanly(database, web):
    await add("webhook", "系统", f"{web.url}/ok/hook")
    days: list[dt.date] = []

    async def daily(day: dt.date) -> None:
        days.append(day)
        raise RuntimeError("a broken job")

    async def send():
        return await send_outbox(send_config())

    schedule = scheduler.Scheduler(remind_hour=0, outbox_interval=30, daily_check_interval=0.02,
                                   send=send, daily=daily)
    schedule.start()
    await asyncio.sleep(0.1)
    # Queueing wakes the outbox loop at once, long before its 30-second interval.
    await outbox.enqueue(Notice(event="reminder", title="立即发送", text="内容"), "wake:1", None)
    for _ in range(100):
        if web.to("/ok/hook"):
            break
        await asyncio.sleep(0.02)
    started = time.monotonic()
    await schedule.stop()
    assert time.monotonic() - started < 2
    assert [r.json()["title"] for r in web.to("/ok/hook")] == ["立即发送"]
    assert len(days) == 1  # once a day, although the job failed and the loop went on
    assert all(task.done() for task in asyncio.all_tasks() if task.get_name().startswith("tracker-"))


async def test_schedule_starts_and_stops_with_the_server(database, monkeypatch):
    monkeypatch.setattr(scheduler, "get_settings", lambda: replace(get_settings(), scheduler=True))
    app = create_app()
    async with app.lifespan():
        assert scheduler._running is not None
        tasks = list(scheduler._running._tasks)
        assert [task.get_name() for task in tasks] == ["tracker-outbox", "tracker-daily"]
        await asyncio.sleep(0.05)
        assert not any(task.done() for task in tasks)
    assert scheduler._running is None and all(task.done() for task in tasks)


async def test_schedule_is_off_unless_asked(database):
    assert os.environ.get("TRACKER_SCHEDULER") != "1"
    await scheduler.start()
    assert scheduler._running is None
    await scheduler.stop()


@pytest.fixture(scope="module", autouse=True)
def _release_hanging_requests(web):
    yield
    web.release.set()



# --- where channels may send (issue 12.2) ----------------------------------------------------------


@pytest.mark.parametrize(("kind", "target", "reason"), [
    ("webhook", "http://169.254.169.254/latest/meta-data/", "指向内网、本机或保留地址"),
    ("webhook", "http://[fd00:ec2::254]/", "指向内网、本机或保留地址"),
    ("webhook", "http://100.100.100.200/latest/meta-data/", "指向内网、本机或保留地址"),
    ("webhook", "http://0.0.0.0:8000/", "指向内网、本机或保留地址"),
    ("webhook", "http://localhost:9/", "指向内网、本机或保留地址"),
    ("webhook", "http://10.1.2.3/hook", "指向内网、本机或保留地址"),  # private, not listed
    ("webhook", "http://user:pw@example.gov.cn/hook", "不能含用户名或密码"),
    ("wecom", "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "官方地址"),
    ("wecom", "https://127.0.0.1/cgi-bin/webhook/send?key=k", "官方地址"),
    ("dingtalk", "https://oapi.dingtalk.com.evil.example/robot/send?access_token=t", "官方地址"),
    ("dingtalk", "https://oapi.dingtalk.com:8443/robot/send?access_token=t", "官方地址"),
])
async def test_channels_to_internal_or_unofficial_addresses_are_refused(app_client, kind, target,
                                                                       reason, monkeypatch):
    monkeypatch.setenv("TRACKER_WEBHOOK_ALLOWED_PRIVATE_HOSTS", "intranet.example.gov.cn")
    get_settings.cache_clear()
    h = await bearer(await make_user("admin"))
    refused = await app_client.post("/api/channels", headers=h,
                                    json={"kind": kind, "name": "渠道", "target": target})
    assert refused.status_code == 400 and refused.json()["field"] == "target", refused.text
    assert reason in refused.json()["detail"]
    assert await channels.list_channels() == []


async def test_a_listed_intranet_host_may_be_private_and_is_checked_again_at_send_time(
        database, web, monkeypatch):
    """127.0.0.1 is listed while the channel is added; by the time of sending the listing is
    gone (as if the name now resolved elsewhere): nothing is sent, the reason is recorded."""
    await add("webhook", "内网督办系统", f"{web.url}/ok/hook")
    await outbox.enqueue(Notice(event="reminder", title="催报", text="请报送"), "vet:1", None)
    [outcome] = await send_outbox(send_config(addresses=AddressPolicy()))
    assert not outcome.sent and outcome.error.startswith("拒绝发送：127.0.0.1 指向内网、本机或保留地址")
    assert web.to("/ok/hook") == []
    [sent] = await send_outbox(send_config())
    assert sent.sent and len(web.to("/ok/hook")) == 1


async def test_the_sender_refuses_a_webhook_whose_address_was_not_checked(web):
    """notify.sender connects only to an address services.delivery checked; called without
    one it sends nothing, rather than resolve the name itself."""
    row = {"event": "reminder", "payload": '{"title": "催报", "text": "请报送"}',
           "dedupe_key": "unchecked:1", "channel.kind": "webhook",
           "channel.target": f"{web.url}/ok/hook", "channel.secret": None}
    async with httpx.AsyncClient() as client:
        with pytest.raises(DeliveryError, match="^拒绝发送：Webhook 地址未经检查$"):
            await deliver(client, row, SendConfig(), None)
    assert web.to("/ok/hook") == []


async def test_the_outbox_keeps_the_status_never_the_answer(database, web):
    web.pages["/leak"] = (502, {"content-type": "text/plain"}, b"internal-db-password=hunter2")
    await add("webhook", "会回显的系统", f"{web.url}/leak")
    await outbox.enqueue(Notice(event="reminder", title="催报", text="请报送"), "leak:1", None)
    [outcome] = await send_outbox(send_config(max_attempts=1))
    assert outcome.error == "HTTP 502 Bad Gateway"
    assert await Notification.count().where(Notification.last_error.like("%hunter2%")) == 0


async def test_a_notice_queued_in_a_transaction_wakes_the_sender_only_after_the_commit(database):
    """Woken before the commit, the sender (the in-process schedule, or on PostgreSQL a queued
    outbox job) finds nothing and the notice waits for the next minute."""
    await add("email", "邮箱", "office@example.gov.cn")
    woken = asyncio.Event()
    outbox.set_wakeup(woken)
    engine = Notification._meta.db
    try:
        async with write_transaction(engine):
            assert await outbox.enqueue(Notice(event="reminder", title="催报", text="请报送"),
                                        "commit:1", None)
            assert not woken.is_set()
        assert woken.is_set()
        woken.clear()
        with pytest.raises(RuntimeError):
            async with write_transaction(engine):
                await outbox.enqueue(Notice(event="reminder", title="撤回", text="内容"),
                                     "commit:2", None)
                raise RuntimeError("rolled back")
        assert not woken.is_set() and await Notification.count() == 1
        await outbox.enqueue(Notice(event="reminder", title="无事务", text="内容"), "commit:3", None)
        assert woken.is_set()  # outside a transaction: at once, as before
    finally:
        outbox.set_wakeup(None)


async def test_one_server_process_of_a_data_directory_runs_the_schedule(database, monkeypatch,
                                                                       tmp_path):
    """`tracker serve --workers N` on SQLite: every worker process runs the lifespan; one runs
    the schedule, another takes over when it stops (its lock goes with the process)."""
    monkeypatch.setattr(scheduler, "get_settings", lambda: replace(get_settings(), scheduler=True))
    monkeypatch.setattr(scheduler, "LOCK_RETRY_SECONDS", 0.02)
    other_worker = scheduler.ScheduleLock(get_settings().data_dir / scheduler.LOCK_FILE)
    assert other_worker.try_take()  # another process's lock (flock: per open file)
    try:
        await scheduler.start()
        assert scheduler._running is None and not scheduler.runs_here()
        await asyncio.sleep(0.1)
        assert scheduler._running is None  # still held elsewhere: still waiting
        other_worker.release()  # that worker stopped
        for _ in range(100):
            if scheduler._running is not None:
                break
            await asyncio.sleep(0.02)
        assert scheduler._running is not None and scheduler.runs_here()
        assert not other_worker.try_take()  # and now the others wait for this one
    finally:
        await scheduler.stop()
        other_worker.release()
    assert other_worker.try_take()  # stopping gave the lock back
    other_worker.release()
