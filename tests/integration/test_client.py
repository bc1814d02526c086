"""The remote commands end to end: the real `tracker serve` on loopback (demo data), driven by
the real `tracker` command in subprocesses, each test with its own config file.

What the client must get right beyond the happy path: exit codes that tell bad input, auth
failure and an unreachable server apart; bad rows of a batch listed while the good ones are
stored; and retries after a lost answer that never store an update twice (a proxy in
tests/support/tcp_proxy.py loses the answers on purpose).
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import itertools
import json
import os
import socket
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import httpx
import pytest
import yaml
from openpyxl import Workbook

from tests.support.live_server import live_server
from tests.support.tcp_proxy import FaultyProxy
from tracker.cli.client import (
    BadRequest,
    RetryPolicy,
    ServerFailed,
    ServerUnreachable,
    TrackerClient,
)
from tracker.cli.client_config import ClientConfig, Login, save_config
from tracker.domain.errors import InvalidInput
from tracker.domain.progress_input import UpdateInput
from tracker.domain.update_batch import read_rows

PASSWORD = "demo-2018"
PLAN_ID = 1
# Months of the 2018 plan without demo history: every (task, month) starts with no update.
FRESH_PERIODS = [f"2018-{month:02d}" for month in range(1, 8)]
PDF_BYTES = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
             b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@dataclass
class Server:
    url: str
    data_dir: Path
    policy_tasks: list[int]
    other_task: int  # a task 政策法规处 has nothing to do with
    policy_token: str  # for checking what the server stored, and for configs written directly
    slots: itertools.product

    def fresh(self) -> tuple[int, str]:
        """A (task, period) of 政策法规处 that no test has reported on yet."""
        return next(self.slots)


def api(url: str, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=url, headers=headers, trust_env=False, timeout=30)


def issue_token(url: str, username: str) -> str:
    with api(url) as client:
        response = client.post("/api/tokens", json={"username": username, "password": PASSWORD})
        response.raise_for_status()
        return response.json()["token"]


@pytest.fixture(scope="module")
def server():
    created: list[Path] = []
    real_mkdtemp = tempfile.mkdtemp

    def remember(*args, **kwargs):
        path = real_mkdtemp(*args, **kwargs)
        created.append(Path(path))
        return path

    with contextlib.ExitStack() as stack:
        # live_server keeps its data directory to itself; the expiry test needs its database.
        with mock.patch.object(tempfile, "mkdtemp", remember):
            url = stack.enter_context(live_server())
        policy = issue_token(url, "policy")
        with api(url, policy) as client:
            mine = [row["task_id"] for row in client.get("/api/my/tasks").json()]
        with api(url, issue_token(url, "office")) as client:
            plan = client.get(f"/api/plans/{PLAN_ID}").json()
        every = [task["id"] for section in plan["sections"] for item in section["items"]
                 for task in item["tasks"]]
        other = next(task for task in every if task not in mine)
        yield Server(url=url, data_dir=created[0] / "data", policy_tasks=mine, other_task=other,
                     policy_token=policy, slots=itertools.product(mine, FRESH_PERIODS))


@pytest.fixture
def config(tmp_path) -> Path:
    return tmp_path / "conf" / "config.json"


def tracker(*args: str, config: Path, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in PROXY_VARIABLES}
    environment.update({"TRACKER_CONFIG": str(config), "TRACKER_CLIENT_RETRIES": "3",
                        "TRACKER_CLIENT_BACKOFF": "0.05", **env})
    return subprocess.run([str(Path(sys.executable).parent / "tracker"), *args], env=environment,
                          input=stdin, capture_output=True, text=True, timeout=120)


def last_line(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.strip().splitlines()
    assert lines, f"no stderr (exit {result.returncode}); stdout: {result.stdout}"
    assert lines[-1].startswith("tracker: "), result.stderr
    return lines[-1]


def login(config: Path, url: str, username: str = "policy") -> str:
    result = tracker("login", "--server", url, "--username", username, "--password-stdin",
                     config=config, stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    return token_in(config)


def logged_in(config: Path, url: str, token: str) -> None:
    """A config as `tracker login` writes it, without the round trip (argon2 is slow on purpose)."""
    save_config(ClientConfig(current=url, servers={url: Login(token=token, username="policy")}),
                config)


def token_in(config: Path) -> str:
    saved = json.loads(config.read_text())
    return saved["servers"][saved["current"]]["token"]


def versions(server: Server, task_id: int, period: str) -> list[dict]:
    with api(server.url, server.policy_token) as client:
        detail = client.get(f"/api/tasks/{task_id}").json()
    return [update for update in detail["updates"] if update["period"] == period]


def update_id_in(output: str) -> int:
    return int(output.split("填报编号 ")[1].split("）")[0])


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- logging in ----------------------------------------------------------------------------


def test_login_keeps_the_token_private_and_a_wrong_password_is_an_auth_failure(server, config):
    wrong = tracker("login", "--server", server.url, "--username", "policy", "--password-stdin",
                    config=config, stdin="not-the-password\n")
    assert wrong.returncode == 5
    assert "密码" in last_line(wrong)
    assert not config.exists()

    token = login(config, server.url + "/")  # a trailing slash names the same server
    assert token.startswith("trk_")
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o700
    saved = json.loads(config.read_text())
    assert saved["current"] == server.url
    with api(server.url, token) as client:
        assert client.get("/api/me").json()["username"] == "policy"


def test_tasks_lists_my_tasks_as_a_table_and_as_json(server, config):
    logged_in(config, server.url, server.policy_token)
    table = tracker("tasks", "--period", "2018-9", config=config)
    assert table.returncode == 0, table.stderr
    assert "报送周期 2018-09" in table.stdout
    assert "截止报送" in table.stdout and "2018-10-05" in table.stdout

    listed = tracker("tasks", "--period", "2018-09", "--format", "json", config=config)
    rows = json.loads(listed.stdout)
    assert sorted(row["task_id"] for row in rows) == sorted(server.policy_tasks)
    assert {row["period"] for row in rows} == {"2018-09"}

    bad = tracker("tasks", "--period", "2018-13", config=config)
    assert bad.returncode == 2
    assert "--period" in last_line(bad)


# --- one update ----------------------------------------------------------------------------


def test_submit_from_flags_then_show_its_review(server, config):
    logged_in(config, server.url, server.policy_token)
    task_id, period = server.fresh()
    result = tracker("submit", str(task_id), "--period", period, "--percent", "30", "--state", "推进中",
                     "--work-done", "完成规范性文件清理的初稿。", "--problems", "部分文件需会签。",
                     "--link", "https://www.example.gov.cn/zwgk/a.html", config=config)
    assert result.returncode == 0, result.stderr
    assert "第1版" in result.stdout
    update_id = update_id_in(result.stdout)

    shown = tracker("update", "show", str(update_id), config=config)
    assert shown.returncode == 0, shown.stderr
    assert "审核状态：待审核" in shown.stdout and "完成规范性文件清理的初稿。" in shown.stdout

    with api(server.url, issue_token(server.url, "office")) as office:
        office.post(f"/api/updates/{update_id}/review",
                    json={"decision": "return", "comment": "请补充会签情况。"}).raise_for_status()
    shown = tracker("update", "show", str(update_id), config=config)
    assert "审核状态：已退回" in shown.stdout and "请补充会签情况。" in shown.stdout

    missing = tracker("update", "show", "999999", config=config)
    assert missing.returncode == 4
    assert last_line(missing) == "tracker: 填报编号：填报 999999 不存在"


def test_bad_flags_are_refused_before_sending_and_a_4xx_is_never_retried(server, config):
    task_id, period = server.fresh()
    with FaultyProxy(int(server.url.rsplit(":", 1)[1]), fail=0) as proxy:
        logged_in(config, proxy.url, server.policy_token)
        over = tracker("submit", str(task_id), "--period", period, "--percent", "150",
                       "--state", "in_progress", "--work-done", "x", config=config)
        assert over.returncode == 2
        assert "--percent" in last_line(over) and "150" in last_line(over)
        assert "--attach" in last_line(tracker(
            "submit", str(task_id), "--period", period, "--percent", "5", "--state", "in_progress",
            "--work-done", "x", "--attach", str(Path(__file__)), config=config))
        assert not [seen for seen in proxy.requests() if seen.method == "POST"
                    and seen.path.startswith("/api/tasks/")]

        # The server's refusals: not this unit's task (404), a period outside the plan year (400).
        foreign = tracker("submit", str(server.other_task), "--period", period, "--percent", "5",
                          "--state", "in_progress", "--work-done", "x", config=config)
        assert foreign.returncode == 4
        assert "不属于本单位" in last_line(foreign)
        outside = tracker("submit", str(task_id), "--period", "2017-12", "--percent", "5",
                          "--state", "in_progress", "--work-done", "x", config=config)
        assert outside.returncode == 2
        assert "--period" in last_line(outside) and "2018" in last_line(outside)
        submissions = [seen for seen in proxy.requests() if seen.method == "POST"
                       and seen.path.startswith("/api/tasks/")]
        assert len(submissions) == 2  # one each: a 4xx is an answer, not a failure to retry
    assert versions(server, task_id, period) == []


def test_submit_with_an_attachment(server, config, tmp_path):
    logged_in(config, server.url, server.policy_token)
    task_id, period = server.fresh()
    evidence = tmp_path / "会议纪要.pdf"
    evidence.write_bytes(PDF_BYTES)
    result = tracker("submit", str(task_id), "--period", period, "--percent", "60",
                     "--state", "in_progress", "--work-done", "召开专题会议。", "--attach", str(evidence),
                     config=config)
    assert result.returncode == 0, result.stderr
    assert "附件 1 个" in result.stdout
    [stored] = versions(server, task_id, period)
    assert [file["name"] for file in stored["attachments"]] == ["会议纪要.pdf"]
    assert stored["attachments"][0]["size"] == len(PDF_BYTES)


# --- many updates --------------------------------------------------------------------------


def _row(task_id: int, period: str, **fields) -> dict:
    return {"task_id": task_id, "period": period, "percent": 40, "state": "in_progress",
            "work_done": f"任务 {task_id} 在 {period} 的进展。", **fields}


def test_batch_from_yaml_stores_the_good_rows_and_lists_the_bad(server, config, tmp_path):
    logged_in(config, server.url, server.policy_token)
    slots = [server.fresh() for _ in range(3)]
    rows = [
        _row(*slots[0], links=["https://www.example.gov.cn/1.html"]),
        _row(*slots[1], percent=150),
        _row(*slots[1], state="已完成", percent=100, next_steps="无"),
        _row(*slots[2], state="finished"),
        _row(*slots[1]),  # the same task and period as the third row
        _row(server.other_task, slots[0][1]),  # refused by the server: another unit's task
    ]
    batch = tmp_path / "updates.yaml"
    batch.write_text(yaml.safe_dump({"updates": rows}, allow_unicode=True), encoding="utf-8")
    result = tracker("submit", "--file", str(batch), config=config)
    assert result.returncode == 2, result.stderr
    assert "第1条：已提交" in result.stdout and "第3条：已提交" in result.stdout
    assert "第2条（percent）：完成进度 150 超出 0-100 范围" in result.stderr
    assert "第4条（state）" in result.stderr and "finished" in result.stderr
    assert "第5条：与第3条是同一任务" in result.stderr
    assert "第6条（task_id）" in result.stderr and "不属于本单位" in result.stderr
    assert "已提交 2 条" in last_line(result) and "第2条、第4条、第5条、第6条" in last_line(result)
    assert len(versions(server, *slots[0])) == 1
    [done] = versions(server, *slots[1])
    assert (done["state"], done["percent"]) == ("done", 100)
    assert versions(server, *slots[2]) == []


def test_batch_all_or_nothing_sends_nothing_when_any_row_is_bad(server, config, tmp_path):
    logged_in(config, server.url, server.policy_token)
    first, second = server.fresh(), server.fresh()
    batch = tmp_path / "updates.json"
    batch.write_text(json.dumps([_row(*first), _row(*second, work_done="  ")], ensure_ascii=False))
    result = tracker("submit", "--file", str(batch), "--all-or-nothing", config=config)
    assert result.returncode == 2
    assert "第2条（work_done）：请填写工作进展" in result.stderr
    assert "一条也未提交" in last_line(result)

    # A row only the server could refuse (another unit's task) is found before sending too.
    batch.write_text(json.dumps([_row(*first), _row(server.other_task, first[1])]))
    result = tracker("submit", "--file", str(batch), "--all-or-nothing", config=config)
    assert result.returncode == 2
    assert "第2条（task_id）" in result.stderr and "一条也未提交" in last_line(result)
    assert versions(server, *first) == [] and versions(server, *second) == []

    batch.write_text(json.dumps([_row(*first), _row(*second)]))
    result = tracker("submit", "--file", str(batch), "--all-or-nothing", config=config)
    assert result.returncode == 0, result.stderr
    assert "全部已提交" in result.stdout
    assert len(versions(server, *first)) == len(versions(server, *second)) == 1


def test_batch_from_an_excel_ledger(server, config, tmp_path):
    import datetime as dt

    logged_in(config, server.url, server.policy_token)
    good, bad = server.fresh(), server.fresh()
    book = Workbook()
    sheet = book.active
    sheet.append(["任务编号", "报送周期", "完成进度", "状态", "工作进展", "存在问题", "下步计划", "佐证链接"])
    year, month = map(int, good[1].split("-"))
    sheet.append([good[0], dt.datetime(year, month, 1), 80.0, "推进中", "已完成主体工作。", None, "验收",
                  "https://www.example.gov.cn/a.html\nhttps://www.example.gov.cn/b.html"])
    sheet.append([bad[0], bad[1], "八十", "推进中", "已完成主体工作。", None, None, None])
    path = tmp_path / "台账.xlsx"
    book.save(path)
    result = tracker("submit", "--file", str(path), config=config)
    assert result.returncode == 2, result.stderr
    assert "第2行：已提交" in result.stdout
    assert "第3行（percent）" in result.stderr and "八十" in result.stderr
    [stored] = versions(server, *good)
    assert stored["percent"] == 80 and len(stored["evidence_links"]) == 2
    assert versions(server, *bad) == []


# --- reports -------------------------------------------------------------------------------


def test_report_download(server, config, tmp_path):
    login(config, server.url, "office")
    out = tmp_path / "月报.pdf"
    result = tracker("report", "download", "--plan", str(PLAN_ID), "--period", "2018-09",
                     "--out", str(out), config=config)
    assert result.returncode == 0, result.stderr
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF")
    assert hashlib.sha256(pdf).hexdigest() in result.stdout

    reporter = tmp_path / "reporter.json"
    logged_in(reporter, server.url, server.policy_token)
    refused = tracker("report", "download", "--plan", str(PLAN_ID), "--period", "2018-09",
                      "--out", str(tmp_path / "x.pdf"), config=reporter)
    assert refused.returncode == 5
    assert "只有协调人" in last_line(refused)


# --- tokens --------------------------------------------------------------------------------


def test_logout_revoked_and_expired_tokens_are_auth_failures(server, config):
    token = login(config, server.url)
    result = tracker("logout", config=config)
    assert result.returncode == 0, result.stderr
    assert "吊销" in result.stdout
    assert json.loads(config.read_text())["servers"] == {}
    with api(server.url, token) as client:
        assert client.get("/api/me").status_code == 401
    assert tracker("tasks", config=config).returncode == 5

    # Revoked elsewhere (another session's logout, or the admin) while still in the config.
    token = issue_token(server.url, "policy")
    logged_in(config, server.url, token)
    with api(server.url, token) as client:
        assert client.post("/api/tokens/revoke").status_code == 204
    revoked = tracker("tasks", config=config)
    assert revoked.returncode == 5
    assert "已吊销" in last_line(revoked) and "tracker login" in last_line(revoked)

    # Expired on the server.
    token = issue_token(server.url, "policy")
    logged_in(config, server.url, token)
    database = server.data_dir / "tracker.sqlite"
    assert database.exists(), "live_server's data directory layout changed"
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as connection, connection:
        connection.execute("UPDATE api_token SET expires_at = '2019-01-01 00:00:00.000000+00:00' "
                           "WHERE token_hash = ?", (hashlib.sha256(token.encode()).hexdigest(),))
    expired = tracker("tasks", config=config)
    assert expired.returncode == 5
    assert "过期" in last_line(expired)

    # Expired by the date the server gave at login: refused without asking the server.
    saved = json.loads(config.read_text())
    saved["servers"][server.url]["expires_at"] = "2019-01-01T00:00:00+00:00"
    config.write_text(json.dumps(saved))
    assert tracker("tasks", config=config).returncode == 5


# --- the server's address ------------------------------------------------------------------


def test_unreachable_server_is_reported_after_bounded_retries(config):
    url = f"http://127.0.0.1:{closed_port()}"
    save_config(ClientConfig(current=url, servers={url: Login(token="trk_x", username="policy")}),
                config)
    started = time.monotonic()
    result = tracker("tasks", config=config, TRACKER_CLIENT_RETRIES="3")
    assert result.returncode == 6
    assert time.monotonic() - started < 10
    assert "无法连接" in last_line(result) and "共尝试 4 次" in last_line(result)

    result = tracker("login", "--server", url, "--username", "policy", "--password-stdin",
                     config=config, stdin=PASSWORD + "\n")
    assert result.returncode == 6


class NotATracker(http.server.BaseHTTPRequestHandler):
    """Some other web application: a health check, and HTML for everything else."""

    seen: list[str] = []

    def do_GET(self):  # noqa: N802 - the http.server spelling
        self.seen.append(f"GET {self.path}")
        if self.path == "/healthz":
            self._send(200, b'{"status": "ok"}', "application/json")
        else:
            self._send(404, b"<!doctype html><title>Not Found</title>", "text/html")

    def do_POST(self):  # noqa: N802
        self.seen.append(f"POST {self.path}")
        self._send(404, b"<!doctype html><title>Not Found</title>", "text/html")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def other_server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotATracker)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    NotATracker.seen = []
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_server_that_is_not_a_tracker_is_refused_before_the_password_is_sent(other_server, config):
    result = tracker("login", "--server", other_server, "--username", "policy", "--password-stdin",
                     config=config, stdin=PASSWORD + "\n")
    assert result.returncode == 6
    assert "不是政务公开工作要点跟踪" in last_line(result) and "--server" in last_line(result)
    assert not [seen for seen in NotATracker.seen if seen.startswith("POST")]

    save_config(ClientConfig(current=other_server,
                             servers={other_server: Login(token="trk_x", username="policy")}), config)
    result = tracker("tasks", config=config)
    assert result.returncode == 6
    assert "不是政务公开工作要点跟踪" in last_line(result)


# --- retries never duplicate ---------------------------------------------------------------


def _submit(task_id: int, period: str, config: Path, *extra: str, **env: str):
    return tracker("submit", str(task_id), "--period", period, "--percent", "45",
                   "--state", "in_progress", "--work-done", "重试测试。", *extra, config=config, **env)


def _submissions(proxy: FaultyProxy, task_id: int) -> list:
    return [seen for seen in proxy.requests()
            if seen.method == "POST" and seen.path.startswith(f"/api/tasks/{task_id}/updates")]


@pytest.mark.parametrize("mode", ["drop", "hang", "503"])
def test_a_retry_after_a_lost_answer_does_not_duplicate_the_update(server, config, tmp_path, mode):
    """drop: the connection dies after the server stored the update; hang: the answer never
    comes and the client times out (here with an attachment, so multipart); 503: a proxy says
    the server is unavailable. Each time the client retries with the same Idempotency-Key."""
    task_id, period = server.fresh()
    extra: tuple[str, ...] = ()
    if mode == "hang":
        evidence = tmp_path / "佐证.pdf"
        evidence.write_bytes(PDF_BYTES)
        extra = ("--attach", str(evidence))
    with FaultyProxy(int(server.url.rsplit(":", 1)[1]), mode=mode) as proxy:
        logged_in(config, proxy.url, server.policy_token)
        started = time.monotonic()
        result = _submit(task_id, period, config, *extra,
                         TRACKER_CLIENT_TIMEOUT="2" if mode == "hang" else "30")
        assert result.returncode == 0, result.stderr
        if mode != "hang":  # a lost connection is noticed at once, not after the read timeout
            assert time.monotonic() - started < 20
        assert proxy.failures == 1
        attempts = _submissions(proxy, task_id)
    # Two attempts (a slow machine may need a third), every one with the same key.
    assert len(attempts) >= 2
    assert attempts[0].idempotency_key and len({seen.idempotency_key for seen in attempts}) == 1
    stored = versions(server, task_id, period)
    assert len(stored) == 1, stored
    assert "第1版" in result.stdout and update_id_in(result.stdout) == stored[0]["id"]


def test_a_batch_survives_a_dropped_connection_without_duplicates(server, config, tmp_path):
    slots = [server.fresh() for _ in range(3)]
    batch = tmp_path / "updates.json"
    batch.write_text(json.dumps([_row(*slot) for slot in slots]))
    with FaultyProxy(int(server.url.rsplit(":", 1)[1]), mode="drop") as proxy:
        logged_in(config, proxy.url, server.policy_token)
        result = tracker("submit", "--file", str(batch), config=config)
    assert result.returncode == 0, result.stderr
    assert proxy.failures == 1
    for slot in slots:
        assert len(versions(server, *slot)) == 1


def test_a_lost_answer_with_retries_exhausted_gives_the_key_for_a_safe_retry(server, config):
    task_id, period = server.fresh()
    with FaultyProxy(int(server.url.rsplit(":", 1)[1]), mode="drop", fail=5) as proxy:
        logged_in(config, proxy.url, server.policy_token)
        result = _submit(task_id, period, config, TRACKER_CLIENT_RETRIES="1")
        assert result.returncode == 6
        key = _submissions(proxy, task_id)[0].idempotency_key
        assert f"--idempotency-key {key}" in last_line(result)
    assert len(versions(server, task_id, period)) == 1  # stored by the first attempt
    retried = _submit(task_id, period, config, "--server", server.url, "--idempotency-key", key)
    assert retried.returncode == 5  # this config only holds a token for the proxy's address
    logged_in(config, server.url, server.policy_token)
    retried = _submit(task_id, period, config, "--idempotency-key", key)
    assert retried.returncode == 0, retried.stderr
    assert len(versions(server, task_id, period)) == 1


# --- the retry rules, in process (no server) -----------------------------------------------


def _client(handler, retries: int = 3) -> tuple[TrackerClient, list[float]]:
    waits: list[float] = []
    client = TrackerClient("http://tracker.test", "trk_x", transport=httpx.MockTransport(handler),
                           retry=RetryPolicy(retries=retries, backoff=0.5, max_backoff=2.0),
                           sleep=waits.append)
    return client, waits


UPDATE = UpdateInput(period="2018-03", percent=10, state="in_progress", work_done="x")


def test_a_submission_is_retried_with_one_key_and_bounded_waits():
    keys: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers["idempotency-key"])
        if len(keys) < 4:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response")
        return httpx.Response(200, json={"id": 7})

    client, waits = _client(answer)
    assert client.submit_update(1, UPDATE) == {"id": 7}
    assert len(keys) == 4 and len(set(keys)) == 1
    assert len(waits) == 3 and all(0 < wait <= 2.0 for wait in waits)


def test_a_4xx_is_final_and_an_unsafe_request_is_not_repeated_once_sent():
    calls: list[str] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(400, json={"status_code": 400, "detail": "完成进度 150 超出 0-100 范围",
                                         "field": "percent"})

    client, waits = _client(refuse)
    with pytest.raises(BadRequest) as refused:
        client.submit_update(1, UPDATE)
    assert (refused.value.field, len(calls), waits) == ("percent", 1, [])

    def time_out(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        raise httpx.ReadTimeout("timed out")

    calls.clear()
    client, _ = _client(time_out)
    with pytest.raises(ServerUnreachable, match="共尝试 4 次"):
        # Safe to repeat: the server joins the running job or returns the archived copy.
        client.generate_report(1, "2018-09")
    assert len(calls) == 4

    def refuse_connection(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        raise httpx.ConnectError("[Errno 111] Connection refused")

    calls.clear()
    client, _ = _client(refuse_connection, retries=2)
    with pytest.raises(ServerUnreachable, match="共尝试 3 次"):
        client.generate_report(1, "2018-09")  # never reached the server: safe to repeat
    assert len(calls) == 3


def _report_job(state: str, step: int = 1, **extra) -> dict:
    return {"id": "a" * 32, "state": state, "step": "绘制图表", "done_steps": step,
            "total_steps": 5, "reused": False, "error": None,
            "status_url": "/api/report-jobs/" + "a" * 32, "report": None, **extra}


def test_a_report_is_started_then_its_job_polled_until_done():
    report = {"id": 7, "sha256": "0" * 64, "period": "2018-09"}
    answers = [_report_job("running", 0), _report_job("running", 2), _report_job("running", 3),
               _report_job("done", 5, report=report)]
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(f"{request.method} {request.url.path}")
        return httpx.Response(202 if request.method == "POST" else 200, json=answers.pop(0))

    client, waits = _client(answer)
    seen: list[int] = []
    assert client.generate_report(1, "2018-09", on_progress=lambda job: seen.append(
        job["done_steps"])) == report
    assert seen == [0, 2, 3]  # each running state shown once, before the next look
    assert calls == ["POST /api/plans/1/reports"] + ["GET /api/report-jobs/" + "a" * 32] * 3
    # A server that answers at once without the job moving on gets growing pauses between
    # looks; none after the look that finds it done.
    assert waits == [0.25, 0.5]

    answers[:] = [_report_job("running"), _report_job("failed", error="报告生成超过120秒，已停止")]
    with pytest.raises(ServerFailed, match="报告生成超过120秒") as failed:
        client.generate_report(1, "2018-09")
    assert failed.value.field == "report"

    def never_done(request: httpx.Request) -> httpx.Response:
        return httpx.Response(202 if request.method == "POST" else 200, json=_report_job("running"))

    # A server that holds the look until the job moves on (?wait=): no pauses at all.
    steps = iter(["读取数据", "绘制图表", "生成 PDF"])
    looks: list[str] = []

    def long_poll(request: httpx.Request) -> httpx.Response:
        looks.append(request.url.params.get("wait", ""))
        step = next(steps, None)
        job = _report_job("running", step=1) if step else _report_job("done", 5, report=report)
        return httpx.Response(202 if request.method == "POST" else 200,
                              json={**job, "step": step or "完成"})

    client, waits = _client(long_poll)
    assert client.generate_report(1, "2018-09") == report
    assert waits == [] and looks == ["", "20", "20", "20"]

    client, waits = _client(never_done)
    with pytest.raises(ServerUnreachable, match="报告仍在生成.*绘制图表"):
        client.generate_report(1, "2018-09", wait=10)
    assert sum(waits) >= 10 and max(waits) == 2.0


def test_excel_headers_must_be_known(tmp_path):
    book = Workbook()
    book.active.append(["task_id", "period", "precent", "state", "work_done"])
    book.active.append([1, "2018-03", 10, "in_progress", "x"])
    book.save(tmp_path / "bad.xlsx")
    with pytest.raises(InvalidInput, match="precent"):
        read_rows(tmp_path / "bad.xlsx")
