"""Real Chromium (Debian's ``/usr/bin/chromium``) driven by Playwright.

Playwright never downloads a browser here: the fixture launches the system
Chromium with the flags a closed, headless machine needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from harness.hub import RunningHub

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the session; each test gets its own context through ``page``."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Debian's chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Page]:
    """A fresh browser context and page; a screenshot is kept when the test fails."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        yield page
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            page.screenshot(path=str(tmp_path / "failure.png"))
        context.close()


def log_in(page: Page, hub: RunningHub, username: str) -> None:
    """Log in through the hub's login page and wait for the user's JupyterLab."""
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", username)
    page.fill("#password_input", hub.password)
    page.click("#login_submit")
    page.wait_for_url(f"**/user/{username}/lab**", timeout=120_000)
    expect(page.locator("#jp-main-dock-panel")).to_be_visible(timeout=60_000)


def open_esap_sidebar(page: Page) -> None:
    """Click the ESAP tab of the left sidebar and wait for its content."""
    tab = page.locator('.jp-SideBar.jp-mod-left [data-id="esap-sidebar"]')
    expect(tab).to_be_visible()
    if "lm-mod-current" not in (tab.get_attribute("class") or ""):
        tab.click()
    expect(page.locator(".esap-Sidebar")).to_be_visible()
