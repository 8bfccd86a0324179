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
import re
from collections.abc import Mapping
from typing import Any

from esap import plugins
from esap.config.models import NAME_PATTERN
from esap.config.options import unusable
from esap.core.errors import Conflict, EsapError, FieldError, NotFound
from esap.data.base import DataService, ServiceEntry
from esap.data.store import UserStore

#: What a user's own service may be at most: its URL, its title and description.
MAX_URL, MAX_TEXT = 2000, 500
_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$")


class UnknownService(NotFound, KeyError):
    """No service of that name (a ``KeyError`` too, as a lookup by name has always raised)."""

    def __init__(self, name: str, known: list[str]) -> None:
        shown = ", ".join(known[:20]) + (", ..." if len(known) > 20 else "")
        super().__init__(f"no service named {name!r}", f"name one of: {shown or '(none)'}")
        self.name = name


class ServiceExists(Conflict):
    """A service of that name is offered already (the admin's, or the user's own)."""

    code = "exists"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"{name!r}: a service of that name exists",
            "choose another name, or remove your own service of that name first",
            field="name",
        )


class AdminService(EsapError):
    """The service is the hub admin's: a user cannot remove it."""

    status = 403
    code = "admin_service"

    def __init__(self, name: str) -> None:
        super().__init__(
            f"{name!r} is offered by the hub admin and cannot be removed",
            "disable it in the search instead, or ask the hub admin",
        )


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
        """One service's entry; :class:`UnknownService` (a ``KeyError``) if unknown."""
        entries = self.entries()
        for entry in entries:
            if entry.name == name:
                return entry
        raise UnknownService(name, [e.name for e in entries])

    def add_own(
        self,
        name: str,
        type_: str,
        url: str,
        title: str | None = None,
        description: str | None = None,
    ) -> dict[str, Any]:
        """Add one of the user's own services (kept in ``~/.esap``); as :meth:`describe` lists it.

        The name follows the rule of ``esap.yaml``'s names and may not be
        taken (the admin's names come first); the type is an installed data
        service adapter; the URL is http(s). Each refusal names its field.
        """
        if not re.match(NAME_PATTERN, name):
            raise FieldError(
                "name",
                f"{name!r}: not a valid service name",
                "use lower-case letters, digits, - and _, starting with a letter or digit",
            )
        types = plugins.names(plugins.DATA_SERVICES)
        if type_ not in types:
            raise FieldError("type", f"{type_!r}: unknown", f"use one of {', '.join(types)}")
        if not _URL.match(url) or len(url) > MAX_URL:
            raise FieldError(
                "url",
                f"{url[:80]!r}: not an http(s) URL",
                "give the service's base URL, e.g. https://example.org/tap",
            )
        for key, text in (("title", title), ("description", description)):
            if text is not None and len(text) > MAX_TEXT:
                raise FieldError(key, f"longer than {MAX_TEXT} characters", f"shorten {key}")
        if self.store is None:
            raise EsapError("this catalog keeps no services of the user's own")
        if name in self.names():
            raise ServiceExists(name)
        try:
            self.store.add_service(name, type_, url, title or name, description or "")
        except KeyError:
            raise ServiceExists(name) from None
        return self._describe(self.entry(name))

    def remove_own(self, name: str) -> None:
        """Remove one of the user's own services; an admin's is :class:`AdminService`."""
        if self.entry(name).source != "user":
            raise AdminService(name)
        if self.store is not None:
            self.store.remove_service(name)

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


__all__ = ["AdminService", "BrokenAdapter", "Catalog", "ServiceExists", "UnknownService"]
