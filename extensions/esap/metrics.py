"""ESAP's Prometheus metrics, recorded where the work happens (the user's server).

Each capability calls one function here (``record_search``, ``record_publish``,
``record_basket_size``, ``record_cluster_started``); the metrics live in
prometheus-client's default registry, which jupyter-server already serves at
``/user/<name>/metrics`` behind its own authentication. The hub service
``esap.hub.metrics_service`` gathers every running server's metrics into one
scrape target, ``/services/esap-metrics/metrics``, so Prometheus needs only
the hub's address and one token (see the README, "Metrics").

Work done in a notebook's kernel runs in another process and is not counted
(these metrics describe the lab's panels and the REST API), with one
exception: clusters, which the server counts from the gateway's own records
whoever started them (:mod:`esap.bulk.watch`). Publications are counted when
a run ends (:mod:`esap.publish.jobs`), the basket's size at server start and
after every change through the API (:mod:`esap.server.basket_handlers`).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

#: Federated searches answer in milliseconds (a cache) to minutes (a slow TAP).
SEARCH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)

SEARCH_SECONDS = Histogram(
    "esap_search_seconds",
    "Time a data service took to answer one federated search (errors included).",
    ["service"],
    buckets=SEARCH_BUCKETS,
)
SEARCHES = Counter(
    "esap_searches",
    "Searches sent to a data service, by outcome (ok or error, timeouts included).",
    ["service", "outcome"],
)
PUBLISHES = Counter(
    "esap_publishes", "Publications run to an archive, by outcome.", ["archive", "outcome"]
)
BASKET_ITEMS = Gauge("esap_basket_items", "Items in the user's basket, as last seen.")
CLUSTERS_STARTED = Counter("esap_clusters_started", "Dask Gateway clusters started.")


def _outcome(ok: bool) -> str:
    return "ok" if ok else "error"


def record_search(service: str, seconds: float, ok: bool) -> None:
    """One data service answered (``ok``) or failed a search after ``seconds``."""
    SEARCH_SECONDS.labels(service=service).observe(seconds)
    SEARCHES.labels(service=service, outcome=_outcome(ok)).inc()


def record_publish(archive: str, ok: bool) -> None:
    """A publication to ``archive`` finished (``ok``) or failed."""
    PUBLISHES.labels(archive=archive, outcome=_outcome(ok)).inc()


def record_basket_size(items: int) -> None:
    """The basket now holds ``items`` items."""
    BASKET_ITEMS.set(items)


def record_cluster_started() -> None:
    """A Dask Gateway cluster was started for the user."""
    CLUSTERS_STARTED.inc()
