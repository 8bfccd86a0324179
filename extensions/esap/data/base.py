"""The ``DataService`` base class and the validated search every adapter receives.

A data service adapter is a short class (like an oauthenticator provider):
the federation, the result cache, the REST API, the notebook API and the
command line are written once against this interface.

To write an adapter, subclass :class:`DataService` and override:

* ``search(query)`` (required): run ``query`` (a :class:`Query`, already
  checked) against the service and return an ``astropy.table.Table``. Raise
  :class:`NotApplicable` when the query cannot be asked of this kind of
  service (a cone search without a position), and let pyvo's own exceptions
  (``pyvo.dal.DALServiceError``, ``DALQueryError``, ...) propagate: the
  federation turns them into per-service error events with the service's
  own message.
* ``query_schema`` (class attribute): the JSON Schema of the adapter's own
  query parameters (what ``params[<service>]`` may hold in a search). The
  lab renders a form from it, as ESAP's ``query_schema`` did.
* ``capabilities`` (class attribute): a subset of ``search``, ``adql``,
  ``async``, ``tables``; TAP-like adapters that say ``adql`` also implement
  ``run_adql`` and ``tables``, ``async`` ones ``submit_job``.
* ``roles`` (optional): which columns hold an access URL, a preview, the
  position, the format, the footprint; the default guesses from ObsCore
  names and UCDs.

Adapters use ``self.session`` for every HTTP request (pass ``session=`` to
pyvo): one ``requests.Session`` shared by all services, so connections are
pooled, and whose requests time out after the service's own ``timeout``.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import requests

from esap import __version__

if TYPE_CHECKING:
    from astropy.table import Table

#: Column roles the lab knows how to use.
ROLES = ("access_url", "preview", "ra", "dec", "format", "region")

#: Column names (lower case) that identify a role, ObsCore and common catalogue names.
_ROLE_NAMES: dict[str, tuple[str, ...]] = {
    "access_url": ("access_url", "accessurl", "acref"),
    "preview": ("preview", "preview_url", "thumbnail"),
    "ra": ("s_ra", "ra", "raj2000", "ra_icrs", "ra_main"),
    "dec": ("s_dec", "dec", "dej2000", "de_icrs", "dec_main"),
    "format": ("access_format", "format", "mime"),
    "region": ("s_region",),
}
#: UCDs (lower case, exact) that identify a role.
_ROLE_UCDS: dict[str, tuple[str, ...]] = {
    "access_url": ("meta.ref.url", "meta.dataset;meta.ref.url"),
    "preview": ("meta.ref.url;datalink.preview",),
    "ra": ("pos.eq.ra;meta.main",),
    "dec": ("pos.eq.dec;meta.main",),
    "format": ("meta.code.mime",),
    "region": ("pos.outline;obs.field", "pos.outline"),
}


class NotApplicable(Exception):
    """The query cannot be asked of this service (e.g. a cone search without a position)."""


@dataclass(frozen=True)
class ServiceEntry:
    """What ESAP knows about one configured service (admin's or the user's own)."""

    name: str
    type: str
    url: str
    title: str = ""
    description: str = ""
    enabled: bool = True
    timeout: float = 30.0
    options: Mapping[str, Any] = field(default_factory=dict)
    source: str = "admin"

    @classmethod
    def from_public(cls, entry: Mapping[str, Any], source: str = "admin") -> ServiceEntry:
        """Build from an entry of the public config (or of the user's service store)."""
        return cls(
            name=str(entry["name"]),
            type=str(entry["type"]),
            url=str(entry["url"]).rstrip("/"),
            title=str(entry.get("title") or entry["name"]),
            description=str(entry.get("description") or ""),
            enabled=bool(entry.get("enabled", True)),
            timeout=float(entry.get("timeout") or 30.0),
            options=dict(entry.get("query_defaults") or entry.get("options") or {}),
            source=source,
        )


@dataclass(frozen=True)
class Query:
    """A checked, normalised search (see ``esap.data.request`` for the checking).

    Positions and radius in degrees (ICRS), ``band`` in metres, ``time`` as
    MJD, so an adapter never parses user input itself.
    """

    ra: float | None = None
    dec: float | None = None
    radius: float = 0.1
    band: tuple[float, float] | None = None
    time: tuple[float, float] | None = None
    collection: str | None = None
    text: str | None = None
    maxrec: int | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def has_position(self) -> bool:
        """Whether a cone was given."""
        return self.ra is not None and self.dec is not None


# ------------------------------------------------------------- the HTTP session

_local = threading.local()


class ServiceSession(requests.Session):
    """The ``requests.Session`` every adapter shares (connection pooling across services).

    A request without an explicit ``timeout`` gets the one set for the current
    thread by :func:`request_timeout`, i.e. the timeout of the service that
    thread is querying, so a hanging service releases its worker thread.
    """

    def __init__(self) -> None:
        super().__init__()
        self.headers["User-Agent"] = f"esap-hub/{__version__} (pyvo)"
        adapter = requests.adapters.HTTPAdapter(pool_connections=32, pool_maxsize=32)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        """Send with the thread's service timeout unless the caller gave one."""
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = getattr(_local, "timeout", None)
        return super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]


class request_timeout:
    """Within the block, this thread's un-timed requests time out after ``seconds``."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.previous: float | None = None

    def __enter__(self) -> None:
        self.previous = getattr(_local, "timeout", None)
        _local.timeout = self.seconds

    def __exit__(self, *exc: object) -> None:
        _local.timeout = self.previous


_shared: ServiceSession | None = None
_shared_lock = threading.Lock()


def shared_session() -> ServiceSession:
    """The process-wide session (created on first use)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ServiceSession()
        return _shared


def overflowed(results: Any) -> bool:
    """Whether a pyvo answer says the service stopped at MAXREC (QUERY_STATUS OVERFLOW)."""
    status = getattr(results, "status", None) or ("",)
    return str(status[0]).lower() == "overflow"


# ------------------------------------------------------------------ the adapter


class DataService:
    """Base of every data service adapter; see the module docstring for what to override."""

    #: JSON Schema (an object schema) of the adapter's own query parameters.
    query_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}
    #: What the adapter can do beyond a plain search.
    capabilities: ClassVar[tuple[str, ...]] = ("search",)

    def __init__(self, entry: ServiceEntry, session: requests.Session | None = None) -> None:
        self.entry = entry
        self.session = session or shared_session()

    @property
    def name(self) -> str:
        """The service's name in the config."""
        return self.entry.name

    @property
    def url(self) -> str:
        """The service's base URL."""
        return self.entry.url

    def option(self, key: str, default: Any = None) -> Any:
        """An adapter setting from the config (``options:``), or ``default``."""
        return self.entry.options.get(key, default)

    def search(self, query: Query) -> Table:
        """Run ``query`` and return its rows; override in every adapter."""
        raise NotImplementedError(f"{type(self).__name__} does not implement search()")

    def roles(self, table: Table) -> dict[str, str]:
        """Column name -> role (``access_url``, ``preview``, ``ra``, ...), first match wins."""
        found: dict[str, str] = {}
        taken: set[str] = set()
        for column in table.columns.values():
            meta = getattr(column, "meta", {}) or {}
            ucd = str(meta.get("ucd") or "").lower()
            lowered = column.name.lower()
            for role in ROLES:
                if role in taken:
                    continue
                if lowered in _ROLE_NAMES[role] or (ucd and ucd in _ROLE_UCDS[role]):
                    found[column.name] = role
                    taken.add(role)
                    break
        return found

    def describe(self) -> dict[str, Any]:
        """The service as the REST API lists it."""
        entry = self.entry
        return {
            "name": entry.name,
            "title": entry.title or entry.name,
            "type": entry.type,
            "description": entry.description,
            "enabled": entry.enabled,
            "url": entry.url,
            "source": entry.source,
            "query_schema": self.query_schema,
            "capabilities": list(self.capabilities),
        }


__all__ = [
    "ROLES",
    "DataService",
    "NotApplicable",
    "Query",
    "ServiceEntry",
    "ServiceSession",
    "overflowed",
    "request_timeout",
    "shared_session",
]
