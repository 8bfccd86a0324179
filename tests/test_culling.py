"""Idle culling by profile: a server of a short-timeout profile is culled, another is not,
and the culled user's files and basket are intact after the respawn."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from esap.basket.store import Basket
from harness.hub import RunningHub, hub_config, start_hub

pytestmark = pytest.mark.hub

QUICK = 10  # seconds: the quick profile's idle_timeout


@pytest.fixture(scope="module")
def culling_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHub]:
    directory = tmp_path_factory.mktemp("culling-hub")
    config = hub_config(
        directory,
        {
            "hub": {"cull_idle_after": 3600},
            "profiles": [
                {"name": "quick", "description": "culled soon", "idle_timeout": QUICK,
                 "default": True},
                {"name": "long", "description": "the hub's timeout"},
            ],
        },
    )  # fmt: skip
    running = start_hub(directory, config)
    try:
        yield running
    finally:
        running.stop()


def running(hub: RunningHub, name: str) -> bool:
    with hub.api() as api:
        return bool(api.get(f"users/{name}").json().get("servers"))


def test_a_culled_server_keeps_files_and_basket(culling_hub: RunningHub) -> None:
    hub = culling_hub
    hub.start_server("carol")  # no choice: the default profile, quick
    hub.create_user("dave")
    with hub.api() as api:
        api.post("users/dave/server", json={"profile": "long"}).raise_for_status()
    hub.start_server("dave")

    home = hub.data_dir / "homes" / "carol"
    (home / "analysis.py").write_text("print('my work')\n")
    basket = Basket(home / ".esap" / "basket.db")
    added = basket.add(
        {"kind": "data", "title": "M31 deep field", "service": "local-tap",
         "access_url": "http://127.0.0.1:9/m31.fits"}
    )  # fmt: skip

    deadline = time.monotonic() + 20 * QUICK
    while running(hub, "carol") and time.monotonic() < deadline:
        hub.check_alive()
        time.sleep(1)
    assert not running(hub, "carol"), f"carol's server was not culled\n{hub.log_tail()}"
    assert running(hub, "dave"), "the long profile's server was culled with the quick timeout"
    assert "Culling server carol" in hub.log_path.read_text()

    hub.start_server("carol")
    assert (home / "analysis.py").read_text() == "print('my work')\n"
    kept = Basket(home / ".esap" / "basket.db").all()
    assert [item.id for item in kept] == [added.id]
    assert kept[0].title == "M31 deep field"


def test_each_profile_gets_its_own_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    import json
    from datetime import timedelta

    from esap.config import loads
    from esap.hub.culling import TIMEOUTS_ENV, arbiter, timeouts

    config = loads(
        "hub: {cull_idle_after: 600}\n"
        "profiles:\n"
        "  - {name: small}\n"
        "  - {name: gpu, idle_timeout: 120, default: true}\n"
    )
    table = timeouts(config)
    assert table == {"small": 600, "gpu": 120, "": 120}
    monkeypatch.setenv(TIMEOUTS_ENV, json.dumps(table))
    idle = timedelta(seconds=300)
    assert arbiter(idle, 600, {"user_options": {"profile": "gpu"}})
    assert not arbiter(idle, 600, {"user_options": {"profile": "small"}})
    assert arbiter(idle, 600, {"user_options": {}})  # no choice: the default profile
    assert not arbiter(None, 600, {"user_options": {"profile": "gpu"}})
