"""A real OpenID Connect provider on loopback: panva's ``oidc-provider`` under Node.

``tests/oidc/provider.mjs`` runs it with two clients (the test hub, the
Rucio server), users in different groups read from an accounts file the tests
may rewrite, short-lived access tokens, refresh tokens (``offline_access``)
and RFC 8693 token exchange for the resource servers below, whose tokens are
JWTs signed with the provider's keys. ``oidc_provider`` starts it once per
test module on a free port; the hub that logs in through it gets a port chosen
up front, since the client's redirect URI must be registered before the
provider starts.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from harness.hub import REPO, SERVICE_SCOPES, RunningHub, hub_config, start_hub, stop_group
from harness.ports import free_port

OIDC_DIR = REPO / "tests" / "oidc"
CLIENT_ID = "esap-hub-tests"

#: Users at the provider and their groups: allowed, denied, admin.
ACCOUNTS: dict[str, dict[str, Any]] = {
    "alice": {"groups": ["esap-users"]},
    "bob": {"groups": ["esap-users"]},
    "carol": {"groups": ["esap-users", "esap-admins"]},
    "mallory": {"groups": ["visitors"]},
}

#: Resource servers: audiences the provider exchanges tokens for (as ESAP did
#: for Rucio), each token a JWT signed with the provider's keys. ``rucio-brief``
#: gives Rucio's audience for one second (an expired token, for the tests),
#: ``rucio-short`` for a few (a running server's token that expires);
#: ``dcache`` is another service's audience (a token Rucio must refuse).
RESOURCE_SERVERS: dict[str, dict[str, Any]] = {
    "rucio": {},
    "rucio-brief": {"audience": "rucio", "ttl": 1},
    "rucio-short": {"audience": "rucio", "ttl": 8},
    "dcache": {"ttl": 3600},
}

#: The client the Rucio server has at the provider (its own, not the hub's).
RUCIO_CLIENT_ID = "rucio-server"

#: Access tokens live this long (s): shorter than the hub's min_token_lifetime,
#: so every spawn must renew the token first.
ACCESS_TOKEN_TTL = 120


@dataclass
class OidcProvider:
    """The running provider and what a hub needs to log in through it."""

    issuer: str
    client_id: str
    client_secret: str
    hub_port: int
    accounts_file: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    rucio_secret: str = ""

    def set_groups(self, user: str, groups: list[str]) -> None:
        """Change ``user``'s groups at the provider (seen at the next userinfo call)."""
        accounts = json.loads(self.accounts_file.read_text())
        accounts[user] = {**accounts.get(user, {}), "groups": groups}
        self.accounts_file.write_text(json.dumps(accounts))

    def introspect(self, token: str) -> dict[str, Any]:
        """RFC 7662 introspection of ``token`` by the hub's client."""
        response = httpx.post(
            f"{self.issuer}/token/introspection",
            data={"token": token},
            auth=(self.client_id, self.client_secret),
            timeout=10,
        )
        response.raise_for_status()
        return dict(response.json())

    def verify_jwt(self, token: str, audience: str) -> dict[str, Any]:
        """The claims of a JWT access token, its signature checked against the JWKS.

        Tokens for resource servers are JWTs, which oidc-provider does not
        introspect; a resource server checks them like this instead.
        """
        discovery = httpx.get(f"{self.issuer}/.well-known/openid-configuration", timeout=10)
        key = jwt.PyJWKClient(discovery.json()["jwks_uri"]).get_signing_key_from_jwt(token)
        return dict(
            jwt.decode(token, key, algorithms=["RS256"], audience=audience, issuer=self.issuer)
        )

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def node_modules_ready() -> None:
    """Fail (never skip) when the provider's npm packages are not installed."""
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("tests/oidc/node_modules is missing: run `make test`, which installs it")
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH: install Node.js 20, then run `make test`")


def start_provider(directory: Path, hub_port: int) -> OidcProvider:
    """Start ``provider.mjs`` on a free port for a hub on ``hub_port``; wait for discovery."""
    node_modules_ready()
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    secret = secrets.token_urlsafe(24)
    rucio_secret = secrets.token_urlsafe(24)
    accounts_file = directory / "accounts.json"
    accounts_file.write_text(json.dumps(ACCOUNTS))
    settings = {
        "issuer": issuer,
        "port": port,
        "clients": [
            {
                "client_id": CLIENT_ID,
                "client_secret": secret,
                "redirect_uris": [f"http://127.0.0.1:{hub_port}/hub/oauth_callback"],
            },
            {
                "client_id": RUCIO_CLIENT_ID,
                "client_secret": rucio_secret,
                "redirect_uris": ["http://127.0.0.1/auth/oidc_code"],
            },
        ],
        "accounts_file": str(accounts_file),
        "access_token_ttl": ACCESS_TOKEN_TTL,
        "resource_servers": RESOURCE_SERVERS,
    }
    settings_file = directory / "provider.json"
    settings_file.write_text(json.dumps(settings))
    log_path = directory / "provider.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["node", str(OIDC_DIR / "provider.mjs"), str(settings_file)],
            cwd=OIDC_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    provider = OidcProvider(
        issuer, CLIENT_ID, secret, hub_port, accounts_file, process, log_path, rucio_secret
    )
    for _ in range(150):
        if process.poll() is not None:
            raise RuntimeError(f"oidc-provider exited\n{provider.log_tail()}")
        try:
            if httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=2).is_success:
                return provider
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_group(process)
    raise TimeoutError(f"oidc-provider did not answer on {issuer}\n{provider.log_tail()}")


@pytest.fixture(scope="module")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OidcProvider]:
    """The provider, for one hub whose port is ``oidc_provider.hub_port``.

    One per test module, so the hub port it expects is picked just before that
    module starts its hub, not reserved (and possibly reused) for the session.
    """
    provider = start_provider(tmp_path_factory.mktemp("oidc"), hub_port=free_port())
    try:
        yield provider
    finally:
        stop_group(provider.process, grace=5)


#: Where a test hub reads the client secret (``env:`` reference in its esap.yaml).
SECRET_ENV = "ESAP_TEST_OIDC_SECRET"


def start_oidc_hub(
    provider: OidcProvider,
    directory: Path,
    overrides: dict[str, Any] | None = None,
    **oidc: Any,
) -> RunningHub:
    """A hub on the port ``provider`` knows, logging in through it.

    ``oidc`` overrides keys of ``auth.oidc``. The client secret is in the
    environment only while the hub starts, as an admin's ``env:`` reference
    would be; the hub's own service may read server
    state (the tests check spawns).
    """
    config = hub_config(directory, overrides)
    config["hub"]["port"] = provider.hub_port
    config["hub"]["services"][0]["scopes"] = [*SERVICE_SCOPES, "admin:server_state"]
    config["auth"] = oidc_auth(provider, **oidc)
    os.environ[SECRET_ENV] = provider.client_secret
    try:
        return start_hub(directory, config)
    finally:
        del os.environ[SECRET_ENV]


def oidc_auth(provider: OidcProvider, **extra: Any) -> dict[str, Any]:
    """The ``auth`` section of a hub that logs in through ``provider``."""
    return {
        "type": "oidc",
        "oidc": {
            "issuer": provider.issuer,
            "client_id": provider.client_id,
            "client_secret": f"env:{SECRET_ENV}",
            "scopes": ["openid", "profile", "email", "offline_access"],
            "allowed_groups": ["esap-users"],
            "admin_groups": ["esap-admins"],
            "audiences": {"rucio": "rucio"},
            **extra,
        },
    }


_FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')


def provider_login(client: httpx.Client, hub_url: str, user: str) -> httpx.Response:
    """Log ``user`` in without a browser: the same redirects and form a browser follows.

    Returns the hub's last answer (the user's page, or the refusal).
    """
    page = client.get(f"{hub_url}/hub/oauth_login", follow_redirects=True)
    match = _FORM_ACTION.search(page.text)
    if match is None:
        raise AssertionError(f"no login form at {page.url}:\n{page.text[:500]}")
    action = httpx.URL(str(page.url)).join(match.group(1))
    return client.post(
        action,
        data={"prompt": "login", "login": user, "password": "any"},
        follow_redirects=True,
    )
