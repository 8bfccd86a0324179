"""Bulk analysis: clusters on the hub's Dask Gateway, basket mapping, headless notebook runs.

In a notebook::

    import esap.bulk
    cluster = esap.bulk.cluster(workers=4)        # the hub's gateway, your limits
    client = cluster.get_client()
    results = esap.bulk.map_basket(reduce_file, items)   # progress bar, results in order
    cluster.shutdown()

and from a terminal, ``esap run notebook.ipynb -p name=value`` runs a
notebook as a job (see ``esap.bulk.jobs``). Dask is imported on first use
of ``cluster`` or ``map_basket``, so ``esap run`` and the REST API start fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from esap.bulk.errors import BulkError, GatewayUnreachable, LimitError, NoGateway

if TYPE_CHECKING:
    from esap.bulk.clusters import cluster
    from esap.bulk.mapping import ItemError, map_basket

_LAZY = {
    "cluster": "esap.bulk.clusters",
    "map_basket": "esap.bulk.mapping",
    "ItemError": "esap.bulk.mapping",
}

__all__ = [
    "BulkError",
    "GatewayUnreachable",
    "ItemError",
    "LimitError",
    "NoGateway",
    "cluster",
    "map_basket",
]


def __getattr__(name: str) -> Any:
    """Import the Dask-using parts on first use (a lean install says which extra brings Dask)."""
    if name in _LAZY:
        from esap import plugins

        try:
            module = import_module(_LAZY[name])
        except ModuleNotFoundError as exc:
            raise plugins.missing_library(exc, f"esap.bulk.{name}", "dask") from exc
        return getattr(module, name)
    raise AttributeError(f"module 'esap.bulk' has no attribute {name!r}")
