"""The named steps of a reproduction, and the one error a step ends a reproduction with.

A reproduction never ends in a traceback: whatever stops it is a
:class:`StepFailed` naming its step (``record``, ``files``, ``package``,
``environment``, ``inputs``, ``run``, ``compare``, ``report``), a stable
``code`` (``record_not_found``, ``archive_unavailable``,
``checksum_mismatch``, ``not_published_by_esap``, ``lock_unresolvable``,
``notebook_failed``, ...), what happened and what the user can still do. The
report lists every step with its state, so the first failed one is where it
stopped.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from esap.core.errors import EsapError

#: The steps of a reproduction, in order.
STEPS = ("record", "files", "package", "environment", "inputs", "run", "compare", "report")

#: What a person reads for each step.
STEP_TEXT = {
    "record": "finding the record",
    "files": "fetching its files, checking each checksum",
    "package": "reading its RO-Crate and environment lock",
    "environment": "rebuilding the environment from the lock",
    "inputs": "fetching the input datasets again",
    "run": "re-running the notebook",
    "compare": "comparing the outputs",
    "report": "writing the report",
}


class StepFailed(EsapError):
    """A step of a reproduction failed: ``step``, ``code``, what happened and what to do."""

    status = 422
    code = "reproduction_failed"

    def __init__(
        self,
        step: str,
        code: str,
        message: str,
        fix: str = "",
        *,
        status: int | None = None,
        details: list[str] | None = None,
    ) -> None:
        super().__init__(message, fix)
        self.step = step
        self.code = code
        #: What the report lists under the step (every package that cannot be had, ...).
        self.details = list(details or [])
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        return f"{self.step}: {self.message}" + (f" — {self.fix}" if self.fix else "")


@dataclass
class Step:
    """One step as the report shows it."""

    name: str
    state: str = "pending"  # pending | running | done | warning | failed | skipped
    message: str = ""
    code: str | None = None
    fix: str | None = None
    seconds: float | None = None
    details: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


__all__ = ["STEPS", "STEP_TEXT", "Step", "StepFailed"]
