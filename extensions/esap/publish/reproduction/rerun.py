"""Step ``run``: the notebook re-run headless by the runner of ``esap run``, and followed.

The run is a job of kind ``run`` like any other (:func:`esap.bulk.jobs.submit`):
papermill in a process of its own session, writing the executed notebook
after each cell into ``<notebook stem>-runs/<run id>/`` beside the notebook,
listed with the user's other runs. Only its kernel differs: the kernelspec
the reproduction wrote for the rebuilt environment. The reproduction waits
for it, reporting which cell it is at (read from the executed notebook, whose
cells papermill marks ``completed`` one after the other), and cancelling the
reproduction stops it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from esap.bulk import jobs as run_jobs
from esap.core.jobs import ACTIVE, CANCELLED, DONE, Job, JobStore
from esap.publish.reproduction.steps import StepFailed

#: Seconds between two looks at the run.
POLL = 0.25
#: Seconds between two readings of the executed notebook (for the cell count).
CELLS_EVERY = 1.0


def start(notebook: Path, kernel: str, kernels: Path) -> Job:
    """Start the run of ``notebook`` with ``kernel`` (found in the data dir ``kernels``)."""
    try:
        return run_jobs.submit(notebook, {}, kernel=kernel, kernels=kernels)
    except run_jobs.JobError as exc:
        raise StepFailed("run", "run_failed", exc.message, exc.fix) from exc


def cells_done(executed: Path) -> tuple[int, int] | None:
    """``(code cells completed, code cells)`` of a notebook papermill is writing, if readable."""
    try:
        document = json.loads(executed.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    code = [c for c in document.get("cells") or [] if c.get("cell_type") == "code"]
    done = sum(
        1
        for c in code
        if ((c.get("metadata") or {}).get("papermill") or {}).get("status") == "completed"
    )
    return done, len(code)


def follow(
    store: JobStore,
    run_id: str,
    on_progress: Callable[[str], None],
    stopped: Callable[[], bool],
) -> Job:
    """Wait for the run to end; :class:`StepFailed` naming the failing cell if it failed."""
    last = 0.0
    while True:
        job = store.get(run_jobs.KIND, run_id)
        if not job.active:
            break
        if stopped():
            cancel(store, run_id)
            raise StepFailed("run", "cancelled", "the reproduction was cancelled")
        if time.monotonic() - last >= CELLS_EVERY:
            last = time.monotonic()
            executed = Path(str((job.result or {}).get("executed_notebook") or ""))
            count = cells_done(executed) if executed.name else None
            on_progress(f"cell {count[0]} of {count[1]}" if count else "starting the kernel")
        time.sleep(POLL)
    if job.state == DONE:
        return job
    error = job.error or {}
    cell = ((job.result or {}).get("cell") or {}).get("cell")
    if error.get("code") == "cell_failed":
        raise StepFailed(
            "run",
            "notebook_failed",
            f"the notebook failed in cell [{cell}]: {error.get('message')}",
            "see that cell in the executed notebook and the run's log (both in the "
            "reproduction's folder); the cells before it are compared below",
        )
    raise StepFailed(
        "run",
        "run_failed",
        f"the run ended {job.state}: {error.get('message', 'no reason given')}",
        error.get("fix") or "see the run's log in the reproduction's folder",
    )


def cancel(store: JobStore, run_id: str) -> None:
    """Stop a run (its whole session, kernel included) and mark it cancelled."""
    try:
        job = store.get(run_jobs.KIND, run_id)
    except Exception:  # forgotten already
        return
    if job.active:
        run_jobs.cancel(job)
        store.update(run_jobs.KIND, run_id, only_if=ACTIVE, state=CANCELLED)


__all__ = ["cancel", "cells_done", "follow", "start"]
