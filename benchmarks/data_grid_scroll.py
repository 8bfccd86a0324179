"""Scrolling 100k rows end to end: the Data panel's result grid vs JupyterLab's CSV viewer.

The rows are the 100,000-row table of the single-query benchmark (imported
into the test archive, GAVO DaCHS, by ``single_query.ensure_table``).

* ours: a JupyterLab with ESAP Hub (``esap`` server extension, the
  ``esap-hub`` labextension) whose one data service is that archive. The
  benchmark opens the Data panel, runs ``SELECT * FROM esapbench.big`` in its
  ADQL section as a user would, and scrolls the result grid (a Lumino
  DataGrid over pages of 200 rows fetched on demand from the server's result
  cache, neighbour pages fetched ahead, at most 60 pages kept).
* peer: JupyterLab's own CSV viewer (also a Lumino DataGrid, every row parsed
  in the browser) opening the same 100,000 rows, fetched from the archive as
  CSV into the lab's root directory, in the same lab.

Each side is measured in a fresh page of the same lab (not the other
side's grid nor an earlier answer's view open beside it, no page cache left
from an earlier scroll), once its rows are all in: the
CSV viewer has parsed every row, the ESAP server has stored every row (its
last page answers). Each scroll starts at the top and moves the grid down by
``--rows-per-frame`` rows (default 1,000, a drag of the scroll bar from top
to bottom in 100 frames) on every animation frame until the bottom, then
waits until the last screen is filled. Timed from the first step to that
moment. At every frame the cells on screen are read back from the grid's
data model: a cell whose value is not there yet (its page still loading)
counts as blank. The CSV viewer holds every row, so it never shows a blank
cell; the ESAP grid does whenever a page arrives later than the frame that
shows it: at 1,000 rows a frame every frame lands five pages further on,
beyond what the grid fetches ahead (two pages), so each one is painted
before its page is there. Slower scrolls are closer to reading, but the CSV
viewer takes about a second per frame here when every frame jumps far into
the file, so a 100-rows-a-frame scroll of all of it would take a quarter of
an hour: ``--rows-per-frame 100 --scroll-rows 10000`` scrolls the first
10,000 rows that way (the figure line then says so).

Runs alternate (ours, CSV viewer) after one untimed scroll each; medians.
The last line:

    result grid scroll (100k rows, <n> rows a frame): ours <x> ms,
    JupyterLab CSV viewer <y> ms, ratio <r> (goal <= 1.1)

(on one line).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import httpx
import lab_load
from _data_bench import median, running_dachs
from lab_load import CHROMIUM, CHROMIUM_ARGS, LabServer
from playwright.sync_api import Browser, Page, expect, sync_playwright
from single_query import QUERY, ROWS, ensure_table

from esap.config import loads, public

GOAL = 1.1
#: Rows the grid moves down per animation frame (see the module docstring).
ROWS_PER_FRAME = 1000
SERVER = 300_000  # ms: the 100k-row query and the CSV parse on a loaded machine

# Resolves with the scroll's figures; see the module docstring.
SCROLL_SCRIPT = """
async ([cls, rowsPerFrame, scrollRows]) => {
  const find = widget => {
    if (widget.node.classList.contains(cls) && widget.isVisible) {
      return widget;
    }
    for (const child of widget.children()) {
      const found = find(child);
      if (found) {
        return found;
      }
    }
    return null;
  };
  const grid = find(window.jupyterapp.shell);
  if (!grid) {
    throw new Error(`no visible grid .${cls}`);
  }
  const model = grid.dataModel;
  const rows = model.rowCount('body');
  const columns = model.columnCount('body');
  const frame = () => new Promise(resolve => requestAnimationFrame(() => resolve()));
  const onScreen = () => {
    const first = Math.max(0, grid.rowAt('body', grid.scrollY));
    let last = grid.rowAt('body', grid.scrollY + grid.pageHeight - 1);
    last = last < 0 ? rows - 1 : last;
    const left = Math.max(0, grid.columnAt('body', grid.scrollX));
    let right = grid.columnAt('body', grid.scrollX + grid.pageWidth - 1);
    right = right < 0 ? columns - 1 : right;
    let blank = 0;
    let cells = 0;
    for (let r = first; r <= last; r++) {
      for (let c = left; c <= right; c++) {
        const value = model.data('body', r, c);
        cells += 1;
        if (value === '' || value === null || value === undefined) {
          blank += 1;
        }
      }
    }
    return [blank, cells];
  };
  grid.scrollTo(0, 0);
  await frame();
  const start = performance.now();
  while (onScreen()[0] > 0) {
    if (performance.now() - start > 60000) {
      throw new Error(`.${cls}: the first screen is still blank after 60 s`);
    }
    await frame();
  }
  const step = rowsPerFrame * grid.defaultSizes.rowHeight;
  const began = performance.now();
  let frames = 0;
  let blank = 0;
  let cells = 0;
  let blankFrames = 0;
  const end =
    scrollRows > 0 ? grid.rowOffset('body', Math.min(rows, scrollRows) - 1) : Infinity;
  for (;;) {
    const before = grid.scrollY;
    if (before >= end) {
      break; // scrolled as far as asked
    }
    grid.scrollTo(grid.scrollX, Math.min(end, before + step));
    if (grid.scrollY <= before) {
      break; // at the bottom (the grid clamps to its own maximum)
    }
    await frame();
    const [b, c] = onScreen();
    frames += 1;
    blank += b;
    cells += c;
    blankFrames += b > 0 ? 1 : 0;
  }
  const filling = performance.now();
  while (onScreen()[0] > 0) {
    if (performance.now() - filling > 60000) {
      throw new Error(`.${cls}: the last screen is still blank after 60 s`);
    }
    await frame();
  }
  return { ms: performance.now() - began, frames, blank, cells, blankFrames, rows };
}
"""


def public_config(tap_url: str) -> dict[str, Any]:
    """What the hub would pass the lab: one TAP service, the archive."""
    text = json.dumps(
        {"data_services": [{"name": "archive", "type": "tap", "url": tap_url, "timeout": 900}]}
    )
    return public(loads(text))


def write_csv(tap_url: str, path: Path) -> None:
    """The same rows as the archive serves them, as CSV (DaCHS's own writer)."""
    with (
        httpx.stream(
            "POST",
            f"{tap_url}/sync",
            data={"REQUEST": "doQuery", "LANG": "ADQL", "RESPONSEFORMAT": "csv",
                  "QUERY": QUERY, "MAXREC": str(2 * ROWS)},
            timeout=600,
        ) as answer,
        path.open("wb") as out,
    ):  # fmt: skip
        answer.raise_for_status()
        for chunk in answer.iter_bytes():
            out.write(chunk)


def open_lab(page: Page, server: LabServer) -> None:
    page.goto(server.url, timeout=120_000)
    page.wait_for_function(
        "() => window.jupyterapp && window.jupyterapp.isPluginActivated('esap-hub:data')",
        timeout=120_000,
    )
    page.evaluate("() => window.jupyterapp.restored.then(() => true)")


def open_ours(page: Page, server: LabServer) -> None:
    """Run the 100k-row ADQL query in the Data panel; its result grid opens.

    Returns once the server has stored every row (its last page answers), as
    the CSV viewer is measured once it has parsed every row.
    """
    tab = page.locator('.jp-SideBar.jp-mod-left [data-id="esap-data"]')
    panel = page.locator("#esap-data")
    expect(tab).to_be_visible(timeout=120_000)
    if not panel.is_visible():
        tab.click()
    title = panel.locator(".lm-AccordionPanel-title", has_text="ADQL")
    title.scroll_into_view_if_needed()
    if title.get_attribute("aria-expanded") != "true":
        title.click()
    query = panel.locator("#esap-adql-query")
    query.scroll_into_view_if_needed()
    query.fill(QUERY)
    panel.locator("#esap-adql-maxrec").fill(str(2 * ROWS))
    run = panel.locator(".esap-Adql .esap-Actions button", has_text="Run")
    run.scroll_into_view_if_needed()
    with page.expect_response(lambda r: "/esap/api/v1/data/adql" in r.url, timeout=SERVER) as done:
        run.click()
    result_id = done.value.json()["result_id"]
    count = page.locator(f'.esap-ResultBar-count[data-esap-total="{ROWS}"]')
    expect(count).to_be_visible(timeout=SERVER)
    expect(page.locator(".esap-ResultGrid").first).to_be_visible()
    last = httpx.get(
        f"http://127.0.0.1:{server.port}/esap/api/v1/data/results/{result_id}",
        params={"offset": ROWS - 1, "limit": 1},
        headers={"Authorization": f"token {server.token}"},
        timeout=SERVER / 1000,
    )
    last.raise_for_status()


def open_peer(page: Page, name: str) -> None:
    """Open the CSV file in JupyterLab's CSV viewer and wait until every row is parsed."""
    page.evaluate(
        "name => window.jupyterapp.commands.execute('docmanager:open', "
        "{path: name, factory: 'CSVTable'}).then(() => true)",
        name,
    )
    page.wait_for_function(
        """rows => {
          const widget = window.jupyterapp.shell.currentWidget;
          const grid = widget && widget.content && widget.content._grid;
          return !!grid && !!grid.dataModel && grid.dataModel.rowCount('body') === rows;
        }""",
        arg=ROWS,
        timeout=SERVER,
        polling=200,
    )


def show(page: Page, selector: str) -> None:
    """Bring the main-area tab holding ``selector`` to the front."""
    page.evaluate(
        """selector => {
          const app = window.jupyterapp;
          for (const widget of app.shell.widgets('main')) {
            if (widget.node.querySelector(selector)) {
              app.shell.activateById(widget.id);
              return;
            }
          }
          throw new Error(`no main-area tab holds ${selector}`);
        }""",
        selector,
    )
    expect(page.locator(selector).first).to_be_visible()


def scroll(
    page: Page, selector: str, cls: str, rows_per_frame: int, scroll_rows: int
) -> dict[str, float]:
    show(page, selector)
    result: dict[str, float] = page.evaluate(SCROLL_SCRIPT, [cls, rows_per_frame, scroll_rows])
    if result["rows"] != ROWS:
        raise RuntimeError(f"{cls}: the grid has {result['rows']} rows, expected {ROWS}")
    return result


def one_scroll(
    browser: Browser, server: LabServer, side: str, rows_per_frame: int, scroll_rows: int
) -> dict[str, float]:
    """Open the lab in a fresh page, open one side's grid, scroll it once, close the page."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        open_lab(page, server)
        if side == "ours":
            open_ours(page, server)
            return scroll(page, ".esap-ResultGrid", "esap-ResultGrid", rows_per_frame, scroll_rows)
        open_peer(page, "big.csv")
        return scroll(page, ".jp-CSVViewer", "jp-CSVViewer-grid", rows_per_frame, scroll_rows)
    finally:
        page.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rows-per-frame", type=int, default=ROWS_PER_FRAME)
    parser.add_argument(
        "--scroll-rows",
        type=int,
        default=0,
        help="scroll only the first N rows (default: all), e.g. a slower scroll's first pages",
    )
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="esap-grid-scroll-"))
    got: dict[str, list[dict[str, float]]] = {"ours": [], "csv": []}
    try:
        with running_dachs(base / "dachs") as (harness, dachs):
            ensure_table(harness, dachs.tap_url)
            server = LabServer("ours", esap=True, base=base / "lab")
            server.base.mkdir(parents=True)
            (server.base / "root").mkdir()
            write_csv(dachs.tap_url, server.base / "root" / "big.csv")
            lab_load.SAMPLE_PUBLIC_CONFIG = public_config(dachs.tap_url)
            os.environ["ESAP_STATE_DIR"] = str(base / "state")
            server.start()
            try:
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(
                        executable_path=CHROMIUM, args=CHROMIUM_ARGS
                    )
                    try:
                        for side in got:  # warm-up: caches, the lab's first start
                            one_scroll(browser, server, side, args.rows_per_frame, args.scroll_rows)
                        for run in range(args.runs):
                            for side, results in got.items():
                                result = one_scroll(
                                    browser, server, side, args.rows_per_frame, args.scroll_rows
                                )
                                results.append(result)
                                print(
                                    f"run {run + 1} {side}: {result['ms']:.0f} ms, "
                                    f"{result['frames']} frames, blank cells "
                                    f"{result['blank']} of {result['cells']} in "
                                    f"{result['blankFrames']} frames",
                                    flush=True,
                                )
                    finally:
                        browser.close()
            finally:
                server.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    ours = median([r["ms"] for r in got["ours"]])
    peer = median([r["ms"] for r in got["csv"]])
    for name, label in (("ours", "ours"), ("csv", "CSV viewer")):
        blank = median([r["blank"] for r in got[name]])
        cells = median([r["cells"] for r in got[name]])
        frames = median([r["blankFrames"] for r in got[name]])
        total = median([r["frames"] for r in got[name]])
        print(
            f"{label}: blank cells at sampled frames {blank:.0f} of {cells:.0f} "
            f"({100 * blank / cells:.2f} %), in {frames:.0f} of {total:.0f} frames"
        )
    span = f"{ROWS // 1000}k rows" if not args.scroll_rows else f"first {args.scroll_rows} rows"
    print(
        f"result grid scroll ({span}, {args.rows_per_frame} rows a frame): "
        f"ours {ours:.0f} ms, JupyterLab CSV viewer {peer:.0f} ms, "
        f"ratio {ours / peer:.2f} (goal <= {GOAL})"
    )


if __name__ == "__main__":
    main()
