"""Cross-matches as jobs of the one job system (kind ``crossmatch``): progress, cancel, results.

Every face starts a cross-match the same way: :func:`start` checks the
request and reads the user's table at once (a bad radius, an unknown
catalogue, a table without positions is refused before any job exists),
then the runner runs the match on a thread of its own, reporting the upload's
bytes (``progress.done`` of ``progress.total``) or the cone queries done,
and stores the answer in the result cache like a search's, so it is paged,
sorted and downloaded like one. ``result.result_id`` names it.

The checked request (its table read, its catalogue looked up) passes from
:func:`start` to the job's work in this process; a notebook's in-memory
table could not pass any other way. A cross-match the server was stopped in
the middle of is not resumed: its job ends ``interrupted`` and is started
again (the user's table may have changed meanwhile). Cancelling aborts the
service's UWS job of an upload, or stops between two cone queries.
"""

from __future__ import annotations

import functools
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from esap.core.errors import EsapError, FieldError
from esap.core.jobs import CANCELLED, DONE, Job, JobFailed, JobStore
from esap.core.runner import JobContext, Kind, Runner
from esap.core.state import state_dir
from esap.data import usertable
from esap.data.base import request_timeout, shared_session
from esap.data.catalog import Catalog
from esap.data.crossmatches import ROW, Plan, match, prepare, valid_rows
from esap.data.results import ResultStore, columns_of

if TYPE_CHECKING:
    from astropy.table import Table

KIND = "crossmatch"
#: Reads basket items by id (the server's basket); a face without one gives None.
Items = Callable[[list[str]], list[Any]]

_plans: dict[str, Plan] = {}
_plans_lock = threading.Lock()


def _is_result_id(text: str) -> bool:
    return len(text) == 16 and all(ch in "0123456789abcdef" for ch in text)


def describe_source(
    table: Any = None,
    *,
    result_id: str | None = None,
    path: str | None = None,
    basket_ids: Sequence[str] | None = None,
) -> dict[str, Any]:
    """What the user's table was, as the job's params keep it (JSON)."""
    if result_id is not None:
        return {"result_id": result_id}
    if path is not None:
        return {"path": path}
    if basket_ids is not None:
        return {"basket_ids": list(basket_ids)}
    return {"notebook": f"an astropy table of {len(table) if table is not None else 0} rows"}


def reader(
    results: ResultStore,
    home: Path,
    *,
    table: Any = None,
    result_id: str | None = None,
    path: str | None = None,
    basket_ids: Sequence[str] | None = None,
    items: Items | None = None,
    basket: Sequence[Any] | None = None,
    ra_column: str | None = None,
    dec_column: str | None = None,
) -> Callable[[], usertable.Positions]:
    """How to read the user's table and its positions, from whichever source was given.

    ``basket_ids`` are read through ``items`` (the server's basket);
    ``basket`` are items already at hand (a notebook's).
    """

    def read() -> usertable.Positions:
        if result_id is not None:
            infos = usertable.result_columns(results, result_id)
            # the positions first, from the columns' metadata: no rows read for a refusal
            usertable.find_coordinates(infos, ra_column, dec_column, what=f"result {result_id}")
            loaded = usertable.from_result(results, result_id)
            return usertable.positions(
                loaded, f"result {result_id}", ra_column, dec_column, infos=infos
            )
        if path is not None:
            loaded, label = usertable.read_file(path, home)
            return usertable.positions(loaded, label, ra_column, dec_column)
        if basket is not None:
            loaded, label = usertable.from_items(basket, field="table")
            return usertable.positions(loaded, label, ra_column, dec_column)
        if basket_ids is not None:
            if items is None:
                raise FieldError("basket_ids", "no basket here", "give the items themselves")
            loaded, label = usertable.from_items(items(list(basket_ids)))
            return usertable.positions(loaded, label, ra_column, dec_column)
        return usertable.positions(as_table(table), "your table", ra_column, dec_column)

    return read


def as_table(table: Any) -> Table:
    """A notebook's table: an astropy Table, pyvo's results, or a search's answer."""
    from astropy.table import Table

    if isinstance(table, Table):
        return table
    combined = getattr(table, "combined", None)  # esap.data.search's SearchResult
    if isinstance(combined, Table):
        return combined
    if callable(getattr(table, "to_table", None)):  # pyvo's results
        converted = table.to_table()
        if isinstance(converted, Table):
            return converted
    raise FieldError(
        "table",
        f"a {type(table).__name__} is not a table",
        "give an astropy Table, a result id, basket data items or a file in your home",
    )


def notebook_source(table: Any, results: ResultStore) -> dict[str, Any]:
    """Which source a notebook's ``table`` argument is: a table, a result id, a file, items."""
    if isinstance(table, (str, Path)):
        text = str(table)
        # a result's id, unless a file of that name is in the home (an unknown id: its error)
        if _is_result_id(text) and (results.exists(text) or not (Path.home() / text).exists()):
            return {"result_id": text}
        return {"path": text}
    if isinstance(table, (list, tuple)) and all(
        usertable.item_fields(item)[1] or usertable.item_fields(item)[0] for item in table
    ):
        return {"items": list(table)}
    return {"table": table}


def params_of(plan: Plan, source: dict[str, Any], asked_method: str) -> dict[str, Any]:
    """The job's params: what was asked, as JSON."""
    return {
        "service": plan.adapter.name,
        "catalogue": plan.catalogue.name,
        "radius": plan.radius,
        "method": asked_method,
        "table": source,
        "ra_column": plan.positions.ra_column,
        "dec_column": plan.positions.dec_column,
        "columns": list(plan.columns),
        "maxrec": plan.maxrec,
    }


def launch(runner: Runner, plan: Plan, params: dict[str, Any]) -> Job:
    """Run a checked cross-match as a job on ``runner``; the job as first recorded."""
    job_id = secrets.token_hex(16)
    with _plans_lock:
        _plans[job_id] = plan
    try:
        return runner.start(KIND, params, job_id=job_id, result={"method": plan.method})
    except BaseException:
        with _plans_lock:
            _plans.pop(job_id, None)
        raise


def start(
    runner: Runner,
    catalog: Catalog,
    results: ResultStore,
    home: Path,
    *,
    service: Any,
    catalogue: Any,
    radius: Any,
    result_id: str | None = None,
    path: str | None = None,
    basket_ids: Sequence[str] | None = None,
    items: Items | None = None,
    ra_column: str | None = None,
    dec_column: str | None = None,
    columns: Any = None,
    method: Any = "auto",
    maxrec: Any = None,
) -> Job:
    """Check a cross-match of a stored result, basket items or a file, and start its job.

    Exactly one of ``result_id``, ``basket_ids`` and ``path`` names the
    user's table. Bad input raises its named error before any job exists.
    """
    given = [n for n, v in (("result_id", result_id), ("path", path),
                            ("basket_ids", basket_ids)) if v is not None]  # fmt: skip
    if len(given) != 1:
        raise FieldError(
            "table",
            "no table given" if not given else f"{' and '.join(given)} given",
            "give exactly one of result_id (a stored result), basket_ids (basket data items) "
            "or path (a table file in your home)",
        )
    read = reader(
        results,
        home,
        result_id=result_id,
        path=path,
        basket_ids=basket_ids,
        items=items,
        ra_column=ra_column,
        dec_column=dec_column,
    )
    plan = prepare(
        catalog, read, service, catalogue, radius, columns=columns, method=method, maxrec=maxrec
    )
    source = describe_source(result_id=result_id, path=path, basket_ids=basket_ids)
    return launch(runner, plan, params_of(plan, source, str(method)))


def store(plan: Plan, table: Table, results: ResultStore) -> dict[str, Any]:
    """Put the answer in the result cache; the job's result."""
    stored = results.put(plan.adapter.name, table, columns_of(table, plan.adapter.roles(table)))
    return {
        "method": plan.method,
        "result_id": stored.id,
        "matches": len(table),
        "rows": plan.positions.rows,
        "without_position": plan.positions.rows - int(valid_rows(plan).size),
        "matched_rows": len(set(table[ROW].tolist())),
        "truncated": plan.truncated,
        "uploaded": plan.uploaded,
    }


def kind(results: Callable[[], ResultStore]) -> Kind:
    """The ``crossmatch`` kind, storing answers in this process's result cache."""

    def work(job: JobContext) -> Any:
        with _plans_lock:
            plan = _plans.pop(job.id, None)
        if plan is None:  # recorded by a process that is gone: its table went with it
            raise JobFailed(
                "interrupted",
                "this cross-match's table is no longer at hand",
                "start the cross-match again",
            )
        try:
            table = match(plan, job)
        except EsapError as exc:  # the service's failure, in its words: the job's error
            raise JobFailed(exc.code, exc.message, exc.fix, field=exc.field) from None
        if table is None or job.stopped:
            return job.result
        summary = {**(job.result or {}), **store(plan, table, results())}
        plan.matched = table
        job.report(message=f"{len(table)} matches", now=True)
        return summary

    def cancel(job: Job) -> None:
        url = (job.result or {}).get("job_url")
        if url:
            from pyvo.dal import AsyncTAPJob

            with request_timeout(30):
                AsyncTAPJob(url, session=shared_session(), delete=False).abort()

    return Kind(KIND, work, cancel=cancel)


@functools.cache
def _runner_for(state: str) -> tuple[Runner, ResultStore]:
    """One runner and result cache per state folder (``state``: the cache's key)."""
    results = ResultStore()
    return Runner(JobStore(), [kind(lambda: results)]), results


def _here() -> tuple[Runner, ResultStore]:
    """This process's runner of cross-matches and result cache (one per state folder)."""
    return _runner_for(str(state_dir()))


def run_here(
    catalog: Catalog,
    table: Any,
    service: Any,
    catalogue: Any,
    radius: Any,
    *,
    ra_column: str | None = None,
    dec_column: str | None = None,
    columns: Any = None,
    method: Any = "auto",
    maxrec: Any = None,
    poll: float = 0.1,
    on_progress: Callable[[Job], None] | None = None,
) -> Table:
    """A notebook's cross-match: a job of this process, waited for; the matched table.

    The job is in the user's job store like the lab's (the lab sees it and
    may cancel it); an interrupted cell cancels it. ``on_progress`` sees the
    job as it goes (the command line's progress line).
    """
    runner, results = _here()
    source = notebook_source(table, results)
    read = reader(
        results,
        Path.home(),
        table=source.get("table"),
        result_id=source.get("result_id"),
        path=source.get("path"),
        basket=source.get("items"),
        ra_column=ra_column,
        dec_column=dec_column,
    )
    plan = prepare(
        catalog, read, service, catalogue, radius, columns=columns, method=method, maxrec=maxrec
    )
    described = (
        {"basket_items": len(source["items"])}
        if "items" in source
        else describe_source(source.get("table"), result_id=source.get("result_id"),
                             path=source.get("path"))
    )  # fmt: skip
    job = launch(runner, plan, params_of(plan, described, str(method)))
    try:
        while job.active:
            time.sleep(poll)
            job = runner.store.get(KIND, job.id)
            if on_progress is not None:
                on_progress(job)
    except KeyboardInterrupt:
        runner.cancel(KIND, job.id)
        raise
    if job.state == CANCELLED:
        raise JobFailed("cancelled", f"cross-match {job.id} was cancelled", "run it again")
    if job.state != DONE or plan.matched is None:
        error = job.error or {"code": "failed", "message": "the cross-match failed", "fix": ""}
        raise JobFailed(error["code"], error["message"], error.get("fix", ""),
                        field=error.get("field"))  # fmt: skip
    matched = plan.matched
    matched.meta["esap_result_id"] = (job.result or {}).get("result_id")
    matched.meta["esap_job_id"] = job.id
    return matched


__all__ = [
    "KIND",
    "as_table",
    "describe_source",
    "kind",
    "launch",
    "notebook_source",
    "params_of",
    "reader",
    "run_here",
    "start",
    "store",
]
