"""Data discovery: federated search over IVOA services (TAP, SIAv2, SCS, SSA, registry).

The notebook face of the engine::

    import esap
    result = esap.data.search(target="M31", radius=0.1, services=["local-tap"])
    result.combined          # one astropy Table, with a `service` column
    result.tables["local-tap"], result.errors
    esap.data.services()     # what can be searched
    job = esap.data.job("local-tap", "SELECT TOP 100000 * FROM ivoa.obscore")
    job.wait().result()

The same engine serves the lab's Data panel (REST, ``esap.server.data_handlers``)
and ``esap search`` on the command line.
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from esap.data.base import DataService, NotApplicable, Query, ServiceEntry
from esap.data.found import SearchResult
from esap.data.request import BadField

if TYPE_CHECKING:
    from astropy.table import Table

    from esap.core.jobs import Job
    from esap.data.catalog import Catalog


def _catalog(config: str | Path | None = None) -> Catalog:
    from esap.core.public_config import public_config
    from esap.data.catalog import Catalog
    from esap.data.store import UserStore

    return Catalog(public_config(config), UserStore())


def search(
    target: str | None = None,
    *,
    ra: float | None = None,
    dec: float | None = None,
    radius: float | None = None,
    band: tuple[float, float] | None = None,
    time: tuple[Any, Any] | None = None,
    collection: str | None = None,
    text: str | None = None,
    services: list[str] | None = None,
    maxrec: int | None = None,
    params: dict[str, dict[str, Any]] | None = None,
    config: str | Path | None = None,
) -> SearchResult:
    """Search every enabled service (or ``services``) at once; see the module docstring.

    Bad input raises :class:`BadField` naming the field; a service that fails
    or times out is listed in ``.errors`` and the others' rows are kept.
    """
    from esap.data.searches import prepare, run, search_request

    request = search_request(
        services=services,
        target=target,
        ra=ra,
        dec=dec,
        radius=radius,
        band=list(band) if band is not None else None,
        time=list(time) if time is not None else None,
        collection=collection,
        text=text,
        maxrec=maxrec,
        params=params,
    )
    # the engine records the search in the user's history, as the lab's and the shell's do
    return run(prepare(_catalog(config), request, keep_tables=True))


def services(config: str | Path | None = None) -> Table:
    """The services you can search, as a table (name, type, title, url, enabled, source)."""
    from astropy.table import Table

    described = _catalog(config).describe()
    names = ["name", "type", "title", "url", "enabled", "source", "description"]
    return Table(
        rows=[[d[n] for n in names] for d in described] or None,
        names=names,
        dtype=[str, str, str, str, bool, str, str],
    )


@dataclass
class JobHandle:
    """An asynchronous TAP job submitted from a notebook (a ``query`` job of ``esap.core.jobs``)."""

    id: str
    _catalog: Catalog

    def _stores(self) -> tuple[Any, Any]:
        from esap.core.jobs import JobStore
        from esap.data.results import ResultStore

        return JobStore(), ResultStore()

    @property
    def info(self) -> Job:
        """The job as last refreshed from the service."""
        from esap.data import jobs

        store, results = self._stores()
        return jobs.refresh(self._catalog, store, results, self.id)

    @property
    def phase(self) -> str:
        """PENDING, QUEUED, EXECUTING, COMPLETED, ERROR or ABORTED."""
        from esap.data.jobs import phase

        return phase(self.info)

    def wait(self, timeout: float = 3600, poll: float = 1.0) -> JobHandle:
        """Block until the job ends (or ``timeout`` seconds pass)."""
        from esap.data.jobs import FINAL

        deadline = _time.monotonic() + timeout
        while self.phase not in FINAL:
            if _time.monotonic() > deadline:
                raise TimeoutError(f"job {self.id} still running after {timeout} s")
            _time.sleep(poll)
        return self

    def result(self) -> Table:
        """The job's rows (fetched into the cache once the job completed)."""
        from astropy.table import Table

        from esap.data.jobs import phase

        info = self.info
        result_id = (info.result or {}).get("result_id")
        if phase(info) != "COMPLETED" or not result_id:
            why = info.error["message"] if info.error else "not finished yet"
            raise RuntimeError(f"job {self.id} is {phase(info)}: {why}")
        _, results = self._stores()
        described = results.describe(result_id)
        names = [c["name"] for c in described.columns]
        rows = [row for chunk in results.iter_rows(result_id) for row in chunk]
        return Table(rows=rows or None, names=names)

    def __repr__(self) -> str:
        return f"<esap job {self.id} on {self.info.params['service']}: {self.phase}>"


def job(
    service: str, query: str, *, maxrec: int | None = None, config: str | Path | None = None
) -> JobHandle:
    """Submit ``query`` (ADQL) as an asynchronous job on the TAP ``service``.

    The user's server follows it too (it shows in the Data panel's jobs).
    """
    from esap.core.jobs import JobStore
    from esap.data import jobs

    catalog = _catalog(config)
    submitted = jobs.record(JobStore(), catalog, service, query, maxrec)
    return JobHandle(submitted.id, catalog)


def sky_view(
    result: SearchResult | Table,
    *,
    ra: float | None = None,
    dec: float | None = None,
    radius: float | None = None,
    survey: str | None = None,
    config: str | Path | None = None,
) -> Any:
    """An ipyaladin widget: the search region, the rows' positions and ``s_region`` footprints.

    ``result`` is what :func:`search` answered (or any table with ``s_ra``/``s_dec``
    and ``s_region``); a resolved target gives the centre unless ``ra``/``dec``
    are given. The survey is ``sky_view.hips`` from the hub's config unless
    ``survey`` names one. The widget is built by ``esap.data.sky.sky_view``.
    """
    from esap.core.public_config import NotConfigured, public_config
    from esap.data import sky

    table = result.combined if isinstance(result, SearchResult) else result
    if ra is None and isinstance(result, SearchResult) and result.resolved:
        ra, dec = float(result.resolved["ra"]), float(result.resolved["dec"])
    if survey is None:
        try:
            survey = public_config(config).get("sky_view", {}).get("hips")
        except NotConfigured:
            survey = None
    return sky.sky_view(table, ra=ra, dec=dec, radius=radius, survey=survey)


__all__ = [
    "BadField",
    "DataService",
    "JobHandle",
    "NotApplicable",
    "Query",
    "SearchResult",
    "ServiceEntry",
    "job",
    "search",
    "services",
    "sky_view",
]
