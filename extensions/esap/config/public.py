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
from esap.config.models import EsapConfig

#: Data service options a user server needs to query the service (table and
#: column names); every other option stays on the hub.
PUBLIC_DATA_OPTIONS = frozenset({"table", "ra_column", "dec_column", "text_columns"})

#: Software catalogue options the user server's adapters read; anything else
#: an admin writes under ``options`` (a key, a token reference) stays private.
PUBLIC_SOFTWARE_OPTIONS = frozenset(
    {"community", "timeout", "urls", "binderhub_url", "binderhub_urlpath"}
)


def _url(value: object | None) -> str | None:
    return None if value is None else str(value)


def public(config: EsapConfig) -> dict[str, Any]:
    """The JSON-serialisable, secret-free view of ``config`` for user servers and the lab."""
    return {
        "title": config.hub.title,
        "version": __version__,
        "data_services": [
            {
                "name": entry.name,
                "title": entry.title or entry.name,
                "type": entry.type,
                "description": entry.description,
                "enabled": entry.enabled,
                "url": _url(entry.url),
                "timeout": entry.timeout,
                "query_defaults": {
                    key: value
                    for key, value in entry.options.items()
                    if key in PUBLIC_DATA_OPTIONS
                },
            }
            for entry in config.data_services
        ],
        "software_catalogues": [
            {
                "name": entry.name,
                "title": entry.title or entry.name,
                "type": entry.type,
                "description": entry.description,
                "enabled": entry.enabled,
                "url": _url(entry.url),
                "path": None if entry.path is None else str(entry.path),
                "options": {
                    key: value
                    for key, value in entry.options.items()
                    if key in PUBLIC_SOFTWARE_OPTIONS
                },
            }
            for entry in config.software_catalogues
        ],
        "archives": [
            {
                "name": entry.name,
                "title": entry.title or entry.name,
                "type": entry.type,
                "description": entry.description,
                "url": _url(entry.url),
                # where a local archive writes (a mounted volume on Kubernetes)
                "path": None if entry.path is None else str(entry.path),
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
    }


__all__ = ["public"]
