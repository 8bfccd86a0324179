"""The user's OIDC tokens in a running server, renewed by asking the hub.

The hub sets ``ESAP_ACCESS_TOKEN`` and ``ESAP_ACCESS_TOKEN_<NAME>`` when the
server starts; they expire long before a lab does. :func:`renew` asks the
hub for the variables a server starting now would get
(``GET $JUPYTERHUB_API_URL/esap/users/<user>/tokens``, see
:mod:`esap.hub.tokens`) with the server's own ``$JUPYTERHUB_API_TOKEN``, and
keeps them in this process's memory only: never written, logged or
returned. :func:`current` is what a data service sends.
"""

from __future__ import annotations

import logging
import os
import threading
from urllib.parse import quote

import httpx

from esap.core.hub_env import HUB_API_URL_ENV, HUB_TOKEN_ENV

_LOG = logging.getLogger(__name__)
_lock = threading.Lock()
_fresh: dict[str, str] = {}

#: The only variables the hub's answer may set here.
PREFIX = "ESAP_ACCESS_TOKEN"


def current(variable: str) -> str:
    """The newest value of a token variable: renewed here, else the server's environment."""
    with _lock:
        fresh = _fresh.get(variable)
    return fresh or os.environ.get(variable, "").strip()


def renew(variable: str, timeout: float = 30) -> str | None:
    """Ask the hub for fresh tokens; the new value of ``variable``, or None.

    None when this process runs outside a hub (no ``JUPYTERHUB_*`` variables),
    when the hub cannot refresh the login (the user must log in again), or
    when it gives no such variable; the reason is logged, never a token.
    """
    api_url = os.environ.get(HUB_API_URL_ENV, "").rstrip("/")
    api_token = os.environ.get(HUB_TOKEN_ENV, "")
    user = os.environ.get("JUPYTERHUB_USER", "")
    if not (api_url and api_token and user):
        return None
    try:
        answer = httpx.get(
            f"{api_url}/esap/users/{quote(user, safe='')}/tokens",
            headers={"Authorization": f"token {api_token}"},
            timeout=timeout,
        )
    except httpx.HTTPError as exc:
        _LOG.warning("The hub did not answer for fresh tokens: %s", type(exc).__name__)
        return None
    if answer.status_code != 200:
        _LOG.warning("The hub gave no fresh tokens (HTTP %s)", answer.status_code)
        return None
    try:
        variables = answer.json()["variables"]
    except (ValueError, KeyError, TypeError):
        _LOG.warning("The hub's answer for fresh tokens was not understood")
        return None
    if not isinstance(variables, dict):
        return None
    with _lock:
        for name, value in variables.items():
            if isinstance(name, str) and name.startswith(PREFIX) and isinstance(value, str):
                _fresh[name] = value
        return _fresh.get(variable)
