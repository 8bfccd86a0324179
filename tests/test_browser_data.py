"""A person searches the archives from the Data panel, sees rows stream in and reuses the query.

Against the data hub (real JupyterHub, real DaCHS, the fault server), in
Chromium. The expected rows come from the shipped CSV files; the panel's own
counts, the record pane and the notebook cell's output are checked against
them. Cells in the grid are painted on a canvas, so row text is read from the
record pane, which renders a row's fields as DOM text.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect
from test_dachs import inside

from harness.browser import log_in, open_side_panel
from harness.dachs import csv_rows
from harness.data_hub import TARGETS, DataHub
from harness.faults import ERROR_TEXT, HELD_TEXT

pytestmark = [pytest.mark.browser, pytest.mark.hub, pytest.mark.dachs]

M51 = tuple(TARGETS["M51"])
#: How long a search may take to reach the browser (DaCHS on two busy cores).
SERVER = 60_000
RADIUS = 0.5
#: A user service of the test's own, answering only when the test releases it.
SLOW = "slow-archive"
SLOW_KEY = "browser-stream"


def open_data_panel(page: Page) -> Locator:
    """Click the Data tab of the left sidebar; the panel once its services are listed."""
    panel = page.locator("#esap-data")
    open_side_panel(page, "esap-data", panel.locator('[data-esap-service="local-tap"]'))
    return panel


def status(panel: Locator, service: str) -> Locator:
    return panel.locator(f'[data-esap-service-status="{service}"]')


def search_m51(page: Page, panel: Locator) -> None:
    panel.locator('[data-esap-mode="coords"]').click()
    panel.locator("#esap-data-ra").fill(str(M51[0]))
    panel.locator("#esap-data-dec").fill(str(M51[1]))
    panel.locator("#esap-data-radius").fill(str(RADIUS))
    panel.locator(".esap-SearchButton").click()


@pytest.fixture
def slow_service(data_hub: DataHub) -> Iterator[str]:
    """Dora's own TAP service that holds every request until the test releases it."""
    with data_hub.client() as api:
        answer = api.post(
            "data/services",
            json={"name": SLOW, "type": "tap", "url": data_hub.faults.held(SLOW_KEY)},
        )
        assert answer.status_code == 201, answer.text
        try:
            yield SLOW
        finally:
            data_hub.faults.release(SLOW_KEY)
            api.delete(f"data/services/{SLOW}")


def test_rows_stream_in_errors_show_per_service_and_markup_stays_text(
    page: Page, data_hub: DataHub, slow_service: str
) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    images = csv_rows(data_hub.dachs.images_csv)
    expected = inside(images, "s_ra", "s_dec", M51, RADIUS)
    hostile = [r for r in expected if "<script>" in r["obs_title"]]
    assert hostile, "the shipped archive must hold a <script> row inside the test cone"

    log_in(page, data_hub.hub, data_hub.user)
    panel = open_data_panel(page)
    # the user's own service is listed, marked as theirs, and ticked
    expect(
        panel.locator(f'[data-esap-service="{slow_service}"][data-esap-source="user"]')
    ).to_be_visible()
    search_m51(page, panel)

    # local-tap's rows arrive and show in the grid while the slow service still waits
    expect(status(panel, "local-tap")).to_have_attribute("data-esap-state", "rows", timeout=SERVER)
    expect(status(panel, "local-tap")).to_contain_text(f"{len(expected)} rows", timeout=SERVER)
    expect(status(panel, slow_service)).to_have_attribute("data-esap-state", "waiting")
    results = page.locator(".esap-DataResults")
    expect(results).to_be_visible()
    tap_tab = results.locator(".lm-TabBar-tab", has_text="local-tap")
    expect(tap_tab).to_contain_text(f"({len(expected)})")

    # each failing service shows its own error, the others are unaffected
    expect(status(panel, "failing")).to_have_attribute("data-esap-state", "error", timeout=SERVER)
    expect(status(panel, "failing")).to_contain_text(ERROR_TEXT, timeout=SERVER)
    expect(status(panel, "broken-votable")).to_have_attribute(
        "data-esap-state", "error", timeout=SERVER
    )
    data_hub.faults.release(SLOW_KEY)
    expect(status(panel, slow_service)).to_have_attribute(
        "data-esap-state", "error", timeout=SERVER
    )
    expect(status(panel, slow_service)).to_contain_text(HELD_TEXT, timeout=SERVER)
    expect(status(panel, "local-tap")).to_contain_text(f"{len(expected)} rows", timeout=SERVER)

    # filter server-side down to the <script> row and read it in the record pane
    tap_tab.click()
    view = results.locator('.esap-ServiceResult[data-esap-service="local-tap"]')
    view.locator(".esap-ResultBar-filter input").fill("<script>")
    expect(view.locator(".esap-ResultBar-count")).to_have_attribute(
        "data-esap-total", "1", timeout=SERVER
    )
    grid = view.locator(".esap-ResultGrid")
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 150, box["y"] + 28 + 12)  # first body row, below the header
    record = view.locator('.esap-Record[data-esap-row="0"]')
    expect(record).to_contain_text(hostile[0]["obs_title"], timeout=SERVER)
    expect(record).to_contain_text(hostile[0]["obs_id"])
    scripts = page.evaluate(
        "() => [...document.querySelectorAll('script')]"
        ".filter(s => s.textContent.includes('alert(1)')).length"
    )
    assert scripts == 0
    assert dialogs == []


def wait_for_idle_kernel(page: Page) -> None:
    """Wait until the notebook has a kernel and it is idle (the status bar says so)."""
    expect(page.locator(".jp-NotebookPanel:visible .jp-KernelName")).not_to_have_text(
        "No Kernel", timeout=SERVER
    )
    expect(page.locator("#jp-main-statusbar")).to_contain_text("Idle", timeout=SERVER)


def test_open_in_notebook_reruns_the_same_search(page: Page, data_hub: DataHub) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    images = csv_rows(data_hub.dachs.images_csv)
    expected = sorted(r["obs_id"] for r in inside(images, "s_ra", "s_dec", M51, RADIUS))

    log_in(page, data_hub.hub, data_hub.user)
    panel = open_data_panel(page)
    # a name the resolver does not know: said under the field, the form kept
    panel.locator("#esap-data-target").fill("Andromeda Strain")
    panel.locator(".esap-SearchButton").click()
    refused = panel.locator('[data-esap-field-error="target"]')
    expect(refused).to_contain_text("target", timeout=SERVER)
    expect(refused).to_contain_text("Andromeda Strain")
    expect(panel.locator("#esap-data-target")).to_have_value("Andromeda Strain")
    expect(page.locator(".esap-DataResults")).to_have_count(0)
    # ask only the archive, so the notebook asks exactly what the panel asked
    for row in panel.locator(".esap-ServiceRow").all():
        name = row.get_attribute("data-esap-service")
        checkbox = row.locator('input[type="checkbox"]')
        if (name == "local-tap") != checkbox.is_checked():
            checkbox.click()
    search_m51(page, panel)
    expect(status(panel, "local-tap")).to_contain_text(f"{len(expected)} rows", timeout=SERVER)
    expect(panel.locator("[data-esap-service-status]")).to_have_count(1)

    page.locator(".esap-DataResults .jp-Toolbar").get_by_text("Open in notebook").click()
    cell = page.locator(".jp-NotebookPanel:visible .jp-CodeCell").first
    expect(cell).to_contain_text("esap.data.search(", timeout=SERVER)
    source = cell.locator(".jp-Editor").inner_text()
    assert 'services=["local-tap"]' in source
    assert f"radius={RADIUS}" in source

    wait_for_idle_kernel(page)
    cells = page.locator(".jp-NotebookPanel:visible .jp-CodeCell")
    cell.locator(".jp-Editor").click()
    page.keyboard.press("Shift+Enter")  # runs the search, opens a new cell below
    expect(cells).to_have_count(2, timeout=SERVER)
    # the second cell prints what the notebook found, as text the test can read
    cells.nth(1).locator(".jp-Editor").click()
    page.keyboard.insert_text(
        'print("IDS", *sorted(str(i) for i in result.tables["local-tap"]["obs_id"]), '
        '"ERRORS", len(result.errors))'
    )
    page.keyboard.press("Shift+Enter")
    output = (
        page.locator(".jp-NotebookPanel:visible .jp-CodeCell")
        .nth(1)
        .locator(".jp-OutputArea-output")
    )
    expect(output).to_contain_text("IDS", timeout=120_000)
    words = (output.text_content() or "").split()
    assert words[0] == "IDS", words
    assert words[1:-2] == expected
    assert words[-2:] == ["ERRORS", "0"]
    assert dialogs == []
