"""The user's own data-discovery records in ``~/.esap/data.sqlite``: services and history.

Each change is one SQLite transaction in WAL mode (atomic, survives a crash
mid-write), so a search recorded before the server was culled is still listed
after the respawn, and a service the user added stays added. (Asynchronous
queries are jobs: ``esap.core.jobs``.)
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from esap.core.db import PerThread, transaction
from esap.core.state import state_dir

#: History entries kept per user (older ones are dropped).
HISTORY_KEEP = 1000

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS user_services (name TEXT PRIMARY KEY, type TEXT NOT NULL, "
    "url TEXT NOT NULL, title TEXT, description TEXT, created TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS history (id TEXT PRIMARY KEY, created TEXT NOT NULL, "
    "request TEXT NOT NULL, summary TEXT NOT NULL)",
)


def now_iso() -> str:
    """The current time as ISO 8601 UTC with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class UserStore:
    """Services and history of one user (one SQLite file in their home)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or state_dir() / "data.sqlite"
        self._conn = PerThread(self.path, schema=_SCHEMA)

    # ------------------------------------------------------------ services

    def services(self) -> list[dict[str, Any]]:
        """The user's own services, oldest first."""
        rows = (
            self._conn()
            .execute(
                "SELECT name, type, url, title, description FROM user_services "
                "ORDER BY created, name"
            )
            .fetchall()
        )
        return [
            {"name": n, "type": t, "url": u, "title": ti or n, "description": d or ""}
            for n, t, u, ti, d in rows
        ]

    def add_service(self, name: str, type_: str, url: str, title: str, description: str) -> None:
        """Add a service; ``KeyError`` if the user already has one of that name."""
        try:
            with transaction(self._conn()) as conn:
                conn.execute(
                    "INSERT INTO user_services VALUES (?, ?, ?, ?, ?, ?)",
                    (name, type_, url, title, description, now_iso()),
                )
        except sqlite3.IntegrityError:
            raise KeyError(name) from None

    def remove_service(self, name: str) -> bool:
        """Remove a service; whether it existed."""
        with transaction(self._conn()) as conn:
            return conn.execute("DELETE FROM user_services WHERE name = ?", (name,)).rowcount > 0

    # ------------------------------------------------------------- history

    def add_history(self, request: dict[str, Any], summary: dict[str, Any]) -> str:
        """Record a search and what each service returned; keeps the newest entries."""
        entry_id = secrets.token_hex(8)
        stamp = f"{now_iso()}"
        with transaction(self._conn()) as conn:
            conn.execute(
                "INSERT INTO history VALUES (?, ?, ?, ?)",
                (entry_id, stamp, json.dumps(request), json.dumps(summary)),
            )
            conn.execute(
                "DELETE FROM history WHERE rowid NOT IN "
                "(SELECT rowid FROM history ORDER BY rowid DESC LIMIT ?)",
                (HISTORY_KEEP,),
            )
        return entry_id

    def history(self, limit: int = 50) -> list[dict[str, Any]]:
        """The newest ``limit`` searches, newest first."""
        rows = (
            self._conn()
            .execute(
                "SELECT id, created, request, summary FROM history ORDER BY rowid DESC LIMIT ?",
                (limit,),
            )
            .fetchall()
        )
        return [
            {"id": i, "created": c, "request": json.loads(r), "summary": json.loads(s)}
            for i, c, r, s in rows
        ]


__all__ = ["HISTORY_KEEP", "UserStore", "now_iso"]
