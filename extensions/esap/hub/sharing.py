"""Sharing a running lab (``sharing:`` in esap.yaml): scopes, the authorizer, the expiry service.

When ``sharing.enabled``:

- every user may share their servers (``shares!user``) with users and groups
  they name (``read:users:name``, ``read:groups:name``, as JupyterHub's
  sharing guide says: names of users and groups become visible to all), and
  may grant ESAP's lab scopes (:mod:`esap.sharing.scopes`) on their servers;
- each server's own token (``$JUPYTERHUB_API_TOKEN``) gets exactly what the
  lab's Share dialog needs: manage and list its owner's shares, read those
  shared with its owner, the names above, its owner's groups, and the
  ``esap-sharing`` service;
- each server's OAuth client may hand a visitor ESAP's lab scopes (JupyterHub
  6.1 hands a browser login the access scope only; the authorizer then asks
  the hub for the share), and the server runs
  :class:`esap.server.lab_access.EsapLabAuthorizer`, which lets a read-only
  visitor read and nothing else; a visitor's permissions are asked of the
  hub again every :data:`AUTH_CACHE_SECONDS`, so a revoked or ended share
  stops working within that;
- the ``esap-sharing`` service ends shares at their time
  (:mod:`esap.hub.sharing_service`);
- a share with a group lets its members in (:mod:`esap.hub.group_shares`:
  JupyterHub 6.1 leaves group shares out of its tokens' permissions).

Real-time collaboration (``sharing.realtime``) is jupyter-collaboration's:
installed where user servers run, it is on only when the admin says so.
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any

from esap.config import EsapConfig
from esap.hub import group_shares, scopes
from esap.hub.sharing_service import SERVICE_NAME, role, service_entry
from esap.hub.spawner import add_server_args
from esap.hub.state import HubState
from esap.sharing.lab import MAX_SECONDS_ENV, SHARING_URL_ENV
from esap.sharing.scopes import CUSTOM_SCOPES, FULL_SCOPE, READ_SCOPE

LOG = logging.getLogger("esap.hub")

AUTHORIZER = "esap.server.lab_access.EsapLabAuthorizer"
#: Seconds a user server trusts the hub's answer about a visitor (JupyterHub's default: 300).
AUTH_CACHE_SECONDS = 10
SERVICE_SCOPE = f"access:services!service={SERVICE_NAME}"
#: What every user holds besides JupyterHub's ``self``.
USER_SCOPES = [
    "shares!user",
    "read:users:name",
    "read:groups:name",
    f"{READ_SCOPE}!user",
    f"{FULL_SCOPE}!user",
    SERVICE_SCOPE,
]
#: What a server's own token holds for the Share dialog and the Shared view.
SERVER_SCOPES = [
    "shares!user",
    "read:shares!user",
    "read:users:shares!user",
    "read:users:name",
    "read:groups:name",
    "read:users:groups!user",
    f"{READ_SCOPE}!user",
    f"{FULL_SCOPE}!user",
    SERVICE_SCOPE,
]
#: What a visitor's login to a server may carry besides the access scope.
OAUTH_SCOPES = [f"{READ_SCOPE}!server", f"{FULL_SCOPE}!server"]
#: jupyter-collaboration's switch (``jupyter_server_ydoc``).
RTC_OFF = "--YDocExtension.disable_rtc=True"


def collaboration_installed() -> bool:
    """Whether jupyter-collaboration is importable here (the local hub's user servers)."""
    return importlib.util.find_spec("jupyter_collaboration") is not None


def service_url(config: EsapConfig) -> str:
    """The esap-sharing service as a user server reaches it: through the hub's proxy."""
    hub = config.hub
    if hub.mode == "kubernetes":
        return f"http://proxy-public/services/{SERVICE_NAME}/"
    host = "127.0.0.1" if hub.ip in ("", "0.0.0.0", "::") else hub.ip  # noqa: S104
    return f"http://{host}:{hub.port}/services/{SERVICE_NAME}/"


def _add_environment(c: Any, config: EsapConfig, extra: dict[str, str]) -> None:
    trait = c.KubeSpawner if config.hub.mode == "kubernetes" else c.Spawner
    current = trait.environment if isinstance(trait.environment, dict) else {}
    trait.environment = {**current, **extra}


def _configure_realtime(c: Any, config: EsapConfig) -> None:
    local = config.hub.mode == "local"
    if config.sharing.realtime:
        if local and not collaboration_installed():
            LOG.warning(
                "esap.yaml: sharing.realtime: true, but jupyter-collaboration is not installed "
                "where user servers run; install it (pip install jupyter-collaboration) for "
                "real-time collaboration"
            )
        return
    if not local or collaboration_installed():
        add_server_args(c, RTC_OFF)


def configure_sharing(c: Any, config: EsapConfig, state: HubState) -> None:
    """Sharing of labs, when ``sharing.enabled``; real-time collaboration off unless asked."""
    _configure_realtime(c, config)
    if not config.sharing.enabled:
        return
    group_shares.install()
    defined = c.JupyterHub.custom_scopes
    c.JupyterHub.custom_scopes = {
        **(defined if isinstance(defined, dict) else {}),
        **CUSTOM_SCOPES,
    }
    scopes.grant(c, user=USER_SCOPES, server=SERVER_SCOPES)
    allowed = c.Spawner.oauth_client_allowed_scopes
    existing = list(allowed) if isinstance(allowed, list) else []
    c.Spawner.oauth_client_allowed_scopes = existing + [
        s for s in OAUTH_SCOPES if s not in existing
    ]
    add_server_args(
        c,
        f"--ServerApp.authorizer_class={AUTHORIZER}",
        f"--HubOAuth.cache_max_age={AUTH_CACHE_SECONDS}",
    )
    services = c.JupyterHub.services if isinstance(c.JupyterHub.services, list) else []
    c.JupyterHub.services = [*services, service_entry(config, state.root / "sharing.db")]
    roles = c.JupyterHub.load_roles if isinstance(c.JupyterHub.load_roles, list) else []
    c.JupyterHub.load_roles = [*roles, role()]
    _add_environment(
        c,
        config,
        {
            SHARING_URL_ENV: service_url(config),
            MAX_SECONDS_ENV: str(int(config.sharing.max_hours * 3600)),
        },
    )


__all__ = [
    "AUTHORIZER",
    "AUTH_CACHE_SECONDS",
    "OAUTH_SCOPES",
    "SERVER_SCOPES",
    "USER_SCOPES",
    "collaboration_installed",
    "configure_sharing",
    "service_url",
]
