"""The ``DataService`` base class and the validated search every adapter receives.

A data service adapter is a short class (like an oauthenticator provider):
the federation, the result cache, the REST API, the notebook API and the
command line are written once against this interface. The guide
"Writing an adapter" (``docs/how-to/write-an-adapter.md``) walks through one.

What an adapter receives: one :class:`ServiceEntry` (name, type, url,
title, description, timeout, enabled, the raw options), and, as
``self.options``, its options validated by its own ``Options`` model.

To write an adapter, subclass :class:`DataService` and override:

* ``search(query)`` (required): run ``query`` (a :class:`Query`, already
  checked) against the service and return an ``astropy.table.Table``.
* ``Options`` (class attribute, optional): an
  :class:`~esap.config.options.AdapterOptions` model of the settings the
  admin may write under ``options:``; ``esap config check`` validates them,
  and the adapter reads ``self.options.<name>``. Without one, any mapping is
  accepted and read with ``self.option(key, default)``.
* ``query_schema`` (class attribute): the JSON Schema of the adapter's own
  query parameters (what ``params[<service>]`` may hold in a search). The
  lab renders a form from it, as ESAP's ``query_schema`` did.
* ``roles`` (optional): which columns hold an access URL, a preview, the
  position, the format, the footprint; the default guesses from ObsCore
  names and UCDs.

Optional abilities are typed protocols: implement the methods of one and
the lab offers it (``isinstance(adapter, RunsAdql)``, never a name looked up
by string): :class:`RunsAdql` (ADQL queries), :class:`ListsTables` (the
table browser), :class:`SubmitsJobs` (asynchronous UWS jobs),
:class:`HoldsFiles` (list a dataset's files and bring them to the lab),
:class:`TakesUserToken` (a personal token the user stores from the lab).

Errors: raise :class:`NotApplicable` when the query cannot be asked of this
kind of service (a cone search without a position), :class:`ServiceError`
(with a ``fix``) for the service's own refusals, and let pyvo's exceptions
(``DALServiceError``, ``DALQueryError``, ...) and ``requests``' propagate.
Anything else an adapter raises, in any method, is still contained: it
becomes that service's error event (its type and message), and the other
services' rows arrive.

Adapters use ``self.session`` for every HTTP request (pass ``session=`` to
pyvo): one ``requests.Session`` shared by all services, so connections are
pooled, and whose requests time out after the service's own ``timeout``.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

import requests

from esap import __version__
from esap.config.options import AdapterOptions, FreeOptions, options_for
from esap.core.errors import EsapError, UpstreamError
from esap.core.state import state_dir
from esap.core.tokens import TokenStore

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


class NotApplicable(EsapError):
    """The query cannot be asked of this service (e.g. a cone search without a position)."""

    code = "not_applicable"


class ServiceError(UpstreamError):
    """The service refused or failed; ``message`` is its reason, ``fix`` what the user can do."""

    code = "service_error"


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
    #: Why the hub could not load this entry's adapter (then it is shown broken).
    error: str | None = None

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
            options=dict(entry.get("options") or {}),
            source=source,
            error=str(entry["error"]) if entry.get("error") else None,
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
        """Send with the thread's service timeout unless the caller gave one.

        An error answer's body is read at once and offered again as the
        stream: pyvo parses the stream (a VOTable error document) and would
        leave nothing of a plain-text or HTML error for the message that
        quotes the service's own words (``esap.core.failures``).
        """
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = getattr(_local, "timeout", None)
        response = super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]
        if response.status_code >= 400 and kwargs.get("stream"):
            response.raw = io.BytesIO(response.content)
        return response


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


# ---------------------------------------------------------------- the abilities


@runtime_checkable
class RunsAdql(Protocol):
    """Runs an ADQL query synchronously (the lab's ADQL tab)."""

    def run_adql(self, adql: str, maxrec: int | None = None) -> Table:
        """The query's rows (at most ``maxrec``)."""


@runtime_checkable
class ListsTables(Protocol):
    """Lists its tables and their columns (the lab's table browser)."""

    def tables(self) -> list[dict[str, Any]]:
        """``[{"name", "description", "columns": [{"name", "datatype", "unit", ...}]}]``."""


@runtime_checkable
class SubmitsJobs(Protocol):
    """Runs long ADQL queries as asynchronous UWS jobs the user can leave and come back to."""

    def submit_job(self, adql: str, maxrec: int | None = None) -> str:
        """Create and start the job; return its UWS URL."""


@runtime_checkable
class HoldsFiles(Protocol):
    """Lists the files of a dataset and brings them into the user's lab."""

    def files(self, did: str) -> list[dict[str, Any]]:
        """The files of the dataset ``did``."""

    def bring(self, did: str, how: str | None = None, folder: str | None = None) -> dict[str, Any]:
        """Make the dataset's files available in the lab; say where and how."""


@runtime_checkable
class TakesUserToken(Protocol):
    """Takes the user's personal token, which the user stores from the lab (write-only).

    The lab stores it in :func:`user_tokens` under the service's name, so the
    REST face needs no adapter's code; the adapter reads it back there.
    """

    def token(self) -> str | None:
        """The user's stored token for this service, if any."""


#: The users' own service tokens, in the state folder beside the archives' tokens.
SERVICE_TOKENS_FILE = "service-tokens.json"


def user_tokens(directory: Path | None = None) -> TokenStore:
    """The tokens users stored for the services that take one (:class:`TakesUserToken`), by name.

    One owner-only file for every such service, kept by the store the
    archives' tokens use: never returned, never logged.
    """
    return TokenStore(directory or state_dir(), file_name=SERVICE_TOKENS_FILE)


#: Capability names the lab reads (``GET data/services``) -> the protocol that grants each.
ABILITIES: dict[str, type] = {
    "adql": RunsAdql,
    "tables": ListsTables,
    "async": SubmitsJobs,
    "files": HoldsFiles,
    "bring": HoldsFiles,
    "token": TakesUserToken,
}


# ------------------------------------------------------------------ the adapter


class DataService:
    """Base of every data service adapter; see the module docstring for what to override."""

    #: JSON Schema (an object schema) of the adapter's own query parameters.
    query_schema: ClassVar[dict[str, Any]] = {"type": "object", "properties": {}}
    #: The options the admin may give under ``options:`` (any mapping when not declared).
    Options: ClassVar[type[AdapterOptions]] = FreeOptions

    def __init__(self, entry: ServiceEntry, session: requests.Session | None = None) -> None:
        self.entry = entry
        self.session = session or shared_session()
        #: The entry's options, validated by the adapter's ``Options`` model.
        self.options: AdapterOptions = options_for(type(self), entry.options)

    @property
    def capabilities(self) -> tuple[str, ...]:
        """What this adapter can do: ``search`` and the abilities it implements."""
        found = ["search"] if type(self).search is not DataService.search else []
        found += [name for name, ability in ABILITIES.items() if isinstance(self, ability)]
        return tuple(found)

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
        return self.options.get(key, default)

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
    "ABILITIES",
    "ROLES",
    "SERVICE_TOKENS_FILE",
    "DataService",
    "HoldsFiles",
    "ListsTables",
    "NotApplicable",
    "Query",
    "RunsAdql",
    "ServiceEntry",
    "ServiceError",
    "ServiceSession",
    "SubmitsJobs",
    "TakesUserToken",
    "overflowed",
    "request_timeout",
    "shared_session",
    "user_tokens",
]
