"""The real hub: spawn, the config API through the proxy, and who may see it."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from esap.server import api_handlers
from harness.hub import TEST_OFFER, RunningHub

pytestmark = pytest.mark.hub


def test_user_server_serves_the_public_config(hub: RunningHub, alice: str) -> None:
    # a user file of alice's own (broken, even) does not reach past the hub's config
    user_file = hub.data_dir / "homes" / "alice" / ".jupyter" / "esap.yaml"
    user_file.parent.mkdir(exist_ok=True)
    user_file.write_text("data_services: [{name: mine, type: tap}]\n")
    try:
        with hub.user_api("alice", alice) as api:
            response = api.get("config")
    finally:
        user_file.unlink()
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["title"] == "ESAP Hub (tests)"
    assert (body["source"], body["warnings"]) == ("hub", [])
    for section in ("data_services", "software_catalogues", "archives"):
        assert [entry["name"] for entry in body[section]] == [
            entry["name"] for entry in TEST_OFFER[section]
        ]
    tap = dict(body["data_services"][0])
    # the options the tap adapter's own model passes on (none written here; defaults may be)
    assert isinstance(tap.pop("options"), dict)
    assert tap == {
        "name": "local-tap",
        "title": "Loopback TAP",
        "type": "tap",
        "description": "An ObsCore TAP service on this machine",
        "enabled": True,
        "url": "http://127.0.0.1:9/tap",
        "timeout": 30.0,
    }
    # the untitled service falls back to its name
    assert body["data_services"][1]["title"] == "local-sia"


def test_the_public_config_carries_no_secret(hub: RunningHub, alice: str) -> None:
    with hub.user_api("alice", alice) as api:
        text = api.get("config").text
    assert hub.password not in text
    assert hub.service_token not in text
    assert "env:" not in text
    body = json.loads(text)
    for section in ("data_services", "software_catalogues", "archives"):
        assert all("token" not in entry for entry in body[section])


def test_user_home_lives_in_the_data_dir(hub: RunningHub, alice: str) -> None:
    assert (hub.data_dir / "homes" / "alice").is_dir()


def test_openapi_is_served(hub: RunningHub, alice: str) -> None:
    with hub.user_api("alice", alice) as api:
        response = api.get("openapi.json")
    assert response.status_code == 200
    assert "/config" in response.json()["paths"]


#: Fits every path parameter's pattern (hex ids, names, free text).
SAMPLE_ID = "0123456789abcdef0123456789abcdef"


def _requests() -> list[tuple[str, str]]:
    """Every (verb, concrete path) the API serves, path parameters filled with a sample."""
    requests = []
    for path, handler in api_handlers():
        concrete = re.sub(r"\(\?P<\w+>[^)]*\)", SAMPLE_ID, path).strip("^$")
        for verb in ("get", "post", "put", "patch", "delete"):
            method = getattr(handler, verb, None)
            if getattr(method, "__allow_unauthenticated", False):
                continue  # a capability link (SAMP tables), tested in test_samp_api.py
            if any(
                verb in vars(klass)
                for klass in handler.__mro__
                if klass.__module__.startswith("esap.")
            ):
                requests.append((verb.upper(), concrete))
    return requests


REQUESTS = _requests()


def _send(api: httpx.Client, verb: str, path: str) -> httpx.Response:
    body = None if verb in ("GET", "DELETE") else {}
    return api.request(verb, path, json=body)


@pytest.mark.parametrize(("verb", "path"), REQUESTS, ids=[f"{v} {p}" for v, p in REQUESTS])
def test_anonymous_requests_get_no_data(hub: RunningHub, alice: str, verb: str, path: str) -> None:
    with hub.user_api("alice", None) as api:
        response = _send(api, verb, path)
    assert response.status_code in (302, 403), (response.status_code, response.text[:200])
    if response.status_code == 302:
        assert "/hub/" in response.headers["location"]
    assert "local-tap" not in response.text


@pytest.mark.parametrize(("verb", "path"), REQUESTS, ids=[f"{v} {p}" for v, p in REQUESTS])
def test_another_users_token_is_refused(hub: RunningHub, alice: str, verb: str, path: str) -> None:
    bob = hub.token_for("bob")
    with hub.user_api("alice", bob) as api:
        response = _send(api, verb, path)
    assert response.status_code == 403, response.text[:200]
    assert "local-tap" not in response.text
