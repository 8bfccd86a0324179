"""Browser: the result grid fetches the next page ahead, before its rows are on screen.

A user scrolling a large answer should not see blank rows at every page
boundary (200 rows). The grid asks for the neighbour page as soon as rows
in the second half of a page are painted; this test scrolls 300 catalogue
rows (two pages, the first sent with the answer) to row ~100 and sees the
request for rows 200-399 go out while the screen still shows rows far
above 200.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Request, expect
from test_browser_data import SERVER, open_data_panel

from harness.browser import log_in
from harness.dachs import csv_rows
from harness.data_hub import DataHub

pytestmark = [pytest.mark.browser, pytest.mark.hub, pytest.mark.dachs]

#: Pixels a body row of the grid is tall (its default row height).
ROW_HEIGHT = 24
#: Rows per page the grid asks for (``PAGE`` of the results API).
GRID_PAGE = 200


def test_next_page_is_fetched_before_its_rows_show(page: Page, data_hub: DataHub) -> None:
    total = len(csv_rows(data_hub.dachs.sources_csv))
    assert total > 200, "the shipped catalogue must be longer than one page (200 rows)"
    pages: list[str] = []

    def record(request: Request) -> None:
        # only the grid's pages: the sky view beside it, when a layout shows it, asks for
        # its own sources (limit=sky_view.max_sources)
        url = request.url
        grid_page = re.search(rf"[?&]limit={GRID_PAGE}(&|$)", url)
        if "/esap/api/v1/data/results/" in url and "offset=" in url and grid_page:
            pages.append(url)

    page.on("request", record)
    log_in(page, data_hub.hub, data_hub.user)
    panel = open_data_panel(page)
    title = panel.locator(".lm-AccordionPanel-title", has_text="ADQL")
    title.scroll_into_view_if_needed()
    title.click()
    service = panel.locator("#esap-adql-service")
    expect(service).to_be_visible()
    service.select_option("local-tap")
    query = panel.locator("#esap-adql-query")
    query.scroll_into_view_if_needed()
    query.fill("SELECT * FROM esaptest.sources")
    run = panel.locator(".esap-Adql .esap-Actions button", has_text="Run")
    run.scroll_into_view_if_needed()
    run.click()
    expect(page.locator(f'.esap-ResultBar-count[data-esap-total="{total}"]')).to_be_visible(
        timeout=SERVER
    )
    grid = page.locator(".esap-ResultGrid").first
    expect(grid).to_be_visible()
    # the first page came with the answer: nothing fetched yet
    assert pages == []

    # scroll so that rows around 100 (second half of the first page) are painted
    grid.hover()
    with page.expect_request(lambda request: "offset=200" in request.url, timeout=SERVER):
        page.mouse.wheel(0, 100 * ROW_HEIGHT)
    # the grid is far shorter than 100 rows, so row 200 was not on screen
    box = grid.bounding_box()
    assert box is not None
    assert box["height"] < 100 * ROW_HEIGHT
    assert len([url for url in pages if "offset=200" in url]) == 1, pages
