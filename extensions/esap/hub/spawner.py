"""Spawner settings: how a user's JupyterLab starts and what it is told.

Local mode runs every user's server as a process of the hub's OS user, with a
home of its own under the data directory (JupyterHub's
``SimpleLocalProcessSpawner`` with the profile form). Kubernetes mode runs
KubeSpawner with the same profiles, filtered by the user's groups; the rest
of a pod's shape (storage, image pull, service account) comes from the
zero-to-jupyterhub chart's values.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

from esap.config import EsapConfig
from esap.config.public import server_environment
from esap.hub.local_spawner import EsapLocalSpawner
from esap.hub.profiles import profile_list_for
from esap.hub.state import HubState

LOG = logging.getLogger("esap.hub")


def user_environment(config: EsapConfig) -> dict[str, str]:
    """What every user server starts with: the public config and its secret options."""
    environment, problems = server_environment(config)
    for problem in problems:
        LOG.warning("%s", problem)
    for warning in config.adapter_warnings:
        LOG.warning("esap.yaml: %s", warning)
    return environment


def singleuser_command() -> list[str]:
    """The single-user server from the same environment as the hub."""
    return [str(Path(sys.executable).parent / "jupyterhub-singleuser")]


def add_server_args(c: Any, *args: str) -> None:
    """Add command-line settings of every user's server (``c.Spawner.args``), keeping the rest.

    Projects and sharing each set a jupyter-server class there (the contents
    manager, the authorizer), whichever is configured first.
    """
    current = c.Spawner.args
    existing = list(current) if isinstance(current, list) else []
    c.Spawner.args = existing + [arg for arg in args if arg not in existing]


def configure_spawner(c: Any, config: EsapConfig, state: HubState) -> None:
    """Set the spawner on the traitlets config ``c``."""
    if config.hub.mode == "kubernetes":
        configure_kubespawner(c, config)
        return
    c.JupyterHub.spawner_class = EsapLocalSpawner
    c.EsapLocalSpawner.profile_list = profile_list_for(config) if config.profiles else None
    c.SimpleLocalProcessSpawner.home_dir_template = str(state.homes / "{username}")
    c.Spawner.cmd = singleuser_command()
    args = ["--allow-root"] if os.geteuid() == 0 else []
    c.Spawner.args = args
    c.Spawner.default_url = config.hub.singleuser_default_url
    c.Spawner.start_timeout = 120
    c.Spawner.http_timeout = 120
    c.Spawner.environment = user_environment(config)


def configure_kubespawner(c: Any, config: EsapConfig) -> None:
    """KubeSpawner with the ``profiles:`` list as its ``profile_list`` (filtered by group)."""
    c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
    if config.profiles:
        c.KubeSpawner.profile_list = profile_list_for(config)
    c.Spawner.default_url = config.hub.singleuser_default_url
    c.KubeSpawner.environment = user_environment(config)
