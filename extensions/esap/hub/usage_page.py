"""``/hub/esap-usage``: everyone's usage on a hub page, for admins (403 for anyone else).

The page shows what ``esap usage`` prints (:mod:`esap.hub.usage`): a row
per user (groups, servers and how long they have run, home against the
quota, Dask cores and memory, jobs running) and a row per group, with
``?user=`` and ``?group=`` to narrow it. The hub gathers the rows with a
short-lived token of the admin looking (the rights :data:`ADMIN_SCOPES`
names, which the admin role holds), made once and kept until near its
end, so the page acts with exactly the admin's rights.

:func:`configure_usage` serves the page and gives every user server's token
the one more scope its "My usage" view needs: reading its own user's
servers (``read:servers!user``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from jupyterhub.handlers import BaseHandler
from tornado import web

from esap.config import EsapConfig
from esap.config.sizes import human_bytes, memory_bytes
from esap.core.errors import EsapError
from esap.hub import scopes
from esap.hub.state import HubState
from esap.hub.usage import ADMIN_SCOPES, gather

PATH = r"/esap-usage"
TEMPLATE = "esap-usage.html"
#: What a user server's token needs to read its own user's servers ("My usage").
SERVER_SCOPES = ["read:servers!user"]
#: Seconds the page's token lives, and how long before its end a new one is made.
TOKEN_LIFETIME = 900
TOKEN_RENEW = 120

#: The page's tokens, by admin: (token, when it expires).
_TOKENS: dict[str, tuple[str, float]] = {}


def duration(seconds: float | None) -> str:
    """``5400`` → ``1 h 30 min``: how long a server has run, for a table."""
    if seconds is None:
        return ""
    minutes = int(seconds) // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min"
    return f"{hours // 24} days {hours % 24} h"


def size(count: float | None) -> str:
    """Bytes for a table cell (empty when unknown)."""
    return "" if count is None else human_bytes(count)


class UsagePage(BaseHandler):  # type: ignore[misc]
    """Everyone's usage, or one user's or group's (``?user=``, ``?group=``)."""

    def initialize(self, servers_url: str, homes: str | None, quota: int | None) -> None:
        self.servers_url = servers_url
        self.homes = homes
        self.quota = quota

    def _token(self, user: Any) -> str:
        """The admin's token for this page, made when there is none left to use."""
        held = _TOKENS.get(user.name)
        if held is not None and held[1] - time.time() > TOKEN_RENEW:
            return held[0]
        token = user.new_api_token(
            note="esap-usage page", expires_in=TOKEN_LIFETIME, scopes=ADMIN_SCOPES
        )
        _TOKENS[user.name] = (token, time.time() + TOKEN_LIFETIME)
        return str(token)

    @web.authenticated
    async def get(self) -> None:
        user = self.current_user
        if not user.admin:
            self.set_status(403)
            html = await self.render_template(
                "error.html",
                status_code=403,
                status_message="Forbidden",
                message="Only the hub's admins see everyone's usage. Your own is in your lab: "
                "ESAP: My usage, in the command palette or the ESAP sidebar.",
            )
            self.finish(html)
            return
        chosen_user = self.get_argument("user", "") or None
        chosen_group = self.get_argument("group", "") or None
        error = None
        usage = None
        try:
            usage = await gather(
                self.hub.api_url,
                self.servers_url,
                self._token(user),
                quota=self.quota,
                homes=Path(self.homes) if self.homes else None,
                user=chosen_user,
                group=chosen_group,
            )
        except EsapError as exc:
            error = exc
        html = await self.render_template(
            TEMPLATE,
            usage=usage,
            error=error,
            chosen_user=chosen_user or "",
            chosen_group=chosen_group or "",
            size=size,
            duration=duration,
        )
        self.finish(html)


def servers_url(config: EsapConfig) -> str:
    """Where the hub reaches user servers through the proxy (as the probe and metrics do)."""
    hub = config.hub
    if hub.mode != "local":
        return "http://proxy-public"
    host = "127.0.0.1" if hub.ip in ("", "0.0.0.0", "::") else hub.ip  # noqa: S104
    return f"http://{host}:{hub.port}"


def configure_usage(c: Any, config: EsapConfig, state: HubState) -> None:
    """Serve the admins' page; let every server's token read its own user's servers."""
    scopes.grant(c, server=SERVER_SCOPES)
    quota = None if config.hub.home_quota is None else memory_bytes(config.hub.home_quota)
    settings = {
        "servers_url": servers_url(config),
        # local mode keeps every home here; on Kubernetes they are volumes of the user pods
        "homes": str(state.homes) if config.hub.mode == "local" else None,
        "quota": quota,
    }
    handlers = c.JupyterHub.extra_handlers
    c.JupyterHub.extra_handlers = [
        *(handlers if isinstance(handlers, list) else []),
        (PATH, UsagePage, settings),
    ]


__all__ = ["PATH", "SERVER_SCOPES", "UsagePage", "configure_usage", "duration", "size"]
