"""The time ESAP writes into the user's stores: UTC, to the second.

One clock for every store, so the basket's ``added``, a job's ``updated``
and a launch's ``created`` read alike in the panels, exports and notebooks,
and compare equal on every machine. (Named ``clock`` so it never stands in
for the standard library's ``time``.)
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time in UTC, to the second (what the panels and exports show)."""
    return datetime.now(UTC).replace(microsecond=0)


def stamp() -> str:
    """The current time as the stores write it: ISO 8601 with the zone (``...+00:00``)."""
    return now().isoformat()


__all__ = ["now", "stamp"]
