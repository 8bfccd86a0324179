"""The basket's REST API on a real user server (through the hub's proxy), and its downloads."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from standins.server import running
from tornado import web

from esap.basket import jobs as download_jobs
from esap.basket.download import DownloadError, fetch
from esap.basket.models import DataItem
from esap.basket.store import Basket
from esap.core.jobs import JobStore
from esap.core.runner import Runner
from harness.hub import RunningHub

pytestmark = pytest.mark.hub

PAYLOAD = bytes(range(256)) * 4000  # ~1 MB


class RangeCounting(web.StaticFileHandler):
    """Tornado's static files (which honour Range), recording the Range headers seen."""

    seen: list[str | None] = []

    def prepare(self) -> None:
        RangeCounting.seen.append(self.request.headers.get("Range"))


class Truncated(web.RequestHandler):
    """Declares the whole of PAYLOAD but sends only half of what it declares, then stops.

    Without a Range: 200 with the full ``Content-Length``, the connection closed
    half way. With one: 206 whose ``Content-Range`` total is the full size, its
    body (chunked, so no length to catch it) ending cleanly half way.
    """

    async def get(self, name: str) -> None:
        asked = self.request.headers.get("Range")
        start = int(asked.removeprefix("bytes=").rstrip("-")) if asked else 0
        sent = PAYLOAD[start:][: (len(PAYLOAD) - start) // 2]
        stream = self.detach()
        if asked:
            head = (
                "HTTP/1.1 206 Partial Content\r\nTransfer-Encoding: chunked\r\n"
                f"Content-Range: bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}\r\n\r\n"
            )
            body = f"{len(sent):x}\r\n".encode() + sent + b"\r\n0\r\n\r\n"
        else:
            head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(PAYLOAD)}\r\n\r\n"
            body = sent
        await stream.write(head.encode() + body)
        stream.close()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An HTTP file server on loopback serving PAYLOAD as /files/cube.fits."""
    folder = tmp_path_factory.mktemp("files")
    (folder / "cube.fits").write_bytes(PAYLOAD)
    (folder / "m.fits").write_bytes(PAYLOAD)
    app = web.Application(
        [
            (r"/files/(.*)", RangeCounting, {"path": str(folder)}),
            (r"/truncated/(.*)", Truncated),
        ]
    )
    with running(app) as server:
        yield f"{server.url}/files"


def test_items_are_added_listed_edited_and_removed(hub: RunningHub, alice: str) -> None:
    with hub.user_api("alice", alice) as api:
        api.delete("basket").raise_for_status()
        items = [
            {"kind": "data", "service": "local-tap", "access_url": f"https://a.org/{i}.fits"}
            for i in range(300)
        ]
        items.append({"kind": "software", "catalogue": "ossr", "identifier": "zenodo:1"})
        added = api.post("basket", json={"items": items})
        assert added.status_code == 201, added.text
        ids = added.json()["ids"]
        assert len(set(ids)) == 301
        again = api.post("basket", json={"items": items[:1]}).json()
        assert again == {"ids": ids[:1], "total": 301}

        page = api.get("basket", params={"offset": 290, "limit": 20}).json()
        assert page["total"] == 301
        assert [item["id"] for item in page["items"]] == ids[290:]
        assert page["counts"] == {"data": 300, "service": 0, "software": 1}

        changed = api.patch(f"basket/items/{ids[0]}", json={"title": "<b>deep</b>", "group": "M31"})
        assert changed.json()["title"] == "<b>deep</b>"
        assert api.get("basket", params={"group": "M31"}).json()["total"] == 1
        assert api.post("basket/remove", json={"ids": ids[1:101]}).json() == {"removed": 100}
        assert api.delete(f"basket/items/{ids[0]}").status_code == 204
        missing = api.get(f"basket/items/{ids[0]}")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found"

        bad = api.post("basket", json={"items": [{"kind": "data", "service": "s", "size": -1}]})
        assert bad.status_code == 400
        assert bad.json()["error"]["field"] == "items[0].size"
        late = [*items[:2], {"kind": "data", "service": "s", "access_url": "javascript:x"}]
        bad = api.post("basket", json={"items": late})
        assert bad.json()["error"]["field"] == "items[2].access_url"
        assert "URL" in bad.json()["error"]["message"]
        bad = api.post("basket", json={"items": [items[0], "text"]})
        assert bad.json()["error"]["field"] == "items[1]"
        assert bad.json()["error"]["message"] == "not a JSON object"
        assert api.get("basket").json()["total"] == 200  # nothing of a bad batch was added
        assert api.get("basket", params={"limit": 0}).status_code == 400

        code = api.post("basket/cell", json={"ids": ids[200:202]}).json()["code"]
        assert f"'{ids[200]}'" in code
        assert "esap.basket.items(" in code


def test_export_and_import_through_rest(hub: RunningHub, alice: str) -> None:
    with hub.user_api("alice", alice) as api:
        api.delete("basket").raise_for_status()
        api.post(
            "basket",
            json={
                "items": [{"kind": "data", "service": "s", "access_url": "https://a.org/1.fits"}]
            },
        ).raise_for_status()
        exported = api.get("basket/export", params={"format": "votable"})
        assert exported.headers["content-type"].startswith("application/x-votable+xml")
        api.delete("basket").raise_for_status()
        imported = api.post("basket/import", content=exported.content)
        assert imported.status_code == 201, imported.text
        assert imported.json()["total"] == 1
        text = api.get("basket/export").text
        broken = text.replace('"service": "s"', '"service": ""')
        rejected = api.post("basket/import", params={"name": "shared.json"}, content=broken)
        assert rejected.status_code == 400
        error = rejected.json()["error"]
        assert error["code"] == "import_rejected"
        assert "shared.json" in error["message"]
        assert "at the line named" in error["fix"]
        assert error["fix"] not in error["message"]
        assert "line 2 (item 1): service" in error["message"]


def _user_cookie_client(hub: RunningHub, name: str) -> httpx.Client:
    """A browser-like client logged in to the hub and to ``name``'s server (cookies only)."""
    client = httpx.Client(base_url=hub.url, timeout=60, follow_redirects=True)
    client.get("/hub/login")
    hub_xsrf = next(c.value for c in client.cookies.jar if c.name == "_xsrf")
    client.post(
        "/hub/login", data={"username": name, "password": hub.password, "_xsrf": hub_xsrf}
    ).raise_for_status()
    client.get(f"/user/{name}/lab").raise_for_status()  # the OAuth dance sets the user cookie
    return client


def test_cookie_writes_need_the_xsrf_token(hub: RunningHub, alice: str) -> None:
    client = _user_cookie_client(hub, "alice")
    try:
        api = "/user/alice/esap/api/v1/basket"
        assert client.get(api).status_code == 200  # reads need no XSRF token
        item = {"kind": "service", "service": "xsrf-check", "url": "https://x.org/tap"}
        refused = client.post(api, json={"items": [item]})
        assert refused.status_code == 403
        # the answer says what a REST client must send, not "Forbidden"
        error = refused.json()["error"]
        assert error["code"] == "xsrf_missing"
        assert "send the X-XSRFToken header with the _xsrf cookie's value" in error["message"]
        token = next(
            c.value
            for c in client.cookies.jar
            if c.name == "_xsrf" and c.path.startswith("/user/alice")
        )
        accepted = client.post(api, json={"items": [item]}, headers={"X-XSRFToken": token})
        assert accepted.status_code == 201, accepted.text
    finally:
        client.close()


def test_download_job_reports_progress_and_checks_the_file(
    hub: RunningHub, alice: str, files: str
) -> None:
    digest = hashlib.md5(PAYLOAD).hexdigest()  # noqa: S324 - what archives publish
    with hub.user_api("alice", alice) as api:
        api.delete("basket").raise_for_status()
        good = {
            "kind": "data",
            "service": "s",
            "access_url": f"{files}/cube.fits",
            "checksum": f"md5:{digest}",
        }
        # an ObsCore size is an estimate (kB): it must not refuse a complete file
        estimated = {"kind": "data", "service": "s", "access_url": f"{files}/m.fits", "size": 5}
        cut = {
            "kind": "data",
            "service": "s",
            "access_url": files.removesuffix("/files") + "/truncated/cut.fits",
        }
        ids = api.post("basket", json={"items": [good, estimated, cut]}).json()["ids"]
        outside = api.post("jobs/download", json={"ids": ids, "folder": "/etc"})
        assert outside.status_code == 400
        assert "outside your home" in outside.json()["error"]["message"]
        job = api.post("jobs/download", json={"ids": ids, "folder": "data/m31"})
        assert job.status_code == 202, job.text
        deadline = time.monotonic() + 60
        state = job.json()
        assert state["params"] == {"ids": ids, "folder": "data/m31"}
        while state["state"] in ("pending", "running") and time.monotonic() < deadline:
            time.sleep(0.2)
            state = api.get(f"jobs/download/{state['id']}").json()
    assert state["state"] == "error"
    assert state["error"]["message"].startswith("1 of 3 files failed: ")
    assert state["progress"]["done"] >= 2 * len(PAYLOAD)
    assert state["result"]["folder"] == "data/m31"
    first, second, third = state["result"]["files"]
    assert (first["state"], first["done"]) == ("done", len(PAYLOAD))
    assert (second["state"], second["done"]) == ("done", len(PAYLOAD))
    assert third["state"] == "error"
    assert f"expected {len(PAYLOAD)}" in third["error"]  # the length the server declared
    saved = hub.data_dir / "homes" / "alice" / "data" / "m31"
    assert (saved / "cube.fits").read_bytes() == PAYLOAD
    assert (saved / "m.fits").read_bytes() == PAYLOAD
    assert not (saved / "cut.fits").exists()


def test_an_interrupted_download_resumes_with_a_range_request(tmp_path: Path, files: str) -> None:
    item = DataItem(
        service="s",
        access_url=f"{files}/cube.fits",
        checksum=f"sha256:{hashlib.sha256(PAYLOAD).hexdigest()}",
    )
    target = tmp_path / "cube.fits"
    target.with_name("cube.fits.part").write_bytes(PAYLOAD[:1000])
    RangeCounting.seen.clear()
    assert fetch(item, target).read_bytes() == PAYLOAD
    assert RangeCounting.seen == ["bytes=1000-"]
    assert not target.with_name("cube.fits.part").exists()
    # a corrupt partial file fails the checksum and is not kept under the real name
    other = tmp_path / "bad.fits"
    other.with_name("bad.fits.part").write_bytes(b"x" * 1000)
    with pytest.raises(Exception, match="checksum"):
        fetch(item, other)
    assert not other.exists()
    assert not other.with_name("bad.fits.part").exists()


def test_a_download_cut_off_by_a_restart_resumes_from_its_part(
    tmp_path: Path, files: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    basket = Basket(tmp_path / "basket.db")
    (item_id,) = basket.add_many([DataItem(service="s", access_url=f"{files}/cube.fits")])
    store = JobStore(tmp_path / "jobs.db")
    # as a stopped server left it: running, its process gone, a part of the file fetched
    cut = store.create(download_jobs.KIND, {"ids": [item_id], "folder": "got"})
    store.update(download_jobs.KIND, cut.id, state="running")
    (tmp_path / "got").mkdir()
    (tmp_path / "got" / "cube.fits.part").write_bytes(PAYLOAD[:1000])
    RangeCounting.seen.clear()
    runner = Runner(store, [download_jobs.kind(lambda: basket)])
    assert [job.id for job in runner.recover()] == [cut.id]
    for _ in range(300):
        job = runner.get(download_jobs.KIND, cut.id)
        if not job.active:
            break
        time.sleep(0.1)
    assert job.state == "done", job.error
    assert (tmp_path / "got" / "cube.fits").read_bytes() == PAYLOAD
    assert RangeCounting.seen == ["bytes=1000-"]
    assert job.result["files"][0]["state"] == "done"
    assert job.done == len(PAYLOAD)


def test_a_resumed_transfer_cut_short_is_refused_by_its_declared_size(
    tmp_path: Path, files: str
) -> None:
    item = DataItem(
        service="s", access_url=files.removesuffix("/files") + "/truncated/cube.fits", size=5
    )
    target = tmp_path / "cube.fits"
    target.with_name("cube.fits.part").write_bytes(PAYLOAD[:1000])
    with pytest.raises(DownloadError, match=f"the server declared {len(PAYLOAD)} for this"):
        fetch(item, target)
    assert not target.exists()
    # the same file, whole, with the same (estimated) size: accepted
    whole = DataItem(service="s", access_url=f"{files}/cube.fits", size=5)
    assert fetch(whole, target).read_bytes() == PAYLOAD
