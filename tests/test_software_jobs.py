"""Launch jobs in ~/.esap/software.db: kept across server restarts, one at a time per software."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from esap.software import jobs as jobs_module
from esap.software.jobs import LaunchBusy, LaunchJobs
from esap.software.launch import Launch


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
    path = tmp_path / "software.db"
    first = LaunchJobs(path)
    started = first.start("file:///somewhere/demo.git", "main")
    assert started["state"] == "running"
    with pytest.raises(LaunchBusy, match="demo is being launched already"):
        first.start("file:///elsewhere/demo", None)
    for _ in range(200):
        if first.get(started["id"])["current"] == "pull":
            break
        threading.Event().wait(0.05)
    assert first.get(started["id"])["current"] == "pull"

    reopened = LaunchJobs(path)  # a new server process on the same home
    job = reopened.get(started["id"])
    assert job["state"] == "interrupted"
    assert job["failed"] == "pull"
    assert "start it again" in job["error"]
    assert [j["id"] for j in reopened.list()] == [started["id"]]
    again = reopened.start("file:///somewhere/demo.git", "main")
    assert again["id"] != started["id"]
    release.set()
    with pytest.raises(KeyError):
        reopened.get("0" * 32)
    stored = json.loads(
        reopened._conn.execute(
            "SELECT document FROM launches WHERE id=?", (again["id"],)
        ).fetchone()[0]
    )
    assert stored["repository"] == "file:///somewhere/demo.git"
