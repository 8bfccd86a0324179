"""The kinds of job this server runs: the runner, how each starts from a request, how it shows.

One :class:`~esap.core.runner.Runner` per server process, over the user's
job store, with every kind: ``query`` (asynchronous TAP), ``download``
(basket files), ``launch`` (Open in my lab), ``publish`` (a publication's
run), ``run`` (a headless notebook, in a process of its own), ``reproduce``
(a published record re-run and compared, its run a ``run`` job), ``view`` (a
remote product fetched for the image viewer) and ``cutout`` (part of an
image or cube, cut by the archive's SODA service); ``crossmatch`` (a user
table matched against a TAP catalogue) starts from ``POST data/crossmatch``
(``data_crossmatch_handlers``). Starting a
job is the only part that differs by kind on the wire: each kind checks its
own body (a model of ``esap.server.bodies``) and its capability starts the
job; reading, cancelling and following a job is the same for all
(``jobs_handlers``).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from esap.basket import jobs as download_jobs
from esap.bulk import jobs as run_jobs
from esap.core.errors import Conflict, FieldError
from esap.core.ids import opaque_id
from esap.core.jobs import DONE, Job, JobNotFound, JobStore
from esap.core.paths import user_path
from esap.core.runner import Runner
from esap.core.urls import git_remote
from esap.data import crossmatch_jobs, cutouts
from esap.data import jobs as query_jobs
from esap.publish import jobs as publish_jobs
from esap.publish.reproduction import jobs as reproduce_jobs
from esap.server.basket_handlers import user_basket
from esap.server.bodies import (
    AdqlBody,
    Body,
    CutoutBody,
    DownloadBody,
    LaunchBody,
    PublishRunBody,
    ReproduceBody,
    RunBody,
    ViewFetchBody,
)
from esap.server.data_common import catalog, in_thread, result_store
from esap.software import jobs as launch_jobs
from esap.view import products as view_products

B = TypeVar("B", bound=Body)


@functools.cache
def runner(root: str) -> Runner:
    """The user's jobs, run on threads of this server (``root``: the server's root folder)."""

    def publisher() -> Any:
        from esap.server.publish_common import publisher

        return publisher(root)

    store = JobStore()
    query_jobs.adopt_legacy(store)  # what an older ESAP kept in its own tables
    run_jobs.adopt_legacy(store, store.path.with_name("jobs.sqlite"))
    return Runner(
        store,
        [
            query_jobs.kind(catalog, result_store),
            download_jobs.kind(user_basket),
            launch_jobs.kind(),
            publish_jobs.kind(publisher),
            run_jobs.kind(),
            reproduce_jobs.kind(publisher, lambda: Path(root)),
            view_products.kind(),
            cutouts.kind(catalog, user_basket),
            crossmatch_jobs.kind(result_store),
        ],
    )


def resume(root: str | None, log: Any) -> None:
    """At server start, in the background: resume (or end) the jobs the last server ran."""

    def recover() -> None:
        try:
            recovered = runner(str(Path(root or Path.home()).expanduser())).recover()
        except Exception:  # a broken store must not stop the server; the next read says why
            log.exception("ESAP: could not recover the jobs of the last server")
            return
        if recovered:
            log.info("ESAP: recovered %d job(s) cut off by the last server's stop", len(recovered))

    threading.Thread(target=recover, name="esap-jobs-recover", daemon=True).start()


async def _query(root: str, body: AdqlBody) -> Job:
    current = catalog()
    # the checks, then the submission within the service's timeout (esap.data.jobs)
    return await in_thread(
        lambda: query_jobs.start(runner(root), current, body.service, body.query, body.maxrec)
    )


async def _download(root: str, body: DownloadBody) -> Job:
    return await in_thread(
        lambda: download_jobs.start(runner(root), user_basket(), body.ids, body.folder)
    )


async def _launch(root: str, body: LaunchBody) -> Job:
    repository = git_remote(body.repository.strip(), field="repository", home=Path.home())
    return launch_jobs.start(runner(root), repository, body.ref or None, body.name or None)


async def _publish(root: str, body: PublishRunBody) -> Job:
    from esap.server.publish_common import publisher

    publication = opaque_id(body.publication, "publication")
    try:
        entry = await in_thread(lambda: publisher(root).journal.get(publication))
    except KeyError:
        raise JobNotFound(publish_jobs.KIND, publication) from None
    if entry.published:
        raise Conflict(
            f"publication {publication} is published already",
            "see its record in My publications",
        )
    # off the event loop: a home quota measures the home first
    return await in_thread(lambda: publish_jobs.start(runner(root), publication))


async def _run(root: str, body: RunBody) -> Job:
    # the path rule (esap.core.paths): inside the home, not through a link out,
    # not into ~/.esap, no NUL or over-long name; a refusal is a 400 naming it
    path = user_path(body.notebook, Path(root), field="notebook", allow_absolute=True)
    try:
        return await in_thread(lambda: run_jobs.submit(path, body.parameters))
    except run_jobs.JobError as exc:
        raise FieldError("notebook", str(exc), "give the path of a .ipynb file") from None


async def _reproduce(root: str, body: ReproduceBody) -> Job:
    # the source is only checked for its shape here: which record it names is the job's
    # first step, so a DOI that cannot be found is a failed step of the report
    values = reproduce_jobs.params(
        body.source,
        nearest=bool(body.nearest),
        packages=body.packages or None,
        fresh=bool(body.fresh),
    )
    return await in_thread(lambda: reproduce_jobs.start(runner(root), values))


async def _view(root: str, body: ViewFetchBody) -> Job:
    # the URL rule and the quota are checked before the job is recorded (esap.view.products)
    return await in_thread(lambda: view_products.start(runner(root), body.given()))


async def _cutout(root: str, body: CutoutBody) -> Job:
    # the region is checked at once (a radius of 0 is a 400 naming it); the product's
    # cutout service is found and asked in the job
    chosen = cutouts.region(
        body.ra, body.dec, body.radius, box=body.box, band=body.band, time=body.time
    )
    return await in_thread(
        lambda: cutouts.start(runner(root), body.item, chosen, body.to, basket=bool(body.basket))
    )


@dataclass(frozen=True)
class Start(Generic[B]):
    """How a kind starts from a ``POST jobs/<kind>``: its body's model and its start."""

    body: type[B]
    start: Callable[[str, B], Awaitable[Job]]


#: How each kind starts from a ``POST jobs/<kind>`` body.
STARTS: dict[str, Start[Any]] = {
    cutouts.KIND: Start(CutoutBody, _cutout),
    query_jobs.KIND: Start(AdqlBody, _query),
    download_jobs.KIND: Start(DownloadBody, _download),
    launch_jobs.KIND: Start(LaunchBody, _launch),
    publish_jobs.KIND: Start(PublishRunBody, _publish),
    reproduce_jobs.KIND: Start(ReproduceBody, _reproduce),
    run_jobs.KIND: Start(RunBody, _run),
    view_products.KIND: Start(ViewFetchBody, _view),
}


def _relative(root: str, path: Any) -> str | None:
    """``path`` relative to the server's root, or None when it lies outside."""
    if not isinstance(path, str):
        return None
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return None


def view(root: str, job: Job) -> dict[str, Any]:
    """A job as the API answers it: the one model, a headless run's paths relative to the root."""
    document = job.as_dict()
    if job.kind == run_jobs.KIND:
        document["params"] = {**job.params, "notebook": _relative(root, job.params["notebook"])}
        result = dict(job.result or {})
        for name in ("output_dir", "executed_notebook", "log"):
            result[name] = _relative(root, result.get(name))
        document["result"] = result
    return document


def fresh(root: str, job: Job) -> Job:
    """A job as it is now: a completed query whose rows the cache dropped is fetched again."""
    result_id = (job.result or {}).get("result_id")
    dropped = not (result_id and result_store().exists(result_id))
    if job.kind == query_jobs.KIND and job.state == DONE and dropped:
        return query_jobs.refresh(catalog(), runner(root).store, result_store(), job.id)
    return job


__all__ = ["STARTS", "Start", "fresh", "resume", "runner", "view"]
