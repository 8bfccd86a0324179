"""The probe: synthetic monitoring of a hub by a bot account that uses it as a scientist does.

A probe round (:func:`esap.probe.runner.run_round`) creates the bot (a hub
user, ``probe.user``), spawns its lab, searches every enabled data service
and software catalogue through the lab's REST API, fills and empties its
basket, publishes to the local archive and starts a Dask cluster; then it
stops the lab and removes the bot's account and files, whatever happened.
Each check has its own time-out and gives one :class:`CheckResult`.

Two faces run rounds: the ``esap-probe`` hub service
(:mod:`esap.probe.service`), on a schedule, with its results as Prometheus
metrics, and ``esap probe --once`` (:mod:`esap.probe.command`), a report for
an admin at a terminal. Both talk to the hub and the lab only over HTTP,
exactly as an outside monitor would, so a round fails where a user would.
"""

from __future__ import annotations

from esap.probe.plan import Plan
from esap.probe.results import CheckResult, Round

__all__ = ["CheckResult", "Plan", "Round"]
