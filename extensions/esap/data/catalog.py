"""The services a user can search: the admin's list from the hub plus their own.

The hub hands every user server the public part of ``esap.yaml`` in
``$ESAP_PUBLIC_CONFIG`` (kernels started by that server inherit it); outside a
hub, ``$ESAP_CONFIG`` or an explicit path names an ``esap.yaml``; the one
reader, ``esap.core.public_config``, reads them and a catalog is built from
what it returns. The user's own services (added from the registry search)
live in ``~/.esap`` and are listed after the admin's; an admin's name cannot
be taken.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from esap import plugins
from esap.config.options import unusable
from esap.data.base import DataService, ServiceEntry
from esap.data.store import UserStore


class BrokenAdapter(DataService):
    """Stands for a service whose adapter cannot be loaded or built: every search says why."""

    def __init__(self, entry: ServiceEntry, reason: str) -> None:
        super().__init__(entry)  # its options are a free mapping: nothing to refuse
        self.reason = reason

    @property
    def capabilities(self) -> tuple[str, ...]:
        """None: the adapter is not there to do anything."""
        return ()

    def describe(self) -> dict[str, Any]:
        """As the base says, plus the reason, so the lab shows it beside the service."""
        return {**super().describe(), "error": self.reason}

    def search(self, query: Any) -> Any:
        """Fail with the reason the adapter could not be loaded."""
        raise RuntimeError(self.reason)


class Catalog:
    """Admin and user services, and their adapters."""

    def __init__(self, config: Mapping[str, Any], store: UserStore | None = None) -> None:
        self.config = config
        self.store = store

    def entries(self) -> list[ServiceEntry]:
        """Every service: the admin's first, then the user's own."""
        admin = [ServiceEntry.from_public(e) for e in self.config.get("data_services", [])]
        taken = {e.name for e in admin}
        own = [
            ServiceEntry.from_public(e, source="user")
            for e in (self.store.services() if self.store else [])
            if e["name"] not in taken
        ]
        return admin + own

    def names(self) -> list[str]:
        """Every service name."""
        return [e.name for e in self.entries()]

    def entry(self, name: str) -> ServiceEntry:
        """One service's entry; ``KeyError`` if unknown."""
        for entry in self.entries():
            if entry.name == name:
                return entry
        raise KeyError(name)

    def adapter(self, entry: ServiceEntry | str) -> DataService:
        """The adapter object for a service (a :class:`BrokenAdapter` if it cannot load)."""
        if isinstance(entry, str):
            entry = self.entry(entry)
        if entry.error:
            return BrokenAdapter(entry, entry.error)
        try:
            klass = plugins.load(plugins.DATA_SERVICES, entry.type)
        except (plugins.AdapterNotFoundError, plugins.AdapterImportError) as exc:
            return BrokenAdapter(entry, str(exc))
        try:
            adapter = klass(entry)
        except Exception as exc:  # a broken adapter is its own service's error, not ours
            return BrokenAdapter(entry, unusable(entry.type, exc))
        if not isinstance(adapter, DataService):
            return BrokenAdapter(
                entry, f"the adapter {entry.type!r} is not a DataService ({type(adapter).__name__})"
            )
        return adapter

    def adapters(self, names: list[str] | None = None) -> list[DataService]:
        """Adapters of ``names`` (in that order), or of every enabled service."""
        if names is None:
            return [self.adapter(e) for e in self.entries() if e.enabled]
        by_name = {e.name: e for e in self.entries()}
        return [self.adapter(by_name[n]) for n in names]

    def describe(self) -> list[dict[str, Any]]:
        """Every service as ``GET data/services`` lists it (a failing ``describe`` shows broken)."""
        return [self._describe(e) for e in self.entries()]

    def _describe(self, entry: ServiceEntry) -> dict[str, Any]:
        adapter = self.adapter(entry)
        try:
            described = adapter.describe()
            json.dumps(described)
        except Exception as exc:  # a third-party describe() or query_schema that cannot be sent
            reason = f"the {entry.type} adapter cannot describe itself: {type(exc).__name__}: {exc}"
            return BrokenAdapter(entry, reason).describe()
        return described

    def resolver_section(self) -> Mapping[str, Any] | None:
        """The config's ``resolver`` section (None: the default, Sesame)."""
        section = self.config.get("resolver")
        return section if isinstance(section, Mapping) else None


__all__ = ["BrokenAdapter", "Catalog"]
