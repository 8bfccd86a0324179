"""``community-collection``: a community's own view of an archive, one ObsCore collection.

Many archives hold several communities' observations in one ObsCore table
behind one TAP service. This service shows one community only its own: every
search is an ObsCore query restricted to ``obs_collection = <collection>``,
whatever the user asks. It offers no ADQL and no table browser on purpose:
those would reach past the collection.

Some archives want a key from a community's clients; ``api_key`` is sent as
the ``X-Community-Key`` header when it is set. It is a secret option: the
admin writes ``env:NAME`` or ``file:/path``, and it is resolved only when a
request is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import requests
from esap.config.models import SecretRef
from esap.config.options import AdapterOptions
from esap.data.base import DataService, NotApplicable, Query, ServiceError, overflowed
from esap.data.tap import adql_string
from pydantic import Field

if TYPE_CHECKING:
    from astropy.table import Table

#: The header an archive reads a community's key from.
KEY_HEADER = "X-Community-Key"


class CollectionOptions(AdapterOptions):
    """What the admin writes under ``options:`` for a ``community-collection`` service."""

    collection: str = Field(
        min_length=1, description="The ObsCore obs_collection this service shows (exact value)."
    )
    max_rows: int = Field(
        default=1000, ge=1, description="Rows per search at most (a user may ask for fewer)."
    )
    api_key: SecretRef | None = Field(
        default=None,
        description=f"The community's key for the archive, sent as the {KEY_HEADER} header "
        "(env:NAME or file:/path).",
    )


class KeyedSession(requests.Session):
    """Sends every request through ``shared`` with extra ``headers``.

    The session a service is given is shared by every service of the lab, so
    a key must never go into its own headers (every archive would get it);
    this wrapper adds it to this service's requests only, and keeps the
    shared session's pooled connections and timeout.
    """

    def __init__(self, shared: requests.Session, headers: dict[str, str]) -> None:
        super().__init__()
        self.shared = shared
        self.extra = headers

    def request(
        self, method: str, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """The shared session's request, with this service's headers added."""
        kwargs["headers"] = {**(kwargs.get("headers") or {}), **self.extra}
        return self.shared.request(method, url, *args, **kwargs)


class CollectionService(DataService):
    """One ObsCore collection of a TAP service."""

    Options: ClassVar[type[AdapterOptions]] = CollectionOptions
    #: The validated options, typed (the base class fills it from ``Options``).
    options: CollectionOptions

    def http(self) -> requests.Session:
        """The session for this service's requests: the shared one, plus the key if set."""
        if self.options.api_key is None:
            return self.session
        try:
            key = self.options.api_key.resolve()
        except LookupError as exc:
            raise ServiceError(
                f"the community key (options.api_key) is not available here: {exc}",
                fix="ask the hub admin to check the key's reference (esap config check), "
                "then restart your server",
            ) from None
        return KeyedSession(self.session, {KEY_HEADER: key})

    def adql_for(self, query: Query) -> str:
        """The ObsCore query of a form search, always within the collection."""
        where = [f"obs_collection = {adql_string(self.options.collection)}"]
        if query.has_position:
            where.append(
                "1 = CONTAINS(POINT('ICRS', s_ra, s_dec), "
                f"CIRCLE('ICRS', {query.ra!r}, {query.dec!r}, {query.radius!r}))"
            )
        if query.band is not None:
            where.append(f"em_min <= {query.band[1]!r} AND em_max >= {query.band[0]!r}")
        if query.time is not None:
            where.append(f"t_min <= {query.time[1]!r} AND t_max >= {query.time[0]!r}")
        if query.text:
            pattern = adql_string(f"%{query.text.lower()}%")
            where.append(f"(LOWER(obs_title) LIKE {pattern} OR LOWER(target_name) LIKE {pattern})")
        # ADQL for the archive: every value is a number or quoted by adql_string
        return "SELECT * FROM ivoa.obscore WHERE " + " AND ".join(where)  # noqa: S608

    def search(self, query: Query) -> Table:
        """At most ``max_rows`` rows of the collection matching ``query``."""
        from pyvo.dal import TAPService

        if query.collection and query.collection != self.options.collection:
            raise NotApplicable(
                f"this service shows only the collection {self.options.collection!r}"
            )
        rows = min(query.maxrec or self.options.max_rows, self.options.max_rows)
        results = TAPService(self.url, session=self.http()).run_sync(
            self.adql_for(query), maxrec=rows
        )
        table = results.to_table()
        table.meta["esap_truncated"] = overflowed(results)
        return table


__all__ = ["KEY_HEADER", "CollectionOptions", "CollectionService", "KeyedSession"]
