"""End to end in a real browser: a unit reports, the coordinator returns it, the unit resubmits,
the coordinator accepts. Debian's headless Chromium, driven by Playwright, against the real
`tracker serve` started by the test (tests/support/live_server.py).

Every step is done the way a person does it: typing into the forms and clicking the buttons;
nothing goes through the API. A screenshot of every step is saved in
test-artifacts/screenshots/ (gitignored) at a small laptop's size, 1366x768.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, Response, expect

from tests.browser.conftest import SCREENSHOTS, log_in

VIEWPORT = {"width": 1366, "height": 768}
PASSWORD = "demo-2018"
PERIOD = "2018-09"
BEIJING = ZoneInfo("Asia/Shanghai")
UNIT = "政策法规处"

WORK_DONE_1 = "已梳理本处2018年出台的3件规范性文件，完成合法性审查并在门户网站公开。"
WORK_DONE_2 = "已补充3件规范性文件的解读材料，并在门户网站“政策解读”栏目同步公开。"
EVIDENCE_LINK = "https://www.example.gov.cn/zwgk/2018/09/policy.html"
RETURN_COMMENT = "请补充政策解读材料的公开情况后重新报送。"
ACCEPT_COMMENT = "材料齐全，同意。"
ATTACHMENT_NAME = "会议纪要.pdf"
# A small, well-formed one-page PDF.
PDF_BYTES = (
    b"%PDF-1.4\n"
    b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


class Browser:
    """One tab, with the helpers a person's actions map to."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.shots: list[str] = []
        self.server_errors: list[str] = []
        self.policy_violations: list[str] = []
        self.pages_without_policy: list[str] = []
        page.on("response", self._check_response)
        # Chromium reports what the Content-Security-Policy blocked on the console.
        page.on("console", lambda message: self.policy_violations.append(message.text)
                if "Content Security Policy" in message.text else None)

    def _check_response(self, response: Response) -> None:
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.url}")
        if response.request.resource_type == "document" and "script-src 'self'" not in (
                response.headers.get("content-security-policy", "")):
            self.pages_without_policy.append(response.url)

    def open(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def shot(self, name: str) -> None:
        """Save a full-page screenshot, and check the page fits a small laptop's width."""
        page = self.page
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        # Every image loaded, lazy ones included. (Not wait_for_function: its predicate is
        # evaluated with eval(), which the page's script-src 'self' rightly refuses.)
        for image in page.locator("img").all():
            expect(image).to_have_js_property("complete", True, timeout=60_000)
        broken = page.evaluate("[...document.images].filter(i => !i.naturalWidth).map(i => i.src)")
        assert not broken, f"{name}: images that did not load: {broken}"
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name}: the page is {overflow}px wider than the 1366px window"
        # The stylesheet applied under the policy (the header is laid out by site.css).
        assert page.evaluate("getComputedStyle(document.querySelector('header.top')).display"
                             ) == "flex", f"{name}: site.css did not apply"
        number = len(self.shots) + 1
        page.screenshot(path=SCREENSHOTS / f"{number:02d}-{name}.png", full_page=True)
        self.shots.append(name)

    def log_in(self, username: str) -> None:
        log_in(self.page, self.base_url, username, PASSWORD)

    def log_out(self) -> None:
        self.page.locator("header.top").get_by_role("button", name="退出").click()
        expect(self.page).to_have_url(re.compile(r"/login\?notice=logged_out$"))
        expect(self.page.locator("p.notice")).to_have_text("已退出登录。")


def update_article(page: Page, version: int):
    """This unit's update for PERIOD, that version, in a task's history or the review queue."""
    return page.locator("article.update").filter(has=page.locator(
        "header", has_text=re.compile(rf"{UNIT}（牵头）\s*·\s*{PERIOD}\s*·\s*版本\s*{version}\s*·")))


def versions_on_page(page: Page) -> list[int]:
    """The versions of this unit's updates for PERIOD shown on the page."""
    headers = page.locator("article.update header").all_inner_texts()
    pattern = re.compile(rf"{UNIT}（牵头）\s*·\s*{PERIOD}\s*·\s*版本\s*(\d+)\s*·")
    return [int(match[1]) for text in headers if (match := pattern.search(text))]


def queue_size(page: Page) -> int:
    heading = page.locator("h1").inner_text()
    match = re.fullmatch(r"审核（(\d+)）", heading)
    assert match, heading
    return int(match[1])


def fill_update(page: Page, percent: str, work_done: str, links: str = "",
                attachment: Path | None = None) -> None:
    form = page.locator("form.update-form")
    form.locator("select[name=period]").select_option(PERIOD)
    form.locator("input[name=percent]").fill(percent)
    form.locator("select[name=state]").select_option(label="推进中")
    form.locator("textarea[name=work_done]").fill(work_done)
    form.locator("textarea[name=evidence_links]").fill(links)
    if attachment is not None:
        form.locator("input[name=attachments]").set_input_files(attachment)


def submit_update(page: Page) -> None:
    page.locator("form.update-form").get_by_role("button", name="提交").click()


def test_report_return_resubmit_accept(tmp_path: Path, base_url: str, chromium,
                                       screenshots: Path) -> None:
    attachment = tmp_path / ATTACHMENT_NAME
    attachment.write_bytes(PDF_BYTES)
    context = chromium.new_context(viewport=VIEWPORT, locale="zh-CN", accept_downloads=True)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        browser = Browser(page, base_url)
        try:
            _scenario(browser, attachment)
        except BaseException:
            with contextlib.suppress(Exception):  # keep the original error
                page.screenshot(path=SCREENSHOTS / "failure.png", full_page=True)
            raise
        assert not browser.server_errors, browser.server_errors
        # Every page works under the Content-Security-Policy: nothing it blocked.
        assert not browser.policy_violations, browser.policy_violations
        assert not browser.pages_without_policy, browser.pages_without_policy
    finally:
        context.close()


def _scenario(browser: Browser, attachment: Path) -> None:
    page = browser.page

    # 1. The unit reporter logs in and lands on "my tasks".
    browser.open("/my")
    expect(page).to_have_url(re.compile(r"/login\?next=/my$"))  # not logged in yet
    expect(page.locator("h1")).to_have_text("登录")
    browser.shot("login-page")
    browser.log_in("policy")
    expect(page).to_have_url(re.compile(r"/my$"))
    expect(page.locator("h1")).to_have_text(f"我的任务 · {UNIT}")
    rows = page.locator("table.tasks tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 2
    period_form = page.locator("form.as-of")
    # The period field shows the period the table is for (the current one by default).
    shown_period = rows.first.locator("td:nth-child(4)").inner_text()
    expect(period_form.locator("input[name=period]")).to_have_value(shown_period)
    browser.shot("policy-my-tasks")

    # The tasks for PERIOD; open one this unit leads, preferably one not yet reported for it.
    period_form.locator("input[name=period]").fill(PERIOD)
    period_form.get_by_role("button", name="查看").click()
    expect(page).to_have_url(re.compile(rf"/my\?period={PERIOD}$"))
    lead_rows = rows.filter(has=page.locator("td:nth-child(2)", has_text="牵头"))
    expect(lead_rows.first).to_be_visible()
    # The demo data may hold months of history: take a lead task with nothing for PERIOD, else
    # one whose latest update for PERIOD is already decided (a new version corrects it).
    unreported = lead_rows.filter(has=page.locator(".badge.warn", has_text="待填报"))
    decided = lead_rows.filter(has_not=page.locator(".review.submitted"))
    assert unreported.count() or decided.count(), f"no task led by {UNIT} to report on for {PERIOD}"
    row = unreported.first if unreported.count() else decided.first
    link = row.locator("td:first-child a")
    task_path = link.get_attribute("href")
    assert task_path and re.fullmatch(r"/tasks/\d+", task_path), task_path
    link.click()
    expect(page).to_have_url(re.compile(rf"{task_path}$"))
    expect(page.locator("dl.meta dt:text-is('牵头单位') + dd")).to_contain_text(UNIT)
    expect(page.locator("dl.meta dt:text-is('本单位') + dd")).to_have_text("牵头")
    expect(page.locator("form.update-form")).to_be_visible()
    history_before = page.locator("article.update").count()
    base = max(versions_on_page(page), default=0)  # 0 unless the demo history has PERIOD
    v1, v2 = base + 1, base + 2

    # 5. A percent written as "50%" is refused in Chinese; what was typed stays; nothing is saved.
    fill_update(page, "50%", WORK_DONE_1, EVIDENCE_LINK, attachment)
    browser.shot("policy-update-form-filled")
    submit_update(page)
    error = page.locator("p.error[role=alert]")
    expect(error).to_have_attribute("data-field", "percent")
    expect(error).to_contain_text("完成进度“50%”不是 0-100 的整数（不要带 %）")
    form = page.locator("form.update-form")
    expect(form.locator("input[name=percent]")).to_have_value("50%")
    expect(form.locator("input[name=percent]")).to_have_attribute("aria-invalid", "true")
    expect(form.locator("textarea[name=work_done]")).to_have_value(WORK_DONE_1)
    expect(form.locator("textarea[name=evidence_links]")).to_have_value(EVIDENCE_LINK)
    expect(form.locator("select[name=period]")).to_have_value(PERIOD)
    expect(form.locator("select[name=state]")).to_have_value("in_progress")
    expect(page.locator("article.update")).to_have_count(history_before)  # nothing half-saved
    browser.shot("policy-percent-error-kept-input")

    # Correct it; a re-rendered page cannot keep a chosen file, so attach it again.
    form.locator("input[name=percent]").fill("40")
    form.locator("input[name=attachments]").set_input_files(attachment)
    submit_update(page)
    expect(page).to_have_url(re.compile(rf"{task_path}\?notice=submitted$"))
    expect(page.locator("p.notice")).to_have_text("填报已提交，等待审核。")
    expect(page.locator("article.update")).to_have_count(history_before + 1)
    first = update_article(page, v1)
    expect(first).to_have_count(1)
    assert versions_on_page(page)[0] == v1  # the newest version of the period comes first
    expect(first.locator("header")).to_contain_text("40% · 推进中")
    expect(first.locator("header .review")).to_have_text("待审核")
    expect(first).to_contain_text(WORK_DONE_1)
    # The time is shown as the users' clock shows it: Beijing time, to the minute.
    shown = first.locator("header .muted").inner_text()
    match = re.fullmatch(r"张填报（政策法规处） (\d{4}-\d\d-\d\d \d\d:\d\d)", shown)
    assert match, shown
    submitted = dt.datetime.strptime(match[1], "%Y-%m-%d %H:%M").replace(tzinfo=BEIJING)
    assert abs(dt.datetime.now(BEIJING) - submitted) < dt.timedelta(minutes=5), shown
    expect(first.get_by_role("link", name=EVIDENCE_LINK)).to_have_attribute("href", EVIDENCE_LINK)
    file_link = first.get_by_role("link", name=ATTACHMENT_NAME)
    expect(file_link).to_have_attribute("href", re.compile(r"^/attachments/\d+$"))
    browser.shot("policy-update-submitted")
    with page.expect_download() as download_info:
        file_link.click()
    download = download_info.value
    assert download.suggested_filename == ATTACHMENT_NAME
    assert Path(download.path()).read_bytes() == PDF_BYTES

    # 2. The coordinator returns it with a comment.
    browser.log_out()
    browser.log_in("office")
    page.locator("header.top nav").get_by_role("link", name="审核").click()
    expect(page).to_have_url(re.compile(r"/reviews$"))
    pending = queue_size(page)
    card = page.locator("section.card").filter(has=update_article(page, v1))
    expect(card).to_have_count(1)
    expect(card.locator(f'a[href="{task_path}"]')).to_be_visible()
    expect(card).to_contain_text(WORK_DONE_1)
    expect(card.get_by_role("link", name=ATTACHMENT_NAME)).to_be_visible()
    card.locator("textarea[name=comment]").fill(RETURN_COMMENT)
    card.scroll_into_view_if_needed()
    browser.shot("office-review-queue-returning")
    card.get_by_role("button", name="退回").click()
    expect(page).to_have_url(re.compile(r"/reviews\?notice=reviewed$"))
    expect(page.locator("p.notice")).to_have_text("审核结果已保存。")
    expect(page.locator("h1")).to_have_text(f"审核（{pending - 1}）")
    expect(update_article(page, v1)).to_have_count(0)
    if pending == 1:
        expect(page.locator("p.empty")).to_have_text("没有待审核的填报。")
    browser.shot("office-review-queue-after-return")
    browser.open(task_path)
    returned = update_article(page, v1)
    expect(returned).to_have_class(re.compile(r"\breturned\b"))
    expect(returned.locator("header .review")).to_have_text("已退回")
    expect(returned.locator("p.review-note.returned")).to_contain_text("已退回 · 王协调（局办公室）")
    expect(returned.locator("p.review-note.returned")).to_contain_text(RETURN_COMMENT)
    browser.shot("office-task-returned")

    # 3. The unit sees why in "my tasks" and resubmits.
    browser.log_out()
    browser.log_in("policy")
    period_form.locator("input[name=period]").fill(PERIOD)
    period_form.get_by_role("button", name="查看").click()
    expect(page).to_have_url(re.compile(rf"/my\?period={PERIOD}$"))
    row = rows.filter(has=page.locator(f'a[href="{task_path}"]'))
    expect(row).to_have_class(re.compile(r"\btodo\b"))  # needs action again
    expect(row.locator(".review.returned")).to_have_text("已退回")
    expect(row).to_contain_text(f"版本{v1}")
    expect(row.locator(".review-note.returned")).to_have_text(RETURN_COMMENT)
    browser.shot("policy-my-tasks-returned")
    row.locator(f'a[href="{task_path}"]').click()
    expect(update_article(page, v1).locator(".review-note.returned")).to_contain_text(RETURN_COMMENT)
    fill_update(page, "50", WORK_DONE_2, EVIDENCE_LINK)
    submit_update(page)
    expect(page.locator("p.notice")).to_have_text("填报已提交，等待审核。")
    articles = page.locator("article.update")
    expect(articles).to_have_count(history_before + 2)
    assert versions_on_page(page)[:2] == [v2, v1]  # newest first, the returned one kept
    second = update_article(page, v2)
    expect(second.locator("header")).to_contain_text("50% · 推进中")
    expect(second.locator("header .review")).to_have_text("待审核")
    expect(second).to_contain_text(WORK_DONE_2)
    expect(update_article(page, v1).locator("header .review")).to_have_text("已退回")
    expect(update_article(page, v1)).to_contain_text(RETURN_COMMENT)
    browser.shot("policy-resubmitted-new-version")

    # 4. The coordinator accepts the new version; the whole exchange stays in the history.
    browser.log_out()
    browser.log_in("office")
    page.locator("header.top nav").get_by_role("link", name="审核").click()
    expect(page.locator("h1")).to_have_text(f"审核（{pending}）")
    card = page.locator("section.card").filter(has=update_article(page, v2))
    expect(card).to_have_count(1)
    expect(card).to_contain_text(WORK_DONE_2)
    card.locator("textarea[name=comment]").fill(ACCEPT_COMMENT)
    card.scroll_into_view_if_needed()
    browser.shot("office-review-queue-new-version")
    card.get_by_role("button", name="通过").click()
    expect(page.locator("p.notice")).to_have_text("审核结果已保存。")
    expect(page.locator("h1")).to_have_text(f"审核（{pending - 1}）")
    expect(update_article(page, v2)).to_have_count(0)
    browser.open(task_path)
    accepted = update_article(page, v2)
    expect(accepted).to_have_class(re.compile(r"\baccepted\b"))
    expect(accepted.locator("header .review")).to_have_text("已通过")
    expect(accepted.locator("p.review-note.accepted")).to_contain_text(ACCEPT_COMMENT)
    returned = update_article(page, v1)
    expect(returned.locator("header .review")).to_have_text("已退回")
    expect(returned.locator("p.review-note.returned")).to_contain_text(RETURN_COMMENT)
    expect(returned.get_by_role("link", name=ATTACHMENT_NAME)).to_be_visible()
    browser.shot("office-task-accepted-history")

    # The coordinator's overview of the plan: sections are folded; the unit filter finds the task.
    page.locator("header.top nav").get_by_role("link", name="年度计划").click()
    page.locator("table.list tbody a").first.click()
    search = page.locator("form.filter")
    search.locator("select[name=unit]").select_option(UNIT)
    search.get_by_role("button", name="筛选").click()
    expect(page.locator("p.tree-count")).to_contain_text("符合条件的任务")
    expect(page.locator("tr.task").filter(has=page.locator(f'a[href="{task_path}"]'))).to_be_visible()
    browser.shot("office-plan-overview")
