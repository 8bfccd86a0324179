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
