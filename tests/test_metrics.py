"""ESAP's metrics on a user server's Prometheus endpoint: a search's latency per service."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from harness.data_hub import DataHub

pytestmark = [pytest.mark.hub, pytest.mark.dachs]


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the ``esap_`` families, keyed by name and sorted labels."""
    found = {}
    for family in text_string_to_metric_families(text):
        if not family.name.startswith("esap_"):
            continue
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def scrape(data_hub: DataHub, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"token {token}"} if token else {}
    return httpx.get(
        f"{data_hub.hub.url}/user/{data_hub.user}/metrics", headers=headers, timeout=30
    )


def test_a_search_shows_its_latency_per_service(data_hub: DataHub) -> None:
    # the session's hub is shared: compare with what the server had counted before
    before = samples(scrape(data_hub, data_hub.token).text)
    with (
        data_hub.client() as api,
        api.stream(
            "POST",
            "data/search",
            json={"target": "M31", "radius": 1.0, "services": ["local-tap", "failing"]},
        ) as answer,
    ):
        assert answer.status_code == 200
        assert b"done" in answer.read()
    response = scrape(data_hub, data_hub.token)
    assert response.status_code == 200
    found = samples(response.text)

    def grew(key: tuple[str, tuple[tuple[str, str], ...]]) -> float:
        return found.get(key, 0.0) - before.get(key, 0.0)

    for service, outcome in (("local-tap", "ok"), ("failing", "error")):
        assert grew(("esap_search_seconds_count", (("service", service),))) == 1
        assert grew(("esap_search_seconds_sum", (("service", service),))) > 0
        assert grew(("esap_searches_total", (("outcome", outcome), ("service", service)))) == 1
    assert grew(("esap_searches_total", (("outcome", "error"), ("service", "local-tap")))) == 0


def test_the_endpoint_needs_a_token(data_hub: DataHub) -> None:
    assert scrape(data_hub, None).status_code in (302, 403)
