"""``esap.bulk.cluster()``: a cluster on the hub's Dask Gateway, or an error that says why not.

A thin face over ``dask_gateway.Gateway``: the address, the proxy and the
``jupyterhub`` auth come from the environment the hub sets for every user
server (``DASK_GATEWAY__*``), exactly as for a plain ``Gateway()``. What it
adds is errors a person can act on: no gateway configured, the gateway not
answering (and where it was looked for), a limit of ``esap.yaml`` in the way.
"""

from __future__ import annotations

import warnings
from typing import Any

import aiohttp
import dask.config
from dask_gateway import GatewayCluster, GatewayWarning

from esap.bulk.errors import GatewayUnreachable, LimitError, NoGateway

ADDRESS_ENV = "DASK_GATEWAY__ADDRESS"


def gateway_address() -> str:
    """The gateway address this server was given (dask config ``gateway.address``)."""
    address = dask.config.get("gateway.address", None)
    if not address:
        raise NoGateway(
            "no Dask Gateway is configured for this server (dask config gateway.address, "
            f"${ADDRESS_ENV}, is not set)",
            "ask the hub admin to set dask.enabled: true in esap.yaml and restart your "
            f"server, or set {ADDRESS_ENV}",
        )
    return str(address)


def _unreachable(address: str, exc: BaseException) -> GatewayUnreachable:
    return GatewayUnreachable(
        f"the Dask Gateway is unreachable at {address} (from dask config gateway.address, "
        f"${ADDRESS_ENV}): {exc}",
        "if the hub was just restarted wait a moment and retry, otherwise ask the hub admin "
        "whether the dask-gateway service is running",
    )


def cluster(workers: int = 0, *, adapt: tuple[int, int] | None = None, **options: Any) -> Any:
    """Start a cluster on the hub's gateway with ``workers`` workers and return it.

    ``options`` are the gateway's cluster options (``worker_cores``,
    ``worker_memory`` in GiB, ``profile`` from ``esap.yaml``); ``adapt=(min,
    max)`` lets Dask scale between the two instead. The cluster is a
    ``dask_gateway.GatewayCluster``: ``.get_client()``, ``.scale(n)``,
    ``.shutdown()``; it shows in the lab's Dask panel.

    Raises :class:`NoGateway`, :class:`GatewayUnreachable` (naming the address
    tried) or :class:`LimitError` (naming the limit); a cluster refused at
    scale time is shut down, never left half-made.
    """
    if workers < 0:
        raise ValueError(f"workers must be 0 or more, got {workers}")
    address = gateway_address()
    try:
        # what Gateway().new_cluster() and the lab's Dask panel do
        started = GatewayCluster(**options)
    except (OSError, aiohttp.ClientError, TimeoutError) as exc:
        raise _unreachable(address, exc) from exc
    except ValueError as exc:
        if "dask limit" in str(exc):
            raise LimitError(str(exc)) from None
        raise
    try:
        if adapt is not None:
            started.adapt(minimum=adapt[0], maximum=adapt[1])
        elif workers:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", GatewayWarning)
                started.scale(workers)
            clamped = [str(w.message) for w in caught if issubclass(w.category, GatewayWarning)]
            if clamped:
                raise LimitError(
                    f"{clamped[0]} The limit comes from the hub's esap.yaml (dask.limits, or "
                    "dask.group_limits for your groups): ask for fewer workers, smaller ones "
                    "(worker_cores=, worker_memory=), or ask the hub admin for more."
                )
    except Exception as exc:
        started.shutdown()
        if "dask limit" in str(exc) and not isinstance(exc, LimitError):
            raise LimitError(str(exc)) from None
        raise
    return started
