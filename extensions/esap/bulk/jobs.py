"""Headless notebook runs: a notebook run as a batch job with parameters (papermill), kind ``run``.

What ESAP's UWS batch jobs did, on the Jupyter stack: ``submit`` records a
job of kind ``run`` in the one job store (``esap.core.jobs``) before anything
runs, then starts ``python -m esap.bulk.runner <id>`` in a session of its
own and hands it the job's owner lock, so the run goes on when the lab is
closed or the user's server is stopped, and a run whose process ended before
its notebook did is found and marked failed (it is not resumed: its
kernel's state went with it). Every run writes next to its notebook, in
``<notebook stem>-runs/<job id>/``: the executed notebook (papermill writes it
after each cell, so a failed run shows where it stopped), ``parameters.json``
and ``run.log`` (cell outputs as they come). A failed cell ends the job with
the cell's number and error.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from esap.bulk.errors import BulkError
from esap.core.clock import stamp
from esap.core.errors import FieldError
from esap.core.jobs import Job, JobFailed, JobStore
from esap.core.runner import JobContext, Kind, run_here
from esap.core.state import STATE_ENV

KIND = "run"
LOG = logging.getLogger("esap.bulk.jobs")


class JobError(BulkError):
    """A job cannot be submitted or found: the message says what to change."""

    code = "bad_job"


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


def store(state: Path | None = None) -> JobStore:
    """The job store (in the state folder ``state``, else the user's), older runs moved in."""
    jobs = JobStore(state / "jobs.db" if state is not None else None)
    adopt_legacy(jobs, jobs.path.with_name("jobs.sqlite"))
    return jobs


def _legacy(row: tuple[Any, ...]) -> Job:
    """A run as an older ESAP recorded it (``jobs.sqlite``), as a job."""
    job_id, notebook, parameters, state, output, created, started, finished, host, pid, error = row

    def when(stamp: float | None) -> str | None:
        return None if stamp is None else datetime.fromtimestamp(stamp, UTC).isoformat()

    failed = json.loads(error) if error else None
    cell = failed if failed and failed.get("cell") else None
    states = {"queued": "pending", "succeeded": "done", "failed": "error"}
    return Job(
        kind=KIND,
        id=job_id,
        state=states.get(state, state),
        params={"notebook": notebook, "parameters": json.loads(parameters)},
        result={
            "output_dir": output,
            "executed_notebook": str(Path(output) / Path(notebook).name),
            "log": str(Path(output) / "run.log"),
            "host": host,
            "pid": pid,
            "started": when(started),
            "finished": when(finished),
            "cell": cell,
        },
        error={
            "code": "cell_failed" if cell else "run_failed",
            "message": f"{failed.get('ename')}: {failed.get('evalue')}",
            "fix": "see the executed notebook and the log, correct it and run again",
        }
        if failed
        else None,
        done=0,
        total=None,
        message="",
        created=str(when(created)),
        updated=str(when(finished or started or created)),
    )


def adopt_legacy(jobs: JobStore, path: Path) -> None:
    """Move the runs an older ESAP kept in ``jobs.sqlite`` into the job store (once)."""
    jobs.adopt_table(
        path,
        "id, notebook, parameters, state, output_dir, created, started, finished, host, pid, error",
        _legacy,
    )


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
    kernel: str | None = None,
    kernels: Path | None = None,
) -> Job:
    """Record a run of ``notebook`` and start it in its own session; return the job.

    With ``wait`` the call returns once the run has finished (``esap run``
    without ``--detach``); the run is the same either way. ``kernel`` names
    the kernelspec to run it with (default: the notebook's own), looked up
    in ``kernels`` too when given (a folder with ``kernels/<name>/kernel.json``,
    put on the run's ``JUPYTER_PATH``): a reproduction runs the notebook in
    the environment it rebuilt, with the same runner as ``esap run``.
    """
    values = dict(parameters or {})
    wrong = [str(name) for name in values if not str(name).isidentifier()]
    if wrong:  # they become assignments in the notebook's parameters cell
        raise FieldError(
            "parameters",
            f"{', '.join(map(repr, wrong))}: not Python names",
            'name each parameter as in the notebook, e.g. {"threshold": 0.5}',
        )
    path = _notebook(notebook)
    job_id = f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}"
    output = path.parent / f"{path.stem}-runs" / job_id
    output.mkdir(parents=True)
    (output / "parameters.json").write_text(json.dumps(values, indent=2) + "\n")
    result = {
        "output_dir": str(output),
        "executed_notebook": str(output / path.name),
        "log": str(output / "run.log"),
        "host": socket.gethostname(),
        "pid": None,
        "started": None,
        "finished": None,
        "cell": None,
    }
    jobs = store(state)
    owner = jobs.owner()  # held by the run's process from here on
    try:
        params: dict[str, Any] = {"notebook": str(path), "parameters": values}
        if kernel:
            params["kernel"] = kernel
        job = jobs.create(
            KIND,
            params,
            job_id=job_id,
            owner=owner.token,
            result=result,
        )
        env = dict(os.environ)
        if state is not None:
            env[STATE_ENV] = str(state)
        if kernels is not None:
            env["JUPYTER_PATH"] = os.pathsep.join(
                part for part in (str(kernels), env.get("JUPYTER_PATH", "")) if part
            )
        with (output / "run.log").open("ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "esap.bulk.runner", job.id],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=path.parent,
                env=env,
                start_new_session=True,
                pass_fds=(owner.fd,),
            )
    finally:
        owner.close()
    jobs.update(KIND, job.id, only_if=("pending",), result={**result, "pid": process.pid})
    if wait:
        process.wait()
    return jobs.get(KIND, job.id)


def work(job: JobContext) -> dict[str, Any]:
    """Execute the notebook with papermill, in this process (``esap.bulk.runner``)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    notebook, parameters = job.params["notebook"], job.params["parameters"]
    result = {**job.result, "pid": os.getpid(), "started": stamp()}
    job.report(message="running", result=result, now=True)
    LOG.info("job %s: running %s with %s", job.id, notebook, parameters)
    try:
        papermill.execute_notebook(
            notebook,
            result["executed_notebook"],
            parameters=parameters,
            kernel_name=job.params.get("kernel"),
            log_output=True,
            progress_bar=False,
            cwd=str(Path(notebook).parent),
        )
    except PapermillExecutionError as exc:
        LOG.error("job %s failed in cell %s: %s: %s", job.id, exc.exec_count, exc.ename, exc.evalue)
        cell = {
            "ename": exc.ename,
            "evalue": exc.evalue,
            "cell": exc.exec_count,
            "cell_index": exc.cell_index,
        }
        raise JobFailed(
            "cell_failed",
            f"{exc.ename}: {exc.evalue}",
            f"see cell [{exc.exec_count}] of the executed notebook, correct it and run again",
            result={**result, "finished": stamp(), "cell": cell},
        ) from exc
    except Exception as exc:
        LOG.exception("job %s could not run", job.id)
        raise JobFailed(
            "run_failed",
            f"{type(exc).__name__}: {exc}",
            "see the run's log, correct it and run again",
            result={**result, "finished": stamp()},
        ) from exc
    LOG.info("job %s succeeded: %s", job.id, result["executed_notebook"])
    return {**result, "finished": stamp()}


def cancel(job: Job) -> None:
    """Stop the run's whole session (its kernel with it), on this machine."""
    result = job.result or {}
    if result.get("pid") and result.get("host") == socket.gethostname():
        with suppress(ProcessLookupError):
            os.killpg(int(result["pid"]), signal.SIGTERM)


def interrupted(job: Job) -> JobFailed:
    """A run whose process ended before its notebook did (the server stopped, or it was killed)."""
    pid = (job.result or {}).get("pid")
    return JobFailed(
        "interrupted",
        f"the run's process{f' ({pid})' if pid else ''} ended before the notebook finished "
        "(the server stopped, or the process was killed)",
        "see the log and run it again",
        result={**(job.result or {}), "finished": stamp()},
    )


def kind() -> Kind:
    """The ``run`` kind: started by :func:`submit`, run by :func:`run_job` in its own process."""
    return Kind(KIND, work, interrupted=interrupted, cancel=cancel)


def run_job(job_id: str, *, state: Path | None = None) -> Job:
    """Execute a recorded job here and now (what ``esap.bulk.runner`` calls)."""
    jobs = store(state)
    try:
        return run_here(jobs, kind(), jobs.get(KIND, job_id))
    finally:
        jobs.close()


__all__ = ["KIND", "JobError", "cancel", "kind", "parse_parameter", "run_job", "store", "submit"]
