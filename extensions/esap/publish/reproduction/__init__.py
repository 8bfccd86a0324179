"""Reproduce a publication: from a DOI back to a re-run notebook, its outputs compared.

From a notebook::

    import esap.publish
    result = esap.publish.reproduce("10.5281/zenodo.123")   # or a record URL, a publication id
    result                     # the verdict, and where the report is
    result.report()            # report.json as a dict: cell by cell, file by file
    result.attach(metadata={"creators": ["Doe, Jane"]})  # the report as a related record

and from a terminal, ``esap reproduce 10.5281/zenodo.123``. A reproduction
fetches the record's files and checks each checksum (``fetch``), reads its
RO-Crate and lock (``crate``), rebuilds the environment with uv
(``environment``), fetches the inputs again (``inputs``), re-runs the
notebook with the runner of ``esap run`` (``rerun``), compares the outputs
(``compare``, ``files``) and writes the report (``report``); ``engine``
drives the steps as a job of kind ``reproduce`` (``jobs``), which is what
every face starts.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from esap.core.jobs import Job, JobStore
from esap.core.runner import Runner
from esap.publish.engine import Publisher
from esap.publish.journal import Entry
from esap.publish.reproduction import jobs
from esap.publish.reproduction.attach import attach as attach_report
from esap.publish.reproduction.steps import STEPS, StepFailed

#: Seconds between two looks at a reproduction run here.
POLL = 0.2


@dataclass(frozen=True)
class Reproduction:
    """A finished reproduction as a notebook shows it: the verdict and where the report is."""

    id: str
    verdict: str
    summary: str
    folder: Path
    record: dict[str, Any]
    error: dict[str, str] | None
    home: Path

    @property
    def report_html(self) -> Path:
        return self.folder / "report.html"

    @property
    def report_json(self) -> Path:
        return self.folder / "report.json"

    def report(self) -> dict[str, Any]:
        """The full report (``report.json``)."""
        document: dict[str, Any] = json.loads(self.report_json.read_text(encoding="utf-8"))
        return document

    def attach(
        self,
        how: str = "related",
        *,
        archive: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        publisher: Publisher | None = None,
    ) -> Entry:
        """Publish the report: as a record related to the reproduced one, or as its new version."""
        return attach_report(
            publisher or Publisher(),
            self.folder,
            self.report(),
            how=how,
            archive=archive,
            metadata=metadata,
        )

    @classmethod
    def from_job(cls, job: Job, home: Path) -> Reproduction:
        result = job.result or {}
        return cls(
            id=job.id,
            verdict=str(
                result.get("verdict") or ("cancelled" if job.state == "cancelled" else "failed")
            ),
            summary=str(result.get("summary") or (job.error or {}).get("message", "")),
            folder=home / str(result.get("folder") or f"esap-reproductions/{job.id}"),
            record=dict(result.get("record") or {}),
            error=job.error,
            home=home,
        )

    def __repr__(self) -> str:
        title = self.record.get("title") or self.record.get("id") or "the record"
        lines = [f"reproduction of {title!r}: {self.verdict}", f"  {self.summary}"]
        if self.error and self.error.get("fix"):
            lines.append(f"  {self.error['fix']}")
        lines.append(f"  report: {self.report_html}")
        return "\n".join(lines)


def run_here(
    values: dict[str, Any],
    *,
    publisher: Publisher | None = None,
    home: Path | None = None,
    on_progress: Callable[[Job], None] | None = None,
) -> Job:
    """Run a reproduction as a job of this process (the command line, a notebook) to its end.

    It is a job of the user's one job store like those the lab starts, so
    the lab lists it; an interrupt (Ctrl-C) cancels it, its run included.
    """
    chosen = publisher or Publisher()
    where = (home or chosen.home).resolve()
    store = JobStore()
    runner = Runner(store, [jobs.kind(lambda: chosen, lambda: where)])
    job: Job | None = None
    try:
        job = jobs.start(runner, values)
        seen = ""
        while True:
            try:
                current = store.get(jobs.KIND, job.id)
                if on_progress is not None and current.message != seen:
                    seen = current.message
                    on_progress(current)
                if not current.active:
                    return current
                time.sleep(POLL)
            except KeyboardInterrupt:
                runner.cancel(jobs.KIND, job.id)
                while store.get(jobs.KIND, job.id).active or _thread_alive(job.id):
                    time.sleep(POLL)
                return store.get(jobs.KIND, job.id)
    finally:
        deadline = time.monotonic() + 30
        while job is not None and _thread_alive(job.id) and time.monotonic() < deadline:
            time.sleep(POLL)  # the report is written before the thread ends
        store.close()


def _thread_alive(job_id: str) -> bool:
    return any(t.name == f"esap-{jobs.KIND}-{job_id}" for t in threading.enumerate())


def _print(job: Job) -> None:
    print(f"\r{job.message}"[:100].ljust(100), end="", flush=True)


def reproduce(
    source: str,
    *,
    nearest: bool = False,
    packages: Sequence[str] | Mapping[str, str] | None = None,
    fresh: bool = False,
    progress: bool = True,
    publisher: Publisher | None = None,
) -> Reproduction:
    """Reproduce the record ``source`` names (a DOI, a record's URL, a publication id).

    ``nearest`` runs the notebook in this lab's environment when the lock
    cannot be rebuilt (the report lists what then differs); ``packages``
    (``["numpy==2.1.0"]``) changes pins of the lock on purpose; ``fresh``
    rebuilds the environment even when one built from the same lock is there.
    """
    chosen = publisher or Publisher()
    values = jobs.params(source, nearest=nearest, packages=packages, fresh=fresh)
    job = run_here(values, publisher=chosen, on_progress=_print if progress else None)
    if progress:
        print("\r".ljust(100), end="\r", flush=True)
    return Reproduction.from_job(job, chosen.home)


__all__ = ["STEPS", "Reproduction", "StepFailed", "reproduce", "run_here"]
