"""The server-side result cache: every answer paged, sorted and filtered from disk.

A service may answer with a million rows; the lab shows 200 at a time. Each
answer is written once, in chunks, to its own table in
``~/.esap/results.sqlite``, and pages are read back with SQL ``ORDER BY`` /
``LIMIT``, so neither the browser nor the server holds a whole answer after
it has been stored. The cache is bounded: past ``max_rows`` rows (all results
together) the least recently used results are dropped.

Considered: parquet files through pyarrow (faster scans, but a new
dependency and no cheap sort/filter/page without loading), and VOTable files
(no random access). SQLite comes with Python and does all three.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from esap.core.db import PerThread, transaction
from esap.core.errors import FieldError, NotFound
from esap.core.state import state_dir
from esap.data.cells import column_values

if TYPE_CHECKING:
    from astropy.table import Table

log = logging.getLogger(__name__)

#: Rows per insert batch (bounds the memory used while storing).
CHUNK = 5000
PAGE = 200
MAX_LIMIT = 10_000
#: Rows kept over all cached results before the least recently used go.
MAX_ROWS = 5_000_000
#: Sorted pages starting before this row are answered before their sort index exists.
SORT_TOP = 2000
#: Filter counts remembered (see ``page``).
MAX_COUNTS = 1000
#: Seconds between two writes of a result's last-used time (see ``_touch``).
TOUCH_EVERY = 60.0
#: Seconds a reader waits for a result still being stored.
STORE_WAIT = 600.0


class UnknownResult(NotFound):
    """No result with that id (never stored, or dropped from the cache)."""

    fix = "run the search again"

    def __init__(self, result_id: str) -> None:
        super().__init__(f"no result {result_id!r} (never stored, or dropped from the cache)")
        self.result_id = result_id


class BadPage(FieldError):
    """A bad paging parameter: ``field`` names it."""


def _datatype(column: Any) -> str:
    meta = getattr(column, "meta", {}) or {}
    if meta.get("datatype"):
        return str(meta["datatype"])
    kind = getattr(column.dtype, "kind", "O")
    if getattr(column, "ndim", 1) > 1:
        return "char"
    return {"i": "long", "u": "long", "f": "double", "b": "boolean"}.get(kind, "char")


def columns_of(table: Table, roles: dict[str, str]) -> list[dict[str, Any]]:
    """The Column descriptions of the REST API for an astropy table."""
    described = []
    for column in table.columns.values():
        meta = getattr(column, "meta", {}) or {}
        described.append(
            {
                "name": column.name,
                "datatype": _datatype(column),
                "unit": str(column.unit) if column.unit is not None else None,
                "ucd": meta.get("ucd"),
                "description": column.description or None,
                "role": roles.get(column.name),
            }
        )
    return described


def table_rows(table: Table, start: int = 0, stop: int | None = None) -> list[list[Any]]:
    """Rows ``start:stop`` of ``table`` as lists of JSON scalars."""
    stop = len(table) if stop is None else min(stop, len(table))
    if start >= stop:
        return []
    columns = [column_values(col, start, stop) for col in table.columns.values()]
    return [list(row) for row in zip(*columns, strict=True)]


@dataclass(frozen=True)
class StoredResult:
    """A stored answer's description."""

    id: str
    service: str
    columns: list[dict[str, Any]]
    total: int
    truncated: bool


class ResultStore:
    """Answers on disk, one SQLite table each, paged on demand."""

    def __init__(self, path: Path | None = None, max_rows: int = MAX_ROWS) -> None:
        self.path = path or state_dir() / "results.sqlite"
        self.max_rows = max_rows
        self._pending: dict[str, threading.Event] = {}
        self._pending_lock = threading.Lock()
        self._writer: concurrent.futures.ThreadPoolExecutor | None = None
        #: (result, column, order) already indexed for sorting, see ``_sort_index``.
        self._indexed: set[tuple[str, int, str]] = set()
        self._indexing: set[tuple[str, int, str]] = set()
        #: Rows matching a filter, by (result, filter); the oldest go past ``MAX_COUNTS``.
        self._counts: dict[tuple[str, str], int] = {}
        #: When this store last wrote each result's ``accessed`` time.
        self._touched: dict[str, float] = {}
        #: Results still growing (see ``open``): their filter counts are not kept.
        self._growing: set[str] = set()
        self._conn = PerThread(
            self.path,
            durable=False,
            schema=[
                "CREATE TABLE IF NOT EXISTS results (id TEXT PRIMARY KEY, service TEXT, "
                "columns TEXT, total INTEGER, truncated INTEGER, created REAL, accessed REAL, "
                "complete INTEGER)"
            ],
        )

    def put(
        self,
        service: str,
        table: Table,
        columns: list[dict[str, Any]],
        *,
        background: bool = False,
        rows: list[list[Any]] | None = None,
    ) -> StoredResult:
        """Store ``table`` (chunk by chunk) and return its description.

        ``background=True`` returns at once and leaves the writing to the
        store's one writer thread (one SQLite connection, opened once: SQLite
        takes one writer at a time anyway, and a thread and a connection per
        answer cost more than the insert of a small one): the caller can
        already send the first page, and readers of this id (``describe``,
        ``page``) wait until the rows are in. ``rows``: every row of
        ``table`` already converted (``table_rows(table)``), so a caller that
        needed them anyway does not pay for the conversion twice.
        """
        result_id = secrets.token_hex(8)
        truncated = bool(table.meta.get("esap_truncated", False))
        stored = StoredResult(result_id, service, columns, len(table), truncated)
        if not background:
            self._store(stored, table, rows)
            return stored
        done = threading.Event()
        with self._pending_lock:
            self._pending[result_id] = done

        def run() -> None:
            try:
                self._store(stored, table, rows)
            except Exception:  # the reader then finds no complete result: UnknownResult
                log.exception("storing result %s of %s failed", result_id, service)
            finally:
                with self._pending_lock:
                    self._pending.pop(result_id, None)
                done.set()

        self._submit(run)
        return stored

    def _submit(self, work: Callable[[], None]) -> None:
        """Run ``work`` on the store's one writer thread (started on first use)."""
        with self._pending_lock:
            if self._writer is None:
                self._writer = concurrent.futures.ThreadPoolExecutor(
                    1, thread_name_prefix="esap-store"
                )
            writer = self._writer
        writer.submit(work)

    def _store(self, stored: StoredResult, table: Table, rows: list[list[Any]] | None) -> None:
        result_id, service, columns = stored.id, stored.service, stored.columns
        truncated = stored.truncated
        ncols = len(table.columns)
        names = ", ".join(f"c{i}" for i in range(ncols)) or "c0"
        marks = ", ".join("?" for _ in range(max(ncols, 1)))
        conn = self._conn()
        now = time.time()
        with transaction(conn):
            conn.execute(f'CREATE TABLE "r_{result_id}" ({names})')
            conn.execute(
                "INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
                (result_id, service, json.dumps(columns), len(table), int(truncated), now, now),
            )
            for start in range(0, len(table), CHUNK):
                conn.executemany(
                    f'INSERT INTO "r_{result_id}" VALUES ({marks})',  # noqa: S608 - our own names
                    rows[start : start + CHUNK]
                    if rows is not None
                    else table_rows(table, start, start + CHUNK),
                )
            conn.execute("UPDATE results SET complete = 1 WHERE id = ?", (result_id,))
        self._evict(keep=result_id)

    def open(self, service: str, columns: list[dict[str, Any]]) -> str:
        """A result that grows as rows are :meth:`append`-ed, readable at once; its id.

        The all-VO search's combined result: every service's rows join it as
        that service answers, so the lab pages, sorts and filters what has
        arrived while the slower services are still working. It ends with
        :meth:`close`.
        """
        result_id = secrets.token_hex(8)
        names = ", ".join(f"c{i}" for i in range(len(columns))) or "c0"
        now = time.time()
        with transaction(self._conn()) as conn:
            conn.execute(f'CREATE TABLE "r_{result_id}" ({names})')
            conn.execute(
                "INSERT INTO results VALUES (?, ?, ?, 0, 0, ?, ?, 1)",
                (result_id, service, json.dumps(columns), now, now),
            )
        with self._pending_lock:
            self._growing.add(result_id)
        return result_id

    def append(self, result_id: str, rows: list[list[Any]]) -> None:
        """Add ``rows`` to a growing result, on the writer thread, in the order appended."""
        if not rows:
            return
        marks = ", ".join("?" for _ in rows[0])

        def run() -> None:
            with transaction(self._conn()) as conn:
                conn.executemany(
                    f'INSERT INTO "r_{_safe(result_id)}" VALUES ({marks})',  # noqa: S608
                    rows,
                )
                conn.execute(
                    "UPDATE results SET total = total + ? WHERE id = ?", (len(rows), result_id)
                )

        self._submit(run)

    def close(self, result_id: str) -> None:
        """The growing result is whole (after the rows appended so far are in)."""

        def run() -> None:
            with self._pending_lock:
                self._growing.discard(result_id)

        self._submit(run)

    def _evict(self, keep: str) -> None:
        """Drop least recently used results while the cache holds more than ``max_rows``."""
        conn = self._conn()
        rows = conn.execute("SELECT id, total FROM results ORDER BY accessed DESC").fetchall()
        kept = 0
        for result_id, total in rows:
            kept += total
            if kept > self.max_rows and result_id != keep:
                self.drop(result_id)

    def drop(self, result_id: str) -> None:
        """Forget one result."""
        with transaction(self._conn()) as conn:
            conn.execute(f'DROP TABLE IF EXISTS "r_{_safe(result_id)}"')
            conn.execute("DELETE FROM results WHERE id = ?", (result_id,))
        with self._pending_lock:
            self._indexed = {key for key in self._indexed if key[0] != result_id}
            self._touched.pop(result_id, None)
            self._counts = {key: n for key, n in self._counts.items() if key[0] != result_id}

    def describe(self, result_id: str) -> StoredResult:
        """A stored result's description, or :class:`UnknownResult`.

        A result still being stored in the background is waited for.
        """
        with self._pending_lock:
            pending = self._pending.get(result_id)
        if pending is not None:
            pending.wait(STORE_WAIT)
        row = (
            self._conn()
            .execute(
                "SELECT service, columns, total, truncated FROM results "
                "WHERE id = ? AND complete = 1",
                (result_id,),
            )
            .fetchone()
        )
        if row is None:
            raise UnknownResult(result_id)
        service, columns, total, truncated = row
        return StoredResult(result_id, service, json.loads(columns), total, bool(truncated))

    def exists(self, result_id: str) -> bool:
        """Whether ``result_id`` is (still) in the cache."""
        try:
            self.describe(result_id)
        except UnknownResult:
            return False
        return True

    def page(
        self,
        result_id: str,
        offset: int = 0,
        limit: int = PAGE,
        sort: str | None = None,
        order: str = "asc",
        filter: str | None = None,
        service: str | None = None,
    ) -> dict[str, Any]:
        """One page, optionally sorted by a column and filtered by a substring in any cell.

        ``service``: only the rows of that service (the facet of a combined
        result, whose ``service`` column names where each row came from).
        """
        info = self.describe(result_id)
        if offset < 0:
            raise BadPage("offset", f"{offset}: must be >= 0", "give offset=0 or more")
        if not 1 <= limit <= MAX_LIMIT:
            raise BadPage(
                "limit", f"{limit}: must be between 1 and {MAX_LIMIT}", f"give limit={PAGE}"
            )
        if order not in ("asc", "desc"):
            raise BadPage("order", f"{order!r}: must be asc or desc", "give order=asc or desc")
        names = [c["name"] for c in info.columns]
        clauses = []
        args: list[Any] = []
        if filter:
            pattern = (
                "%" + filter.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            )
            clauses.append(
                "("
                + " OR ".join(f"CAST(c{i} AS TEXT) LIKE ? ESCAPE '\\'" for i in range(len(names)))
                + ")"
            )
            args.extend([pattern] * len(names))
        if service is not None:
            if "service" not in names:
                raise BadPage(
                    "service",
                    f"{service!r}: this result has no service column",
                    "give service= only for a combined (all-VO) result",
                )
            clauses.append(f"c{names.index('service')} = ?")
            args.append(service)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        ordering = " ORDER BY rowid"
        if sort is not None:
            if sort not in names:
                raise BadPage(
                    "sort", f"{sort!r}: no such column", f"sort by one of: {', '.join(names)}"
                )
            ordering = f" ORDER BY c{names.index(sort)} {order.upper()}, rowid"
        conn = self._conn()
        table = f'"r_{result_id}"'
        # the column to index for this sort, when the page is not filtered
        indexed = names.index(sort) if sort is not None and not clauses else None
        if indexed is not None and offset >= SORT_TOP:
            self._sort_index(result_id, indexed, order, now=True)
        if not clauses and sort is None:
            # Stored once, in order, never deleted from: rowids are 1..total, so
            # a deep page is a rowid seek, not OFFSET's walk over every row before it.
            rows = conn.execute(
                f"SELECT * FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT ?",  # noqa: S608
                [offset, limit],
            ).fetchall()
        else:
            rows = conn.execute(
                f"SELECT * FROM {table}{where}{ordering} LIMIT ? OFFSET ?",  # noqa: S608 - built from checked names
                [*args, limit, offset],
            ).fetchall()
        total = info.total
        if clauses:
            # a stored result never changes, so neither does a filter's count:
            # counted once (a scan of every row), not again for every page
            key = (result_id, f"{service}\0{filter}" if service is not None else filter or "")
            counted = self._counts.get(key)
            if counted is None:
                counted = conn.execute(f"SELECT COUNT(*) FROM {table}{where}", args).fetchone()[0]  # noqa: S608
                with self._pending_lock:
                    if len(self._counts) >= MAX_COUNTS:
                        self._counts.pop(next(iter(self._counts)))
                    if result_id not in self._growing:  # a growing result's count grows
                        self._counts[key] = counted
            total = counted
        self._touch(result_id)
        if (
            indexed is not None and offset < SORT_TOP
        ):  # after the write above, which it would hold up
            self._sort_index(result_id, indexed, order, now=False)
        return {
            "result_id": result_id,
            "service": info.service,
            "columns": info.columns,
            "rows": [list(row) for row in rows],
            "offset": offset,
            "limit": limit,
            "total": total,
        }

    def _touch(self, result_id: str) -> None:
        """Mark a result used, for eviction; at most once a ``TOUCH_EVERY`` per result.

        Least-recently-used needs no finer clock, and a page that writes
        nothing never waits behind the writer thread (a sort index being
        built for the page before it).
        """
        now = time.time()
        if now - self._touched.get(result_id, 0.0) < TOUCH_EVERY:
            return
        self._conn().execute("UPDATE results SET accessed = ? WHERE id = ?", (now, result_id))
        self._touched[result_id] = now

    def _sort_index(self, result_id: str, column: int, order: str, *, now: bool) -> None:
        """Index a result by one column, in one direction, the first time it is sorted so.

        Without it every sorted page sorts the whole result again: a deep
        page of 100k rows took 100-300 ms. Through the index any page is a
        walk of the index (5-8 ms). Building it costs about one full sort
        (50-120 ms), so a first page near the top (``now=False``), which
        SQLite answers quickly with a top-N sort, is answered without it and
        the index is built on the writer thread meanwhile; a deep page, which
        needs the full sort anyway, builds it first (``now=True``). The
        direction is part of the index (``c DESC``, then rowid ascending, as
        SQLite appends it), so both orders keep ties in the stored order and
        read the index forwards. Indexes go with their table when the result
        is dropped.
        """
        key = (result_id, column, order)
        with self._pending_lock:
            if key in self._indexed or (not now and key in self._indexing):
                return
            self._indexing.add(key)
        direction = " DESC" if order == "desc" else ""

        def build() -> None:
            try:
                with transaction(self._conn()) as conn:
                    conn.execute(
                        f'CREATE INDEX IF NOT EXISTS "r_{result_id}_{order}{column}" '
                        f'ON "r_{result_id}" (c{column}{direction})'
                    )
                with self._pending_lock:
                    self._indexed.add(key)
            except sqlite3.Error:  # dropped meanwhile: the page query still sorts
                log.debug("no sort index for %s", result_id, exc_info=True)
            finally:
                with self._pending_lock:
                    self._indexing.discard(key)

        if now:
            build()
        else:
            self._submit(build)

    def iter_rows(self, result_id: str, chunk: int = CHUNK) -> Iterator[list[list[Any]]]:
        """Every row, chunk by chunk, in the stored order (for exports)."""
        self.describe(result_id)
        cursor = self._conn().execute(f'SELECT * FROM "r_{_safe(result_id)}" ORDER BY rowid')  # noqa: S608
        while batch := cursor.fetchmany(chunk):
            yield [list(row) for row in batch]


def _safe(result_id: str) -> str:
    if not result_id.isalnum():
        raise UnknownResult(result_id)
    return result_id


__all__ = [
    "MAX_LIMIT",
    "PAGE",
    "BadPage",
    "ResultStore",
    "StoredResult",
    "UnknownResult",
    "columns_of",
    "table_rows",
]
