"""In Chromium: the example community's data service answers in the Data panel.

A hub offers the example package's ``community-collection`` service (over
GAVO DaCHS) beside the built-in TAP service; a person searches the
community's collection from the Data panel, and its rows reach the result
grid. Cells in the grid are painted on a canvas, so a row is read from the
record pane, which renders a row's fields as DOM text.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect
from test_dachs import M51, inside
from test_example_community import RADIUS, collection, community_config

from harness.browser import log_in, open_side_panel
from harness.dachs import DachsService, csv_rows
from harness.hub import RunningHub, start_hub

pytestmark = [pytest.mark.browser, pytest.mark.hub, pytest.mark.dachs]

USER = "lena"
SERVICE = "imaging"
#: How long a search may take to reach the browser (DaCHS on two busy cores).
SERVER = 60_000


@pytest.fixture(scope="module")
def community_hub(
    tmp_path_factory: pytest.TempPathFactory, dachs: DachsService
) -> Iterator[RunningHub]:
    directory = tmp_path_factory.mktemp("community-browser-hub")
    config = community_config(
        directory, dachs, [collection(SERVICE, dachs.tap_url, dachs.collection)]
    )
    running = start_hub(directory, config)
    try:
        running.start_server(USER)
        yield running
    finally:
        running.stop()


def status(panel: Locator, service: str) -> Locator:
    return panel.locator(f'[data-esap-service-status="{service}"]')


def test_the_collection_services_rows_reach_the_result_grid(
    page: Page, community_hub: RunningHub, dachs: DachsService
) -> None:
    expected = inside(csv_rows(dachs.images_csv), "s_ra", "s_dec", M51, RADIUS)
    assert expected, "the test cone must hold rows of the archive"

    log_in(page, community_hub, USER)
    panel = page.locator("#esap-data")
    open_side_panel(page, "esap-data", panel.locator(f'[data-esap-service="{SERVICE}"]'))
    # ask only the community's service
    for row in panel.locator(".esap-ServiceRow").all():
        checkbox = row.locator('input[type="checkbox"]')
        if (row.get_attribute("data-esap-service") == SERVICE) != checkbox.is_checked():
            checkbox.click()
    panel.locator('[data-esap-mode="coords"]').click()
    panel.locator("#esap-data-ra").fill(str(M51[0]))
    panel.locator("#esap-data-dec").fill(str(M51[1]))
    panel.locator("#esap-data-radius").fill(str(RADIUS))
    filters = panel.locator(".esap-Details")
    if filters.get_attribute("open") is None:
        filters.locator("summary").click()
    panel.locator("#esap-data-collection").fill(dachs.collection)
    panel.locator(".esap-SearchButton").click()

    expect(status(panel, SERVICE)).to_have_attribute("data-esap-state", "rows", timeout=SERVER)
    expect(status(panel, SERVICE)).to_contain_text(f"{len(expected)} rows")
    expect(panel.locator("[data-esap-service-status]")).to_have_count(1)
    results = page.locator(".esap-DataResults")
    tab = results.locator(".lm-TabBar-tab", has_text=SERVICE)
    expect(tab).to_contain_text(f"({len(expected)})")
    tab.click()

    view = results.locator(f'.esap-ServiceResult[data-esap-service="{SERVICE}"]')
    grid = view.locator(".esap-ResultGrid")
    expect(grid).to_be_visible()
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 150, box["y"] + 28 + 12)  # first body row, below the header
    record = view.locator('.esap-Record[data-esap-row="0"]')
    expect(record).to_contain_text(dachs.collection, timeout=SERVER)
    shown = record.text_content() or ""
    assert [row["obs_id"] for row in expected if row["obs_id"] in shown], shown
