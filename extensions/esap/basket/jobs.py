"""Download jobs: a basket download running in the server, with progress anyone can poll.

A job is a row in ``basket.db`` updated as bytes arrive (at most a few
times a second), so the panel polls it, and a job the server was stopped
in the middle of shows as ``interrupted`` after a restart; starting the
same download again resumes each file from its ``.part`` (see
``download``). Jobs run on a thread of the server process: they are I/O
bound and need no worker of their own.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from esap.basket.download import FileResult, download, home, plan
from esap.basket.models import AnyItem, new_id
from esap.basket.store import Basket, ItemNotFound, stamp
from esap.data.state import connect, transaction

SCHEMA = """
CREATE TABLE IF NOT EXISTS downloads (
    id TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    state TEXT NOT NULL,
    folder TEXT NOT NULL,
    done_bytes INTEGER NOT NULL DEFAULT 0,
    total_bytes INTEGER,
    files TEXT NOT NULL,
    error TEXT
)
"""

#: Seconds between progress writes while bytes flow.
PROGRESS_EVERY = 0.25


class DownloadJobs:
    """Start and read download jobs of one basket file."""

    def __init__(self, basket: Basket) -> None:
        self.basket = basket
        self._conn = connect(basket.path)
        self._lock = threading.Lock()
        self._conn.execute(SCHEMA)
        with transaction(self._conn):  # a job left running by a stopped server
            self._conn.execute(
                "UPDATE downloads SET state='interrupted', updated=? WHERE state='running'",
                (stamp(),),
            )

    def start(self, ids: Sequence[str] | None, folder: str | None) -> dict[str, Any]:
        """Check the request, record the job and start it; returns the job."""
        items: list[AnyItem] = (
            self.basket.all("data") if ids is None else [self.basket.get(i) for i in ids]
        )
        chosen = plan(items, folder)  # raises on a folder outside the home
        files = [FileResult(item.id, name, size=item.size) for item, name in chosen.files]
        known = [f.size for f in files]
        total = (
            sum(s for s in known if s is not None) if all(s is not None for s in known) else None
        )
        job_id = new_id()
        now = stamp()
        relative = str(chosen.folder.relative_to(home())) if chosen.folder != home() else "."
        with self._lock, transaction(self._conn):
            self._conn.execute(
                "INSERT INTO downloads (id, created, updated, state, folder, total_bytes, files)"
                " VALUES (?, ?, ?, 'running', ?, ?, ?)",
                (job_id, now, now, relative, total, json.dumps([asdict(f) for f in files])),
            )
        thread = threading.Thread(
            target=self._run, args=(job_id, items, chosen.folder), daemon=True, name=job_id
        )
        thread.start()
        return self.get(job_id)

    def _run(self, job_id: str, items: list[AnyItem], folder: Path) -> None:
        results: dict[int, FileResult] = {}
        last = 0.0

        def save(state: str = "running", error: str | None = None) -> None:
            with self._lock:
                row = self._conn.execute(
                    "SELECT files FROM downloads WHERE id=?", (job_id,)
                ).fetchone()
            files = json.loads(row[0])
            for index, result in results.items():
                files[index] = asdict(result)
            done = sum(f["done"] for f in files)
            sizes = [f["size"] for f in files]
            total = sum(sizes) if all(s is not None for s in sizes) else None
            with self._lock, transaction(self._conn):
                self._conn.execute(
                    "UPDATE downloads SET updated=?, state=?, done_bytes=?, total_bytes=?,"
                    " files=?, error=? WHERE id=?",
                    (stamp(), state, done, total, json.dumps(files), error, job_id),
                )

        def on_file(index: int, result: FileResult) -> None:
            results[index] = result
            save()

        def progress(index: int, done: int, total: int | None) -> None:
            nonlocal last
            if index in results:
                results[index].done = done
                results[index].size = total
            if time.monotonic() - last > PROGRESS_EVERY:
                last = time.monotonic()
                save()

        try:
            outcome = download(items, folder, on_file=on_file, progress=progress)
        except Exception as exc:  # anything unexpected ends the job with its reason
            save("error", f"{type(exc).__name__}: {exc}")
            return
        failed = [r for r in outcome if r.state == "error"]
        save(
            "error" if failed else "done",
            f"{len(failed)} of {len(outcome)} files failed: {failed[0].error}" if failed else None,
        )

    def get(self, job_id: str) -> dict[str, Any]:
        """One job as the REST API shows it."""
        with self._lock:
            row = self._conn.execute(
                "SELECT id, created, updated, state, folder, done_bytes, total_bytes, files,"
                " error FROM downloads WHERE id=?",
                (job_id,),
            ).fetchone()
        if row is None:
            raise ItemNotFound(job_id)
        return _job(row)

    def list(self) -> list[dict[str, Any]]:
        """Every job, newest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, created, updated, state, folder, done_bytes, total_bytes, files,"
                " error FROM downloads ORDER BY created DESC, rowid DESC LIMIT 100"
            ).fetchall()
        return [_job(row) for row in rows]


def _job(row: Sequence[Any]) -> dict[str, Any]:
    names = ("id", "created", "updated", "state", "folder", "done_bytes", "total_bytes")
    job = dict(zip(names, row[:7], strict=True))
    job["files"] = json.loads(row[7])
    job["error"] = row[8]
    return job


__all__ = ["DownloadJobs"]
