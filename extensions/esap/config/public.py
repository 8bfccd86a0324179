"""The public part of a config: what the hub hands every user server.

A user server runs the user's own code, so whatever it is given the user can
read. It therefore gets an explicit allow-list of fields, built here field by
field, never a dump of the models minus a deny-list: a setting added later
(a token, an ``options`` mapping holding a key) stays private unless someone
adds it here on purpose.
"""

from __future__ import annotations

from typing import Any

from esap import __version__
from esap.config.models import (
    ArchiveEntry,
    DataServiceEntry,
    EsapConfig,
    SoftwareCatalogueEntry,
)

#: Data service options a user server needs to query the service (table and
#: column names, Zooniverse's page size); every other option stays on the hub.
PUBLIC_DATA_OPTIONS = frozenset(
    {"table", "ra_column", "dec_column", "text_columns", "page_size"}
    # rucio: which token, default scope, the RSE for rules and where the lab mounts it
    | {"audience", "scope", "account", "vo", "auth_url", "rse", "mount", "rule_lifetime"}
)

#: Software catalogue options the user server's adapters read; anything else
#: an admin writes under ``options`` (a key, a token reference) stays private.
PUBLIC_SOFTWARE_OPTIONS = frozenset(
    {"community", "timeout", "urls", "binderhub_url", "binderhub_urlpath"}
)


def _text(value: object | None) -> str | None:
    """A URL or path as JSON text (``None`` stays ``None``)."""
    return None if value is None else str(value)


def _allowed(options: dict[str, Any], keys: frozenset[str]) -> dict[str, Any]:
    """The adapter options named in ``keys``; the rest stays on the hub."""
    return {key: value for key, value in options.items() if key in keys}


def _adapter(entry: DataServiceEntry | SoftwareCatalogueEntry | ArchiveEntry) -> dict[str, Any]:
    """The fields every adapter entry shows: its name, title, type, description, URL."""
    return {
        "name": entry.name,
        "title": entry.title or entry.name,
        "type": entry.type,
        "description": entry.description,
        "url": _text(entry.url),
    }


def public(config: EsapConfig) -> dict[str, Any]:
    """The JSON-serialisable, secret-free view of ``config`` for user servers and the lab."""
    return {
        "title": config.hub.title,
        "version": __version__,
        "data_services": [
            {
                **_adapter(entry),
                "enabled": entry.enabled,
                "timeout": entry.timeout,
                "query_defaults": _allowed(entry.options, PUBLIC_DATA_OPTIONS),
            }
            for entry in config.data_services
        ],
        "software_catalogues": [
            {
                **_adapter(entry),
                "enabled": entry.enabled,
                "path": _text(entry.path),
                "options": _allowed(entry.options, PUBLIC_SOFTWARE_OPTIONS),
            }
            for entry in config.software_catalogues
        ],
        "archives": [
            {
                **_adapter(entry),
                # where a local archive writes (a mounted volume on Kubernetes)
                "path": _text(entry.path),
                "community": entry.community,
            }
            for entry in config.archives
        ],
        "profiles": [
            {
                "name": profile.name,
                "display_name": profile.display_name or profile.name,
                "description": profile.description,
                "default": profile.default,
            }
            for profile in config.profiles
        ],
        "dask": {"enabled": config.dask.enabled},
        "resolver": config.resolver.model_dump(mode="json"),
        "sky_view": config.sky_view.model_dump(mode="json"),
    }


__all__ = ["public"]
