"""Fixtures shared by every test: real servers on loopback, real Chromium; nothing left running."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest_plugins = [
    "harness.hub",
    "harness.browser",
    "harness.dachs",
    "harness.faults",
    "harness.hips",
    "harness.data_hub",
    "harness.vo_mirrors",
    "harness.oidc",
    "harness.dask_hub",
    "harness.software_hub",
    "harness.rucio",
    "standins.fixtures",
    # the end check: a process the run started that outlives it fails the session
    "harness.survivors",
]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each phase's report on the item, so fixtures can tell a failed test."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
