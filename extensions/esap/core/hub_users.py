"""A JupyterHub user model read once: the servers a user runs, since when.

The user's own server (the "My usage" view, :mod:`esap.usage`) and the
admin's table of everyone (:mod:`esap.hub.usage`) read the same model of
the hub's REST API (``GET /hub/api/users/<name>``), so both say "running
for 2 h" of the same thing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def parse_time(stamp: str | None) -> datetime | None:
    """An ISO 8601 time of the hub's API (``...Z``) as an aware datetime, or ``None``."""
    if not stamp:
        return None
    try:
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def servers_of(model: dict[str, Any], now: datetime | None = None) -> list[dict[str, Any]]:
    """A hub user model's servers (``""`` is the default one), each with ``running_seconds``."""
    now = now or datetime.now(UTC)
    found = []
    for name, server in sorted((model.get("servers") or {}).items()):
        started = parse_time(server.get("started"))
        found.append(
            {
                "name": name,
                "ready": bool(server.get("ready")),
                "pending": server.get("pending"),
                "started": server.get("started"),
                "last_activity": server.get("last_activity"),
                "running_seconds": None
                if started is None
                else max(0, int((now - started).total_seconds())),
                "url": server.get("url"),
            }
        )
    return found


__all__ = ["parse_time", "servers_of"]
