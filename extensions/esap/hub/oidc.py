"""OpenID Connect login: oauthenticator's ``GenericOAuthenticator`` plus what ESAP needs.

oauthenticator already does the authorization-code flow with PKCE, the state
check, groups from a claim (``manage_groups``), ``allowed_groups`` /
``admin_groups`` and refreshing with the refresh token when the access token
is refused. :class:`EsapOAuthenticator` adds three things it does not do:

- a refresh before a spawn whenever the access token would expire soon (not
  only once the provider refuses it), so a user server starts with a token
  that lives;
- a user who left every allowed group is not kept logged in by a refresh;
- audience-specific tokens by RFC 8693 token exchange (what ESAP did for
  Rucio with INDIGO IAM), minted at spawn and never stored.

Endpoints come from OpenID discovery at hub start (:func:`discover`): an
unreachable provider or a wrong issuer stops the hub with the key to fix.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import httpx
from oauthenticator.generic import GenericOAuthenticator
from traitlets import Dict, Int, Unicode

from esap.config import ConfigError, Problem

#: RFC 8693 names.
TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"  # noqa: S105 - a URN

#: Environment variables of the user server that carry tokens.
ACCESS_TOKEN_ENV = "ESAP_ACCESS_TOKEN"  # noqa: S105 - a variable name
AUDIENCE_TOKEN_ENV = "ESAP_ACCESS_TOKEN_{name}"  # noqa: S105 - a variable name

DISCOVERY_PATH = "/.well-known/openid-configuration"
REQUIRED_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint")


def _issuer_problem(issuer: str, what: str, fix: str) -> ConfigError:
    return ConfigError([Problem("auth.oidc.issuer", repr(issuer), what, fix)])


def discover(issuer: str, timeout: float = 10) -> dict[str, Any]:
    """Fetch and check the provider's OpenID configuration (OpenID Connect Discovery 1.0).

    The document must name exactly ``issuer`` (section 4.3: a provider that
    answers for another issuer is refused) and list the endpoints the login
    needs. Raises :class:`ConfigError` naming ``auth.oidc.issuer`` otherwise.
    """
    base = issuer.rstrip("/")
    url = base + DISCOVERY_PATH
    fix = "check auth.oidc.issuer: it must be the provider's issuer URL, e.g. https://iam.example.org/"
    try:
        response = httpx.get(url, timeout=timeout, follow_redirects=True)
    except httpx.HTTPError as exc:
        raise _issuer_problem(
            issuer, f"the provider cannot be reached at {url} ({type(exc).__name__}: {exc})", fix
        ) from None
    if response.status_code != 200:
        raise _issuer_problem(
            issuer, f"{url} answered HTTP {response.status_code}, not an OpenID configuration", fix
        )
    try:
        document = response.json()
    except ValueError:
        raise _issuer_problem(issuer, f"{url} did not answer JSON", fix) from None
    if not isinstance(document, dict):
        raise _issuer_problem(issuer, f"{url} did not answer a JSON object", fix)
    announced = str(document.get("issuer", ""))
    if announced.rstrip("/") != base:
        raise _issuer_problem(
            issuer,
            f"the provider at {url} says its issuer is {announced!r}",
            f"set auth.oidc.issuer to {announced!r} if that is the provider you mean",
        )
    missing = [key for key in REQUIRED_ENDPOINTS if not document.get(key)]
    if missing:
        raise _issuer_problem(
            issuer, f"the OpenID configuration at {url} lacks {', '.join(missing)}", fix
        )
    return document


class EsapOAuthenticator(GenericOAuthenticator):  # type: ignore[misc]
    """``GenericOAuthenticator`` that keeps access tokens fresh for spawns and exchanges them."""

    min_token_lifetime = Int(
        600,
        config=True,
        help="Refresh the access token at a refresh (always done before a spawn) "
        "when it expires within this many seconds.",
    )

    token_exchange_audiences = Dict(
        value_trait=Unicode(),
        config=True,
        help="name -> audience: tokens obtained by RFC 8693 token exchange at spawn "
        "and given to the user server as ESAP_ACCESS_TOKEN_<NAME>.",
    )

    def build_auth_state_dict(self, token_info: dict[str, Any], user_info: Any) -> dict[str, Any]:
        """The base auth state, plus when the access token expires (from ``expires_in``)."""
        auth_state: dict[str, Any] = super().build_auth_state_dict(token_info, user_info)
        expires_in = token_info.get("expires_in")
        if isinstance(expires_in, int | float):
            auth_state["expires_at"] = time.time() + float(expires_in)
        return auth_state

    def _expires_soon(self, auth_state: dict[str, Any]) -> bool:
        expires_at = auth_state.get("expires_at")
        if not isinstance(expires_at, int | float):
            return False
        return float(expires_at) - time.time() < self.min_token_lifetime

    async def refresh_user(self, user: Any, handler: Any = None, **kwargs: Any) -> Any:
        """Refresh groups and tokens; renew a soon-expiring access token; drop the disallowed.

        Returns what oauthenticator's ``refresh_user`` returns: ``True``, a new
        auth model, or ``False`` (log in again, where access is checked anew).
        """
        if not self.enable_auth_state:
            return True
        auth_state = await user.get_auth_state()
        refreshed: Any = None
        if auth_state and auth_state.get("refresh_token") and self._expires_soon(auth_state):
            refreshed = await self._renew(user, handler, auth_state["refresh_token"])
            if refreshed is False:
                return False
        if refreshed is None:
            refreshed = await super().refresh_user(user, handler, **kwargs)
        if isinstance(refreshed, dict) and not await self.check_allowed(
            refreshed["name"], refreshed
        ):
            self.log.info("User %s is no longer allowed; a new login is required", user.name)
            return False
        return refreshed

    async def _renew(self, user: Any, handler: Any, refresh_token: str) -> Any:
        """Use the refresh token now; ``False`` when the provider refuses it."""
        self.log.info("Renewing the access token of %s before it expires", user.name)
        try:
            token_info = await self.get_token_info(
                handler, self.build_refresh_token_request_params(refresh_token)
            )
        except Exception as exc:
            self.log.info(
                "The provider refused to renew the token of %s (%s); login required",
                user.name,
                type(exc).__name__,
            )
            return False
        if not token_info.get("refresh_token"):
            token_info["refresh_token"] = refresh_token
        return await self._token_to_auth_model(token_info)

    async def exchange_token(self, access_token: str, audience: str) -> str:
        """An access token for ``audience``, by RFC 8693 token exchange at the token endpoint."""
        params = {
            "grant_type": TOKEN_EXCHANGE_GRANT,
            "subject_token": access_token,
            "subject_token_type": ACCESS_TOKEN_TYPE,
            "requested_token_type": ACCESS_TOKEN_TYPE,
            "audience": audience,
        }
        if not self.basic_auth:
            params.update(client_id=self.client_id, client_secret=self.client_secret)
        answer = await self.httpfetch(
            self.token_url,
            label="exchanging a token",
            method="POST",
            headers=self.build_token_info_request_headers(),
            body=urlencode(params).encode(),
            validate_cert=self.validate_server_cert,
        )
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(token, str):
            raise RuntimeError(f"the token exchange for audience {audience!r} returned no token")
        return token

    async def spawner_environment(self, auth_state: dict[str, Any] | None) -> dict[str, str]:
        """The token variables a user server gets: the access token and one per audience.

        An audience the provider refuses is left out (and logged, without any
        token) rather than failing the spawn: the lab still works without it.
        """
        if not auth_state or not auth_state.get("access_token"):
            return {}
        access_token = str(auth_state["access_token"])
        environment = {ACCESS_TOKEN_ENV: access_token}
        for name, audience in self.token_exchange_audiences.items():
            try:
                token = await self.exchange_token(access_token, audience)
            except Exception as exc:
                self.log.warning(
                    "No token for audience %s (%s): %s", name, audience, type(exc).__name__
                )
                continue
            environment[AUDIENCE_TOKEN_ENV.format(name=name.upper())] = token
        return environment


async def auth_state_hook(spawner: Any, auth_state: dict[str, Any] | None) -> None:
    """``Spawner.auth_state_hook``: hand the refreshed tokens to the server being spawned."""
    authenticator = spawner.authenticator
    if not isinstance(authenticator, EsapOAuthenticator):
        return
    extra = await authenticator.spawner_environment(auth_state)
    spawner.environment = {**spawner.environment, **extra}
