"""Which archives this server, kernel or command may publish to.

A user server and its kernels get the hub's public config in
``$ESAP_PUBLIC_CONFIG`` (no secrets: archive name, type, URL, path,
community); a command run by hand can point ``$ESAP_CONFIG`` (or
``--config``) at an ``esap.yaml`` (both read by
``esap.core.public_config``). With neither, the embedded default — a local
archive in ``~/.esap/archive`` — is offered, so publishing works on a bare
lab too; a config that is there but broken is an error, never the default.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from esap.core.errors import NotFound
from esap.core.public_config import NotConfigured, public_config
from esap.publish.base import ArchiveSettings

DEFAULT_ARCHIVE = ArchiveSettings(
    name="local", type="local", title="Local archive", path=str(Path("~/.esap/archive"))
)


class ArchiveNotFoundError(NotFound):
    """No archive of that name is configured."""

    code = "unknown_archive"


def _from_public(public: dict[str, Any]) -> list[ArchiveSettings]:
    found = []
    for entry in public.get("archives") or []:
        if not isinstance(entry, dict) or "name" not in entry or "type" not in entry:
            continue
        found.append(
            ArchiveSettings(
                name=str(entry["name"]),
                type=str(entry["type"]),
                title=str(entry.get("title") or entry["name"]),
                url=entry.get("url"),
                path=entry.get("path"),
                community=entry.get("community"),
                options=dict(entry.get("options") or {}),
                error=str(entry["error"]) if entry.get("error") else None,
            )
        )
    return found


def configured_archives(config_path: str | None = None) -> list[ArchiveSettings]:
    """The archives offered here, first one the default."""
    try:
        archives = _from_public(public_config(config_path))
    except NotConfigured:
        archives = []
    return archives or [DEFAULT_ARCHIVE]


def find_archive(archives: list[ArchiveSettings], name: str | None) -> ArchiveSettings:
    """The archive called ``name`` (the first one when ``None``)."""
    if name is None:
        return archives[0]
    for archive in archives:
        if archive.name == name:
            return archive
    known = ", ".join(archive.name for archive in archives)
    raise ArchiveNotFoundError(
        f"no archive named {name!r} here", f"choose one of: {known}", field="archive"
    )


__all__ = [
    "DEFAULT_ARCHIVE",
    "ArchiveNotFoundError",
    "configured_archives",
    "find_archive",
]
