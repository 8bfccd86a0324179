"""Pytest fixtures: the stand-in archives, started once per session on loopback."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from standins.server import Standin, running


@dataclass
class RunningArchive:
    """A stand-in archive, its state (records, faults) and a valid user token."""

    server: Standin
    state: Any
    token: str

    @property
    def api(self) -> str:
        return f"{self.server.url}/api"


@pytest.fixture(scope="session")
def zenodo_standin() -> Iterator[RunningArchive]:
    """The Zenodo stand-in (``standins.zenodo``), one per session."""
    from standins.zenodo import ZenodoState, make_app

    token = secrets.token_urlsafe(24)
    state = ZenodoState({token: "alice", "other-users-token": "bob"})
    with running(make_app(state)) as server:
        yield RunningArchive(server, state, token)
    state.cleanup()


@pytest.fixture(scope="session")
def rdm_standin() -> Iterator[RunningArchive]:
    """The InvenioRDM stand-in (``standins.invenio_rdm``), one per session."""
    from standins.invenio_rdm import RdmState, make_app

    token = secrets.token_urlsafe(24)
    state = RdmState({token: "alice"})
    with running(make_app(state)) as server:
        yield RunningArchive(server, state, token)
    state.cleanup()


@dataclass
class PublishHub:
    """A real hub whose archives are a local folder and the Zenodo stand-in."""

    hub: Any  # harness.hub.RunningHub
    user: str
    token: str
    archive_dir: Any  # Path
    zenodo: RunningArchive

    @property
    def home(self) -> Any:
        return self.hub.data_dir / "homes" / self.user


@pytest.fixture(scope="session")
def publish_hub(
    tmp_path_factory: pytest.TempPathFactory, zenodo_standin: RunningArchive
) -> Iterator[PublishHub]:
    """A hub offering the local archive (first, the default) and Zenodo (the stand-in)."""
    from harness.hub import hub_config, start_hub

    directory = tmp_path_factory.mktemp("publish-hub")
    archive_dir = directory / "archive"
    config = hub_config(
        directory,
        {
            "archives": [
                {
                    "name": "local",
                    "type": "local",
                    "path": str(archive_dir),
                    "title": "Local archive",
                    "description": "BagIt packages with RO-Crate metadata",
                },
                {
                    "name": "zenodo-test",
                    "type": "zenodo",
                    "url": zenodo_standin.api,
                    "title": "Zenodo (stand-in)",
                    "description": "Needs your personal token",
                },
            ]
        },
    )
    running = start_hub(directory, config)
    try:
        user = "pia"
        running.start_server(user)
        yield PublishHub(running, user, running.token_for(user), archive_dir, zenodo_standin)
    finally:
        running.stop()


@dataclass
class RunningPanoptes:
    """The Panoptes (Zooniverse) stand-in, its state and a collaborator's bearer token."""

    server: Standin
    state: Any
    token: str

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="session")
def zooniverse_standin() -> Iterator[RunningPanoptes]:
    """The Panoptes stand-in (``standins.zooniverse``), one per session."""
    from standins.zooniverse import make_app, sample_state

    token = secrets.token_urlsafe(24)
    state = sample_state({token: "alice"})
    with running(make_app(state)) as server:
        yield RunningPanoptes(server, state, token)
