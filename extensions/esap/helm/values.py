"""Chart values for ``helm/esap-hub`` from an ``esap.yaml`` (``esap helm values``).

The chart's own ``values.yaml`` holds what never changes (the hub's
``extraConfig`` that calls ``esap.hub.configure_from_env``, the ConfigMap
mount, the shared gateway token); this module writes what a given config
decides: the config itself (in Kubernetes mode), images, the environment
variables its ``env:NAME`` secrets need (from a Secret the admin creates),
the single-user default URL, the home volume's size (``hub.home_quota``)
and the Dask Gateway backend sizes and limits. The result is checked
against the upstream charts' values schemas by the tests, since their keys
are theirs.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel

from esap.config import EsapConfig, SecretRef
from esap.helm.images import DEFAULT_HUB_IMAGE, DEFAULT_SINGLEUSER_IMAGE
from esap.hub.gateway import SERVICE_PREFIX, policy_settings, render_kube_config
from esap.hub.kubernetes import GATEWAY_FULLNAME, GATEWAY_TOKEN_KEY, SECRET_NAME
from esap.hub.metrics_service import KUBERNETES_PORT
from esap.hub.sharing_service import KUBERNETES_PORT as SHARING_PORT
from esap.probe.service import KUBERNETES_PORT as PROBE_PORT

#: Where the hub pod mounts the ConfigMap, and where its state lives (z2jh's hub PVC).
CONFIG_DIR = "/etc/esap"
DATA_DIR = "/srv/jupyterhub/esap"
CONFIG_MAP_NAME = "esap-hub-config"
#: The Secret the admin creates with one key per env:NAME reference of esap.yaml.
ENV_SECRET_NAME = "esap-hub-env"  # noqa: S105 - a resource name


def secret_refs(node: Any) -> list[SecretRef]:
    """Every secret reference in the config, in file order (without repeats)."""
    found: list[SecretRef] = []
    if isinstance(node, SecretRef):
        found.append(node)
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            found.extend(secret_refs(getattr(node, name)))
    elif isinstance(node, list | tuple):
        for item in node:
            found.extend(secret_refs(item))
    elif isinstance(node, dict):
        for item in node.values():
            found.extend(secret_refs(item))
    return list(dict.fromkeys(found))


def image(reference: str) -> dict[str, str]:
    """``registry/name:tag`` as the charts write images (``name`` and ``tag``)."""
    name, sep, tag = reference.rpartition(":")
    if not sep or "/" in tag:
        return {"name": reference, "tag": "latest"}
    return {"name": name, "tag": tag}


def kubernetes_config(config: EsapConfig) -> dict[str, Any]:
    """The config as the hub pod reads it: Kubernetes mode, state on the hub's volume."""
    data = config.model_dump(mode="json", exclude_defaults=True)
    hub = data.setdefault("hub", {})
    hub["mode"] = "kubernetes"
    hub["data_dir"] = DATA_DIR
    # z2jh runs the proxy and the hub's network; these local settings do not apply
    for key in ("ip", "port", "internal_port", "proxy_api_port"):
        hub.pop(key, None)
    # a local archive keeps its place below the data directory, now the hub's volume
    for entry, archive in zip(config.archives, data.get("archives", []), strict=True):
        if entry.path is None:
            continue
        try:
            inside = entry.path.relative_to(config.hub.data_dir)
        except ValueError:
            inside = Path("archives") / entry.name
        archive["path"] = str(PurePosixPath(DATA_DIR) / inside.as_posix())
    return data


def _hub_env(config: EsapConfig) -> dict[str, Any]:
    env: dict[str, Any] = {}
    for ref in secret_refs(config):
        kind, _, name = ref.partition(":")
        if kind == "env":
            env[name] = {"valueFrom": {"secretKeyRef": {"name": ENV_SECRET_NAME, "key": name}}}
    return env


def _gateway_values(config: EsapConfig, hub_image: str, singleuser_image: str) -> dict[str, Any]:
    """The dask-gateway chart's values: JupyterHub auth, sizes, and ESAP's limits.

    The gateway (API server) runs on the hub image, which installs ``esap``,
    so its ``extraConfig`` can load ESAP's backend and policy
    (:func:`esap.hub.gateway.render_kube_config`). Sizes are requests only:
    Kubernetes limits default to the requests in ``KubeClusterConfig``, so a
    profile's larger worker never gets a request above its limit. The
    scheduler's size is the one the policy counts.
    """
    policy = policy_settings(config)
    gateway: dict[str, Any] = {
        "image": image(hub_image),
        "prefix": SERVICE_PREFIX,
        "auth": {
            "type": "jupyterhub",
            "jupyterhub": {
                "apiTokenFromSecretName": SECRET_NAME,
                "apiTokenFromSecretKey": GATEWAY_TOKEN_KEY,
                "apiUrl": "http://hub:8081/hub/api",
            },
        },
        "backend": {
            "image": image(singleuser_image),
            "scheduler": {
                "cores": {"request": policy["scheduler_cores"]},
                "memory": {"request": policy["scheduler_memory"]},
            },
            "worker": {
                "cores": {"request": policy["worker_cores"]},
                "memory": {"request": policy["worker_memory"]},
            },
        },
        "extraConfig": {"esap-policy": render_kube_config(config)},
    }
    return {
        "enabled": config.dask.enabled,
        "fullnameOverride": GATEWAY_FULLNAME,
        "gateway": gateway,
    }


def _metrics_hub_values(config: EsapConfig) -> dict[str, Any]:
    """The proxy may reach the esap-metrics, esap-probe and esap-sharing services, when on.

    z2jh's hub Service and NetworkPolicy open only the hub's port 8081; the
    services listen beside it, on :data:`esap.hub.metrics_service.KUBERNETES_PORT`
    and :data:`esap.probe.service.KUBERNETES_PORT`.
    """
    ports = []
    if config.hub.metrics.enabled:
        ports.append(("esap-metrics", KUBERNETES_PORT))
    if config.probe.enabled:
        ports.append(("esap-probe", PROBE_PORT))
    if config.sharing.enabled:  # user servers reach it through the proxy
        ports.append(("esap-sharing", SHARING_PORT))
    if not ports:
        return {}
    return {
        "service": {
            "extraPorts": [{"name": name, "port": port, "targetPort": port} for name, port in ports]
        },
        "networkPolicy": {
            "ingress": [
                {
                    "from": [{"podSelector": {"matchLabels": {"component": "proxy"}}}],
                    "ports": [{"port": port, "protocol": "TCP"} for _, port in ports],
                }
            ]
        },
    }


def _home_storage(config: EsapConfig) -> dict[str, Any]:
    """The home volume's size is ``hub.home_quota``, when set: what the storage class holds.

    zero-to-jupyterhub gives each user a volume of ``singleuser.storage.capacity``
    (10Gi by default); a storage class that enforces volume sizes (most block
    storage: Ceph RBD, cloud disks; not hostPath, and NFS only with quotas on
    the server) then refuses writes past it, and ESAP's own check (in the
    user's server) has already told the user why.
    """
    quota = config.hub.home_quota
    return {} if quota is None else {"storage": {"capacity": quota}}


def chart_values(
    config: EsapConfig,
    hub_image: str = DEFAULT_HUB_IMAGE,
    singleuser_image: str = DEFAULT_SINGLEUSER_IMAGE,
) -> dict[str, Any]:
    """The values that deploy ``config`` with ``helm/esap-hub`` (merged over its defaults)."""
    esap_config = kubernetes_config(config)
    checksum = hashlib.sha256(json.dumps(esap_config, sort_keys=True).encode()).hexdigest()
    return {
        "esap": {
            "config": esap_config,
            "configMapName": CONFIG_MAP_NAME,
            "secretName": SECRET_NAME,
            "envSecretName": ENV_SECRET_NAME,
        },
        "jupyterhub": {
            "hub": {
                "image": image(hub_image),
                # a changed esap.yaml restarts the hub, which reads it at start
                "annotations": {"esap-hub/config-checksum": checksum},
                "extraEnv": _hub_env(config),
                **_metrics_hub_values(config),
            },
            "singleuser": {
                "image": image(singleuser_image),
                "defaultUrl": config.hub.singleuser_default_url,
                **_home_storage(config),
            },
        },
        "dask-gateway": _gateway_values(config, hub_image, singleuser_image),
    }
