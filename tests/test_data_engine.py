"""The data-discovery engine against the real archive (GAVO DaCHS) and failing services.

Expectations are recomputed from the shipped CSV files (helpers from
``test_dachs``), so a search that drops, duplicates or mangles rows fails.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import pyvo
from test_dachs import M31, M51, inside, overlapping

from esap.core.jobs import JobStore
from esap.core.runner import Runner
from esap.data import jobs
from esap.data.base import Query
from esap.data.catalog import Catalog
from esap.data.failures import failure
from esap.data.request import BadField, parse_query
from esap.data.resolver import ResolveError, SesameResolver, TableResolver, resolve
from esap.data.results import ResultStore
from esap.data.searches import prepare
from esap.data.searches import run as search_run
from esap.data.searches import stream as search_stream
from esap.data.store import UserStore
from esap.data.tap import TapService
from harness.dachs import csv_rows
from harness.faults import ERROR_TEXT
from harness.ports import free_port

pytestmark = [
    pytest.mark.dachs,
    pytest.mark.filterwarnings("ignore:Unknown xsi.type:UserWarning"),
    pytest.mark.filterwarnings("ignore::pyvo.utils.xml.elements.UnknownElementWarning"),
]


@pytest.fixture(scope="module")
def images(dachs):
    return csv_rows(dachs.images_csv)


@pytest.fixture(scope="module")
def sources(dachs):
    return csv_rows(dachs.sources_csv)


@pytest.fixture
def catalog(dachs, faults, tmp_path):
    """Every kind of service the engine meets: the archive's three faces and three failures."""
    config = {
        "data_services": [
            {"name": "tap", "type": "tap", "url": dachs.tap_url, "timeout": 60},
            {"name": "sia", "type": "sia2", "url": dachs.sia2_url, "timeout": 60},
            {"name": "scs", "type": "scs", "url": dachs.scs_url, "timeout": 60},
            {"name": "hang", "type": "tap", "url": faults.hang, "timeout": 1.0},
            {"name": "error", "type": "tap", "url": faults.error, "timeout": 60},
            {"name": "broken", "type": "tap", "url": faults.broken, "timeout": 60},
        ],
        "resolver": {"type": "table", "targets": {"M31": list(M31), "M 51": list(M51)}},
    }
    return Catalog(config, UserStore(tmp_path / "data.sqlite"))


@pytest.fixture
def results(tmp_path):
    return ResultStore(tmp_path / "results.sqlite")


def run(catalog, request, results=None):
    prepared = prepare(catalog, request, store=results)
    return prepared, list(prepared.federation.events(prepared.extra_events()))


def rows_of(event, column):
    index = [c["name"] for c in event["columns"]].index(column)
    return [row[index] for row in event["rows"]]


def test_tap_form_search_is_the_cone_of_the_shipped_rows(catalog, dachs, images):
    _, events = run(
        catalog,
        {"services": ["tap"], "target": "M31", "radius": 1.0, "collection": dachs.collection},
    )
    (rows,) = [e for e in events if e["event"] == "rows"]
    expected = inside(images, "s_ra", "s_dec", M31, 1.0)
    assert 0 < rows["total"] < len(images)
    assert sorted(rows_of(rows, "obs_id")) == sorted(r["obs_id"] for r in expected)
    roles = {c["name"]: c["role"] for c in rows["columns"] if c["role"]}
    assert roles == {
        "access_url": "access_url",
        "access_format": "format",
        "preview": "preview",
        "s_ra": "ra",
        "s_dec": "dec",
        "s_region": "region",
    }


def test_tap_band_time_and_text_filters(catalog, dachs, images):
    r_band = next(r for r in images if r["em_band"] == "r")
    # limits strictly between shipped values, so rounding never decides a row
    low, high = float(r_band["em_min"]), float(r_band["em_max"])
    band = (low + (high - low) / 10, high - (high - low) / 10)
    assert not any(float(r[k]) in band for r in images for k in ("em_min", "em_max"))
    times = sorted(float(r["t_min"]) for r in images)
    quarter, three = len(times) // 4, 3 * len(times) // 4
    start = (times[quarter] + times[quarter + 1]) / 2
    end = (times[three] + times[three + 1]) / 2
    expected = [
        r
        for r in images
        if float(r["em_min"]) <= band[1]
        and float(r["em_max"]) >= band[0]
        and float(r["t_min"]) <= end
        and float(r["t_max"]) >= start
        and ("m51" in r["obs_title"].lower() or "m51" in r["target_name"].lower())
    ]
    assert len(expected) > 0
    _, events = run(
        catalog,
        {
            "services": ["tap"],
            "band": list(band),
            "time": [str(start), str(end)],
            "text": "M51",
            "collection": dachs.collection,
        },
    )
    (rows,) = [e for e in events if e["event"] == "rows"]
    assert sorted(rows_of(rows, "obs_id")) == sorted(r["obs_id"] for r in expected)


def test_sia2_and_cone_search_through_their_adapters(catalog, images, sources):
    _, events = run(catalog, {"services": ["sia", "scs"], "target": "M 51", "radius": 0.3})
    by_service = {e["service"]: e for e in events if e["event"] == "rows"}
    assert sorted(rows_of(by_service["sia"], "obs_id")) == sorted(
        r["obs_id"] for r in overlapping(images, M51, 0.3)
    )
    assert sorted(rows_of(by_service["scs"], "source_id")) == sorted(
        r["source_id"] for r in inside(sources, "ra", "dec", M51, 0.3)
    )


def test_a_failing_service_never_costs_the_others_their_rows(catalog, dachs, images, results):
    prepared, events = run(
        catalog,
        {"target": "M31", "radius": 1.0, "services": ["hang", "error", "broken", "tap", "scs"]},
        results,
    )
    assert events[0] == {
        "event": "started",
        "search_id": prepared.federation.search_id,
        "services": ["hang", "error", "broken", "tap", "scs"],
    }
    assert events[1]["event"] == "resolved"
    assert events[-1]["event"] == "done"
    per_service = {e["service"]: e for e in events[2:-1]}
    assert len(per_service) == len(events) - 3 == 5
    assert per_service["hang"]["code"] == "timed_out"
    assert per_service["error"]["code"] == "http_status"
    assert ERROR_TEXT in per_service["error"]["message"]
    assert per_service["broken"]["code"] == "bad_answer"
    tap = per_service["tap"]
    expected = list(inside(images, "s_ra", "s_dec", M31, 1.0))
    assert tap["event"] == "rows"
    # the ObsCore view may hold other collections of this DaCHS: compare ours
    ours = [o for o in rows_of(tap, "obs_collection") if o == dachs.collection]
    assert len(ours) == len(expected)
    assert results.describe(tap["result_id"]).total == tap["total"]
    assert prepared.summary()["hang"] == "error"
    assert prepared.summary()["tap"] == tap["total"]


def test_a_search_is_in_the_history_once_however_it_ends(catalog, sources):
    """One engine call per search (notebook, shell, REST): recorded once, also when cut off."""
    request = {"target": "M31", "radius": 0.3, "services": ["scs", "error"]}
    history = catalog.store

    found = search_run(prepare(catalog, request, keep_tables=True))
    assert len(found.tables["scs"]) == len(list(inside(sources, "ra", "dec", M31, 0.3)))
    assert ERROR_TEXT in found.errors["error"]
    (entry,) = history.history(1000)
    assert entry["request"] == request
    assert entry["summary"] == {"scs": len(found.tables["scs"]), "error": "error"}

    def interrupt(event):
        if event["event"] == "started":
            raise KeyboardInterrupt  # a shell's Ctrl-C while the services work

    with pytest.raises(KeyboardInterrupt):
        search_run(prepare(catalog, request), on_event=interrupt)
    assert len(history.history(1000)) == 2

    async def first_event():  # a client that goes away after the first line
        async with contextlib.aclosing(search_stream(prepare(catalog, request))) as events:
            async for event in events:
                return event
        return None

    assert in_own_loop(first_event)["event"] == "started"
    assert len(history.history(1000)) == 3

    async def every_event():
        return [event async for event in search_stream(prepare(catalog, request))]

    assert in_own_loop(every_event)[-1]["event"] == "done"
    newest = history.history(1000)
    assert len(newest) == 4
    assert newest[0]["summary"]["error"] == "error"


def test_result_cache_pages_sorts_and_filters_like_the_shipped_rows(
    catalog, dachs, images, results
):
    _, events = run(
        catalog, {"services": ["tap"], "collection": dachs.collection, "maxrec": 100000}, results
    )
    (first,) = [e for e in events if e["event"] == "rows"]
    assert first["total"] == len(images)
    result_id = first["result_id"]
    seen = []
    for offset in range(0, len(images), 37):
        page = results.page(result_id, offset, 37)
        assert page["total"] == len(images)
        seen.extend(rows_of(page, "obs_id"))
    assert sorted(seen) == sorted(r["obs_id"] for r in images)
    by_ra = results.page(result_id, 0, 5, sort="s_ra", order="desc")
    expected = sorted(images, key=lambda r: float(r["s_ra"]), reverse=True)[:5]
    assert rows_of(by_ra, "obs_id") == [r["obs_id"] for r in expected]
    hostile = results.page(result_id, 0, 50, filter="<script>")
    (row,) = [r for r in images if "<script>" in r["obs_title"]]
    assert hostile["total"] == 1
    assert rows_of(hostile, "obs_title") == [row["obs_title"]]


def test_invalid_adql_comes_back_in_the_services_own_words(catalog, dachs):
    adapter = catalog.adapter("tap")
    assert isinstance(adapter, TapService)
    bad = "SELECT nosuchcolumn FROM ivoa.obscore"
    with pytest.raises(pyvo.dal.DALQueryError) as direct:
        pyvo.dal.TAPService(dachs.tap_url).run_sync(bad)
    with pytest.raises(pyvo.dal.DALQueryError) as ours:
        adapter.run_adql(bad)
    error = failure(ours.value, "tap")
    assert (error.code, error.status) == ("query_error", 400)
    assert error.message == str(direct.value.reason)
    assert "nosuchcolumn" in error.message


def test_tables_come_from_tap_schema(catalog, dachs, sources):
    tables = {t["name"]: t for t in catalog.adapter("tap").tables()}
    assert {dachs.obscore_table, dachs.sources_table} <= set(tables)
    columns = {c["name"]: c for c in tables[dachs.sources_table]["columns"]}
    assert set(sources[0]) <= set(columns)
    assert columns["ra"]["unit"] == "deg"


def test_async_job_survives_a_new_store_and_fetches_its_rows(catalog, dachs, images, tmp_path):
    results = ResultStore(tmp_path / "results.sqlite")
    store = JobStore(tmp_path / "jobs.db")
    query = f"SELECT obs_id FROM ivoa.obscore WHERE obs_collection = '{dachs.collection}'"  # noqa: S608
    job = jobs.record(store, catalog, "tap", query)  # as a notebook submits it
    reopened = JobStore(store.path)  # what a respawned server sees
    assert [j.id for j in reopened.list(jobs.KIND)] == [job.id]
    for _ in range(600):
        job = jobs.refresh(catalog, reopened, results, job.id)
        if jobs.phase(job) in jobs.FINAL:
            break
        time.sleep(0.1)
    assert jobs.phase(job) == "COMPLETED", job.error
    page = results.page(job.result["result_id"], 0, 10000)
    assert sorted(rows_of(page, "obs_id")) == sorted(r["obs_id"] for r in images)

    # as the user's server runs it: the runner follows the remote job to its rows
    runner = Runner(reopened, [jobs.kind(lambda: catalog, lambda: results)])
    followed = jobs.start(runner, catalog, "tap", query)
    for _ in range(600):
        followed = runner.get(jobs.KIND, followed.id)
        if not followed.active:
            break
        time.sleep(0.1)
    assert (followed.state, jobs.phase(followed)) == ("done", "COMPLETED"), followed.error
    assert results.exists(followed.result["result_id"])
    for done in (job, followed):
        runner.forget(jobs.KIND, done.id)  # the remote job is deleted with it
    assert reopened.list(jobs.KIND) == []


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        ({"ra": 400, "dec": 0}, "ra"),
        ({"ra": 10, "dec": -91}, "dec"),
        ({"ra": 10}, "dec"),
        ({"radius": 0}, "radius"),
        ({"radius": -1}, "radius"),
        ({"radius": "wide"}, "radius"),
        ({"time": ["yesterday", "2020-01-01"]}, "time"),
        ({"time": ["2021-01-01", "2020-01-01"]}, "time"),
        ({"band": [7e-7, 4e-7]}, "band"),
        ({"band": "optical"}, "band"),
        ({"maxrec": 0}, "maxrec"),
        ({"services": ["nowhere"]}, "services"),
        ({"target": "Nowhere Galaxy"}, "target"),
        ({"params": {"tap": {"table": "x; DROP"}}}, "params.tap.table"),
        ({"radius_deg": 1}, "radius_deg"),
    ],
)
def test_bad_input_names_the_field(catalog, request_, field):
    with pytest.raises(BadField) as caught:
        prepare(catalog, request_)
    assert caught.value.field == field
    assert not caught.value.message.startswith(f"{field}: ")  # the field is its own attribute
    assert caught.value.fix
    assert caught.value.fix not in caught.value.message  # said once
    # what a notebook or the shell shows: field, message and fix, each once
    assert str(caught.value) == f"{field}: {caught.value.message} — {caught.value.fix}"


def test_dates_parse_as_iso_or_mjd():
    query = parse_query({"time": ["2020-01-01", "58849.5"]})
    assert query.time == (58849.0, 58849.5)
    assert parse_query({}) == Query()


def test_resolvers_table_and_sesame_offline(monkeypatch):
    table = TableResolver(targets={"M 31": [10.6847, 41.269]})
    assert table.resolve("m31").as_dict() == {
        "target": "m31",
        "ra": 10.6847,
        "dec": 41.269,
        "resolver": "table",
    }
    with pytest.raises(ResolveError, match="not in this hub's target table"):
        resolve("M32", {"type": "table", "targets": {"M31": [1, 2]}})
    from astropy.coordinates import name_resolve

    closed = f"http://127.0.0.1:{free_port()}/sesame/"
    with name_resolve.sesame_url.set([closed]), pytest.raises(ResolveError, match="Sesame"):
        SesameResolver(timeout=5).resolve("M31")


def test_user_services_are_listed_after_the_admins(catalog, dachs):
    catalog.store.add_service("mine", "scs", dachs.scs_url, "My cone", "")
    catalog.store.add_service("tap", "scs", dachs.scs_url, "clash", "")
    listed = [(d["name"], d["source"], d["type"]) for d in catalog.describe()]
    assert listed[-1] == ("mine", "user", "scs")
    assert ("tap", "admin", "tap") in listed
    assert ("tap", "user", "scs") not in listed
    with pytest.raises(KeyError):
        catalog.store.add_service("mine", "scs", dachs.scs_url, "again", "")


def in_own_loop(make: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run a coroutine in an event loop of its own thread, as a server's loop runs apart.

    ``asyncio.run`` refuses a thread where another loop runs (a browser test's
    earlier in the same session may leave one), so the coroutine gets a thread.
    """
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()
