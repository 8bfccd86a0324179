"""The data-discovery REST API through a real hub, against the real archive and failing services.

Expectations come from the shipped CSV files; failures come from the fault
server. No test measures time: the streaming test proves that events are
flushed one by one by reading a service's rows while another service is
still being held open by the test.
"""

from __future__ import annotations

import json
import time

import pytest
import pyvo
from test_dachs import inside

from harness.dachs import csv_rows
from harness.data_hub import HELD, TARGETS
from harness.faults import ERROR_TEXT, HELD_TEXT

pytestmark = [pytest.mark.hub, pytest.mark.dachs]

M31 = tuple(TARGETS["M31"])


@pytest.fixture(scope="module")
def images(data_hub):
    return csv_rows(data_hub.dachs.images_csv)


@pytest.fixture(scope="module")
def api(data_hub):
    with data_hub.client() as client:
        yield client


def column(event, name):
    index = [c["name"] for c in event["columns"]].index(name)
    return [row[index] for row in event["rows"]]


def stream(api, request):
    """The events of one search, parsed line by line as they arrive."""
    with api.stream("POST", "data/search", json=request) as answer:
        assert answer.status_code == 200, answer.read()
        assert answer.headers["content-type"].startswith("application/x-ndjson")
        return [json.loads(line) for line in answer.iter_lines() if line]


def test_services_lists_the_admins_services_with_their_schemas(api):
    answer = api.get("data/services")
    assert answer.status_code == 200
    services = {s["name"]: s for s in answer.json()["services"]}
    tap = services["local-tap"]
    assert tap["source"] == "admin"
    assert tap["type"] == "tap"
    assert tap["title"] == "Test archive (TAP)"
    assert set(tap["capabilities"]) == {"search", "adql", "async", "tables"}
    assert tap["query_schema"]["properties"]["table"]["default"] == "ivoa.obscore"
    assert services["local-scs"]["capabilities"] == ["search"]
    assert services["hanging"]["enabled"] is False


def test_search_streams_rows_and_isolates_every_failure(api, data_hub, images):
    events = stream(
        api,
        {
            "target": "M31",
            "radius": 1.0,
            "collection": data_hub.dachs.collection,
            "services": ["local-tap", "failing", "broken-votable", "hanging"],
        },
    )
    assert events[0]["event"] == "started"
    assert events[0]["services"] == ["local-tap", "failing", "broken-votable", "hanging"]
    assert events[1] == {"event": "resolved", "target": "M31", "ra": M31[0], "dec": M31[1],
                         "resolver": "table"}  # fmt: skip
    assert events[-1] == {
        "event": "done",
        "search_id": events[0]["search_id"],
        "elapsed_ms": events[-1]["elapsed_ms"],
    }
    by_service = {e["service"]: e for e in events[2:-1]}
    assert len(by_service) == 4
    rows = by_service["local-tap"]
    expected = sorted(r["obs_id"] for r in inside(images, "s_ra", "s_dec", M31, 1.0))
    assert sorted(column(rows, "obs_id")) == expected
    assert rows["total"] == len(expected)
    failing = by_service["failing"]
    assert failing["code"] == "http_status"
    assert failing["message"].endswith(f"answered HTTP 500: {ERROR_TEXT}")
    assert "failed on its side" in failing["fix"]
    assert by_service["broken-votable"]["code"] == "bad_answer"
    assert "is not a valid VOTable" in by_service["broken-votable"]["message"]
    hanging = by_service["hanging"]
    assert hanging["code"] == "timed_out"
    assert hanging["message"].endswith("within 2 s")
    assert "raise the timeout of hanging" in hanging["fix"]


def test_events_are_flushed_as_each_service_answers(api, data_hub):
    """local-tap's rows arrive while 'held' is still held open by this test."""
    request = {"target": "M51", "radius": 0.5, "services": ["held", "local-tap"]}
    seen = []
    with api.stream("POST", "data/search", json=request) as answer:
        lines = answer.iter_lines()
        for line in lines:
            seen.append(json.loads(line))
            if seen[-1].get("service") == "local-tap":
                break
        assert [e["event"] for e in seen] == ["started", "resolved", "rows"]
        data_hub.faults.release(HELD)
        seen.extend(json.loads(line) for line in lines if line)
    held = seen[3]
    assert held["service"] == "held"
    assert held["code"] == "http_status"
    assert "answered HTTP 503: " + HELD_TEXT in held["message"]
    assert seen[-1]["event"] == "done"


def test_results_page_sort_filter_and_markup_stays_text(api, data_hub, images):
    events = stream(
        api, {"services": ["local-tap"], "collection": data_hub.dachs.collection, "maxrec": 10000}
    )
    (rows,) = [e for e in events if e["event"] == "rows"]
    assert rows["total"] == len(images)
    assert len(rows["rows"]) == min(200, len(images))
    result = rows["result_id"]
    last = api.get(f"data/results/{result}", params={"offset": len(images) - 3, "limit": 50})
    assert last.status_code == 200
    assert len(last.json()["rows"]) == 3
    ordered = api.get(
        f"data/results/{result}", params={"sort": "obs_id", "order": "desc", "limit": 4}
    ).json()
    assert column(ordered, "obs_id") == sorted((r["obs_id"] for r in images), reverse=True)[:4]
    hostile = api.get(f"data/results/{result}", params={"filter": "<script>"})
    assert hostile.headers["content-type"].startswith("application/json")
    (row,) = [r for r in images if "<script>" in r["obs_title"]]
    assert hostile.json()["total"] == 1
    assert column(hostile.json(), "obs_title") == [row["obs_title"]]
    missing = api.get("data/results/0123456789abcdef")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    bad = api.get(f"data/results/{result}", params={"sort": "nosuchcolumn"})
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "sort"
    assert "obs_id" in bad.json()["error"]["fix"]  # the columns to sort by


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        ({"ra": 361, "dec": 0}, "ra"),
        ({"ra": 10, "dec": 95}, "dec"),
        ({"ra": 10, "dec": 41, "radius": 0}, "radius"),
        ({"ra": 10, "dec": 41, "radius": -1}, "radius"),
        ({"time": ["last tuesday", "2020-01-01"]}, "time"),
        ({"services": ["no-such-service"]}, "services"),
        ({"target": "Andromeda Strain"}, "target"),
    ],
)
def test_bad_search_input_is_a_400_naming_the_field(api, request_, field):
    answer = api.post("data/search", json=request_)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "bad_field"
    assert error["field"] == field
    assert not error["message"].startswith(f"{field}: ")  # the field is its own key
    assert error["fix"]
    assert error["fix"] not in error["message"]  # said once, in fix


def test_adql_runs_and_invalid_adql_is_the_services_own_text(api, data_hub, images):
    good = api.post(
        "data/adql",
        json={
            "service": "local-tap",
            "query": "SELECT obs_id FROM ivoa.obscore WHERE obs_collection = "  # noqa: S608
            f"'{data_hub.dachs.collection}'",
        },
    )
    assert good.status_code == 200
    assert good.json()["total"] == len(images)
    everything = api.get(f"data/results/{good.json()['result_id']}", params={"limit": 10000})
    assert sorted(column(everything.json(), "obs_id")) == sorted(r["obs_id"] for r in images)
    bad_query = "SELECT FROM WHERE ivoa.obscore"
    with pytest.raises(pyvo.dal.DALQueryError) as direct:
        pyvo.dal.TAPService(data_hub.dachs.tap_url).run_sync(bad_query)
    bad = api.post("data/adql", json={"service": "local-tap", "query": bad_query})
    assert bad.status_code == 400
    assert bad.json()["error"]["message"] == str(direct.value.reason)
    down = api.post("data/adql", json={"service": "failing", "query": "SELECT 1"})
    assert down.status_code == 502
    assert ERROR_TEXT in down.json()["error"]["message"]


def test_tables_of_a_tap_service(api, data_hub):
    answer = api.get("data/services/local-tap/tables")
    assert answer.status_code == 200
    tables = {t["name"]: t for t in answer.json()["tables"]}
    columns = {c["name"] for c in tables[data_hub.dachs.sources_table]["columns"]}
    assert set(csv_rows(data_hub.dachs.sources_csv)[0]) <= columns
    assert api.get("data/services/local-scs/tables").status_code == 400
    assert api.get("data/services/nowhere/tables").status_code == 404


def test_async_job_survives_a_server_restart(api, data_hub, images):
    query = (
        "SELECT obs_id FROM ivoa.obscore "  # noqa: S608
        f"WHERE obs_collection = '{data_hub.dachs.collection}'"
    )
    created = api.post("jobs/query", json={"service": "local-tap", "query": query})
    assert created.status_code == 202, created.text
    job = created.json()
    assert job["params"] == {"service": "local-tap", "query": query, "maxrec": None}
    assert job["result"]["phase"] == "QUEUED"
    data_hub.hub.stop_server(data_hub.user)
    data_hub.hub.start_server(data_hub.user)
    assert [j["id"] for j in api.get("jobs/query").json()["jobs"]] == [job["id"]]
    for _ in range(300):  # the restarted server follows the job again
        job = api.get(f"jobs/query/{job['id']}").json()
        if job["state"] not in ("pending", "running"):
            break
        time.sleep(0.2)
    assert job["state"] == "done", job
    assert job["result"]["phase"] == "COMPLETED"
    page = api.get(f"data/results/{job['result']['result_id']}", params={"limit": 10000}).json()
    assert sorted(column(page, "obs_id")) == sorted(r["obs_id"] for r in images)
    assert api.delete(f"jobs/query/{job['id']}").status_code == 204
    assert api.get("jobs/query").json()["jobs"] == []
    bad = api.post("jobs/query", json={"service": "local-scs", "query": "SELECT 1"})
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "service"


def test_history_records_each_search(api):
    before = api.get("data/history", params={"limit": 1000}).json()["history"]
    stream(api, {"target": "Crab", "radius": 0.2, "services": ["local-scs", "failing"]})
    after = api.get("data/history", params={"limit": 1000}).json()["history"]
    assert len(after) == len(before) + 1
    newest = after[0]
    assert newest["request"] == {
        "target": "Crab",
        "radius": 0.2,
        "services": ["local-scs", "failing"],
    }
    assert newest["summary"]["failing"] == "error"
    assert isinstance(newest["summary"]["local-scs"], int)


def test_resolve_and_registry(api):
    found = api.get("data/resolve", params={"name": "m 31"})
    assert found.json() == {"target": "m 31", "ra": M31[0], "dec": M31[1], "resolver": "table"}
    missing = api.get("data/resolve", params={"name": "Nowhere"})
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_resolved"
    assert missing.json()["error"]["field"] == "name"
    assert "'Nowhere'" in missing.json()["error"]["message"]
    down = api.get("data/registry", params={"keywords": "lofar"})
    assert down.status_code == 502
    assert ERROR_TEXT in down.json()["error"]["message"]
    bad = api.get("data/registry", params={"servicetype": "ftp"})
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "servicetype"


def test_user_services_are_added_searched_and_removed(api, data_hub, images):
    added = api.post(
        "data/services",
        json={"name": "my-cone", "type": "scs", "url": data_hub.dachs.scs_url, "title": "Mine"},
    )
    assert added.status_code == 201, added.text
    assert added.json()["source"] == "user"
    listed = [s["name"] for s in api.get("data/services").json()["services"]]
    assert listed[-1] == "my-cone"
    events = stream(api, {"target": "M31", "radius": 0.3, "services": ["my-cone"]})
    assert [e["event"] for e in events] == ["started", "resolved", "rows", "done"]
    again = api.post(
        "data/services", json={"name": "my-cone", "type": "scs", "url": "http://x.org"}
    )
    assert again.status_code == 409
    admin = api.delete("data/services/local-tap")
    assert admin.status_code == 403
    assert api.delete("data/services/my-cone").status_code == 204
    assert api.delete("data/services/my-cone").status_code == 404
    bad = api.post("data/services", json={"name": "x", "type": "ftp", "url": "http://x.org"})
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "type"
