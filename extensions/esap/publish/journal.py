"""The publication journal in ``~/.esap/publish.sqlite`` (SQLite, WAL), written before each step.

Publishing talks to an archive over a network that can fail at any moment,
including after the archive acted but before its answer arrived. So the
engine writes what it is *about to do* here, commits, and only then calls
the archive; after the call it writes what the archive answered. A retry
reads the journal and knows, for every step, whether it may have happened:
it then asks the archive (find the draft by its marker, look at the draft's
files and state) instead of doing the step again. That is what makes "never
a second record" hold, and every publication that did not reach
``published`` stays listed with its step and error, so none is left in
draft without the user being told.

SQLite in WAL mode with one transaction per step: the journal survives a
killed kernel, a culled server and a respawn (it lives in the home).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from esap.core.errors import Conflict

SCHEMA = """
CREATE TABLE IF NOT EXISTS publications (
    id TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    archive TEXT NOT NULL,
    state TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    title TEXT NOT NULL,
    metadata TEXT NOT NULL,
    files TEXT NOT NULL,
    inputs TEXT NOT NULL DEFAULT '[]',
    notebook TEXT,
    version_of TEXT,
    draft TEXT,
    record TEXT,
    crate TEXT,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS publications_key ON publications (key);
CREATE TABLE IF NOT EXISTS uploads (
    publication TEXT NOT NULL REFERENCES publications (id),
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    md5 TEXT,
    sha256 TEXT,
    PRIMARY KEY (publication, name)
);
"""

#: The steps of a publication, in order. ``*_requested`` means "about to ask
#: the archive; it may or may not have acted".
STATES = (
    "prepared",
    "draft_requested",
    "draft",
    "uploaded",
    "metadata_set",
    "publish_requested",
    "published",
)

#: What a person reads for each state.
STATE_TEXT = {
    "prepared": "not started",
    "draft_requested": "creating the draft",
    "draft": "uploading files",
    "uploaded": "setting metadata",
    "metadata_set": "publishing",
    "publish_requested": "publishing",
    "published": "published",
}


class JournalBusyError(Conflict):
    """Another process is running this publication right now."""

    code = "busy"
    fix = "wait for the other run to finish"


@dataclass
class Entry:
    """One publication as the journal holds it."""

    id: str
    key: str
    archive: str
    state: str
    created: float
    updated: float
    title: str
    metadata: dict[str, Any]
    files: list[dict[str, Any]]
    inputs: list[dict[str, Any]] = field(default_factory=list)
    notebook: str | None = None
    version_of: str | None = None
    draft: dict[str, Any] | None = None
    record: dict[str, Any] | None = None
    crate: dict[str, Any] | None = None
    error: str | None = None
    attempts: int = 0

    @property
    def marker(self) -> str:
        """The text put in a new draft so a retry can find it at the archive."""
        return f"esap-publication:{self.id}"

    @property
    def published(self) -> bool:
        return self.state == "published"


def _row_to_entry(row: sqlite3.Row) -> Entry:
    def load(name: str) -> Any:
        value = row[name]
        return None if value is None else json.loads(value)

    return Entry(
        id=row["id"],
        key=row["key"],
        archive=row["archive"],
        state=row["state"],
        created=row["created"],
        updated=row["updated"],
        title=row["title"],
        metadata=load("metadata"),
        files=load("files"),
        inputs=load("inputs") or [],
        notebook=row["notebook"],
        version_of=row["version_of"],
        draft=load("draft"),
        record=load("record"),
        crate=load("crate"),
        error=row["error"],
        attempts=row["attempts"],
    )


class Journal:
    """The journal of one user's publications (one SQLite file in their state folder)."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.path = state_dir / "publish.sqlite"
        state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        # one connection per journal, kept open: opening and closing (which
        # checkpoints the WAL) for every step would cost more than the step
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            self.path, timeout=30, isolation_level=None, check_same_thread=False
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed "about to ask the archive" survives a power cut too
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextlib.contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._db

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def staging_dir(self, publication: str) -> Path:
        """A folder for the files the engine makes (RO-Crate, environment lock)."""
        path = self.state_dir / "publish" / publication
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        return path

    def create(
        self,
        *,
        key: str,
        archive: str,
        title: str,
        metadata: dict[str, Any],
        files: list[dict[str, Any]],
        inputs: list[dict[str, Any]],
        notebook: str | None,
        version_of: str | None,
    ) -> Entry:
        """Record a new publication in state ``prepared`` and return it."""
        now = time.time()
        publication = uuid.uuid4().hex
        with self._transaction() as db:
            db.execute(
                "INSERT INTO publications (id, key, archive, state, created, updated, title, "
                "metadata, files, inputs, notebook, version_of) "
                "VALUES (?, ?, ?, 'prepared', ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    publication,
                    key,
                    archive,
                    now,
                    now,
                    title,
                    json.dumps(metadata),
                    json.dumps(files),
                    json.dumps(inputs),
                    notebook,
                    version_of,
                ),
            )
        return self.get(publication)

    def get(self, publication: str) -> Entry:
        """The entry ``publication``; ``KeyError`` if there is none."""
        with self._reading() as db:
            row = db.execute("SELECT * FROM publications WHERE id = ?", (publication,)).fetchone()
        if row is None:
            raise KeyError(publication)
        return _row_to_entry(row)

    def find_by_key(self, key: str) -> Entry | None:
        """The latest publication of exactly this content to this archive, if any."""
        with self._reading() as db:
            row = db.execute(
                "SELECT * FROM publications WHERE key = ? ORDER BY created DESC LIMIT 1", (key,)
            ).fetchone()
        return None if row is None else _row_to_entry(row)

    def entries(self) -> list[Entry]:
        """Every publication, newest first."""
        with self._reading() as db:
            rows = db.execute("SELECT * FROM publications ORDER BY created DESC").fetchall()
        return [_row_to_entry(row) for row in rows]

    def update(self, publication: str, **values: Any) -> Entry:
        """Set columns of one entry in one committed transaction (JSON columns take objects)."""
        json_columns = {"metadata", "files", "inputs", "draft", "record", "crate"}
        columns = []
        params: list[Any] = []
        for column, value in values.items():
            if column not in Entry.__dataclass_fields__ or column in {"id", "created"}:
                raise ValueError(f"not a journal column: {column}")
            columns.append(f"{column} = ?")
            params.append(json.dumps(value) if column in json_columns else value)
        columns.append("updated = ?")
        params.append(time.time())
        params.append(publication)
        with self._transaction() as db:
            cursor = db.execute(
                f"UPDATE publications SET {', '.join(columns)} WHERE id = ?",  # noqa: S608 - names checked above
                params,
            )
            if cursor.rowcount != 1:
                raise KeyError(publication)
        return self.get(publication)

    def uploads(self, publication: str) -> dict[str, dict[str, Any]]:
        """``{name: {state, md5, sha256}}`` of the files the engine sent or began to send."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT name, state, md5, sha256 FROM uploads WHERE publication = ?",
                (publication,),
            ).fetchall()
        return {
            row["name"]: {"state": row["state"], "md5": row["md5"], "sha256": row["sha256"]}
            for row in rows
        }

    def mark_upload(
        self,
        publication: str,
        name: str,
        state: str,
        md5: str | None = None,
        sha256: str | None = None,
    ) -> None:
        """Record that ``name`` is about to be sent (``sending``) or was verified (``done``)."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO uploads (publication, name, state, md5, sha256) VALUES (?,?,?,?,?) "
                "ON CONFLICT (publication, name) DO UPDATE SET state = excluded.state, "
                "md5 = excluded.md5, sha256 = excluded.sha256",
                (publication, name, state, md5, sha256),
            )

    @contextlib.contextmanager
    def running(self, publication: str) -> Iterator[None]:
        """Hold the publication's lock: one process at a time drives it (kernel, server, CLI)."""
        lock_path = self.staging_dir(publication) / ".lock"
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise JournalBusyError(
                    f"publication {publication} is being published by another process "
                    "(a notebook, the lab or the command line)"
                ) from None
            yield
        finally:
            os.close(fd)


__all__ = ["STATES", "STATE_TEXT", "Entry", "Journal", "JournalBusyError"]
