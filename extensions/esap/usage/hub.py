"""The user's own record at the hub: their servers (started when, last active) and groups.

A user server holds ``$JUPYTERHUB_API_TOKEN``, whose scopes the hub chose
(``esap.hub.usage_page.SERVER_SCOPES`` adds ``read:servers!user``; the gateway
adds ``read:users:groups!user``), so it may read exactly its own user's
model: nothing of other users.
"""

from __future__ import annotations

import os
from typing import Any

import httpx

from esap.core.errors import Unavailable
from esap.core.hub_env import HUB_API_URL_ENV, HUB_TOKEN_ENV

USER_ENV = "JUPYTERHUB_USER"
#: Seconds the hub has to answer.
TIMEOUT = 10.0


class HubUnreachable(Unavailable):
    """The hub did not answer, or refused the server's token."""

    code = "hub_unavailable"


def user_name() -> str | None:
    """The user this server runs for (``None`` outside a hub)."""
    return os.environ.get(USER_ENV) or None


async def own_model() -> dict[str, Any]:
    """This user's model at the hub; :class:`HubUnreachable` when it cannot be read."""
    api, token, name = os.environ.get(HUB_API_URL_ENV), os.environ.get(HUB_TOKEN_ENV), user_name()
    if not (api and token and name):
        raise HubUnreachable(
            "this server was not started by a JupyterHub, so it has no servers to list",
            "start it from the hub",
        )
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            response = await client.get(
                f"{api.rstrip('/')}/users/{name}", headers={"Authorization": f"token {token}"}
            )
    except httpx.HTTPError as exc:
        raise HubUnreachable(
            f"the hub's API at {api} did not answer: {type(exc).__name__}",
            "retry in a moment; if it persists, ask the hub admin whether the hub runs",
        ) from None
    if response.status_code != 200:
        raise HubUnreachable(
            f"the hub's API answered {response.status_code} for {name}'s servers",
            "restart your server from the hub (File > Hub Control Panel): it then gets a "
            "token that may read them",
        )
    model: dict[str, Any] = response.json()
    return model


__all__ = ["HubUnreachable", "own_model", "user_name"]
