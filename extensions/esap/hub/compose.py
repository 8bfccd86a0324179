"""Compose a JupyterHub traitlets config from an :class:`EsapConfig`."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from esap.config import ConfigError, EsapConfig, Problem, load
from esap.core.public_config import CONFIG_ENV  # the esap.yaml configure_from_env reads
from esap.hub import leftovers
from esap.hub.auth import configure_auth, resolve_secret
from esap.hub.gateway import configure_gateway
from esap.hub.kubernetes import configure_kubernetes_gateway
from esap.hub.projects import configure_projects
from esap.hub.services import configure_services
from esap.hub.sharing import configure_sharing
from esap.hub.spawner import configure_spawner
from esap.hub.state import HubState
from esap.hub.usage_page import configure_usage
from esap.workshop.hub import configure_workshop

#: Overrides ``hub.port`` (what ``esap hub --port`` sets).
PORT_ENV = "ESAP_HUB_PORT"


def proxy_command() -> list[str] | None:
    """configurable-http-proxy from the hub's environment, else from PATH."""
    beside = Path(sys.executable).parent / "configurable-http-proxy"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("configurable-http-proxy")
    return [found] if found else None


def configure(c: Any, config: EsapConfig) -> None:
    """Configure JupyterHub (the ``c`` of a ``jupyterhub_config.py``) from ``config``.

    Raises :class:`ConfigError` when a referenced secret cannot be resolved or
    a setting cannot be honoured, with the key to fix.
    """
    hub = config.hub
    state = HubState(hub.data_dir.resolve())
    state.prepare()

    if hub.mode == "local":
        # on Kubernetes the zero-to-jupyterhub chart sets the network, proxy and database
        configure_local_hub(c, config, state)
    if hub.cookie_secret is not None:
        value = resolve_secret(hub.cookie_secret, "hub.cookie_secret", "set it, or remove it")
        try:
            c.JupyterHub.cookie_secret = bytes.fromhex(value)
        except ValueError:
            raise ConfigError(
                [
                    Problem(
                        "hub.cookie_secret",
                        repr(str(hub.cookie_secret)),
                        "the cookie secret is not hexadecimal",
                        "generate one with `openssl rand -hex 32`",
                    )
                ]
            ) from None
    c.JupyterHub.template_vars = {"announcement_login": f"Welcome to {hub.title}"}
    c.JupyterHub.cleanup_servers = True

    configure_auth(c, config, state)
    configure_spawner(c, config, state)
    configure_services(c, config)
    if hub.mode == "local":
        configure_gateway(c, config, state)
    else:
        configure_kubernetes_gateway(c, config)
    configure_workshop(c, config, state.root)
    configure_usage(c, config, state)
    configure_projects(c, config, state)
    configure_sharing(c, config, state)
    if config.auth.type == "oidc":
        from esap.hub.tokens import configure_tokens  # JupyterHub's API handlers

        configure_tokens(c)
    if hub.mode == "local":
        leftovers.mark(c, state)  # every process it starts, found again by its mark


def configure_local_hub(c: Any, config: EsapConfig, state: HubState) -> None:
    """Addresses, proxy and database of a hub that runs on this machine."""
    hub = config.hub
    c.JupyterHub.ip = hub.ip
    c.JupyterHub.port = hub.port
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = hub.internal_port
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{hub.proxy_api_port}"
    command = proxy_command()
    if command:
        c.ConfigurableHTTPProxy.command = command
    c.ConfigurableHTTPProxy.pid_file = str(state.proxy_pid_file)
    c.JupyterHub.db_url = state.database_url
    c.JupyterHub.pid_file = str(state.hub_pid_file)
    c.JupyterHub.cookie_secret_file = str(state.cookie_secret_file)


def configure_from_env(c: Any) -> EsapConfig:
    """Load ``$ESAP_CONFIG`` (default ``esap.yaml``), apply ``$ESAP_HUB_PORT``, configure ``c``.

    This is what a ``jupyterhub_config.py`` calls; it returns the config used.
    """
    config = load(os.environ.get(CONFIG_ENV, "esap.yaml"), lenient_adapters=True)
    port = os.environ.get(PORT_ENV)
    if port:
        config = with_port(config, int(port))
    configure(c, config)
    if config.hub.mode == "local":  # this is the hub's process: it leaves nothing running
        leftovers.guard(HubState(config.hub.data_dir.resolve()))
    return config


def with_port(config: EsapConfig, port: int) -> EsapConfig:
    """Return ``config`` listening on another public port."""
    return config.model_copy(update={"hub": config.hub.model_copy(update={"port": port})})
