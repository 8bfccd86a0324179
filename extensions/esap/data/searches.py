"""A federated search, from request to history: checked, resolved, run, recorded once.

Every face runs a search the same way: :func:`prepare` checks the request
and resolves its target, then one engine call runs it and records it in the
user's history exactly once, however it ends (finished, failed, or its
reader gone): :func:`run` for a notebook and the command line (blocking,
each event handed to ``on_event``), :func:`stream` for the REST API's NDJSON
answer (an async iterator of the same events). A request with ``all_vo``
instead of ``services`` searches every service the registry lists
(:mod:`esap.data.allvo`), through the same federation.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass
from typing import Any, cast

from esap.data.allvo import AllVoSearch, parse_all_vo
from esap.data.catalog import Catalog
from esap.data.failures import error_text
from esap.data.federation import Federation
from esap.data.found import SearchResult
from esap.data.request import BadField, check_shape, parse_params, parse_query, parse_services
from esap.data.resolver import Position, ResolveError, resolve
from esap.data.results import ResultStore
from esap.data.store import UserStore


@dataclass
class PreparedSearch:
    """A checked search, ready to run."""

    federation: Federation
    resolved: Position | None
    request: dict[str, Any]
    #: Where the search is recorded when it ends (the catalog's user store), if anywhere.
    history: UserStore | None = None
    #: The all-VO part of the search, when it is one.
    all_vo: AllVoSearch | None = None

    def extra_events(self) -> list[dict[str, Any]]:
        """The ``resolved`` event, when a target was resolved (and an all-VO search's own)."""
        events = [] if self.resolved is None else [{"event": "resolved", **self.resolved.as_dict()}]
        return events + (self.all_vo.extra_events() if self.all_vo else [])

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
    all_vo = None
    if request.get("all_vo") is not None:
        all_vo = parse_all_vo(request["all_vo"])
        for key in ("services", "params"):
            if request.get(key) is not None:
                raise BadField(
                    key, request[key], "not with all_vo",
                    f"leave {key} out: an all-VO search asks every service the registry lists",
                )  # fmt: skip
        adapters: list[Any] = []
        params: dict[str, dict[str, Any]] = {}
    else:
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
    # the registry is asked (or its kept answer read) once the rest of the request is good
    vo = AllVoSearch.prepare(catalog, all_vo, store) if all_vo is not None else None
    if vo is not None:
        adapters, query = vo.adapters(catalog), vo.query(query)
    federation = Federation(adapters, query, store=store, params=params, keep_tables=keep_tables)
    if vo is not None:
        vo.attach(federation)
    normalised = {key: request[key] for key in request if request[key] is not None}
    return PreparedSearch(federation, resolved, normalised, catalog.store, vo)


#: What the federation's ``events`` and ``aevents`` are (annotated there as iterators).
Events = Generator[dict[str, Any], None, None]
AsyncEvents = AsyncGenerator[dict[str, Any], None]


def _record(prepared: PreparedSearch) -> None:
    """Put the search in the user's history (once, whatever the services answered)."""
    if prepared.history is not None:
        prepared.history.add_history(prepared.request, prepared.summary())


def _found(prepared: PreparedSearch, elapsed: float) -> SearchResult:
    """What the services answered: their tables (when kept) and their errors as one line each."""
    result = SearchResult(
        resolved=prepared.resolved.as_dict() if prepared.resolved else None, elapsed=elapsed
    )
    for name, outcome in prepared.federation.outcomes.items():
        if outcome.event["event"] == "error":
            result.errors[name] = error_text(outcome.event)
        elif outcome.table is not None:
            result.tables[name] = outcome.table
    return prepared.all_vo.result(result) if prepared.all_vo else result


def run(
    prepared: PreparedSearch, on_event: Callable[[dict[str, Any]], None] | None = None
) -> SearchResult:
    """Run the search to its end, handing each event to ``on_event``; what it found.

    The search is in the history once it ends, also when ``on_event`` raises
    (an interrupted shell): what had answered by then is recorded.
    """
    began = time.monotonic()
    try:
        # the federation's events are a generator: closed here, its worker threads let go
        events = cast(Events, prepared.federation.events(prepared.extra_events()))
        with contextlib.closing(events):
            for event in events:
                if on_event is not None:
                    on_event(event)
    finally:
        _record(prepared)
    return _found(prepared, time.monotonic() - began)


async def stream(prepared: PreparedSearch) -> AsyncGenerator[dict[str, Any], None]:
    """The search's events as they happen, for an event loop; recorded once when it ends.

    It ends when the last event is read, when its reader closes it (a client
    that went away: use ``contextlib.aclosing``) or on an error; the history
    is written then, on a worker thread.
    """
    try:
        events = cast(AsyncEvents, prepared.federation.aevents(prepared.extra_events()))
        async with contextlib.aclosing(events):
            async for event in events:
                yield event
    finally:
        await asyncio.to_thread(_record, prepared)


def search_request(**fields: Any) -> dict[str, Any]:
    """A SearchRequest mapping from keyword arguments, dropping the unset ones."""
    return {key: value for key, value in fields.items() if value is not None}


__all__ = ["PreparedSearch", "SearchResult", "prepare", "run", "search_request", "stream"]
