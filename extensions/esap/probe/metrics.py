"""The probe's results as Prometheus metrics: the last round's, and failures in a row.

The service keeps the state of its last round and answers each scrape from
it (a ``Collector``), so a check or service that is gone from the config is
gone from the metrics at the next round:

- ``esap_probe_check_success{check,service}``: 1 if the check passed last round, else 0;
- ``esap_probe_check_duration_seconds{check,service}``: how long it took;
- ``esap_probe_check_failures_consecutive{check,service}``: rounds in a row it failed (0
  once it passes), what the chart's alert on "N failures in a row" reads;
- ``esap_probe_round_timestamp_seconds``: when the last round ended (Unix time), what an
  alert on a probe that stopped running reads;
- ``esap_probe_round_duration_seconds``: how long the last round took.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric

from esap.probe.results import Round

LABELS = ["check", "service"]
SUCCESS = "esap_probe_check_success"
DURATION = "esap_probe_check_duration_seconds"
FAILURES = "esap_probe_check_failures_consecutive"
ROUND_TIMESTAMP = "esap_probe_round_timestamp_seconds"
ROUND_DURATION = "esap_probe_round_duration_seconds"
#: Every family the probe exports (the chart's dashboard and alerts use these names).
FAMILIES = (SUCCESS, DURATION, FAILURES, ROUND_TIMESTAMP, ROUND_DURATION)


class ProbeMetrics:
    """The last round and the failures in a row of each check, for Prometheus."""

    def __init__(self) -> None:
        self.last: Round | None = None
        self.failures: dict[tuple[str, str], int] = {}

    def record(self, done: Round) -> None:
        """Take ``done`` as the last round; count failures in a row per check and service."""
        failures = {}
        for result in done.results:
            key = (result.check, result.service)
            failures[key] = 0 if result.ok else self.failures.get(key, 0) + 1
        self.failures = failures
        self.last = done

    def collect(self) -> Iterator[Metric]:
        """The families, from the last round (nothing before the first one ends)."""
        if self.last is None:
            return
        success = GaugeMetricFamily(
            SUCCESS, "1 if the probe's check passed in its last round, else 0.", labels=LABELS
        )
        duration = GaugeMetricFamily(
            DURATION, "Seconds the probe's check took in its last round.", labels=LABELS
        )
        failures = GaugeMetricFamily(
            FAILURES,
            "Probe rounds in a row in which the check failed (0: it passed).",
            labels=LABELS,
        )
        for result in self.last.results:
            labels = [result.check, result.service]
            success.add_metric(labels, 1.0 if result.ok else 0.0)
            duration.add_metric(labels, result.seconds)
            failures.add_metric(labels, self.failures.get((result.check, result.service), 0))
        yield success
        yield duration
        yield failures
        yield GaugeMetricFamily(
            ROUND_TIMESTAMP,
            "When the probe's last round ended (Unix time).",
            value=self.last.finished,
        )
        yield GaugeMetricFamily(
            ROUND_DURATION, "Seconds the probe's last round took.", value=self.last.seconds
        )

    def exposition(self) -> bytes:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(self)
        return generate_latest(registry)
