"""Publication runs: a publication driven by the one job runner (``esap.core.runner``).

A job is one run of a publication, under the publication's id: it carries
the live progress (the step, bytes sent of the total) and, when the run
stopped, what to do about it. The journal (:mod:`esap.publish.journal`)
stays what makes running again safe — the engine writes what it is about
to do before each remote call — so a run started again, by the user or by
the runner after a restart (the kind is resumable), resumes the same draft
and never makes a second record. One run per publication at a time: in
this server by the job store (a second start is :class:`JobBusy`), across
processes (a notebook, the command line) by the journal's lock.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from esap import metrics
from esap.core.jobs import Job, JobFailed
from esap.core.quota import ensure_room
from esap.core.runner import JobContext, Kind, Runner
from esap.publish.engine import Progress, Publisher, PublishError, describe
from esap.publish.journal import Entry, JournalBusyError

KIND = "publish"


def start(runner: Runner, publication: str) -> Job:
    """Run ``publication`` in the background; :class:`JobBusy` if it runs here already.

    A home at its quota starts no run (:class:`~esap.core.quota.QuotaExceeded`):
    the run builds the publication's package.
    """
    ensure_room("publishing")
    return runner.start(KIND, {"publication": publication}, job_id=publication)


def summary(entry: Entry) -> dict[str, Any]:
    """The result of a run that published: the record (its URL and DOIs)."""
    record = entry.record or {}
    return {
        "published": entry.published,
        "record": {key: record.get(key) for key in ("id", "url", "doi", "concept_doi")},
    }


def kind(publisher: Callable[[], Publisher]) -> Kind:
    """The ``publish`` kind, over the user's publisher."""

    def work(job: JobContext) -> dict[str, Any]:
        publication = job.params["publication"]
        journal = publisher().journal

        def record(progress: Progress) -> None:
            job.report(progress.sent, progress.total, progress.step, result={"file": progress.file})

        outcome: bool | None = False
        try:
            entry = publisher().run(publication, record)
            outcome = True
            return summary(entry)
        except PublishError as exc:  # its code says how it stopped (a failure's own kind)
            raise JobFailed(exc.code, exc.message, exc.fix) from exc
        except Exception as exc:
            cause = describe(exc)
            with contextlib.suppress(KeyError):
                journal.update(publication, error=cause.message)
            if isinstance(exc, JournalBusyError):
                outcome = None  # another process runs it: not this run's outcome
                raise JobFailed("busy", cause.message, "wait for the other run to finish") from exc
            raise JobFailed("publish_failed", cause.message, cause.fix) from exc
        finally:
            # counted before the run shows as ended, so a scrape after it sees it
            if outcome is not None:
                try:
                    archive = journal.get(publication).archive
                except KeyError:
                    archive = "unknown"
                metrics.record_publish(archive, outcome)

    return Kind(KIND, work, resumable=True)


__all__ = ["KIND", "kind", "start", "summary"]
