"""The kinds of job this server runs: the runner, how each starts from a request, how it shows.

One :class:`~esap.core.runner.Runner` per server process, over the user's
job store, with every kind: ``query`` (asynchronous TAP), ``download``
(basket files), ``launch`` (Open in my lab), ``publish`` (a publication's
run) and ``run`` (a headless notebook, in a process of its own). Starting a
job is the only part that differs by kind on the wire: each kind checks its
own body here and its capability starts the job; reading, cancelling and
following a job is the same for all (``jobs_handlers``).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from esap.basket import jobs as download_jobs
from esap.bulk import jobs as run_jobs
from esap.core.errors import Conflict, FieldError
from esap.core.ids import opaque_id
from esap.core.jobs import DONE, Job, JobNotFound, JobStore
from esap.core.paths import user_path
from esap.core.runner import Runner
from esap.core.urls import git_remote
from esap.data import jobs as query_jobs
from esap.data.failures import failure
from esap.publish import jobs as publish_jobs
from esap.server.basket_handlers import user_basket
from esap.server.data_common import catalog, in_thread, result_store
from esap.software import jobs as launch_jobs

#: A request body, checked by the kind it starts.
Body = dict[str, Any]


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


def _text(body: Body, name: str, fix: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise FieldError(name, "must be text or null", fix)
    return value


def _required(body: Body, name: str, message: str, fix: str) -> str:
    """``body[name]`` as non-empty text (stripped), else a 400 naming it."""
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise FieldError(name, message, fix)
    return value.strip()


async def _query(root: str, body: Body) -> Job:
    current, name = catalog(), body.get("service")
    query_jobs.tap_adapter(current, name)
    query_jobs.check_adql(body.get("query"))
    query_jobs.check_maxrec(body.get("maxrec"))
    try:
        return await in_thread(
            lambda: query_jobs.start(
                runner(root), current, name, body.get("query"), body.get("maxrec")
            ),
            current.entry(str(name)).timeout,
        )
    except Exception as exc:
        raise failure(exc, str(name)) from None


async def _download(root: str, body: Body) -> Job:
    ids = body.get("ids")
    if ids is not None and (not isinstance(ids, list) or not all(isinstance(i, str) for i in ids)):
        raise FieldError("ids", "must be a list of item ids", 'send {"ids": [...]}, or null')
    folder = _text(body, "folder", "name a folder in your home")
    return await in_thread(lambda: download_jobs.start(runner(root), user_basket(), ids, folder))


async def _launch(root: str, body: Body) -> Job:
    repository = _required(
        body,
        "repository",
        "missing or not text",
        "send the git URL of the software, e.g. https://github.com/org/repo",
    )
    ref = _text(body, "ref", "send ref: null")
    name = _text(body, "name", "send name: null")
    git_remote(repository, field="repository", home=Path.home())  # 400 if refused
    return launch_jobs.start(runner(root), repository, ref or None, name or None)


async def _publish(root: str, body: Body) -> Job:
    from esap.server.publish_common import publisher

    publication = opaque_id(body.get("publication"), "publication")
    try:
        entry = await in_thread(lambda: publisher(root).journal.get(publication))
    except KeyError:
        raise JobNotFound(publish_jobs.KIND, publication) from None
    if entry.published:
        raise Conflict(
            f"publication {publication} is published already",
            "see its record in My publications",
        )
    return publish_jobs.start(runner(root), publication)


async def _run(root: str, body: Body) -> Job:
    notebook = _required(
        body,
        "notebook",
        "missing; give the notebook's path relative to your home",
        'send {"notebook": "analysis/run.ipynb", "parameters": {...}}',
    )
    # the path rule (esap.core.paths): inside the home, not through a link out,
    # not into ~/.esap, no NUL or over-long name; a refusal is a 400 naming it
    path = user_path(notebook, Path(root), field="notebook", allow_absolute=True)
    parameters = body.get("parameters") or {}
    if not isinstance(parameters, dict) or not all(
        isinstance(key, str) and key.isidentifier() for key in parameters
    ):
        raise FieldError(
            "parameters",
            "not an object of Python names to values",
            'send {"parameters": {"threshold": 0.5}}',
        )
    try:
        return await in_thread(lambda: run_jobs.submit(path, parameters))
    except run_jobs.JobError as exc:
        raise FieldError("notebook", str(exc), "give the path of a .ipynb file") from None


#: How each kind starts from a ``POST jobs/<kind>`` body.
STARTS: dict[str, Callable[[str, Body], Awaitable[Job]]] = {
    query_jobs.KIND: _query,
    download_jobs.KIND: _download,
    launch_jobs.KIND: _launch,
    publish_jobs.KIND: _publish,
    run_jobs.KIND: _run,
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


__all__ = ["STARTS", "fresh", "resume", "runner", "view"]
