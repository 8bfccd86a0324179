"""The user's Dask clusters at the hub's gateway: how many, what each holds, against the limits.

dask-gateway's API lists a user's clusters (``Gateway.list_clusters``) but
not what they hold; each running cluster's scheduler does, at its
dashboard's ``json/identity.json`` (workers, their threads and memory),
which the gateway's proxy serves under the gateway's address. A cluster
holds its scheduler's share too (:data:`esap.core.limits.SCHEDULER_CORES`
and ``..._MEMORY``), counted as the gateway's policy counts it; a cluster
still starting holds that share only.

The limits are the hub's (``dask.limits`` and ``dask.group_limits`` in the
public config) for the user's groups, by the gateway's own rule
(:func:`esap.core.limits.effective_limits`).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import httpx

from esap.core.errors import EsapError, Unavailable
from esap.core.limits import SCHEDULER_CORES, SCHEDULER_MEMORY, effective_limits
from esap.core.public_config import public_config

#: What the hub sets in every server when it runs a gateway (as ``esap.bulk`` reads it).
ADDRESS_ENV = "DASK_GATEWAY__ADDRESS"
#: Seconds the gateway, and each scheduler, has to answer.
TIMEOUT = 10.0


class GatewayUnavailable(Unavailable):
    """The gateway did not list the user's clusters."""

    code = "gateway_unavailable"


def dask_settings() -> dict[str, Any]:
    """The public config's ``dask`` section (``{}`` without a configuration)."""
    try:
        section = public_config().get("dask")
    except EsapError:
        return {}
    return section if isinstance(section, dict) else {}


def limits_for(groups: set[str]) -> dict[str, dict[str, Any]]:
    """The user's limits (``clusters``, ``cores``, ``memory``): each value and its esap.yaml key."""
    limits = effective_limits(dask_settings(), groups)
    return {
        field.removeprefix("max_"): {"value": limit.value, "key": limit.key}
        for field, limit in limits.items()
    }


async def _holding(client: httpx.AsyncClient, address: str, name: str) -> dict[str, Any]:
    """Workers, cores and memory of the running cluster ``name``, from its scheduler."""
    response = await client.get(f"{address}/clusters/{name}/json/identity.json")
    response.raise_for_status()
    identity = response.json()
    return {
        "workers": int(identity.get("n_workers") or len(identity.get("workers") or {})),
        "cores": SCHEDULER_CORES + int(identity.get("total_threads") or 0),
        "memory": SCHEDULER_MEMORY + int(identity.get("total_memory") or 0),
    }


async def _cluster(client: httpx.AsyncClient, address: str, report: Any) -> dict[str, Any]:
    """One cluster as the view shows it; one that is still starting holds its scheduler's share."""
    status = getattr(report.status, "name", str(report.status)).lower()
    held: dict[str, Any] = {"workers": 0, "cores": SCHEDULER_CORES, "memory": SCHEDULER_MEMORY}
    if status == "running":
        try:
            held = await _holding(client, address, report.name)
        except (httpx.HTTPError, ValueError):
            held["workers"] = None  # the scheduler's own count is not to be had
    started = getattr(report, "start_time", None)
    return {
        "name": report.name,
        "status": status,
        "started": started.isoformat() if started else None,
        **held,
    }


async def _reports() -> list[Any]:
    """The user's running and pending clusters, as the gateway reports them."""
    from dask_gateway import Gateway  # a server without a gateway never loads the client

    try:
        async with asyncio.timeout(TIMEOUT), Gateway(asynchronous=True) as gateway:
            return list(await gateway.list_clusters())
    except Exception as exc:  # unreachable, restarting, a refused token: the view says so
        raise GatewayUnavailable(
            f"the Dask Gateway did not list your clusters: {type(exc).__name__}: {exc}",
            "retry in a moment; if it persists, ask the hub admin whether the dask-gateway "
            "service runs",
        ) from None


async def cluster_usage(groups: set[str]) -> dict[str, Any]:
    """``{"enabled", "clusters", "in_use", "limits"}`` for a user in ``groups``.

    ``clusters`` lists each cluster (name, status, started, workers, cores,
    memory in bytes; ``workers`` is ``None`` when its scheduler did not
    answer); ``in_use`` sums them; ``limits`` gives each limit's value
    (``None``: none) and the ``esap.yaml`` key it comes from. Raises
    :class:`GatewayUnavailable` when the gateway cannot be asked.
    """
    settings = dask_settings()
    if not settings.get("enabled"):
        return {"enabled": False, "clusters": [], "in_use": None, "limits": None}
    address = os.environ.get(ADDRESS_ENV, "").rstrip("/")
    if not address:
        raise GatewayUnavailable(
            f"the hub runs a Dask Gateway but this server was not told where (${ADDRESS_ENV})",
            "restart your server from the hub",
        )
    reports = await _reports()
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        clusters = await asyncio.gather(*(_cluster(client, address, r) for r in reports))
    return {
        "enabled": True,
        "clusters": clusters,
        "in_use": {
            "clusters": len(clusters),
            "cores": sum(c["cores"] for c in clusters),
            "memory": sum(c["memory"] for c in clusters),
        },
        "limits": limits_for(groups),
    }


__all__ = ["GatewayUnavailable", "cluster_usage", "dask_settings", "limits_for"]
