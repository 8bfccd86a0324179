"""A person finds a Zooniverse project from the Data panel and stores their Zooniverse token.

Against the data hub (real JupyterHub) in Chromium; Zooniverse is the
Panoptes stand-in (``standins/zooniverse.py``). The record pane renders a
row's fields as DOM text, so a project title holding ``<script>`` is read
back from it as text.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from standins.fixtures import RunningPanoptes
from standins.zooniverse import HOSTILE_TITLE

from harness.browser import log_in, open_side_panel
from harness.data_hub import DataHub

pytestmark = [pytest.mark.browser, pytest.mark.hub]

SERVICE = "zooniverse"
SERVER = 60_000


def test_a_project_is_found_from_the_data_panel_and_its_title_stays_text(
    page: Page, data_hub: DataHub
) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, data_hub.hub, data_hub.user)
    panel = page.locator("#esap-data")
    open_side_panel(page, "esap-data", panel.locator(f'[data-esap-service="{SERVICE}"]'))
    rows = panel.locator("[data-esap-service]")
    for index in range(rows.count()):
        row = rows.nth(index)
        wanted = row.get_attribute("data-esap-service") == SERVICE
        row.locator('input[type="checkbox"]').first.set_checked(wanted)
    details = panel.locator("details.esap-Details")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    panel.locator("#esap-data-text").fill("comets")
    panel.locator(".esap-SearchButton").click()

    line = panel.locator(f'[data-esap-service-status="{SERVICE}"]')
    expect(line).to_have_attribute("data-esap-state", "rows", timeout=SERVER)
    expect(line).to_contain_text("1 row", timeout=SERVER)
    view = page.locator(f'.esap-ServiceResult[data-esap-service="{SERVICE}"]')
    page.locator(".esap-DataResults .lm-TabBar-tab", has_text=SERVICE).click()
    grid = view.locator(".esap-ResultGrid")
    expect(grid).to_be_visible(timeout=SERVER)
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 150, box["y"] + 28 + 12)  # first body row, below the header
    record = view.locator('.esap-Record[data-esap-row="0"]')
    expect(record).to_contain_text(HOSTILE_TITLE, timeout=SERVER)
    scripts = page.evaluate(
        "() => [...document.querySelectorAll('script')]"
        ".filter(s => s.textContent.includes(\"alert('zoo')\")).length"
    )
    assert scripts == 0
    assert dialogs == []


def test_the_token_is_stored_from_the_command_palette(
    page: Page, data_hub: DataHub, zooniverse_standin: RunningPanoptes
) -> None:
    log_in(page, data_hub.hub, data_hub.user)
    # focus the lab without clicking into the launcher (a click there can open a notebook,
    # which then takes the focus from the palette), then type into the palette's own field
    page.locator("#jp-top-panel").click()
    palette = page.locator("#modal-command-palette")
    page.keyboard.press("ControlOrMeta+Shift+KeyC")
    expect(palette).to_be_visible()
    palette.locator("input").fill("Store my token")
    item = palette.locator(".lm-CommandPalette-item", has_text="Store my token for a data service")
    expect(item).to_be_visible(timeout=SERVER)
    page.keyboard.press("Enter")
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text(f"Token for {SERVICE}", timeout=SERVER)
    dialog.locator('input[type="password"]').fill(zooniverse_standin.token)
    dialog.locator(".jp-mod-accept").click()
    expect(page.locator(".jp-toast-message", has_text="Stored the token")).to_be_visible(
        timeout=SERVER
    )
    with data_hub.client() as api:
        try:
            state = api.get(f"data/services/{SERVICE}/token").json()
            assert state["has_token"] is True
            workflows = api.post(
                "data/search",
                json={"services": [SERVICE], "params": {SERVICE: {"kind": "workflows",
                                                                  "project": "40"}}},
            )  # fmt: skip
            assert '"Dwarfs"' in workflows.text  # the private project, seen with the token
        finally:
            api.delete(f"data/services/{SERVICE}/token")
