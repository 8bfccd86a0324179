"""Who may do what in a shared lab: the jupyter-server ``Authorizer`` of ESAP's user servers.

JupyterHub lets a visitor into a server when they hold its access scope;
what they may do there is the server's to decide (jupyter-server's
Authorizer API, which JupyterHub's ``examples/read-only`` builds on). This
one reads ESAP's lab scopes (:mod:`esap.sharing.scopes`) from the visitor's
login:

- the owner, a hub admin and a hub service (the metrics scraper, the probe)
  may do everything, as without sharing;
- a visitor holding ``custom:esap-lab:full`` on this server (in their
  login, or in the share the owner made them, which the hub is asked for)
  may do everything: edit, save, run code (as the owner, with the owner's
  files and tokens: what "full" means);
- any other visitor (``custom:esap-lab:read``, or only the access scope of a
  share made through JupyterHub's own API) may only read: jupyter-server's
  ``read`` action on any resource (contents, kernels' list, the lab's
  pages, ESAP's GET routes); no ``write`` (saving, ESAP's changes) and no
  ``execute`` (kernels, terminals).

The hub configures it (``--ServerApp.authorizer_class``) when
``sharing.enabled``; ESAP's REST handlers ask it for every request
(``esap.server.base``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Iterable
from typing import Any, Literal
from urllib.parse import quote

import httpx
from jupyterhub.singleuser.extension import JupyterHubAuthorizer

from esap.core.hub_env import HUB_API_URL_ENV, HUB_TOKEN_ENV
from esap.sharing.scopes import FULL_SCOPE
from esap.sharing.scopes import access_of as access_from_share

LOG = logging.getLogger("esap.lab_access")
PAGINATION = "application/jupyterhub-pagination+json"
#: Seconds the hub's answer about this lab's shares is kept (the hub's own auth cache: 10 s).
SHARES_MAX_AGE = 10.0

Access = Literal["full", "read"]

#: The jupyter-server action a read-only visitor may take.
READ_ACTION = "read"


def access_of(
    hub_user: dict[str, Any],
    owner: str,
    server: str,
    check_scopes: Callable[[Iterable[str], dict[str, Any]], set[str]],
) -> Access:
    """What ``hub_user`` (the hub's model of whoever sent the request) may do in this lab."""
    kind = hub_user.get("kind", "user")
    if kind == "service" or hub_user.get("admin"):
        return "full"
    if kind == "user" and hub_user.get("name") == owner:
        return "full"
    wanted = {f"{FULL_SCOPE}!server={owner}/{server}", f"{FULL_SCOPE}!user={owner}"}
    return "full" if check_scopes(wanted, hub_user) else "read"


class EsapLabAuthorizer(JupyterHubAuthorizer):  # type: ignore[misc]
    """JupyterHub's check of the access scope, then ESAP's read-only rule for visitors.

    Whether a visitor holds ``full`` is read from their login, and else from
    the owner's shares at the hub: JupyterHub gives a browser's login (an
    OAuth token) only the access scope of the server, whatever else a share
    grants, so the share itself is asked (``GET /hub/api/shares/<owner>/<server>``
    with this server's own token, kept :data:`SHARES_MAX_AGE` seconds). A
    read needs neither: anyone JupyterHub lets in may read.
    """

    _shares: list[dict[str, Any]] | None = None
    _shares_at: float = 0.0
    _lock: asyncio.Lock | None = None

    async def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        if not super().is_authorized(handler, user, action, resource):
            return False
        if action == READ_ACTION:
            return True
        hub_user = getattr(user, "hub_user", None) or {}
        owner = os.environ.get("JUPYTERHUB_USER", "")
        server = os.environ.get("JUPYTERHUB_SERVER_NAME", "")
        if access_of(hub_user, owner, server, self.hub_auth.check_scopes) == "full":
            return True
        if shared_full(await self._owner_shares(), hub_user):
            return True
        self.log.info(
            "%s may only read this lab (shared read-only): %s on %s refused",
            hub_user.get("name"),
            action,
            resource,
        )
        return False

    async def _owner_shares(self) -> list[dict[str, Any]]:
        """The shares of this server at the hub, at most :data:`SHARES_MAX_AGE` seconds old."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._shares is not None and time.monotonic() - self._shares_at < SHARES_MAX_AGE:
                return self._shares
            self._shares = await fetch_shares()
            self._shares_at = time.monotonic()
            return self._shares


def shared_full(shares: Iterable[dict[str, Any]], hub_user: dict[str, Any]) -> bool:
    """Whether a share (the hub's model) gives ``hub_user`` or a group of theirs full access."""
    name = hub_user.get("name")
    groups = set(hub_user.get("groups") or [])
    for share in shares:
        holder = share.get("user") or {}
        group = share.get("group") or {}
        mine = holder.get("name") == name or group.get("name") in groups
        if mine and access_from_share(share.get("scopes") or []) == "full":
            return True
    return False


async def fetch_shares() -> list[dict[str, Any]]:
    """This server's shares at the hub (none when the hub cannot be asked: read-only then)."""
    api = os.environ.get(HUB_API_URL_ENV, "").rstrip("/")
    token = os.environ.get(HUB_TOKEN_ENV, "")
    owner = os.environ.get("JUPYTERHUB_USER", "")
    server = os.environ.get("JUPYTERHUB_SERVER_NAME", "")
    if not (api and token and owner):
        return []
    url = f"{api}/shares/{quote(owner)}/{quote(server)}"
    headers = {"Authorization": f"token {token}", "Accept": PAGINATION}
    found: list[dict[str, Any]] = []
    try:
        async with httpx.AsyncClient(timeout=10, headers=headers) as client:
            offset = 0
            while True:
                response = await client.get(url, params={"offset": offset})
                response.raise_for_status()
                page = response.json()
                found.extend(page.get("items", []))
                following = (page.get("_pagination") or {}).get("next")
                if not following:
                    return found
                offset = int(following["offset"])
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        LOG.warning(
            "the hub's shares of this lab could not be read (%s): visitors may only read", exc
        )
        return []


__all__ = ["EsapLabAuthorizer", "access_of", "fetch_shares", "shared_full"]
