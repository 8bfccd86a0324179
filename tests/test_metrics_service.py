"""The esap-metrics hub service: every running server's metrics in one scrape, behind a token.

On the session's data hub (``hub.metrics.enabled``): a second user starts a
server, both users search, and one scrape of ``/services/esap-metrics/metrics``
shows each user's search latency per service; a server that stops answering
is left out and counted; a scrape without a token, or with a token lacking
``read:metrics``, is refused.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.data_hub import DataHub
from harness.scrape import Key, key, samples, scrape

pytestmark = [pytest.mark.hub, pytest.mark.dachs]

SECOND = "mia"


def service_url(data_hub: DataHub) -> str:
    return f"{data_hub.hub.url}/services/esap-metrics/metrics"


def gathered(data_hub: DataHub) -> dict[Key, float]:
    response = scrape(service_url(data_hub), data_hub.metrics_tokens["configured"], "Bearer")
    assert response.status_code == 200, response.text
    return samples(response.text)


def search(data_hub: DataHub, user: str, token: str) -> None:
    with (
        data_hub.hub.user_api(user, token) as api,
        api.stream(
            "POST",
            "data/search",
            json={"target": "M31", "radius": 1.0, "services": ["local-tap"]},
            timeout=120,
        ) as answer,
    ):
        assert answer.status_code == 200
        assert b"done" in answer.read()


@pytest.fixture(scope="module")
def second_user(data_hub: DataHub) -> Iterator[str]:
    """A second user with a running server on the data hub (stopped afterwards)."""
    data_hub.hub.start_server(SECOND)
    try:
        yield data_hub.hub.token_for(SECOND)
    finally:
        data_hub.hub.stop_server(SECOND)


def test_one_scrape_shows_every_users_search_latency_per_service(
    data_hub: DataHub, second_user: str
) -> None:
    before = gathered(data_hub)
    search(data_hub, data_hub.user, data_hub.token)
    search(data_hub, SECOND, second_user)
    after = gathered(data_hub)

    def grew(sample: Key) -> float:
        return after.get(sample, 0.0) - before.get(sample, 0.0)

    for user in (data_hub.user, SECOND):
        count = key("esap_search_seconds_count", service="local-tap", user=user)
        assert grew(count) == 1, (user, sorted(k for k in after if k[0].startswith("esap_search")))
        assert grew(key("esap_search_seconds_sum", service="local-tap", user=user)) > 0
        ok = key("esap_searches_total", outcome="ok", service="local-tap", user=user)
        assert grew(ok) == 1
    assert after[key("esap_scrape_servers")] >= 2
    assert after[key("esap_scrape_errors")] == 0


def test_a_hub_token_with_read_metrics_may_scrape(data_hub: DataHub) -> None:
    response = scrape(service_url(data_hub), data_hub.metrics_tokens["read:metrics"])
    assert response.status_code == 200
    assert key("esap_scrape_servers") in samples(response.text)


def test_a_scrape_needs_a_token_that_may_read_metrics(data_hub: DataHub) -> None:
    assert scrape(service_url(data_hub), None).status_code == 401
    assert scrape(service_url(data_hub), "not-a-token", "Bearer").status_code == 403
    # the user's own token reaches the user's server, not everyone's metrics
    assert scrape(service_url(data_hub), data_hub.token).status_code == 403


def server_pid(data_hub: DataHub, user: str) -> int:
    """The process of ``user``'s server on this hub (a local process, found by its env)."""
    api_url = f"http://127.0.0.1:{data_hub.hub.config['hub']['internal_port']}/hub/api"
    wanted = {f"JUPYTERHUB_USER={user}".encode(), f"JUPYTERHUB_API_URL={api_url}".encode()}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            environ = set((entry / "environ").read_bytes().split(b"\0"))
            command = (entry / "cmdline").read_bytes()
            if wanted <= environ and b"singleuser" in command:
                return int(entry.name)
    raise AssertionError(f"no server process of {user} on this hub")


def test_a_server_that_does_not_answer_is_left_out_and_counted(
    data_hub: DataHub, second_user: str
) -> None:
    pid = server_pid(data_hub, SECOND)
    os.kill(pid, signal.SIGSTOP)
    try:
        found = gathered(data_hub)
    finally:
        os.kill(pid, signal.SIGCONT)
    assert found[key("esap_scrape_errors")] == 1
    users = {dict(labels).get("user") for _, labels in found}
    assert data_hub.user in users
    assert SECOND not in users
