"""Hub services: the idle culler and the external API clients named in the config."""

from __future__ import annotations

import json
import sys
from importlib.resources import files
from typing import Any

from esap.config import EsapConfig
from esap.hub import culling, metrics_service
from esap.hub.auth import resolve_secret
from esap.probe import service as probe_service

CULLER_SCOPES = ["list:users", "read:users:activity", "read:servers", "delete:servers"]


def configure_services(c: Any, config: EsapConfig) -> None:
    """Add the culler (jupyterhub-idle-culler) and the configured API services."""
    services: list[dict[str, Any]] = []
    roles: list[dict[str, Any]] = []
    limits = [seconds for seconds in culling.timeouts(config).values() if seconds > 0]
    if limits:
        # one culler; the arbiter in culler_config.py applies each profile's timeout
        shortest = min(limits)
        services.append(
            {
                "name": "idle-culler",
                "command": [
                    sys.executable,
                    "-m",
                    "jupyterhub_idle_culler",
                    f"--timeout={shortest}",
                    f"--cull-every={max(5, min(300, shortest // 2))}",
                    f"--config={files('esap.hub') / 'culler_config.py'}",
                ],
                "environment": {culling.TIMEOUTS_ENV: json.dumps(culling.timeouts(config))},
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
    metrics = config.hub.metrics
    if metrics.enabled:
        scrape_token: str | None = None
        if metrics.token is not None:
            scrape_token = resolve_secret(
                metrics.token, "hub.metrics.token", "set it, or remove it (hub tokens still work)"
            )
        services.append(metrics_service.service_entry(config, scrape_token))
        roles.append(
            {
                "name": metrics_service.SERVICE_NAME,
                "scopes": metrics_service.SERVICE_SCOPES,
                "services": [metrics_service.SERVICE_NAME],
            }
        )
    probe = config.probe
    if probe.enabled or probe.token is not None:
        # the probe's rounds on a schedule, or only its token (for `esap probe --once`)
        probe_token = None
        if probe.token is not None:
            probe_token = resolve_secret(
                probe.token, "probe.token", "set it, or remove it (the hub then makes one)"
            )
        scrape = None
        if metrics.token is not None:
            scrape = resolve_secret(metrics.token, "hub.metrics.token", "set it, or remove it")
        services.append(probe_service.service_entry(config, probe_token, scrape))
        roles.append(probe_service.role(config))
    c.JupyterHub.services = services
    c.JupyterHub.load_roles = roles
