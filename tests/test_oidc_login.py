"""Login through a real OpenID Connect provider (oidc-provider on loopback).

One hub logs in through the provider for the whole module; users at the
provider are in different groups: alice and bob are allowed, carol is an
admin, mallory is in no allowed group.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse, urlunparse

import httpx
import pytest
import yaml
from playwright.sync_api import Page, expect

from harness.hub import RunningHub, hub_config
from harness.oidc import SECRET_ENV, OidcProvider, oidc_auth, provider_login, start_oidc_hub
from harness.ports import free_port

pytestmark = pytest.mark.hub


@pytest.fixture(scope="module")
def oidc_hub(
    oidc_provider: OidcProvider, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningHub]:
    """A hub on the port the provider knows, logging in through it."""
    running = start_oidc_hub(oidc_provider, tmp_path_factory.mktemp("oidc-hub"))
    try:
        yield running
    finally:
        running.stop()


def hub_user(hub: RunningHub, name: str) -> dict[str, object]:
    with hub.api() as api:
        response = api.get(f"users/{name}")
        response.raise_for_status()
        return dict(response.json())


def server_environment(hub: RunningHub, name: str) -> dict[str, str]:
    """The environment of ``name``'s running server process (local mode: same OS user)."""
    state = hub_user(hub, name)["servers"][""]["state"]  # type: ignore[index]
    raw = Path(f"/proc/{state['pid']}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode().split("\0") if "=" in item)


@pytest.mark.browser
def test_login_in_chromium_through_the_providers_page(oidc_hub: RunningHub, page: Page) -> None:
    page.goto(f"{oidc_hub.url}/hub/login")
    page.get_by_role("button", name="Sign in with 127.0.0.1").click()
    # the provider's own login page
    page.fill("input[name=login]", "alice")
    page.fill("input[name=password]", "anything")
    page.click("button[type=submit]")
    page.wait_for_url("**/user/alice/lab**", timeout=120_000)
    expect(page.locator("#jp-main-dock-panel")).to_be_visible(timeout=60_000)
    user = hub_user(oidc_hub, "alice")
    assert user["groups"] == ["esap-users"]
    assert user["admin"] is False


@pytest.mark.browser
def test_denied_user_reads_why_not_a_500(oidc_hub: RunningHub, page: Page) -> None:
    page.goto(f"{oidc_hub.url}/hub/oauth_login")
    page.fill("input[name=login]", "mallory")
    page.fill("input[name=password]", "anything")
    with page.expect_response("**/hub/oauth_callback**") as callback:
        page.click("button[type=submit]")
    assert callback.value.status == 403
    expect(page.locator("#esap-access-denied")).to_have_text("No access to this hub")
    reason = page.locator(".esap-denied-reason")
    expect(reason).to_contain_text("not in a group that may use ESAP Hub (tests)")
    expect(reason).to_contain_text("esap-users")


def test_admin_group_makes_an_admin(oidc_hub: RunningHub) -> None:
    with httpx.Client(timeout=60) as client:
        answer = provider_login(client, oidc_hub.url, "carol")
    assert answer.status_code == 200, answer.text[:500]
    carol = hub_user(oidc_hub, "carol")
    assert carol["admin"] is True
    assert sorted(carol["groups"]) == ["esap-admins", "esap-users"]  # type: ignore[call-overload]


def test_groups_follow_the_provider_at_spawn_and_login(
    oidc_hub: RunningHub, oidc_provider: OidcProvider
) -> None:
    with httpx.Client(timeout=120) as client:
        assert provider_login(client, oidc_hub.url, "bob").status_code == 200
    assert hub_user(oidc_hub, "bob")["groups"] == ["esap-users"]
    oidc_hub.stop_server("bob")

    oidc_provider.set_groups("bob", ["esap-users", "esap-gpu"])
    oidc_hub.start_server("bob")  # groups are refreshed before the spawn
    assert sorted(hub_user(oidc_hub, "bob")["groups"]) == ["esap-gpu", "esap-users"]  # type: ignore[call-overload]
    oidc_hub.stop_server("bob")

    oidc_provider.set_groups("bob", ["visitors"])
    with httpx.Client(timeout=60) as client:
        refused = provider_login(client, oidc_hub.url, "bob")
    assert refused.status_code == 403
    assert "No access to this hub" in refused.text


def test_user_server_gets_fresh_tokens_and_never_shows_them(
    oidc_hub: RunningHub, oidc_provider: OidcProvider
) -> None:
    with httpx.Client(timeout=120) as client:
        assert provider_login(client, oidc_hub.url, "alice").status_code == 200
    oidc_hub.start_server("alice")
    first = server_environment(oidc_hub, "alice")
    oidc_hub.stop_server("alice")
    oidc_hub.start_server("alice")
    second = server_environment(oidc_hub, "alice")

    token = second["ESAP_ACCESS_TOKEN"]
    # the token expires sooner than the hub's min_token_lifetime: renewed before each spawn
    assert token != first["ESAP_ACCESS_TOKEN"]
    info = oidc_provider.introspect(token)
    assert info["active"] is True
    assert info["sub"] == "alice"

    audience_token = second["ESAP_ACCESS_TOKEN_RUCIO"]
    exchanged = oidc_provider.verify_jwt(audience_token, "rucio")  # a JWT for Rucio to check
    assert exchanged["sub"] == "alice"

    with oidc_hub.user_api("alice", oidc_hub.token_for("alice")) as api:
        answer = api.get("config")
    assert answer.status_code == 200
    for secret in (token, audience_token, first["ESAP_ACCESS_TOKEN"]):
        assert secret not in answer.text
        assert secret not in oidc_hub.log_path.read_text(errors="replace")


def test_tampered_state_is_refused(oidc_hub: RunningHub) -> None:
    with httpx.Client(timeout=60) as client:
        page = client.get(f"{oidc_hub.url}/hub/oauth_login", follow_redirects=True)
        action = page.text.split('action="', 1)[1].split('"', 1)[0]
        # stop at the hub's callback instead of following it
        answer = client.post(
            httpx.URL(str(page.url)).join(action),
            data={"prompt": "login", "login": "alice", "password": "any"},
        )
        while "/hub/oauth_callback" not in answer.headers.get("location", ""):
            assert answer.is_redirect, answer.text[:300]
            answer = client.get(httpx.URL(str(answer.url)).join(answer.headers["location"]))
        callback = urlparse(answer.headers["location"])
        query = {key: values[0] for key, values in parse_qs(callback.query).items()}
        query["state"] = query["state"][:-4] + "AAAA"
        tampered = urlunparse(callback._replace(query=urlencode(query)))
        refused = client.get(tampered)
    assert refused.status_code == 400
    assert "OAuth state" in refused.text
    assert "jupyterhub-session-id" not in refused.headers.get("set-cookie", "")


def _esap_hub(
    config: dict[str, object], directory: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "esap.yaml"
    path.write_text(yaml.safe_dump(config))
    return subprocess.run(
        [sys.executable, "-m", "esap", "hub", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
        check=False,
    )


def _broken_hub_config(
    tmp_path: Path, oidc_provider: OidcProvider, **oidc: str
) -> dict[str, object]:
    config = hub_config(tmp_path)
    config["hub"]["services"] = []  # type: ignore[index]
    config["auth"] = oidc_auth(oidc_provider, **oidc)
    return config


def test_wrong_issuer_stops_the_hub(oidc_provider: OidcProvider, tmp_path: Path) -> None:
    port = oidc_provider.issuer.rsplit(":", 1)[1]
    config = _broken_hub_config(tmp_path, oidc_provider, issuer=f"http://localhost:{port}")
    result = _esap_hub(config, tmp_path, **{SECRET_ENV: "x"})
    assert result.returncode == 1
    assert f"auth.oidc.issuer: 'http://localhost:{port}/'" in result.stderr
    assert f"says its issuer is '{oidc_provider.issuer}'" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_provider_stops_the_hub(oidc_provider: OidcProvider, tmp_path: Path) -> None:
    config = _broken_hub_config(tmp_path, oidc_provider, issuer=f"http://127.0.0.1:{free_port()}")
    result = _esap_hub(config, tmp_path, **{SECRET_ENV: "x"})
    assert result.returncode == 1
    assert "auth.oidc.issuer" in result.stderr
    assert "the provider cannot be reached" in result.stderr


def test_missing_client_secret_stops_the_hub(oidc_provider: OidcProvider, tmp_path: Path) -> None:
    config = _broken_hub_config(tmp_path, oidc_provider)
    env = {key: value for key, value in os.environ.items() if key != SECRET_ENV}
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(SECRET_ENV, raising=False)
        result = _esap_hub(config, tmp_path, **env)
    assert result.returncode == 1
    assert "auth.oidc.client_secret: 'env:ESAP_TEST_OIDC_SECRET'" in result.stderr
    assert "environment variable ESAP_TEST_OIDC_SECRET is not set" in result.stderr
