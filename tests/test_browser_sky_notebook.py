"""The notebook sky view renders with the internet cut off: Aladin Lite comes from the lab.

A notebook cell in the data hub's lab calls ``esap.data.sky_view`` on a small
table; the survey is the hub's ``sky_view.hips``, the tests' HiPS on loopback
(``harness.hips``). Chromium may reach loopback only: every other request is
aborted and recorded, so the widget can show only if ipyaladin's front end
loaded Aladin Lite from the lab and not from its CDN. The widget's own report
back to the kernel (the view's WCS, set by Aladin Lite once it has drawn)
says where it looks.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import nbformat
import pytest
from PIL import Image
from playwright.sync_api import Page, Route, expect
from test_browser_data import wait_for_idle_kernel

from esap.data.aladin_widget import SERVED_PATH
from harness.browser import log_in
from harness.data_hub import DataHub
from harness.hips import HipsServer

pytestmark = [pytest.mark.browser, pytest.mark.hub, pytest.mark.dachs]

LOOPBACK = "http://127.0.0.1:"
NOTEBOOK = "sky-offline.ipynb"
#: A workspace of its own, so the user's default lab layout is left as it was.
WORKSPACE = "sky-offline"
#: Kernel start and the first cell on two busy cores.
SLOW = 180_000
RA, DEC, RADIUS = 202.48, 47.20, 0.1

DRAW = f"""\
from astropy.table import Table
import esap.data

table = Table({{
    "obs_id": ["a", "b"],
    "s_ra": [202.47, 202.50],
    "s_dec": [47.19, 47.22],
    "s_region": [
        "Polygon ICRS 202.46 47.18 202.48 47.18 202.48 47.20",
        "Circle ICRS 202.50 47.22 0.01",
    ],
}})
sky = esap.data.sky_view(table, ra={RA}, dec={DEC}, radius={RADIUS})
sky
"""
REPORT = (
    'import json; print("VIEW", json.dumps('
    '{"loaded": sky._is_loaded, "wcs": sky._wcs, "fov_xy": sky._fov_xy}))'
)
#: The overlays' colours (esap.data.sky): the search region and the footprints. No
#: test tile has either: their light squares top out at 230 and keep a grey floor of
#: about 50 in every channel, their dark squares stay under 90.
REGION, FOOTPRINT = (255, 160, 0), (0, 188, 212)


def painted(image: Image.Image, colour: tuple[int, int, int], tolerance: int = 12) -> int:
    """How many pixels of ``image`` are ``colour``, to within ``tolerance`` per channel."""
    counts = image.convert("RGB").getcolors(maxcolors=1 << 24) or []
    return sum(
        count
        for count, pixel in counts
        if all(abs(int(a) - b) <= tolerance for a, b in zip(pixel, colour, strict=True))
    )


def write_notebook(path: Path) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(DRAW), nbformat.v4.new_code_cell(REPORT)]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, path)


@pytest.fixture
def sky_notebook(data_hub: DataHub) -> Iterator[Path]:
    """The notebook in the user's home; afterwards its kernel is shut down and it is removed."""
    hub, user = data_hub.hub, data_hub.user
    path = hub.data_dir / "homes" / user / NOTEBOOK
    write_notebook(path)
    try:
        yield path
    finally:
        with httpx.Client(
            base_url=f"{hub.url}/user/{user}/api/",
            headers={"Authorization": f"token {data_hub.token}"},
            timeout=30,
        ) as api:
            for session in api.get("sessions").json():
                if session.get("path") == NOTEBOOK:
                    api.delete(f"sessions/{session['id']}")
        path.unlink(missing_ok=True)


def test_notebook_sky_view_renders_offline(
    page: Page, data_hub: DataHub, hips: HipsServer, sky_notebook: Path
) -> None:
    hub, user = data_hub.hub, data_hub.user

    blocked: list[str] = []

    def loopback_only(route: Route) -> None:
        if route.request.url.startswith(LOOPBACK):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", loopback_only)
    modules: list[str] = []
    page.on("request", lambda request: modules.append(request.url))
    tiles_before = len(hips.tiles_asked())

    log_in(page, hub, user)
    page.goto(f"{hub.url}/user/{user}/lab/workspaces/{WORKSPACE}/tree/{NOTEBOOK}")
    expect(page.locator("#jupyterlab-splash")).to_have_count(0, timeout=SLOW)
    notebook = page.locator(".jp-NotebookPanel:visible")
    cells = notebook.locator(".jp-CodeCell")
    expect(cells).to_have_count(2, timeout=SLOW)
    wait_for_idle_kernel(page)

    cells.first.locator(".jp-Editor").click()
    page.keyboard.press("Shift+Enter")  # draws; the selection moves to the report cell
    canvas = cells.first.locator(".jp-OutputArea-output .aladin-widget canvas").first
    expect(canvas).to_be_attached(timeout=SLOW)
    served = [url for url in modules if url.endswith(SERVED_PATH)]
    assert served, "Aladin Lite was not loaded from the lab"
    assert served[0].startswith(f"{hub.url}/user/{user}/lab/extensions/"), served

    # the background is the local survey: tiles were asked for since the cell ran
    deadline = time.monotonic() + SLOW / 1000
    while len(hips.tiles_asked()) <= tiles_before and time.monotonic() < deadline:
        page.wait_for_timeout(200)  # the browser keeps working while the server is polled
    assert len(hips.tiles_asked()) > tiles_before, "no tile asked from the test survey"

    # the region and the footprints are drawn over the survey
    widget = cells.first.locator(".jp-OutputArea-output .aladin-widget").first
    widget.scroll_into_view_if_needed()
    deadline = time.monotonic() + SLOW / 1000
    while True:
        shot = Image.open(io.BytesIO(widget.screenshot()))
        drawn = {"region": painted(shot, REGION), "footprints": painted(shot, FOOTPRINT)}
        if all(drawn.values()) or time.monotonic() > deadline:
            break
        page.wait_for_timeout(500)
    assert all(drawn.values()), f"overlay pixels counted: {drawn}"

    # the widget told the kernel it has loaded and where it looks (Aladin Lite's WCS)
    cells.nth(1).locator(".jp-Editor").click()
    page.keyboard.press("Shift+Enter")
    output = cells.nth(1).locator(".jp-OutputArea-output")
    expect(output).to_contain_text("VIEW", timeout=SLOW)
    text = (output.text_content() or "").strip()
    view = json.loads(text[text.index("VIEW") + len("VIEW") :])
    assert view["wcs"]["CRVAL1"] == pytest.approx(RA, abs=1e-3)
    assert view["wcs"]["CRVAL2"] == pytest.approx(DEC, abs=1e-3)
    assert view["loaded"] is True
    assert view["fov_xy"]["x"] == pytest.approx(2.5 * RADIUS, rel=0.05), view

    assert blocked == [], "the notebook sky view reached beyond loopback"
