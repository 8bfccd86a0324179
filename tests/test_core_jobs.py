"""The one job system (esap.core.jobs, esap.core.runner): progress, end states, cancel, recovery.

Recovery is tried for real: a job is started by another Python process,
which is then killed in the middle of it, as a server is when it is culled.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from esap.core.jobs import ACTIVE, CANCELLED, DONE, ERROR, JobBusy, JobFailed, JobNotFound, JobStore
from esap.core.runner import JobContext, Kind, Runner, UnknownKind

#: Polls of a job before a test gives up on it (a count, not a time).
POLLS = 400


def settle(runner: Runner, kind: str, job_id: str) -> Any:
    """The job once it has ended (polled, a bounded number of times)."""
    stop = threading.Event()
    for _ in range(POLLS):
        job = runner.get(kind, job_id)
        if not job.active:
            return job
        stop.wait(0.05)
    raise AssertionError(f"{kind} job {job_id} still {job.state}")


def test_a_job_reports_progress_and_ends_with_its_result_or_its_error(tmp_path: Path) -> None:
    release = threading.Event()

    def count(job: JobContext) -> dict[str, Any]:
        for done in range(3):
            job.report(done + 1, 3, f"item {done + 1}", result={"seen": done + 1}, now=True)
        release.wait(30)
        return {"seen": 3, "params": job.params}

    def refuse(job: JobContext) -> None:
        job.report(1, 2, "half", result={"kept": "what was made"}, now=True)
        raise JobFailed("too_big", "the thing is too big", "ask for less", field="size")

    def crash(job: JobContext) -> None:
        raise KeyError("nowhere")

    runner = Runner(
        JobStore(tmp_path / "jobs.db"),
        [Kind("count", count), Kind("refuse", refuse), Kind("crash", crash)],
    )
    started = runner.start("count", {"n": 3}, key="three")
    with pytest.raises(JobBusy, match="still running on three"):
        runner.start("count", {"n": 4}, key="three")
    for _ in range(POLLS):
        running = runner.get("count", started.id)
        if running.done == 3:
            break
        threading.Event().wait(0.05)
    assert running.state == "running"
    assert running.as_dict()["progress"] == {"done": 3, "total": 3, "message": "item 3"}
    assert running.result == {"seen": 3}
    release.set()
    done = settle(runner, "count", started.id).as_dict()
    assert (done["state"], done["result"]) == (DONE, {"seen": 3, "params": {"n": 3}})
    assert done["error"] is None
    assert runner.start("count", {"n": 4}, key="three").id != started.id  # free again

    refused = settle(runner, "refuse", runner.start("refuse", {}).id)
    assert refused.state == ERROR
    assert refused.error == {
        "code": "too_big",
        "message": "the thing is too big",
        "fix": "ask for less",
        "field": "size",
    }
    assert refused.result == {"kept": "what was made"}
    crashed = settle(runner, "crash", runner.start("crash", {}).id)
    assert crashed.error["code"] == "failed"
    assert "KeyError" in crashed.error["message"]
    assert [job.kind for job in runner.list("refuse")] == ["refuse"]
    with pytest.raises(UnknownKind, match="use one of: count, crash, refuse"):
        runner.list("nothing")
    with pytest.raises(JobNotFound, match="no count job 'nope'"):
        runner.get("count", "nope")


def test_cancel_stops_the_work_and_delete_forgets_what_ended(tmp_path: Path) -> None:
    cancelled_remotely: list[str] = []

    def wait_for_cancel(job: JobContext) -> None:
        while not job.wait(0.02):
            job.report(job.done + 1)

    runner = Runner(
        JobStore(tmp_path / "jobs.db"),
        [Kind("wait", wait_for_cancel, cancel=lambda job: cancelled_remotely.append(job.id))],
    )
    job = runner.start("wait", {})
    assert runner.forget("wait", job.id).id == job.id  # DELETE of a running job cancels it
    ended = settle(runner, "wait", job.id)
    assert ended.state == CANCELLED
    assert cancelled_remotely == [job.id]
    assert runner.cancel("wait", job.id).state == CANCELLED  # again: nothing more happens
    assert cancelled_remotely == [job.id]
    runner.forget("wait", job.id)  # DELETE of an ended job forgets it
    assert runner.list("wait") == []

    # a job cancelled by another process (another server on the same home) stops too
    other = runner.start("wait", {})
    JobStore(tmp_path / "jobs.db").update("wait", other.id, only_if=ACTIVE, state=CANCELLED)
    assert settle(runner, "wait", other.id).state == CANCELLED


#: A process that starts a job and is killed in the middle of it (what a culled server is).
PROCESS = textwrap.dedent(
    """
    import sys, threading
    from pathlib import Path
    from esap.core.jobs import JobStore
    from esap.core.runner import Kind, Runner

    def work(job):
        job.report(1, 4, "one of four", result={"at": 1}, now=True)
        threading.Event().wait(600)

    runner = Runner(JobStore(Path(sys.argv[1])), [Kind("slow", work)])
    job = runner.start("slow", {"what": sys.argv[2]})
    while runner.get("slow", job.id).done != 1:
        threading.Event().wait(0.05)
    print(job.id, flush=True)
    threading.Event().wait(600)
    """
)


@pytest.fixture
def cut_off(tmp_path: Path) -> Iterator[Any]:
    """Start a job in another process; ``kill()`` it; the id of the job it left running."""
    processes: list[subprocess.Popen[str]] = []

    def start(what: str) -> tuple[subprocess.Popen[str], str]:
        process = subprocess.Popen(
            [sys.executable, "-c", PROCESS, str(tmp_path / "jobs.db"), what],
            stdout=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        assert process.stdout is not None
        return process, process.stdout.readline().strip()

    yield start
    for process in processes:
        process.kill()
        process.wait()


def test_a_job_cut_off_by_a_stop_is_resumed_or_ended_with_a_message(
    tmp_path: Path, cut_off: Any
) -> None:
    resumed_from: list[Any] = []

    def resume(job: JobContext) -> dict[str, Any]:
        resumed_from.append(job.result)
        return {"at": 4}

    store = JobStore(tmp_path / "jobs.db")
    living, living_id = cut_off("still running")
    stopped, stopped_id = cut_off("resumable")
    stopped.kill()
    stopped.wait()

    # a new server whose kind resumes: the job goes on from its result
    resuming = Runner(store, [Kind("slow", resume, resumable=True)])
    assert [job.id for job in resuming.recover()] == [stopped_id]  # not the living one
    ended = settle(resuming, "slow", stopped_id)
    assert (ended.state, ended.result) == (DONE, {"at": 4})
    assert resumed_from == [{"at": 1}]
    assert resuming.get("slow", living_id).state == "running"

    # a kind that cannot resume ends the job with an error that says so, keeping what it had
    living.kill()
    living.wait()
    ending = Runner(JobStore(tmp_path / "jobs.db"), [Kind("slow", resume)])
    interrupted = ending.get("slow", living_id)
    assert interrupted.state == ERROR
    assert interrupted.error == {
        "code": "interrupted",
        "message": "the server stopped while this slow job ran",
        "fix": "start it again",
    }
    assert interrupted.result == {"at": 1}
    assert json.loads(json.dumps(interrupted.as_dict()))["progress"]["message"] == "one of four"
    assert resumed_from == [{"at": 1}]
    # the dead owners' locks are swept; the resuming runner's own is the one left
    assert [path.stem for path in store.owners.glob("*.lock")] == [resuming.owner.token]


def test_the_jobs_an_older_esap_kept_are_moved_in_once(tmp_path: Path) -> None:
    from esap.bulk import jobs as runs
    from esap.core.db import connect
    from esap.data import jobs as queries

    # the tables of the release before the one job store, as it wrote them
    data = connect(tmp_path / "data.sqlite")
    data.execute(
        "CREATE TABLE jobs (id TEXT PRIMARY KEY, service TEXT NOT NULL, query TEXT NOT NULL,"
        " maxrec INTEGER, phase TEXT NOT NULL, created TEXT NOT NULL, updated TEXT NOT NULL,"
        " job_url TEXT, result_id TEXT, error TEXT)"
    )
    data.execute(
        "INSERT INTO jobs VALUES ('q1', 'tap', 'SELECT 1', NULL, 'COMPLETED',"
        " '2024-01-01T00:00:00Z', '2024-01-01T00:01:00Z', 'http://tap/async/1', 'r1', NULL)"
    )
    data.execute(
        "INSERT INTO jobs VALUES ('q2', 'tap', 'SELECT x', 10, 'ERROR',"
        " '2024-01-02T00:00:00Z', '2024-01-02T00:01:00Z', 'http://tap/async/2', NULL, 'no x')"
    )
    data.close()
    bulk = connect(tmp_path / "jobs.sqlite")
    bulk.execute(
        "CREATE TABLE jobs (id TEXT PRIMARY KEY, notebook TEXT NOT NULL, parameters TEXT NOT NULL,"
        " state TEXT NOT NULL, output_dir TEXT NOT NULL, created REAL NOT NULL, started REAL,"
        " finished REAL, host TEXT, pid INTEGER, error TEXT)"
    )
    failure = {"ename": "ValueError", "evalue": "bad", "cell": 3, "cell_index": 4}
    bulk.execute(
        "INSERT INTO jobs VALUES ('20240101T000000-abcdef', '/home/a/fit.ipynb', '{\"n\": 1}',"
        " 'failed', '/home/a/fit-runs/x', 1704067200, 1704067201, 1704067260, 'h', 7, ?)",
        (json.dumps(failure),),
    )
    bulk.close()

    store = JobStore(tmp_path / "jobs.db")
    for _ in range(2):  # a second time finds nothing left to move
        queries.adopt_legacy(store, tmp_path / "data.sqlite")
        runs.adopt_legacy(store, tmp_path / "jobs.sqlite")
    done, failed = store.get("query", "q1"), store.get("query", "q2")
    assert (done.state, done.result["result_id"], queries.phase(done)) == (
        "done",
        "r1",
        "COMPLETED",
    )
    assert (failed.state, failed.error["message"]) == ("error", "no x")
    assert failed.params == {"service": "tap", "query": "SELECT x", "maxrec": 10}
    (run,) = store.list("run")
    assert (run.state, run.params["parameters"]) == ("error", {"n": 1})
    assert run.error["message"] == "ValueError: bad"
    assert run.result["cell"]["cell"] == 3
    assert run.result["executed_notebook"] == "/home/a/fit-runs/x/fit.ipynb"
    assert run.created.startswith("2024-01-01T00:00:00")
    for old in ("data.sqlite", "jobs.sqlite"):
        tables = connect(tmp_path / old).execute("SELECT name FROM sqlite_master").fetchall()
        assert ("jobs",) not in tables
