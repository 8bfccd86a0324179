"""The ``esap-metrics`` hub service: every running user server's metrics in one scrape target.

Each user server serves its own metrics at ``/user/<name>/metrics`` (ESAP's
``esap_*`` families and jupyter-server's own, see :mod:`esap.metrics`); a
Prometheus outside the hub cannot know which servers run. On every scrape of
``/services/esap-metrics/metrics`` this service asks the hub which servers are
ready, fetches their ``/metrics`` concurrently with its own token (scope
``access:servers``), adds a ``user`` label (and ``server`` for a named
server) to every sample and answers the whole in Prometheus' text format. A
server that does not answer in time is left out and counted in
``esap_scrape_errors``, so a slow server never makes the scrape fail.

The scrape needs a token: the bearer token of ``hub.metrics.token`` or any
hub token with the ``read:metrics`` scope (the one ``/hub/metrics`` takes),
checked with the hub through ``jupyterhub.services.auth.HubAuth``.

Prometheus' own federation (``/federate``) needs a Prometheus that already
scrapes every server; prometheus-client's ``parser`` and ``generate_latest``
do the reading and writing, and only the merge (a label added to parsed
samples) is written here.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import httpx
from jupyterhub.services.auth import HubAuth
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families
from tornado import web
from tornado.httpserver import HTTPServer

from esap.config import EsapConfig
from esap.core.hub_env import HUB_API_URL_ENV, HUB_TOKEN_ENV
from esap.core.scrape import free_port, scrape_app

SERVICE_NAME = "esap-metrics"
#: What the service may do at the hub: list users and their servers, reach
#: the servers (their ``/metrics``). ``read:metrics`` is what a scrape needs.
SERVICE_SCOPES = ["list:users", "read:servers", "access:servers"]
#: The service's environment: where user servers are reached (the proxy),
#: and the configured bearer token for scrapes.
SERVERS_URL_ENV = "ESAP_METRICS_SERVERS_URL"
TOKEN_ENV = "ESAP_METRICS_TOKEN"  # noqa: S105 - a variable name
#: Where the service listens (``host:port``); the hub reaches it at the service URL.
LISTEN_ENV = "ESAP_METRICS_LISTEN"
#: On Kubernetes the service runs in the hub pod; the proxy pod reaches it at
#: ``hub:<port>`` (the chart opens this port on the hub's Service).
KUBERNETES_PORT = 8090
#: Seconds a user server has to answer; Prometheus' default scrape timeout is 10 s.
SERVER_TIMEOUT = 5.0
#: Servers fetched at once.
CONCURRENCY = 32

log = logging.getLogger("esap.metrics_service")


@dataclass
class Target:
    """One running server: its owner, its name ("" for the default) and its path prefix."""

    user: str
    server: str
    prefix: str

    @property
    def labels(self) -> dict[str, str]:
        return {"user": self.user, "server": self.server} if self.server else {"user": self.user}


@dataclass(eq=False)
class Gathered:
    """The result of one scrape of every server."""

    families: dict[str, Metric] = field(default_factory=dict)
    asked: int = 0
    errors: int = 0

    def add(self, text: str, labels: dict[str, str]) -> None:
        """Add a server's metrics, each sample with ``labels`` (a family keeps its first type)."""
        for family in text_string_to_metric_families(text):
            merged = self.families.get(family.name)
            if merged is None:
                merged = Metric(family.name, family.documentation, family.type, family.unit)
                self.families[family.name] = merged
            elif merged.type != family.type:
                continue
            for sample in family.samples:
                merged.samples.append(sample._replace(labels={**sample.labels, **labels}))

    def collect(self) -> Iterator[Metric]:
        """The merged families, then the scrape's own gauges (a ``Collector`` for a registry)."""
        yield from self.families.values()
        yield GaugeMetricFamily(
            "esap_scrape_servers", "Running user servers asked in this scrape.", value=self.asked
        )
        yield GaugeMetricFamily(
            "esap_scrape_errors",
            "Running user servers that did not answer this scrape (left out of it).",
            value=self.errors,
        )

    def exposition(self) -> bytes:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(self)
        return generate_latest(registry)


def targets(users: Iterable[dict[str, Any]]) -> list[Target]:
    """The ready servers in the hub's user models."""
    found = []
    for user in users:
        for name, server in (user.get("servers") or {}).items():
            if server.get("ready") and server.get("url"):
                found.append(Target(user["name"], name, server["url"]))
    return found


class Gatherer:
    """Asks the hub for the ready servers and fetches their metrics concurrently."""

    def __init__(self, api_url: str, servers_url: str, token: str) -> None:
        self.api_url = api_url.rstrip("/")
        self.servers_url = servers_url.rstrip("/")
        self.headers = {"Authorization": f"token {token}"}

    async def _users(self, client: httpx.AsyncClient) -> list[dict[str, Any]]:
        """Every user with a ready server, page by page (the hub pages at 200 by default)."""
        users: list[dict[str, Any]] = []
        offset = 0
        while True:
            response = await client.get(
                f"{self.api_url}/users",
                params={"state": "ready", "offset": offset},
                headers={**self.headers, "Accept": "application/jupyterhub-pagination+json"},
            )
            response.raise_for_status()
            page = response.json()
            users.extend(page["items"])
            following = page.get("_pagination", {}).get("next")
            if not following:
                return users
            offset = int(following["offset"])

    async def _fetch(
        self, client: httpx.AsyncClient, target: Target, limit: asyncio.Semaphore
    ) -> str | None:
        url = f"{self.servers_url}/{target.prefix.strip('/')}/metrics"
        async with limit:
            try:
                response = await client.get(url, headers=self.headers, timeout=SERVER_TIMEOUT)
                response.raise_for_status()
            except httpx.HTTPError as exc:
                log.warning(
                    "%s's server %r left out: %s %s",
                    target.user,
                    target.server,
                    type(exc).__name__,
                    exc,
                )
                return None
        return response.text

    async def gather(self) -> Gathered:
        gathered = Gathered()
        async with httpx.AsyncClient(timeout=30) as client:
            found = targets(await self._users(client))
            limit = asyncio.Semaphore(CONCURRENCY)
            texts = await asyncio.gather(*(self._fetch(client, t, limit) for t in found))
        gathered.asked = len(found)
        for target, text in zip(found, texts, strict=True):
            if text is None:
                gathered.errors += 1
                continue
            try:
                gathered.add(text, target.labels)
            except ValueError as exc:
                log.warning("%s's metrics left out (not Prometheus text): %s", target.user, exc)
                gathered.errors += 1
        return gathered


def make_app(env: dict[str, str]) -> web.Application:
    """The service's application, from the environment JupyterHub gives a managed service."""
    token = env[HUB_TOKEN_ENV]
    api_url = env[HUB_API_URL_ENV]
    prefix = env.get("JUPYTERHUB_SERVICE_PREFIX", f"/services/{SERVICE_NAME}/")
    gatherer = Gatherer(api_url, env[SERVERS_URL_ENV], token)
    auth = HubAuth(api_token=token, api_url=api_url, cache_max_age=60)

    async def exposition() -> bytes | str:
        return (await gatherer.gather()).exposition()

    return scrape_app(prefix, exposition, auth, env.get(TOKEN_ENV) or None, realm=SERVICE_NAME)


def service_entry(config: EsapConfig, token: str | None) -> dict[str, Any]:
    """The managed service JupyterHub runs when ``hub.metrics.enabled``.

    Local mode: the service on a free loopback port, user servers reached
    through the hub's own proxy. Kubernetes: in the hub pod on
    :data:`KUBERNETES_PORT`, user servers through z2jh's ``proxy-public``.
    """
    hub = config.hub
    if hub.mode == "local":
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        listen = f"127.0.0.1:{port}"
        proxy_host = "127.0.0.1" if hub.ip in ("", "0.0.0.0", "::") else hub.ip  # noqa: S104
        servers_url = f"http://{proxy_host}:{hub.port}"
    else:
        url = f"http://hub:{KUBERNETES_PORT}"
        listen = f"0.0.0.0:{KUBERNETES_PORT}"
        servers_url = "http://proxy-public"
    environment = {LISTEN_ENV: listen, SERVERS_URL_ENV: servers_url}
    if token:
        environment[TOKEN_ENV] = token
    return {
        "name": SERVICE_NAME,
        "url": url,
        "command": [sys.executable, "-m", "esap.hub.metrics_service"],
        "environment": environment,
        "display": False,
    }


async def serve(env: dict[str, str]) -> None:
    """Serve until SIGTERM (the hub stopping its services) or SIGINT."""
    host, _, port = env.get(LISTEN_ENV, "").rpartition(":")
    if not port:
        address = urlparse(env["JUPYTERHUB_SERVICE_URL"])
        host, port = address.hostname or "127.0.0.1", str(address.port or 80)
    server = HTTPServer(make_app(env))
    server.listen(int(port), host)
    log.info("serving %smetrics", env.get("JUPYTERHUB_SERVICE_PREFIX", "/"))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    server.stop()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="[%(levelname)s %(name)s] %(message)s")
    asyncio.run(serve(dict(os.environ)))


if __name__ == "__main__":
    main()
