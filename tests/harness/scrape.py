"""Reading Prometheus text: the samples of ESAP's families, keyed by name and labels."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

#: A sample's key: its name and its labels, sorted.
Key = tuple[str, tuple[tuple[str, str], ...]]


def samples(text: str, prefix: str = "esap_") -> dict[Key, float]:
    """Every sample of the families whose name starts with ``prefix``."""
    found = {}
    for family in text_string_to_metric_families(text):
        if not family.name.startswith(prefix):
            continue
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def key(name: str, **labels: str) -> Key:
    """The key of sample ``name`` with ``labels``."""
    return (name, tuple(sorted(labels.items())))


def scrape(url: str, token: str | None, scheme: str = "token") -> httpx.Response:
    """GET a metrics endpoint, sending ``token`` (when given) as ``<scheme> <token>``."""
    headers = {"Authorization": f"{scheme} {token}"} if token else {}
    return httpx.get(url, headers=headers, timeout=60, follow_redirects=False)
