"""The ``esap-probe`` hub service: a probe round on a schedule, its results for Prometheus.

JupyterHub runs it as a managed service when ``probe.enabled``: every
``probe.interval`` seconds it runs a round (:mod:`esap.probe.runner`) with
its own hub token, and ``/services/esap-probe/metrics`` answers the last
round's results (:mod:`esap.probe.metrics`) to a scrape that sends the
bearer token of ``hub.metrics.token`` or a hub token with ``read:metrics``,
as the ``esap-metrics`` service does.

Its token may do no more than a round needs, on the bot's account only
(:func:`service_scopes`). With ``probe.token`` the service is registered
with that token (also when the schedule is off), so ``esap probe --once``
run by an admin holding the same secret uses the same rights.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import sys
import time
from typing import Any
from urllib.parse import urlparse

import httpx
from tornado import web

from esap.config import EsapConfig
from esap.core.hub_env import HUB_API_URL_ENV, HUB_TOKEN_ENV
from esap.core.scrape import free_port, scrape_app
from esap.probe.metrics import ProbeMetrics
from esap.probe.plan import Plan
from esap.probe.report import summary
from esap.probe.runner import run_round

SERVICE_NAME = "esap-probe"
#: What a scrape of the service's metrics needs (as for ``/hub/metrics``).
#: The service's environment: its plan (JSON), where it listens, the scrape token.
PLAN_ENV = "ESAP_PROBE_PLAN"
LISTEN_ENV = "ESAP_PROBE_LISTEN"
SCRAPE_TOKEN_ENV = "ESAP_PROBE_SCRAPE_TOKEN"  # noqa: S105 - a variable name
#: On Kubernetes the service runs in the hub pod; the proxy reaches it at ``hub:<port>``.
KUBERNETES_PORT = 8091
#: Seconds the service waits for the hub's API before its first round.
HUB_WAIT = 60.0

log = logging.getLogger("esap.probe.service")


def service_scopes(user: str) -> list[str]:
    """The probe's rights: the bot's account, its server and its tokens, nobody else's."""
    return [f"admin:users!user={user}", f"servers!user={user}", f"tokens!user={user}"]


def role(config: EsapConfig) -> dict[str, Any]:
    """The hub role that gives the service its scopes."""
    return {
        "name": SERVICE_NAME,
        "scopes": service_scopes(config.probe.user),
        "services": [SERVICE_NAME],
    }


def hub_url(config: EsapConfig) -> str:
    """Where the probe reaches the hub's proxy from where the hub runs."""
    hub = config.hub
    if hub.mode != "local":
        return "http://proxy-public"
    host = "127.0.0.1" if hub.ip in ("", "0.0.0.0", "::") else hub.ip  # noqa: S104
    return f"http://{host}:{hub.port}"


def service_entry(
    config: EsapConfig, api_token: str | None, scrape_token: str | None
) -> dict[str, Any]:
    """The hub's entry for the service: managed when ``probe.enabled``, else its token only."""
    entry: dict[str, Any] = {"name": SERVICE_NAME, "display": False}
    if api_token:
        entry["api_token"] = api_token
    if not config.probe.enabled:
        return entry
    if config.hub.mode == "local":
        port = free_port()
        url, listen = f"http://127.0.0.1:{port}", f"127.0.0.1:{port}"
    else:
        url, listen = f"http://hub:{KUBERNETES_PORT}", f"0.0.0.0:{KUBERNETES_PORT}"
    environment = {
        PLAN_ENV: Plan.from_config(config, hub_url(config)).to_json(),
        LISTEN_ENV: listen,
    }
    if scrape_token:
        environment[SCRAPE_TOKEN_ENV] = scrape_token
    return {
        **entry,
        "url": url,
        "command": [sys.executable, "-m", "esap.probe.service"],
        "environment": environment,
    }


class Schedule:
    """Runs a round every ``plan.interval`` seconds until stopped; keeps the metrics."""

    def __init__(self, plan: Plan, token: str) -> None:
        self.plan = plan
        self.token = token
        self.metrics = ProbeMetrics()

    async def _hub_ready(self) -> None:
        """Wait (a little) for the hub's API: the hub starts its services as it starts."""
        deadline = time.monotonic() + HUB_WAIT
        async with httpx.AsyncClient(timeout=5) as client:
            while time.monotonic() < deadline:
                try:
                    if (await client.get(f"{self.plan.api_url}/")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(1)

    async def run(self, stop: asyncio.Event) -> None:
        await self._hub_ready()
        while not stop.is_set():
            started = time.monotonic()
            try:
                done = await run_round(self.plan, self.token)
            except Exception:  # a bug must not end the schedule: the next round may pass
                log.exception("probe round failed")
            else:
                self.metrics.record(done)
                log.info("probe round: %s", summary(done))
                for result in done.failed:
                    log.warning("probe %s %s: %s", result.check, result.service, result.message)
            pause = max(0.0, self.plan.interval - (time.monotonic() - started))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)


def make_app(env: dict[str, str], schedule: Schedule) -> web.Application:
    """The service's application, from the environment JupyterHub gives a managed service."""
    from jupyterhub.services.auth import HubAuth

    prefix = env.get("JUPYTERHUB_SERVICE_PREFIX", f"/services/{SERVICE_NAME}/")
    auth = HubAuth(api_token=env[HUB_TOKEN_ENV], api_url=env[HUB_API_URL_ENV], cache_max_age=60)

    async def exposition() -> bytes:
        return schedule.metrics.exposition()

    return scrape_app(
        prefix, exposition, auth, env.get(SCRAPE_TOKEN_ENV) or None, realm=SERVICE_NAME
    )


def schedule_from(env: dict[str, str]) -> Schedule:
    """The schedule of the plan in ``env``, against the hub's own API URL."""
    plan = Plan.from_json(env[PLAN_ENV])
    api_url = env.get(HUB_API_URL_ENV, "").rstrip("/") or plan.api_url
    plan = dataclasses.replace(plan, api_url=api_url)
    return Schedule(plan, env[HUB_TOKEN_ENV])


async def serve(env: dict[str, str]) -> None:
    """Serve the metrics and run rounds until SIGTERM (the hub stopping) or SIGINT.

    A round under way when the signal comes is cancelled, and its clean-up
    still runs: the bot's lab is stopped and its account removed.
    """
    from tornado.httpserver import HTTPServer

    schedule = schedule_from(env)
    host, _, port = env.get(LISTEN_ENV, "").rpartition(":")
    if not port:
        address = urlparse(env["JUPYTERHUB_SERVICE_URL"])
        host, port = address.hostname or "127.0.0.1", str(address.port or 80)
    server = HTTPServer(make_app(env, schedule))
    server.listen(int(port), host)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    rounds = asyncio.create_task(schedule.run(stop))
    log.info("probe of %s every %g s", schedule.plan.user, schedule.plan.interval)
    await stop.wait()
    rounds.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await rounds
    server.stop()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="[%(levelname)s %(name)s] %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request otherwise
    asyncio.run(serve(dict(os.environ)))


if __name__ == "__main__":
    main()
