"""A user's Dask limits, read one way by the gateway that enforces them and the lab that shows them.

``esap.yaml`` sets limits for everyone (``dask.limits``) and per group
(``dask.group_limits``); a user in several groups gets, for each limit, the
most generous value among the groups that set it, else the everyone value.
The gateway's policy (``esap.hub.gateway_policy``, in the gateway's process)
applies this rule to refuse clusters; the "My usage" view applies the same
rule to show the user what they may still start. A cluster holds its
scheduler's share besides its workers', and both count toward the limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The scheduler counts toward a user's cores and memory like a worker does.
SCHEDULER_CORES = 1
SCHEDULER_MEMORY = 2**30
#: The limits, as ``dask.limits`` names them.
FIELDS = ("max_clusters", "max_cores", "max_memory")


@dataclass(frozen=True)
class Limit:
    """One limit as it applies to a user: its value (None: none) and its esap.yaml key."""

    value: float | None
    key: str


def effective_limits(policy: dict[str, Any], groups: set[str]) -> dict[str, Limit]:
    """The user's limits: the most generous group value, else ``dask.limits``.

    ``policy`` holds ``limits`` and ``group_limits`` as the gateway policy
    and the public config write them (memory in bytes).
    """
    result = {}
    for field in FIELDS:
        best: Limit | None = None
        for group in sorted(groups):
            value = (policy.get("group_limits") or {}).get(group, {}).get(field)
            if value is not None and (best is None or value > (best.value or 0)):
                best = Limit(value, f"dask.group_limits.{group}.{field}")
        default = (policy.get("limits") or {}).get(field)
        result[field] = best or Limit(default, f"dask.limits.{field}")
    return result


__all__ = ["FIELDS", "SCHEDULER_CORES", "SCHEDULER_MEMORY", "Limit", "effective_limits"]
