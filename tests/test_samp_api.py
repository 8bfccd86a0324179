"""SAMP's server side: capability links to tables, and tables a desktop tool sent.

Through a real hub and proxy: the link is created signed in and fetched with
no cookie and no token (as a desktop tool does); it serves only its table,
leaks no token, and ends. The link store's expiry and the VOTable built from
the result cache are checked without a server too.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from astropy.io.votable import parse_single_table
from astropy.table import MaskedColumn, Table

from esap.data.results import ResultStore, columns_of
from esap.samp import links, received
from esap.samp.tables import result_votable, stream_votable, votable_bytes
from harness.hub import RunningHub

ITEMS = [
    {"kind": "data", "service": "archive", "title": "first",
     "access_url": "https://archive.example.org/a.fits"},
    {"kind": "data", "service": "archive", "title": "second",
     "access_url": "https://archive.example.org/b.fits"},
]  # fmt: skip


def _bare(hub: RunningHub, path: str) -> httpx.Response:
    """GET through the proxy with no cookie and no token, as a desktop tool does."""
    with httpx.Client(timeout=30, follow_redirects=False) as tool:
        return tool.get(f"{hub.url}/user/alice/esap/api/v1/{path}")


@pytest.mark.hub
def test_a_link_serves_its_table_without_sign_in_and_leaks_no_token(
    hub: RunningHub, alice: str
) -> None:
    with hub.user_api("alice", alice) as api:
        api.delete("basket").raise_for_status()
        ids = api.post("basket", json={"items": ITEMS}).json()["ids"]
        assert api.post("samp/links", json={"basket_ids": ids[:1]}).status_code == 201
        answer = api.post("samp/links", json={"basket_ids": ids, "name": "two files"})
        assert answer.status_code == 201, answer.text
        link = answer.json()
        # nothing in the answer is the user's token or looks like a credential
        assert alice not in answer.text
        assert set(link) == {"id", "path", "name", "table_id", "expires"}
        assert re.fullmatch(r"samp/tables/[A-Za-z0-9_-]{43}\.vot", link["path"])

        # without sign-in, links cannot be made
        with hub.user_api("alice", None) as anonymous:
            refused = anonymous.post("samp/links", json={"basket_ids": ids})
            assert refused.status_code == 403

    fetched = _bare(hub, link["path"])
    assert fetched.status_code == 200, fetched.text
    assert fetched.headers["Content-Type"] == "application/x-votable+xml"
    assert fetched.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in fetched.headers
    table = parse_single_table(io.BytesIO(fetched.content)).to_table()
    assert list(table["title"]) == ["first", "second"]
    assert alice not in fetched.text

    # an unknown id (even one a character off) is refused, saying how to get a fresh link
    other = link["path"].replace(
        link["id"], link["id"][:-1] + ("A" if link["id"][-1] != "A" else "B")
    )
    missing = _bare(hub, other)
    assert missing.status_code == 404
    assert "send the table" in missing.json()["error"]["fix"]
    assert _bare(hub, "samp/tables/short.vot").status_code == 404


@pytest.mark.hub
def test_a_link_expires(hub: RunningHub, alice: str) -> None:
    with hub.user_api("alice", alice) as api:
        ids = api.post("basket", json={"items": ITEMS[:1]}).json()["ids"]
        link = api.post("samp/links", json={"basket_ids": ids, "ttl": 0.5}).json()
        for bad in (0, -1, 3601, "soon", True):
            answer = api.post("samp/links", json={"basket_ids": ids, "ttl": bad})
            assert answer.status_code == 400
            assert answer.json()["error"]["field"] == "ttl"
    deadline = time.monotonic() + 30
    while (status := _bare(hub, link["path"]).status_code) == 200:
        assert time.monotonic() < deadline, "the link did not expire"
        time.sleep(0.25)
    assert status == 404


@pytest.mark.hub
def test_bad_link_requests_name_the_field(hub: RunningHub, alice: str) -> None:
    with hub.user_api("alice", alice) as api:
        cases = {
            "body": {},
            "result_id": {"result_id": "nosuchresult"},
            "basket_ids": {"basket_ids": ["nosuchitem"]},
            "rows": {"result_id": "x", "rows": [-1]},
            "query": {"result_id": "x", "query": {"drop": 1}},
        }
        for field, body in cases.items():
            answer = api.post("samp/links", json=body)
            assert answer.status_code in (400, 404), (field, answer.text)
            error = answer.json()["error"]
            assert error["field"] == field, (field, error)
            assert error["message"], (field, error)
            assert error["fix"], (field, error)


@pytest.mark.hub
def test_a_received_table_is_kept_and_added_to_the_basket(hub: RunningHub, alice: str) -> None:
    sent = Table({"ra": [1.5, 2.5, 3.5], "name": ["a", "b", "c"]})
    body = votable_bytes(sent)
    with hub.user_api("alice", alice) as api:
        answer = api.post(
            "samp/received",
            params={"name": "from TOPCAT", "sender": "topcat"},
            content=body,
            headers={"Content-Type": received.MEDIA_TYPE},
        )
        assert answer.status_code == 201, answer.text
        kept = answer.json()
        assert (kept["rows"], kept["columns"]) == (3, ["ra", "name"])
        item = api.get(f"basket/items/{kept['id']}").json()
        assert (item["service"], item["title"]) == ("samp", "from TOPCAT")
        assert item["fields"]["sender"] == "topcat"
        assert item["access_url"].startswith("file://")
        assert item["access_url"].endswith(".vot")
        assert urlparse(item["access_url"]).path.split("/")[-2] == "samp"
        # the same table again is the same item
        again = api.post("samp/received", params={"name": "x"}, content=body)
        assert again.json()["id"] == kept["id"]

        for bad in (b"", b"<html>not a table</html>"):
            refused = api.post("samp/received", content=bad)
            assert refused.status_code == 400
            assert refused.json()["error"]["code"] == "bad_table"
            assert refused.json()["error"]["field"] == "body"


def test_link_store_forgets_links_when_they_expire() -> None:
    now = [1000.0]
    store = links.LinkStore(clock=lambda: now[0])
    link = store.issue("t", {"basket_ids": ["a"]}, ttl=60)
    assert store.get(link.id) == link
    assert len(link.id) >= 43  # 256 random bits
    now[0] += 59.9
    assert store.get(link.id).name == "t"
    now[0] += 0.1
    with pytest.raises(links.LinkNotFound):
        store.get(link.id)
    with pytest.raises(links.LinkNotFound):
        store.get("unknown")
    with pytest.raises(ValueError, match="ttl"):
        store.issue("t", {}, ttl=links.MAX_TTL + 1)


def test_a_selection_is_served_in_the_views_order(tmp_path: Path) -> None:
    results = ResultStore(tmp_path / "results.sqlite")
    ra = MaskedColumn([3.0, 1.0, 2.0, 0.0], mask=[False, False, False, True], unit="deg")
    table = Table({"obs_id": ["c", "a", "b", "d"], "s_ra": ra})
    stored = results.put("svc", table, columns_of(table, {}))
    source = {"result_id": stored.id, "rows": [3, 1], "query": {"sort": "obs_id"}}
    served = read(result_votable(results, source, "two"))
    assert list(served["obs_id"]) == ["d", "b"]  # view rows 3 and 1 of the sorted view
    assert str(served["s_ra"].unit) == "deg"
    everything = read(result_votable(results, {"result_id": stored.id, "rows": None}, "all"))
    assert list(everything["obs_id"]) == ["c", "a", "b", "d"]
    assert everything["s_ra"].mask[3]


def read(pieces: Iterable[bytes]) -> Table:
    return parse_single_table(io.BytesIO(b"".join(pieces))).to_table()


def test_a_table_streams_chunk_by_chunk_under_one_header() -> None:
    columns = [
        {"name": "obs_id", "datatype": "char", "unit": None, "ucd": "meta.id", "description": None},
        {"name": "n", "datatype": "long", "unit": None, "ucd": None, "description": None},
    ]
    chunks = [[["a", 1], ["b", None]], [], [["a much longer identifier", 3]]]
    pieces = list(stream_votable(columns, chunks, "chunked"))
    assert len(pieces) == 4  # header, the rows of the two non-empty chunks, footer
    table = read(pieces)
    assert list(table["obs_id"]) == ["a", "b", "a much longer identifier"]
    assert list(table["n"].filled(-1)) == [1, -1, 3]
    assert read(stream_votable(columns, [], "empty")).colnames == ["obs_id", "n"]
