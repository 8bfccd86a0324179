"""SQLite for the user's stores: WAL, and one explicit transaction per change.

Every store in the state folder (basket, data jobs and results, launches,
headless runs) opens its file through :func:`connect` and changes it inside
``with transaction(conn)``, so a change is all or nothing even when the
server is killed in the middle, and readers never wait for a writer.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path


def connect(path: Path, *, durable: bool = True) -> sqlite3.Connection:
    """A connection in WAL mode; ``durable=False`` for caches (no fsync per commit).

    ``isolation_level=None`` leaves transactions to the caller's explicit
    ``BEGIN``/``COMMIT`` (``with transaction(conn)``), so each change is atomic.
    """
    conn = sqlite3.connect(path, timeout=60, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={'NORMAL' if durable else 'OFF'}")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


class transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error): one atomic change.

    ``read=True`` begins a deferred transaction instead: no write lock, and
    every statement in it reads the same snapshot (a listing made of several
    queries sees one state of the file).
    """

    def __init__(self, conn: sqlite3.Connection, *, read: bool = False) -> None:
        self.conn = conn
        self.begin = "BEGIN" if read else "BEGIN IMMEDIATE"

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute(self.begin)
        return self.conn

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")


class PerThread:
    """One connection per thread to one file, made on first use: ``store._conn = PerThread(...)``.

    A store is used from the server's worker threads, and a SQLite
    connection must not be shared between threads; each thread gets its own
    (WAL lets them read while one writes). ``schema`` statements run once,
    in one transaction, when the store opens.
    """

    def __init__(self, path: Path, *, durable: bool = True, schema: Iterable[str] = ()) -> None:
        self.path = path
        self.durable = durable
        self._local = threading.local()
        statements = list(schema)
        if statements:
            with transaction(self()) as conn:
                for statement in statements:
                    conn.execute(statement)

    def __call__(self) -> sqlite3.Connection:
        """This thread's connection."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.path, durable=self.durable)
        return conn


__all__ = ["PerThread", "connect", "transaction"]
