"""A person cross-matches a search's result with the archive's catalogue from the Data panel.

Against the data hub (real JupyterHub, real DaCHS), in Chromium: a search
around M51, then the Cross-match section matches that search's ObsCore rows
(their ``s_ra``/``s_dec``, found by UCD) with ``esaptest.sources`` by TAP
upload; the job's state shows in the section and the matches open in the
same results grid as a search's. The expected pairs are recomputed from the
shipped CSV files with astropy.
"""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from playwright.sync_api import Page, expect
from test_browser_data import RADIUS, SERVER, open_data_panel, search_m51, status
from test_dachs import inside

from harness.browser import log_in
from harness.dachs import csv_rows
from harness.data_hub import TARGETS, DataHub

pytestmark = [pytest.mark.browser, pytest.mark.hub, pytest.mark.dachs]

M51 = tuple(TARGETS["M51"])
#: The match radius (arcsec): wide, so that the M51 images meet several sources each.
MATCH = 600


def expected_pairs(data_hub: DataHub) -> set[tuple[str, str]]:
    """(obs_id, source_id) of every image of the search and source closer than MATCH."""
    images = inside(csv_rows(data_hub.dachs.images_csv), "s_ra", "s_dec", M51, RADIUS)
    sources = csv_rows(data_hub.dachs.sources_csv)
    catalogue = SkyCoord([float(s["ra"]) for s in sources] * u.deg,
                         [float(s["dec"]) for s in sources] * u.deg)  # fmt: skip
    pairs = set()
    for image in images:
        here = SkyCoord(float(image["s_ra"]) * u.deg, float(image["s_dec"]) * u.deg)
        apart = here.separation(catalogue).arcsec
        assert not np.any(np.abs(apart - MATCH) < 1e-3), "a pair on the radius: change MATCH"
        pairs |= {(image["obs_id"], sources[i]["source_id"]) for i in np.flatnonzero(apart < MATCH)}
    return pairs


def test_a_search_result_is_cross_matched_and_its_matches_open_in_the_grid(
    page: Page, data_hub: DataHub
) -> None:
    expected = expected_pairs(data_hub)
    assert expected, "the M51 images must lie near some sources"
    log_in(page, data_hub.hub, data_hub.user)
    panel = open_data_panel(page)
    search_m51(page, panel)
    expect(status(panel, "local-tap")).to_have_attribute("data-esap-state", "rows", timeout=SERVER)

    title = panel.locator(".lm-AccordionPanel-title", has_text="Cross-match")
    title.scroll_into_view_if_needed()
    title.click()
    section = panel.locator('[data-esap-section="crossmatch"]')
    expect(section.locator('[data-esap-xm-source="result"]')).to_have_attribute(
        "aria-checked", "true"
    )
    # the search's local-tap result is offered as the table to match
    chosen = section.locator("#esap-xm-result")
    expect(chosen).to_be_visible()
    labels = chosen.locator("option").all_inner_texts()
    tap = next(label for label in labels if label.startswith("local-tap:"))
    chosen.select_option(label=tap)
    section.locator("#esap-xm-service").select_option("local-tap")
    section.locator("#esap-xm-catalogue").fill("esaptest.sources")
    section.locator("#esap-xm-radius").fill(str(MATCH))
    button = section.locator(".esap-CrossmatchButton")
    button.scroll_into_view_if_needed()
    button.click()

    # the job runs, then says how many pairs it found
    done = section.locator('.esap-Crossmatch-status[data-esap-state="done"]')
    expect(done).to_be_visible(timeout=SERVER)
    expect(done).to_contain_text(f"{len(expected)} matches")
    # the matches open in the results grid, its count the server's total
    tab = page.locator(".lm-TabBar-tab", has_text="Cross-match: esaptest.sources")
    expect(tab).to_be_visible(timeout=SERVER)
    view = page.locator(".esap-DataResults:visible")
    expect(view.locator(".esap-ResultBar-count")).to_have_attribute(
        "data-esap-total", str(len(expected)), timeout=SERVER
    )
    # the first row (the first image's nearest source) in the record pane, as text
    grid = view.locator(".esap-ResultGrid")
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 150, box["y"] + 28 + 12)
    record = view.locator('.esap-Record[data-esap-row="0"]')
    expect(record).to_contain_text("separation [arcsec]", timeout=SERVER)
    shown = record.inner_text()
    assert any(source in shown for _, source in expected), shown
    # no error on the way
    expect(section.locator(".esap-Error")).to_have_count(0)
