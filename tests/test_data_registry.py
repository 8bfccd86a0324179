"""IVOA registry search against a real RegTAP service: the test DaCHS's schema ``rr``.

The session's DaCHS publishes the RegTAP tables of ``registry.rd`` (records
from ``registry_resources.csv`` and ``registry_capabilities.csv``); the test
archive's own records carry the answering server's URL.  Every expectation
is recomputed from those CSV files with the RegTAP semantics pyvo's
constraints ask for (a keyword is a word of the title or description, or
part of a subject; a waveband is one of the ``#``-separated messengers), so
a registry that drops, adds or mangles records fails.

The REST test and the browser test run the whole happy path on a hub whose
configured registry is that DaCHS: find the test archive's TAP service, add
it to the user's own list (which a new server keeps), and get its rows from
a federated search.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect
from test_dachs import inside

from esap.data.registry import SERVICE_TYPES, find_services
from harness.browser import log_in, open_side_panel
from harness.dachs import SERVER_URL_PLACEHOLDER, DachsService, csv_rows
from harness.hub import RunningHub, hub_config, start_hub

pytestmark = [
    pytest.mark.dachs,
    # pyvo does not model DaCHS's capability extensions; harmless
    pytest.mark.filterwarnings("ignore:Unknown xsi.type:UserWarning"),
    pytest.mark.filterwarnings("ignore::pyvo.utils.xml.elements.UnknownElementWarning"),
]

USER = "rhea"
#: The user of the browser test (a user of their own: their service list starts empty).
LAB_USER = "lyra"
M31 = (10.6847, 41.2690)
#: How long an answer may take to reach the browser (DaCHS on two busy cores).
SERVER = 60_000

#: What each ESAP adapter type's standard id looks like (RegTAP lower-cases ids).
STANDARDS = {
    "tap": lambda sid: sid == "ivo://ivoa.net/std/tap",
    "sia2": lambda sid: sid.startswith("ivo://ivoa.net/std/sia#query-2."),
    "scs": lambda sid: sid == "ivo://ivoa.net/std/conesearch",
    "ssa": lambda sid: sid == "ivo://ivoa.net/std/ssa",
}

Entry = tuple[str, str, str]  # (ivoid, ESAP type, access URL)


class Shipped:
    """The shipped registry records, and what a search must find among them."""

    def __init__(self, dachs: DachsService) -> None:
        self.resources = {r["ivoid"]: r for r in csv_rows(dachs.registry_resources_csv)}
        self.entries: list[Entry] = []
        for cap in csv_rows(dachs.registry_capabilities_csv):
            kinds = [k for k, matches in STANDARDS.items() if matches(cap["standard_id"])]
            url = cap["access_url"].replace(SERVER_URL_PLACEHOLDER, dachs.base_url)
            self.entries.extend((cap["ivoid"], kind, url) for kind in kinds)
        pairs = [(ivoid, kind) for ivoid, kind, _ in self.entries]
        # find_services lists one interface per resource and type
        assert len(pairs) == len(set(pairs)), "one capability per resource and type, please"

    def matching(
        self, keyword: str | None = None, kind: str | None = None, band: str | None = None
    ) -> set[Entry]:
        """The entries a registry search with these constraints must return.

        A keyword is matched as a whole word; the server's ``ivo_hasword``
        also matches other English forms of it (``archives``), so the
        shipped texts hold the keywords the tests use in one form only.
        """
        found = set()
        for ivoid, entry_kind, url in self.entries:
            record = self.resources[ivoid]
            if keyword is not None:
                words = re.compile(rf"\b{re.escape(keyword)}\b", re.IGNORECASE)
                text = record["res_title"] + " " + record["res_description"]
                subjects = record["subjects"].lower().split("#")
                if not words.search(text) and not any(keyword.lower() in s for s in subjects):
                    continue
            if kind is not None and entry_kind != kind:
                continue
            if band is not None and band not in record["waveband"].lower().split("#"):
                continue
            found.add((ivoid, entry_kind, url))
        # a constraint that keeps everything or nothing proves little
        assert found, (keyword, kind, band)
        assert found != set(self.entries), (keyword, kind, band)
        return found


@pytest.fixture(scope="module")
def shipped(dachs: DachsService) -> Shipped:
    return Shipped(dachs)


def search(dachs: DachsService, **constraints: str) -> set[Entry]:
    """find_services against the test registry, as (ivoid, type, url) triples."""
    found = find_services(registry_url=dachs.registry_url, **constraints)
    entries = [(e["ivoid"], e["type"], e["url"]) for e in found]
    assert len(entries) == len(set(entries)), f"duplicates in {entries}"
    return set(entries)


def test_registry_search_by_keyword(dachs, shipped):
    assert search(dachs, keywords="radio") == shipped.matching(keyword="radio")


def test_registry_search_by_service_type(dachs, shipped):
    for kind in SERVICE_TYPES:
        assert search(dachs, servicetype=kind) == shipped.matching(kind=kind), kind


def test_registry_search_by_waveband_and_all_constraints_together(dachs, shipped):
    assert search(dachs, waveband="optical") == shipped.matching(band="optical")
    both = search(dachs, keywords="continuum", servicetype="sia2", waveband="radio")
    assert both == shipped.matching(keyword="continuum", kind="sia2", band="radio")


def test_test_archive_records_point_at_the_answering_server(dachs):
    found = {(e["type"], e["url"]) for e in find_services(
        keywords="ESAP", registry_url=dachs.registry_url)}  # fmt: skip
    assert {("tap", dachs.tap_url), ("sia2", dachs.sia2_url), ("scs", dachs.scs_url)} <= found


# ------------------------------------------------------------ through the hub


@pytest.fixture(scope="module")
def registry_hub(
    tmp_path_factory: pytest.TempPathFactory, dachs: DachsService
) -> Iterator[RunningHub]:
    """A hub whose only admin service is the test registry (``esap.yaml``'s registry entry)."""
    directory = tmp_path_factory.mktemp("registry-hub")
    registry = {"name": "registry", "type": "registry", "url": dachs.registry_url,
                "title": "Test registry", "timeout": 60}  # fmt: skip
    running = start_hub(directory, hub_config(directory, {"data_services": [registry]}))
    try:
        running.start_server(USER)
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def api(registry_hub: RunningHub) -> Iterator[httpx.Client]:
    with registry_hub.user_api(USER, registry_hub.token_for(USER)) as client:
        client.timeout = httpx.Timeout(120)
        yield client


def stream(api: httpx.Client, request: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The per-service events of one federated search, by service name."""
    with api.stream("POST", "data/search", json=request) as answer:
        assert answer.status_code == 200, answer.read()
        events = [json.loads(line) for line in answer.iter_lines() if line]
    assert events[0]["event"] == "started"
    assert events[-1]["event"] == "done"
    return {e["service"]: e for e in events if "service" in e}


def column(event: dict[str, Any], name: str) -> list[Any]:
    index = [c["name"] for c in event["columns"]].index(name)
    return [row[index] for row in event["rows"]]


@pytest.mark.hub
def test_found_tap_service_is_added_and_searched_with_the_others(api, registry_hub, dachs, shipped):
    answer = api.get("data/registry", params={"keywords": "radio", "servicetype": "tap"})
    assert answer.status_code == 200, answer.text
    listed = answer.json()["services"]
    found = {(s["ivoid"], s["type"], s["url"]) for s in listed}
    assert found == shipped.matching(keyword="radio", kind="tap")

    answer = api.get("data/registry", params={"keywords": "catalogue", "servicetype": "tap"})
    assert answer.status_code == 200, answer.text
    (mine,) = [s for s in answer.json()["services"] if s["url"] == dachs.tap_url]
    assert mine["title"] == shipped.resources[mine["ivoid"]]["res_title"]
    added = api.post(
        "data/services",
        json={"name": "found-tap", "type": mine["type"], "url": mine["url"],
              "title": mine["title"], "description": mine["description"]},
    )  # fmt: skip
    assert added.status_code == 201, added.text
    assert added.json()["source"] == "user"
    # the user's list lives in the home: a new server keeps it
    registry_hub.stop_server(USER)
    registry_hub.start_server(USER)
    names = [s["name"] for s in api.get("data/services").json()["services"]]
    assert names == ["registry", "found-tap"]

    # no service list: every enabled service, the admin's registry and the user's own
    images = csv_rows(dachs.images_csv)
    by_service = stream(api, {"ra": M31[0], "dec": M31[1], "radius": 1.0,
                              "collection": dachs.collection, "maxrec": 10000})  # fmt: skip
    assert set(by_service) == {"registry", "found-tap"}
    rows = by_service["found-tap"]
    assert rows["event"] == "rows", rows
    expected = sorted(r["obs_id"] for r in inside(images, "s_ra", "s_dec", M31, 1.0))
    assert sorted(column(rows, "obs_id")) == expected
    assert rows["total"] == len(expected)
    # the registry as a data service answers free text, and says so without it
    assert by_service["registry"]["code"] == "not_applicable"
    resources = stream(api, {"text": "radio", "services": ["registry"]})["registry"]
    assert resources["event"] == "rows", resources
    found = set(zip(column(resources, "ivoid"), column(resources, "type"),
                    column(resources, "url"), strict=True))  # fmt: skip
    assert found == shipped.matching(keyword="radio")


@pytest.mark.hub
@pytest.mark.browser
def test_registry_hit_is_added_in_the_data_panel_and_searched(
    page: Page, registry_hub: RunningHub, dachs: DachsService, shipped: Shipped
) -> None:
    expected = shipped.matching(keyword="archive", kind="tap")
    (mine,) = [ivoid for ivoid, _, url in expected if url == dachs.tap_url]
    log_in(page, registry_hub, LAB_USER)
    panel = page.locator("#esap-data")
    # the admin's registry (a RegTAP service answers free text), none of the user's own
    open_side_panel(page, "esap-data", panel.locator('[data-esap-service="registry"]'))
    expect(panel.locator('[data-esap-source="user"]')).to_have_count(0)
    panel.locator(".jp-AccordionPanel-title", has_text="Registry").click()
    registry = panel.locator('[data-esap-section="registry"]')
    registry.get_by_label("Registry keywords").fill("archive")
    registry.get_by_label("Service type").select_option("tap")
    registry.locator("button[type=submit]").click()

    hits = registry.locator(".esap-RegistryHit")
    expect(hits).to_have_count(len(expected), timeout=SERVER)
    shown = {hits.nth(i).get_attribute("data-esap-ivoid") for i in range(len(expected))}
    assert shown == {ivoid for ivoid, _, _ in expected}
    hit = registry.locator(f'.esap-RegistryHit[data-esap-ivoid="{mine}"]')
    expect(hit.locator(".esap-RegistryHit-url")).to_have_text(dachs.tap_url)
    hit.get_by_role("button", name="Add to my services").click()
    expect(hit).to_contain_text("in my services", timeout=SERVER)

    added = panel.locator('[data-esap-service][data-esap-source="user"]')
    expect(added).to_have_count(1, timeout=SERVER)
    name = added.get_attribute("data-esap-service")
    radius = 0.5
    rows = inside(csv_rows(dachs.images_csv), "s_ra", "s_dec", M31, radius)
    panel.locator('[data-esap-mode="coords"]').click()
    panel.locator("#esap-data-ra").fill(str(M31[0]))
    panel.locator("#esap-data-dec").fill(str(M31[1]))
    panel.locator("#esap-data-radius").fill(str(radius))
    panel.locator(".esap-SearchButton").click()
    status = panel.locator(f'[data-esap-service-status="{name}"]')
    expect(status).to_have_attribute("data-esap-state", "rows", timeout=SERVER)
    expect(status).to_contain_text(f"{len(rows)} rows")
