"""Asynchronous TAP jobs (UWS) run by the one job runner (``esap.core.runner``), kind ``query``.

The remote job is pyvo's ``AsyncTAPJob``; what ESAP keeps is a job of kind
``query`` whose result holds the remote job's URL and last known phase, so
the job list survives closing the lab and respawning the server. The work
asks the service for the phase, sooner at first and then less often, and
when it sees COMPLETED fetches the result once into the result cache (and
again if the cache dropped it while the service still has it). A query the
server was stopped in the middle of is resumed: the remote job ran on.
A notebook submits through :func:`record` and follows with :func:`refresh`;
the user's server follows the same job when it next looks.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from esap.core.jobs import ACTIVE, CANCELLED, DONE, ERROR, RUNNING, Job, JobFailed, JobStore
from esap.core.runner import JobContext, Kind, Runner
from esap.core.state import state_dir
from esap.data.base import SubmitsJobs, request_timeout
from esap.data.catalog import Catalog
from esap.data.failures import failure
from esap.data.request import BadField
from esap.data.results import ResultStore, columns_of

KIND = "query"
FINAL = ("COMPLETED", "ERROR", "ABORTED")
PHASES = ("PENDING", "QUEUED", "EXECUTING", "COMPLETED", "ERROR", "ABORTED")
#: Seconds before the first look at a remote job, and the longest wait between two.
FIRST_LOOK, LONGEST_WAIT = 1.0, 30.0
#: Seconds one look (the phase, or the rows once completed) may take.
LOOK_TIMEOUT = 60.0


def tap_adapter(catalog: Catalog, service: Any) -> Any:
    if not isinstance(service, str) or service not in catalog.names():
        raise BadField(
            "service", service, "unknown service", f"name one of: {', '.join(catalog.names())}"
        )
    adapter = catalog.adapter(service)
    if not isinstance(adapter, SubmitsJobs):
        raise BadField("service", service, "does not run asynchronous jobs", "name a TAP service")
    return adapter


def check_adql(query: Any) -> str:
    """The ADQL text of a request, or :class:`BadField` for ``query``."""
    if not isinstance(query, str) or not query.strip():
        raise BadField(
            "query", query, "empty", "write an ADQL query, e.g. SELECT TOP 10 * FROM ivoa.obscore"
        )
    return query.strip()


def check_maxrec(maxrec: Any) -> int | None:
    """``maxrec`` as a positive int or None."""
    if maxrec is None:
        return None
    if isinstance(maxrec, bool) or not isinstance(maxrec, int) or maxrec < 1:
        raise BadField(
            "maxrec", maxrec, "not a positive whole number", "give e.g. 10000, or leave it out"
        )
    return maxrec


def submit(
    catalog: Catalog, service: Any, query: Any, maxrec: Any = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Create and start the remote job on ``service``; the job's params and first result.

    Bad input is a :class:`BadField`; the service's refusal or failure,
    within its timeout, the error of :func:`esap.data.failures.failure`.
    """
    adapter = tap_adapter(catalog, service)
    adql = check_adql(query)
    limit = check_maxrec(maxrec)
    entry = adapter.entry
    try:
        with request_timeout(entry.timeout):
            url = adapter.submit_job(adql, limit)
    except Exception as exc:
        raise failure(exc, entry.name, entry.url, entry.timeout) from None
    params = {"service": adapter.name, "query": adql, "maxrec": limit}
    return params, {"phase": "QUEUED", "job_url": url, "result_id": None}


def start(runner: Runner, catalog: Catalog, service: Any, query: Any, maxrec: Any = None) -> Job:
    """Submit the remote job and follow it on the runner (the user's server)."""
    params, result = submit(catalog, service, query, maxrec)
    return runner.start(KIND, params, result=result)


def record(store: JobStore, catalog: Catalog, service: Any, query: Any, maxrec: Any = None) -> Job:
    """Submit the remote job and record it (a notebook): :func:`refresh` follows it."""
    params, result = submit(catalog, service, query, maxrec)
    return store.create(KIND, params, result=result)


def phase(job: Job) -> str:
    """The job's UWS phase (PENDING ... ABORTED), as ESAP last saw it."""
    ended = {DONE: "COMPLETED", ERROR: "ERROR", CANCELLED: "ABORTED"}
    return ended.get(job.state) or str((job.result or {}).get("phase") or "QUEUED")


def _remote(catalog: Catalog, params: dict[str, Any], result: dict[str, Any]) -> Any:
    from pyvo.dal import AsyncTAPJob

    adapter = catalog.adapter(params["service"])
    return AsyncTAPJob(result["job_url"], session=adapter.session, delete=False)


def look(
    catalog: Catalog, results: ResultStore, params: dict[str, Any], result: dict[str, Any]
) -> tuple[str, dict[str, Any], str]:
    """Ask the service once: the job's state, result and message now (rows fetched once completed).

    A service that does not answer leaves the job running, with the problem
    in ``result["problem"]``: the next look may reach it.
    """
    from pyvo.dal import DALServiceError

    result = {**result, "problem": None}
    try:
        remote = _remote(catalog, params, result)
        seen = str(remote.phase)
    except (DALServiceError, KeyError, OSError) as exc:
        return RUNNING, {**result, "problem": f"cannot reach the job: {exc}"}, result["phase"]
    if seen == "ERROR":
        message = None
        try:
            remote.raise_if_error()
        except Exception as exc:
            message = str(exc)
        return ERROR, {**result, "phase": seen}, message or "the service reports ERROR"
    if seen == "ABORTED":
        return CANCELLED, {**result, "phase": seen}, "aborted at the service"
    if seen != "COMPLETED":
        return RUNNING, {**result, "phase": seen if seen in PHASES else result["phase"]}, seen
    adapter = catalog.adapter(params["service"])
    try:
        table = remote.fetch_result().to_table()
    except (DALServiceError, OSError) as exc:
        return RUNNING, {**result, "problem": f"cannot fetch the rows yet: {exc}"}, seen
    stored = results.put(params["service"], table, columns_of(table, adapter.roles(table)))
    return DONE, {**result, "phase": seen, "result_id": stored.id}, seen


def _failure(message: str, result: dict[str, Any]) -> JobFailed:
    return JobFailed(
        "service_error",
        message,
        "correct the query, or ask the service's operators if it looks right",
        result=result,
    )


def refresh(catalog: Catalog, store: JobStore, results: ResultStore, job_id: str) -> Job:
    """Look at the job once, now (a notebook); a completed job whose rows went is fetched again."""
    job = store.get(KIND, job_id)
    fetched = job.state == DONE and results.exists(str((job.result or {}).get("result_id")))
    if (not job.active and job.state != DONE) or fetched:
        return job
    state, result, message = look(catalog, results, job.params, job.result)
    if job.state == DONE and state != DONE:  # the rows are gone at the service too: say so
        problem = result.get("problem") or f"the service no longer has the rows ({message})"
        state, result = DONE, {**job.result, "problem": problem}
    error = _failure(message, result).as_error() if state == ERROR else None
    store.update(
        KIND,
        job_id,
        only_if=(*ACTIVE, DONE),
        state=state,
        result=result,
        message=message,
        error=error,
    )
    return store.get(KIND, job_id)


def _legacy(row: tuple[Any, ...]) -> Job:
    """A query as an older ESAP recorded it (``data.sqlite``), as a job."""
    job_id, service, query, maxrec, phase, created, updated, url, result_id, error = row
    ended = {"COMPLETED": DONE, "ERROR": ERROR, "ABORTED": CANCELLED}
    failed = _failure(error or "the service reports ERROR", {}) if phase == "ERROR" else None
    return Job(
        kind=KIND,
        id=job_id,
        state=ended.get(phase, RUNNING),  # one still running is followed again
        params={"service": service, "query": query, "maxrec": maxrec},
        result={"phase": phase, "job_url": url, "result_id": result_id},
        error=failed.as_error() if failed else None,
        done=0,
        total=None,
        message=phase,
        created=created,
        updated=updated,
    )


def adopt_legacy(store: JobStore, path: Path | None = None) -> None:
    """Move the queries an older ESAP kept in ``data.sqlite`` into the job store (once)."""
    store.adopt_table(
        path or state_dir() / "data.sqlite",
        "id, service, query, maxrec, phase, created, updated, job_url, result_id, error",
        _legacy,
    )


def kind(catalog: Callable[[], Catalog], results: Callable[[], ResultStore]) -> Kind:
    """The ``query`` kind, over the services and the result cache of this process."""

    def work(job: JobContext) -> dict[str, Any]:
        result, wait = dict(job.result), FIRST_LOOK
        while not job.wait(wait):
            with request_timeout(LOOK_TIMEOUT):
                state, result, message = look(catalog(), results(), job.params, result)
            job.report(message=message, result=result, now=True)
            if state == ERROR:
                raise _failure(message, result)
            if state == CANCELLED:
                job.stop.set()
            if state != RUNNING:
                break
            wait = min(LONGEST_WAIT, wait * 1.5)
        return result

    def cancel(job: Job) -> None:
        _remote(catalog(), job.params, job.result).abort()

    def forget(job: Job) -> None:
        _remote(catalog(), job.params, job.result).delete()

    return Kind(KIND, work, resumable=True, cancel=cancel, forget=forget)


__all__ = [
    "FINAL",
    "KIND",
    "PHASES",
    "adopt_legacy",
    "check_adql",
    "check_maxrec",
    "kind",
    "look",
    "phase",
    "record",
    "refresh",
    "start",
    "submit",
    "tap_adapter",
]
