"""Spawner settings: how a user's JupyterLab starts and what it is told.

Local mode runs every user's server as a process of the hub's OS user, with a
home of its own under the data directory (JupyterHub's
``SimpleLocalProcessSpawner``). Kubernetes mode (KubeSpawner with profiles)
plugs in here.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from esap.config import ConfigError, EsapConfig, Problem, public
from esap.hub.state import HubState

#: Environment variable carrying the public part of the config to user servers.
PUBLIC_CONFIG_ENV = "ESAP_PUBLIC_CONFIG"


def singleuser_command() -> list[str]:
    """The single-user server from the same environment as the hub."""
    return [str(Path(sys.executable).parent / "jupyterhub-singleuser")]


def configure_spawner(c: Any, config: EsapConfig, state: HubState) -> None:
    """Set the spawner on the traitlets config ``c``."""
    if config.hub.mode != "local":
        raise ConfigError(
            [
                Problem(
                    "hub.mode",
                    repr(config.hub.mode),
                    "this version of ESAP Hub can only run user servers locally",
                    "use hub.mode: local",
                )
            ]
        )
    c.JupyterHub.spawner_class = "simple"
    c.SimpleLocalProcessSpawner.home_dir_template = str(state.homes / "{username}")
    c.Spawner.cmd = singleuser_command()
    args = ["--allow-root"] if os.geteuid() == 0 else []
    c.Spawner.args = args
    c.Spawner.default_url = config.hub.singleuser_default_url
    c.Spawner.start_timeout = 120
    c.Spawner.http_timeout = 120
    c.Spawner.environment = {PUBLIC_CONFIG_ENV: json.dumps(public(config))}
