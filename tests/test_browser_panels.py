"""Every ESAP side panel in a real lab: one layout, nothing wider than the sidebar, a picture.

Each panel of the left sidebar is opened in JupyterLab in Chromium. It must
have the shared layout (JupyterLab's side panel header with the panel's
heading), show its content, and keep every input and button inside the
sidebar. Its screenshot is written to ``docs/images/panels/<name>.png``,
the pictures of the README's "The panels" section, so they always show the
panels as they are built.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from harness.browser import log_in, open_side_panel
from harness.hub import REPO, RunningHub

pytestmark = [pytest.mark.browser, pytest.mark.hub]

PICTURES = REPO / "docs" / "images" / "panels"
USER = "panela"

#: name: (the tab's data-id, the panel's heading, what in it shows it has loaded)
PANELS = {
    "sidebar": ("esap-sidebar", "ESAP Hub (tests)", '[data-esap-name="local-tap"]'),
    "data": ("esap-data", "Data discovery", '[data-esap-service="local-tap"]'),
    "basket": ("esap-basket", "Basket", '[data-kind="all"]:has-text("All (3)")'),
    "software": ("esap-software", "Software", "#esap-software-q"),
    "runs": ("esap-runs", "Notebook runs", ".esap-RunsPanel-body"),
}

ITEMS = [
    {
        "kind": "data",
        "service": "local-tap",
        "access_url": "https://archive.example.org/m51.fits",
        "title": "M51 deep field",
        "format": "image/fits",
    },
    {"kind": "service", "service": "gavo", "type": "tap", "url": "https://dc.g-vo.org/tap"},
    {"kind": "software", "catalogue": "ossr", "identifier": "zenodo:1", "title": "gammapy"},
]

#: The controls of a panel that stick out of it, sideways (none may).
OUTSIDE = """panel => {
  const box = panel.getBoundingClientRect();
  return [...panel.querySelectorAll('input, select, textarea, button')]
    .filter(node => node.getClientRects().length > 0)
    .filter(node => {
      const own = node.getBoundingClientRect();
      return own.left < box.left - 1 || own.right > box.right + 1;
    })
    .map(node => node.outerHTML.slice(0, 120));
}"""


@pytest.fixture
def basket_of_three(hub: RunningHub) -> None:
    """Three items of every kind in the user's basket, so its picture is not empty."""
    hub.start_server(USER)
    with hub.user_api(USER, hub.token_for(USER)) as api:
        api.delete("basket").raise_for_status()
        api.post("basket", json={"items": ITEMS}).raise_for_status()


@pytest.mark.parametrize("name", list(PANELS))
def test_each_panel_renders_in_the_shared_layout(
    page: Page, hub: RunningHub, basket_of_three: None, name: str
) -> None:
    data_id, heading, loaded = PANELS[name]
    log_in(page, hub, USER)
    panel = page.locator(f"#{data_id}")
    open_side_panel(page, data_id, panel.locator(loaded))

    assert "esap-SidePanel" in (panel.get_attribute("class") or "")
    header = panel.locator(":scope > .jp-SidePanel-header")
    expect(header.locator(".esap-SidePanel-heading")).to_have_text(heading)
    expect(panel.locator(":scope > .jp-SidePanel-content")).to_be_visible()
    assert panel.evaluate(OUTSIDE) == []
    expect(panel.locator("[role=alert]:visible")).to_have_count(0)
    if name == "basket":
        expect(panel).to_have_attribute("data-esap-ready", "true")

    PICTURES.mkdir(parents=True, exist_ok=True)
    picture = PICTURES / f"{name}.png"
    picture.unlink(missing_ok=True)
    page.mouse.move(0, 0)  # no hover highlight in the picture
    panel.screenshot(path=str(picture), animations="disabled")
    assert picture.stat().st_size > 2_000, f"{picture} is too small to show the panel"
