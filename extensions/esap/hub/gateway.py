"""Dask Gateway as a JupyterHub managed service, configured from the ``dask:`` section.

``gateway_settings`` turns ``esap.yaml`` into dask-gateway-server settings
(``{"Class": {"trait": value}}``, plain data), ``render_config`` writes them as
the gateway's ``dask_gateway_config.py``, and ``configure_gateway`` wires the
hub: the managed service, its scopes, and the environment every user server
gets so that a plain ``dask_gateway.Gateway()`` (and the dask-labextension
panel) finds the gateway with no argument. The Helm chart reuses
``gateway_settings`` and ``policy_settings`` for its own backend.

Local mode runs clusters with dask-gateway-server's ``UnsafeLocalBackend``:
on a local hub every user server already runs as the hub's OS user
(``SimpleLocalProcessSpawner``), so the ``LocalBackend``, which switches to
the user's OS account and needs root and one OS account per hub user, has no
account to switch to. The "unsafe" backend gives clusters exactly the
isolation the users' servers have here (none between users at the OS level);
isolation between users' clusters at the API level (who may see, scale or
stop a cluster) is the gateway's and is unchanged. Kubernetes deployments
isolate clusters in pods.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from pprint import pformat
from typing import Any

from esap.config import ConfigError, EsapConfig, Problem
from esap.config.public import dask_limits
from esap.config.sizes import memory_bytes
from esap.core.limits import SCHEDULER_CORES, SCHEDULER_MEMORY
from esap.hub import scopes
from esap.hub.state import HubState

SERVICE_NAME = "dask-gateway"
#: Where the hub's proxy serves the gateway (API and dashboards), as on z2jh.
SERVICE_PREFIX = f"/services/{SERVICE_NAME}"
#: The scope a token needs to use the gateway (checked by the gateway).
ACCESS_SCOPE = f"access:services!service={SERVICE_NAME}"
#: The scopes a user server's own token gets beyond JupyterHub's ``server``
#: role: the gateway, and the user's groups (the gateway reads them for limits).
SERVER_TOKEN_SCOPES = [ACCESS_SCOPE, "read:users:groups!user"]
BACKEND_CLASS = "esap.hub.gateway_policy.LimitedLocalBackend"
AUTHENTICATOR_CLASS = "dask_gateway_server.auth.JupyterHubAuthenticator"


def gateway_dir(state: HubState) -> Path:
    """The gateway's folder below the hub's data directory (config and cluster dirs)."""
    return state.root / "dask-gateway"


def config_file(state: HubState) -> Path:
    """The generated ``dask_gateway_config.py``."""
    return gateway_dir(state) / "dask_gateway_config.py"


def policy_settings(config: EsapConfig) -> dict[str, Any]:
    """Defaults, profiles and limits as JSON data for :mod:`esap.hub.gateway_policy`.

    Memory is in bytes, cores are whole workers' cores (the gateway counts
    whole cores: ``worker_cores: 1.5`` becomes 2).
    """
    dask = config.dask
    profiles = {
        profile.name: {
            "cores": None if profile.cpu is None else max(1, math.ceil(profile.cpu)),
            "memory": None if profile.memory is None else memory_bytes(profile.memory),
            "groups": list(profile.groups),
        }
        for profile in config.profiles
        if profile.cpu is not None or profile.memory is not None
    }
    return {
        "worker_cores": max(1, math.ceil(dask.worker_cores)),
        "worker_memory": memory_bytes(dask.worker_memory),
        "scheduler_cores": SCHEDULER_CORES,
        "scheduler_memory": SCHEDULER_MEMORY,
        "profiles": profiles,
        "limits": dask_limits(dask.limits),
        "group_limits": {group: dask_limits(limits) for group, limits in dask.group_limits.items()},
    }


def dask_command() -> list[str]:
    """The ``dask`` command of this environment (distributed has no ``dask-scheduler`` now)."""
    return [str(Path(sys.executable).parent / "dask")]


def gateway_settings(config: EsapConfig, state: HubState) -> dict[str, dict[str, Any]]:
    """dask-gateway-server settings for local mode, as ``{"Class": {"trait": value}}``.

    The API token, the hub's API URL and the service name reach the gateway
    through the environment JupyterHub gives a managed service
    (``JUPYTERHUB_API_TOKEN``, ``JUPYTERHUB_API_URL``,
    ``JUPYTERHUB_SERVICE_NAME``), so no secret is written here.
    """
    dask = config.dask
    policy = policy_settings(config)
    directory = gateway_dir(state)
    return {
        # ``c.Gateway.*`` would be silently ignored: the application is DaskGateway.
        "DaskGateway": {
            "address": f"127.0.0.1:{dask.api_port}",
            "authenticator_class": AUTHENTICATOR_CLASS,
            "backend_class": BACKEND_CLASS,
        },
        "Proxy": {
            "address": f"127.0.0.1:{dask.proxy_port}",
            "tcp_address": f"127.0.0.1:{dask.scheduler_port}",
            "prefix": SERVICE_PREFIX,
        },
        "JupyterHubAuthenticator": {"jupyterhub_service_name": SERVICE_NAME},
        "LocalBackend": {"clusters_directory": str(directory / "clusters")},
        "ClusterConfig": {
            "scheduler_cmd": [*dask_command(), "scheduler"],
            "worker_cmd": [*dask_command(), "worker"],
            "worker_cores": policy["worker_cores"],
            "worker_memory": policy["worker_memory"],
            "scheduler_cores": policy["scheduler_cores"],
            "scheduler_memory": policy["scheduler_memory"],
            "idle_timeout": float(dask.idle_timeout),
        },
        "LimitedLocalBackend": {"policy": policy},
    }


def render_config(settings: dict[str, dict[str, Any]]) -> str:
    """A ``dask_gateway_config.py`` that sets ``settings`` and the cluster options."""
    lines = [
        "# Generated by ESAP Hub from esap.yaml (the dask: section) at each hub start;",
        "# edit esap.yaml, not this file.",
        "from esap.hub.gateway_policy import cluster_options",
        "",
    ]
    for klass, traits in settings.items():
        for trait, value in traits.items():
            lines.append(f"c.{klass}.{trait} = {pformat(value, width=88, sort_dicts=True)}")
    lines.append("c.Backend.cluster_options = cluster_options(c.LimitedLocalBackend.policy)")
    return "\n".join(lines) + "\n"


#: The backend the chart's gateway runs (see :mod:`esap.hub.gateway_kube`).
KUBE_BACKEND_CLASS = "esap.hub.gateway_kube.LimitedKubeBackend"


def render_kube_config(config: EsapConfig) -> str:
    """The ``gateway.extraConfig`` block of the dask-gateway chart: ESAP's policy on Kubernetes.

    The chart's generated ``dask_gateway_config.py`` sets the Kubernetes
    backend, the cluster image and sizes and the JupyterHub authenticator,
    then runs this block, which swaps in ``LimitedKubeBackend`` (a
    ``KubeBackend``, so the chart's ``KubeBackend`` and ``KubeClusterConfig``
    settings still apply to it) with the same policy data as local mode.
    The gateway pod must be able to import ``esap``: the chart runs it on
    the hub image, which installs it.
    """
    policy = policy_settings(config)
    lines = [
        "# ESAP Hub: per-user and per-group Dask limits from esap.yaml (dask.limits,",
        "# dask.group_limits, profiles); written by `esap helm values`, do not edit.",
        "from esap.hub.gateway_policy import cluster_options",
        "",
        f"c.DaskGateway.backend_class = {KUBE_BACKEND_CLASS!r}",
        f"c.JupyterHubAuthenticator.jupyterhub_service_name = {SERVICE_NAME!r}",
        f"c.ClusterConfig.idle_timeout = {float(config.dask.idle_timeout)!r}",
        f"c.LimitedKubeBackend.policy = {pformat(policy, width=88, sort_dicts=True)}",
        "c.Backend.cluster_options = cluster_options(c.LimitedKubeBackend.policy)",
    ]
    return "\n".join(lines) + "\n"


def user_environment(config: EsapConfig) -> dict[str, str]:
    """What a user server needs so that ``Gateway()`` and dask-labextension just work.

    ``ADDRESS`` is the gateway's own proxy on loopback (the notebook and the
    gateway share the machine); ``PUBLIC_ADDRESS`` is the hub's path to it, so
    dashboard links open through the hub in the user's browser.
    """
    dask = config.dask
    return {
        "DASK_GATEWAY__ADDRESS": f"http://127.0.0.1:{dask.proxy_port}{SERVICE_PREFIX}",
        "DASK_GATEWAY__PUBLIC_ADDRESS": SERVICE_PREFIX,
        "DASK_GATEWAY__PROXY_ADDRESS": f"gateway://127.0.0.1:{dask.scheduler_port}",
        "DASK_GATEWAY__AUTH__TYPE": "jupyterhub",
        # dask-labextension: the "+ NEW" button creates a cluster on the gateway.
        "DASK_LABEXTENSION__FACTORY__MODULE": "dask_gateway",
        "DASK_LABEXTENSION__FACTORY__CLASS": "GatewayCluster",
        "DASK_LABEXTENSION__FACTORY__ARGS": "[]",
        "DASK_LABEXTENSION__FACTORY__KWARGS": "{}",
    }


def port_problems(config: EsapConfig) -> list[Problem]:
    """The gateway's ports must differ from each other and from the hub's."""
    hub, dask = config.hub, config.dask
    taken = {
        "hub.port": hub.port,
        "hub.internal_port": hub.internal_port,
        "hub.proxy_api_port": hub.proxy_api_port,
    }
    problems = []
    for key in ("proxy_port", "scheduler_port", "api_port"):
        port = getattr(dask, key)
        for other, value in taken.items():
            if port == value:
                problems.append(
                    Problem(
                        f"dask.{key}",
                        str(port),
                        f"the same port as {other}",
                        f"give dask.{key} a port of its own",
                    )
                )
        taken[f"dask.{key}"] = port
    return problems


def configure_gateway(c: Any, config: EsapConfig, state: HubState) -> None:
    """When ``dask.enabled``, run the gateway as a hub service and point user servers at it."""
    if not config.dask.enabled:
        return
    problems = port_problems(config)
    if problems:
        raise ConfigError(problems)
    directory = gateway_dir(state)
    (directory / "clusters").mkdir(parents=True, exist_ok=True)
    path = config_file(state)
    path.write_text(render_config(gateway_settings(config, state)))

    services = list(c.JupyterHub.services) if isinstance(c.JupyterHub.services, list) else []
    services.append(
        {
            "name": SERVICE_NAME,
            "url": f"http://127.0.0.1:{config.dask.proxy_port}",
            "command": [sys.executable, "-m", "dask_gateway_server", "-f", str(path)],
            "cwd": str(directory),
            "display": False,
        }
    )
    c.JupyterHub.services = services
    # every user may use the gateway, and their server's token carries that right
    scopes.grant(c, user=[ACCESS_SCOPE], server=SERVER_TOKEN_SCOPES)
    environment = c.Spawner.environment if isinstance(c.Spawner.environment, dict) else {}
    c.Spawner.environment = {**environment, **user_environment(config)}
