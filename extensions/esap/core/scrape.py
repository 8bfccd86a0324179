"""The scrape endpoint of ESAP's hub services: Prometheus text for a token that may read it.

The metrics service and the probe both serve ``<prefix>metrics`` to
Prometheus behind the same rule: the admin's scrape token (compared in
constant time) or a hub token with the ``read:metrics`` scope. The rule and
the answer live here once; each service says only what it exposes.
prometheus-client's own ``MetricsHandler`` was considered: it has no
authentication, which is the part this adds.
"""

from __future__ import annotations

import hmac
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from tornado import web

#: The hub scope a token needs to read the metrics.
SCRAPE_SCOPE = "read:metrics"

#: What a handler serves: the exposition text, gathered when asked.
Exposition = Callable[[], Awaitable[bytes | str]]


class ScrapeHandler(web.RequestHandler):
    """``GET <prefix>metrics``: ``exposition()``'s text for an allowed token, else 401/403."""

    def initialize(self, exposition: Exposition, auth: Any, token: str | None, realm: str) -> None:
        self.exposition = exposition
        self.auth = auth  # a jupyterhub HubAuth
        self.token = token
        self.realm = realm

    async def _allowed(self, presented: str) -> bool:
        if self.token and hmac.compare_digest(presented.encode(), self.token.encode()):
            return True
        model = await self.auth.user_for_token(presented, sync=False)
        return bool(model) and SCRAPE_SCOPE in set(model.get("scopes") or ())

    async def get(self) -> None:
        from prometheus_client import CONTENT_TYPE_LATEST

        scheme, _, presented = self.request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "token") or not presented.strip():
            self.set_header("WWW-Authenticate", f'Bearer realm="{self.realm}"')
            raise web.HTTPError(401, reason="Send Authorization: Bearer <token>")
        if not await self._allowed(presented.strip()):
            raise web.HTTPError(
                403, reason=f"This token may not read metrics (it needs {SCRAPE_SCOPE})"
            )
        text = await self.exposition()
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.finish(text)


def scrape_app(
    prefix: str, exposition: Exposition, auth: Any, token: str | None, realm: str
) -> web.Application:
    """A tornado app serving ``<prefix>metrics`` with :class:`ScrapeHandler`."""
    settings = {"exposition": exposition, "auth": auth, "token": token, "realm": realm}
    return web.Application([(f"{prefix.rstrip('/')}/metrics", ScrapeHandler, settings)])


def free_port() -> int:
    """A port free on loopback now (a hub service is registered with it at each hub start)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


__all__ = ["SCRAPE_SCOPE", "ScrapeHandler", "free_port", "scrape_app"]
