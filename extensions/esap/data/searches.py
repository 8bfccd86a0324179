"""A search from request to federation: checked, target resolved, ready to run.

The REST handler, the notebook API and the command line each call
:func:`prepare` and then iterate the federation's events their own way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from esap.data.catalog import Catalog
from esap.data.federation import Federation
from esap.data.request import BadField, check_shape, parse_params, parse_query, parse_services
from esap.data.resolver import Position, ResolveError, resolve
from esap.data.results import ResultStore


@dataclass
class PreparedSearch:
    """A checked search, ready to run."""

    federation: Federation
    resolved: Position | None
    request: dict[str, Any]

    def extra_events(self) -> list[dict[str, Any]]:
        """The ``resolved`` event, when a target was resolved."""
        if self.resolved is None:
            return []
        return [{"event": "resolved", **self.resolved.as_dict()}]

    def summary(self) -> dict[str, Any]:
        """service -> rows found, or "error" (what the history keeps)."""
        return {
            name: outcome.event["total"] if outcome.event["event"] == "rows" else "error"
            for name, outcome in self.federation.outcomes.items()
        }


def prepare(
    catalog: Catalog,
    request: Any,
    *,
    store: ResultStore | None = None,
    keep_tables: bool = False,
) -> PreparedSearch:
    """Check ``request`` (a SearchRequest mapping), resolve its target, build the federation.

    Raises :class:`BadField` naming the first wrong field (a target that
    cannot be resolved is a bad ``target``).
    """
    request = check_shape(request)
    known = catalog.names()
    names = parse_services(request.get("services"), known)
    adapters = catalog.adapters(names)
    if not adapters:
        raise BadField(
            "services", None, "no enabled service", "name the services to search explicitly"
        )
    schemas = {a.name: a.query_schema for a in catalog.adapters(known)}
    params = parse_params(request.get("params"), schemas)
    resolved = None
    target = request.get("target")
    if target is not None and target != "":
        if not isinstance(target, str):
            raise BadField(
                "target", target, "not a name", "give the target's name as text, e.g. M31"
            )
        try:
            resolved = resolve(target, catalog.resolver_section())
        except ResolveError as exc:
            raise BadField("target", target, exc.message, exc.fix) from None
    query = parse_query(request, position=(resolved.ra, resolved.dec) if resolved else None)
    federation = Federation(adapters, query, store=store, params=params, keep_tables=keep_tables)
    normalised = {key: request[key] for key in request if request[key] is not None}
    return PreparedSearch(federation, resolved, normalised)


def search_request(**fields: Any) -> dict[str, Any]:
    """A SearchRequest mapping from keyword arguments, dropping the unset ones."""
    return {key: value for key, value in fields.items() if value is not None}


__all__ = ["PreparedSearch", "prepare", "search_request"]
