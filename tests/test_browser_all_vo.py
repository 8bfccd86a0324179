"""A person searches the whole VO from the Data panel: one ranked summary, one combined view.

Against the VO hub (real JupyterHub whose all-VO registry is the loopback
registry of ``harness.vo_mirrors``: the archive's own services and six
mirrors of it, one failing and one hanging), in Chromium. The counts the
page shows are checked against the shipped CSV files.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from test_dachs import inside, overlapping

from harness.browser import log_in, open_side_panel
from harness.dachs import csv_rows
from harness.hub import RunningHub
from harness.vo_mirrors import ANSWERING, KEYWORD, VoMirrors

pytestmark = [pytest.mark.browser, pytest.mark.hub, pytest.mark.dachs]

M51 = (202.4696, 47.1952)
RADIUS = 0.3
#: A user of this test's own: their service list starts empty (the REST test's user is vesta).
USER = "luna"
#: How long an answer may take to reach the browser (DaCHS on two busy cores).
SERVER = 60_000


def test_whole_vo_search_ranks_combines_facets_and_promotes(
    page: Page, vo_hub: RunningHub, vo_mirrors: VoMirrors
) -> None:
    images = csv_rows(vo_mirrors.dachs.images_csv)
    products = overlapping(images, M51, RADIUS)
    sources = inside(csv_rows(vo_mirrors.dachs.sources_csv), "ra", "dec", M51, RADIUS)
    answering = len(ANSWERING) + 1  # the mirrors that answer, and the archive itself
    log_in(page, vo_hub, USER)
    panel = page.locator("#esap-data")
    open_side_panel(page, "esap-data", panel.locator(".esap-AllVo"))

    panel.locator(".esap-AllVo-switch input").check()
    panel.locator('[data-esap-vo-kind="tap"]').uncheck()
    panel.locator(".esap-AllVo-keywords").fill(KEYWORD)
    panel.locator('[data-esap-mode="coords"]').click()
    panel.locator("#esap-data-ra").fill(str(M51[0]))
    panel.locator("#esap-data-dec").fill(str(M51[1]))
    panel.locator("#esap-data-radius").fill(str(RADIUS))
    panel.locator(".esap-SearchButton").click()

    # one line in the panel for the whole search, not one per service
    progress = panel.locator(".esap-AllVo-progress")
    expect(progress).to_contain_text("Done", timeout=SERVER)
    expect(progress).to_have_attribute("data-esap-vo-answered", str(2 * answering))
    results = page.locator(".esap-AllVoResults")
    summary = results.locator(".esap-VoSummary")
    total = len(products) + answering * len(sources)
    expect(summary.locator(".esap-VoSummary-combined")).to_have_attribute(
        "data-esap-vo-products", str(total), timeout=SERVER
    )
    # the failing and the hanging mirror: listed together, folded
    failed = summary.locator(".esap-VoSummary-failed")
    expect(failed).to_have_attribute("data-esap-failed", "4")
    expect(failed.locator('[data-esap-state="timed_out"]')).to_have_count(2)
    # ranked by rows: the combined view counts every product once
    ranked = summary.locator('.esap-VoService[data-esap-state="rows"]')
    expect(ranked).to_have_count(2 * answering)
    rows = [int(r) for r in ranked.locator(".esap-VoService-rows").evaluate_all(
        "nodes => nodes.map(n => n.dataset.esapRows)")]  # fmt: skip
    assert rows == sorted(rows, reverse=True)
    assert set(rows) == {len(products), len(sources)}
    combined = results.locator('.esap-ServiceResult[data-esap-combined="true"]')
    expect(combined.locator(".esap-ResultBar-count")).to_have_attribute(
        "data-esap-total", str(total), timeout=SERVER
    )

    # the facet: the first service alone, as many rows as it brought that were new
    first = ranked.first
    new = first.locator("[data-esap-unique]").get_attribute("data-esap-unique")
    first.locator(".esap-VoService-name").click()
    expect(combined.locator(".esap-ResultBar-count")).to_have_attribute(
        "data-esap-total", str(new), timeout=SERVER
    )
    first.locator(".esap-VoService-name").click()
    expect(combined.locator(".esap-ResultBar-count")).to_have_attribute(
        "data-esap-total", str(total), timeout=SERVER
    )

    # promote: one click, and the service is the user's own
    first.locator(".esap-VoService-promote").click()
    expect(first).to_contain_text("in my services", timeout=SERVER)
    panel.locator(".esap-AllVo-switch input").uncheck()
    expect(panel.locator('[data-esap-source="user"]')).to_have_count(1, timeout=SERVER)
