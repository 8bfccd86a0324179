"""The data lake endpoints through a real hub and user server, against the real Rucio.

The hub here logs users in with a shared password, so their servers get no
OIDC token: these tests check the routes, their input checks and that a
missing token is a 403 saying what to do. The token-carrying paths (search,
files, download, rules) are in ``test_rucio.py``.
"""

from __future__ import annotations

import json

import pytest

from harness.hub import RunningHub
from harness.rucio import RucioLake

pytestmark = [pytest.mark.hub]

USER = "lake-user"


@pytest.fixture(scope="module")
def lake_api(hub: RunningHub, rucio_lake: RucioLake):  # type: ignore[no-untyped-def]
    """The user's API, with the lake added as one of the user's own services."""
    hub.start_server(USER)
    client = hub.user_api(USER, hub.token_for(USER))
    added = client.post(
        "data/services", json={"name": "lake", "type": "rucio", "url": rucio_lake.url}
    )
    assert added.status_code in (200, 201), added.text
    try:
        yield client
    finally:
        client.close()


def test_files_and_bring_without_a_token_say_how_to_get_one(lake_api) -> None:  # type: ignore[no-untyped-def]
    answer = lake_api.get("data/services/lake/files", params={"did": "lofar:obs1"})
    assert answer.status_code == 403, answer.text
    error = answer.json()["error"]
    assert error["code"] == "token_refused"
    assert "ESAP_ACCESS_TOKEN" in error["message"]
    assert "log in again" in error["fix"]
    brought = lake_api.post("data/services/lake/bring", json={"did": "lofar:obs1"})
    assert brought.status_code == 403, brought.text


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "field", "said"),
    [
        ("GET", "data/services/lake/files", None, 400, "did", "missing"),
        ("GET", "data/services/nosuch/files?did=a:b", None, 404, None, "nosuch"),
        ("GET", "data/services/local-tap/files?did=a:b", None, 400, None, "not a data lake"),
        (
            "POST",
            "data/services/lake/bring",
            {"did": "a:b", "how": "teleport"},
            400,
            "how",
            "'teleport'",
        ),
        ("POST", "data/services/lake/bring", {"did": "a:b", "where": "x"}, 400, "where", "unknown"),
        ("POST", "data/services/lake/bring", [], 400, "body", "a JSON array, not an object"),
    ],
)
def test_bad_requests_name_the_field(lake_api, method, path, body, status, field, said) -> None:  # type: ignore[no-untyped-def]
    answer = lake_api.request(method, path, json=body)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error.get("field") == field, error
    assert said in error["message"], error


def test_a_search_without_a_token_says_so_in_the_lake_status_line(lake_api) -> None:  # type: ignore[no-untyped-def]
    request = {"text": "lofar:obs*", "services": ["lake"]}
    with lake_api.stream("POST", "data/search", json=request) as answer:
        assert answer.status_code == 200, answer.read()
        events = [json.loads(line) for line in answer.iter_lines() if line]
    errors = [e for e in events if e["event"] == "error"]
    assert [e["service"] for e in errors] == ["lake"]
    assert "ESAP_ACCESS_TOKEN" in errors[0]["message"]
    assert "log in again" in errors[0]["fix"]  # the fix is its own field, said once
    assert "log in again" not in errors[0]["message"]
    assert events[-1]["event"] == "done"
