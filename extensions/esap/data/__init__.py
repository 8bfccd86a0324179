"""Data discovery: federated search over IVOA services (TAP, SIAv2, SCS, SSA, registry).

The notebook face of the engine::

    import esap
    result = esap.data.search(target="M31", radius=0.1, services=["local-tap"])
    result.combined          # one astropy Table, with a `service` column
    result.tables["local-tap"], result.errors
    vo = esap.data.search_all_vo("M31", types=["tap", "sia2"], keywords="galaxy")
    vo.combined, vo.summary  # every product once; the services ranked by rows
    esap.data.services()     # what can be searched
    path = esap.data.cutout(result.combined[0], 202.47, 47.195, 0.05)  # a FITS in ~/cutouts
    matched = esap.data.crossmatch(my_table, "local-tap", "esaptest.sources", 2)  # arcsec
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

from esap.data.allvo import AllVoResult
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


def search_all_vo(
    target: str | None = None,
    *,
    types: list[str] | tuple[str, ...] = ("tap", "sia2", "scs"),
    keywords: str | None = None,
    waveband: str | None = None,
    ra: float | None = None,
    dec: float | None = None,
    radius: float | None = None,
    band: tuple[float, float] | None = None,
    time: tuple[Any, Any] | None = None,
    collection: str | None = None,
    text: str | None = None,
    maxrec: int | None = None,
    config: str | Path | None = None,
) -> AllVoResult:
    """Search every service of ``types`` the IVOA registry lists, at once.

    ``types``: ``tap`` (ObsCore TAP), ``sia2``, ``scs``; ``keywords`` and
    ``waveband`` narrow the registry's list. The hub's ``all_vo`` settings
    bound how many services are asked at once, how long each may take and
    how many rows each sends (``maxrec`` overrides that). The answer's
    ``combined`` holds every product once; ``summary`` ranks the services,
    the failed and timed-out ones last (also in ``failed``).
    """
    from esap.data.searches import prepare, run, search_request

    request = search_request(
        all_vo={"types": list(types), "keywords": keywords, "waveband": waveband},
        target=target,
        ra=ra,
        dec=dec,
        radius=radius,
        band=list(band) if band is not None else None,
        time=list(time) if time is not None else None,
        collection=collection,
        text=text,
        maxrec=maxrec,
    )
    found = run(prepare(_catalog(config), request, keep_tables=True))
    assert isinstance(found, AllVoResult)
    return found


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


def crossmatch(
    table: Any,
    service: str,
    catalogue: str,
    radius: Any,
    *,
    ra_column: str | None = None,
    dec_column: str | None = None,
    columns: list[str] | None = None,
    method: str = "auto",
    maxrec: int | None = None,
    config: str | Path | None = None,
) -> Table:
    """Match ``table`` by position against ``catalogue`` of the TAP ``service``; the pairs.

    ``table``: an astropy Table (or a :func:`search` answer, or pyvo's
    results), a stored result's id (a search's or a job's ``result_id``),
    basket data items (``esap.basket.entries(kind="data")``), or the path of
    a VOTable, FITS, ECSV or CSV file in your home. Its position columns are
    found by UCD and name unless ``ra_column``/``dec_column`` name them.
    ``radius``: an astropy angle (``2 * u.arcsec``) or a number of
    **arcseconds**. ``method``: ``upload`` (the service joins your positions
    with the catalogue: TAP upload), ``local`` (a few cone queries, matched
    here with astropy) or ``auto`` (upload where the service takes it).

    The answer has ``user_row`` (your row, 0 for the first), ``separation``
    (arcsec) and the catalogue's ``columns`` (all unless named), ordered by
    row and separation; it is stored like a search's result (its id in
    ``.meta["esap_result_id"]``) and runs as a job the Data panel lists.
    Bad input raises a named error (``FieldError``) before anything runs.
    """
    from esap.data.crossmatch_jobs import run_here

    return run_here(
        _catalog(config),
        table,
        service,
        catalogue,
        radius,
        ra_column=ra_column,
        dec_column=dec_column,
        columns=columns,
        method=method,
        maxrec=maxrec,
    )


def cutout(
    item: Any,
    ra: float,
    dec: float,
    radius: float | None = None,
    *,
    box: tuple[float, float] | None = None,
    band: tuple[float, float] | None = None,
    time: tuple[float, float] | None = None,
    to: str | Path | None = None,
    basket: bool = False,
    config: str | Path | None = None,
) -> Any:
    """Cut part of an image or cube through the archive's SODA service; the FITS file's path.

    ``item``: a row of a search (``result.combined[0]``, or a dict of its
    columns with ``service``) or a basket data item. A circle (``radius``)
    or a box (``box=(width, height)``), degrees, centred on ``ra``/``dec``
    (ICRS); ``band=(low, high)`` in metres cuts a cube's wavelengths,
    ``time=(start, end)`` (MJD) its times. The file goes to ``to`` (a
    folder in your home, default ``~/cutouts``); with ``basket=True`` the
    answer is ``(path, item)``, the cutout also added to your basket. A
    region outside the product, a radius of 0, a band beyond a cube's or a
    product without SODA raise a named error (see ``esap.data.cutouts``).
    """
    from esap.data.cutouts import cutout as cut

    catalog = _catalog(config)
    if basket:
        return cut(
            item,
            ra,
            dec,
            radius,
            box=box,
            band=band,
            time=time,
            to=to,
            basket=True,
            catalog=catalog,
        )
    return cut(item, ra, dec, radius, box=box, band=band, time=time, to=to, catalog=catalog)


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
    "AllVoResult",
    "BadField",
    "DataService",
    "JobHandle",
    "NotApplicable",
    "Query",
    "SearchResult",
    "ServiceEntry",
    "crossmatch",
    "cutout",
    "job",
    "search",
    "search_all_vo",
    "services",
    "sky_view",
]
