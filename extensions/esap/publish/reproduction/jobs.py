"""Reproductions as jobs of the one job runner (``esap.core.runner``), kind ``reproduce``.

Every face starts a reproduction the same way — the lab (``POST
jobs/reproduce``), ``esap reproduce``, ``esap.publish.reproduce()`` — and
follows it like any job: its progress says the step and, while the notebook
runs, the cell; its result says where the report is and the verdict; it
can be cancelled (the notebook's run stops with it). The lab's server runs
it on a thread, so the user may close the lab and come back to the report.
A reproduction cut off by a stop of the server is not resumed (its
environment and run are gone with it): it ends saying so, and starting it
again starts over.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from esap.core.errors import FieldError
from esap.core.jobs import Job, JobFailed, JobStore
from esap.core.quota import ensure_room
from esap.core.runner import JobContext, Kind, Runner
from esap.publish.engine import Publisher
from esap.publish.reproduction import rerun
from esap.publish.reproduction.engine import reproduce

KIND = "reproduce"
_PACKAGE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([A-Za-z0-9][A-Za-z0-9.+!_-]*)\s*$")


def parse_packages(given: Sequence[str] | Mapping[str, str] | None) -> dict[str, str]:
    """``["numpy==2.1.0"]`` or ``{"numpy": "2.1.0"}`` -> ``{"numpy": "2.1.0"}``, checked."""
    if not given:
        return {}
    items = (
        [f"{name}=={version}" for name, version in given.items()]
        if isinstance(given, Mapping)
        else list(given)
    )
    found = {}
    for text in items:
        matched = _PACKAGE.match(str(text))
        if not matched:
            raise FieldError(
                "packages",
                f"{text!r} is not NAME==VERSION",
                "name a package and the exact version to use instead of the locked one, "
                "e.g. numpy==2.1.0",
            )
        found[matched.group(1)] = matched.group(2)
    return found


def params(
    source: str,
    *,
    nearest: bool = False,
    packages: Sequence[str] | Mapping[str, str] | None = None,
    fresh: bool = False,
) -> dict[str, Any]:
    """A reproduction's job parameters, checked."""
    if not isinstance(source, str) or not source.strip():
        raise FieldError(
            "source", "no record named", "give a DOI, a record's URL or a publication id"
        )
    if len(source) > 2000:
        raise FieldError("source", "longer than 2000 characters", "give a DOI or a record's URL")
    return {
        "source": source.strip(),
        "nearest": bool(nearest),
        "packages": parse_packages(packages),
        "fresh": bool(fresh),
    }


def new_id() -> str:
    """A job id that sorts by time and reads as one: ``20261207T101500-a1b2c3``."""
    return f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}"


def start(runner: Runner, values: dict[str, Any]) -> Job:
    """Start a reproduction on the runner's threads; the job as first recorded.

    A home at its quota starts none (a reproduction fetches a record and
    builds an environment in the home).
    """
    ensure_room("reproducing a publication")
    return runner.start(KIND, values, job_id=new_id())


def cancel(job: Job) -> None:
    """Stop the notebook's run, wherever the reproduction's thread is."""
    run_id = (job.result or {}).get("run_job")
    if not run_id:
        return
    store = JobStore()
    try:
        rerun.cancel(store, str(run_id))
    finally:
        store.close()


def interrupted(job: Job) -> JobFailed:
    """A reproduction the server stopped in the middle of: said so, and how to start again."""
    return JobFailed(
        "interrupted",
        "the server stopped while this reproduction ran; its environment and run went with it",
        "start the reproduction again (it starts over)",
        result=job.result,
    )


def kind(publisher: Callable[[], Publisher], home: Callable[[], Path]) -> Kind:
    """The ``reproduce`` kind, over the user's publisher (journal, archives, tokens) and home."""

    def work(job: JobContext) -> dict[str, Any]:
        return reproduce(job, publisher, home())

    return Kind(KIND, work, interrupted=interrupted, cancel=cancel)


__all__ = ["KIND", "cancel", "kind", "new_id", "params", "parse_packages", "start"]
