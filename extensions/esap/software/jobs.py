"""Launch jobs: "Open in my lab" running in the server, recorded in ``~/.esap/software.db``.

Each launch is a row rewritten at every step (the steps, their output, the
kernel and notebook when done), so the Software panel can poll it and a lab
reloaded in the middle finds it again. A launch the server was stopped in
the middle of shows as ``interrupted`` after a restart: its steps ran in a
thread of the old process and cannot be resumed, so the user starts it again
(each step is idempotent: the clone is updated, the environment rebuilt).
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

from esap.basket.models import new_id
from esap.basket.store import stamp
from esap.data.state import connect, state_dir, transaction
from esap.software.launch import Launch, Step, launch, slug

SCHEMA = """
CREATE TABLE IF NOT EXISTS launches (
    id TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    state TEXT NOT NULL,
    name TEXT NOT NULL,
    document TEXT NOT NULL
)
"""


class LaunchBusy(RuntimeError):
    """A launch of the same software is still running (they would share folders)."""


def view(job: Launch, created: str, updated: str) -> dict[str, Any]:
    """The REST answer: the launch, plus where it is (current/failed step, progress)."""
    document = job.as_dict()
    current = next((s.name for s in job.steps if s.state == "running"), None)
    failed = next((s.name for s in job.steps if s.state == "error"), None)
    finished = sum(1 for s in job.steps if s.state in ("done", "skipped"))
    document.update(
        current=current,
        failed=failed,
        progress=finished / len(job.steps),
        created=created,
        updated=updated,
    )
    return document


def _load(document: str) -> Launch:
    raw = json.loads(document)
    raw["steps"] = [Step(**step) for step in raw["steps"]]
    return Launch(**raw)


class LaunchJobs:
    """Start and read the launches of one user (one SQLite file)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or state_dir() / "software.db"
        self._conn = connect(self.path)
        self._lock = threading.Lock()
        self._conn.execute(SCHEMA)
        with transaction(self._conn):
            rows = self._conn.execute(
                "SELECT id, document FROM launches WHERE state='running'"
            ).fetchall()
            for job_id, document in rows:
                job = _load(document)
                job.state = "interrupted"
                job.error = "the server stopped during this launch — start it again"
                for step in job.steps:
                    if step.state == "running":
                        step.state = "error"
                self._conn.execute(
                    "UPDATE launches SET state=?, updated=?, document=? WHERE id=?",
                    (job.state, stamp(), json.dumps(asdict(job)), job_id),
                )

    def _save(self, job: Launch) -> None:
        with self._lock, transaction(self._conn):
            self._conn.execute(
                "UPDATE launches SET state=?, updated=?, document=? WHERE id=?",
                (job.state, stamp(), json.dumps(asdict(job)), job.id),
            )

    def start(self, repository: str, ref: str | None, name: str | None = None) -> dict[str, Any]:
        """Record a launch and run it on a thread; the job as first recorded."""
        job = Launch(new_id(), repository, ref, slug(name or repository))
        now = stamp()
        with self._lock, transaction(self._conn):
            busy = self._conn.execute(
                "SELECT id FROM launches WHERE name=? AND state='running'", (job.name,)
            ).fetchone()
            if busy:
                raise LaunchBusy(
                    f"{job.name} is being launched already (launch {busy[0]}) — wait for it"
                )
            self._conn.execute(
                "INSERT INTO launches (id, created, updated, state, name, document)"
                " VALUES (?, ?, ?, 'running', ?, ?)",
                (job.id, now, now, job.name, json.dumps(asdict(job))),
            )
        threading.Thread(target=self._run, args=(job,), daemon=True, name=job.id).start()
        return view(job, now, now)

    def _run(self, job: Launch) -> None:
        try:
            launch(job.repository, job.ref, job.name, self._save, job)
        except Exception as exc:  # an unexpected failure still ends the job visibly
            job.state = "error"
            job.error = f"{type(exc).__name__}: {exc}"
            self._save(job)

    def get(self, job_id: str) -> dict[str, Any]:
        """One launch; ``KeyError`` if there is none."""
        with self._lock:
            row = self._conn.execute(
                "SELECT document, created, updated FROM launches WHERE id=?", (job_id,)
            ).fetchone()
        if row is None:
            raise KeyError(job_id)
        return view(_load(row[0]), row[1], row[2])

    def list(self, limit: int = 50) -> list[dict[str, Any]]:
        """The newest launches first (timestamps are to the second: insertion order breaks ties)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT document, created, updated FROM launches"
                " ORDER BY created DESC, rowid DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [view(_load(document), created, updated) for document, created, updated in rows]


__all__ = ["LaunchBusy", "LaunchJobs", "view"]
