"""The all-VO search against a VO on loopback: a real RegTAP registry listing archive mirrors.

The registry is a second DaCHS server on the test archive's database whose
records list the archive's own services and six mirrors in front of it
(``harness.vo_mirrors``): two quick ones serving the same products (so the
combined view must hold each product once), a slow one, one that ignores
MAXREC, one that fails and one that hangs. Every expectation is recomputed
from the shipped CSV files; the keyword ``ESAP`` keeps the registry's
records of services off this machine out of every search.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_dachs import inside, overlapping

import esap.data
from esap.core.state import STATE_ENV
from esap.data import allvo
from esap.data.allvo import AllVoRequest, AllVoSearch, search_order
from esap.data.catalog import Catalog
from esap.data.registry_cache import RegistryCache, registry_lookup
from esap.data.request import BadField
from esap.data.results import ResultStore
from esap.data.searches import prepare
from esap.data.store import UserStore
from harness.dachs import csv_rows
from harness.faults import ERROR_TEXT
from harness.hub import RunningHub
from harness.vo_mirrors import ANSWERING, KEYWORD, MIRRORS, TIMEOUT, USER, VoMirrors

pytestmark = [
    pytest.mark.dachs,
    pytest.mark.filterwarnings("ignore:Unknown xsi.type:UserWarning"),
    pytest.mark.filterwarnings("ignore::pyvo.utils.xml.elements.UnknownElementWarning"),
]

M51 = (202.4696, 47.1952)
RADIUS = 0.3
KINDS = ("tap", "sia2", "scs")


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A state folder of the test's own (the registry's kept answers go there)."""
    monkeypatch.setenv(STATE_ENV, str(tmp_path / "state"))
    return tmp_path / "state"


def catalog_for(vo: VoMirrors, directory: Path, **settings: Any) -> Catalog:
    config = {
        "data_services": [],
        "resolver": {"type": "table", "targets": {"M51": list(M51)}},
        "all_vo": vo.config(**settings),
    }
    return Catalog(config, UserStore(directory / "data.sqlite"))


def request(**fields: Any) -> dict[str, Any]:
    return {
        "target": "M51",
        "radius": RADIUS,
        "all_vo": {"types": list(KINDS), "keywords": KEYWORD},
        **fields,
    }


def expected_services(vo: VoMirrors, kinds: tuple[str, ...] = KINDS) -> set[tuple[str, str]]:
    """(type, url) of every service the search must ask: the archive's own and the mirrors'."""
    found = {(kind, vo.own(kind)) for kind in kinds}
    found |= {(kind, vo.url(mirror, kind)) for mirror in MIRRORS for kind in kinds}
    return found


def by_url(events: list[dict[str, Any]], summary: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """The summary's entries by (type, url)."""
    return {(s["type"], s["url"]): s for s in summary["services"]}


def test_all_vo_search_streams_deduplicates_ranks_and_lists_failures(
    vo_mirrors: VoMirrors, state: Path, tmp_path: Path
) -> None:
    dachs = vo_mirrors.dachs
    images = csv_rows(dachs.images_csv)
    sources = inside(csv_rows(dachs.sources_csv), "ra", "dec", M51, RADIUS)
    centred = inside(images, "s_ra", "s_dec", M51, RADIUS)  # TAP: the centre in the cone
    touching = overlapping(images, M51, RADIUS)  # SIAv2: the footprint overlaps it
    assert sources
    assert centred
    assert len(touching) >= len(centred)
    store = ResultStore(tmp_path / "results.sqlite")
    catalog = catalog_for(vo_mirrors, tmp_path, concurrency=4)
    prepared = prepare(catalog, request(collection=dachs.collection), store=store)
    federation = prepared.federation
    asked = {(a.entry.type, a.entry.url) for a in federation.services}
    assert asked == expected_services(vo_mirrors)
    assert federation.concurrency == 4
    combined_id = prepared.all_vo.combined.result_id if prepared.all_vo else None
    assert combined_id is not None

    events: list[dict[str, Any]] = []
    grew_while_running = False
    for event in federation.events(prepared.extra_events()):
        events.append(event)
        if event["event"] == "rows" and not grew_while_running and event["unique"] > 0:
            # the combined result is readable while the others (the hanging mirror) still work
            for _ in range(100):
                if store.page(combined_id, 0, 1)["total"] > 0:
                    break
                time.sleep(0.05)
            assert store.page(combined_id, 0, 1)["total"] > 0
            assert len(federation.outcomes) < len(federation.services)
            grew_while_running = True
    assert grew_while_running

    kinds = [e["event"] for e in events]
    assert kinds[:4] == ["started", "resolved", "registry", "combined"]
    assert kinds[-2:] == ["summary", "done"]
    assert set(kinds[4:-2]) <= {"rows", "error"}
    assert len(kinds) == 6 + len(asked)
    registry = events[2]
    assert registry["registry"] == vo_mirrors.registry_url
    assert len(registry["services"]) == registry["matched"] == len(asked)
    assert [s["service"] for s in registry["services"]] == events[0]["services"]
    # a hundred first pages would make the stream hold what the result cache is for
    assert all(e["rows"] == [] for e in events if e["event"] == "rows")

    summary = events[-2]
    services = by_url(events, summary)
    dids = {r["obs_publisher_did"] for r in touching}
    for kind in KINDS:
        for mirror in ANSWERING:
            entry = services[(kind, vo_mirrors.url(mirror, kind))]
            assert entry["state"] == "rows", entry
            want = {"tap": len(centred), "sia2": len(touching), "scs": len(sources)}[kind]
            assert entry["rows"] == want, entry
        broken = services[(kind, vo_mirrors.url("broken", kind))]
        assert (broken["state"], broken["code"]) == ("error", "http_status")
        assert ERROR_TEXT in broken["message"]
        hung = services[(kind, vo_mirrors.url("hang", kind))]
        assert (hung["state"], hung["code"]) == ("timed_out", "timed_out")
        assert hung["duration_ms"] >= TIMEOUT * 1000
    assert summary["failed"] == 2 * len(KINDS)
    assert summary["answered"] == len(asked) - summary["failed"]

    # ranked: most rows first, the failed ones together at the end
    ranked = summary["services"]
    answered = [s for s in ranked if s["state"] == "rows"]
    assert ranked[: len(answered)] == answered
    assert [s["rows"] for s in answered] == sorted((s["rows"] for s in answered), reverse=True)

    # every product once in the combined view; catalogue rows (no product) all kept
    combined = store.page(combined_id, 0, 10_000)
    names = [c["name"] for c in combined["columns"]]
    rows = [dict(zip(names, row, strict=True)) for row in combined["rows"]]
    products = [r["product_id"] for r in rows if r["access_url"]]
    assert sorted(products) == sorted(dids)
    catalogue = [r for r in rows if not r["access_url"]]
    assert len(catalogue) == len(sources) * (len(ANSWERING) + 1)
    image_rows = sum(s["rows"] for s in answered if s["type"] != "scs")
    assert summary["combined"] == {
        "result_id": combined_id,
        "total": len(rows),
        "duplicates": image_rows - len(dids),
    }
    assert sum(s["unique"] for s in answered) == len(rows)
    # the facet: one service's rows of the combined view
    first = answered[0]["service"]
    faceted = store.page(combined_id, 0, 10_000, service=first)
    assert faceted["total"] == answered[0]["unique"]
    assert {row[0] for row in faceted["rows"]} == {first}

    # the service times are kept for the next search's order (the hanging ones start first)
    cache = RegistryCache(state / "registry.sqlite")
    kept = cache.expected([f"tap {vo_mirrors.url('hang', 'tap')}"])
    assert kept[f"tap {vo_mirrors.url('hang', 'tap')}"] >= TIMEOUT * 1000


def test_the_notebook_api_cuts_every_answer_at_maxrec_even_one_that_ignores_it(
    vo_mirrors: VoMirrors, state: Path, tmp_path: Path
) -> None:
    sources = inside(csv_rows(vo_mirrors.dachs.sources_csv), "ra", "dec", M51, RADIUS)
    maxrec = 3
    assert len(sources) > maxrec
    config = tmp_path / "esap.yaml"
    config.write_text(json.dumps({"data_services": [], "all_vo": vo_mirrors.config()}))
    found = esap.data.search_all_vo(
        ra=M51[0], dec=M51[1], radius=RADIUS, types=["scs"], keywords=KEYWORD, maxrec=maxrec,
        config=config,
    )  # fmt: skip
    assert isinstance(found, esap.data.AllVoResult)
    assert len(found.tables) == len(ANSWERING) + 1
    assert {len(table) for table in found.tables.values()} == {maxrec}
    summary = {row["url"]: row for row in found.summary}
    # the mirror that drops MAXREC made DaCHS send every source: cut here, and said so
    greedy = summary[vo_mirrors.url("greedy", "scs")]
    assert (greedy["rows"], greedy["truncated"]) == (maxrec, True)
    assert found.tables[greedy["service"]].meta["esap_truncated"] is True
    # the failures in one mapping; the combined view holds every answer's rows
    assert sorted(found.failed) == sorted(
        summary[vo_mirrors.url(m, "scs")]["service"] for m in ("broken", "hang")
    )
    assert len(found.combined) == maxrec * len(found.tables)
    assert set(found.combined["service"]) == set(found.tables)
    assert "failed or timed out" in repr(found)


def test_the_registry_answer_is_kept_and_refreshed_behind(
    vo_mirrors: VoMirrors, state: Path, tmp_path: Path
) -> None:
    catalog = catalog_for(vo_mirrors, tmp_path)
    calls: list[str] = []
    done = threading.Event()
    real = registry_lookup(30)

    def lookup(*args: Any) -> list[dict[str, Any]]:
        calls.append(args[1])
        try:
            return real(*args)
        finally:
            done.set()

    cache = RegistryCache()
    assert cache.path == state / "registry.sqlite"
    ask = AllVoRequest(("sia2", "scs"), KEYWORD, None)
    first = AllVoSearch.prepare(catalog, ask, None, cache=cache, lookup=lookup)
    assert calls == ["sia2", "scs"]
    assert {(s["type"], s["url"]) for s in first.services} == expected_services(
        vo_mirrors, ("sia2", "scs")
    )
    again = AllVoSearch.prepare(catalog, ask, None, cache=cache, lookup=lookup)
    assert calls == ["sia2", "scs"]  # the kept answer, not the registry
    assert again.services == first.services
    assert not again.refreshing
    # an answer older than cache_max_age is used as it is and fetched again behind
    stale = catalog_for(vo_mirrors, tmp_path, cache_max_age=0)
    done.clear()
    old = AllVoSearch.prepare(stale, AllVoRequest(("scs",), KEYWORD, None), None, cache=cache,
                              lookup=lookup)  # fmt: skip
    assert old.refreshing
    assert old.age > 0
    assert done.wait(60)
    assert calls[2:] == ["scs"]


def test_search_order_starts_the_fastest_then_the_unknown_then_the_slowest_first() -> None:
    services = [{"key": k} for k in ("a", "b", "c", "d", "e", "f")]
    expected = {"a": 50.0, "b": 3000.0, "c": 400.0, "d": 15000.0, "f": 20.0}
    order = [services[i]["key"] for i in search_order(services, expected, fast=2)]
    assert order == ["f", "a", "e", "d", "b", "c"]
    assert search_order(services, {}, fast=2) == list(range(len(services)))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"all_vo": {"types": ["ssa"]}}, "all_vo.types"),
        ({"all_vo": {"types": []}}, "all_vo.types"),
        ({"all_vo": {"waveband": "blue"}}, "all_vo.waveband"),
        ({"all_vo": {"colour": "red"}}, "all_vo.colour"),
        ({"all_vo": {}, "services": ["x"]}, "services"),
        ({"all_vo": "everything"}, "all_vo"),
    ],
)
def test_a_bad_all_vo_request_names_its_field(tmp_path: Path, body: dict[str, Any], field: str):
    catalog = Catalog({"data_services": []}, UserStore(tmp_path / "data.sqlite"))
    with pytest.raises(BadField) as caught:
        prepare(catalog, {"ra": 10.0, "dec": 20.0, **body})
    assert caught.value.field == field
    assert caught.value.fix


def test_the_command_line_writes_the_combined_view_and_sums_up_the_failures(
    vo_mirrors: VoMirrors, tmp_path: Path
) -> None:
    sources = inside(csv_rows(vo_mirrors.dachs.sources_csv), "ra", "dec", M51, RADIUS)
    config = tmp_path / "esap.yaml"
    config.write_text(json.dumps({"data_services": [], "all_vo": vo_mirrors.config()}))
    args = ["--ra", str(M51[0]), "--dec", str(M51[1]), "--radius", str(RADIUS), "--all-vo",
            "--type", "scs", "--keywords", KEYWORD, "--format", "csv"]  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "esap", "search", "--config", str(config), *args],
        capture_output=True,
        timeout=300,
        check=False,
        env={
            "ESAP_STATE_DIR": str(tmp_path / "state"),
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
        },
    )
    assert done.returncode == 0, done.stderr.decode()
    lines = done.stdout.decode().splitlines()
    assert lines[0].split(",")[:3] == ["service", "product_id", "title"]
    assert len(lines) - 1 == len(sources) * (len(ANSWERING) + 1)
    progress = done.stderr.decode()
    # the failures once, together, not a line each
    (failed,) = [line for line in progress.splitlines() if "failed or timed out" in line]
    assert failed.startswith("  2 failed or timed out:")
    assert "timed_out" in failed
    assert "http_status" in failed
    assert ERROR_TEXT not in progress


# ------------------------------------------------------------ through the REST API


@pytest.fixture(scope="module")
def api(vo_hub: RunningHub) -> Iterator[httpx.Client]:
    with vo_hub.user_api(USER, vo_hub.token_for(USER)) as client:
        client.timeout = httpx.Timeout(120)
        yield client


def stream(api: httpx.Client, body: dict[str, Any]) -> list[dict[str, Any]]:
    with api.stream("POST", "data/search", json=body) as answer:
        assert answer.status_code == 200, answer.read()
        return [json.loads(line) for line in answer.iter_lines() if line]


@pytest.mark.hub
def test_rest_search_pages_the_combined_result_by_facet_and_promotes_a_service(
    api: httpx.Client, vo_mirrors: VoMirrors
) -> None:
    body = {"ra": M51[0], "dec": M51[1], "radius": RADIUS,
            "all_vo": {"types": ["sia2"], "keywords": KEYWORD}}  # fmt: skip
    events = stream(api, body)
    assert [e["event"] for e in events[:3]] == ["started", "registry", "combined"]
    summary, done = events[-2:]
    assert (summary["event"], done["event"]) == ("summary", "done")
    combined = events[2]["result_id"]
    assert summary["combined"]["result_id"] == combined
    top = summary["services"][0]
    assert top["state"] == "rows"
    assert top["unique"] > 0
    page = api.get(f"data/results/{combined}", params={"service": top["service"], "limit": 1000})
    assert page.status_code == 200, page.text
    assert page.json()["total"] == top["unique"]
    assert {row[0] for row in page.json()["rows"]} == {top["service"]}
    # the facet of a result without a service column is a bad field
    own = next(e for e in events if e["event"] == "rows")
    answer = api.get(f"data/results/{own['result_id']}", params={"service": "x"})
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == "service"

    # promote: the summary's entry becomes one of the user's own services
    added = api.post(
        "data/services",
        json={"name": "promoted-sia", "type": top["type"], "url": top["url"],
              "title": top["title"], "description": top["description"]},
    )  # fmt: skip
    assert added.status_code == 201, added.text
    listed = {s["name"]: s for s in api.get("data/services").json()["services"]}
    assert listed["promoted-sia"]["source"] == "user"
    assert listed["promoted-sia"]["url"] == top["url"]
    history = api.get("data/history", params={"limit": 1}).json()["history"][0]
    assert history["request"]["all_vo"] == {"types": ["sia2"], "keywords": KEYWORD}
    assert set(history["summary"]) == {s["service"] for s in summary["services"]}
    assert allvo.KINDS.keys() >= set(history["request"]["all_vo"]["types"])
