"""One job store: every long task a user starts is a row of one table in ``~/.esap/jobs.db``.

A download, an "Open in my lab" launch, an asynchronous TAP query, a
publication run and a headless notebook run are all *jobs*: a row with its
kind, what was asked (``params``), its state, its progress, what it has
produced so far (``result``, the kind's own document) and, when it failed,
why (``error``: code, message, fix, field). The row is written as the job
goes, so every process (the lab's server, the command line, a notebook)
reads the same state, and the state survives a restart (SQLite in WAL mode,
one transaction per change, in the home that moves with the user).

Who runs a job is its *owner*: a lock file held by the process running it
(:class:`Owner`). A job still pending or running whose owner's lock is free
was cut off — the server stopped, the process was killed — and the runner
(:mod:`esap.core.runner`) resumes it or ends it with an error saying so. A
lock, not a process id, because process ids are reused: in a container the
next server often gets the same one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from esap.core.clock import stamp
from esap.core.db import connect, transaction
from esap.core.errors import Conflict, EsapError, NotFound
from esap.core.state import state_dir

PENDING, RUNNING, DONE, ERROR, CANCELLED = "pending", "running", "done", "error", "cancelled"
#: A job in these states may still change; the others are final.
ACTIVE = (PENDING, RUNNING)
STATES = (*ACTIVE, DONE, ERROR, CANCELLED)

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    key TEXT,
    owner TEXT,
    state TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER,
    message TEXT NOT NULL DEFAULT '',
    params TEXT NOT NULL,
    result TEXT,
    error TEXT,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    PRIMARY KEY (kind, id)
)
"""

#: The columns a change may set (``params``, ``created`` and the key never change).
_CHANGEABLE = ("state", "owner", "done", "total", "message", "result", "error")
_JSON = ("params", "result", "error")
_ANY = object()


class JobNotFound(NotFound):
    """No job of this kind has this id (or it was forgotten)."""

    def __init__(self, kind: str, job_id: str) -> None:
        super().__init__(f"no {kind} job {job_id!r}", f"list them with GET jobs/{kind}")


class JobBusy(Conflict):
    """A job of the same kind is still running on the same thing (``job`` is that one)."""

    code = "busy"

    def __init__(self, job: Job, message: str = "", fix: str = "") -> None:
        super().__init__(
            message or f"{job.kind} job {job.id} is still running on {job.key or job.id}",
            fix or f"wait for it to finish, or cancel it with DELETE jobs/{job.kind}/{job.id}",
        )
        self.job = job


class JobFailed(EsapError):
    """What a job's work raises to end it with an error of its own words (and its result so far)."""

    def __init__(
        self,
        code: str,
        message: str,
        fix: str = "",
        *,
        field: str | None = None,
        result: Any = None,
    ) -> None:
        super().__init__(message, fix, field=field)
        self.code = code
        self.result = result

    def as_error(self) -> dict[str, str]:
        """The job's ``error`` as stored and answered."""
        error = {"code": self.code, "message": self.message, "fix": self.fix}
        if self.field:
            error["field"] = self.field
        return error


def error_of(exc: BaseException) -> dict[str, str]:
    """The ``error`` of a job whose work raised ``exc``: its own words when it has them."""
    if isinstance(exc, JobFailed):
        return exc.as_error()
    if isinstance(exc, EsapError):
        return JobFailed(exc.code, exc.message, exc.fix, field=exc.field).as_error()
    return {
        "code": "failed",
        "message": f"{type(exc).__name__}: {exc}",
        "fix": "retry; if it fails again, report it with this message",
    }


@dataclass(frozen=True)
class Job:
    """One job as stored."""

    kind: str
    id: str
    state: str
    params: dict[str, Any]
    result: Any
    error: dict[str, str] | None
    done: int
    total: int | None
    message: str
    created: str
    updated: str
    key: str | None = None
    owner: str | None = None

    @property
    def active(self) -> bool:
        """Whether it may still change (pending or running)."""
        return self.state in ACTIVE

    def as_dict(self) -> dict[str, Any]:
        """The one job model every face answers (the REST API's ``Job``)."""
        return {
            "kind": self.kind,
            "id": self.id,
            "state": self.state,
            "progress": {"done": self.done, "total": self.total, "message": self.message},
            "params": self.params,
            "result": self.result,
            "error": self.error,
            "created": self.created,
            "updated": self.updated,
        }


def _job(row: Any) -> Job:
    kind, job_id, key, owner, state, done, total, message, params, result, error = row[:11]
    return Job(
        kind=kind,
        id=job_id,
        state=state,
        params=json.loads(params),
        result=None if result is None else json.loads(result),
        error=None if error is None else json.loads(error),
        done=done,
        total=total,
        message=message,
        created=row[11],
        updated=row[12],
        key=key,
        owner=owner,
    )


_COLUMNS = (
    "kind, id, key, owner, state, done, total, message, params, result, error, created, updated"
)


class Owner:
    """The lock a process holds while it runs jobs: free again the moment the process ends.

    The file is made under a temporary name, locked, then renamed, so no
    other process ever sees it unlocked while its owner lives. A process
    that starts another to run a job (a headless run) makes an ``Owner``
    for it and hands the locked descriptor down (``pass_fds``): the lock
    then lasts as long as that process.
    """

    def __init__(self, directory: Path) -> None:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.token = secrets.token_hex(8)
        fresh = directory / f"{self.token}.new"
        self.fd = os.open(fresh, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fresh.rename(directory / f"{self.token}.lock")
        _HELD.add(self.token)

    def close(self) -> None:
        """Let go of this process's hold (a process it handed the lock to keeps it)."""
        _HELD.discard(self.token)
        os.close(self.fd)


#: The owners this process holds. A process never tests its own lock: on a
#: home over NFS ``flock`` is a POSIX lock, which a process's own test would
#: take and, closing the file, release.
_HELD: set[str] = set()


def alive(directory: Path, token: str | None) -> bool:
    """Whether the owner ``token`` still holds its lock; a dead owner's file is removed."""
    if not token:
        return False
    if token in _HELD:
        return True
    path = directory / f"{token}.lock"
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    path.unlink(missing_ok=True)
    return False


class JobStore:
    """The jobs of one user (one SQLite file in the state folder), safe to share between threads."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or state_dir() / "jobs.db"
        #: Where the owners' lock files are.
        self.owners = self.path.with_name(f"{self.path.stem}-owners")
        self._conn = connect(self.path)
        self._lock = threading.Lock()
        with self._write() as conn:
            conn.execute(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[Any]:
        with self._lock, transaction(self._conn) as conn:
            yield conn

    def _one(self, kind: str, job_id: str) -> Job | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_COLUMNS} FROM jobs WHERE kind = ? AND id = ?",  # noqa: S608 - our columns
                (kind, job_id),
            ).fetchone()
        return None if row is None else _job(row)

    def create(
        self,
        kind: str,
        params: dict[str, Any],
        *,
        job_id: str | None = None,
        key: str | None = None,
        owner: str | None = None,
        result: Any = None,
    ) -> Job:
        """Record a pending job; :class:`JobBusy` while one of its kind runs on ``key``/``job_id``.

        ``job_id`` names a job that may run again (a publication's runs):
        a finished one is replaced, an active one refused.
        """
        job_id = job_id or secrets.token_hex(16)
        now = stamp()
        with self._write() as conn:
            clash = conn.execute(
                f"SELECT {_COLUMNS} FROM jobs WHERE kind = ? AND state IN (?, ?)"  # noqa: S608
                " AND (id = ? OR (? IS NOT NULL AND key = ?))",
                (kind, *ACTIVE, job_id, key, key),
            ).fetchone()
            if clash is not None:
                raise JobBusy(_job(clash))
            conn.execute("DELETE FROM jobs WHERE kind = ? AND id = ?", (kind, job_id))
            conn.execute(
                "INSERT INTO jobs (kind, id, key, owner, state, params, result, created, updated)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    kind,
                    job_id,
                    key,
                    owner,
                    PENDING,
                    json.dumps(params),
                    None if result is None else json.dumps(result),
                    now,
                    now,
                ),
            )
        return self.get(kind, job_id)

    def get(self, kind: str, job_id: str) -> Job:
        """One job; :class:`JobNotFound` if there is none."""
        job = self._one(kind, job_id)
        if job is None:
            raise JobNotFound(kind, job_id)
        return job

    def active(self) -> list[Job]:
        """Every pending or running job, of every kind."""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM jobs WHERE state IN (?, ?)",  # noqa: S608 - our columns
                ACTIVE,
            ).fetchall()
        return [_job(row) for row in rows]

    def list(self, kind: str | None = None, *, limit: int = 200) -> list[Job]:
        """The newest jobs first (of one kind, or all); ties in time broken by insertion order."""
        where, args = ("WHERE kind = ?", (kind,)) if kind else ("", ())
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM jobs {where}"  # noqa: S608 - our columns
                " ORDER BY created DESC, rowid DESC LIMIT ?",
                (*args, limit),
            ).fetchall()
        return [_job(row) for row in rows]

    def update(
        self,
        kind: str,
        job_id: str,
        *,
        only_if: tuple[str, ...] | None = None,
        owner_was: object = _ANY,
        **changes: Any,
    ) -> bool:
        """Change a job in one transaction; whether it changed.

        ``only_if`` lists the states the job must be in (a finished job is
        never changed by a late write); ``owner_was`` the owner it must have
        (two processes taking over one job: only one does).
        """
        unknown = set(changes) - set(_CHANGEABLE)
        if unknown:
            raise ValueError(f"cannot change {sorted(unknown)}")
        sets = [f"{name} = ?" for name in changes]
        values = [json.dumps(v) if n in _JSON and v is not None else v for n, v in changes.items()]
        where = "kind = ? AND id = ?"
        args: list[Any] = [kind, job_id]
        if only_if:
            where += f" AND state IN ({', '.join('?' * len(only_if))})"
            args += only_if
        if owner_was is not _ANY:
            where += " AND owner IS ?"
            args.append(owner_was)
        with self._write() as conn:
            cursor = conn.execute(
                f"UPDATE jobs SET {', '.join([*sets, 'updated = ?'])} WHERE {where}",  # noqa: S608 - names checked above
                [*values, stamp(), *args],
            )
            return bool(cursor.rowcount == 1)

    def adopt_table(
        self, path: Path, columns: str, convert: Callable[[tuple[Any, ...]], Job]
    ) -> None:
        """Move the ``jobs`` table an older ESAP kept in ``path`` into this store, once.

        ``columns`` are read in that order and each row is made a :class:`Job`
        by ``convert``; the old table is dropped in the same transaction, so a
        crash leaves either both or neither.
        """
        if not path.exists():
            return
        old = connect(path)
        try:
            with transaction(old) as db:
                if not db.execute("SELECT 1 FROM sqlite_master WHERE name = 'jobs'").fetchone():
                    return
                rows = db.execute(f"SELECT {columns} FROM jobs").fetchall()  # noqa: S608 - our names
                self.adopt(convert(tuple(row)) for row in rows)
                db.execute("DROP TABLE jobs")
        finally:
            old.close()

    def adopt(self, jobs: Iterable[Job]) -> None:
        """Take in jobs as they are (an older ESAP's records, moved here once); known ids stay."""
        with self._write() as conn:
            conn.executemany(
                f"INSERT OR IGNORE INTO jobs ({_COLUMNS}) VALUES ({', '.join('?' * 13)})",  # noqa: S608
                [
                    (
                        job.kind,
                        job.id,
                        job.key,
                        job.owner,
                        job.state,
                        job.done,
                        job.total,
                        job.message,
                        json.dumps(job.params),
                        None if job.result is None else json.dumps(job.result),
                        None if job.error is None else json.dumps(job.error),
                        job.created,
                        job.updated,
                    )
                    for job in jobs
                ],
            )

    def delete(self, kind: str, job_id: str) -> None:
        """Forget a job (what it made stays where it is)."""
        with self._write() as conn:
            conn.execute("DELETE FROM jobs WHERE kind = ? AND id = ?", (kind, job_id))

    def owner(self) -> Owner:
        """A new owner lock, for this process or one it starts."""
        return Owner(self.owners)

    def alive(self, token: str | None) -> bool:
        """Whether the owner ``token`` still runs (see :func:`alive`)."""
        return alive(self.owners, token)

    def sweep(self) -> None:
        """Remove the lock files of owners that have ended."""
        for path in self.owners.glob("*.lock") if self.owners.exists() else ():
            self.alive(path.stem)


__all__ = [
    "ACTIVE",
    "CANCELLED",
    "DONE",
    "ERROR",
    "PENDING",
    "RUNNING",
    "STATES",
    "Job",
    "JobBusy",
    "JobFailed",
    "JobNotFound",
    "JobStore",
    "Owner",
    "alive",
    "error_of",
]
