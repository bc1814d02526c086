"""The bugs found by using the pages (issue 11), each checked in Debian's headless Chromium
against one real `tracker serve` with the demo data, every test in a fresh browser context
(no cookies or storage carried over). See tests/test_browser.py for the whole month's walk.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.support.live_server import live_server
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, PASSWORD, VIEWPORT

SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots" / "pages"
UNIT = "政策法规处"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with live_server() as base_url:
        yield base_url


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run `make test`")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(chromium: Browser, request) -> Iterator[BrowserContext]:
    context = chromium.new_context(viewport=VIEWPORT, locale="zh-CN", accept_downloads=True)
    context.set_default_timeout(15_000)
    errors: list[str] = []
    context.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
    yield context
    for page in context.pages:
        page.screenshot(path=SCREENSHOTS / f"{request.node.name}.png", full_page=True)
    context.close()
    assert not errors, errors


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login")
    submit_login(page, username)
    expect(page.locator("header.top form.who")).to_contain_text("退出")


def submit_login(page: Page, username: str) -> None:
    form = page.locator("section.login form")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(PASSWORD)
    form.get_by_role("button", name="登录").click()


def a_lead_task(page: Page, base_url: str, period: str = "2018-12", index: int = 0) -> str:
    """The path of a task 政策法规处 leads (the demo has its whole year's history: a new update
    is the next version)."""
    page.goto(f"{base_url}/my?period={period}")
    rows = page.locator("table.tasks tbody tr").filter(
        has=page.locator("td:nth-child(2)", has_text="牵头"))
    expect(rows.nth(index)).to_be_visible()
    return rows.nth(index).locator("td:first-child a").get_attribute("href")


# --- bug 2: an expired login keeps what was typed ---------------------------------------------


def test_an_expired_login_keeps_the_typed_update_and_never_answers_405(server, context):
    page = context.new_page()
    log_in(page, server, "policy")
    task_path = a_lead_task(page, server)
    page.goto(server + task_path)
    form = page.locator("form.update-form")
    form.locator("select[name=period]").select_option("2018-12")
    form.locator("input[name=percent]").fill("30")
    form.locator("select[name=state]").select_option(label="推进中")
    typed = "十一月已完成政策文件清理，共梳理规范性文件12件。"
    form.locator("textarea[name=work_done]").fill(typed)
    form.locator("textarea[name=problems]").fill("个别文件需与司法局会商。")

    context.clear_cookies(name="tracker_session")  # the login expired while the user typed
    form.get_by_role("button", name="提交").click()
    expect(page).to_have_url(re.compile(r"/login\?"))
    expect(page.locator("p.notice")).to_contain_text("登录已过期，请重新登录")
    submit_login(page, "policy")

    expect(page).to_have_url(re.compile(rf"{task_path}$"))  # back on the form, not a 405
    expect(page.locator("h1")).not_to_contain_text("出错了")
    expect(page.locator("p.draft-restored")).to_be_visible()
    expect(form.locator("textarea[name=work_done]")).to_have_value(typed)
    expect(form.locator("textarea[name=problems]")).to_have_value("个别文件需与司法局会商。")
    expect(form.locator("input[name=percent]")).to_have_value("30")
    expect(form.locator("select[name=period]")).to_have_value("2018-12")
    expect(form.locator("select[name=state]")).to_have_value("in_progress")
    form.get_by_role("button", name="提交").click()
    expect(page.locator("p.notice")).to_have_text("填报已提交，等待审核。")
    expect(page.locator("article.update").first).to_contain_text(typed)
    # Stored on the server: the draft is dropped, the next visit shows an empty form.
    page.goto(server + task_path)
    expect(page.locator("p.draft-restored")).to_have_count(0)
    expect(form.locator("textarea[name=work_done]")).to_have_value("")


# --- the browser's own checks speak Chinese -------------------------------------------------


def test_the_browsers_own_form_checks_say_what_is_missing_in_chinese(server, context):
    page = context.new_page()
    log_in(page, server, "policy")
    page.goto(server + a_lead_task(page, server, index=1))
    form = page.locator("form.update-form")
    form.get_by_role("button", name="提交").click()
    percent = form.locator("input[name=percent]")
    assert percent.evaluate("e => e.validationMessage") == "请填写“进度”"
    percent.fill("10")
    assert percent.evaluate("e => e.validationMessage") == ""
    form.get_by_role("button", name="提交").click()
    work_done = form.locator("textarea[name=work_done]")
    assert work_done.evaluate("e => e.validationMessage") == "请填写“工作进展”"
    expect(page).to_have_url(re.compile(r"/tasks/\d+$"))  # nothing was sent


# --- bug 8: 生成并下载 PDF downloads, and once --------------------------------------------------


def test_generate_and_download_saves_the_pdf_and_repeated_clicks_reuse_the_copy(server, context):
    page = context.new_page()
    log_in(page, server, "office")
    page.goto(f"{server}/plans/1")
    form = page.locator("section.reports form")
    form.locator("select[name=period]").select_option("2018-09")
    downloads = []
    for _ in range(2):
        with page.expect_download(timeout=120_000) as download_info:
            form.get_by_role("button", name="生成并下载 PDF").click(timeout=120_000)
        downloads.append(download_info.value)
    for download in downloads:
        assert download.suggested_filename.endswith("-2018年9月-月报.pdf"), download.suggested_filename
        assert Path(download.path()).read_bytes().startswith(b"%PDF-")
    assert Path(downloads[0].path()).read_bytes() == Path(downloads[1].path()).read_bytes()
    expect(page).to_have_url(f"{server}/plans/1")  # still on the plan, at its top
    page.reload()
    expect(page.locator("section.reports tbody tr").filter(has_text="2018-09")).to_have_count(1)
    expect(page.locator("section.reports")).not_to_contain_text("SHA-256")


# --- bug 9: 接口文档 works without the Internet ------------------------------------------------


def test_api_docs_render_with_the_network_blocked(server, context):
    outside: list[str] = []

    def only_this_server(route):
        if route.request.url.startswith(server):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_server)
    page = context.new_page()
    log_in(page, server, "office")
    page.locator("header.top nav").get_by_role("link", name="接口文档").click()
    expect(page).to_have_url(f"{server}/schema")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("政务公开工作要点跟踪 API")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    assert page.locator(".swagger-ui .opblock").count() > 20
    assert outside == [], outside
