"""The user's OIDC token for Rucio, end to end: hub, token exchange, user server, Rucio.

The hub logs in through the test OIDC provider and exchanges the access
token for one with Rucio's audience (``auth.oidc.audiences``): a JWT signed
by the provider. The real Rucio server of ``harness/rucio.py`` trusts that
provider (``idpsecrets.json``, ``expected_audience = rucio``) and maps
alice's ``sub`` + ``iss`` to its account ``alice``; it validates the JWT
itself (discovery, JWKS, signature, ``exp``, ``aud``, ``scope``). So the
user's server finds alice's files with no token pasted and no Rucio login,
and a token for another audience or an expired one is refused by Rucio, the
error saying which and who fixes it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from esap.data.base import Query, ServiceEntry
from esap.data.rucio import RucioService, TokenRefused
from harness.hub import RunningHub
from harness.oidc import RUCIO_CLIENT_ID, OidcProvider, provider_login, start_oidc_hub
from harness.rucio import RucioLake

pytestmark = pytest.mark.hub

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"


@dataclass
class AliceLab:
    """The OIDC hub, alice's server running, and the tokens it was given."""

    hub: RunningHub
    login_token: str
    rucio_token: str
    short_token: str


def server_environment(hub: RunningHub, user: str) -> dict[str, str]:
    with hub.api() as api:
        state = api.get(f"users/{user}").json()["servers"][""]["state"]
    environ = Path(f"/proc/{state['pid']}/environ").read_bytes().decode()
    return dict(item.split("=", 1) for item in environ.split("\0") if "=" in item)


@pytest.fixture(scope="module")
def alice_lab(
    oidc_provider: OidcProvider, rucio_lake: RucioLake, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AliceLab]:
    """Rucio trusts the provider; alice logs in to an OIDC hub offering the lake."""
    rucio_lake.trust_provider(
        oidc_provider.issuer, RUCIO_CLIENT_ID, oidc_provider.rucio_secret, {"alice": "alice"}
    )
    lakes = [
        {
            "name": name,
            "type": "rucio",
            "url": rucio_lake.url,
            "options": {"audience": audience, "scope": rucio_lake.scope},
        }
        for name, audience in (("lake", "rucio"), ("short-lake", "short"))
    ]
    directory = tmp_path_factory.mktemp("rucio-oidc-hub")
    running = start_oidc_hub(
        oidc_provider,
        directory,
        {"data_services": lakes},
        # "short": Rucio's audience too, in tokens that expire while the server runs
        audiences={"rucio": "rucio", "short": "rucio-short"},
    )
    try:
        with httpx.Client(timeout=120) as client:
            assert provider_login(client, running.url, "alice").status_code == 200
        running.start_server("alice")
        environment = server_environment(running, "alice")
        yield AliceLab(
            running,
            environment["ESAP_ACCESS_TOKEN"],
            environment["ESAP_ACCESS_TOKEN_RUCIO"],
            environment["ESAP_ACCESS_TOKEN_SHORT"],
        )
    finally:
        running.stop()


def rucio_answers(lake: RucioLake, status: str) -> int:
    """How many DID searches the Rucio server answered with ``status`` so far."""
    lines = lake.log_path.read_text(errors="replace").splitlines()
    return sum(1 for line in lines if "/dids/lofar/dids/search" in line and f'" {status}' in line)


def lake_search(hub: RunningHub, service: str) -> list[dict[str, Any]]:
    """alice's federated search of ``service`` through her server: its NDJSON events."""
    with hub.user_api("alice", hub.token_for("alice")) as api:
        request = {"text": "obs*", "services": [service]}
        with api.stream("POST", "data/search", json=request) as answer:
            assert answer.status_code == 200, answer.read()
            return [json.loads(line) for line in answer.iter_lines() if line]


def found_dids(events: list[dict[str, Any]]) -> set[str]:
    (rows,) = [e for e in events if e["event"] == "rows"]
    names = [column["name"] for column in rows["columns"]]
    return {row[names.index("did")] for row in rows["rows"]}


def test_rucio_takes_the_users_oidc_token_and_lists_her_files(
    alice_lab: AliceLab, oidc_provider: OidcProvider, rucio_lake: RucioLake
) -> None:
    claims = oidc_provider.verify_jwt(alice_lab.rucio_token, "rucio")  # aud, iss, signature
    assert claims["sub"] == "alice"

    accepted_before = rucio_answers(rucio_lake, "200")
    events = lake_search(alice_lab.hub, "lake")
    with alice_lab.hub.user_api("alice", alice_lab.hub.token_for("alice")) as api:
        files = api.get("data/services/lake/files", params={"did": "lofar:obs1"})
    assert [e for e in events if e["event"] == "error"] == []
    assert found_dids(events) == set(rucio_lake.files)
    assert files.status_code == 200, files.text
    obs1 = {d for d, f in rucio_lake.files.items() if f.dataset == "lofar:obs1"}
    assert {f["did"] for f in files.json()["files"]} == obs1
    # Rucio itself accepted the search, and holds the token as alice's (no userpass involved)
    assert rucio_answers(rucio_lake, "200") > accepted_before
    whoami = httpx.get(
        f"{rucio_lake.url}/accounts/whoami",
        headers={"X-Rucio-Auth-Token": alice_lab.rucio_token},
        follow_redirects=True,
        timeout=30,
    )
    assert whoami.json()["account"] == "alice"
    for text in (
        json.dumps(events),
        files.text,
        alice_lab.hub.log_path.read_text(errors="replace"),
    ):
        assert alice_lab.rucio_token not in text


def test_an_expired_token_of_a_running_server_is_renewed_by_the_hub(
    alice_lab: AliceLab, oidc_provider: OidcProvider, rucio_lake: RucioLake
) -> None:
    expires = jwt.decode(alice_lab.short_token, options={"verify_signature": False})["exp"]
    while time.time() <= expires + 1:  # the token the server started with has expired
        time.sleep(0.2)
    refused_before, accepted_before = (
        rucio_answers(rucio_lake, "401"),
        rucio_answers(rucio_lake, "200"),
    )

    events = lake_search(alice_lab.hub, "short-lake")

    assert [e for e in events if e["event"] == "error"] == []
    assert found_dids(events) == set(rucio_lake.files)
    # Rucio refused the expired token, then took the one the hub gave the server
    assert rucio_answers(rucio_lake, "401") > refused_before
    assert rucio_answers(rucio_lake, "200") > accepted_before
    hub_log = alice_lab.hub.log_path.read_text(errors="replace")
    assert "Fresh tokens for alice's server" in hub_log
    assert alice_lab.short_token not in hub_log + json.dumps(events)
    # only alice's own tokens may ask for hers
    url = f"{alice_lab.hub.url}/hub/api/esap/users/alice/tokens"
    assert httpx.get(url, timeout=30).status_code == 403
    bobs = {"Authorization": f"token {alice_lab.hub.token_for('bob')}"}
    assert httpx.get(url, headers=bobs, timeout=30).status_code == 403


def exchanged(provider: OidcProvider, subject_token: str, audience: str) -> str:
    """A token for ``audience`` by RFC 8693 exchange, as the hub gets one."""
    answer = httpx.post(
        f"{provider.issuer}/token",
        data={
            "grant_type": TOKEN_EXCHANGE,
            "subject_token": subject_token,
            "subject_token_type": ACCESS_TOKEN,
            "audience": audience,
        },
        auth=(provider.client_id, provider.client_secret),
        timeout=30,
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


def test_a_token_for_another_audience_or_expired_is_refused_saying_what_to_fix(
    alice_lab: AliceLab,
    oidc_provider: OidcProvider,
    rucio_lake: RucioLake,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # both from alice's own login, as the hub would exchange them
    other_audience = exchanged(oidc_provider, alice_lab.login_token, "dcache")
    brief = exchanged(oidc_provider, alice_lab.login_token, "rucio-brief")
    service = RucioService(
        ServiceEntry(
            name="lake",
            type="rucio",
            url=rucio_lake.url,
            options={"audience": "rucio", "scope": rucio_lake.scope},
        )
    )
    refused_before = rucio_answers(rucio_lake, "401")

    monkeypatch.setenv("ESAP_ACCESS_TOKEN_RUCIO", other_audience)
    with pytest.raises(TokenRefused) as wrong:
        service.search(Query(text="obs1"))
    assert "for audience 'dcache'" in str(wrong.value)
    assert "auth.oidc.audiences.rucio" in wrong.value.fix
    assert oidc_provider.issuer in wrong.value.fix  # the identity Rucio's admins would map

    expires = jwt.decode(brief, options={"verify_signature": False})["exp"]
    assert jwt.decode(brief, options={"verify_signature": False})["aud"] == "rucio"
    while time.time() <= expires + 1:  # until Rucio's clock too is past the token's exp
        time.sleep(0.2)
    monkeypatch.setenv("ESAP_ACCESS_TOKEN_RUCIO", brief)
    with pytest.raises(TokenRefused) as expired:
        service.search(Query(text="obs1"))
    assert "expired at" in str(expired.value)
    assert "log in again" in expired.value.fix

    # the refusals are Rucio's own 401s, and no message carries a token
    assert rucio_answers(rucio_lake, "401") >= refused_before + 2
    for token in (other_audience, brief, alice_lab.login_token):
        assert token not in str(wrong.value) + wrong.value.fix
        assert token not in str(expired.value) + expired.value.fix
