"""Hub services: the idle culler and the external API clients named in the config."""

from __future__ import annotations

import sys
from typing import Any

from esap.config import EsapConfig
from esap.hub.auth import resolve_secret

CULLER_SCOPES = ["list:users", "read:users:activity", "read:servers", "delete:servers"]


def configure_services(c: Any, config: EsapConfig) -> None:
    """Add the culler (jupyterhub-idle-culler) and the configured API services."""
    services: list[dict[str, Any]] = []
    roles: list[dict[str, Any]] = []
    if config.hub.cull_idle_after > 0:
        services.append(
            {
                "name": "idle-culler",
                "command": [
                    sys.executable,
                    "-m",
                    "jupyterhub_idle_culler",
                    f"--timeout={config.hub.cull_idle_after}",
                    f"--cull-every={max(10, min(300, config.hub.cull_idle_after // 2))}",
                ],
            }
        )
        roles.append({"name": "idle-culler", "scopes": CULLER_SCOPES, "services": ["idle-culler"]})
    for index, service in enumerate(config.hub.services):
        token = resolve_secret(
            service.token,
            f"hub.services[{index}].token",
            "set it, or remove the service",
        )
        services.append({"name": service.name, "api_token": token})
        if service.scopes:
            roles.append(
                {
                    "name": f"service-{service.name}",
                    "scopes": list(service.scopes),
                    "services": [service.name],
                }
            )
    c.JupyterHub.services = services
    c.JupyterHub.load_roles = roles
