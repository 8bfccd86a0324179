"""Basket at 100k items: add, list, and the panel's render + scroll in Chromium.

Peers, in the same run:
- add: the same 100k rows inserted with plain sqlite3 (one executemany, one
  commit) — what a hand-rolled store costs without validation or identity;
- list: the same items read back from a bare JSON file (json.load). Both
  clocks start with their libraries imported (astropy for ours, json for the
  peer): importing astropy is a once-per-process cost, not listing's;
- panel: no lab panel lists 100k items to compare with, so the panel's
  render and scroll are set beside the bare REST page fetch (an httpx GET
  of one page, as curl would do) that the panel builds on.

The render is timed in the page, from the press on the Basket tab (a
``pointerdown`` listener) to the frame after the load that press started has
its first page of rows in the grid (``data-esap-loads`` counts loads, so rows
of an earlier load do not count): the browser's own clock, without the
automation's round trips around the click. The press comes once the lab has
started (its splash gone, the panel's own load at start done), as a user's
would, not while the lab is still loading its plugins.

Usage: .venv/bin/python benchmarks/basket.py [--no-browser]
Each figure prints as ``<figure>: ours <x> s, <peer> <y> s, ratio <r> (goal < 1 s)``;
the last line is the panel figure (or the add figure with --no-browser).
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

N = 100_000
REPO = Path(__file__).resolve().parents[1]


def items() -> list[dict[str, object]]:
    return [
        {
            "kind": "data",
            "service": "bench-tap",
            "access_url": f"https://archive.example.org/data/{i}.fits",
            "format": "image/fits",
            "size": 2880 * (i % 50 + 1),
        }
        for i in range(N)
    ]


def line(figure: str, ours: float, peer: str, theirs: float) -> str:
    return (
        f"{figure}: ours {ours:.3f} s, {peer} {theirs:.3f} s, "
        f"ratio {ours / theirs:.1f} (goal < 1 s)"
    )


def store_figures(folder: Path) -> list[str]:
    os.environ["ESAP_STATE_DIR"] = str(folder / "state")
    import esap
    from esap.basket import Basket

    raw = items()
    basket = Basket(folder / "state" / "basket.db")
    began = time.perf_counter()
    basket.add_many(raw)
    add = time.perf_counter() - began

    peer = sqlite3.connect(folder / "peer.db")
    peer.execute("PRAGMA journal_mode=WAL")
    peer.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, body TEXT)")
    began = time.perf_counter()
    with peer:
        peer.executemany("INSERT INTO items (body) VALUES (?)", ((json.dumps(r),) for r in raw))
    add_peer = time.perf_counter() - began

    import astropy.table  # noqa: F401 - imported before the clock, as json is for the peer

    began = time.perf_counter()
    table = esap.basket.items()
    listing = time.perf_counter() - began
    assert len(table) == N

    bare = folder / "basket.json"
    bare.write_text(json.dumps(raw))
    began = time.perf_counter()
    assert len(json.loads(bare.read_text())) == N
    list_peer = time.perf_counter() - began
    return [
        line("add 100k items", add, "plain sqlite3 executemany", add_peer),
        line("list 100k items as a Table", listing, "json.load of a bare file", list_peer),
    ]


#: In the page: note when the basket tab is pressed; answer how many loads the panel had.
PRESS_CLOCK = """() => {
  window.esapPressed = null;
  document.querySelector('.jp-SideBar.jp-mod-left [data-id="esap-basket"]')
    .addEventListener('pointerdown', () => { window.esapPressed = performance.now(); },
                      { capture: true, once: true });
  const panel = document.querySelector('.esap-BasketPanel');
  return Number((panel && panel.dataset.esapLoads) || 0);
}"""

#: In the page: wait (frame by frame) for the load the press started to show its
#: first page of rows; answer the milliseconds since the press.
RENDERED = """async ([total, loads]) => {
  const shown = () => {
    const p = document.querySelector('.esap-BasketPanel');
    return window.esapPressed !== null && p && Number(p.dataset.esapLoads || 0) > loads
      && p.dataset.esapTotal === String(total) && p.dataset.esapReady === 'true';
  };
  const deadline = performance.now() + 120000;
  while (!shown()) {
    if (performance.now() > deadline) {
      const p = document.querySelector('.esap-BasketPanel');
      throw new Error('the panel did not show its rows: ' +
        JSON.stringify({pressed: window.esapPressed, ...(p ? p.dataset : {})}));
    }
    await new Promise(resolve => requestAnimationFrame(resolve));
  }
  await new Promise(resolve => requestAnimationFrame(resolve));  // the rows are painted
  return performance.now() - window.esapPressed;
}"""


def panel_figure(folder: Path) -> str:
    """Start a hub, fill a user's basket with 100k items, time the panel in Chromium."""
    sys.path.insert(0, str(REPO / "tests"))
    import httpx
    from playwright.sync_api import sync_playwright

    from harness.hub import hub_config, start_hub

    hub = start_hub(folder / "hub", hub_config(folder / "hub"), timeout=180)
    try:
        hub.start_server("bench", timeout=300)
        token = hub.token_for("bench")
        with hub.user_api("bench", token) as api:
            api.timeout = httpx.Timeout(600)
            raw = items()
            for start in range(0, N, 20_000):
                api.post("basket", json={"items": raw[start : start + 20_000]}).raise_for_status()
            began = time.perf_counter()
            api.get("basket", params={"limit": 500}).raise_for_status()
            fetch = time.perf_counter() - began
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--headless", "--no-sandbox", "--disable-gpu"],
            )
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{hub.url}/hub/login")
            page.fill("#username_input", "bench")
            page.fill("#password_input", hub.password)
            page.click("#login_submit")
            page.wait_for_url("**/user/bench/lab**", timeout=300_000)
            tab = page.locator('.jp-SideBar.jp-mod-left [data-id="esap-basket"]')
            tab.wait_for(timeout=300_000)
            panel = page.locator(".esap-BasketPanel")
            # a lab that has finished starting: the splash gone, the panel's load at start done
            page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=300_000)
            page.wait_for_selector(
                ".esap-BasketPanel[data-esap-loads]", state="attached", timeout=300_000
            )
            loads = page.evaluate(PRESS_CLOCK)
            tab.click()
            render = page.evaluate(RENDERED, [N, loads]) / 1000
            box = panel.locator(".esap-BasketGrid").bounding_box()
            assert box is not None
            page.mouse.move(box["x"] + 100, box["y"] + 100)
            began = time.perf_counter()
            page.mouse.wheel(0, 24 * N)
            page.wait_for_function(
                "() => { const p = document.querySelector('.esap-BasketPanel');"
                f" return Number(p.dataset.esapFirstRow) > {N - 100}"
                " && p.dataset.esapReady === 'true'; }",
                timeout=60_000,
            )
            scroll = time.perf_counter() - began
            browser.close()
        print(line("panel render of 100k items", render, "REST page fetch", fetch))
        return line("panel scroll to the end of 100k items", scroll, "REST page fetch", fetch)
    finally:
        hub.stop()


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        figures = store_figures(folder)
        for figure in figures[1:]:
            print(figure)
        if "--no-browser" in sys.argv:
            print(figures[0])
            return
        print(figures[0])
        print(panel_figure(folder))


if __name__ == "__main__":
    main()
