"""The IVOA registry (RegTAP through ``pyvo.registry``): find services to add.

Two faces: :func:`find_services` answers the lab's registry search (keyword,
service type, waveband), and :class:`RegistryService` lets an admin list a
RegTAP endpoint as a data service, so a federated search also returns the
matching *resources*.

pyvo's ``registry.search`` talks to one process-wide RegTAP service; we build
the same query with ``get_RegTAP_query`` and run it on a ``RegistryQuery``
against the configured endpoint and the shared session, so concurrent
searches against different registries do not interfere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from esap.config.options import AdapterOptions
from esap.data.base import DataService, NotApplicable, Query

if TYPE_CHECKING:
    import requests
    from astropy.table import Table

#: The registry pyvo uses by default (GAVO's RegTAP service).
DEFAULT_REGISTRY = "https://reg.g-vo.org/tap"

#: ESAP adapter type -> pyvo's servicetype (constraint and ``list_interfaces``).
#: SIAv2 is ``sia2``: its standard id is SIA's with a ``#query-2.x`` fragment,
#: which pyvo matches only under that name (``sia`` is SIAv1, which ESAP cannot query).
SERVICE_TYPES: dict[str, str] = {"tap": "tap", "sia2": "sia2", "scs": "conesearch", "ssa": "ssa"}

#: Wavebands of the IVOA messenger vocabulary (what the waveband constraint accepts).
WAVEBANDS = (
    "radio",
    "millimeter",
    "infrared",
    "optical",
    "uv",
    "euv",
    "x-ray",
    "gamma-ray",
    "photon",
    "neutrino",
    "gravitational-waves",
    "neutral-particles",
    "charged-particles",
)


def _waveband_constraint() -> type:
    """pyvo's Waveband constraint, with the messenger terms known in advance.

    pyvo checks the term against the IVOA vocabulary, fetched from ivoa.net on
    first use; a hub without internet access would then fail every waveband
    search even against its own registry. The terms are a small, stable
    vocabulary, so they are listed here (``WAVEBANDS``) and checked by the caller.
    """
    from pyvo.registry import rtcons

    class Waveband(rtcons.Waveband):  # type: ignore[misc]
        _legal_terms = frozenset(WAVEBANDS)

    return Waveband


def waveband_constraint(band: str) -> Any:
    """A registry constraint on one messenger term (checked against ``WAVEBANDS``)."""
    return _waveband_constraint()(band)


def _interface_url(resource: Any, kind: str) -> str | None:
    """The access URL of ``resource``'s standard interface of ESAP type ``kind``."""
    interfaces = resource.list_interfaces(SERVICE_TYPES[kind])
    return str(interfaces[0].access_url) if interfaces else None


def find_services(
    *,
    keywords: str | None = None,
    servicetype: str | None = None,
    waveband: str | None = None,
    registry_url: str = DEFAULT_REGISTRY,
    session: requests.Session | None = None,
    maxrec: int = 200,
    datamodel: str | None = None,
) -> list[dict[str, Any]]:
    """Registry resources matching the constraints, one entry per usable interface.

    ``servicetype`` is an ESAP adapter type (tap, sia2, scs, ssa); without it
    every resource with one of those interfaces is listed once per interface.
    ``datamodel`` (pyvo's name of one, e.g. ``obscore``) keeps the resources
    that declare serving it (the all-VO search's ObsCore TAP services).
    """
    from pyvo.dal import TAPService
    from pyvo.registry.regtap import RegistryQuery, get_RegTAP_query

    kinds = [servicetype] if servicetype else list(SERVICE_TYPES)
    constraints: dict[str, Any] = {}
    if keywords:
        constraints["keywords"] = keywords.split()
    if servicetype:
        constraints["servicetype"] = SERVICE_TYPES[servicetype]
    if datamodel:
        constraints["datamodel"] = datamodel
    bands = [waveband_constraint(waveband)] if waveband else []
    service = TAPService(registry_url, session=session)
    adql = get_RegTAP_query(*bands, service=service, **constraints)
    results = RegistryQuery(registry_url, adql, maxrec=maxrec, session=session).execute()
    found = []
    for resource in results:
        for kind in kinds:
            url = _interface_url(resource, kind)
            if url:
                found.append(
                    {
                        "ivoid": str(resource.ivoid),
                        "title": str(resource.res_title or ""),
                        "description": str(resource.res_description or ""),
                        "type": kind,
                        "url": url,
                        "waveband": [str(w) for w in (resource.waveband or [])],
                    }
                )
    return found


class RegistryOptions(AdapterOptions):
    """A registry takes no options: leave options out (url is the RegTAP endpoint)."""


class RegistryService(DataService):
    """A RegTAP endpoint listed as a data service: searches return matching resources."""

    Options: ClassVar[type[AdapterOptions]] = RegistryOptions

    query_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "title": "Registry",
        "properties": {
            "servicetype": {
                "type": "string",
                "title": "Service type",
                "enum": list(SERVICE_TYPES),
            },
            "waveband": {"type": "string", "title": "Waveband", "enum": list(WAVEBANDS)},
        },
        "additionalProperties": False,
    }

    def search(self, query: Query) -> Table:
        """Resources whose title, description or subjects match the free text."""
        from astropy.table import Table

        if not query.text and not query.params:
            raise NotApplicable("a registry search needs free text (keywords) or a service type")
        found = find_services(
            keywords=query.text,
            servicetype=query.params.get("servicetype"),
            waveband=query.params.get("waveband"),
            registry_url=self.url,
            session=self.session,
            maxrec=query.maxrec or 200,
        )
        names = ["ivoid", "title", "description", "type", "url", "waveband"]
        rows = [
            [entry[n] if n != "waveband" else " ".join(entry[n]) for n in names] for entry in found
        ]
        table = Table(rows=rows or None, names=names, dtype=[str] * len(names))
        table["url"].meta["ucd"] = "meta.ref.url"
        table.meta["esap_truncated"] = False
        return table
