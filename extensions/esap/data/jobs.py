"""Asynchronous TAP jobs (UWS): submit, follow, fetch, delete — recorded in ``~/.esap``.

The remote job is pyvo's ``AsyncTAPJob``; what ESAP keeps is the job's URL
and last known phase in the user's store, so the job list survives closing
the lab and respawning the server. When a job is seen COMPLETED its result is
fetched once into the result cache (and fetched again if the cache dropped it
while the service still has it).
"""

from __future__ import annotations

from typing import Any

from esap.data.base import SubmitsJobs
from esap.data.catalog import Catalog
from esap.data.request import BadField
from esap.data.results import ResultStore, columns_of
from esap.data.store import Job, UserStore

FINAL = ("COMPLETED", "ERROR", "ABORTED")
PHASES = ("PENDING", "QUEUED", "EXECUTING", "COMPLETED", "ERROR", "ABORTED")


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


def submit(catalog: Catalog, store: UserStore, service: Any, query: Any, maxrec: Any = None) -> Job:
    """Create and start a job on ``service``; record it."""
    adapter = tap_adapter(catalog, service)
    adql = check_adql(query)
    limit = check_maxrec(maxrec)
    url = adapter.submit_job(adql, limit)
    return store.add_job(adapter.name, adql, limit, url, "QUEUED")


def _remote(catalog: Catalog, job: Job) -> Any:
    from pyvo.dal import AsyncTAPJob

    adapter = catalog.adapter(job.service)
    return AsyncTAPJob(job.job_url, session=adapter.session, delete=False)


def refresh(catalog: Catalog, store: UserStore, results: ResultStore, job_id: str) -> Job:
    """Ask the service for the job's phase; fetch its result once it completed."""
    from pyvo.dal import DALServiceError

    job = store.job(job_id)
    if job.phase in FINAL and (
        job.phase != "COMPLETED" or (job.result_id and results.exists(job.result_id))
    ):
        return job
    try:
        remote = _remote(catalog, job)
        phase = str(remote.phase)
    except (DALServiceError, KeyError) as exc:
        return store.update_job(job_id, error=f"cannot reach the job: {exc}")
    if phase == "ERROR":
        message = None
        try:
            remote.raise_if_error()
        except Exception as exc:
            message = str(exc)
        return store.update_job(job_id, phase=phase, error=message or "the service reports ERROR")
    if phase != "COMPLETED":
        return store.update_job(job_id, phase=phase if phase in PHASES else job.phase)
    adapter = catalog.adapter(job.service)
    table = remote.fetch_result().to_table()
    stored = results.put(job.service, table, columns_of(table, adapter.roles(table)))
    return store.update_job(job_id, phase=phase, result_id=stored.id, error=None)


def delete(catalog: Catalog, store: UserStore, job_id: str) -> None:
    """Abort and delete the remote job (best effort), then forget it."""
    job = store.job(job_id)
    try:
        remote = _remote(catalog, job)
        if job.phase not in FINAL:
            remote.abort()
        remote.delete()
    except Exception:  # noqa: S110 - the remote job may be gone already; forget it anyway
        pass
    store.remove_job(job_id)


__all__ = [
    "FINAL",
    "PHASES",
    "check_adql",
    "check_maxrec",
    "delete",
    "refresh",
    "submit",
    "tap_adapter",
]
