"""Browser: a person cuts part of a cube out of a search result, and finds the file in the home.

Against the data hub (real JupyterHub, real DaCHS with DataLink and SODA),
in Chromium: search around the cube's target, pick the cube's row, Cut
out…, choose a circle and a band, watch the job end, and open the file in
the file browser. The cube and its limits come from the shipped files; the
written file is read back and compared with the region and band asked.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS
from playwright.sync_api import Page, expect
from test_browser_data import SERVER, open_data_panel, status
from test_data_cutouts import first_plane, shipped_file

from harness.browser import log_in
from harness.dachs import csv_rows
from harness.data_hub import DataHub

pytestmark = [pytest.mark.browser, pytest.mark.hub, pytest.mark.dachs]

RADIUS = 0.04


def test_search_pick_the_cube_cut_out_a_band_and_find_the_file(
    page: Page, data_hub: DataHub
) -> None:
    rows = csv_rows(data_hub.dachs.images_csv)
    cube = next(r for r in rows if r["dataproduct_type"] == "cube")
    ra, dec = float(cube["s_ra"]), float(cube["s_dec"])
    home = data_hub.hub.data_dir / "homes" / data_hub.user
    with fits.open(shipped_file(data_hub.dachs, cube)) as shipped:
        original = shipped[0].copy()
    waves = WCS(original.header).spectral.pixel_to_world_values(np.arange(original.data.shape[0]))
    step = float(waves[1] - waves[0])

    log_in(page, data_hub.hub, data_hub.user)
    panel = open_data_panel(page)
    panel.locator('[data-esap-mode="coords"]').click()
    panel.locator("#esap-data-ra").fill(str(ra))
    panel.locator("#esap-data-dec").fill(str(dec))
    panel.locator("#esap-data-radius").fill("0.1")
    panel.locator(".esap-SearchButton").click()
    expect(status(panel, "local-tap")).to_have_attribute("data-esap-state", "rows", timeout=SERVER)

    # the cube's row, alone after a server-side filter, selected in the grid
    results = page.locator(".esap-DataResults")
    results.locator(".lm-TabBar-tab", has_text="local-tap").click()
    view = results.locator('.esap-ServiceResult[data-esap-service="local-tap"]')
    view.locator(".esap-ResultBar-filter input").fill(cube["obs_id"])
    expect(view.locator(".esap-ResultBar-count")).to_have_attribute(
        "data-esap-total", "1", timeout=SERVER
    )
    grid = view.locator(".esap-ResultGrid")
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 150, box["y"] + 28 + 12)  # first body row, below the header
    expect(view.locator('.esap-Record[data-esap-row="0"]')).to_contain_text(cube["obs_id"])

    # Cut out…: the dialog asks the archive first, and starts from the row's position
    results.locator('.jp-Toolbar [data-command="esap:data-cutout-selection"]').click()
    dialog = page.locator(".jp-Dialog .esap-Cutout")
    form = dialog.locator(".esap-Cutout-form")
    expect(form).to_have_attribute("data-esap-cutout-state", "ready", timeout=SERVER)
    expect(dialog.locator(".esap-Cutout-product")).to_contain_text(cube["obs_id"])
    assert float(dialog.locator("#esap-cutout-ra").input_value()) == pytest.approx(ra, abs=1e-6)
    assert float(dialog.locator("#esap-cutout-dec").input_value()) == pytest.approx(dec, abs=1e-6)

    # a radius of zero is refused, naming the field, and nothing is written
    dialog.locator("#esap-cutout-radius").fill("0")
    dialog.locator(".esap-Cutout-start").click()
    expect(dialog.locator(".esap-Cutout-message")).to_contain_text("radius", timeout=SERVER)
    expect(form).to_have_attribute("data-esap-cutout-state", "ready")

    # a circle and the middle third of the cube's band (shown in nm)
    dialog.locator("#esap-cutout-radius").fill(str(RADIUS))
    low_nm = float(dialog.locator("#esap-cutout-band-low").input_value())
    high_nm = float(dialog.locator("#esap-cutout-band-high").input_value())
    third = (high_nm - low_nm) / 3
    band = (low_nm + third, high_nm - third)
    dialog.locator("#esap-cutout-use-band").check()
    dialog.locator("#esap-cutout-band-low").fill(f"{band[0]:.3f}")
    dialog.locator("#esap-cutout-band-high").fill(f"{band[1]:.3f}")
    dialog.locator(".esap-Cutout-start").click()
    expect(form).to_have_attribute("data-esap-cutout-state", "done", timeout=SERVER)
    done = dialog.locator(".esap-Cutout-done")
    relative = done.get_attribute("data-esap-cutout-path")
    assert relative is not None
    assert relative.startswith("cutouts/")
    assert relative.endswith(".fits")

    # the file is in the home: the region and band asked, the cube's own pixels
    written = home / relative
    with fits.open(written) as got:
        cut = got[0]
        side = 2 * RADIUS / abs(original.header["CDELT2"])
        assert side - 2 <= cut.data.shape[1] <= side + 3
        assert cut.data.shape[1] < original.data.shape[1]
        start = first_plane(original, cut)
        kept = waves[start : start + cut.data.shape[0]]
        assert band[0] / 1e9 - step <= kept[0] <= band[0] / 1e9 + step
        assert band[1] / 1e9 - step <= kept[-1] <= band[1] / 1e9 + step
        wcs = WCS(cut.header).celestial
        got_ra, got_dec = wcs.pixel_to_world_values(
            (cut.data.shape[2] - 1) / 2, (cut.data.shape[1] - 1) / 2
        )
        offset = math.hypot(
            (float(got_ra) - ra) * math.cos(math.radians(dec)), float(got_dec) - dec
        )
        assert offset <= abs(original.header["CDELT2"])

    # and the file browser shows it
    done.locator(".esap-Cutout-open").click()
    listing = page.locator(".jp-FileBrowser .jp-DirListing-content")
    expect(listing.locator(".jp-DirListing-item", has_text=written.name)).to_be_visible(
        timeout=SERVER
    )
    expect(page.locator(".jp-FileBrowser .jp-BreadCrumbs")).to_contain_text("cutouts")
