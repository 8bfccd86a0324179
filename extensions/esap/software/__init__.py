"""Software discovery: search the configured catalogues (codemeta folders, the OSSR).

The notebook face::

    import esap
    esap.software.search("gammapy", language="Python")   # astropy Table
    record = esap.software.get("ossr", "1234567")          # details from codemeta
    esap.basket.add(record.basket_item())

The same engine serves the Software panel (REST ``software...``), and the
launch service (``esap.software.launch``) opens a record in the lab.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import Field, HttpUrl

from esap.config.options import AdapterOptions, unusable
from esap.core.errors import EsapError
from esap.core.failures import recognise
from esap.software.base import (
    CatalogueEntry,
    CatalogueError,
    RecordNotFound,
    SoftwareCatalogue,
    SoftwareQuery,
    SoftwareRecord,
    UnknownCatalogue,
)

if TYPE_CHECKING:
    from astropy.table import Table

Result = TypeVar("Result")


def offered(config: str | Path | dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The catalogue entries of the hub's public config (or of an esap.yaml)."""
    if isinstance(config, dict):
        public = config
    else:
        from esap.core.public_config import public_config

        public = public_config(config)
    return [dict(entry) for entry in public.get("software_catalogues") or []]


def catalogue(
    entry: CatalogueEntry | dict[str, Any], base: Path | None = None
) -> SoftwareCatalogue:
    """The adapter of one catalogue entry (chosen by ``type``).

    Whatever keeps it from being built (not installed, broken on import,
    refusing its options, raising in its constructor) is a
    :class:`CatalogueError` naming the catalogue, never another exception.
    """
    from esap import plugins

    described = entry if isinstance(entry, CatalogueEntry) else CatalogueEntry.from_public(entry)
    if described.error:
        raise CatalogueError(f"{described.name}: {described.error}")
    try:
        klass = plugins.load(plugins.SOFTWARE_CATALOGUES, described.type)
    except (plugins.AdapterNotFoundError, plugins.AdapterImportError) as exc:
        raise CatalogueError(f"{described.name}: {exc}") from exc
    try:
        adapter = klass(described, base)
    except Exception as exc:  # the adapter's own failure, named as such
        raise CatalogueError(f"{described.name}: {unusable(described.type, exc)}") from exc
    if not isinstance(adapter, SoftwareCatalogue):
        raise CatalogueError(
            f"{described.name}: the {described.type} adapter is not a SoftwareCatalogue"
        )
    return adapter


def contained(name: str, call: Callable[[], Result]) -> Result:
    """``call()``, with anything but an ESAP error or ``LookupError`` made the catalogue's error.

    A third-party catalogue may raise anything; the faces (REST, notebook,
    CLI) then still get one documented exception: a network failure named
    by the one classification (:mod:`esap.core.failures`, as the built-in
    catalogues raise it), anything else a :class:`CatalogueError` naming
    the catalogue.
    """
    try:
        return call()
    except (EsapError, LookupError):
        raise
    except Exception as exc:
        known = recognise(exc, service=name)
        if known is not None:
            raise known from exc
        raise CatalogueError(f"{name}: {type(exc).__name__}: {exc}") from exc


def _search_one(entry: dict[str, Any], query: SoftwareQuery) -> list[SoftwareRecord]:
    return catalogue(entry).search(query)


def search_all(
    entries: list[dict[str, Any]], query: SoftwareQuery, names: list[str] | None = None
) -> tuple[list[SoftwareRecord], dict[str, str]]:
    """Search every enabled catalogue (or ``names``); a failing one is reported, not fatal.

    Any exception of one catalogue, whatever its type, becomes that
    catalogue's entry in the errors; the other catalogues' hits are kept.
    """
    found: list[SoftwareRecord] = []
    errors: dict[str, str] = {}
    for entry in entries:
        if names is not None and entry["name"] not in names:
            continue
        if names is None and entry.get("enabled") is False:
            continue
        name = str(entry["name"])
        try:
            records = contained(name, functools.partial(_search_one, entry, query))
            found.extend(r for r in records if isinstance(r, SoftwareRecord))
        except EsapError as exc:  # a CatalogueError, or a failure named by its kind
            errors[name] = exc.message
        except LookupError as exc:
            errors[name] = str(exc)
    return found, errors


def search(
    text: str | None = None,
    *,
    language: str | None = None,
    licence: str | None = None,
    runtime: str | None = None,
    catalogues: list[str] | None = None,
    limit: int = 50,
    config: str | Path | dict[str, Any] | None = None,
) -> Table:
    """Software matching every criterion, across catalogues, as an astropy Table.

    The catalogues are chosen and asked as the Software panel asks them
    (``esap.software.searches.find``); a failing one is printed, the
    others' hits kept.
    """
    from astropy.table import Table

    from esap.software.searches import find

    found = find(
        offered(config), SoftwareQuery(text, language, licence, runtime, limit), catalogues
    )
    for name, message in found.errors.items():
        print(f"{name}: {message}")
    records = [record for _, record in found.hits]
    names = ["catalogue", "identifier", "name", "version", "licence", "languages", "repository"]
    rows = [
        [
            r.catalogue,
            r.identifier,
            r.name,
            r.version or "",
            r.licence or "",
            ", ".join(r.languages),
            r.repository or "",
        ]
        for r in records
    ]
    return Table(rows=rows or None, names=names, dtype=[str] * len(names))


def get(
    catalogue_name: str, identifier: str, config: str | Path | dict[str, Any] | None = None
) -> SoftwareRecord:
    """One record's details (codemeta) from a catalogue."""
    for entry in offered(config):
        if entry["name"] == catalogue_name:
            return record(entry, identifier)
    raise UnknownCatalogue(catalogue_name)


def record(entry: dict[str, Any], identifier: str) -> SoftwareRecord:
    """One record of one catalogue: :class:`RecordNotFound` if none, an ESAP error if failed.

    An adapter says "none" with any ``LookupError`` (``KeyError`` included).
    """
    name = str(entry["name"])
    try:
        found = contained(name, lambda: catalogue(entry).get(identifier))
    except LookupError:
        raise RecordNotFound(name, identifier) from None
    if not isinstance(found, SoftwareRecord):
        raise CatalogueError(f"{name}: get() answered {type(found).__name__}, not a SoftwareRecord")
    return found


class BinderOptions(AdapterOptions):
    """The options of a catalogue whose records get a "Launch on BinderHub" link.

    A catalogue adapter that offers the link declares its options as a
    subclass of this one; :func:`binder_url` reads them from the catalogue's
    entry of the public config, where the REST face finds them.
    """

    binderhub_url: HttpUrl | None = Field(
        default=None,
        description="A BinderHub (e.g. https://mybinder.org) that records with a git "
        "repository or a DOI get a launch link to; without it, no link is offered.",
        examples=["https://mybinder.org"],
    )
    binderhub_urlpath: str = Field(
        default="lab",
        min_length=1,
        description="What the launched Binder opens (BinderHub's urlpath), e.g. lab, "
        "lab/tree/README.md or voila/render/app.ipynb.",
    )


def binder_url(entry: dict[str, Any], record: SoftwareRecord, urlpath: str = "lab") -> str | None:
    """The BinderHub launch link of a record, when its catalogue names a BinderHub.

    Configured per catalogue in ``esap.yaml`` as
    ``software_catalogues[].options.binderhub_url`` (and optionally
    ``options.binderhub_urlpath``, default ``urlpath``); ``None`` without one,
    or when the record has nothing BinderHub can build. ``entry`` is the
    catalogue's entry of the public config (its options already validated).
    """
    from esap.software.binder import BinderError, launch_url

    options = entry.get("options") or {}
    hub = options.get("binderhub_url")
    if not hub:
        return None
    try:
        return launch_url(str(hub), record, str(options.get("binderhub_urlpath") or urlpath))
    except BinderError:
        return None


__all__ = [
    "BinderOptions",
    "CatalogueEntry",
    "CatalogueError",
    "RecordNotFound",
    "SoftwareCatalogue",
    "SoftwareQuery",
    "SoftwareRecord",
    "UnknownCatalogue",
    "binder_url",
    "catalogue",
    "contained",
    "get",
    "offered",
    "record",
    "search",
    "search_all",
]
