"""Bulk analysis: clusters on the hub's Dask Gateway, basket mapping, headless notebook runs.

In a notebook::

    import esap.bulk
    cluster = esap.bulk.cluster(workers=4)        # the hub's gateway, your limits
    client = cluster.get_client()
    results = esap.bulk.map_basket(reduce_file, items)   # progress bar, results in order
    cluster.shutdown()

and from a terminal, ``esap run notebook.ipynb -p name=value`` runs a
notebook as a job (see :mod:`esap.bulk.jobs`).
"""

from __future__ import annotations

from esap.bulk.cluster import BulkError, GatewayUnreachable, LimitError, NoGateway, cluster
from esap.bulk.mapping import ItemError, map_basket

__all__ = [
    "BulkError",
    "GatewayUnreachable",
    "ItemError",
    "LimitError",
    "NoGateway",
    "cluster",
    "map_basket",
]
