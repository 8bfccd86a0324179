"""Name resolution: a target name becomes ICRS coordinates, through a pluggable resolver.

The default asks CDS Sesame through astropy (``SkyCoord.from_name``). An admin
picks another in ``esap.yaml``::

    resolver:
      type: table                 # names from the config, no network (tests, offline hubs)
      targets: {M31: [10.6847, 41.2690]}

or ``type: package.module:Class`` for their own (a class taking the
``resolver`` section as keyword arguments, with a ``resolve(name)`` method).
Offline, Sesame fails with a message that says so; it never hangs past its
``timeout``.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from esap.core.errors import NotFound
from esap.core.failures import classify


class ResolveError(NotFound):
    """The name could not be resolved; the message says why."""

    code = "not_resolved"
    fix = "check the spelling, or give ra and dec instead"


@dataclass(frozen=True)
class Position:
    """A resolved target."""

    target: str
    ra: float
    dec: float
    resolver: str

    def as_dict(self) -> dict[str, Any]:
        """The REST API's shape."""
        return {"target": self.target, "ra": self.ra, "dec": self.dec, "resolver": self.resolver}


class Resolver(Protocol):
    """What a resolver does."""

    def resolve(self, name: str) -> Position:
        """ICRS degrees for ``name``, or :class:`ResolveError`."""
        ...


class SesameResolver:
    """CDS Sesame (SIMBAD, NED, VizieR) through ``astropy.coordinates.SkyCoord.from_name``."""

    name = "sesame"

    def __init__(self, timeout: float = 10.0, **_: Any) -> None:
        self.timeout = timeout

    def resolve(self, name: str) -> Position:
        """Ask Sesame; offline or unknown names raise :class:`ResolveError`."""
        from astropy.coordinates import SkyCoord
        from astropy.coordinates.name_resolve import NameResolveError
        from astropy.utils.data import conf

        try:
            with conf.set_temp("remote_timeout", self.timeout):
                coord = SkyCoord.from_name(name)
        except NameResolveError as exc:
            raise ResolveError(f"Sesame could not resolve {name!r}: {exc}") from None
        except OSError as exc:  # no network, DNS failure, timeout: no spelling to check
            why = classify(exc, service="Sesame", timeout=self.timeout)
            raise ResolveError(
                f"Sesame cannot be reached to resolve {name!r}: {why.message}",
                "give ra and dec instead; if this hub should reach Sesame, ask its admin",
            ) from None
        icrs = coord.icrs
        return Position(name, float(icrs.ra.deg), float(icrs.dec.deg), self.name)


class TableResolver:
    """Names from a table in the config (case- and space-insensitive); no network."""

    name = "table"

    def __init__(self, targets: Mapping[str, Any] | None = None, **_: Any) -> None:
        self.targets = {_key(k): (float(v[0]), float(v[1])) for k, v in (targets or {}).items()}

    def resolve(self, name: str) -> Position:
        """Look ``name`` up in the table."""
        found = self.targets.get(_key(name))
        if found is None:
            known = ", ".join(sorted(self.targets)) or "none"
            raise ResolveError(f"{name!r} is not in this hub's target table (known: {known})")
        return Position(name, found[0], found[1], self.name)


def _key(name: str) -> str:
    return "".join(name.split()).lower()


BUILTIN: dict[str, type] = {"sesame": SesameResolver, "table": TableResolver}


def make_resolver(section: Mapping[str, Any] | None) -> Resolver:
    """The resolver the config's ``resolver`` section asks for (Sesame by default)."""
    settings = dict(section or {})
    kind = str(settings.pop("type", "sesame"))
    if kind in BUILTIN:
        klass = BUILTIN[kind]
    else:
        module_name, _, attr = kind.partition(":")
        try:
            klass = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError, ValueError) as exc:
            raise ResolveError(
                f"resolver.type {kind!r}: cannot load it ({exc})",
                "ask the hub admin to set resolver.type to sesame, table or package.module:Class",
            ) from None
    resolver: Resolver = klass(**settings)
    return resolver


def resolve(name: str, section: Mapping[str, Any] | None = None) -> Position:
    """Resolve ``name`` with the configured resolver."""
    if not name or not name.strip():
        raise ResolveError("the target name is empty")
    return make_resolver(section).resolve(name.strip())


__all__ = [
    "BUILTIN",
    "Position",
    "ResolveError",
    "Resolver",
    "SesameResolver",
    "TableResolver",
    "make_resolver",
    "resolve",
]
