"""Short-lived capability links: one table, readable without a cookie, for a few minutes.

A desktop tool (TOPCAT, Aladin) fetches the URL of a ``table.load.votable``
message itself: it has no browser cookie and no hub token. Putting the user's
API token in the URL would hand a full-power credential to the tool, its
logs and the SAMP hub; instead the lab mints a link whose 256-bit random id
*is* the permission, grants reading one table only, and expires after
``ttl`` seconds. The ids live in the server's memory only: a restarted
server forgets them, which is what a short-lived link wants (the user just
sends again); nothing the user made is lost, the table stays in the result
cache or the basket.

Considered: itsdangerous / signed URLs (stateless, but then a link cannot
be forgotten before it expires and the signing key becomes one more secret
to keep); a dict guarded by a lock does the job.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from esap.core.errors import FieldError, NotFound

#: Seconds a link is valid by default, and at most.
DEFAULT_TTL = 300
MAX_TTL = 3600
#: The longest name a table sent to a desktop tool may have.
MAX_NAME = 200
#: Links kept at once; the oldest go first past this.
MAX_LINKS = 1000


class LinkNotFound(NotFound):
    """No such link, or it expired (the id is not repeated: it is the link's only secret)."""

    fix = "send the table to the desktop tool again from the lab for a fresh link"

    def __init__(self, link_id: str) -> None:
        super().__init__("no such table link, or it expired")
        self.link_id = link_id


@dataclass(frozen=True)
class Link:
    """What a link serves: ``source`` says which table (see :mod:`esap.samp.tables`)."""

    id: str
    name: str
    source: dict[str, Any]
    expires: float
    created: float = field(default_factory=time.time)

    @property
    def table_id(self) -> str:
        """The ``table-id`` a SAMP message gives the table (the link's id is not repeated whole)."""
        return f"esap-{self.id[:12]}"


class LinkStore:
    """The server's live links, by id."""

    def __init__(self, clock: Any = time.time) -> None:
        self._clock = clock
        self._links: dict[str, Link] = {}
        self._lock = threading.Lock()

    def issue(self, name: str, source: dict[str, Any], ttl: float = DEFAULT_TTL) -> Link:
        """A new link to ``source`` named ``name``, valid for ``ttl`` seconds (each a rule)."""
        if not 0 < len(name) <= MAX_NAME:
            raise FieldError(
                "name",
                f"must be text of 1 to {MAX_NAME} characters",
                'send e.g. {"name": "M51 images"}',
            )
        if not 0 < ttl <= MAX_TTL:
            raise FieldError(
                "ttl",
                f"{ttl:g}: must be seconds, more than 0, at most {MAX_TTL}",
                f"leave ttl out for {DEFAULT_TTL} s",
            )
        now = self._clock()
        link = Link(secrets.token_urlsafe(32), name, dict(source), now + ttl, now)
        with self._lock:
            self._forget_expired(now)
            while len(self._links) >= MAX_LINKS:
                oldest = min(self._links.values(), key=lambda item: item.created)
                del self._links[oldest.id]
            self._links[link.id] = link
        return link

    def get(self, link_id: str) -> Link:
        """The live link ``link_id``, or :class:`LinkNotFound` (unknown or expired)."""
        now = self._clock()
        with self._lock:
            link = self._links.get(link_id)
            if link is None or link.expires <= now:
                self._links.pop(link_id, None)
                raise LinkNotFound(link_id)
            return link

    def _forget_expired(self, now: float) -> None:
        for link_id in [k for k, link in self._links.items() if link.expires <= now]:
            del self._links[link_id]


__all__ = ["DEFAULT_TTL", "MAX_NAME", "MAX_TTL", "Link", "LinkNotFound", "LinkStore"]
