"""One hub for every data-discovery test: its services are the real archive and the faults.

Session-scoped: a real JupyterHub + proxy started by ``esap hub`` whose
``esap.yaml`` lists GAVO DaCHS's TAP, SIAv2 and SCS endpoints, three failing
services (500, broken VOTable, one that hangs past its timeout), one held
until a test releases it, and a name-resolver table (no internet needed).
One user, ``dora``, has a running server.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from harness.dachs import DachsService
from harness.faults import Faults
from harness.hips import HipsServer
from harness.hub import SERVICE_NAME, SERVICE_SCOPES, RunningHub, hub_config, start_hub

USER = "dora"
#: The resolver table of the test hub (the shipped archive's targets).
TARGETS = {"M31": [10.6847, 41.2690], "M51": [202.4696, 47.1952], "Crab": [83.6331, 22.0145]}
#: Key of the held service (released by the streaming test).
HELD = "stream"


def data_services(dachs: DachsService, faults: Faults) -> list[dict[str, Any]]:
    """The data_services section of the test hub."""
    return [
        {"name": "local-tap", "type": "tap", "url": dachs.tap_url, "title": "Test archive (TAP)",
         "description": "ObsCore over TAP from the shipped test archive", "timeout": 60},
        {"name": "local-sia", "type": "sia2", "url": dachs.sia2_url, "timeout": 60},
        {"name": "local-scs", "type": "scs", "url": dachs.scs_url, "timeout": 60},
        {"name": "failing", "type": "tap", "url": faults.error, "timeout": 30,
         "description": "answers 500"},
        {"name": "broken-votable", "type": "tap", "url": faults.broken, "timeout": 30,
         "description": "answers a VOTable cut off mid-row"},
        {"name": "hanging", "type": "tap", "url": faults.hang, "timeout": 2, "enabled": False,
         "description": "never answers"},
        {"name": "held", "type": "tap", "url": faults.held(HELD), "timeout": 120,
         "enabled": False, "description": "answers when the test says so"},
        {"name": "registry", "type": "registry", "url": faults.error, "timeout": 30,
         "enabled": False, "description": "a RegTAP endpoint that answers 500"},
    ]  # fmt: skip


def zooniverse(url: str) -> dict[str, Any]:
    """The Zooniverse service on the Panoptes stand-in (tests/test_zooniverse.py); not a default."""
    return {"name": "zooniverse", "type": "zooniverse", "url": url, "timeout": 30,
            "enabled": False, "title": "Zooniverse (stand-in)",
            "options": {"page_size": 10}}  # fmt: skip


@dataclass
class DataHub:
    """The data hub, its user and a client of the user's ESAP API."""

    hub: RunningHub
    user: str
    token: str
    dachs: DachsService
    faults: Faults
    #: The bearer token of ``hub.metrics.token``, and a hub service token
    #: with the ``read:metrics`` scope (Prometheus may send either).
    metrics_tokens: dict[str, str] = field(default_factory=dict)

    def client(self, timeout: float = 120) -> httpx.Client:
        client = self.hub.user_api(self.user, self.token)
        client.timeout = httpx.Timeout(timeout)
        return client


@pytest.fixture(scope="session")
def data_hub(
    tmp_path_factory: pytest.TempPathFactory,
    dachs: DachsService,
    faults: Faults,
    zooniverse_standin: Any,
    hips: HipsServer,
) -> Iterator[DataHub]:
    """A hub whose data services are the real archive and the fault server."""
    directory = tmp_path_factory.mktemp("data-hub")
    # the esap-metrics service gathers every server's metrics (tests/test_metrics_service.py)
    tokens = {"configured": secrets.token_hex(16), "read:metrics": secrets.token_hex(16)}
    for name, value in (
        ("metrics-token", tokens["configured"]),
        ("prometheus-token", tokens["read:metrics"]),
    ):
        (directory / name).write_text(value)
    harness = {
        "name": SERVICE_NAME,
        "token": "env:ESAP_TEST_SERVICE_TOKEN",
        "scopes": SERVICE_SCOPES,
    }
    prometheus = {
        "name": "prometheus",
        "token": f"file:{directory / 'prometheus-token'}",
        "scopes": ["read:metrics"],
    }
    config = hub_config(
        directory,
        {
            "hub": {"services": [harness, prometheus],
                    "metrics": {"enabled": True, "token": f"file:{directory / 'metrics-token'}"}},
            "data_services": [*data_services(dachs, faults), zooniverse(zooniverse_standin.url)],
            "resolver": {"type": "table", "targets": TARGETS},
            # the sky view's background: the tests' own survey on loopback
            "sky_view": {"hips": hips.url},
            # an all-VO search here (the fuzzing's) meets a failing registry, never the internet
            "all_vo": {"registry": faults.error, "timeout": 5},
        },
    )  # fmt: skip
    running = start_hub(directory, config)
    try:
        running.start_server(USER)
        yield DataHub(running, USER, running.token_for(USER), dachs, faults, tokens)
    finally:
        running.stop()
