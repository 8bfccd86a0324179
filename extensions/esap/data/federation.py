"""Federated search: every service at once, each with its own timeout, events as they finish.

Services run on worker threads (pyvo is synchronous); the caller iterates
events — ``started``, one ``rows`` or ``error`` per service in the order they
finish, ``done`` — either synchronously (:meth:`Federation.events`, for
notebooks and the command line) or from an event loop
(:meth:`Federation.aevents`, for the REST API's NDJSON stream). A service that
hangs past its timeout yields a ``timed_out`` error event and nothing else
waits for it; one that fails yields an ``error`` event naming how it failed
(:mod:`esap.data.failures`); the others' rows are unaffected.

At most ``concurrency`` services are asked at once (the rest wait their
turn, in the order given), and each service's timeout runs from when its
own request starts, so one waiting behind others is not cut short. A
service whose answer has more rows than the query's ``maxrec`` (one that
ignores MAXREC) is cut there and marked truncated, like one that says it
overflowed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from esap import metrics
from esap.data.base import DataService, Query, request_timeout
from esap.data.failures import error_event
from esap.data.results import CHUNK, PAGE, ResultStore, columns_of, table_rows

if TYPE_CHECKING:
    from astropy.table import Table

#: Worker threads at most (a federation of more services queues the rest).
MAX_WORKERS = 32


def _check_table(service: DataService, table: object) -> None:
    """An adapter's ``search`` must answer an astropy Table; say so plainly when it did not."""
    from astropy.table import Table

    if not isinstance(table, Table):
        raise TypeError(
            f"the {service.entry.type} adapter's search() returned {type(table).__name__}, "
            "not an astropy Table"
        )


@dataclass
class Outcome:
    """What one service produced: a stored table or an error."""

    service: str
    event: dict[str, Any]
    table: Table | None = None


@dataclass
class Federation:
    """One federated search over ``services`` (adapters) with a checked ``query``.

    ``store`` keeps each answer for paging (``None``: answers stay in memory
    as ``Outcome.table``, the notebook API's choice when no cache is wanted).
    """

    services: list[DataService]
    query: Query
    store: ResultStore | None = None
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    page_size: int = PAGE
    keep_tables: bool = False
    search_id: str = field(default_factory=lambda: secrets.token_hex(8))
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    #: Services asked at once at most (the others queue, in the order of ``services``).
    concurrency: int = MAX_WORKERS
    #: Called on the worker thread with each answer (service, table, its columns); what it
    #: returns joins that service's ``rows`` event (the all-VO search's combined result).
    on_table: Callable[[str, Table, list[dict[str, Any]]], dict[str, Any]] | None = None
    #: Events sent after the last service's and before ``done`` (the all-VO summary).
    closing: Callable[[], list[dict[str, Any]]] | None = None
    #: When each service's request started, and how long it took (seconds, monotonic).
    started_at: dict[str, float] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)
    #: Services given up on: an answer arriving after that is dropped, not stored.
    timed_out: set[str] = field(default_factory=set)

    def _run_one(self, service: DataService, began: float) -> Outcome:
        """Query one service on a worker thread; never raises."""
        query = self.query
        own = self.params.get(service.name)
        if own:
            query = Query(**{**query.__dict__, "params": dict(own)})
        self.started_at[service.name] = time.monotonic()
        try:
            with request_timeout(service.entry.timeout):
                table = service.search(query)
            _check_table(service, table)
            if query.maxrec is not None and len(table) > query.maxrec:
                # the service ignored MAXREC: keep what was asked for, and say it was cut
                meta = dict(table.meta)
                table = table[: query.maxrec]
                table.meta.update(meta, esap_truncated=True)
            columns = columns_of(table, service.roles(table))
            # a small answer is converted to JSON cells once, for the event and the store
            rows = table_rows(table) if self.store is not None and len(table) <= CHUNK else None
            event: dict[str, Any] = {
                "event": "rows",
                "service": service.name,
                "result_id": None,
                "columns": columns,
                "rows": rows[: self.page_size]
                if rows is not None
                else table_rows(table, 0, self.page_size),
                "total": len(table),
                "truncated": bool(table.meta.get("esap_truncated", False)),
            }
            if self.store is not None:
                stored = self.store.put(service.name, table, columns, background=True, rows=rows)
                event["result_id"] = stored.id
            if self.on_table is not None and service.name not in self.timed_out:
                event.update(self.on_table(service.name, table, columns))
            event["elapsed_ms"] = round((time.monotonic() - began) * 1000, 1)
            return Outcome(service.name, event, table if self.keep_tables else None)
        except Exception as exc:
            return self._error(service, exc, began)
        finally:
            # a service timed out has its duration already: the time-out
            self.durations.setdefault(
                service.name, time.monotonic() - self.started_at[service.name]
            )

    def _error(self, service: DataService, exc: BaseException, began: float) -> Outcome:
        """The ``error`` event of ``service``: its failure classified (code, message, fix)."""
        entry = service.entry
        event = error_event(exc, service.name, entry.url, entry.timeout)
        event["elapsed_ms"] = round((time.monotonic() - began) * 1000, 1)
        return Outcome(service.name, event)

    def _timeout_event(self, service: DataService, began: float) -> Outcome:
        late = TimeoutError(f"no answer within {service.entry.timeout:g} s")
        return self._error(service, late, began)

    def _start(self) -> tuple[concurrent.futures.ThreadPoolExecutor, dict[Any, DataService], float]:
        began = time.monotonic()
        workers = max(1, min(self.concurrency, len(self.services)))
        pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="esap-search")
        futures = {pool.submit(self._run_one, s, began): s for s in self.services}
        return pool, futures, began

    def _started(self) -> dict[str, Any]:
        return {
            "event": "started",
            "search_id": self.search_id,
            "services": [s.name for s in self.services],
        }

    def _done(self, began: float) -> dict[str, Any]:
        return {
            "event": "done",
            "search_id": self.search_id,
            "elapsed_ms": round((time.monotonic() - began) * 1000, 1),
        }

    def _deadline(self, service: DataService) -> float | None:
        """When ``service`` times out (monotonic), or None while it waits for a worker."""
        started = self.started_at.get(service.name)
        return None if started is None else started + service.entry.timeout

    def _next_wait(self, pending: dict[Any, DataService]) -> float:
        """Seconds until the first running service times out.

        A service still waiting for a worker has no deadline yet; it starts
        when another ends, which wakes the wait anyway. Until the first
        requests have started, the shortest timeout bounds the wait.
        """
        deadlines = [d for s in pending.values() if (d := self._deadline(s)) is not None]
        if not deadlines:
            return min(s.entry.timeout for s in pending.values())
        return max(0.0, min(deadlines) - time.monotonic())

    def _expired(self, pending: dict[Any, DataService], began: float) -> list[Outcome]:
        now = time.monotonic()
        late = [
            f
            for f, s in pending.items()
            if (d := self._deadline(s)) is not None and d <= now and not f.done()
        ]
        outcomes = []
        for future in late:
            service = pending.pop(future)
            future.cancel()
            self.timed_out.add(service.name)
            self.durations[service.name] = now - self.started_at[service.name]
            outcomes.append(self._timeout_event(service, began))
        return outcomes

    def _record(self, outcome: Outcome) -> dict[str, Any]:
        self.outcomes[outcome.service] = outcome
        # ESAP metrics: latency, searches and errors per service
        event = outcome.event
        metrics.record_search(
            outcome.service, float(event.get("elapsed_ms", 0)) / 1000, event["event"] == "rows"
        )
        return outcome.event

    def events(self, extra: list[dict[str, Any]] | None = None) -> Iterator[dict[str, Any]]:
        """Run the search, yielding events as services finish (blocking iterator)."""
        pool, pending, began = self._start()
        try:
            yield self._started()
            yield from extra or []
            while pending:
                done, _ = concurrent.futures.wait(
                    list(pending),
                    timeout=self._next_wait(pending),
                    return_when=concurrent.futures.FIRST_COMPLETED,
                )
                for future in done:
                    pending.pop(future)
                    yield self._record(future.result())
                for outcome in self._expired(pending, began):
                    yield self._record(outcome)
            yield from self.closing() if self.closing else []
            yield self._done(began)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    async def aevents(
        self, extra: list[dict[str, Any]] | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """Run the search, yielding events as services finish (for an event loop)."""
        pool, futures, began = self._start()
        pending = {asyncio.wrap_future(f): s for f, s in futures.items()}
        try:
            yield self._started()
            for event in extra or []:
                yield event
            while pending:
                done, _ = await asyncio.wait(
                    list(pending),
                    timeout=self._next_wait(pending),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                for future in done:
                    pending.pop(future)
                    yield self._record(future.result())
                for outcome in self._expired(pending, began):
                    yield self._record(outcome)
            # the closing events read stores: off the event loop
            for event in await asyncio.to_thread(self.closing) if self.closing else []:
                yield event
            yield self._done(began)
        finally:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=False, cancel_futures=True)


__all__ = ["Federation", "Outcome"]
