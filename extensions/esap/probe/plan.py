"""What a probe round does and where: built once from ``esap.yaml``, carried as JSON.

The hub service gets its plan in its environment (the hub composes it from
the config it loaded), ``esap probe --once`` builds it from the config file
named on its command line; the round itself never reads the config, so both
run exactly the same checks.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from esap.config import EsapConfig

#: Where the hub's proxy serves Dask Gateway (as on zero-to-jupyterhub).
GATEWAY_PREFIX = "/services/dask-gateway"


@dataclass(frozen=True)
class Plan:
    """The checks of a round, their time-outs, and the addresses they use."""

    #: The hub's public address (its proxy): user servers and Dask Gateway are reached there.
    hub_url: str
    #: The hub's REST API (``<hub_url>/hub/api`` unless the hub says otherwise).
    api_url: str
    #: The bot's account.
    user: str
    #: Checks after the spawn, in the order they run (``data``, ``software``, ...).
    checks: tuple[str, ...]
    #: Seconds per check (``spawn``, ``data``, ..., ``cleanup``).
    timeouts: dict[str, float]
    #: The cone searched: ``ra``, ``dec``, ``radius``, ``maxrec``.
    search: dict[str, float]
    #: Run the tutorial notebooks too.
    notebooks: bool = False
    #: The local archive published to, and its folder (where the bot's record is removed).
    archive: str | None = None
    archive_path: str | None = None
    #: Local mode: the folder of user homes (the bot's is removed after each round).
    homes: str | None = None
    #: Dask Gateway's address, when Dask is on.
    gateway_url: str | None = None
    #: Seconds between rounds (the service's schedule).
    interval: float = 300.0

    @classmethod
    def from_config(cls, config: EsapConfig, hub_url: str, api_url: str | None = None) -> Plan:
        """The plan of ``config``'s ``probe:`` section, against the hub at ``hub_url``."""
        probe = config.probe
        hub_url = hub_url.rstrip("/")
        local = next((a for a in config.archives if a.type == "local"), None)
        checks = [c for c in probe.checks if c != "dask" or config.dask.enabled]
        if local is None:
            checks = [c for c in checks if c != "publish"]
        homes = None
        if config.hub.mode == "local":
            homes = str(Path(config.hub.data_dir).resolve() / "homes")
        return cls(
            hub_url=hub_url,
            api_url=(api_url or f"{hub_url}/hub/api").rstrip("/"),
            user=probe.user,
            checks=tuple(checks),
            timeouts=probe.timeouts.model_dump(),
            search=probe.search.model_dump(),
            notebooks=probe.notebooks,
            archive=local.name if local else None,
            archive_path=str(local.path) if local and local.path else None,
            homes=homes,
            gateway_url=f"{hub_url}{GATEWAY_PREFIX}" if "dask" in checks else None,
            interval=float(probe.interval),
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Plan:
        data = json.loads(text)
        data["checks"] = tuple(data["checks"])
        return cls(**data)

    def timeout(self, check: str) -> float:
        return float(self.timeouts[check])
