"""Federated search: every service at once, each with its own timeout, events as they finish.

Services run on worker threads (pyvo is synchronous); the caller iterates
events — ``started``, one ``rows`` or ``error`` per service in the order they
finish, ``done`` — either synchronously (:meth:`Federation.events`, for
notebooks and the command line) or from an event loop
(:meth:`Federation.aevents`, for the REST API's NDJSON stream). A service that
hangs past its timeout yields a ``timed_out`` error event and nothing else
waits for it; one that fails yields an ``error`` event naming how it failed
(:mod:`esap.data.failures`); the others' rows are unaffected.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import secrets
import time
from collections.abc import AsyncIterator, Iterator, Mapping
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

    def _run_one(self, service: DataService, began: float) -> Outcome:
        """Query one service on a worker thread; never raises."""
        query = self.query
        own = self.params.get(service.name)
        if own:
            query = Query(**{**query.__dict__, "params": dict(own)})
        try:
            with request_timeout(service.entry.timeout):
                table = service.search(query)
            _check_table(service, table)
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
            event["elapsed_ms"] = round((time.monotonic() - began) * 1000, 1)
            return Outcome(service.name, event, table if self.keep_tables else None)
        except Exception as exc:
            return self._error(service, exc, began)

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
        workers = max(1, min(MAX_WORKERS, len(self.services)))
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

    @staticmethod
    def _next_wait(pending: dict[Any, DataService], began: float) -> float:
        now = time.monotonic() - began
        return max(0.0, min(s.entry.timeout for s in pending.values()) - now)

    def _expired(self, pending: dict[Any, DataService], began: float) -> list[Outcome]:
        now = time.monotonic() - began
        late = [f for f, s in pending.items() if s.entry.timeout <= now and not f.done()]
        outcomes = []
        for future in late:
            service = pending.pop(future)
            future.cancel()
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
                    timeout=self._next_wait(pending, began),
                    return_when=concurrent.futures.FIRST_COMPLETED,
                )
                for future in done:
                    pending.pop(future)
                    yield self._record(future.result())
                for outcome in self._expired(pending, began):
                    yield self._record(outcome)
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
                    timeout=self._next_wait(pending, began),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                for future in done:
                    pending.pop(future)
                    yield self._record(future.result())
                for outcome in self._expired(pending, began):
                    yield self._record(outcome)
            yield self._done(began)
        finally:
            for future in pending:
                future.cancel()
            pool.shutdown(wait=False, cancel_futures=True)


__all__ = ["Federation", "Outcome"]
