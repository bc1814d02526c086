"""The coordinator imports a real plan in Chromium, checks it in the preview beside its source,
fixes a unit and a deadline, answers for the units the tracker does not know, saves, and sees
the corrected tree on the plan page. Screenshots at 1366 px and 390 px in
test-artifacts/screenshots/import-preview/ (gitignored).

The document is the 2017 Beijing key points (tests/data/plans/p03_beijing_2017.txt): a real
page as stored in a public archive, with no title line and no year, so the coordinator must
supply both; its units (市政府办公厅…) are not among the demo's units."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.test_browser import PASSWORD
from tests.support.live_server import live_server
from tests.support.samples import PROJECT_ROOT

DOCUMENT = PROJECT_ROOT / "tests" / "data" / "plans" / "p03_beijing_2017.txt"
SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots" / "import-preview"
WIDE = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
FIRST = "sections[0].items[0].tasks[0]"
TITLE = "北京市2017年政务公开工作要点"
# Uploaded under a long name without spaces (as saved from an archive or a mail attachment):
# the preview repeats it, and on a phone it must wrap instead of widening the page.
UPLOAD_NAME = "p03_beijing_2017_zhengwu_gongkai_gongzuo_yaodian_quanwen_from_public_archive.txt"


def shot(page: Page, name: str) -> None:
    """A full-page screenshot, after checking nothing runs wider than the window."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name}: the page is {overflow}px wider than the window"
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def test_import_preview_fix_and_save(chromium) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    with live_server() as base_url:
        context = chromium.new_context(viewport=WIDE, locale="zh-CN")
        try:
            page = context.new_page()
            page.set_default_timeout(10_000)
            errors: list[str] = []
            page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 500 else None)
            page.on("pageerror", lambda error: errors.append(str(error)))  # a script failing
            try:
                _scenario(page, base_url)
            except BaseException:
                with contextlib.suppress(Exception):
                    page.screenshot(path=SCREENSHOTS / "failure.png", full_page=True)
                raise
            assert not errors, errors
        finally:
            context.close()


def _scenario(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/login")
    form = page.locator("section.login form")
    form.locator("input[name=username]").fill("office")
    form.locator("input[name=password]").fill(PASSWORD)
    form.get_by_role("button", name="登录").click()
    page.locator("header.top nav").get_by_role("link", name="导入计划").click()
    page.locator("input[name=file]").set_input_files(
        {"name": UPLOAD_NAME, "mimeType": "text/plain", "buffer": DOCUMENT.read_bytes()})
    page.locator("form.plan-form").get_by_role("button", name="导入计划").click()
    expect(page).to_have_url(re.compile(r"/plans/drafts/[0-9a-f]{32}$"))
    draft_url = page.url
    expect(page.locator("h1")).to_have_text("核对导入的计划")

    # Each task is linked to its source lines: clicking the link highlights them.
    task = page.locator("fieldset.draft-task[id='t-0-0-0']")
    link = task.locator("a.src-link")
    line = link.get_attribute("data-from")
    link.click()
    expect(page.locator(f"#L{line}")).to_have_class(re.compile(r"\bhl\b"))
    expect(task).to_have_class(re.compile(r"\blinked\b"))
    expect(page.locator(f"#L{line} .lt")).to_contain_text(
        task.locator("textarea").input_value()[:12])
    # The parser's doubts are shown on the rows, and unknown units are asked about.
    expect(page.locator("fieldset.draft-task.warned").first).to_be_visible()
    unknown = page.locator("table.draft-units tr.unit.new select")
    assert unknown.count() >= 1
    shot(page, "01-preview-1366")

    # Saving as it is: refused, each reason named, nothing stored.
    page.locator("input[name='plan.title']").fill("")
    page.locator(".draft-bar").first.get_by_role("button", name="保存为计划").click()
    alert = page.locator("div.error[role=alert]")
    expect(alert).to_contain_text("请填写计划名称")
    expect(alert).to_contain_text("不在本系统中，请选择：新建、对应到已有单位或不分配")
    shot(page, "02-refused-1366")

    # Fix: title and year, the first task's lead unit and deadline; map the unknown units.
    page.locator("input[name='plan.title']").fill(TITLE)
    page.locator("input[name='plan.year']").fill("2017")
    task.locator(f"input[name='{FIRST}.lead_units']").fill("局办公室")
    task.locator(f"input[name='{FIRST}.cooperating_units']").fill("")
    task.locator(f"input[name='{FIRST}.deadline_text']").fill("2017年6月底前")
    task.locator(f"input[name='{FIRST}.deadline']").fill("")
    for index in range(unknown.count()):
        unknown.nth(index).select_option(label="对应到：政策法规处")
    page.locator(".draft-bar").first.get_by_role("button", name="保存修改").click()
    expect(page.locator("p.notice")).to_have_text("修改已保存在草稿中（尚未导入）。")

    # A reload keeps the edits: the draft is on the server.
    page.goto(draft_url)
    task = page.locator("fieldset.draft-task[id='t-0-0-0']")
    expect(task.locator(f"input[name='{FIRST}.lead_units']")).to_have_value("局办公室")
    expect(task.locator(f"input[name='{FIRST}.deadline']")).to_have_value("2017-06-30")
    expect(task.locator("ul.warnings")).to_have_count(0)
    first_text = task.locator("textarea").input_value()
    shot(page, "03-fixed-1366")
    page.set_viewport_size(PHONE)
    shot(page, "04-fixed-390")
    page.set_viewport_size(WIDE)

    page.locator(".draft-bar").first.get_by_role("button", name="保存为计划").click()
    expect(page).to_have_url(re.compile(r"/plans/\d+\?notice=imported$"))
    expect(page.locator("p.notice")).to_have_text("计划已导入。")
    expect(page.locator("h1")).to_contain_text(TITLE)
    row = page.locator("tr.task").filter(has_text=first_text[:20])
    expect(row.locator("td.units").first).to_have_text("局办公室")
    expect(row.locator("td.deadline")).to_contain_text("2017-06-30")
    expect(row.locator("td.deadline")).to_contain_text("2017年6月底前")
    mapped = page.locator("tr.task").filter(has_text="政策法规处")
    assert mapped.count() >= 1  # the unknown 市政府办公厅 now stands for 政策法规处
    expect(page.locator("tr.task td.units", has_text="市政府办公厅")).to_have_count(0)
    shot(page, "05-plan-1366")
    page.set_viewport_size(PHONE)
    page.goto(draft_url)  # stored: the draft is gone
    expect(page.locator("h1")).to_contain_text("出错了")
    page.goto(f"{base_url}/plans/import")
    shot(page, "06-import-form-390")


def test_the_document_is_in_the_repository() -> None:
    assert DOCUMENT.is_file() and Path(DOCUMENT).read_text(encoding="utf-8").startswith("# source: ")
