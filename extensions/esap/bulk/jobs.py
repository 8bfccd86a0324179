"""Headless notebook runs: a notebook executed as a batch job with parameters (papermill).

What ESAP's UWS batch jobs did, on the Jupyter stack: ``submit`` records the
job in ``~/.esap/jobs.sqlite`` (SQLite, WAL) before anything runs, then
starts ``python -m esap.bulk.runner <id>`` in a session of its own, so the
run goes on when the lab is closed or the user's server is stopped, and the
record says what became of it. Every run writes next to its notebook, in
``<notebook stem>-runs/<job id>/``: the executed notebook (papermill writes it
after each cell, so a failed run shows where it stopped), ``parameters.json``
and ``run.log`` (cell outputs as they come). A failed cell marks the job
``failed`` with the cell's number and error.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from esap.bulk.errors import BulkError
from esap.data.state import connect, state_dir, transaction

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED = (
    "queued",
    "running",
    "succeeded",
    "failed",
    "cancelled",
)
FINISHED = (SUCCEEDED, FAILED, CANCELLED)
STATES = (QUEUED, RUNNING, *FINISHED)
LOG = logging.getLogger("esap.bulk.jobs")

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    notebook TEXT NOT NULL,
    parameters TEXT NOT NULL,
    state TEXT NOT NULL,
    output_dir TEXT NOT NULL,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    host TEXT,
    pid INTEGER,
    error TEXT
)
"""


class JobError(BulkError):
    """A job cannot be submitted or found: the message says what to change."""


@dataclass(frozen=True)
class Job:
    """One headless run, as recorded."""

    id: str
    notebook: str
    parameters: dict[str, Any]
    state: str
    output_dir: str
    created: float
    started: float | None
    finished: float | None
    host: str | None
    pid: int | None
    error: dict[str, Any] | None

    @property
    def executed_notebook(self) -> Path:
        return Path(self.output_dir) / Path(self.notebook).name

    @property
    def log(self) -> Path:
        return Path(self.output_dir) / "run.log"

    @property
    def parameters_file(self) -> Path:
        return Path(self.output_dir) / "parameters.json"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with the files' paths."""
        return {
            **asdict(self),
            "executed_notebook": str(self.executed_notebook),
            "log": str(self.log),
        }


def parse_parameter(text: str) -> tuple[str, Any]:
    """``name=value`` → (name, value): numbers, booleans and null typed as in YAML."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise JobError(
            f"parameter {text!r} is not name=value with a Python name (e.g. -p threshold=0.5)"
        )
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    if not isinstance(value, (int, float, bool, str, type(None))):
        value = raw  # a date, a list: keep the text the user wrote
    return name, value


def _row(row: sqlite3.Row) -> Job:
    return Job(
        id=row["id"],
        notebook=row["notebook"],
        parameters=json.loads(row["parameters"]),
        state=row["state"],
        output_dir=row["output_dir"],
        created=row["created"],
        started=row["started"],
        finished=row["finished"],
        host=row["host"],
        pid=row["pid"],
        error=json.loads(row["error"]) if row["error"] else None,
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class JobStore:
    """The user's headless runs in ``~/.esap/jobs.sqlite``."""

    def __init__(self, directory: Path | None = None) -> None:
        self.path = (directory or state_dir()) / "jobs.sqlite"
        self.conn = connect(self.path)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute(SCHEMA)

    def close(self) -> None:
        self.conn.close()

    def create(self, notebook: Path, parameters: Mapping[str, Any]) -> Job:
        """Record a queued job and make its output folder next to the notebook."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        job_id = f"{stamp}-{secrets.token_hex(3)}"
        output = notebook.parent / f"{notebook.stem}-runs" / job_id
        output.mkdir(parents=True)
        (output / "parameters.json").write_text(json.dumps(dict(parameters), indent=2) + "\n")
        with transaction(self.conn) as db:
            db.execute(
                "INSERT INTO jobs (id, notebook, parameters, state, output_dir, created)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    job_id,
                    str(notebook),
                    json.dumps(dict(parameters)),
                    QUEUED,
                    str(output),
                    time.time(),
                ),
            )
        return self.get(job_id)

    def get(self, job_id: str) -> Job:
        row = self.conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobError(f"no job {job_id!r}; list the jobs with `esap run --list`")
        return self._settle(_row(row))

    def list(self) -> list[Job]:
        rows = self.conn.execute("SELECT * FROM jobs ORDER BY created DESC").fetchall()
        return [self._settle(_row(row)) for row in rows]

    def update(self, job_id: str, **fields: Any) -> None:
        if "error" in fields and fields["error"] is not None:
            fields["error"] = json.dumps(fields["error"])
        columns = ", ".join(f"{name} = ?" for name in fields)
        with transaction(self.conn) as db:
            db.execute(f"UPDATE jobs SET {columns} WHERE id = ?", (*fields.values(), job_id))  # noqa: S608 - names are ours

    def delete(self, job_id: str) -> None:
        with transaction(self.conn) as db:
            db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))

    def _settle(self, job: Job) -> Job:
        """A job whose process is gone without finishing (server stopped, killed) failed."""
        if job.state not in (QUEUED, RUNNING) or job.pid is None:
            return job
        if job.host != socket.gethostname() or _alive(job.pid):
            return job
        # the runner may have finished between our read and the check
        row = self.conn.execute("SELECT * FROM jobs WHERE id = ?", (job.id,)).fetchone()
        fresh = _row(row)
        if fresh.state in FINISHED:
            return fresh
        error = {
            "ename": "RunStopped",
            "evalue": f"the run's process ({job.pid}) ended before the notebook finished "
            "(the server stopped, or the process was killed); see the log and run it again",
        }
        self.update(job.id, state=FAILED, finished=time.time(), error=error)
        return self.get(job.id)


@contextmanager
def _store(directory: Path | None) -> Iterator[JobStore]:
    store = JobStore(directory)
    try:
        yield store
    finally:
        store.close()


def _notebook(path: Path) -> Path:
    notebook = path.expanduser().resolve()
    if notebook.suffix != ".ipynb":
        raise JobError(f"{path} is not a notebook (.ipynb); give the path of one")
    if not notebook.is_file():
        raise JobError(f"no notebook at {path}; check the path (relative to {Path.cwd()})")
    return notebook


def submit(
    notebook: Path,
    parameters: Mapping[str, Any] | None = None,
    *,
    state: Path | None = None,
    wait: bool = False,
) -> Job:
    """Record a run of ``notebook`` and start it in its own session; return the job.

    With ``wait`` the call returns once the run has finished (``esap run``
    without ``--detach``); the run is the same either way.
    """
    path = _notebook(notebook)
    with _store(state) as store:
        job = store.create(path, parameters or {})
        env = dict(os.environ)
        if state is not None:
            env["ESAP_STATE_DIR"] = str(state)
        with job.log.open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "esap.bulk.runner", job.id],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=path.parent,
                env=env,
                start_new_session=True,
            )
        store.update(job.id, pid=process.pid, host=socket.gethostname())
        if wait:
            process.wait()
        return store.get(job.id)


def cancel(job_id: str, *, state: Path | None = None) -> Job:
    """Stop a queued or running job (its whole session); a finished job is left as it is."""
    with _store(state) as store:
        job = store.get(job_id)
        if job.state in FINISHED:
            return job
        if job.pid is not None and job.host == socket.gethostname():
            with suppress(ProcessLookupError):
                os.killpg(job.pid, signal.SIGTERM)
        store.update(job_id, state=CANCELLED, finished=time.time())
        return store.get(job_id)


def run_job(job_id: str, *, state: Path | None = None) -> Job:
    """Execute a recorded job here and now (what ``esap.bulk.runner`` calls)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    with _store(state) as store:
        job = store.get(job_id)
        store.update(job_id, state=RUNNING, started=time.time())
        LOG.info("job %s: running %s with %s", job_id, job.notebook, job.parameters)
        try:
            papermill.execute_notebook(
                job.notebook,
                str(job.executed_notebook),
                parameters=job.parameters,
                log_output=True,
                progress_bar=False,
                cwd=str(Path(job.notebook).parent),
            )
        except PapermillExecutionError as exc:
            error = {
                "ename": exc.ename,
                "evalue": exc.evalue,
                "cell": exc.exec_count,
                "cell_index": exc.cell_index,
            }
            LOG.error(
                "job %s failed in cell %s: %s: %s", job_id, exc.exec_count, exc.ename, exc.evalue
            )
            store.update(job_id, state=FAILED, finished=time.time(), error=error)
        except Exception as exc:
            LOG.exception("job %s could not run", job_id)
            error = {"ename": type(exc).__name__, "evalue": str(exc)}
            store.update(job_id, state=FAILED, finished=time.time(), error=error)
        else:
            LOG.info("job %s succeeded: %s", job_id, job.executed_notebook)
            store.update(job_id, state=SUCCEEDED, finished=time.time())
        return store.get(job_id)
