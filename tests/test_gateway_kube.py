"""ESAP's Dask limits on Kubernetes: the chart's gateway config and ``LimitedKubeBackend``.

No Kubernetes runs here. The gateway config is the one ``esap helm values``
writes (``gateway.extraConfig``), loaded by dask-gateway-server's own
application after the settings the dask-gateway chart's generated config
makes; the backend is dask-gateway-server's ``KubeBackend`` code with ESAP's
subclass, its informer and its cluster cache. The one stand-in is
``DaskClusterStore``: the Kubernetes API server's custom-objects endpoint
(create, JSON patch), which feeds the informer as its watch would.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dask_gateway_server.app import DaskGateway
from dask_gateway_server.backends.base import PublicException
from dask_gateway_server.backends.kubernetes.backend import KubeBackend
from dask_gateway_server.backends.kubernetes.utils import Informer
from dask_gateway_server.models import User
from dask_gateway_server.utils import Flag
from dask_gateway_server.workqueue import WorkQueue

from esap.config import loads
from esap.helm.values import DEFAULT_SINGLEUSER_IMAGE, chart_values
from esap.hub.gateway import policy_settings
from esap.hub.gateway_kube import LimitedKubeBackend, LimitedKubeClusterConfig
from harness.aio import LoopThread

GIB = 2**30
YAML = """
profiles:
  - {name: big, cpu: 4, memory: 4Gi, groups: [physics]}
dask:
  enabled: true
  worker_cores: 1
  worker_memory: 1Gi
  limits: {max_clusters: 1, max_cores: 4}
  group_limits:
    physics: {max_clusters: 2, max_cores: 6, max_memory: 8Gi}
"""
#: What the dask-gateway chart's generated dask_gateway_config.py sets before
#: running gateway.extraConfig, for the values ESAP writes (its template
#: forwards gateway.backend.* to KubeClusterConfig and picks KubeBackend).
CHART_PREAMBLE = """\
c.DaskGateway.backend_class = "dask_gateway_server.backends.kubernetes.KubeBackend"
c.KubeBackend.gateway_instance = "esap-dask-gateway"
c.DaskGateway.authenticator_class = "dask_gateway_server.auth.JupyterHubAuthenticator"
c.KubeClusterConfig.image = {image!r}
c.KubeClusterConfig.namespace = "science"
c.KubeClusterConfig.scheduler_cores = {scheduler[cores][request]!r}
c.KubeClusterConfig.scheduler_memory = {scheduler[memory][request]!r}
c.KubeClusterConfig.worker_cores = {worker[cores][request]!r}
c.KubeClusterConfig.worker_memory = {worker[memory][request]!r}
"""


class DaskClusterStore:
    """The API server's ``daskclusters`` endpoint, as ``KubeBackend`` calls it."""

    def __init__(self, informer: Informer) -> None:
        self.informer = informer

    async def create_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        obj = copy.deepcopy(body)
        obj["metadata"] |= {"namespace": namespace, "creationTimestamp": "2026-11-24T09:00:00Z"}
        self.informer.handle(obj, "ADDED")
        return obj

    async def patch_namespaced_custom_object(
        self, group: str, version: str, namespace: str, plural: str, name: str, body: list[Any]
    ) -> dict[str, Any]:
        obj = copy.deepcopy(self.informer.get(f"{namespace}.{name}"))
        for op in body:
            assert op["op"] == "add", op
            _, section, key = op["path"].split("/")
            obj[section][key] = op["value"]
        self.informer.handle(obj, "MODIFIED")
        return dict(obj)


@pytest.fixture
def gateway_config(tmp_path: Path) -> Path:
    """The API server's config file: the chart's settings, then ESAP's extraConfig."""
    values = chart_values(loads(YAML), hub_image="registry.example.org/esap/hub:1.2.3")
    gateway = values["dask-gateway"]["gateway"]
    backend = gateway["backend"]
    image = f"{backend['image']['name']}:{backend['image']['tag']}"
    text = CHART_PREAMBLE.format(
        image=image, scheduler=backend["scheduler"], worker=backend["worker"]
    )
    for key in sorted(gateway["extraConfig"]):
        text += gateway["extraConfig"][key]
    path = tmp_path / "dask_gateway_config.py"
    path.write_text(text)
    return path


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    """The API server's event loop (its work queue binds to the loop it is made in)."""
    thread = LoopThread()
    yield thread
    thread.close()


@pytest.fixture
def backend(gateway_config: Path, loop: LoopThread) -> LimitedKubeBackend:
    """The configured backend with its cache as ``KubeBackend.setup`` makes it, minus the API."""
    return loop.call(lambda: make_backend(gateway_config))


def make_backend(gateway_config: Path) -> LimitedKubeBackend:
    app = DaskGateway()
    app.load_config_file(str(gateway_config))
    made = app.backend_class(parent=app, log=app.log)
    made.cluster_waiters = defaultdict(Flag)
    made.clusters = {}
    made.username_to_clusters = defaultdict(dict)
    made.queue = WorkQueue()
    made.informer = Informer(
        parent=made,
        name="cluster",
        on_update=made.on_cluster_event,
        on_delete=made.on_cluster_event,
    )
    made.informer.cache = {}
    made.custom_client = DaskClusterStore(made.informer)
    assert isinstance(made, LimitedKubeBackend)
    return made


async def settle(backend: LimitedKubeBackend) -> None:
    """Let the backend's sync loop bring its cache up to the objects (one pass)."""
    for name in list(backend.informer.cache):
        await backend.sync_cluster(name)


async def heartbeat(backend: LimitedKubeBackend, cluster: str, count: int) -> int:
    """A scheduler's heartbeat asking for ``count`` workers; the replicas written."""
    message = {"count": count, "active_workers": [], "closing_workers": [], "closed_workers": []}
    await backend.on_cluster_heartbeat(cluster, message)
    return backend.replicas(cluster)


def test_extra_config_sets_the_esap_backend_and_policy(backend: LimitedKubeBackend) -> None:
    assert isinstance(backend, KubeBackend)
    assert backend.policy == policy_settings(loads(YAML))
    # the chart's KubeBackend / KubeClusterConfig settings still reach the subclass
    assert backend.gateway_instance == "esap-dask-gateway"
    assert backend.cluster_config_class is LimitedKubeClusterConfig
    config = backend.cluster_config_class(parent=backend)
    assert config.namespace == "science"
    assert config.image == DEFAULT_SINGLEUSER_IMAGE
    assert (config.scheduler_cores, config.scheduler_memory) == (1, GIB)
    assert config.idle_timeout == 3600


def test_a_user_without_groups_gets_dask_limits(
    backend: LimitedKubeBackend, loop: LoopThread
) -> None:
    async def scenario() -> None:
        ann = User("ann", groups=[])
        with pytest.raises(PublicException, match=r"dask\.limits\.max_cores"):
            await backend.start_cluster(ann, {"worker_cores": 4})
        first = await backend.start_cluster(ann, {})
        # not in the cache yet: the pending cluster counts
        with pytest.raises(PublicException, match=r"dask\.limits\.max_clusters"):
            await backend.start_cluster(ann, {})
        await settle(backend)
        assert first in backend.clusters
        assert not backend.pending
        with pytest.raises(PublicException, match=r"dask\.limits\.max_clusters"):
            await backend.start_cluster(ann, {})
        # 4 cores: a scheduler and three workers of one core
        assert backend.clusters[first].config["cluster_max_workers"] == 3

    loop.run(scenario())


def test_a_groups_limits_hold_across_its_users_clusters(
    backend: LimitedKubeBackend, loop: LoopThread
) -> None:
    async def scenario() -> None:
        bob = User("bob", groups=["physics"])
        big = await backend.start_cluster(bob, {"profile": "big"})
        small = await backend.start_cluster(bob, {})
        await settle(backend)
        # the second cluster was capped to what the first left: 6 - 1 = 5 cores
        assert backend.clusters[small].config["cluster_max_cores"] == 5
        assert await heartbeat(backend, big, 1) == 1  # 1 + 4 cores
        with pytest.raises(PublicException, match=r"dask\.group_limits\.physics\.max_cores"):
            await backend.forward_message_to_scheduler(
                backend.clusters[small], {"op": "scale", "count": 1}
            )
        # adaptive growth is clamped to the room left: none
        assert await heartbeat(backend, small, 3) == 0
        assert await heartbeat(backend, big, 0) == 0
        assert await heartbeat(backend, small, 3) == 3
        with pytest.raises(PublicException, match=r"dask\.group_limits\.physics\.max_clusters"):
            await backend.start_cluster(bob, {})

    loop.run(scenario())


def test_a_scale_within_the_limits_reaches_kube_backend(
    backend: LimitedKubeBackend, loop: LoopThread
) -> None:
    async def scenario() -> None:
        name = await backend.start_cluster(User("cy", groups=["physics"]), {})
        await settle(backend)
        # past ESAP's check, KubeBackend answers for a cluster still pending
        with pytest.raises(PublicException, match="is not running"):
            await backend.forward_message_to_scheduler(
                backend.clusters[name], {"op": "scale", "count": 2}
            )

    loop.run(scenario())


def test_the_hub_image_the_gateway_runs_on_has_what_the_backend_imports() -> None:
    lock = (Path(__file__).resolve().parents[1] / "images" / "hub" / "requirements.txt").read_text()
    pinned = {line.split("==")[0] for line in lock.splitlines() if "==" in line}
    # dask-gateway-server's KubeBackend needs kubernetes-asyncio (its [kubernetes] extra)
    assert {"dask-gateway-server", "kubernetes-asyncio"} <= pinned, sorted(pinned)
