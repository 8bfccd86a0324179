"""Where a user's data-discovery state lives: ``~/.esap/`` (SQLite, WAL).

The home moves with the user (a respawn, another node, the Kubernetes home
volume), so jobs, history and the user's own services survive restarts.
``$ESAP_STATE_DIR`` points elsewhere (a benchmark, a throw-away session).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

STATE_ENV = "ESAP_STATE_DIR"


def state_dir() -> Path:
    """``$ESAP_STATE_DIR`` or ``~/.esap``, created private to the user."""
    configured = os.environ.get(STATE_ENV)
    path = Path(configured) if configured else Path.home() / ".esap"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


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


__all__ = ["STATE_ENV", "connect", "state_dir", "transaction"]
