"""Hub wiring that exists only on Kubernetes (the ``helm/esap-hub`` chart).

The chart installs dask-gateway with a fixed name (``fullnameOverride``), so
the hub knows where its Traefik proxy is, and both the hub and the gateway
read one API token from the chart's Secret. The hub registers the gateway as
an external service (as the daskhub chart does) and points every user server
at it through the hub's proxy, so ``dask_gateway.Gateway()`` needs no
argument there either.
"""

from __future__ import annotations

import os
from typing import Any

from esap.config import ConfigError, EsapConfig, Problem
from esap.hub import scopes
from esap.hub.gateway import ACCESS_SCOPE, SERVER_TOKEN_SCOPES, SERVICE_NAME, SERVICE_PREFIX

#: ``dask-gateway.fullnameOverride`` in the chart values.
GATEWAY_FULLNAME = "esap-dask-gateway"
#: The dask-gateway chart's Traefik service (``traefik-<fullname>``), HTTP on 80.
GATEWAY_TRAEFIK = f"traefik-{GATEWAY_FULLNAME}"
#: z2jh's public proxy service, reachable from user pods.
PROXY_PUBLIC = "proxy-public"
#: The chart's Secret holding the token the hub and the gateway share, and its key.
SECRET_NAME = "esap-hub-secrets"  # noqa: S105 - a resource name
GATEWAY_TOKEN_KEY = "dask-gateway-api-token"  # noqa: S105 - a key name
#: The hub's environment variable carrying that token (from the Secret).
GATEWAY_TOKEN_ENV = "ESAP_DASK_GATEWAY_API_TOKEN"  # noqa: S105 - a variable name


def user_environment() -> dict[str, str]:
    """What a user pod needs for ``Gateway()``: the gateway behind the hub's proxy."""
    return {
        "DASK_GATEWAY__ADDRESS": f"http://{PROXY_PUBLIC}{SERVICE_PREFIX}",
        "DASK_GATEWAY__PUBLIC_ADDRESS": f"{SERVICE_PREFIX}/",
        "DASK_GATEWAY__PROXY_ADDRESS": f"gateway://{GATEWAY_TRAEFIK}:80",
        "DASK_GATEWAY__AUTH__TYPE": "jupyterhub",
    }


def configure_kubernetes_gateway(c: Any, config: EsapConfig) -> None:
    """When ``dask.enabled``: the chart's gateway as a hub service, and user pods told of it."""
    if not config.dask.enabled:
        return
    token = os.environ.get(GATEWAY_TOKEN_ENV)
    if not token:
        raise ConfigError(
            [
                Problem(
                    "dask.enabled",
                    "true",
                    f"on Kubernetes the hub needs the gateway's API token in {GATEWAY_TOKEN_ENV}",
                    "deploy with the helm/esap-hub chart (its Secret provides it), "
                    "or set dask.enabled: false",
                )
            ]
        )
    services = list(c.JupyterHub.services) if isinstance(c.JupyterHub.services, list) else []
    services.append(
        {
            "name": SERVICE_NAME,
            "url": f"http://{GATEWAY_TRAEFIK}",
            "api_token": token,
            "display": False,
        }
    )
    c.JupyterHub.services = services
    scopes.grant(c, user=[ACCESS_SCOPE], server=SERVER_TOKEN_SCOPES)
    environment = c.KubeSpawner.environment
    current = environment if isinstance(environment, dict) else {}
    c.KubeSpawner.environment = {**current, **user_environment()}
