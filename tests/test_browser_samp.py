"""Send to desktop tool and back, over the SAMP Web Profile, from Chromium.

pyvo's SAMP hub runs with its Web Profile on a free loopback port (the lab's
``hubUrl`` setting points there; the standard's 21012 may be taken) and a
consent dialog that accepts and records each registration. A pyvo
``SAMPIntegratedClient`` subscribed to ``table.load.votable`` stands in for
TOPCAT. The search runs against the real archive (DaCHS); the rows the tool
fetches from the link are compared with the shipped CSV. Then the tool sends
a table of its own, served from its own loopback HTTP server as TOPCAT does,
and it lands in the basket.
"""

from __future__ import annotations

import contextlib
import http.server
import io
import json
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from astropy.io.votable import parse_single_table
from astropy.table import Table
from playwright.sync_api import Locator, Page, expect
from pyvo.samp import SAMPHubServer, SAMPIntegratedClient
from test_browser_data import M51, RADIUS, SERVER, open_data_panel, search_m51, status
from test_dachs import inside

from esap.samp.tables import votable_bytes
from harness.browser import log_in, open_side_panel
from harness.dachs import csv_rows
from harness.data_hub import DataHub
from harness.ports import free_port

pytestmark = [pytest.mark.browser, pytest.mark.hub, pytest.mark.dachs]

SETTINGS = "esap-hub:samp"


class AcceptingDialog:
    """The hub's Web Profile consent dialog, answering yes and recording who asked.

    The hub sets ``queue_request`` and ``queue_result`` on it and waits on the
    result from its own serving thread, so the answers come from a thread here.
    """

    queue_request: queue.Queue[Any]
    queue_result: queue.Queue[bool]

    def __init__(self) -> None:
        self.asked: list[tuple[dict[str, str], str]] = []
        #: answers to give, in order, before answering yes to everything
        self.answers: list[bool] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._answer, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _answer(self) -> None:
        while not self._stop.is_set():
            try:
                identity, _client, origin = self.queue_request.get(timeout=0.1)
            except queue.Empty:
                continue
            self.asked.append((identity, origin))
            self.queue_result.put(self.answers.pop(0) if self.answers else True)


@pytest.fixture
def samp_hub(tmp_path: Path) -> Iterator[tuple[SAMPHubServer, AcceptingDialog]]:
    dialog = AcceptingDialog()
    hub = SAMPHubServer(
        web_profile=True,
        web_port=free_port(),
        web_profile_dialog=dialog,
        lockfile=str(tmp_path / "samp-lock"),
        timeout=0,
        client_timeout=0,
    )
    hub.start()
    dialog.start()
    try:
        yield hub, dialog
    finally:
        dialog.stop()
        hub.stop()


class Tool:
    """TOPCAT's part: receives table.load.votable, and serves its own table over HTTP."""

    def __init__(self, hub: SAMPHubServer, table: bytes) -> None:
        self.received: queue.Queue[dict[str, Any]] = queue.Queue()
        self.client = SAMPIntegratedClient(name="topcat-standin")
        self.client.connect(hub=hub)
        self.client.bind_receive_notification("table.load.votable", self._notified)
        self.client.bind_receive_call("table.load.votable", self._called)
        body = table

        class Serve(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/x-votable+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return None

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Serve)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.table_url = f"http://127.0.0.1:{self.server.server_address[1]}/tool-table.vot"

    def _notified(
        self, private_key: str, sender: str, mtype: str, params: dict, extra: dict
    ) -> None:  # type: ignore[type-arg]
        self.received.put(params)

    def _called(
        self, private_key: str, sender: str, msg_id: str, mtype: str, params: dict, extra: dict
    ) -> None:  # type: ignore[type-arg]
        self.received.put(params)
        self.client.reply(msg_id, {"samp.status": "samp.ok", "samp.result": {}})

    def close(self) -> None:
        self.server.shutdown()
        self.client.disconnect()


def notifications(page: Page) -> Locator:
    """The lab's notification center (opened from the status bar if closed)."""
    center = page.locator(".jp-Notification-Center")
    for _ in range(5):  # the status item toggles the center: open it until it shows
        if center.is_visible():
            break
        page.locator(".jp-Notification-Status").click()
        with contextlib.suppress(AssertionError):
            expect(center).to_be_visible(timeout=2_000)
    return center


def wait_for_basket_item(data_hub: DataHub, title: str) -> dict[str, Any]:
    """The basket item titled ``title``, once the lab has put it there."""
    deadline = time.monotonic() + SERVER / 1000
    with data_hub.client() as api:
        while True:
            items = api.get("basket", params={"q": title}).json()["items"]
            found = [i for i in items if i["title"] == title]
            if found:
                return dict(api.get(f"basket/items/{found[0]['id']}").json())
            assert time.monotonic() < deadline, f"no basket item {title!r} arrived"
            time.sleep(0.5)


def fetch_table(url: str) -> Table:
    """Fetch a link as a desktop tool does (no cookie, no token) and read the VOTable."""
    fetched = httpx.get(url, timeout=60)
    assert fetched.status_code == 200, fetched.text
    return parse_single_table(io.BytesIO(fetched.content)).to_table()


def set_hub_url(data_hub: DataHub, url: str) -> None:
    """The lab's hubUrl setting, through JupyterLab's settings API."""
    with httpx.Client(timeout=30) as client:
        answer = client.put(
            f"{data_hub.hub.url}/user/{data_hub.user}/lab/api/settings/{SETTINGS}",
            headers={"Authorization": f"token {data_hub.token}"},
            content=json.dumps({"raw": json.dumps({"hubUrl": url})}),
        )
        assert answer.status_code == 204, answer.text


def test_send_a_result_to_a_desktop_tool_and_receive_its_table(
    page: Page, data_hub: DataHub, samp_hub: tuple[SAMPHubServer, AcceptingDialog]
) -> None:
    hub, dialog = samp_hub
    expected = inside(csv_rows(data_hub.dachs.images_csv), "s_ra", "s_dec", M51, RADIUS)
    assert expected, "the shipped archive must hold rows inside the test cone"
    sent_back = Table({"id": ["x1", "x2", "x3"], "flux": [1.0, 2.0, 3.0]})
    tool = Tool(hub, votable_bytes(sent_back))
    try:
        # no hub where the setting points: the error says how to get one
        set_hub_url(data_hub, f"http://localhost:{free_port()}/")
        log_in(page, data_hub.hub, data_hub.user)
        panel = open_data_panel(page)
        search_m51(page, panel)
        expect(status(panel, "local-tap")).to_contain_text(f"{len(expected)} rows", timeout=SERVER)
        results = page.locator(".esap-DataResults")
        results.locator(".lm-TabBar-tab", has_text="local-tap").click()
        send = results.locator('.jp-Toolbar [data-command="esap:samp-send-result"]')
        send.click()
        center = notifications(page)
        expect(center).to_contain_text("no SAMP hub found", timeout=SERVER)
        expect(center).to_contain_text("start TOPCAT or Aladin")
        assert tool.received.empty()

        # the user declines the hub's prompt: the lab says so
        set_hub_url(data_hub, f"http://localhost:{hub._web_port}/")
        dialog.answers.append(False)
        send.click()
        expect(notifications(page)).to_contain_text(
            "the hub refused registration (you declined the prompt)", timeout=SERVER
        )
        assert tool.received.empty()

        send.click()
        params = tool.received.get(timeout=SERVER / 1000)
        assert len(dialog.asked) == 2
        (identity, origin) = dialog.asked[1]
        assert identity["samp.name"] == "ESAP Hub"
        assert origin == data_hub.hub.url
        url = params["url"]
        assert url.startswith(f"{data_hub.hub.url}/user/{data_hub.user}/esap/api/v1/samp/tables/")
        assert data_hub.token not in url
        assert "token" not in url
        assert "local-tap" in params["name"]
        # the tool fetches the link as a tool does: no cookie, no token
        table = fetch_table(url)
        assert sorted(table["obs_id"]) == sorted(row["obs_id"] for row in expected)
        by_id = {row["obs_id"]: row for row in expected}
        for row in table:
            assert float(row["s_ra"]) == pytest.approx(float(by_id[row["obs_id"]]["s_ra"]))

        # with a row selected, only that row goes, the one the record pane shows
        view = results.locator('.esap-ServiceResult[data-esap-service="local-tap"]')
        box = view.locator(".esap-ResultGrid").bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + 150, box["y"] + 28 + 12)  # first body row, below the header
        record = view.locator('.esap-Record[data-esap-row="0"]')
        expect(record).to_be_visible()
        send.click()
        one = fetch_table(tool.received.get(timeout=SERVER / 1000)["url"])
        assert len(one) == 1
        assert one["obs_id"][0] in by_id
        expect(record).to_contain_text(str(one["obs_id"][0]))

        # the tool sends a table back: it goes to the basket under its name
        with data_hub.client() as api:
            stale = api.get("basket", params={"q": "flux table"}).json()["items"]
            if stale:
                api.post("basket/remove", json={"ids": [i["id"] for i in stale]})
        tool.client.notify_all(
            {
                "samp.mtype": "table.load.votable",
                "samp.params": {"url": tool.table_url, "name": "flux table", "table-id": "t1"},
            }
        )
        full = wait_for_basket_item(data_hub, "flux table")
        assert full["service"] == "samp"
        assert full["fields"]["rows"] == 3
        assert full["fields"]["sender"] == "topcat-standin"
        assert full["fields"]["columns"] == "id, flux"

        # from the Basket panel: the selected item goes as a one-row table
        basket = page.locator(".esap-BasketPanel")
        open_side_panel(page, "esap-basket", basket)
        basket.locator(".esap-BasketPanel-search").fill("flux table")
        expect(basket).to_have_attribute("data-esap-total", "1", timeout=SERVER)
        expect(basket).to_have_attribute("data-esap-ready", "true", timeout=SERVER)
        grid = basket.locator(".esap-BasketGrid").bounding_box()
        assert grid is not None
        page.mouse.click(grid["x"] + 120, grid["y"] + 26 + 12)
        expect(basket.locator(".esap-BasketPanel-rename")).to_have_value("flux table")
        basket.locator('[data-action="samp"]').click()
        items = fetch_table(tool.received.get(timeout=SERVER / 1000)["url"])
        assert list(items["title"]) == ["flux table"]
        assert list(items["id"]) == [full["id"]]
    finally:
        tool.close()
        set_hub_url(data_hub, "http://localhost:21012/")
