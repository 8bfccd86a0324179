"""The Basket panel in JupyterLab: counts by kind, text-only fields, rename, open, remove."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from harness.browser import log_in, open_side_panel
from harness.hub import RunningHub

pytestmark = [pytest.mark.browser, pytest.mark.hub]

EVIL = '<img src=x onerror="window.__esapPwned=1">'


def test_basket_panel_lists_edits_and_opens_items(page: Page, hub: RunningHub) -> None:
    log_in(page, hub, "dora")
    token = hub.token_for("dora")
    with hub.user_api("dora", token) as api:
        api.delete("basket").raise_for_status()
        added = api.post(
            "basket",
            json={
                "items": [
                    {
                        "kind": "data",
                        "service": "s",
                        "access_url": "https://a.org/1.fits",
                        "title": EVIL,
                    },
                    {"kind": "data", "service": "s", "access_url": "https://a.org/2.fits"},
                    {
                        "kind": "service",
                        "service": "gavo",
                        "type": "tap",
                        "url": "https://dc.g-vo.org/tap",
                    },
                    {
                        "kind": "software",
                        "catalogue": "ossr",
                        "identifier": "zenodo:1",
                        "title": "Tool",
                    },
                ]
            },
        )
        added.raise_for_status()
        ids = added.json()["ids"]

    panel = page.locator(".esap-BasketPanel")
    open_side_panel(page, "esap-basket", panel)
    expect(panel.locator('[data-kind="all"]')).to_have_text("All (4)")
    expect(panel.locator('[data-kind="data"]')).to_have_text("Data (2)")
    expect(panel.locator('[data-kind="software"]')).to_have_text("Software (1)")
    expect(panel).to_have_attribute("data-esap-ready", "true")

    grid = panel.locator(".esap-BasketGrid")
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 120, box["y"] + 26 + 12)  # the first row (kind order: data first)
    rename = panel.locator(".esap-BasketPanel-rename")
    expect(rename).to_have_value(EVIL)
    expect(panel.locator(".esap-BasketPanel-detail")).to_have_text("data: https://a.org/1.fits")
    assert panel.locator("img").count() == 0
    assert page.evaluate("window.__esapPwned") is None

    rename.fill("M31 deep field")
    panel.locator(".esap-BasketPanel-notes").fill("seeing 0.8")
    panel.locator('[data-action="save"]').click()
    expect(panel.locator(".esap-BasketPanel-status")).to_have_text("Saved")
    with hub.user_api("dora", token) as api:
        item = api.get(f"basket/items/{ids[0]}").json()
    assert (item["title"], item["notes"]) == ("M31 deep field", "seeing 0.8")

    page.mouse.click(box["x"] + 120, box["y"] + 26 + 12)
    panel.locator('[data-action="open"]').click()
    cell = page.locator(".jp-NotebookPanel .jp-Cell .cm-content").first
    expect(cell).to_contain_text("esap.basket.items(ids=[")
    expect(cell).to_contain_text(ids[0])

    open_side_panel(page, "esap-basket", grid)
    page.mouse.click(box["x"] + 120, box["y"] + 26 + 12)
    panel.locator('[data-action="remove"]').click()
    expect(panel.locator('[data-kind="all"]')).to_have_text("All (3)")
    with hub.user_api("dora", token) as api:
        assert api.get(f"basket/items/{ids[0]}").status_code == 404
