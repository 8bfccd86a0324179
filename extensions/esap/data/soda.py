"""A product's SODA cutout service, found through DataLink with pyvo.

A row of a search (or a basket item) names its product by publisher DID
and the ESAP service that found it; it does not carry the DataLink service
descriptor pyvo needs, because a stored result keeps rows, not VOTable
resources. So the product's record is asked again of that service, by DID
(ObsCore through TAP, ``publisher_did`` through SIAv2), and pyvo does the
rest: ``record.getdatalink()`` follows the answer's DataLink descriptor (or
a DataLink-valued ``access_url``), and the DataLink document's SODA
service descriptor (``ivo://ivoa.net/std/SODA#sync-1.0``) is what a cutout
is asked of, with pyvo's ``SodaQuery``.

The descriptor also says what the service can cut and within which limits
(its parameters' ``VALUES``): the product's footprint (``POLYGON``), its
covering circle (``CIRCLE``), a cube's wavelengths (``BAND``, metres) and
times (``TIME``, MJD). :class:`CutoutService` keeps them, so a region can be
checked before anything is cut.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from esap.core.errors import EsapError, FieldError, NotFound
from esap.data.failures import failure

if TYPE_CHECKING:
    import requests

    from esap.data.catalog import Catalog

#: The MIME type (parameter) of a DataLink document.
DATALINK_MARK = "content=datalink"
#: Columns that hold a product's publisher DID (ObsCore, SIAv2, SSA).
DID_COLUMNS = ("obs_publisher_did", "publisher_did", "ssa_pubdid", "pubdid")
#: Keys of an item that may hold the URL of its DataLink document.
DATALINK_KEYS = ("datalink_url", "datalink")


class NoCutoutService(FieldError):
    """The product has no SODA cutout service (no DataLink, or DataLink without SODA)."""

    code = "no_soda"
    fix = (
        "download the whole product instead: add the row to the basket and Download it, "
        "or fetch its access_url"
    )

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__("item", message, fix)


class BadItem(FieldError):
    """The item does not say which product it is (no service, no publisher DID, no DataLink)."""

    code = "bad_item"

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__("item", message, fix)


class ProductGone(NotFound):
    """The service no longer lists the product the item names."""

    code = "product_not_found"
    fix = "search again: the archive may have withdrawn or renamed the product"


def item_fields(item: Mapping[str, Any]) -> dict[str, Any]:
    """One flat mapping of a result row or a basket data item (its ``fields`` and its own keys).

    A basket item keeps the row's columns under ``fields`` and its format as
    ``format``; a result row is the columns themselves, plus ``service``.
    """
    if not isinstance(item, Mapping):
        raise BadItem(
            f"a {type(item).__name__} is not a result row or a basket item",
            "pass a row of a search (a dict of its columns and its service) or a basket item",
        )
    flat: dict[str, Any] = {}
    inner = item.get("fields")
    if isinstance(inner, Mapping):
        flat.update(inner)
    for key, value in item.items():
        if key != "fields" and value is not None:
            flat[key] = value
    if "access_format" not in flat and isinstance(item.get("format"), str):
        flat["access_format"] = item["format"]
    return flat


def _lookup(flat: Mapping[str, Any], names: tuple[str, ...]) -> str | None:
    lowered = {str(k).lower(): v for k, v in flat.items()}
    for name in names:
        value = lowered.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def product_did(flat: Mapping[str, Any]) -> str | None:
    """The product's publisher DID, if the row has one."""
    return _lookup(flat, DID_COLUMNS)


def product_label(flat: Mapping[str, Any]) -> str:
    """How messages name the product: its obs_id, else its DID, else its URL."""
    return (
        _lookup(flat, ("obs_id", "title", "obs_title"))
        or product_did(flat)
        or _lookup(flat, ("access_url",))
        or "the product"
    )


def _datalink_url(flat: Mapping[str, Any]) -> str | None:
    """The URL of the product's DataLink document, when the row itself gives one."""
    given = _lookup(flat, DATALINK_KEYS)
    if given:
        return given
    access_format = (_lookup(flat, ("access_format", "format")) or "").replace(" ", "").lower()
    if DATALINK_MARK in access_format:
        return _lookup(flat, ("access_url",))
    return None


@dataclass(frozen=True)
class Domain:
    """What a SODA service says it can cut: each parameter it takes, and the limits it gives."""

    #: Names of the service's input parameters (upper case): CIRCLE, POLYGON, POS, BAND, TIME...
    params: frozenset[str] = frozenset()
    #: The product's footprint as (ra, dec) vertices (POLYGON's ``VALUES`` max), if given.
    footprint: tuple[tuple[float, float], ...] | None = None
    #: The circle covering the product (ra, dec, radius; CIRCLE's ``VALUES`` max), if given.
    covering: tuple[float, float, float] | None = None
    #: The wavelengths a cube spans, in metres (BAND's ``VALUES``), if given.
    band: tuple[float, float] | None = None
    #: The times the product spans, MJD (TIME's ``VALUES``), if given.
    time: tuple[float, float] | None = None


def _numbers(value: Any) -> list[float]:
    """A parameter's VALUES bound as floats ([] for none, a masked or non-finite value)."""
    if value is None:
        return []
    try:
        import numpy as np

        flat: Any = np.ma.filled(np.ma.asarray(value, dtype=float).ravel(), np.nan)
    except (TypeError, ValueError):
        return []
    numbers = [float(v) for v in flat]
    return numbers if numbers and all(math.isfinite(v) for v in numbers) else []


def _interval(param: Any) -> tuple[float, float] | None:
    values = getattr(param, "values", None)
    low = _numbers(getattr(values, "min", None))
    high = _numbers(getattr(values, "max", None))
    if len(low) == 1 and len(high) == 1:
        return (min(low[0], high[0]), max(low[0], high[0]))
    return None


def domain_of(params: list[Any]) -> Domain:
    """The :class:`Domain` a SODA service descriptor's input parameters declare."""
    by_name = {str(p.name).upper(): p for p in params}
    footprint = None
    covering = None
    if "POLYGON" in by_name:
        vertices = _numbers(getattr(getattr(by_name["POLYGON"], "values", None), "max", None))
        if len(vertices) >= 6 and len(vertices) % 2 == 0:
            footprint = tuple(zip(vertices[0::2], vertices[1::2], strict=True))
    if "CIRCLE" in by_name:
        circle = _numbers(getattr(getattr(by_name["CIRCLE"], "values", None), "max", None))
        if len(circle) == 3:
            covering = (circle[0], circle[1], circle[2])
    return Domain(
        params=frozenset(by_name),
        footprint=footprint,
        covering=covering,
        band=_interval(by_name["BAND"]) if "BAND" in by_name else None,
        time=_interval(by_name["TIME"]) if "TIME" in by_name else None,
    )


@dataclass
class CutoutService:
    """A product's SODA sync service, as its DataLink document describes it."""

    #: The ESAP service the product was found with ('' when the item gave a DataLink URL).
    service: str
    #: How messages name the product.
    product: str
    did: str | None
    #: The row of the DataLink document that refers to the SODA service (a pyvo DatalinkRecord).
    record: Any
    #: The SODA service descriptor (an astropy VOTable RESOURCE).
    resource: Any
    domain: Domain
    session: requests.Session | None = None
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The SODA service's access URL (the descriptor's ``accessURL`` parameter)."""
        for param in self.resource.params:
            if param.name == "accessURL":
                return str(param.value)
        return ""

    def query(self, **constraints: Any) -> Any:
        """pyvo's ``SodaQuery`` for this product, with ``circle``/``range``/``polygon``/``band``...

        The same call ``SodaRecordMixin.processed`` makes, short of running
        it: the caller streams the answer to a file with progress.
        """
        from pyvo.dal.adhoc import SodaQuery

        return SodaQuery.from_resource(
            self.record, self.resource, session=self.session, **constraints
        )


def _record_by_did(adapter: Any, did: str) -> Any:
    """The product's record as the service answers it now (pyvo, with its DataLink resources)."""
    from esap.data.sia2 import Sia2Service
    from esap.data.tap import OBSCORE, TapService, adql_string

    if isinstance(adapter, TapService):
        results = adapter.pyvo_service().run_sync(
            f"SELECT * FROM {OBSCORE} WHERE obs_publisher_did = {adql_string(did)}",  # noqa: S608 - literal quoted
            maxrec=1,
        )
    elif isinstance(adapter, Sia2Service):
        from pyvo.dal import SIA2Service

        sia = SIA2Service(adapter.url, session=adapter.session, check_baseurl=False)
        results = sia.search(publisher_did=did, maxrec=1)
    else:
        raise NoCutoutService(
            f"{adapter.name} is a {adapter.entry.type} service: ESAP finds a product's cutout "
            "service through TAP (ObsCore) or SIAv2 records, or a DataLink access_url"
        )
    if len(results) == 0:
        if isinstance(adapter, TapService):
            raise NoCutoutService(
                f"{adapter.name}: {did} is not in {OBSCORE}, where ESAP looks for a "
                "product's DataLink and cutout service"
            )
        raise ProductGone(f"{adapter.name} no longer lists {did}")
    return results[0]


def _datalink(flat: Mapping[str, Any], catalog: Catalog | None, session: Any) -> tuple[Any, str]:
    """pyvo's DatalinkResults for the item, and the name of the ESAP service asked."""
    from pyvo.dal import DALServiceError
    from pyvo.dal.adhoc import DatalinkResults

    service = _lookup(flat, ("service",)) or ""
    label = product_label(flat)
    direct = _datalink_url(flat)
    if direct:
        return DatalinkResults.from_result_url(direct, session=session), service
    did = product_did(flat)
    if not service or not did:
        raise BadItem(
            f"{label}: the item names no "
            + ("publisher DID (obs_publisher_did)" if service else "service")
            + " and no DataLink URL, so ESAP cannot find its cutout service",
            "pass a row of a search result (with its service and obs_publisher_did), "
            "a basket data item, or a dict with datalink_url",
        )
    if catalog is None:
        raise BadItem(f"{label}: no catalogue of services to find {service} in")
    adapter = catalog.adapter(service)
    record = _record_by_did(adapter, did)
    try:
        return record.getdatalink(), service
    except DALServiceError as exc:
        raise NoCutoutService(
            f"{service} publishes no DataLink for {label} ({exc}), so it offers no SODA cutout"
        ) from None


def find(
    item: Mapping[str, Any], catalog: Catalog | None = None, session: Any = None
) -> CutoutService:
    """The SODA service of the product ``item`` names; see the module docstring.

    Refusals: :class:`BadItem` (the item says not which product),
    :class:`NoCutoutService` (no DataLink, or no SODA in it),
    :class:`ProductGone`, and the service's own failures as
    :func:`esap.data.failures.failure` words them.
    """
    from pyvo.dal import DALServiceError
    from pyvo.dal.adhoc import SODA_SYNC_IVOID

    flat = item_fields(item)
    label = product_label(flat)
    service = _lookup(flat, ("service",)) or ""
    try:
        links, service = _datalink(flat, catalog, session)
    except EsapError:
        raise
    except Exception as exc:  # pyvo's and requests' errors: the service's failure, worded once
        raise failure(exc, service or "the DataLink service") from None
    try:
        resource = links.get_adhocservice_by_ivoid(SODA_SYNC_IVOID)
    except DALServiceError:
        raise NoCutoutService(
            f"{label}: {service or 'its archive'} offers no SODA cutout service for it "
            "(its DataLink document lists none)"
        ) from None
    rows = [row for row in links if row.service_def and row.service_def == resource.ID]
    if not rows:
        rows = list(links)
    if not rows:
        raise NoCutoutService(f"{label}: its DataLink document is empty")
    record = rows[0]
    return CutoutService(
        service=service,
        product=label,
        did=product_did(flat),
        record=record,
        resource=resource,
        domain=domain_of(list(record.input_params)),
        session=session,
        fields=flat,
    )


__all__ = [
    "DATALINK_MARK",
    "BadItem",
    "CutoutService",
    "Domain",
    "NoCutoutService",
    "ProductGone",
    "domain_of",
    "find",
    "item_fields",
    "product_did",
    "product_label",
]
