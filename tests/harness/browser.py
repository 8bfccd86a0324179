"""Real Chromium (Debian's ``/usr/bin/chromium``) driven by Playwright.

Playwright never downloads a browser here: the fixture launches the system
Chromium with the flags a closed, headless machine needs.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

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
    # the splash leaves once the saved layout is restored; before that a sidebar may still fold
    expect(page.locator("#jupyterlab-splash")).to_have_count(0, timeout=60_000)


def open_side_panel(page: Page, data_id: str, content: Locator, timeout: float = 60.0) -> None:
    """Show the left-sidebar panel ``data_id`` and wait until ``content`` in it is visible.

    A click on the current tab folds the sidebar away, and a layout being
    restored can fold or switch it after a tab was read as current, so the tab
    is clicked only while ``content`` is hidden and the tab is not current, and
    that is checked again until ``content`` shows or ``timeout`` seconds pass.
    """
    tab = page.locator(f'.jp-SideBar.jp-mod-left [data-id="{data_id}"]')
    expect(tab).to_be_visible(timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    while True:
        if "lm-mod-current" not in (tab.get_attribute("class") or ""):
            tab.click()
        try:
            expect(content).to_be_visible(timeout=2_000)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise


def open_esap_sidebar(page: Page) -> None:
    """Click the ESAP tab of the left sidebar and wait for its content."""
    open_side_panel(page, "esap-sidebar", page.locator(".esap-Sidebar"))
