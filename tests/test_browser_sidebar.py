"""A person logs in through the login page and finds the ESAP sidebar in JupyterLab."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, expect

from harness.browser import log_in, open_esap_sidebar
from harness.hub import REPO, TEST_OFFER, RunningHub, hub_config, start_hub

pytestmark = [pytest.mark.browser, pytest.mark.hub]

KINDS = {
    "data_services": "data_service",
    "software_catalogues": "software_catalogue",
    "archives": "archive",
}


def test_login_reaches_lab_with_the_esap_sidebar(page: Page, hub: RunningHub) -> None:
    log_in(page, hub, "carol")
    open_esap_sidebar(page)
    sidebar = page.locator(".esap-Sidebar")
    expect(sidebar).to_contain_text("ESAP Hub (tests)")
    for section, kind in KINDS.items():
        for entry in TEST_OFFER[section]:
            item = sidebar.locator(f'[data-esap-kind="{kind}"][data-esap-name="{entry["name"]}"]')
            expect(item).to_be_visible()
            expect(item).to_contain_text(entry.get("title", entry["name"]))
            expect(item).to_contain_text(entry["description"])


def test_config_text_is_shown_as_text_not_html(page: Page, hub: RunningHub) -> None:
    log_in(page, hub, "carol")
    open_esap_sidebar(page)
    archive = page.locator('.esap-Sidebar [data-esap-kind="archive"][data-esap-name="local"]')
    expect(archive).to_contain_text("<b>kept</b>")
    expect(archive.locator("b")).to_have_count(0)


@pytest.fixture
def shipped_hub(tmp_path: Path) -> Iterator[RunningHub]:
    """A hub from the repository's own esap.yaml (what `make run` starts), on free ports."""
    shipped = yaml.safe_load((REPO / "esap.yaml").read_text())
    harness = hub_config(tmp_path)
    shipped["hub"].update(
        {
            key: harness["hub"][key]
            for key in ("port", "internal_port", "proxy_api_port", "services")
        }
    )
    shipped["hub"]["data_dir"] = str(tmp_path / "data")
    shipped["auth"]["password"] = harness["auth"]["password"]
    for archive in shipped["archives"]:
        if archive.get("path"):
            archive["path"] = str(tmp_path / "archive")
    running = start_hub(tmp_path, shipped)
    try:
        yield running
    finally:
        running.stop()


def test_the_shipped_config_lists_its_services(page: Page, shipped_hub: RunningHub) -> None:
    shipped = yaml.safe_load((REPO / "esap.yaml").read_text())
    log_in(page, shipped_hub, "dave")
    open_esap_sidebar(page)
    sidebar = page.locator(".esap-Sidebar")
    for section, kind in KINDS.items():
        names = [entry["name"] for entry in shipped[section]]
        assert names, f"the shipped esap.yaml offers no {section}"
        for name in names:
            expect(
                sidebar.locator(f'[data-esap-kind="{kind}"][data-esap-name="{name}"]')
            ).to_be_visible()
