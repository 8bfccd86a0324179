"""``esap_clusters_started_total``: a cluster a notebook starts is counted by the user's server.

The server asks the hub's gateway for its user's clusters every
``esap.bulk.watch.POLL_SECONDS`` and counts each new one, stopped ones
included; the test starts and stops a cluster from a kernel (another process)
and scrapes the server's metrics until the poll has seen it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from types import SimpleNamespace

import pytest

from esap.bulk.watch import POLL_SECONDS, ClusterWatch
from harness.dask_hub import DaskHub
from harness.kernel import Kernel
from harness.scrape import key, samples, scrape

pytestmark = pytest.mark.hub

USER = "metis"
STARTED = key("esap_clusters_started_total")


def started(dask_hub: DaskHub, token: str) -> float:
    response = scrape(f"{dask_hub.hub.url}/user/{USER}/metrics", token)
    assert response.status_code == 200, response.text
    return samples(response.text).get(STARTED, 0.0)


def test_a_cluster_started_in_a_notebook_is_counted_once(
    dask_hub: DaskHub, kernel_of: Callable[[str], Kernel]
) -> None:
    kernel = kernel_of(USER)
    token = dask_hub.hub.token_for(USER)
    before = started(dask_hub, token)
    name = kernel.json(
        "import json, esap.bulk\n"
        "cluster = esap.bulk.cluster()\n"
        "name = cluster.name\n"
        "cluster.shutdown()\n"
        "print(json.dumps(name))"
    )
    assert name
    # the server sees it at its next poll of the gateway (a stopped cluster's record stays)
    for _ in range(4 * POLL_SECONDS):
        now = started(dask_hub, token)
        if now > before:
            break
        time.sleep(0.5)
    assert now == before + 1


def report(name: str, start: float) -> SimpleNamespace:
    """What ``Gateway.list_clusters`` answers per cluster: its name and start time."""
    return SimpleNamespace(name=name, start_time=datetime.fromtimestamp(start))


def test_each_cluster_is_counted_once_and_only_if_started_after_the_server() -> None:
    watch = ClusterWatch(since=1000.0)
    assert watch.count([report("old", 999.0), report("a", 1001.0)]) == 1
    # the next poll sees the same records (running or stopped): nothing new
    assert watch.count([report("old", 999.0), report("a", 1001.0), report("b", 1002.0)]) == 1
    assert watch.count([report("b", 1002.0)]) == 0
