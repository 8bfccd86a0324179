"""The INDIGO IAM presets resolve to what IAM's documentation says.

IAM's "Support for JWT profiles" (iam-documentation, admin guide): with IAM's
own profile the user's groups are in the ``groups`` claim; with the WLCG
profile they are sent only for the ``wlcg.groups`` scope, in the
``wlcg.groups`` claim, as paths. Refresh tokens need ``offline_access``.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from traitlets.config import Config

from esap.config import loads
from esap.hub.auth import configure_oidc
from esap.hub.oidc import EsapOAuthenticator
from esap.hub.state import HubState
from harness.aio import run
from harness.oidc import OidcProvider

OPENID = ["openid", "profile", "email", "offline_access"]


def oidc_yaml(
    preset: str, issuer: str = "https://iam-escape.cloud.cnaf.infn.it/", extra: str = ""
) -> str:
    return textwrap.dedent(
        f"""\
        auth:
          type: oidc
          oidc:
            preset: {preset}
            issuer: {issuer}
            client_id: esap-hub
            client_secret: env:OIDC_CLIENT_SECRET
        """
    ) + textwrap.indent(extra, " " * 4)


def test_indigo_iam_uses_the_iam_profiles_groups_claim() -> None:
    oidc = loads(oidc_yaml("indigo-iam")).auth.oidc
    assert oidc is not None
    assert oidc.scopes == OPENID
    assert oidc.groups_claim == "groups"
    assert oidc.username_claim == "preferred_username"


def test_indigo_iam_wlcg_asks_for_the_wlcg_groups_scope_and_claim() -> None:
    oidc = loads(oidc_yaml("indigo-iam-wlcg")).auth.oidc
    assert oidc is not None
    assert oidc.scopes == [*OPENID, "wlcg.groups"]
    assert oidc.groups_claim == "wlcg.groups"
    assert oidc.username_claim == "preferred_username"


def test_keys_written_in_the_config_override_the_preset() -> None:
    oidc = loads(oidc_yaml("indigo-iam", extra="scopes: [openid, profile]\n")).auth.oidc
    assert oidc is not None
    assert oidc.scopes == ["openid", "profile"]
    assert oidc.groups_claim == "groups"
    generic = loads(oidc_yaml("generic")).auth.oidc
    assert generic is not None
    assert "offline_access" not in generic.scopes


def test_the_wlcg_preset_reads_groups_from_the_dotted_claim(
    oidc_provider: OidcProvider, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hub's authenticator, configured against a live provider, reads ``wlcg.groups``.

    The claim's name holds a dot, which oauthenticator's string keys would
    read as a nested ``{"wlcg": {"groups": ...}}``.
    """
    monkeypatch.setenv("OIDC_CLIENT_SECRET", "not-a-real-secret")
    extra = "admin_groups: [/escape/admins]\nallowed_groups: [/escape]\n"
    config = loads(oidc_yaml("indigo-iam-wlcg", oidc_provider.issuer, extra))
    c = Config()
    configure_oidc(c, config, HubState(tmp_path))
    authenticator = EsapOAuthenticator(config=c)
    assert authenticator.scope == [*OPENID, "wlcg.groups"]
    user = {"wlcg.groups": ["/escape", "/escape/admins"], "groups": ["other"]}
    groups = run(authenticator.get_user_groups({"oauth_user": user}))
    assert groups == {"/escape", "/escape/admins"}
    assert authenticator.admin_groups == {"/escape/admins"}
    assert authenticator.allowed_groups == {"/escape"}
