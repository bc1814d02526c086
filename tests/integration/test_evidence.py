"""Checked disclosure evidence: pages served by a real HTTP server on loopback (allowed only by
the test setting), what each check finds, and where the coordinator sees it, on SQLite and
PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.support.commands import run_tracker
from tests.support.factories import bearer, login, make_user
from tests.support.http_recorder import recording_server
from tests.support.samples import MINIMAL
from tracker.domain.plan_parsing.plan_source import load_plan_source
from tracker.domain.progress_input import UpdateInput
from tracker.services import evidence, plans, progress
from tracker.services.link_check import CheckConfig, address_allowed, check_url, judge
from tracker.tables import EvidenceUrl, Task, Unit

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

TITLE = "关于印发《2018年政务公开工作要点》的通知"
FILLER = "各处室、各分局：现将工作要点印发给你们，请认真贯彻落实。" * 20
NOTICE_PAGE = (f"<!doctype html><html><head><meta charset='utf-8'><title>{TITLE}_苏州市规划局</title>"
               f"</head><body><h1>{TITLE}</h1><p>{FILLER}</p></body></html>").encode()
HTML = {"Content-Type": "text/html; charset=utf-8"}
LOOPBACK = CheckConfig(allow_loopback=True, total_timeout=3.0, connect_timeout=1.0,
                       max_bytes=256 * 1024)
HUGE_BYTES = 50 * 1024 * 1024


def huge_page() -> Iterator[bytes]:
    yield NOTICE_PAGE[:-len(b"</body></html>")]
    chunk = b"<p>" + b"x" * 65_000 + b"</p>"
    for _ in range(HUGE_BYTES // len(chunk)):
        yield chunk


@pytest.fixture(scope="module")
def site():
    with recording_server() as server:
        gbk = (f"<html><head><meta http-equiv='Content-Type' content='text/html; charset=gb2312'>"
               f"<title>{TITLE}</title></head><body>{FILLER}</body></html>").encode("gbk")
        server.pages.update({
            "/notice.html": (200, HTML, NOTICE_PAGE),
            "/error.html": (200, HTML, f"<html><title>404 页面不存在</title><body>{FILLER}</body></html>".encode()),
            "/oops.html": (200, HTML, f"<html><title>错误</title><body>{FILLER}</body></html>".encode()),
            "/tiny.html": (200, HTML, b"<html><body>ok</body></html>"),
            "/gbk.html": (200, {"Content-Type": "text/html"}, gbk),
            "/report.pdf": (200, {"Content-Type": "application/pdf"}, b"%PDF-1.4\n" + b"0" * 1000),
            "/to-notice": (301, {"Location": "/notice.html"}, b""),
            "/to-private": (302, {"Location": "http://10.0.0.1/admin"}, b""),
            "/to-metadata": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
            "/to-file": (302, {"Location": "file:///etc/passwd"}, b""),
            "/loop": (302, {"Location": "/loop"}, b""),
            "/huge.html": (200, HTML, huge_page),
        })
        yield server


# --- one check -------------------------------------------------------------------------------


async def test_a_published_page_is_ok_and_its_expected_title_is_found(site):
    result = await check_url(f"{site.url}/notice.html", None, LOOPBACK)
    assert (result.state, result.http_status) == ("ok", 200)
    assert result.title == f"{TITLE}_苏州市规划局"
    found = await check_url(f"{site.url}/notice.html", "2018年政务公开 工作要点", LOOPBACK)
    assert found.state == "ok"
    gbk = await check_url(f"{site.url}/gbk.html", TITLE, LOOPBACK)
    assert (gbk.state, gbk.title) == ("ok", TITLE)
    moved = await check_url(f"{site.url}/to-notice", TITLE, LOOPBACK)
    assert (moved.state, moved.final_url) == ("ok", f"{site.url}/notice.html")
    pdf = await check_url(f"{site.url}/report.pdf", None, LOOPBACK)
    assert pdf.state == "ok"


async def test_missing_title_is_reported(site):
    result = await check_url(f"{site.url}/notice.html", "2019年政务公开工作要点", LOOPBACK)
    assert result.state == "no_title"
    assert "未找到预期标题“2019年政务公开工作要点”" in result.detail


@pytest.mark.parametrize(("path", "detail"), [
    ("/gone.html", "HTTP 404"),
    ("/error.html", "页面标题像是错误页：404 页面不存在"),
    ("/oops.html", "页面标题像是错误页：错误"),
    ("/tiny.html", "页面内容过少"),
    ("/loop", "重定向超过 5 次"),
])
async def test_dead_pages(site, path, detail):
    result = await check_url(f"{site.url}{path}", None, LOOPBACK)
    assert result.state == "dead"
    assert result.detail.startswith(detail)


async def test_a_hanging_page_times_out(site):
    started = time.monotonic()
    result = await check_url(f"{site.url}/hang/page", None,
                             CheckConfig(allow_loopback=True, total_timeout=0.5))
    assert result.state == "dead" and result.detail.startswith("超时")
    assert time.monotonic() - started < 2


async def test_an_oversized_page_is_read_only_up_to_the_cap(site):
    started = time.monotonic()
    result = await check_url(f"{site.url}/huge.html", TITLE, LOOPBACK)
    assert result.state == "ok"
    assert result.detail.endswith("页面超过 256 KB，只读取了前 256 KB")
    assert time.monotonic() - started < 3
    assert site.sent_bytes.get("/huge.html", 0) < HUGE_BYTES // 4  # the rest was never fetched


@pytest.mark.parametrize(("url", "reason"), [
    ("ftp://example.gov.cn/notice.txt", "只检查 http(s) 地址"),
    ("file:///etc/passwd", "只检查 http(s) 地址"),
    ("javascript:alert(1)", "只检查 http(s) 地址"),
    ("http://user:pass@example.gov.cn/", "地址中不能含用户名或密码"),
    ("http://10.1.2.3/notice.html", "10.1.2.3 指向内网、本机或保留地址"),
    ("http://192.168.1.1/", "指向内网"),
    ("http://169.254.169.254/latest/meta-data/", "指向内网"),
    ("http://[::1]/", "指向内网"),
    ("http://[::ffff:10.0.0.1]/", "指向内网"),
    ("http://0.0.0.0/", "指向内网"),
])
async def test_bad_schemes_and_private_addresses_are_refused(url, reason):
    result = await check_url(url, None, CheckConfig(total_timeout=2))
    assert result.state == "refused", result
    assert reason in result.detail


async def test_loopback_is_refused_by_default_even_by_name(site):
    before = len(site.requests)
    for url in (f"{site.url}/notice.html", f"http://localhost:{site.port}/notice.html"):
        result = await check_url(url, None, CheckConfig(total_timeout=2))
        assert result.state == "refused", result
    assert len(site.requests) == before  # refused before anything was sent


@pytest.mark.parametrize("path", ["/to-private", "/to-metadata", "/to-file"])
async def test_a_redirect_to_a_private_address_or_other_scheme_is_refused(site, path):
    result = await check_url(f"{site.url}{path}", None, LOOPBACK)
    assert result.state == "refused"
    assert "10.0.0.1" in result.detail or "169.254.169.254" in result.detail or "file:" in result.detail


def test_only_public_addresses_are_allowed():
    assert address_allowed("114.114.114.114")
    assert address_allowed("2400:3200::1")
    for address in ("10.0.0.1", "172.16.0.1", "192.168.0.1", "100.64.0.1", "169.254.1.1",
                    "127.0.0.1", "0.0.0.0", "224.0.0.1", "240.0.0.1", "::1", "fe80::1", "fc00::1",
                    "::ffff:192.168.0.1", "2002:c0a8:0001::1"):
        assert not address_allowed(address), address
    assert address_allowed("127.0.0.1", allow_loopback=True)
    assert not address_allowed("10.0.0.1", allow_loopback=True)


def test_judging_is_pure():
    config = CheckConfig()
    assert judge(500, b"", "text/html", None, False, "u", config).state == "dead"
    page = f"<title>第404号文件</title>{FILLER}".encode()
    assert judge(200, page, "text/html", None, False, "u", config).state == "dead"
    page = f"<title>关于2404号建议的答复</title>{FILLER}".encode()
    assert judge(200, page, "text/html", None, False, "u", config).state == "ok"


# --- registered, checked, shown -------------------------------------------------------------------


async def test_cited_links_are_registered_checked_and_shown_to_the_coordinator(
        app_client, database, site, monkeypatch, backend_urls):
    summary = await plans.import_plan(load_plan_source(MINIMAL.encode(), "p.yaml"), source_name="p.yaml")
    units = {row["name"]: row["id"] for row in await Unit.select(Unit.id, Unit.name)}
    task_id = (await Task.select(Task.id).where(Task.text == "做好公开").first())["id"]
    lead = await make_user("reporter", units["局办公室"])
    coordinator = await make_user("coordinator", username="coord")
    ok_url, gone_url, error_url = (f"{site.url}/notice.html", f"{site.url}/gone.html",
                                   f"{site.url}/error.html")
    await progress.submit_update(lead, task_id, UpdateInput(
        period="2018-09", percent=50, state="in_progress", work_done="已在门户网站公开",
        evidence_links=[ok_url, gone_url, error_url]))
    rows = await EvidenceUrl.select(EvidenceUrl.url, EvidenceUrl.state).order_by(EvidenceUrl.id)
    assert rows == [{"url": u, "state": "unchecked"} for u in (ok_url, gone_url, error_url)]

    checked = {link.url: link for link in await evidence.check_due(config=LOOPBACK)}
    assert {url: link.state for url, link in checked.items()} == {
        ok_url: "ok", gone_url: "dead", error_url: "dead"}
    assert checked[gone_url].http_status == 404 and checked[ok_url].checked_at
    assert await evidence.check_due(config=LOOPBACK) == []  # nothing stale yet
    assert len(await evidence.check_due(check_all=True, config=LOOPBACK)) == 3
    await evidence.expect_title(ok_url, "2019年政务公开工作要点")
    [again] = await evidence.check_due(config=LOOPBACK)
    assert (again.url, again.state) == (ok_url, "no_title")

    # The API: dead evidence, with the updates that cite it.
    h = await bearer(coordinator)
    dead = (await app_client.get("/api/evidence?state=dead", headers=h)).json()
    assert [link["url"] for link in dead] == [gone_url, error_url]
    assert dead[0]["cited_by"][0]["task_id"] == task_id
    assert dead[0]["cited_by"][0]["unit_name"] == "局办公室"
    assert (await app_client.get(f"/api/evidence?plan_id={summary.plan_id + 1}", headers=h)).json() == []
    assert (await app_client.get("/api/evidence?state=gone", headers=h)).status_code == 400
    assert (await app_client.get("/api/evidence", headers=await bearer(lead))).status_code == 403

    # The task page marks each link with its state and lists the problems.
    await login(app_client, "coord")
    page = (await app_client.get(f"/tasks/{task_id}")).text
    assert "佐证链接核验（3 个有问题）" in page
    assert page.count('data-state="dead"') == 2 and page.count('data-state="no_title"') == 1
    notices = (await app_client.get("/notifications")).text
    assert gone_url in notices and "HTTP 404" in notices

    # `tracker evidence check --all`, the real command.
    url, data_dir = backend_urls(database)
    monkeypatch.setenv("TRACKER_EVIDENCE_ALLOW_LOOPBACK", "1")
    result = run_tracker("evidence", "check", "--all", database_url=url, data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert f"失效\t{gone_url}\tHTTP 404" in result.stdout
    assert "核验 3 个链接，3 个有问题" in result.stdout
