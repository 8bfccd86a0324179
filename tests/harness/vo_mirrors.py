"""A Virtual Observatory on loopback for the all-VO search: archive mirrors and their registry.

The test archive (the session's DaCHS) stands behind the fault server's
paths, each one a "mirror" of the whole archive (TAP with ObsCore, SIAv2
and cone search under one base URL): two that answer quickly (the same
products twice, so the search must deduplicate them), a slow one, one that
fails (HTTP 500), one that hangs, and one that ignores MAXREC. A second
``dachs serve`` on the same database lists them in its registry (the
``esaptest.mirrors`` setting of ``registry.rd``) besides the shipped records,
so a registry search with the keyword ``ESAP`` finds the archive's own
three services and every mirror's, and no service off this machine.

``vo_hub`` is a hub whose ``all_vo.registry`` is that registry, for the REST
and browser tests of the all-VO search.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from harness.dachs import MIRROR_PATHS, DachsService, Server
from harness.faults import FaultServer
from harness.hub import RunningHub, hub_config, start_hub
from harness.ports import free_port

#: Mirror name -> the fault server's path in front of the archive.
MIRRORS = {
    "fast": "delay/20",
    "twin": "delay/60",
    "slow": "delay/400",
    "greedy": "nomaxrec",
    "broken": "error",
    "hang": "hang",
}
#: The mirrors that answer with rows.
ANSWERING = ("fast", "twin", "slow", "greedy")
#: Seconds every all-VO service may take in these tests (the hanging mirror takes them all).
TIMEOUT = 3.0
#: The keyword that finds the archive's own records and the mirrors, and nothing off loopback.
KEYWORD = "ESAP"
#: The user of the VO hub's tests.
USER = "vesta"


@dataclass(frozen=True)
class VoMirrors:
    """The mirrors and the registry that lists them."""

    registry_url: str
    #: The registry's server, which also serves the archive (its own records point at it).
    base_url: str
    proxy: FaultServer
    dachs: DachsService

    def url(self, mirror: str, kind: str) -> str:
        """The access URL of one mirror's interface (``tap``, ``sia2`` or ``scs``)."""
        return f"{self.proxy.base_url}/{MIRRORS[mirror]}{MIRROR_PATHS[kind]}"

    def own(self, kind: str) -> str:
        """The access URL of the registry server's own interface, as its records list it."""
        return f"{self.base_url}{MIRROR_PATHS[kind]}"

    def config(self, **settings: object) -> dict[str, object]:
        """The ``all_vo`` section of an esap.yaml asking this registry."""
        return {"registry": self.registry_url, "timeout": TIMEOUT, **settings}


@pytest.fixture(scope="session")
def vo_mirrors(
    dachs: DachsService, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[VoMirrors]:
    """The fault server in front of the archive, and a DaCHS whose registry lists the mirrors."""
    proxy = FaultServer(upstream=dachs.base_url).start()
    server = None
    try:
        mirrors = {name: f"{proxy.base_url}/{path}" for name, path in MIRRORS.items()}
        server = Server.start(tmp_path_factory.mktemp("vo-registry"), free_port(), mirrors)
        server.wait_ready()
        yield VoMirrors(f"{server.base_url}/tap", server.base_url, proxy, dachs)
    finally:
        if server is not None:
            server.stop()
        proxy.stop()


@pytest.fixture(scope="session")
def vo_hub(tmp_path_factory: pytest.TempPathFactory, vo_mirrors: VoMirrors) -> Iterator[RunningHub]:
    """A hub whose all-VO search asks the mirrors' registry (and which offers no service)."""
    directory = tmp_path_factory.mktemp("vo-hub")
    config = hub_config(
        directory,
        {
            "data_services": [],
            "resolver": {"type": "table", "targets": {"M31": [10.6847, 41.2690]}},
            "all_vo": vo_mirrors.config(concurrency=8),
        },
    )
    running = start_hub(directory, config)
    try:
        running.start_server(USER)
        yield running
    finally:
        running.stop()
