"""Counting the Dask clusters a user starts, as the user's server sees them at the gateway.

Clusters are started in a notebook's kernel (``esap.bulk.cluster()``, a
plain ``Gateway().new_cluster()``) or by dask-labextension's panel: other
processes, or code ESAP does not run. The one place that sees them all is
the gateway, which keeps a record of every cluster, stopped ones included,
for a day (dask-gateway-server's ``db_cluster_max_age``). So the user's server
asks the gateway for its user's clusters every :data:`POLL_SECONDS` and counts
each cluster it has not seen before that started after the server did
(``esap_clusters_started_total``). A cluster started and stopped between two
polls is still counted, from its record.

dask-gateway's own client (``dask_gateway.Gateway``) does the asking, with
the address and the JupyterHub token the hub gave the server; there is no
gateway-side metric to read instead (dask-gateway-server exports none).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from typing import Any

from tornado.ioloop import PeriodicCallback

from esap import metrics

#: What the hub sets in every server when it runs a gateway (as ``esap.bulk.clusters`` reads).
ADDRESS_ENV = "DASK_GATEWAY__ADDRESS"
#: Seconds between two looks at the gateway (a Prometheus scrapes every 15 to 60 s).
POLL_SECONDS = 30
#: Every state a cluster record can be in: stopped clusters are counted too.
ALL_STATUSES = ["pending", "running", "stopping", "stopped", "failed"]

log = logging.getLogger(__name__)


class ClusterWatch:
    """Counts the clusters started for the user since ``since`` (a Unix time), once each."""

    def __init__(self, since: float | None = None) -> None:
        self.since = time.time() if since is None else since
        self.seen: set[str] = set()

    def count(self, reports: Iterable[Any]) -> int:
        """Record the clusters in ``reports`` not seen before; how many were new."""
        new = 0
        names = set()
        for report in reports:
            names.add(report.name)
            if report.name in self.seen or report.start_time.timestamp() < self.since:
                continue
            metrics.record_cluster_started()
            new += 1
        # forget the records the gateway no longer keeps
        self.seen = names
        return new

    async def poll(self) -> None:
        """Ask the gateway once; a gateway that does not answer is tried again next time."""
        # imported here: a server with no gateway never loads the client
        from dask_gateway import Gateway

        try:
            async with Gateway(asynchronous=True) as gateway:
                reports = await gateway.list_clusters(status=ALL_STATUSES)
        except Exception as exc:  # the gateway restarting, unreachable: retry later
            log.debug("ESAP metrics: could not list the user's clusters: %s", exc)
            return
        self.count(reports)


def start_watching(log_to: Any) -> PeriodicCallback | None:
    """In a user server: poll the gateway when the hub configured one, else do nothing.

    The hub points every server at its gateway through ``$DASK_GATEWAY__ADDRESS``;
    reading the variable (not dask's config) keeps dask out of a server's start.
    """
    if not os.environ.get(ADDRESS_ENV):
        return None
    watch = ClusterWatch()
    callback = PeriodicCallback(watch.poll, POLL_SECONDS * 1000)
    callback.start()
    log_to.info("ESAP metrics: counting Dask clusters started at the gateway")
    return callback
