"""The ``esap-sharing`` hub service: it ends shares of labs when their time is up.

JupyterHub keeps shares until someone revokes them (:mod:`esap.sharing.expiry`
says why and what the rule is). This service, run by the hub like the idle
culler, keeps when each share ends and revokes it then:

- ``GET|POST|DELETE /services/esap-sharing/expiries``: a user's server
  records when a share or link of its owner's ends (``POST``, the owner
  being whoever the token belongs to), forgets one (``DELETE``), and reads
  what its owner shares and is shared (``GET``). Tokens are checked with the
  hub (``jupyterhub.services.auth.HubAuth``, scope
  ``access:services!service=esap-sharing``).
- every ``sharing.check_every`` seconds it lists the shares of the owners it
  holds records for, and every ten minutes those of every user (a share made
  outside the lab ends ``sharing.max_hours`` after it was made), and revokes
  the ones :func:`esap.sharing.expiry.due` names, through the hub's REST API
  (scopes ``list:users``, ``read:shares``, ``shares``).

jupyterhub-idle-culler was the model (a service with an API token, a loop,
the hub's REST API); it culls servers, not shares, so the loop is our own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlparse

import httpx
from jupyterhub.services.auth import HubAuth, HubAuthenticated
from tornado import web
from tornado.httpserver import HTTPServer

from esap.config import EsapConfig
from esap.core.hub_env import HUB_API_URL_ENV, HUB_TOKEN_ENV
from esap.core.hub_users import parse_time
from esap.core.scrape import free_port
from esap.sharing.expiry import KINDS, ExpiryStore, Record, Share, due, now

SERVICE_NAME = "esap-sharing"
#: What the service does at the hub: list users and their shares, revoke shares.
SERVICE_SCOPES = ["list:users", "read:shares", "shares"]
#: On Kubernetes the service runs in the hub pod; the proxy reaches it at ``hub:<port>``.
KUBERNETES_PORT = 8092
#: The service's settings (JSON: store path, max seconds, check interval) and address.
SETTINGS_ENV = "ESAP_SHARING_SETTINGS"
LISTEN_ENV = "ESAP_SHARING_LISTEN"
#: Seconds between two looks at every user's shares (shares made outside the lab).
ADOPT_EVERY = 600.0
#: Seconds of slack on a requested end: a lab's clock and the service's differ a little.
SLACK = 60.0
PAGINATION = "application/jupyterhub-pagination+json"

log = logging.getLogger("esap.sharing_service")


def service_entry(config: EsapConfig, store: Path) -> dict[str, Any]:
    """The managed service JupyterHub runs when ``sharing.enabled``."""
    hub = config.hub
    if hub.mode == "local":
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        listen = f"127.0.0.1:{port}"
    else:
        url = f"http://hub:{KUBERNETES_PORT}"
        listen = f"0.0.0.0:{KUBERNETES_PORT}"
    settings = {
        "store": str(store),
        "max_seconds": config.sharing.max_hours * 3600,
        "check_every": config.sharing.check_every,
    }
    return {
        "name": SERVICE_NAME,
        "url": url,
        "command": [sys.executable, "-m", "esap.hub.sharing_service"],
        "environment": {SETTINGS_ENV: json.dumps(settings), LISTEN_ENV: listen},
        "display": False,
    }


def role() -> dict[str, Any]:
    return {"name": SERVICE_NAME, "scopes": SERVICE_SCOPES, "services": [SERVICE_NAME]}


# ---------------------------------------------------------------- the API


class ExpiriesHandler(HubAuthenticated, web.RequestHandler):  # type: ignore[misc]
    """``expiries``: a user's records of when shares end."""

    def initialize(self, store: ExpiryStore, hub_auth: HubAuth, max_seconds: float) -> None:
        self.store = store
        self.hub_auth = hub_auth
        self.max_seconds = max_seconds

    def _owner(self) -> dict[str, Any]:
        user: dict[str, Any] = self.current_user
        if user.get("kind", "user") != "user":
            raise web.HTTPError(403, "only a user's server records shares")
        return user

    def _answer(self, status: int, body: Any) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    @web.authenticated
    def get(self) -> None:
        user = self._owner()
        name = str(user["name"])
        self._answer(
            200,
            {
                "outgoing": [r.as_dict() for r in self.store.of_owner(name)],
                "incoming": [
                    r.as_dict() for r in self.store.given_to(name, user.get("groups") or [])
                ],
            },
        )

    @web.authenticated
    def post(self) -> None:
        user = self._owner()
        try:
            body = json.loads(self.request.body or b"{}")
            kind = str(body["kind"])
            name = str(body["name"])
            server = str(body.get("server", ""))
            access = str(body.get("access", "read"))
            seconds = float(body["expires_in"])
        except (ValueError, KeyError, TypeError):
            raise web.HTTPError(400, "send {kind, name, server, access, expires_in}") from None
        if kind not in KINDS or not name or not 0 < seconds <= self.max_seconds + SLACK:
            raise web.HTTPError(400, f"kind one of {KINDS}, 0 < expires_in <= max_seconds")
        made = now()
        record = Record(str(user["name"]), server, kind, name, access, made, made + seconds)
        self.store.put(record)
        log.info("%s shares %s/%s with %s %s until %s", *_said(record))
        self._answer(201, record.as_dict())

    @web.authenticated
    def delete(self) -> None:
        user = self._owner()
        self.store.remove(
            str(user["name"]),
            self.get_argument("server", ""),
            self.get_argument("kind", ""),
            self.get_argument("name", ""),
        )
        self.set_status(204)
        self.finish()


def _said(record: Record) -> tuple[str, ...]:
    ends = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(record.expires_at))
    return record.owner, record.owner, record.server, record.kind, record.name, ends


# ---------------------------------------------------------------- the sweep


class Sweeper:
    """Lists shares at the hub and revokes those whose time is up."""

    def __init__(self, api_url: str, token: str, store: ExpiryStore, max_seconds: float) -> None:
        self.api_url = api_url.rstrip("/")
        self.headers = {"Authorization": f"token {token}", "Accept": PAGINATION}
        self.store = store
        self.max_seconds = max_seconds
        self.last_full = 0.0

    async def _pages(self, client: httpx.AsyncClient, path: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        offset = 0
        while True:
            response = await client.get(f"{self.api_url}/{path}", params={"offset": offset})
            if response.status_code == 404:
                return items
            response.raise_for_status()
            page = response.json()
            items.extend(page.get("items", []) if isinstance(page, dict) else page)
            following = (
                (page.get("_pagination") or {}).get("next") if isinstance(page, dict) else None
            )
            if not following:
                return items
            offset = int(following["offset"])

    async def _owners(self, client: httpx.AsyncClient, everyone: bool) -> set[str]:
        owners = self.store.owners()
        if everyone:
            owners |= {str(user["name"]) for user in await self._pages(client, "users")}
        return owners

    async def _shares(self, client: httpx.AsyncClient, owner: str) -> list[Share]:
        found = []
        for item in await self._pages(client, f"shares/{quote(owner)}"):
            kind: Literal["user", "group"] = "group" if item.get("group") else "user"
            made = parse_time(item.get("created_at"))
            found.append(
                Share(
                    owner=owner,
                    server=str((item.get("server") or {}).get("name", "")),
                    kind=kind,
                    name=str((item.get(kind) or {}).get("name", "")),
                    created_at=made.timestamp() if made else now(),
                )
            )
        return found

    async def _revoke(self, client: httpx.AsyncClient, share: Share) -> None:
        response = await client.patch(
            f"{self.api_url}/shares/{quote(share.owner)}/{quote(share.server)}",
            json={share.kind: share.name},
        )
        if response.status_code not in (200, 404):
            response.raise_for_status()
        self.store.remove(share.owner, share.server, share.kind, share.name)
        log.info(
            "ended the share of %s/%s with %s %s (its time was up)",
            share.owner,
            share.server,
            share.kind,
            share.name,
        )

    async def sweep(self) -> int:
        """One look at the shares; returns how many ended."""
        started = now()
        everyone = started - self.last_full >= ADOPT_EVERY
        ended = 0
        async with httpx.AsyncClient(timeout=30, headers=self.headers) as client:
            records = self.store.all()
            for owner in sorted(await self._owners(client, everyone)):
                listed_at = now()
                shares = await self._shares(client, owner)
                for share in due(shares, records, now(), self.max_seconds):
                    await self._revoke(client, share)
                    ended += 1
                live: set[tuple[str, str, str]] = {(s.server, s.kind, s.name) for s in shares}
                self.store.prune(owner, live, listed_at)
        if everyone:
            self.last_full = started
        return ended

    async def run(self, every: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.sweep()
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                log.warning(
                    "a look at the shares failed (%s: %s); trying again", type(exc).__name__, exc
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)


def make_app(env: dict[str, str], store: ExpiryStore, max_seconds: float) -> web.Application:
    token = env[HUB_TOKEN_ENV]
    prefix = env.get("JUPYTERHUB_SERVICE_PREFIX", f"/services/{SERVICE_NAME}/")
    auth = HubAuth(api_token=token, api_url=env[HUB_API_URL_ENV], cache_max_age=30)
    return web.Application(
        [
            (
                prefix.rstrip("/") + "/expiries",
                ExpiriesHandler,
                {"store": store, "hub_auth": auth, "max_seconds": max_seconds},
            )
        ]
    )


async def serve(env: dict[str, str]) -> None:
    """Serve and sweep until SIGTERM (the hub stopping its services) or SIGINT."""
    settings = json.loads(env[SETTINGS_ENV])
    store = ExpiryStore(Path(settings["store"]))
    max_seconds = float(settings["max_seconds"])
    host, _, port = env.get(LISTEN_ENV, "").rpartition(":")
    if not port:
        address = urlparse(env["JUPYTERHUB_SERVICE_URL"])
        host, port = address.hostname or "127.0.0.1", str(address.port or 80)
    server = HTTPServer(make_app(env, store, max_seconds))
    server.listen(int(port), host)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    sweeper = Sweeper(env[HUB_API_URL_ENV], env[HUB_TOKEN_ENV], store, max_seconds)
    log.info("ending shares when their time is up (a look every %s s)", settings["check_every"])
    await sweeper.run(float(settings["check_every"]), stop)
    server.stop()
    store.close()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="[%(levelname)s %(name)s] %(message)s")
    asyncio.run(serve(dict(os.environ)))


if __name__ == "__main__":
    main()
