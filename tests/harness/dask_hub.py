"""A real hub with Dask Gateway enabled: dask-gateway-server as its managed service.

One hub for the session (a cluster starts in a few seconds, the hub in a
few more), on free ports, with limits for everyone and a tighter group
``small``. Users are created here, their servers started on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from harness.hub import SERVICE_NAME, SERVICE_SCOPES, RunningHub, hub_config, start_hub
from harness.kernel import Kernel
from harness.ports import free_port

#: Limits the tests check: everyone may run 2 clusters of 4 cores in all;
#: the group ``small`` one cluster of 2 cores (the scheduler takes 1).
DASK_LIMITS: dict[str, Any] = {
    "limits": {"max_clusters": 2, "max_cores": 4, "max_memory": "16Gi"},
    "group_limits": {"small": {"max_clusters": 1, "max_cores": 2}},
}
SMALL_GROUP = "small"


def dask_section() -> dict[str, Any]:
    """The ``dask:`` section of the test hub, on free ports."""
    return {
        "enabled": True,
        "worker_cores": 1,
        "worker_memory": "1Gi",
        "proxy_port": free_port(),
        "scheduler_port": free_port(),
        "api_port": free_port(),
        **DASK_LIMITS,
    }


@dataclass
class DaskHub:
    """The hub, and kernels in its users' servers."""

    hub: RunningHub
    started: set[str]

    def kernel(self, user: str) -> Kernel:
        """A new kernel in ``user``'s server (started if needed), as a notebook has."""
        if user not in self.started:
            self.hub.start_server(user)
            self.started.add(user)
        return Kernel(self.hub, user, self.hub.token_for(user))

    def add_to_group(self, user: str, group: str) -> None:
        """Put ``user`` in the hub group ``group`` (created if needed)."""
        self.hub.create_user(user)
        with self.hub.api() as api:
            if api.get(f"groups/{group}").status_code == 404:
                api.post(f"groups/{group}").raise_for_status()
            api.post(f"groups/{group}/users", json={"users": [user]}).raise_for_status()


@pytest.fixture(scope="session")
def dask_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaskHub]:
    """A real hub running dask-gateway-server as its service, shared by the session."""
    directory = tmp_path_factory.mktemp("dask-hub")
    harness_service = {
        "name": SERVICE_NAME,
        "token": "env:ESAP_TEST_SERVICE_TOKEN",
        "scopes": [*SERVICE_SCOPES, "admin:groups"],
    }
    config = hub_config(directory, {"hub": {"services": [harness_service]}, "dask": dask_section()})
    running = start_hub(directory, config)
    try:
        yield DaskHub(running, set())
    finally:
        running.stop()


@pytest.fixture
def kernel_of(dask_hub: DaskHub) -> Iterator[Callable[[str], Kernel]]:
    """Open kernels in users' servers for one test; they are shut down after it."""
    opened: list[Kernel] = []

    def open_kernel(user: str) -> Kernel:
        kernel = dask_hub.kernel(user).__enter__()
        opened.append(kernel)
        return kernel

    yield open_kernel
    for kernel in opened:
        kernel.__exit__(None, None, None)
