"""The user's own data-discovery records in ``~/.esap/data.sqlite``: services, jobs, history.

Each change is one SQLite transaction in WAL mode (atomic, survives a crash
mid-write), so a job submitted before the server was culled is still listed
after the respawn, and a service the user added stays added.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from esap.data.state import connect, state_dir, transaction

#: History entries kept per user (older ones are dropped).
HISTORY_KEEP = 1000

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS user_services (name TEXT PRIMARY KEY, type TEXT NOT NULL, "
    "url TEXT NOT NULL, title TEXT, description TEXT, created TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, service TEXT NOT NULL, "
    "query TEXT NOT NULL, maxrec INTEGER, phase TEXT NOT NULL, created TEXT NOT NULL, "
    "updated TEXT NOT NULL, job_url TEXT, result_id TEXT, error TEXT)",
    "CREATE TABLE IF NOT EXISTS history (id TEXT PRIMARY KEY, created TEXT NOT NULL, "
    "request TEXT NOT NULL, summary TEXT NOT NULL)",
)


def now_iso() -> str:
    """The current time as ISO 8601 UTC with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Job:
    """An asynchronous TAP job as stored (and as the REST API shows it)."""

    id: str
    service: str
    query: str
    maxrec: int | None
    phase: str
    created: str
    updated: str
    job_url: str | None
    result_id: str | None
    error: str | None

    def as_dict(self) -> dict[str, Any]:
        """The Job of the REST API."""
        return {
            "id": self.id,
            "service": self.service,
            "query": self.query,
            "phase": self.phase,
            "created": self.created,
            "updated": self.updated,
            "job_url": self.job_url,
            "result_id": self.result_id,
            "error": self.error,
        }


class UserStore:
    """Services, jobs and history of one user (one SQLite file in their home)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or state_dir() / "data.sqlite"
        self._local = threading.local()
        with transaction(self._conn()) as conn:
            for statement in _SCHEMA:
                conn.execute(statement)

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.path)
        return conn

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

    # ---------------------------------------------------------------- jobs

    def add_job(
        self, service: str, query: str, maxrec: int | None, job_url: str, phase: str
    ) -> Job:
        """Record a submitted job."""
        stamp = now_iso()
        job = Job(
            secrets.token_hex(8), service, query, maxrec, phase, stamp, stamp, job_url, None, None
        )
        with transaction(self._conn()) as conn:
            conn.execute(
                "INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (job.id, service, query, maxrec, phase, stamp, stamp, job_url, None, None),
            )
        return job

    def jobs(self) -> list[Job]:
        """Every job, newest first."""
        rows = (
            self._conn().execute("SELECT * FROM jobs ORDER BY created DESC, rowid DESC").fetchall()
        )
        return [Job(*row) for row in rows]

    def job(self, job_id: str) -> Job:
        """One job; ``KeyError`` if unknown."""
        row = self._conn().execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise KeyError(job_id)
        return Job(*row)

    def update_job(self, job_id: str, **changes: Any) -> Job:
        """Change a job's phase / result_id / error (one transaction)."""
        allowed = {"phase", "result_id", "error"}
        if not changes.keys() <= allowed:
            raise ValueError(f"cannot change {sorted(changes.keys() - allowed)}")
        sets = ", ".join(f"{key} = ?" for key in changes)
        with transaction(self._conn()) as conn:
            conn.execute(
                f"UPDATE jobs SET {sets}, updated = ? WHERE id = ?",  # noqa: S608 - keys checked above
                [*changes.values(), now_iso(), job_id],
            )
        return self.job(job_id)

    def remove_job(self, job_id: str) -> None:
        """Forget a job."""
        with transaction(self._conn()) as conn:
            conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

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


__all__ = ["HISTORY_KEEP", "Job", "UserStore", "now_iso"]
