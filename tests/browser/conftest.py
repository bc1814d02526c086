"""One live server and one Chromium for all the browser tests (each test opens its own
contexts): starting either costs seconds, and the tests do not depend on each other's data
beyond what each one checks for itself.

Package scope, not session: Playwright's sync API keeps an event loop running while it is
open, and the asyncio tests that run after this package need it closed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.support.live_server import live_server
from tests.support.samples import PROJECT_ROOT

SCREENSHOTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--no-proxy-server",  # the server is on 127.0.0.1: never through a proxy from the environment
]


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    """Log in through the login form, as a person does; wait until the page says who is in."""
    page.goto(base_url + "/login")
    form = page.locator("section.login form")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    form.get_by_role("button", name="登录").click()
    expect(page.locator("header.top form.who")).to_contain_text("退出")


@pytest.fixture(scope="package")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    return SCREENSHOTS


@pytest.fixture(scope="package")
def base_url() -> str:
    """The real `tracker serve` on the demo data, plus a unit that has not reported
    (tests/support/browser_world.py)."""
    with live_server(setup=[[sys.executable, "-m", "tests.support.browser_world"]]) as url:
        yield url


@pytest.fixture(scope="package")
def chromium():
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run `make test`, which installs "
                    "Debian's chromium package (scripts/system-packages.sh test)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Mark a test whose body failed, so its fixtures can keep a screenshot of the moment."""
    report = yield
    if report.when == "call" and report.failed:
        item.failed_call = True
    return report
