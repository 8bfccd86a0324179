"""ESAP's metrics recorded where the work happens: publications and the basket's size.

Each test does the real thing through a real hub and the user's server (the
publish hub's local archive and Zenodo stand-in, the basket's REST API) and
scrapes ``/user/<name>/metrics``, comparing with what was counted before
(the session's hub is shared).
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from standins.fixtures import PublishHub

from harness.scrape import key, samples, scrape

pytestmark = pytest.mark.hub

METADATA = {
    "title": "Metrics: counted publication",
    "creators": [{"name": "Doe, Jane", "affiliation": "CTAO"}],
    "description": "A publication the metrics count.",
    "license": "CC-BY-4.0",
}


def metrics(publish_hub: PublishHub) -> dict[Any, float]:
    url = f"{publish_hub.hub.url}/user/{publish_hub.user}/metrics"
    response = scrape(url, publish_hub.token)
    assert response.status_code == 200, response.text
    return samples(response.text)


def finished(api: httpx.Client, publication: str) -> dict[str, Any]:
    for _ in range(600):
        body = api.get(f"publish/publications/{publication}").json()
        if not body["running"] and (body["published"] or body["error"]):
            return body
        time.sleep(0.1)
    raise AssertionError(f"publication {publication} still running: {body}")


def test_publications_are_counted_per_archive_and_outcome(publish_hub: PublishHub) -> None:
    home = publish_hub.home
    (home / "metrics-note.txt").write_text("counted\n")
    api = publish_hub.hub.user_api(publish_hub.user, publish_hub.token)
    before = metrics(publish_hub)

    ok = api.post(
        "publish/publications",
        json={"files": ["metrics-note.txt"], "metadata": METADATA, "archive": "local"},
    )
    assert ok.status_code == 202, ok.text
    assert finished(api, ok.json()["id"])["published"] is True

    # a token the stand-in does not know: the upload is refused at the archive
    api.put("publish/tokens/zenodo-test", json={"token": "unknown-token"}).raise_for_status()
    try:
        failing = api.post(
            "publish/publications",
            json={"files": ["metrics-note.txt"], "metadata": METADATA, "archive": "zenodo-test"},
        )
        assert failing.status_code == 202, failing.text
        assert finished(api, failing.json()["id"])["published"] is False
    finally:
        api.delete("publish/tokens/zenodo-test").raise_for_status()

    after = metrics(publish_hub)

    def grew(name: str, **labels: str) -> float:
        return after.get(key(name, **labels), 0.0) - before.get(key(name, **labels), 0.0)

    assert grew("esap_publishes_total", archive="local", outcome="ok") == 1
    assert grew("esap_publishes_total", archive="local", outcome="error") == 0
    assert grew("esap_publishes_total", archive="zenodo-test", outcome="error") == 1
    assert grew("esap_publishes_total", archive="zenodo-test", outcome="ok") == 0


def test_the_basket_size_follows_every_change_and_a_restart(publish_hub: PublishHub) -> None:
    api = publish_hub.hub.user_api(publish_hub.user, publish_hub.token)
    size = key("esap_basket_items")
    items = [
        {"kind": "data", "service": "local-tap", "access_url": f"https://a.org/m{i}.fits"}
        for i in range(3)
    ]
    added = api.post("basket", json={"items": items})
    assert added.status_code == 201, added.text
    total = added.json()["total"]
    assert metrics(publish_hub)[size] == total

    first, second, _ = added.json()["ids"]
    assert api.delete(f"basket/items/{first}").status_code == 204
    assert metrics(publish_hub)[size] == total - 1
    assert api.post("basket/remove", json={"ids": [second]}).json() == {"removed": 1}
    assert metrics(publish_hub)[size] == total - 2

    # a new server process knows the size before any change
    publish_hub.hub.stop_server(publish_hub.user)
    publish_hub.hub.start_server(publish_hub.user)
    assert metrics(publish_hub)[size] == total - 2

    assert api.delete("basket").status_code == 204
    assert metrics(publish_hub)[size] == 0
