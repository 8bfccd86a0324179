"""Idle culling with a timeout per profile, on top of jupyterhub-idle-culler.

The culler takes a single ``--timeout``; since 1.4 it also takes a
``cull_arbiter_hook`` that decides for each server. ``culler_config.py``
(loaded with the culler's ``--config``) installs :func:`arbiter`, which looks
up the server's profile in ``user_options`` (what the profile form, ours or
KubeSpawner's, records as ``{"profile": name}``) and applies that profile's
``idle_timeout`` from ``esap.yaml``, passed in ``$ESAP_CULL_TIMEOUTS``.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from typing import Any

from esap.config import EsapConfig

TIMEOUTS_ENV = "ESAP_CULL_TIMEOUTS"
#: Key of the timeout for servers started without a profile choice.
DEFAULT_KEY = ""


def timeouts(config: EsapConfig) -> dict[str, int]:
    """Seconds of inactivity before culling, per profile name (0: never).

    A profile without ``idle_timeout`` uses ``hub.cull_idle_after``; a server
    started without a choice counts as the default profile (the one marked
    ``default``, else the first).
    """
    table = {
        profile.name: profile.idle_timeout or config.hub.cull_idle_after
        for profile in config.profiles
    }
    default = next((p for p in config.profiles if p.default), None) or next(
        iter(config.profiles), None
    )
    table[DEFAULT_KEY] = table[default.name] if default else config.hub.cull_idle_after
    return table


def arbiter(inactive: timedelta | None, inactive_limit: int, server: dict[str, Any]) -> bool:
    """Whether ``server`` has been idle longer than its profile allows."""
    table: dict[str, int] = json.loads(os.environ.get(TIMEOUTS_ENV, "{}"))
    profile = str((server.get("user_options") or {}).get("profile") or DEFAULT_KEY)
    limit = table.get(profile, table.get(DEFAULT_KEY, inactive_limit))
    if inactive is None or limit <= 0:
        return False
    return inactive.total_seconds() >= limit
