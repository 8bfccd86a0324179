"""The ``zooniverse`` data service through a real hub, against the Panoptes stand-in.

No Panoptes can run here (see ``standins/zooniverse.py``); everything else is
real: the hub, the user's server, its REST API, the basket's download, and
panoptes-client talking HTTP to the stand-in. Expectations come from the
stand-in's own data (``sample_state``).
"""

from __future__ import annotations

import json
import stat
import time

import httpx
import pytest
from standins.zooniverse import ACCEPT, EXPORT_CSV, HOSTILE_TITLE

from harness.data_hub import zooniverse

pytestmark = [pytest.mark.hub]

SERVICE = "zooniverse"


@pytest.fixture(scope="module")
def api(data_hub):
    """Dora's API, searching Zooniverse anonymously (no token left by another test)."""
    with data_hub.client() as client:
        assert client.delete(f"data/services/{SERVICE}/token").status_code == 204
        yield client


def search(api, params=None, text=None, services=(SERVICE,)):
    """The per-service events of one search (``rows`` or ``error``), by service."""
    request = {"services": list(services), "params": {SERVICE: params or {}}}
    if text is not None:
        request["text"] = text
    with api.stream("POST", "data/search", json=request) as answer:
        assert answer.status_code == 200, answer.read()
        events = [json.loads(line) for line in answer.iter_lines() if line]
    assert events[-1]["event"] == "done"
    return {e["service"]: e for e in events if e["event"] in ("rows", "error")}


def column(event, name):
    index = [c["name"] for c in event["columns"]].index(name)
    return [row[index] for row in event["rows"]]


def roles(event):
    return {c["name"]: c.get("role") for c in event["columns"] if c.get("role")}


def test_projects_are_searched_by_text_across_pages(api, zooniverse_standin):
    before = len(zooniverse_standin.state.requests)
    event = search(api, text="galaxies")[SERVICE]
    assert event["event"] == "rows", event
    expected = [
        p["display_name"]
        for p in zooniverse_standin.state.projects
        if not p["private"] and "galaxies" in p["description"].lower()
    ]
    assert column(event, "display_name") == expected
    assert event["total"] == len(expected) > 10  # more than one page of 10
    pages = [p for p, _ in zooniverse_standin.state.requests[before:] if p == "/api/projects"]
    assert len(pages) == 3
    assert "dwarf" not in " ".join(column(event, "display_name")).lower()  # private: not listed


def test_markup_in_a_project_title_stays_text(api):
    event = search(api, text="comets")[SERVICE]
    assert column(event, "display_name") == [HOSTILE_TITLE]
    page = api.get(f"data/results/{event['result_id']}")
    assert page.headers["content-type"].startswith("application/json")
    assert column(page.json(), "display_name") == [HOSTILE_TITLE]


def test_workflows_and_subject_sets_of_a_project(api, zooniverse_standin):
    state = zooniverse_standin.state
    workflows = search(api, {"kind": "workflows", "project": "1"})[SERVICE]
    mine = [w for w in state.workflows if w["project"] == "1"]
    assert column(workflows, "workflow_id") == [w["id"] for w in mine]
    assert column(workflows, "display_name") == [w["display_name"] for w in mine]
    assert column(workflows, "active") == [w["active"] for w in mine]
    assert column(workflows, "completeness") == [w["completeness"] for w in mine]
    sets = search(api, {"kind": "subject_sets", "project": "1"})[SERVICE]
    mine = [s for s in state.subject_sets if s["project"] == "1"]
    assert column(sets, "display_name") == [s["display_name"] for s in mine]
    assert roles(sets) == {"access_url": "access_url", "access_format": "format"}
    listing = httpx.get(column(sets, "access_url")[0], headers={"Accept": ACCEPT})
    subjects = [s["id"] for s in state.subjects if s["subject_set"] == mine[0]["id"]]
    assert [s["id"] for s in listing.json()["subjects"]] == subjects
    missing = search(api, {"kind": "workflows"})[SERVICE]
    assert missing["code"] == "not_applicable"
    assert f"params.{SERVICE}.project" in missing["message"]
    unknown = search(api, {"kind": "workflows", "project": "999"})[SERVICE]
    assert unknown["code"] == "query_error"
    assert "Could not find project with id='999'" in unknown["message"]


def test_an_export_goes_into_the_basket_and_is_downloaded(api, data_hub, zooniverse_standin):
    event = search(api, {"kind": "exports", "project": "1"})[SERVICE]
    assert column(event, "state") == ["ready"]
    assert roles(event) == {"access_url": "access_url", "access_format": "format"}
    (url,) = column(event, "access_url")
    assert url.startswith(zooniverse_standin.url + "/media/")
    (fmt,) = column(event, "access_format")
    item = {"kind": "data", "service": SERVICE, "access_url": url, "format": fmt,
            "title": "Galaxy Zoo 1 classifications"}  # fmt: skip
    (item_id,) = api.post("basket", json={"items": [item]}).json()["ids"]
    stored = api.get(f"basket/items/{item_id}").json()
    assert (stored["access_url"], stored["format"]) == (url, "text/csv")
    job = api.post("jobs/download", json={"ids": [item_id], "folder": "zoo-exports"})
    assert job.status_code == 202, job.text
    state = job.json()
    deadline = time.monotonic() + 60
    while state["state"] in ("pending", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        state = api.get(f"jobs/download/{state['id']}").json()
    assert state["state"] == "done", state
    saved = data_hub.hub.data_dir / "homes" / data_hub.user / "zoo-exports"
    assert (saved / url.rsplit("/", 1)[1]).read_bytes() == EXPORT_CSV
    api.delete(f"basket/items/{item_id}")


def test_a_private_project_needs_the_users_token(api, data_hub, zooniverse_standin):
    token = zooniverse_standin.token
    refused = search(api, {"kind": "workflows", "project": "40"})[SERVICE]
    assert refused["code"] == "query_error"
    assert "Could not find project with id='40'" in refused["message"]
    assert "Zooniverse token" in refused["message"]
    assert api.get(f"data/services/{SERVICE}/token").json()["has_token"] is False
    assert api.put(f"data/services/{SERVICE}/token", json={"token": token}).status_code == 204
    try:
        answer = api.get(f"data/services/{SERVICE}/token")
        assert answer.json() == {"service": SERVICE, "accepts_token": True, "has_token": True}
        assert token not in answer.text
        stored = data_hub.hub.data_dir / "homes" / data_hub.user / ".esap" / "service-tokens.json"
        assert stat.S_IMODE(stored.stat().st_mode) == 0o600
        before = len(zooniverse_standin.state.requests)
        workflows = search(api, {"kind": "workflows", "project": "40"})[SERVICE]
        assert column(workflows, "display_name") == ["Dwarfs"]
        projects = search(api, text="dwarf")[SERVICE]
        assert column(projects, "display_name") == ["Secret Survey of Dwarf Galaxies"]
        assert column(projects, "private") == [True]
        sent = {auth for _, auth in zooniverse_standin.state.requests[before:]}
        assert sent == {f"Bearer {token}"}
        assert token not in json.dumps(projects) + json.dumps(workflows)
        other = api.put("data/services/local-tap/token", json={"token": "x"})
        assert other.status_code == 400
        assert "takes no personal token" in other.json()["error"]["message"]
        assert api.put(f"data/services/{SERVICE}/token", json={"token": "a b"}).status_code == 400
        # a token Panoptes refuses (expired) is named with the fix
        assert (
            api.put(f"data/services/{SERVICE}/token", json={"token": "expired"}).status_code == 204
        )
        refused = search(api, text="dwarf")[SERVICE]
        assert refused["code"] == "query_error"
        assert "Zooniverse answered 401: Token is invalid or has expired" in refused["message"]
        assert "store a new Zooniverse token" in refused["message"]
    finally:
        assert api.delete(f"data/services/{SERVICE}/token").status_code == 204
    assert api.get(f"data/services/{SERVICE}/token").json()["has_token"] is False


def test_a_failing_zooniverse_is_its_own_error_and_others_still_answer(
    api, data_hub, zooniverse_standin
):
    zooniverse_standin.state.fail_with_500 = True
    try:
        events = search(api, text="galaxies", services=(SERVICE, "local-tap"))
    finally:
        zooniverse_standin.state.fail_with_500 = False
    assert events[SERVICE]["code"] == "http_status"
    assert "answered HTTP 500: Internal server error" in events[SERVICE]["message"]
    assert "retry later" in events[SERVICE]["fix"]
    assert events["local-tap"]["event"] == "rows"


def test_notebooks_get_astropy_tables(monkeypatch, tmp_path, zooniverse_standin):
    """What a kernel of the user's server sees: the public config in $ESAP_PUBLIC_CONFIG."""
    from astropy.table import Table

    import esap.data

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("ESAP_STATE_DIR", str(tmp_path / ".esap"))
    config = {"data_services": [zooniverse(zooniverse_standin.url)]}
    monkeypatch.setenv("ESAP_PUBLIC_CONFIG", json.dumps(config))
    result = esap.data.search(
        services=[SERVICE], params={SERVICE: {"kind": "exports", "project": "1"}}
    )
    assert result.errors == {}
    table = result.tables[SERVICE]
    assert isinstance(table, Table)
    assert list(table["state"]) == ["ready"]
    assert list(table["access_format"]) == ["text/csv"]
