"""A person looks at FITS images and cubes in the lab's viewer, from the files and the archive.

Against the data hub (real JupyterHub, real GAVO DaCHS), in Chromium. The
files are written by the test into the user's home with astropy; what the
viewer says under the pointer is compared with astropy's WCS for the same
pixel, the canvas is read back to see that it shows the image (the right
way up: a bright block lands where the pointer then reads its pixels),
changes with the stretch and with the cube's plane, and the header shows as
text. The second flow opens a product of the real archive from a search
result's row: it is fetched into the viewer's cache as a job and the
result's rows are drawn over it, as many as astropy places on the image.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.wcs import WCS
from playwright.sync_api import Locator, Page, expect
from test_browser_data import open_data_panel, status
from test_dachs import inside

from harness.browser import log_in, open_side_panel
from harness.dachs import RESOURCE_SRC, csv_rows
from harness.data_hub import TARGETS, DataHub

pytestmark = [pytest.mark.browser, pytest.mark.hub, pytest.mark.dachs]

SERVER = 60_000
M51 = tuple(TARGETS["M51"])
FOLDER = "view-browser"
#: The bright block of the test image: data rows and columns, and its centre pixel.
BLOCK = (slice(150, 160), slice(200, 220))
BLOCK_CENTRE = (209.5, 154.5)

#: The canvas's pixels, summed up in the page: painted pixels, distinct values, a checksum,
#: and the centre of the brightest pixels (CSS pixels from the canvas's corner).
CANVAS_STATS = """
canvas => {
  const ratio = window.devicePixelRatio || 1;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0, sum = 0, bright = 0, bx = 0, by = 0;
  const values = new Set();
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] === 0) continue;
    painted++;
    sum = (sum + data[i] * 3 + data[i + 1] * 5 + data[i + 2] * 7) % 1000000007;
    values.add(data[i]);
    if (data[i] >= 250) {
      const p = i / 4;
      bright++; bx += p % canvas.width; by += Math.floor(p / canvas.width);
    }
  }
  return {painted, sum, distinct: values.size, bright,
          x: bright ? bx / bright / ratio : null, y: bright ? by / bright / ratio : null};
}
"""


def tan_header(nx: int, ny: int) -> fits.Header:
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = list(M51)
    wcs.wcs.crpix = [nx / 2, ny / 2]
    wcs.wcs.cdelt = [-0.0004, 0.0004]
    header = wcs.to_header()
    header["OBJECT"] = "<script>alert(1)</script>"
    return header


@pytest.fixture(scope="module")
def files(data_hub: DataHub) -> Iterator[dict[str, Any]]:
    """An image and a cube in the user's home, and the headers they were written with."""
    folder = data_hub.hub.data_dir / "homes" / data_hub.user / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(19)
    image = rng.normal(100.0, 5.0, (400, 600)).astype(np.float32)
    image[BLOCK] = 5000.0
    header = tan_header(600, 400)
    fits.PrimaryHDU(image, header=header).writeto(folder / "m51.fits", overwrite=True)
    planes = []
    for k in range(5):
        plane = rng.normal(10.0, 1.0, (80, 120)).astype(np.float32)
        plane[10 + 12 * k : 20 + 12 * k, 10 + 20 * k : 30 + 20 * k] = 500.0
        planes.append(plane)
    cube_header = tan_header(120, 80)
    cube_header.update({"CTYPE3": "FREQ", "CUNIT3": "Hz", "CRVAL3": 1.42e9,
                        "CRPIX3": 1.0, "CDELT3": 1.0e6, "WCSAXES": 3})  # fmt: skip
    fits.PrimaryHDU(np.stack(planes), header=cube_header).writeto(
        folder / "cube.fits", overwrite=True
    )
    try:
        yield {"header": header, "cube_header": cube_header}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def stats(viewer: Locator) -> dict[str, Any]:
    canvas = viewer.locator("canvas.esap-ViewCanvas-canvas")
    found: dict[str, Any] = canvas.evaluate(CANVAS_STATS)
    return found


def wait_drawn(viewer: Locator) -> None:
    """The viewer has its file and every tile on screen drawn."""
    expect(viewer.locator(".esap-Viewer")).to_have_attribute(
        "data-esap-state", "ready", timeout=SERVER
    )
    expect(viewer.locator(".esap-ViewCanvas")).to_have_attribute(
        "data-esap-ready", "true", timeout=SERVER
    )


def open_from_browser(page: Page, name: str) -> Locator:
    """Double-click a file in the file browser; the viewer it opens in."""
    item = page.locator(".jp-DirListing-item", has_text=name)
    # the user's saved layout may show another side panel (an earlier test's Data panel)
    open_side_panel(page, "filebrowser", item, timeout=SERVER / 1000)
    item.dblclick()
    viewer = page.locator(".esap-ViewerWidget:visible")
    expect(viewer).to_have_count(1, timeout=SERVER)
    expect(page.locator(".lm-DockPanel-tabBar .lm-mod-current")).to_contain_text(name)
    wait_drawn(viewer)
    return viewer


def pointer_at_centre(page: Page, viewer: Locator) -> dict[str, float]:
    """Move the mouse to the canvas's centre; what the status line then says."""
    canvas = viewer.locator(".esap-ViewCanvas")
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    coords = viewer.locator(".esap-ViewStatus-coords")
    expect(coords).to_have_attribute("data-esap-ra", re.compile(r"\d"), timeout=SERVER)
    data = coords.evaluate("node => ({...node.dataset})")
    return {key: float(value) for key, value in data.items() if value != ""}


def test_fits_files_open_from_the_file_browser_with_wcs_stretch_planes_and_header(
    page: Page, data_hub: DataHub, files: dict[str, Any]
) -> None:
    log_in(page, data_hub.hub, data_hub.user)
    page.goto(f"{data_hub.hub.url}/user/{data_hub.user}/lab/tree/{FOLDER}")
    viewer = open_from_browser(page, "m51.fits")

    # the canvas shows the image: painted, many grey levels (zscale spreads the noise)
    zscaled = stats(viewer)
    assert zscaled["painted"] > 10_000, zscaled
    assert zscaled["distinct"] > 20, zscaled
    # min to max: only the bright block is white
    viewer.locator('[data-esap-control="interval"]').select_option("minmax")
    expect(viewer.locator(".esap-Viewer")).to_have_attribute(
        "data-esap-display", re.compile("interval"), timeout=SERVER
    )
    wait_drawn(viewer)
    shown = stats(viewer)
    assert shown["painted"] == zscaled["painted"]
    assert 0 < shown["bright"] < shown["painted"] / 100, shown

    # the pointer on the bright block reads the block's pixels (the image is the right way up),
    # and the sky position there is astropy's for the pixel the viewer names
    coords = viewer.locator(".esap-ViewStatus-coords")
    canvas = viewer.locator(".esap-ViewCanvas")
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + shown["x"], box["y"] + shown["y"])
    expect(coords).to_have_attribute("data-esap-value", "5000", timeout=SERVER)
    said = {k: float(v) for k, v in coords.evaluate("n => ({...n.dataset})").items() if v}
    assert abs(said["esapX"] - BLOCK_CENTRE[0]) < 12, said
    assert abs(said["esapY"] - BLOCK_CENTRE[1]) < 6, said
    truth = WCS(files["header"]).pixel_to_world(said["esapX"], said["esapY"]).icrs
    assert said["esapRa"] == pytest.approx(truth.ra.deg, abs=1e-9)
    assert said["esapDec"] == pytest.approx(truth.dec.deg, abs=1e-9)
    expect(coords).to_contain_text(truth.ra.to_string(unit="hourangle", sep=":", precision=2,
                                                      pad=True))  # fmt: skip

    # another stretch redraws the tiles differently
    viewer.locator('[data-esap-control="stretch"]').select_option("log")
    expect(viewer.locator(".esap-Viewer")).to_have_attribute(
        "data-esap-display", re.compile("stretch"), timeout=SERVER
    )
    wait_drawn(viewer)
    stretched = stats(viewer)
    assert stretched["painted"] == shown["painted"]
    assert stretched["sum"] != shown["sum"]

    # the grid: lines computed by the server, drawn over the image
    viewer.locator('[data-esap-control="grid"]').check()
    expect(canvas).to_have_attribute("data-esap-grid-lines", re.compile("[1-9]"), timeout=SERVER)

    # the header, as text: the archive-like <script> stays characters
    viewer.locator('[data-esap-action="header"]').click()
    header = viewer.locator(".esap-ViewHeader")
    expect(header).to_be_visible()
    expect(header).to_contain_text("CTYPE1  = 'RA---TAN'")
    expect(header).to_contain_text("<script>alert(1)</script>")
    assert header.locator("script").count() == 0

    # the cube: the slider's plane shows its frequency, and moving it changes the pixels
    page.locator(".jp-DirListing-item", has_text="cube.fits").dblclick()
    cube = page.locator(".esap-ViewerWidget:visible")
    expect(page.locator(".lm-DockPanel-tabBar .lm-mod-current")).to_contain_text("cube.fits")
    wait_drawn(cube)
    label = cube.locator(".esap-ViewPlanes-label")
    expect(label).to_be_visible()
    spectral = WCS(files["cube_header"]).sub([3]).all_pix2world(np.arange(5.0), 0)[0]
    assert float(label.get_attribute("data-esap-spectral") or "nan") == pytest.approx(spectral[0])
    first = stats(cube)
    cube.locator(".esap-ViewPlanes-slider").fill("3")
    expect(label).to_have_attribute("data-esap-plane", "3")
    expect(label).to_contain_text("plane 4 of 5")
    assert float(label.get_attribute("data-esap-spectral") or "nan") == pytest.approx(spectral[3])
    wait_drawn(cube)
    fourth = stats(cube)
    assert fourth["painted"] == first["painted"]
    assert fourth["sum"] != first["sum"]
    assert (fourth["x"], fourth["y"]) != (first["x"], first["y"])  # the bright block moved


def test_a_result_row_of_the_archive_opens_in_the_viewer_with_the_rows_over_it(
    page: Page, data_hub: DataHub
) -> None:
    radius = 0.3
    rows = inside(csv_rows(data_hub.dachs.images_csv), "s_ra", "s_dec", M51, radius)
    chosen = next(r for r in rows if r["dataproduct_type"] == "image")
    with fits.open(RESOURCE_SRC.parent / chosen["file"]) as hdul:
        truth = WCS(hdul[0].header)
        ny, nx = hdul[0].data.shape
    on_image = 0
    for row in rows:
        x, y = truth.world_to_pixel(SkyCoord(float(row["s_ra"]), float(row["s_dec"]), unit="deg"))
        on_image += bool(-0.5 <= x <= nx - 0.5 and -0.5 <= y <= ny - 0.5)
    assert on_image > 1, "the cone must hold several rows on the product's image"

    log_in(page, data_hub.hub, data_hub.user)
    panel = open_data_panel(page)
    for row in panel.locator(".esap-ServiceRow").all():
        checkbox = row.locator('input[type="checkbox"]')
        if (row.get_attribute("data-esap-service") == "local-tap") != checkbox.is_checked():
            checkbox.click()
    panel.locator('[data-esap-mode="coords"]').click()
    panel.locator("#esap-data-ra").fill(str(M51[0]))
    panel.locator("#esap-data-dec").fill(str(M51[1]))
    panel.locator("#esap-data-radius").fill(str(radius))
    panel.locator(".esap-SearchButton").click()
    expect(status(panel, "local-tap")).to_contain_text(f"{len(rows)} rows", timeout=SERVER)

    results = page.locator(".esap-DataResults")
    view = results.locator('.esap-ServiceResult[data-esap-service="local-tap"]')
    view.locator(".esap-ResultBar-filter input").fill(chosen["obs_id"])
    expect(view.locator(".esap-ResultBar-count")).to_have_attribute(
        "data-esap-total", "1", timeout=SERVER
    )
    grid = view.locator(".esap-ResultGrid")
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 150, box["y"] + 28 + 12)  # the one row, below the header
    expect(view.locator('.esap-Record[data-esap-row="0"]')).to_contain_text(chosen["obs_id"])
    results.locator(".jp-Toolbar").get_by_text("View", exact=True).click()

    viewer = page.locator(".esap-ViewerWidget:visible")
    expect(viewer).to_have_count(1, timeout=SERVER)
    wait_drawn(viewer)
    assert stats(viewer)["painted"] > 1000
    # the search's rows on the image: as many as astropy places there (the whole result,
    # not the filtered view)
    expect(viewer.locator(".esap-ViewCanvas")).to_have_attribute(
        "data-esap-markers", str(on_image), timeout=SERVER
    )
    expect(viewer.locator(".esap-ViewStatus-message")).to_contain_text(
        f"{on_image} of the result's {len(rows)} rows"
    )
    said = pointer_at_centre(page, viewer)
    sky = truth.pixel_to_world(said["esapX"], said["esapY"]).icrs
    assert said["esapRa"] == pytest.approx(sky.ra.deg, abs=1e-9)
    assert said["esapDec"] == pytest.approx(sky.dec.deg, abs=1e-9)

    # a box drawn on the image presets the archive's cutout dialog with its sky region
    viewer.locator('[data-esap-mode="box"]').click()
    corners = []
    box = viewer.locator(".esap-ViewCanvas").bounding_box()
    assert box is not None
    coords = viewer.locator(".esap-ViewStatus-coords")
    for step, (dx, dy) in enumerate(((-60, -40), (50, 30))):
        before = coords.get_attribute("data-esap-x")
        page.mouse.move(box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy)
        expect(coords).not_to_have_attribute("data-esap-x", before or "", timeout=SERVER)
        corners.append((float(coords.get_attribute("data-esap-x") or "nan"),
                        float(coords.get_attribute("data-esap-y") or "nan")))  # fmt: skip
        if step == 0:
            page.mouse.down()
    page.mouse.up()
    viewer.locator('[data-esap-action="cutout"]').click()
    centre = truth.pixel_to_world(
        (corners[0][0] + corners[1][0]) / 2, (corners[0][1] + corners[1][1]) / 2
    ).icrs
    dialog = page.locator(".jp-Dialog")
    expect(dialog.locator("#esap-cutout-ra")).to_be_visible(timeout=SERVER)
    assert float(dialog.locator("#esap-cutout-ra").input_value()) == pytest.approx(
        centre.ra.deg, abs=2e-6
    )
    assert float(dialog.locator("#esap-cutout-dec").input_value()) == pytest.approx(
        centre.dec.deg, abs=2e-6
    )
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
