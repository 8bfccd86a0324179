"""One job runner: start a job on a thread, report its progress, cancel it, recover it.

A kind of job is a :class:`Kind`: a name and a work function
``work(job: JobContext) -> result`` that reports progress through the
context and checks ``job.stopped`` (cancel sets it). Everything else — the
row in the store, the thread, the end state, the error's words, what
happens to a job the server was stopped in the middle of — is done here,
once, for every kind.

After a restart, a job still pending or running whose owner is gone is
*resumed* when its kind is ``resumable`` (its work reads ``job.result`` to
go on where it was: a download from its ``.part`` files, a query from its
remote job, a publication from its journal), else ended with the kind's
``interrupted`` error, which says the server stopped and what to do.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from esap.core.errors import NotFound
from esap.core.jobs import (
    ACTIVE,
    CANCELLED,
    DONE,
    ERROR,
    RUNNING,
    Job,
    JobFailed,
    JobNotFound,
    JobStore,
    Owner,
    error_of,
)

LOG = logging.getLogger("esap.jobs")

#: Seconds between two progress writes while a job reports often (bytes flowing).
PROGRESS_EVERY = 0.25

_KEEP = object()


def cut_off(job: Job) -> JobFailed:
    """The error of a job whose process ended before it did (unless its kind says better)."""
    return JobFailed(
        "interrupted",
        f"the server stopped while this {job.kind} job ran",
        "start it again",
        result=job.result,
    )


@dataclass(frozen=True)
class Kind:
    """One kind of job: its work, and what stopping, forgetting or losing it takes."""

    name: str
    #: Does the job: reports through the context, returns the result (JSON-ready).
    work: Callable[[JobContext], Any]
    #: Whether a job cut off by a restart is run again (its work resumes from ``job.result``).
    resumable: bool = False
    #: The error a cut-off job that is not resumed ends with.
    interrupted: Callable[[Job], JobFailed] = cut_off
    #: What else cancelling takes, beyond the stop event (a remote job, a process).
    cancel: Callable[[Job], None] | None = None
    #: What else forgetting a finished job takes (a remote job's leftovers).
    forget: Callable[[Job], None] | None = None


class UnknownKind(NotFound):
    """No kind of job has this name."""

    code = "not_found"


class JobContext:
    """What a running job's work sees: its params, its result so far, progress, the stop event."""

    def __init__(self, store: JobStore, job: Job, stop: threading.Event) -> None:
        self.store = store
        self.kind = job.kind
        self.id = job.id
        self.params = job.params
        #: The result saved so far (what a resumed job goes on from).
        self.result: Any = job.result
        self.stop = stop
        self.done, self.total, self.message = job.done, job.total, job.message
        self._last = 0.0

    @property
    def stopped(self) -> bool:
        """Whether the job was cancelled: the work should end soon (and may just return)."""
        return self.stop.is_set()

    def report(
        self,
        done: int | None = None,
        total: object = _KEEP,
        message: str | None = None,
        *,
        result: Any = _KEEP,
        now: bool = False,
    ) -> None:
        """Record progress (and the result so far): written at most every 0.25 s unless ``now``.

        A job cancelled or ended by another process stops being written:
        the stop event is set instead, so the work ends.
        """
        if done is not None:
            self.done = done
        if total is not _KEEP:
            self.total = total  # type: ignore[assignment]
        if message is not None:
            self.message = message
        if result is not _KEEP:
            self.result = result
        if not now and time.monotonic() - self._last < PROGRESS_EVERY:
            return
        self._last = time.monotonic()
        if not self.store.update(self.kind, self.id, only_if=(RUNNING,), **self._progress()):
            self.stop.set()

    def _progress(self) -> dict[str, Any]:
        return {
            "done": self.done,
            "total": self.total,
            "message": self.message,
            "result": self.result,
        }

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds`` (polling a remote service); whether the job was cancelled."""
        return self.stop.wait(seconds)


def run_here(store: JobStore, kind: Kind, job: Job, stop: threading.Event | None = None) -> Job:
    """Run ``job``'s work in this thread from start to end; the job as it ended.

    The runner's threads call it, and so does a process of its own (a
    headless run), whose owner lock its parent made.
    """
    stop = stop or threading.Event()
    if not store.update(job.kind, job.id, only_if=ACTIVE, state=RUNNING):
        return store.get(job.kind, job.id)  # cancelled before it began
    context = JobContext(store, job, stop)
    state, error = DONE, None
    try:
        value = kind.work(context)
        if value is not None:
            context.result = value
    except Exception as exc:
        state, error = ERROR, error_of(exc)
        if isinstance(exc, JobFailed):
            if exc.result is not None:
                context.result = exc.result
        elif not stop.is_set():
            LOG.exception("ESAP %s job %s failed", job.kind, job.id)
    if stop.is_set():
        state, error = CANCELLED, None
    store.update(
        job.kind,
        job.id,
        only_if=(*ACTIVE, CANCELLED),
        state=state,
        error=error,
        **context._progress(),
    )
    try:
        return store.get(job.kind, job.id)
    except JobNotFound:  # forgotten the moment it was cancelled
        return job


class Runner:
    """Runs the jobs of one process (the user's server) on threads, one per job."""

    def __init__(self, store: JobStore, kinds: Iterable[Kind]) -> None:
        self.store = store
        self.kinds = {kind.name: kind for kind in kinds}
        self._owner: Owner | None = None
        self._stops: dict[tuple[str, str], threading.Event] = {}
        self._lock = threading.Lock()

    @property
    def owner(self) -> Owner:
        """This process's owner lock, made the first time it runs a job."""
        with self._lock:
            if self._owner is None:
                self._owner = self.store.owner()
            return self._owner

    def kind(self, name: str) -> Kind:
        """The kind ``name``; :class:`UnknownKind` naming the others."""
        if name not in self.kinds:
            raise UnknownKind(
                f"no kind of job {name!r}", f"use one of: {', '.join(sorted(self.kinds))}"
            )
        return self.kinds[name]

    def start(
        self,
        kind: str,
        params: dict[str, Any],
        *,
        job_id: str | None = None,
        key: str | None = None,
        result: Any = None,
    ) -> Job:
        """Record a job and run its work on a thread; the job as first recorded."""
        chosen = self.kind(kind)
        job = self.store.create(
            kind, params, job_id=job_id, key=key, owner=self.owner.token, result=result
        )
        self._spawn(chosen, job)
        return job

    def _spawn(self, kind: Kind, job: Job) -> None:
        stop = threading.Event()
        with self._lock:
            self._stops[(job.kind, job.id)] = stop
        threading.Thread(
            target=self._run, args=(kind, job, stop), daemon=True, name=f"esap-{job.kind}-{job.id}"
        ).start()

    def _run(self, kind: Kind, job: Job, stop: threading.Event) -> None:
        try:
            run_here(self.store, kind, job, stop)
        finally:
            with self._lock:
                self._stops.pop((job.kind, job.id), None)

    def recover(self) -> list[Job]:
        """Resume (or end with an error) every job of a known kind whose owner has ended."""
        recovered = []
        for job in self.store.active():
            kind = self.kinds.get(job.kind)
            if kind is None or self.store.alive(job.owner):
                continue
            if kind.resumable:
                if self.store.update(
                    job.kind, job.id, only_if=ACTIVE, owner_was=job.owner, owner=self.owner.token
                ):
                    LOG.info("ESAP %s job %s: resumed after a restart", job.kind, job.id)
                    self._spawn(kind, self.store.get(job.kind, job.id))
                    recovered.append(job)
                continue
            failure = kind.interrupted(job)
            if self.store.update(
                job.kind,
                job.id,
                only_if=ACTIVE,
                owner_was=job.owner,
                state=ERROR,
                error=failure.as_error(),
                result=failure.result,
            ):
                recovered.append(job)
        self.store.sweep()
        return recovered

    def cancel(self, kind: str, job_id: str) -> Job:
        """Stop an active job (it ends ``cancelled``); a finished job is left as it is."""
        chosen = self.kind(kind)
        job = self.store.get(kind, job_id)
        if not job.active:
            return job
        self.store.update(kind, job_id, only_if=ACTIVE, state=CANCELLED)
        with self._lock:
            stop = self._stops.get((kind, job_id))
        if stop is not None:
            stop.set()
        if chosen.cancel is not None:
            try:
                chosen.cancel(job)
            except Exception:  # the job is cancelled here whatever its remote part does
                LOG.warning("ESAP %s job %s: cancelling its remote part failed", kind, job_id)
        return self.store.get(kind, job_id)

    def forget(self, kind: str, job_id: str) -> Job:
        """``DELETE``: cancel an active job; forget a finished one (what it made stays)."""
        chosen = self.kind(kind)
        job = self.store.get(kind, job_id)
        if job.active:
            return self.cancel(kind, job_id)
        if chosen.forget is not None:
            try:
                chosen.forget(job)
            except Exception:  # gone already at its remote end: forget it anyway
                LOG.info("ESAP %s job %s: its remote part was gone", kind, job_id)
        self.store.delete(kind, job_id)
        return job

    def get(self, kind: str, job_id: str) -> Job:
        """One job (a job cut off by a restart is first recovered)."""
        self.kind(kind)
        self.recover()
        return self.store.get(kind, job_id)

    def list(self, kind: str) -> list[Job]:
        """The jobs of a kind, newest first (jobs cut off by a restart are first recovered)."""
        self.kind(kind)
        self.recover()
        return self.store.list(kind)


__all__ = ["PROGRESS_EVERY", "JobContext", "Kind", "Runner", "UnknownKind", "cut_off", "run_here"]
