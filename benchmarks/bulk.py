"""Dask Gateway through ESAP Hub vs the bare dask-gateway client, on the same gateway.

Starts a real hub (``esap hub``) with ``dask.enabled`` on free loopback ports,
so dask-gateway-server runs as the hub's managed service with JupyterHub
authentication, exactly as for users. One hub user's API token is used by
both clients, in this process, with the environment the hub gives every user
server (``esap.hub.gateway.user_environment``):

``ours``
    ``esap.bulk.cluster(workers=1)`` (address, proxy and auth from the
    environment, errors turned into ESAP's), then ``get_client()``.
``bare``
    ``dask_gateway.GatewayCluster(address=..., proxy_address=...,
    auth=JupyterHubAuth(token))`` then ``scale(1)`` and ``get_client()``.

A run is: start the cluster, submit one task and wait for its result (which
needs the worker to be up), shut the cluster down; timed from before the
start to after the shutdown. Runs alternate (bare, ours, ...) after one
untimed warm-up of each; the figure is the ratio of medians.

Before it, an informative line: ``map_basket`` over 1,000 small items (each
reduces 2,000 pseudo-random numbers to a mean) on a cluster of 2 one-core
workers, against the same function in a plain local loop, in items/s.

The last line reads (one line)::

    cluster start to first result to shutdown: ours <x> s,
    bare dask-gateway <y> s, ratio <r> (goal <= 1.05)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from esap.config import loads  # noqa: E402
from esap.hub.gateway import user_environment  # noqa: E402
from harness.dask_hub import dask_section  # noqa: E402
from harness.hub import hub_config, start_hub  # noqa: E402

ITEMS = 1000


def reduce_item(seed: int) -> float:
    """A small reduction: the mean of 2,000 numbers from a linear congruential generator."""
    value, total = seed, 0
    for _ in range(2000):
        value = (1103515245 * value + 12345) % 2**31
        total += value
    return total / 2000


def one_run(start: Any) -> float:
    """Start a cluster with ``start``, get one result, shut it down; seconds."""
    began = time.perf_counter()
    cluster = start()
    try:
        client = cluster.get_client()
        if client.submit(lambda x: x + 1, 1).result() != 2:
            raise AssertionError("wrong result")
        client.close()
    finally:
        cluster.shutdown()
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per client (default 5)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="esap-bench-bulk-") as tmp:
        directory = Path(tmp)
        config = hub_config(directory, {"dask": dask_section()})
        hub = start_hub(directory, config)
        try:
            token = hub.token_for("bench")
            environment = user_environment(loads(_yaml(config)))
            os.environ.update(environment)
            os.environ["JUPYTERHUB_API_TOKEN"] = token
            # import Dask only now, so its config reads the user-server environment
            import dask_gateway
            from dask_gateway.auth import JupyterHubAuth

            import esap.bulk

            def ours() -> Any:
                return esap.bulk.cluster(workers=1)

            def bare() -> Any:
                cluster = dask_gateway.GatewayCluster(
                    address=environment["DASK_GATEWAY__ADDRESS"],
                    proxy_address=environment["DASK_GATEWAY__PROXY_ADDRESS"],
                    auth=JupyterHubAuth(api_token=token),
                )
                cluster.scale(1)
                return cluster

            one_run(bare)
            one_run(ours)
            times: dict[str, list[float]] = {"ours": [], "bare": []}
            for _ in range(args.runs):
                times["bare"].append(one_run(bare))
                times["ours"].append(one_run(ours))

            rate_ours, rate_local = throughput(esap.bulk)
        finally:
            hub.stop()

    print(
        f"map_basket over {ITEMS} small items: ours {rate_ours:.0f} items/s, "
        f"local loop {rate_local:.0f} items/s, ratio {rate_ours / rate_local:.2f} "
        "(informative: 2 one-core workers)"
    )
    ours_s, bare_s = statistics.median(times["ours"]), statistics.median(times["bare"])
    print(
        f"cluster start to first result to shutdown: ours {ours_s:.2f} s, "
        f"bare dask-gateway {bare_s:.2f} s, ratio {ours_s / bare_s:.3f} (goal <= 1.05)"
    )
    return 0


def throughput(bulk: Any) -> tuple[float, float]:
    """Items per second: map_basket on 2 gateway workers, and a local loop."""
    items = list(range(ITEMS))
    began = time.perf_counter()
    expected = [reduce_item(item) for item in items]
    local = ITEMS / (time.perf_counter() - began)
    cluster = bulk.cluster(workers=2)
    try:
        client = cluster.get_client()
        client.wait_for_workers(2, timeout=120)
        bulk.map_basket(reduce_item, items[:50], progress=False)  # workers warmed up
        began = time.perf_counter()
        results = bulk.map_basket(reduce_item, items, progress=False)
        ours = ITEMS / (time.perf_counter() - began)
        if results != expected:
            raise AssertionError("map_basket gave other results than the local loop")
        client.close()
    finally:
        cluster.shutdown()
    return ours, local


def _yaml(config: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(config)


if __name__ == "__main__":
    sys.exit(main())
