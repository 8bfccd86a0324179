"""Fresh tokens for a running user server: ``GET /hub/api/esap/users/<name>/tokens``.

A user server gets its access token and audience tokens (Rucio's) at spawn
(:func:`esap.hub.oidc.auth_state_hook`), but a lab runs for hours and
providers give access tokens minutes to an hour. When a token is refused
as expired, the server asks the hub here for new ones, with its own
``$JUPYTERHUB_API_TOKEN``: the hub refreshes the user's login (the refresh
token in the encrypted auth state, never given to the server) and exchanges
it again for each audience, answering the same variables a spawn sets.

Neither JupyterHub nor oauthenticator offers this (JupyterHub hands auth
state only to admins, and with the refresh token in it); it is a small
JupyterHub API handler guarded by a custom scope, ``custom:esap:tokens``,
that every user holds for themself and their server's token carries. An
answer of 403 with ``login_required`` means the provider refused the
refresh: the user must log in again.
"""

from __future__ import annotations

import json
from typing import Any

from jupyterhub.apihandlers.base import APIHandler
from jupyterhub.scopes import has_scope
from tornado import web

from esap.hub import scopes

SCOPE = "custom:esap:tokens"
USER_SCOPE = f"{SCOPE}!user"
PATH = r"/api/esap/users/([^/]+)/tokens"


class TokensHandler(APIHandler):  # type: ignore[misc]
    """The token variables a server of ``user_name`` would get if it started now."""

    async def get(self, user_name: str) -> None:
        if self.current_user is None:
            raise web.HTTPError(403, "Missing or invalid credentials.")
        if not has_scope(f"{SCOPE}!user={user_name}", self.parsed_scopes, db=self.db):
            raise web.HTTPError(403, f"Requires {SCOPE} for user {user_name}")
        user = self.find_user(user_name)
        if user is None:
            raise web.HTTPError(404)
        authenticator: Any = self.authenticator
        if not hasattr(authenticator, "spawner_environment"):
            raise web.HTTPError(404, "this hub does not log in with OIDC: no tokens to give")
        # refresh_auth would keep stale auth for a token-authenticated request;
        # here a refused refresh must say so, so the authenticator is asked directly
        refreshed = await authenticator.refresh_user(user, self)
        if not refreshed:
            self.set_status(403)
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"status": 403, "message": "login_required"}))
            return
        if isinstance(refreshed, dict):
            refreshed["name"] = user.name
            refreshed.setdefault("auth_state", await user.get_auth_state())
            await self.auth_to_user(refreshed, user)
        environment = await authenticator.spawner_environment(await user.get_auth_state())
        self.log.info("Fresh tokens for %s's server: %s", user_name, ", ".join(sorted(environment)))
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps({"variables": environment}))


def configure_tokens(c: Any) -> None:
    """Serve the handler; give every user, and their server's token, the scope."""
    c.JupyterHub.custom_scopes = {
        **(c.JupyterHub.custom_scopes if isinstance(c.JupyterHub.custom_scopes, dict) else {}),
        SCOPE: {"description": "Fresh OIDC access tokens for one's own server (ESAP)."},
    }
    scopes.grant(c, user=[USER_SCOPE], server=[USER_SCOPE])
    handlers = c.JupyterHub.extra_handlers
    c.JupyterHub.extra_handlers = [
        *(handlers if isinstance(handlers, list) else []),
        (PATH, TokensHandler),
    ]
