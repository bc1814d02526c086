"""The coordinator's report in a real browser: mark a task 提请领导关注 on its page, click 生成
on the plan page, watch the job's progress, download the PDF; a second click returns the same
archived report. Debian's headless Chromium against the real `tracker serve` (demo data).
Screenshots at 1366 and 390 px go to test-artifacts/screenshots/report-*.png."""

from __future__ import annotations

import contextlib
import re
import subprocess
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.test_browser import SCREENSHOTS, VIEWPORT, Browser
from tests.support.live_server import live_server

NOTE = "行政许可公示平台需与市局系统对接，请分管领导协调。"
PHONE = {"width": 390, "height": 844}


def _pdf_text(path: Path) -> str:
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    return re.sub(r"\s+", "", text)


def _generate(browser: Browser, expect_progress: bool = False) -> tuple[str, str]:
    """Click 生成 for 2018-09 (leadership edition); wait for the job; (report number, message)."""
    page = browser.page
    form = page.locator("section.reports form")
    form.locator("select[name=period]").select_option("2018-09")
    expect(form.locator("select[name=edition]")).to_have_value("monthly")
    form.get_by_role("button", name="生成").click()
    expect(page).to_have_url(re.compile(r"/plans/\d+/report-jobs/[0-9a-f]{32}$"))
    expect(page.locator("h1")).to_have_text("生成报告")
    if expect_progress:
        expect(page.locator(".job-progress progress")).to_be_visible()
        expect(page.locator(".job-step")).to_contain_text("正在")
        browser.page.screenshot(path=SCREENSHOTS / "report-job-progress-1366.png")
    done = page.locator(".job-done")
    expect(done).to_be_visible(timeout=180_000)
    expect(page.locator(".job-progress")).to_be_hidden()
    message = page.locator(".job-message").inner_text()
    number = re.search(r"归档编号\s*(\d+)", message)
    assert number, message
    return number[1], message


def test_generate_shows_progress_downloads_and_reuses_the_archive(chromium, tmp_path: Path) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with live_server() as base_url:
        context = chromium.new_context(viewport=VIEWPORT, locale="zh-CN", accept_downloads=True)
        try:
            page = context.new_page()
            page.set_default_timeout(20_000)
            browser = Browser(page, base_url)
            try:
                _scenario(browser, tmp_path)
            except BaseException:
                with contextlib.suppress(Exception):
                    page.screenshot(path=SCREENSHOTS / "report-failure.png", full_page=True)
                raise
            assert not browser.server_errors, browser.server_errors
        finally:
            context.close()


def _scenario(browser: Browser, tmp_path: Path) -> None:
    page = browser.page
    browser.log_in("office")
    browser.open("/plans/1")
    plan_url = page.url.split("?")[0]

    # The coordinator marks a task for leadership attention on its page.
    page.goto(browser.base_url + page.locator("table.plan-tasks a").first.get_attribute("href"))
    expect(page).to_have_url(re.compile(r"/tasks/\d+$"))
    form = page.locator("form.attention-form")
    form.locator("input[name=flag]").check()
    form.locator("textarea[name=attention_note]").fill(NOTE)
    form.get_by_role("button", name="保存").click()
    expect(page.locator("p.notice")).to_be_visible()
    expect(page.locator("dd.attention")).to_have_text(NOTE)

    # The overview: charts legible (drawn at least 560 px wide), then 生成.
    page.goto(plan_url)
    widths = page.evaluate("[...document.querySelectorAll('.charts img')].map(i => i.clientWidth)")
    assert widths and min(widths) >= 560, widths
    page.locator(".charts").scroll_into_view_if_needed()
    # Not wait_for_function: the page's CSP (script-src 'self') refuses its eval.
    for chart in page.locator(".charts img").all():
        expect(chart).to_have_js_property("complete", True, timeout=120_000)
    page.screenshot(path=SCREENSHOTS / "report-plan-1366.png", full_page=True)

    # The job page shows its progress while the report is made (the page polls its status).
    seen_steps: list[str] = []
    page.on("response", lambda r: seen_steps.append(r.url) if "/report-jobs/" in r.url
            and "/plans/" not in r.url else None)
    number, message = _generate(browser, expect_progress=True)
    assert seen_steps, "the page never polled the job's status"
    assert "报告已生成并归档" in message
    page.screenshot(path=SCREENSHOTS / "report-job-done-1366.png", full_page=True)
    with page.expect_download() as download_info:
        page.locator(".job-pdf").click()
    download = download_info.value
    assert download.suggested_filename.endswith("月报.pdf"), download.suggested_filename
    pdf = tmp_path / "report.pdf"
    download.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    text = _pdf_text(pdf)
    assert "一、摘要" in text and re.sub(r"\s+", "", NOTE) in text

    # A second click: the same content, so the archived report comes back, not a new row.
    page.goto(plan_url)
    rows_before = page.locator("section.reports tbody tr").count()
    again, message = _generate(browser)
    assert again == number
    assert "与已归档的报告相同" in message
    page.goto(plan_url)
    expect(page.locator("section.reports tbody tr")).to_have_count(rows_before)

    # On a phone the page still works; the charts scroll sideways inside their frames.
    page.set_viewport_size(PHONE)
    page.goto(plan_url)
    for image in page.locator(".charts img").all():
        image.scroll_into_view_if_needed()
    # Not wait_for_function: the page's CSP (script-src 'self') refuses its eval.
    for chart in page.locator(".charts img").all():
        expect(chart).to_have_js_property("complete", True, timeout=60_000)
    page.locator(".charts").scroll_into_view_if_needed()
    page.screenshot(path=SCREENSHOTS / "report-plan-390.png", full_page=False)
