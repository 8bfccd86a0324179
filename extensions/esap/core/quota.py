"""The home quota (``hub.home_quota``): what a user's home may hold before ESAP stops adding to it.

The hub passes the quota to every user server in the public config (in
bytes). Two things ESAP does on a user's behalf write to the home in bulk —
a basket download and a publication's package — and each asks
:func:`ensure_room` before it starts: at the quota (or past it once the
download's known size is added) it is refused with :class:`QuotaExceeded`,
which names the home's size, the quota and what to do. Nothing else is
stopped: the user's own work (notebooks, files) goes on, and the lab warns
past :data:`WARN_AT` of the quota.

On Kubernetes the home volume's size (the storage class) is what truly
holds the line; this check is what tells the user why before a write fails.
"""

from __future__ import annotations

from pathlib import Path

from esap.config.sizes import human_bytes
from esap.core.errors import EsapError
from esap.core.home import HomeSize, home_size
from esap.core.public_config import public_config

#: The share of the quota past which the lab warns the user.
WARN_AT = 0.9
#: Seconds a measurement of the home is trusted by a check (a fresh walk after that).
CHECK_MAX_AGE = 10.0

FIX = "free space in your home (delete or move files you no longer need) or ask the hub admin"


class QuotaExceeded(EsapError):
    """The home holds the quota's worth already (or would, with what was asked): 507.

    507 Insufficient Storage (RFC 4918): the server cannot store what the
    request would write, for as long as the user does not free space; not a
    conflict a retry can clear.
    """

    status = 507
    code = "quota_exceeded"
    fix = FIX


def home_quota() -> int | None:
    """The quota in bytes this server was given, or ``None``: none set, or no configuration."""
    try:
        quota = public_config().get("home_quota")
    except EsapError:  # not started by a hub and none named: no quota to keep
        return None
    return int(quota) if isinstance(quota, int | float) and quota > 0 else None


def ensure_room(action: str, adding: int = 0, *, home: Path | None = None) -> HomeSize | None:
    """Refuse ``action`` (``"a basket download"``) when the home is at its quota; its size if set.

    ``adding`` is what the action will write, where known (a download's
    declared sizes): a home the action would carry past the quota is
    refused too, before any byte is written.
    """
    quota = home_quota()
    if quota is None:
        return None
    size = home_size(home, max_age=CHECK_MAX_AGE)
    if size.bytes >= quota:
        raise QuotaExceeded(
            f"{action} is refused: your home holds {human_bytes(size.bytes)}, "
            f"at or over its quota of {human_bytes(quota)} (hub.home_quota)"
        )
    if adding and size.bytes + adding > quota:
        raise QuotaExceeded(
            f"{action} is refused: it would add {human_bytes(adding)} to your home's "
            f"{human_bytes(size.bytes)}, past its quota of {human_bytes(quota)} (hub.home_quota)",
            f"choose fewer or smaller files, {FIX}",
        )
    return size


__all__ = ["CHECK_MAX_AGE", "FIX", "WARN_AT", "QuotaExceeded", "ensure_room", "home_quota"]
