"""Cluster options and per-user / per-group limits, enforced inside dask-gateway-server.

This module runs in the gateway's process (its generated config imports it).
dask-gateway-server limits one cluster at a time (``cluster_max_cores``,
``cluster_max_memory``, which clamp scaling); it has no notion of a user's
total or of a number of clusters. ESAP adds them here:

- ``cluster_options(policy)``: the options a user may set (worker cores,
  worker memory, a profile from ``esap.yaml``), and a handler that checks a
  worker fits the user's limits and records the limits in the cluster config;
- ``LimitedLocalBackend``: refuses a cluster beyond ``max_clusters`` or when
  the user's other clusters leave no room, caps each new cluster to what is
  left of the user's cores and memory, and refuses a scale-up that would
  exceed the user's total because other clusters grew since.

Every refusal is an error the client raises at once (``ValueError`` or
``GatewayClusterError``), naming the limit's key in ``esap.yaml``. A user in
several groups gets, for each limit, the most generous value among the groups
that set it; a group that leaves a limit unset falls back to ``dask.limits``.
"""

from __future__ import annotations

from typing import Any

from dask_gateway_server.backends.base import ClusterConfig, PublicException
from dask_gateway_server.backends.local import UnsafeLocalBackend
from dask_gateway_server.options import Float, Integer, Options, Select
from traitlets import Dict, Type

from esap.core.limits import effective_limits

GIB = 2**30
DEFAULT_PROFILE = "default"


def _size(value: float) -> str:
    """Bytes as the user wrote them, roughly: 2.0 GiB."""
    return f"{value / GIB:.3g} GiB"


def _fix(user: str) -> str:
    return (
        f"shut down or scale down another of {user}'s clusters, ask for less, "
        "or ask the hub admin to raise the limit in esap.yaml"
    )


def _allowed_profiles(policy: dict[str, Any], groups: set[str]) -> dict[str, dict[str, Any]]:
    return {
        name: profile
        for name, profile in policy["profiles"].items()
        if not profile["groups"] or groups & set(profile["groups"])
    }


def cluster_options(policy: dict[str, Any]) -> Any:
    """``c.Backend.cluster_options``: a callable giving each user their options."""

    def for_user(user: Any) -> Options:
        groups = set(user.groups)
        profiles = _allowed_profiles(policy, groups)

        def handler(options: Any, user: Any) -> dict[str, Any]:
            cores = int(options.worker_cores)
            memory = int(options.worker_memory * GIB)
            if options.profile != DEFAULT_PROFILE:
                chosen = profiles[options.profile]
                cores = chosen["cores"] or cores
                memory = chosen["memory"] or memory
            limits = effective_limits(policy, groups)
            need_cores = policy["scheduler_cores"] + cores
            need_memory = policy["scheduler_memory"] + memory
            cores_limit, memory_limit = limits["max_cores"], limits["max_memory"]
            if cores_limit.value is not None and need_cores > cores_limit.value:
                raise ValueError(
                    f"dask limit: a worker of {cores} cores plus the scheduler's "
                    f"{policy['scheduler_cores']} exceed {user.name}'s limit of "
                    f"{cores_limit.value:g} cores ({cores_limit.key}); ask for fewer worker_cores"
                )
            if memory_limit.value is not None and need_memory > memory_limit.value:
                raise ValueError(
                    f"dask limit: a worker of {_size(memory)} plus the scheduler's "
                    f"{_size(policy['scheduler_memory'])} exceed {user.name}'s limit of "
                    f"{_size(memory_limit.value)} ({memory_limit.key}); "
                    "ask for less worker_memory"
                )
            return {
                "worker_cores": cores,
                "worker_memory": memory,
                "user_limits": {
                    field: {"value": limit.value, "key": limit.key}
                    for field, limit in limits.items()
                },
            }

        return Options(
            Integer("worker_cores", default=policy["worker_cores"], min=1, label="Worker cores"),
            Float(
                "worker_memory",
                default=policy["worker_memory"] / GIB,
                min=0.125,
                label="Worker memory (GiB)",
            ),
            Select(
                "profile",
                [DEFAULT_PROFILE, *profiles],
                default=DEFAULT_PROFILE,
                label="Profile (overrides cores and memory)",
            ),
            handler=handler,
        )

    return for_user


class LimitedClusterConfig(ClusterConfig):  # type: ignore[misc]
    """The local cluster config, plus the user's limits recorded at creation."""

    user_limits = Dict(
        help="The user's limits as the options handler found them: "
        "{field: {value, key}}; empty means none.",
        config=True,
    )


def usage(config: dict[str, Any], count: int) -> tuple[float, float]:
    """Cores and memory a cluster holds with ``count`` workers (scheduler included)."""
    cores = config["scheduler_cores"] + count * config["worker_cores"]
    memory = config["scheduler_memory"] + count * config["worker_memory"]
    return cores, memory


def _shown(field: str) -> Any:
    return (lambda v: f"{v:g} cores") if field == "max_cores" else _size


def admit_cluster(username: str, config: Any, others: list[tuple[float, float]]) -> None:
    """Refuse a new cluster beyond the user's limits, else cap ``config`` to what is left.

    ``config`` is the new cluster's ``ClusterConfig`` (with ``user_limits``);
    ``others`` the cores and memory the user's other live clusters hold.
    The caps are ``cluster_max_cores`` / ``cluster_max_memory``, from which
    dask-gateway-server derives ``cluster_max_workers``, so the backend's
    own clamping keeps the cluster inside the room it was given.
    """
    limits = config.user_limits
    most = limits.get("max_clusters", {}).get("value")
    if most is not None and len(others) >= most:
        raise PublicException(
            f"dask limit: {username} already runs {len(others)} of the {most:g} clusters "
            f"allowed ({limits['max_clusters']['key']}); {_fix(username)}"
        )
    # read the fields, not to_dict(): that would fix cluster_max_workers before the caps
    sizes = {k: getattr(config, k) for k in ("scheduler_cores", "scheduler_memory")}
    sizes |= {k: getattr(config, k) for k in ("worker_cores", "worker_memory")}
    one_worker = usage(sizes, 1)
    for index, (field, cap) in enumerate(
        (("max_cores", "cluster_max_cores"), ("max_memory", "cluster_max_memory"))
    ):
        limit = limits.get(field, {}).get("value")
        if limit is None:
            continue
        used = sum(other[index] for other in others)
        if used + one_worker[index] > limit:
            shown = _shown(field)
            raise PublicException(
                f"dask limit: {username}'s other clusters hold {shown(used)} of the "
                f"{shown(limit)} allowed ({limits[field]['key']}), no room for a "
                f"scheduler and one worker ({shown(one_worker[index])}); {_fix(username)}"
            )
        room = limit - used
        current = getattr(config, cap)
        setattr(config, cap, room if current is None else min(current, room))


def check_scale(
    username: str, config: dict[str, Any], count: int, others: list[tuple[float, float]]
) -> None:
    """Refuse scaling a cluster to ``count`` workers past the user's total."""
    limits = config.get("user_limits") or {}
    mine = usage(config, count)
    for index, field in enumerate(("max_cores", "max_memory")):
        limit = limits.get(field, {}).get("value")
        if limit is None:
            continue
        used = sum(other[index] for other in others)
        if used + mine[index] > limit:
            shown = _shown(field)
            raise PublicException(
                f"dask limit: {count} workers would bring {username}'s clusters to "
                f"{shown(used + mine[index])}, over the {shown(limit)} allowed "
                f"({limits[field]['key']}); {_fix(username)}"
            )


def workers_within(config: dict[str, Any], count: int, others: list[tuple[float, float]]) -> int:
    """The most workers, up to ``count``, the cluster may run beside ``others``.

    For requests that never pass the API server's scale call (adaptive
    scaling decided by the scheduler), where refusing is not possible and
    clamping is what dask-gateway-server itself does with
    ``cluster_max_workers``.
    """
    limits = config.get("user_limits") or {}
    allowed = count
    for index, (field, per_worker) in enumerate(
        (("max_cores", "worker_cores"), ("max_memory", "worker_memory"))
    ):
        limit = limits.get(field, {}).get("value")
        if limit is None:
            continue
        used = sum(other[index] for other in others)
        room = limit - used - usage(config, 0)[index]
        allowed = min(allowed, max(0, int(room // config[per_worker])))
    return allowed


class LimitsMixin:
    """Per-user limits for a database-backed dask-gateway backend (needs ``policy``)."""

    db: Any
    queue: Any
    log: Any

    def _others(self, username: str, exclude: str | None = None) -> list[tuple[float, float]]:
        clusters = self.db.list_clusters(username=username)
        return [usage(c.config, c.count) for c in clusters if c.name != exclude]

    async def start_cluster(self, user: Any, cluster_options: dict[str, Any]) -> str:
        """Check the user's cluster count and room, then cap the new cluster to it."""
        options, config = await self.process_cluster_options(  # type: ignore[attr-defined]
            user, cluster_options
        )
        admit_cluster(user.name, config, self._others(user.name))
        cluster = self.db.create_cluster(user.name, options, config.to_dict())
        self.log.info("Created cluster %s for user %s", cluster.name, user.name)
        self.queue.put(cluster)
        return str(cluster.name)

    async def forward_message_to_scheduler(self, cluster: Any, msg: dict[str, Any]) -> None:
        """Refuse a scale-up past the user's total (other clusters may have grown)."""
        if msg.get("op") == "scale":
            others = self._others(cluster.username, exclude=cluster.name)
            check_scale(cluster.username, cluster.config, int(msg["count"]), others)
        await super().forward_message_to_scheduler(cluster, msg)  # type: ignore[misc]


class LimitedLocalBackend(LimitsMixin, UnsafeLocalBackend):  # type: ignore[misc]
    """``UnsafeLocalBackend`` with ESAP's limits (see :mod:`esap.hub.gateway` for why unsafe).

    The traits live here, not on the mixin: traitlets names only the traits of
    ``HasTraits`` classes.
    """

    policy = Dict(help="ESAP's options and limits (esap.hub.gateway.policy_settings).", config=True)
    cluster_config_class = Type(
        "esap.hub.gateway_policy.LimitedClusterConfig",
        klass="dask_gateway_server.backends.base.ClusterConfig",
        config=True,
    )
