"""The user's OIDC token for Rucio, end to end: hub, token exchange, user server, Rucio.

The hub logs in through the test OIDC provider and exchanges the access
token for one with Rucio's audience (``auth.oidc.audiences``); the user's
server sends it to the real Rucio server of ``harness/rucio.py``. That
server knows no identity provider (registering one with Rucio is beyond the
tests), so it refuses the token: what is checked is that the token the hub
minted is the one used, that the refusal reaches the lake's status line as
"log in again" and never as a failed request, and that the token appears in
no answer and no log.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.hub import RunningHub
from harness.oidc import OidcProvider, provider_login, start_oidc_hub
from harness.rucio import RucioLake

pytestmark = pytest.mark.hub


@pytest.fixture(scope="module")
def lake_hub(
    oidc_provider: OidcProvider, rucio_lake: RucioLake, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningHub]:
    """An OIDC hub offering the lake, its token audience named in the service's options."""
    directory = tmp_path_factory.mktemp("rucio-oidc-hub")
    lake = {
        "name": "lake",
        "type": "rucio",
        "url": rucio_lake.url,
        "options": {"audience": "rucio", "scope": rucio_lake.scope},
    }
    running = start_oidc_hub(oidc_provider, directory, {"data_services": [lake]})
    try:
        yield running
    finally:
        running.stop()


def refused_searches(lake: RucioLake) -> int:
    """How many DID searches the Rucio server answered with 401 so far."""
    lines = lake.log_path.read_text(errors="replace").splitlines()
    return sum(1 for line in lines if "/dids/lofar/dids/search" in line and '" 401' in line)


def test_the_hubs_rucio_token_is_sent_and_its_refusal_asks_to_log_in(
    lake_hub: RunningHub, rucio_lake: RucioLake
) -> None:
    with httpx.Client(timeout=120) as client:
        assert provider_login(client, lake_hub.url, "alice").status_code == 200
    lake_hub.start_server("alice")
    with lake_hub.api() as api:
        state = api.get("users/alice").json()["servers"][""]["state"]
    environ = Path(f"/proc/{state['pid']}/environ").read_bytes().decode()
    tokens = dict(item.split("=", 1) for item in environ.split("\0") if "=" in item)
    token = tokens["ESAP_ACCESS_TOKEN_RUCIO"]

    refused_before = refused_searches(rucio_lake)
    with lake_hub.user_api("alice", lake_hub.token_for("alice")) as api:
        request = {"text": "obs*", "services": ["lake"]}
        with api.stream("POST", "data/search", json=request) as answer:
            assert answer.status_code == 200, answer.read()
            lines = [line for line in answer.iter_lines() if line]
        files = api.get("data/services/lake/files", params={"did": "lofar:obs1"})
    events = [json.loads(line) for line in lines]
    errors = [e for e in events if e["event"] == "error"]
    assert [e["service"] for e in errors] == ["lake"]
    assert "refused your token" in errors[0]["message"]
    assert "log in again" in errors[0]["message"]
    assert files.status_code == 403
    assert files.json()["error"]["code"] == "token_refused"
    # the refusal is Rucio's own: its request log has the 401 for the search
    assert refused_searches(rucio_lake) > refused_before
    for text in ("\n".join(lines), files.text, lake_hub.log_path.read_text(errors="replace")):
        assert token not in text
