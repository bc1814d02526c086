"""The bugs found by using the pages (issue 11), each checked in Debian's headless Chromium
against one real `tracker serve` with the demo data, every test in a fresh browser context
(no cookies or storage carried over). See tests/test_browser.py for the whole month's walk.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.test_browser import PASSWORD, VIEWPORT
from tests.support.live_server import live_server

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots" / "pages"
UNIT = "政策法规处"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with live_server() as base_url:
        yield base_url


@pytest.fixture
def context(chromium: Browser, request) -> Iterator[BrowserContext]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
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
    # Stored on the server: the draft is dropped, the next visit does not bring it back.
    page.goto(server + task_path)
    expect(page.locator("p.draft-restored")).to_have_count(0)
    expect(form.locator("textarea[name=work_done]")).not_to_have_value(typed)


# --- the browser's own checks speak Chinese -------------------------------------------------


def test_the_browsers_own_form_checks_say_what_is_missing_in_chinese(server, context):
    page = context.new_page()
    log_in(page, server, "policy")
    page.goto(server + a_lead_task(page, server, index=1))
    form = page.locator("form.update-form")
    percent = form.locator("input[name=percent]")
    percent.fill("")  # pre-filled with last time's percent
    form.get_by_role("button", name="提交").click()
    assert percent.evaluate("e => e.validationMessage") == "请填写“进度”"
    percent.fill("10")
    assert percent.evaluate("e => e.validationMessage") == ""
    form.get_by_role("button", name="提交").click()
    work_done = form.locator("textarea[name=work_done]")
    assert work_done.evaluate("e => e.validationMessage") == "请填写“工作进展”"
    expect(page).to_have_url(re.compile(r"/tasks/\d+$"))  # nothing was sent


# Bug 8 (生成 downloads once, a second click returns the archived copy) is walked in
# tests/browser/test_browser_report.py, which drives the report job page.


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
    # Swagger UI's 1.5 MB script and the whole schema: allow for a busy 2-core machine.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("政务公开工作要点跟踪 API",
                                                                     timeout=60_000)
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=30_000)
    assert page.locator(".swagger-ui .opblock").count() > 20
    assert outside == [], outside


# --- bug 3: back button and submit again --------------------------------------------------------


def versions_of(page: Page, period: str) -> list[tuple[int, str]]:
    """(version, review label) of 政策法规处's updates for `period` in the task's history."""
    pattern = re.compile(rf"{UNIT}（牵头）\s*·\s*{period}\s*·\s*版本\s*(\d+)\s*·.*?·.*?·\s*(\S+)")
    texts = page.locator("article.update header").all_inner_texts()
    return [(int(m[1]), m[2]) for text in texts if (m := pattern.search(text))]


def test_back_button_and_submit_again_store_one_version(server, context):
    page = context.new_page()
    log_in(page, server, "policy")
    task_path = a_lead_task(page, server, index=2)
    page.goto(server + task_path)
    before = versions_of(page, "2018-12")
    form = page.locator("form.update-form")
    form.locator("select[name=period]").select_option("2018-12")
    form.locator("input[name=percent]").fill("55")
    form.locator("textarea[name=work_done]").fill("十二月完成公开目录年度复核。")
    form.get_by_role("button", name="提交").click()
    expect(page.locator("p.notice")).to_have_text("填报已提交，等待审核。")
    after = versions_of(page, "2018-12")
    assert len(after) == len(before) + 1 and after[0][1] == "待审核", after

    page.go_back()  # the form again, as it was sent
    expect(form.locator("textarea[name=work_done]")).to_have_value("十二月完成公开目录年度复核。")
    form.get_by_role("button", name="提交").click()
    expect(page.locator("p.notice")).to_have_text("填报已提交，等待审核。")
    assert versions_of(page, "2018-12") == after  # nothing stored twice

    # A deliberate correction is a new version; the one it replaces says so, not 待审核.
    form.locator("select[name=period]").select_option("2018-12")
    form.locator("input[name=percent]").fill("60")
    form.locator("textarea[name=work_done]").fill("十二月完成公开目录年度复核，并更新指南。")
    form.get_by_role("button", name="提交").click()
    expect(page.locator("p.notice")).to_have_text("填报已提交，等待审核。")
    latest = versions_of(page, "2018-12")
    assert latest[0] == (after[0][0] + 1, "待审核"), latest
    assert latest[1] == (after[0][0], f"已被第{after[0][0] + 1}版取代"), latest


# --- bug 10: the first update's state, and a resubmission that starts from what was returned ---


def test_first_update_defaults_and_a_returned_update_comes_back_prefilled(server, context):
    page = context.new_page()
    log_in(page, server, "policy")
    task_path = a_lead_task(page, server, index=3)
    page.goto(server + task_path)
    form = page.locator("form.update-form")
    expect(form.locator("select[name=state] option:checked")).to_have_text("按进度自动判断")
    form.locator("select[name=period]").select_option("2018-12")
    form.locator("input[name=percent]").fill("35")
    work_done = "十二月已完成规范性文件清理的初审工作。"
    form.locator("textarea[name=work_done]").fill(work_done)
    form.locator("textarea[name=next_steps]").fill("一月底前完成复审。")
    form.get_by_role("button", name="提交").click()
    expect(page.locator("p.notice")).to_have_text("填报已提交，等待审核。")
    expect(page.locator("article.update").first.locator("header")).to_contain_text("35% · 推进中")

    page.locator("header.top").get_by_role("button", name="退出").click()
    log_in(page, server, "office")
    page.goto(f"{server}/reviews")
    card = page.locator("section.card").filter(has_text=work_done)
    reason = "请写明初审的文件数量。"
    card.locator("textarea[name=comment]").fill(reason)
    card.get_by_role("button", name="退回").click()
    expect(page.locator("p.notice")).to_have_text("审核结果已保存。")

    page.locator("header.top").get_by_role("button", name="退出").click()
    log_in(page, server, "policy")
    page.goto(server + task_path)
    expect(page.locator("p.returned-reason")).to_contain_text(reason)
    expect(page.locator("p.returned-reason")).to_contain_text("2018-12")
    box = page.locator("p.returned-reason").bounding_box()
    assert box["y"] < form.bounding_box()["y"]  # the reason is read before the form
    expect(form.locator("select[name=period]")).to_have_value("2018-12")
    expect(form.locator("input[name=percent]")).to_have_value("35")
    expect(form.locator("select[name=state]")).to_have_value("in_progress")
    expect(form.locator("textarea[name=work_done]")).to_have_value(work_done)
    expect(form.locator("textarea[name=next_steps]")).to_have_value("一月底前完成复审。")
    form.locator("textarea[name=work_done]").fill(work_done + "共初审文件12件。")
    form.get_by_role("button", name="提交").click()
    expect(page.locator("p.notice")).to_have_text("填报已提交，等待审核。")
    expect(page.locator("p.returned-reason")).to_have_count(0)


# --- the review queue's 通过所选 ----------------------------------------------------------------


def test_ticked_updates_are_accepted_together(server, context):
    """The coordinator ticks 全选本页 (the page's script), unticks one, and 通过所选 accepts the
    rest in one post: the notice, the queue shorter by exactly that many, the unticked one
    still waiting."""
    page = context.new_page()
    log_in(page, server, "policy")
    texts = [f"第{n}批规范性文件清理初审完成。" for n in (1, 2, 3)]
    for index, text in enumerate(texts):
        page.goto(server + a_lead_task(page, server, period="2018-11", index=index))
        form = page.locator("form.update-form")
        form.locator("select[name=period]").select_option("2018-11")
        form.locator("input[name=percent]").fill("60")
        form.locator("textarea[name=work_done]").fill(text)
        form.get_by_role("button", name="提交").click()
        expect(page.locator("p.notice")).to_have_text("填报已提交，等待审核。")
    page.locator("header.top").get_by_role("button", name="退出").click()

    log_in(page, server, "office")
    page.goto(f"{server}/reviews?period=2018-11")
    heading = page.locator("h1").inner_text()
    waiting = int(re.search(r"（(\d+)）", heading)[1])
    assert waiting >= 3, heading
    boxes = page.locator("input[name=update][form=batch-review]")
    page.locator("label.select-all").get_by_role("checkbox").check()  # shown by the script
    assert boxes.count() == min(waiting, 50)
    for index in range(boxes.count()):
        expect(boxes.nth(index)).to_be_checked()
    kept = page.locator("section.card").filter(has_text=texts[0])
    kept.locator("input[name=update]").uncheck()
    ticked = boxes.count() - 1
    page.locator("form.batch-bar").get_by_role("button", name="通过所选").click()
    expect(page).to_have_url(re.compile(r"/reviews\?period=2018-11&page=1&notice=batch_reviewed$"))
    expect(page.locator("p.notice")).to_have_text("所选填报已全部通过。")
    expect(page.locator("h1")).to_have_text(f"审核（{waiting - ticked}）")
    expect(page.locator("section.card").filter(has_text=texts[0])).to_have_count(1)
    expect(page.locator("section.card").filter(has_text=texts[1])).to_have_count(0)
