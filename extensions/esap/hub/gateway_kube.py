"""ESAP's per-user and per-group Dask limits on Kubernetes (dask-gateway's ``KubeBackend``).

dask-gateway on Kubernetes runs in two processes: the API server, whose
backend (``KubeBackend``) writes one ``DaskCluster`` object per cluster, and
a controller that turns those objects into scheduler and worker pods. Every
request that changes a user's share passes through the API server:

- creating a cluster (``start_cluster``);
- asking a cluster to scale (``forward_message_to_scheduler``, op ``scale``);
- the scheduler's heartbeat with the number of workers it wants, adaptive
  scaling included (``on_cluster_heartbeat``), which ``KubeBackend`` writes
  to the object's ``spec.replicas`` for the controller.

So ``LimitedKubeBackend`` enforces the same policy as local mode
(:mod:`esap.hub.gateway_policy`) there, and the controller is left as
upstream ships it (it creates what ``spec.replicas`` and ``spec.config``
say). What is enforced where:

- the cluster options handler (``cluster_options``, shared with local mode):
  one worker must fit the user's cores and memory; the user's limits are
  recorded in the cluster's config (``user_limits``);
- ``start_cluster``: refuses a cluster beyond ``max_clusters`` or when the
  user's other clusters leave no room for a scheduler and one worker, and
  caps ``cluster_max_cores`` / ``cluster_max_memory`` to the room left, so
  ``KubeBackend``'s own heartbeat clamp (``cluster_max_workers``) holds it;
- ``forward_message_to_scheduler``: refuses a scale-up past the user's total
  (other clusters may have grown since this one started), with the
  ``esap.yaml`` key in the error the client raises;
- ``on_cluster_heartbeat``: clamps the replicas written to the cluster
  object to what the user's other clusters leave, for growth no scale call
  asked for (adaptive scaling), as dask-gateway-server clamps to
  ``cluster_max_workers``.

A user's usage is read from the informer's cache of ``DaskCluster``
objects (their ``spec.config`` and ``spec.replicas``). A cluster this process
has created but the cache has not shown yet counts as well, and the checks
and the creation for one user run under one lock, so two quick requests
cannot both take the last room. This holds for one API server replica (the
dask-gateway chart's default, ``gateway.replicas: 1``); with more, each
replica counts only the clusters it created itself until the cache has them.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from dask_gateway_server.backends.kubernetes.backend import KubeBackend, KubeClusterConfig
from traitlets import Dict, Type

from esap.hub.gateway_policy import admit_cluster, check_scale, usage, workers_within


class LimitedKubeClusterConfig(KubeClusterConfig):  # type: ignore[misc]
    """The Kubernetes cluster config, plus the user's limits recorded at creation.

    The controller reads ``spec.config`` as a plain mapping, so the extra
    key is carried to it harmlessly.
    """

    user_limits = Dict(
        help="The user's limits as the options handler found them: "
        "{field: {value, key}}; empty means none.",
        config=True,
    )


class LimitedKubeBackend(KubeBackend):  # type: ignore[misc]
    """``KubeBackend`` with ESAP's per-user and per-group limits (see the module doc)."""

    policy = Dict(help="ESAP's options and limits (esap.hub.gateway.policy_settings).", config=True)
    cluster_config_class = Type(
        "esap.hub.gateway_kube.LimitedKubeClusterConfig",
        klass="dask_gateway_server.backends.base.ClusterConfig",
        config=True,
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: cluster name -> (user, config) for clusters created but not yet in the cache
        self.pending: dict[str, tuple[str, dict[str, Any]]] = {}
        self.user_locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def replicas(self, cluster_name: str) -> int:
        """The workers a cluster's object asks for (``spec.replicas``; none before a heartbeat)."""
        obj = self.informer.get(cluster_name) or {}
        return int((obj.get("spec") or {}).get("replicas") or 0)

    async def others(self, username: str, exclude: str | None = None) -> list[tuple[float, float]]:
        """Cores and memory of the user's live clusters but ``exclude``, pending ones included."""
        live = await self.list_clusters(username=username)
        held = [usage(c.config, self.replicas(c.name)) for c in live if c.name != exclude]
        held += [
            usage(config, 0)
            for name, (owner, config) in self.pending.items()
            if owner == username and name != exclude
        ]
        return held

    async def sync_cluster(self, cluster_name: str) -> None:
        """Update the cache as ``KubeBackend`` does; from then on the cache counts the cluster."""
        await super().sync_cluster(cluster_name)
        self.pending.pop(cluster_name, None)

    async def start_cluster(self, user: Any, cluster_options: dict[str, Any]) -> str:
        """Check the user's count and room, cap the cluster to it, then create its object.

        The creation repeats ``KubeBackend.start_cluster`` after its option
        processing, which must not run twice (the caps live on the config).
        """
        options, config = await self.process_cluster_options(user, cluster_options)
        async with self.user_locks[user.name]:
            admit_cluster(user.name, config, await self.others(user.name))
            obj = self.make_cluster_object(user.name, options, config)
            cluster_name = f"{config.namespace}.{obj['metadata']['name']}"
            self.log.info("Creating cluster %s for user %s", cluster_name, user.name)
            await self.custom_client.create_namespaced_custom_object(
                "gateway.dask.org", self.crd_version, config.namespace, "daskclusters", obj
            )
            self.pending[cluster_name] = (user.name, obj["spec"]["config"])
        return cluster_name

    async def forward_message_to_scheduler(self, cluster: Any, msg: dict[str, Any]) -> None:
        """Refuse a scale-up past the user's total before the scheduler hears of it."""
        if msg.get("op") == "scale":
            others = await self.others(cluster.username, exclude=cluster.name)
            check_scale(cluster.username, cluster.config, int(msg["count"]), others)
        await super().forward_message_to_scheduler(cluster, msg)

    async def on_cluster_heartbeat(self, cluster_name: str, msg: dict[str, Any]) -> None:
        """Clamp the workers a scheduler wants to the room the user's other clusters leave."""
        cluster = self.clusters.get(cluster_name)
        if cluster is not None and cluster.config.get("user_limits"):
            others = await self.others(cluster.username, exclude=cluster_name)
            allowed = workers_within(cluster.config, int(msg["count"]), others)
            if allowed < msg["count"]:
                self.log.info(
                    "Cluster %s asked for %d workers; %s's dask limits leave room for %d",
                    cluster_name,
                    msg["count"],
                    cluster.username,
                    allowed,
                )
                msg = {**msg, "count": allowed}
        await super().on_cluster_heartbeat(cluster_name, msg)
