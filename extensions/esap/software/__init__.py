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

from pathlib import Path
from typing import TYPE_CHECKING, Any

from esap.software.base import (
    CatalogueError,
    SoftwareCatalogue,
    SoftwareQuery,
    SoftwareRecord,
)

if TYPE_CHECKING:
    from astropy.table import Table


def offered(config: str | Path | dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The catalogue entries of the hub's public config (or of an esap.yaml)."""
    if isinstance(config, dict):
        public = config
    elif config is not None:
        from esap.config import load
        from esap.config import public as make_public

        public = make_public(load(config))
    else:
        from esap.server.config_handlers import public_config

        public = public_config()
    return [dict(entry) for entry in public.get("software_catalogues") or []]


def catalogue(entry: dict[str, Any], base: Path | None = None) -> SoftwareCatalogue:
    """The adapter of one catalogue entry (chosen by ``type``)."""
    from esap import plugins

    klass = plugins.load(plugins.SOFTWARE_CATALOGUES, str(entry["type"]))
    adapter = klass(entry, base)
    assert isinstance(adapter, SoftwareCatalogue)
    return adapter


def search_all(
    entries: list[dict[str, Any]], query: SoftwareQuery, names: list[str] | None = None
) -> tuple[list[SoftwareRecord], dict[str, str]]:
    """Search every enabled catalogue (or ``names``); a failing one is reported, not fatal."""
    found: list[SoftwareRecord] = []
    errors: dict[str, str] = {}
    for entry in entries:
        if names is not None and entry["name"] not in names:
            continue
        if names is None and entry.get("enabled") is False:
            continue
        try:
            found.extend(catalogue(entry).search(query))
        except (CatalogueError, LookupError, ImportError) as exc:
            errors[str(entry["name"])] = str(exc)
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
    """Software matching every criterion, across catalogues, as an astropy Table."""
    from astropy.table import Table

    records, errors = search_all(
        offered(config), SoftwareQuery(text, language, licence, runtime, limit), catalogues
    )
    for name, message in errors.items():
        print(f"{name}: {message}")
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
            return catalogue(entry).get(identifier)
    raise LookupError(f"no software catalogue {catalogue_name!r}")


def binder_url(entry: dict[str, Any], record: SoftwareRecord, urlpath: str = "lab") -> str | None:
    """The BinderHub launch link of a record, when its catalogue names a BinderHub.

    Configured per catalogue in ``esap.yaml`` as
    ``software_catalogues[].options.binderhub_url`` (and optionally
    ``options.binderhub_urlpath``, default ``lab``); ``None`` without one, or
    when the record has nothing BinderHub can build.
    """
    from esap.software.binder import BinderError, launch_url

    options = entry.get("options") or {}
    hub = options.get("binderhub_url")
    if not hub:
        return None
    try:
        return launch_url(str(hub), record, str(options.get("binderhub_urlpath", urlpath)))
    except BinderError:
        return None


__all__ = [
    "CatalogueError",
    "SoftwareCatalogue",
    "SoftwareQuery",
    "SoftwareRecord",
    "binder_url",
    "catalogue",
    "get",
    "offered",
    "search",
    "search_all",
]
