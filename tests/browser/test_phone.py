"""A reporter's month on a 390 px phone, and the coordinator's 催报 reaching it, in Chromium
against the real server (the session's, tests/browser/conftest.py).

宣传处 (reporter `xuanchuan`) leads a task and has not reported. The coordinator, at a desk,
chases it with 一键催报; on the phone the menu shows the unread count, 通知 lists the 催报; the
reporter files the update, the coordinator returns it, the phone shows the return with its
reason, and the reporter resubmits. The leader's overview must fit the phone too. Pages are
also printed to PDF: no menus, buttons or forms on paper. Screenshots (phone-*, desk-*) are
kept in test-artifacts/screenshots/ to be looked at.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import log_in
from tests.support.browser_world import PASSWORD, UNIT, USERNAME
from tracker.reporting import figures

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 768}
WORK_DONE_1 = "已在门户网站开设政策解读专栏，发布解读稿件2篇。"
WORK_DONE_2 = "解读专栏已发布稿件4篇，并同步推送至政务新媒体。"
RETURN_REASON = "请写明稿件标题和发布日期。"
# Texts of buttons, menus and forms that must never be printed.
NOT_ON_PAPER = ["退出", "筛选", "一键催报全部未报单位", "再次催报", "导出 Excel", "打印", "查看",
                "提交", "生成并下载 PDF", "接口文档", "清除筛选", "同意延期"]


class Screen:
    """One person's browser tab, with the checks every page gets."""

    def __init__(self, context: BrowserContext, base_url: str, name: str, folder: Path):
        self.context = context
        self.page: Page = context.new_page()
        self.page.set_default_timeout(10_000)
        self.base_url = base_url
        self.name = name
        self.folder = folder
        self.errors: list[str] = []
        self.page.on("response", lambda r: r.status >= 500 and self.errors.append(
            f"{r.status} {r.url}"))

    def open(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def shot(self, name: str) -> None:
        page = self.page
        # Charts load lazily: scroll them into view and wait, so the picture shows them.
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        # (Not wait_for_function: its predicate runs through eval(), which the page's
        # script-src 'self' refuses.)
        for image in page.locator("img").all():
            expect(image).to_have_js_property("complete", True, timeout=60_000)
        page.evaluate("window.scrollTo(0, 0)")
        width = page.viewport_size["width"]
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name}: {overflow}px wider than the {width}px screen"
        page.screenshot(path=self.folder / f"{self.name}-{name}.png", full_page=True)

    def log_in(self, username: str) -> None:
        log_in(self.page, self.base_url, username, PASSWORD)

    def badge(self) -> str:
        """The unread count shown on the (collapsed) menu button, "" when none."""
        button = self.page.locator("header.top .menu-button")
        count = button.locator(".count")
        return count.inner_text() if count.count() else ""

    def menu(self, link: str) -> None:
        """Open the collapsed menu and follow one of its links."""
        nav = self.page.locator("header.top nav")
        if not nav.is_visible():
            self.page.locator("header.top .menu-button").click()
        expect(nav).to_be_visible()
        nav.get_by_role("link", name=re.compile(rf"^{link}")).click()


def _context(chromium: Browser, viewport: dict) -> BrowserContext:
    phone = viewport["width"] < 500
    return chromium.new_context(viewport=viewport, locale="zh-CN", is_mobile=phone,
                                has_touch=phone)


def _pdf_text(page: Page, path: Path) -> str:
    page.pdf(path=str(path), format="A4")
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


@pytest.fixture
def people(request, chromium, base_url, screenshots):
    contexts = [_context(chromium, PHONE), _context(chromium, DESK)]
    phone = Screen(contexts[0], base_url, "phone", screenshots)
    desk = Screen(contexts[1], base_url, "desk", screenshots)
    try:
        yield phone, desk
        if getattr(request.node, "failed_call", False):
            for screen in (phone, desk):
                screen.page.screenshot(path=screenshots / f"{screen.name}-failure.png",
                                       full_page=True)
        assert not phone.errors and not desk.errors, phone.errors + desk.errors
    finally:
        for context in contexts:
            context.close()


def test_reporters_month_on_a_phone_and_the_coordinators_chase(people, tmp_path):
    phone, desk = people
    p = phone.page

    # The reporter logs in on the phone: the menu is one button; the task list is cards.
    phone.log_in(USERNAME)
    expect(p).to_have_url(re.compile(r"/my$"))
    expect(p.locator("header.top nav")).to_be_hidden()
    expect(p.locator("h1")).to_have_text(f"我的任务 · {UNIT}")
    card = p.locator("table.my-tasks tbody tr").first
    expect(card.locator(".badge.warn")).to_have_text("待填报")
    assert card.bounding_box()["width"] <= PHONE["width"]
    assert phone.badge() == ""
    phone.shot("01-my-tasks")
    p.locator("header.top .menu-button").click()
    expect(p.locator("header.top nav").get_by_role("link", name="通知")).to_be_visible()
    phone.shot("02-menu-open")
    task_path = card.locator("td:first-child a").get_attribute("href")

    # The coordinator, at a desk, chases 宣传处 from the 催报 page.
    desk.log_in("office")
    desk.open("/plans/1/chasing")
    row = desk.page.locator("table.not-reported tr", has_text=UNIT)
    expect(row).to_have_count(1)
    row.get_by_role("button", name="催报").click()
    expect(desk.page.locator("p.chase-result.sent")).to_contain_text(f"已向{UNIT}催报")
    expect(desk.page.locator("p.chase-result.sent")).to_contain_text("站内通知")
    history = desk.page.locator("table.chase-history tbody tr", has_text=UNIT)
    expect(history).to_have_count(1)
    expect(history).to_contain_text("王协调")
    expect(desk.page.locator("table.not-reported tr", has_text=UNIT).get_by_role(
        "button", name="再次催报")).to_be_visible()
    # A second 一键催报 the same day sends nothing to 宣传处 and says so.
    desk.page.get_by_role("button", name="一键催报全部未报单位").click()
    expect(desk.page.locator("p.chase-result.already", has_text=UNIT)).to_contain_text("未重复发送")
    expect(history).to_have_count(1)
    desk.shot("01-chasing-reminded")

    # The phone shows the unread 催报 on the menu button, and in 通知.
    p.reload()
    assert phone.badge() == "1"
    phone.menu("通知")
    expect(p.locator("h1")).to_have_text("通知（未读 1）")
    item = p.locator("li.inbox-item.unread").first
    expect(item.locator(".badge.kind")).to_have_text("催报")
    expect(item.locator(".inbox-title")).to_contain_text(f"催报：{UNIT}")
    phone.shot("03-notice-reminder")
    item.locator(".inbox-title a").click()
    expect(p).to_have_url(re.compile(r"/my\?period=\d{4}-\d\d$"))
    assert phone.badge() == ""

    # The reporter files the month's update from the phone.
    phone.open(task_path)
    form = p.locator("form.update-form")
    form.locator("input[name=percent]").fill("30")
    form.locator("select[name=state]").select_option(label="推进中")
    form.locator("textarea[name=work_done]").fill(WORK_DONE_1)
    phone.shot("04-task-update-form")
    form.get_by_role("button", name="提交").click()
    expect(p.locator("p.notice")).to_have_text("填报已提交，等待审核。")
    expect(p.locator("article.update").first).to_contain_text(WORK_DONE_1)
    phone.shot("05-task-submitted")

    # The coordinator finds it in the review queue, filtered to the unit, and returns it.
    desk.open("/reviews")
    search = desk.page.locator("form.filter")
    search.locator("select[name=unit]").select_option(label=UNIT)
    search.get_by_role("button", name="筛选").click()
    expect(desk.page.locator("h1")).to_have_text("审核（1）")
    review = desk.page.locator("section.card", has_text=WORK_DONE_1)
    review.locator("textarea[name=comment]").fill(RETURN_REASON)
    review.get_by_role("button", name="退回").click()
    expect(desk.page.locator("p.notice")).to_have_text("审核结果已保存。")

    # The phone shows the return, with its reason; the reporter corrects and resubmits.
    p.reload()
    assert phone.badge() == "1"
    phone.menu("通知")
    returned = p.locator("li.inbox-item.unread").first
    expect(returned.locator(".badge.kind")).to_have_text("填报退回")
    expect(returned).to_contain_text(RETURN_REASON)
    phone.shot("06-notice-returned")
    returned.locator(".inbox-title a").click()
    expect(p).to_have_url(re.compile(rf"{task_path}$"))
    expect(p.locator("article.update.returned").first).to_contain_text(RETURN_REASON)
    form = p.locator("form.update-form")
    form.locator("input[name=percent]").fill("40")
    form.locator("select[name=state]").select_option(label="推进中")
    form.locator("textarea[name=work_done]").fill(WORK_DONE_2)
    form.get_by_role("button", name="提交").click()
    expect(p.locator("p.notice")).to_have_text("填报已提交，等待审核。")
    expect(p.locator("article.update").first).to_contain_text(WORK_DONE_2)
    assert phone.badge() == ""
    phone.shot("07-task-resubmitted")

    # On paper: the task with its history, without the menu, the form or its buttons.
    text = _pdf_text(p, tmp_path / "task.pdf")
    assert WORK_DONE_1 in text and WORK_DONE_2 in text
    for word in NOT_ON_PAPER:
        assert word not in text, f"{word!r} printed on the task page"


def test_leaders_overview_fits_a_phone_and_prints_clean(people, tmp_path):
    phone, desk = people
    p = phone.page
    phone.log_in("leader")
    phone.menu("年度计划")
    p.locator("table.list tbody a").first.click()
    expect(p.locator("details.plan-section").first).to_be_visible()
    height = p.evaluate("document.documentElement.scrollHeight")
    assert height < 6000, f"the plan page is {height}px tall on a phone"
    phone.shot("08-leader-plan")
    # Open a section: its tasks are cards, not a table wider than the screen.
    p.locator("details.plan-section summary").first.click()
    expect(p.locator("details.plan-section[open] tr.task").first).to_be_visible()
    phone.shot("09-leader-plan-section-open")
    plan_path = p.url.removeprefix(phone.base_url).split("?")[0]
    phone.open(f"{plan_path}/ranking")
    expect(p.locator("table.ranking tbody tr").first).to_be_visible()
    phone.shot("10-leader-ranking")
    phone.open(f"{plan_path}/chasing")
    phone.shot("11-leader-chasing")

    # At a desk the same pages, and on paper.
    desk.log_in("office")
    desk.open(plan_path)
    desk.shot("02-plan")
    plan_text = _pdf_text(desk.page, tmp_path / "plan.pdf")
    last_section = desk.page.locator("details.plan-section summary h2").last.inner_text()
    assert last_section.replace(" ", "") in plan_text.replace(" ", "")  # folded sections print too
    desk.open(f"{plan_path}/chasing")
    chasing_text = _pdf_text(desk.page, tmp_path / "chasing.pdf")
    assert "未报送单位" in chasing_text
    desk.open(f"{plan_path}/ranking")
    ranking_text = _pdf_text(desk.page, tmp_path / "ranking.pdf")
    assert "单位通报排名" in ranking_text
    for name, text in [("plan", plan_text), ("chasing", chasing_text), ("ranking", ranking_text)]:
        for word in NOT_ON_PAPER:
            assert word not in text, f"{word!r} printed on the {name} page"


def _charts_as_shown(screen: Screen) -> list[dict]:
    """Each overview chart once loaded: the picture chosen, its sizes, its figure's scrolling."""
    p = screen.page
    images = p.locator(".charts figure img")
    expect(images).to_have_count(len(figures.OVERVIEW_CHARTS))
    shown = []
    for image in images.all():
        image.scroll_into_view_if_needed()  # they load lazily
        expect(image).to_have_js_property("complete", True, timeout=60_000)
        shown.append(image.evaluate("""img => ({
            src: img.currentSrc, natural: img.naturalWidth, width: img.getBoundingClientRect().width,
            right: img.getBoundingClientRect().right,
            scroll: img.closest('figure').scrollWidth - img.closest('figure').clientWidth})"""))
    return shown


def test_the_overview_charts_are_drawn_for_the_phone_and_the_desk_keeps_its_own(people):
    """Issue 13 §2: on a phone each chart is the phone's (360 px, text 12 px and up), fits the
    screen and its figure does not scroll sideways; a desk still gets the report's charts."""
    phone, desk = people
    p = phone.page
    phone.log_in("leader")
    phone.menu("年度计划")
    p.locator("table.list tbody a").first.click()
    expect(p.locator(".charts")).to_be_visible()
    for name, chart in zip(figures.OVERVIEW_CHARTS, _charts_as_shown(phone), strict=True):
        assert f"/charts/{name}.svg?" in chart["src"] and "shape=phone" in chart["src"], chart
        assert chart["natural"] == 360, chart  # 270 pt: drawn for this screen, shown ~1:1
        assert 300 <= chart["width"] <= PHONE["width"] and chart["right"] <= PHONE["width"], chart
        assert chart["scroll"] <= 0, f"{name}: its figure scrolls sideways {chart}"
    p.locator(".charts").screenshot(path=phone.folder / "phone-12-leader-charts.png")
    phone.shot("13-leader-plan-charts")

    plan_path = p.url.removeprefix(phone.base_url)
    desk.log_in("leader")
    desk.open(plan_path)
    for name, chart in zip(figures.OVERVIEW_CHARTS, _charts_as_shown(desk), strict=True):
        assert "shape=" not in chart["src"] and f"/charts/{name}.svg?as_of=" in chart["src"], chart
        assert chart["natural"] == 595 and chart["width"] >= 560, chart  # 6.2 in, as before
        assert chart["scroll"] <= 0, chart
        # The wide chart, the report's size (its bytes are the report's: the PDF tests).
        wide = desk.page.request.get(chart["src"]).body()
        assert b'width="446.4pt"' in wide
    desk.page.locator(".charts").screenshot(path=desk.folder / "desk-03-plan-charts.png")
