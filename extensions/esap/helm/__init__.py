"""The Helm chart side: chart values and the chart's values schema from one ``esap.yaml``.

``helm/esap-hub`` wraps the zero-to-jupyterhub ``jupyterhub`` chart and the
``dask-gateway`` chart; ``esap helm values`` writes the values that deploy a
given ``esap.yaml`` with it, and ``values.schema.json`` is generated here
from the config models.

Both are imported on first use, not with the package: the value builder
imports the hub's modules (JupyterHub with them), which ``esap helm schema``
does not need.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from esap.helm.schema import values_schema
    from esap.helm.values import chart_values

_HOMES = {"chart_values": "esap.helm.values", "values_schema": "esap.helm.schema"}


def __getattr__(name: str) -> Any:
    """``esap.helm.chart_values`` and ``values_schema``, from their modules (PEP 562)."""
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["chart_values", "values_schema"]
