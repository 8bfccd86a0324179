"""What a probe round found: one result per check and service, and the round they belong to."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class CheckResult:
    """One check of one service: whether it passed, how long it took, and why it failed.

    ``service`` names what was checked: a data service or software catalogue
    by its name in ``esap.yaml``, the archive published to, or the part of
    the hub (``hub`` for the spawn and the clean-up, ``basket``,
    ``dask-gateway``), or ``(list)`` when the lab could not even list the
    services or catalogues to check. The message of a failure names what failed and the
    fix where the probe knows it; a pass says what was seen.
    """

    check: str
    service: str
    ok: bool
    seconds: float
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Round:
    """The results of one round, in the order the checks ran, and when it ran (Unix time)."""

    started: float
    finished: float = 0.0
    results: list[CheckResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every check passed (a round without results did not run, so it did not pass)."""
        return bool(self.results) and all(result.ok for result in self.results)

    @property
    def failed(self) -> list[CheckResult]:
        return [result for result in self.results if not result.ok]

    @property
    def seconds(self) -> float:
        return max(0.0, self.finished - self.started)
