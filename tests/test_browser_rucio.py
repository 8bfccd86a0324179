"""The Data panel with a Rucio data lake: its own options form and its status line.

Against the shared hub (shared-password login, so the user's server has no
OIDC token) and the real Rucio server of ``harness/rucio.py``: the lake's
options render from its ``query_schema`` and a search of it ends in its
status line saying which token is missing and to log in again.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from harness.browser import log_in, open_side_panel
from harness.hub import RunningHub
from harness.rucio import RucioLake

pytestmark = [pytest.mark.browser, pytest.mark.hub]

USER = "lake-browser"


def test_lake_options_render_and_a_missing_token_is_named(
    page: Page, hub: RunningHub, rucio_lake: RucioLake
) -> None:
    hub.start_server(USER)
    with hub.user_api(USER, hub.token_for(USER)) as api:
        added = api.post(
            "data/services", json={"name": "lake", "type": "rucio", "url": rucio_lake.url}
        )
        assert added.status_code in (201, 409), added.text
    log_in(page, hub, USER)
    panel = page.locator("#esap-data")
    row = panel.locator('[data-esap-service="lake"]')
    open_side_panel(page, "esap-data", row)
    for other in panel.locator(".esap-ServiceRow").all():
        box = other.locator('input[type="checkbox"]').first
        if other.get_attribute("data-esap-service") == "lake":
            box.check()
        else:
            box.uncheck()
    row.locator("button.esap-IconButton").first.click()  # the lake's options
    form = panel.locator('[data-esap-params="lake"]')
    for title in ("Scope", "Name", "DID type", "Metadata", "List files"):
        expect(form.get_by_text(title, exact=True).first).to_be_visible(timeout=30_000)
    panel.get_by_text("Wavelength, time, collection, text").click()
    panel.locator("#esap-data-text").fill("lofar:obs*")
    panel.locator(".esap-SearchButton").click()
    line = page.locator('[data-esap-service-status="lake"]').first
    expect(line).to_contain_text("ESAP_ACCESS_TOKEN", timeout=60_000)
    expect(line).to_contain_text("log out of the hub and log in again")
