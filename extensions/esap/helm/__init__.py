"""The Helm chart side: chart values and the chart's values schema from one ``esap.yaml``.

``helm/esap-hub`` wraps the zero-to-jupyterhub ``jupyterhub`` chart and the
``dask-gateway`` chart; ``esap helm values`` writes the values that deploy a
given ``esap.yaml`` with it, and ``values.schema.json`` is generated here
from the config models.
"""

from esap.helm.schema import values_schema
from esap.helm.values import chart_values

__all__ = ["chart_values", "values_schema"]
