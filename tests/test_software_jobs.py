"""Launch jobs (kind ``launch``): kept across restarts, one at a time per software."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from esap.core.jobs import JobNotFound, JobStore
from esap.core.runner import Runner
from esap.software import jobs as jobs_module
from esap.software.jobs import LaunchBusy
from esap.software.launch import Launch

#: A server that starts a launch stuck in its first step, and is killed there.
SERVER = textwrap.dedent(
    """
    import sys, threading
    from pathlib import Path
    from esap.core.jobs import JobStore
    from esap.core.runner import Runner
    from esap.software import jobs

    def slow_launch(repository, ref, name, report, job):
        job.step("pull").state = "running"
        report(job)
        threading.Event().wait(600)
        return job

    jobs.launch = slow_launch
    runner = Runner(JobStore(Path(sys.argv[1])), [jobs.kind()])
    started = jobs.start(runner, "file:///somewhere/demo.git", "main")
    while runner.get("launch", started.id).result["current"] != "pull":
        threading.Event().wait(0.05)
    print(started.id, flush=True)
    threading.Event().wait(600)
    """
)


def test_a_launch_cut_by_a_restart_is_interrupted_and_the_same_software_waits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    def slow_launch(
        repository: str,
        ref: str | None,
        name: str,
        report: Callable[[Launch], None],
        job: Launch,
    ) -> Launch:
        job.step("pull").state = "running"
        report(job)
        release.wait(30)
        return job

    monkeypatch.setattr(jobs_module, "launch", slow_launch)
    path = tmp_path / "jobs.db"
    first = Runner(JobStore(path), [jobs_module.kind()])
    started = jobs_module.start(first, "file:///somewhere/demo.git", "main")
    assert started.state in ("pending", "running")
    with pytest.raises(LaunchBusy, match="demo is being launched already"):
        jobs_module.start(first, "file:///elsewhere/demo", None)
    release.set()

    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        cut = server.stdout.readline().strip()
    finally:
        server.kill()  # the server is stopped in the middle of the launch
        server.wait()
    reopened = Runner(JobStore(path), [jobs_module.kind()])  # a new server on the same home
    job = reopened.get("launch", cut)
    assert job.state == "error"
    assert job.error is not None
    assert job.error["code"] == "interrupted"
    assert job.error["fix"] == "start it again"
    assert job.result["failed"] == "pull"
    assert job.result["steps"][0] == {"name": "pull", "state": "error", "output": ""}
    assert cut in [j.id for j in reopened.list("launch")]
    again = jobs_module.start(reopened, "file:///somewhere/demo.git", "main")
    assert again.id != cut
    assert again.params == {
        "repository": "file:///somewhere/demo.git",
        "ref": "main",
        "name": "demo",
    }
    with pytest.raises(JobNotFound):
        reopened.get("launch", "0" * 32)
