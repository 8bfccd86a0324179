"""The real hub: spawn, the config API through the proxy, and who may see it."""

from __future__ import annotations

import json

import pytest

from esap.server import api_handlers
from harness.hub import TEST_OFFER, RunningHub

pytestmark = pytest.mark.hub


def test_user_server_serves_the_public_config(hub: RunningHub, alice: str) -> None:
    with hub.user_api("alice", alice) as api:
        response = api.get("config")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["title"] == "ESAP Hub (tests)"
    for section in ("data_services", "software_catalogues", "archives"):
        assert [entry["name"] for entry in body[section]] == [
            entry["name"] for entry in TEST_OFFER[section]
        ]
    tap = body["data_services"][0]
    assert tap == {
        "name": "local-tap",
        "title": "Loopback TAP",
        "type": "tap",
        "description": "An ObsCore TAP service on this machine",
        "enabled": True,
        "url": "http://127.0.0.1:9/tap",
    }
    # the untitled service falls back to its name
    assert body["data_services"][1]["title"] == "local-sia"


def test_the_public_config_carries_no_secret(hub: RunningHub, alice: str) -> None:
    with hub.user_api("alice", alice) as api:
        text = api.get("config").text
    assert hub.password not in text
    assert hub.service_token not in text
    assert "env:" not in text
    assert "token" not in json.loads(text)["data_services"][1]


def test_user_home_lives_in_the_data_dir(hub: RunningHub, alice: str) -> None:
    assert (hub.data_dir / "homes" / "alice").is_dir()


def test_openapi_is_served(hub: RunningHub, alice: str) -> None:
    with hub.user_api("alice", alice) as api:
        response = api.get("openapi.json")
    assert response.status_code == 200
    assert "/config" in response.json()["paths"]


@pytest.mark.parametrize("path", [path for path, _ in api_handlers()])
def test_anonymous_requests_get_no_data(hub: RunningHub, alice: str, path: str) -> None:
    with hub.user_api("alice", None) as api:
        response = api.get(path)
    assert response.status_code in (302, 403), response.status_code
    if response.status_code == 302:
        assert "/hub/" in response.headers["location"]
    assert "local-tap" not in response.text


@pytest.mark.parametrize("path", [path for path, _ in api_handlers()])
def test_another_users_token_is_refused(hub: RunningHub, alice: str, path: str) -> None:
    bob = hub.token_for("bob")
    with hub.user_api("alice", bob) as api:
        response = api.get(path)
    assert response.status_code == 403, response.text
    assert "local-tap" not in response.text
