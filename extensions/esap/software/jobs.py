"""Launch jobs: "Open in my lab" run by the one job runner (``esap.core.runner``), kind ``launch``.

The work runs the steps of :func:`esap.software.launch.launch` and writes
the launch (its steps, their output, the kernel and notebook when done) as
the job's result at every step, so the Software panel follows it and a lab
reloaded in the middle finds it again. At most one launch of the same
software runs at a time (they would share folders). A launch the server
was stopped in the middle of is not resumed: its step ran in the old
process, so it ends with an error saying to start it again (each step is
idempotent: the clone is updated, the environment rebuilt).
"""

from __future__ import annotations

from typing import Any

from esap.core.ids import new_id
from esap.core.jobs import Job, JobBusy, JobFailed
from esap.core.runner import JobContext, Kind, Runner
from esap.software.launch import Launch, launch, slug

KIND = "launch"


class LaunchBusy(JobBusy):
    """A launch of the same software is still running (they would share folders)."""


def view(job: Launch) -> dict[str, Any]:
    """The job's result: the launch, plus where it is (the current and the failed step)."""
    document = job.as_dict()
    for duplicate in ("id", "state", "error"):  # the job's own
        document.pop(duplicate)
    document.update(
        current=next((s.name for s in job.steps if s.state == "running"), None),
        failed=next((s.name for s in job.steps if s.state == "error"), None),
    )
    return document


def start(runner: Runner, repository: str, ref: str | None, name: str | None = None) -> Job:
    """Record a launch and run it; :class:`LaunchBusy` while the same software is launched."""
    first = Launch(new_id(), repository, ref, slug(name or repository))
    params = {"repository": repository, "ref": ref, "name": first.name}
    try:
        return runner.start(KIND, params, job_id=first.id, key=first.name, result=view(first))
    except JobBusy as exc:
        raise LaunchBusy(
            exc.job,
            f"{first.name} is being launched already (launch {exc.job.id})",
            f"wait for it: GET jobs/launch/{exc.job.id}",
        ) from None


def work(job: JobContext) -> dict[str, Any]:
    """Run the steps, writing the launch at each one."""

    def report(state: Launch) -> None:
        finished = sum(1 for s in state.steps if s.state in ("done", "skipped"))
        document = view(state)
        job.report(finished, len(state.steps), document["current"] or "", result=document, now=True)

    params = job.params
    current = Launch(job.id, params["repository"], params["ref"], params["name"])
    ended = launch(params["repository"], params["ref"], params["name"], report, current)
    if ended.state == "error":
        raise JobFailed(
            "launch_failed",
            ended.error or "the launch failed",
            "see the output of the failed step, correct it and open the software again",
            result=view(ended),
        )
    return view(ended)


def interrupted(job: Job) -> JobFailed:
    """A launch cut off by a restart: the step it was in failed; start it again."""
    document = dict(job.result or {})
    document["steps"] = [
        {**step, "state": "error"} if step.get("state") == "running" else step
        for step in document.get("steps", [])
    ]
    document["failed"] = document.get("current")
    document["current"] = None
    return JobFailed(
        "interrupted", "the server stopped during this launch", "start it again", result=document
    )


def kind() -> Kind:
    """The ``launch`` kind."""
    return Kind(KIND, work, interrupted=interrupted)


__all__ = ["KIND", "LaunchBusy", "kind", "start", "view", "work"]
