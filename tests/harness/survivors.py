"""The session's end check: no process the test run started may outlive it.

A process belongs to this run when it carries the run's mark, or names
the run's temporary directory:

* :data:`SESSION_MARK` is set in this process's environment when the
  session starts, so every process a test starts inherits it, and so do
  their children, even once they are re-parented to init (a hub's proxy,
  its services, user servers and their kernels, started in sessions of
  their own);
* a process started with a clean environment (DaCHS, ``esap`` runs with a
  chosen one, the servers a hub starts, which get only what JupyterHub
  passes on) still has the run's temporary directory in its command line,
  its working directory or an environment value: every server a test
  starts keeps its files, data directory or config there.

After the last fixture is torn down, processes still found are given a
grace period to finish exiting; those that remain are listed and the
session fails (exit status 1), passed or not. They are then stopped, so
the next run starts on a clean machine.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time

import psutil
import pytest

#: The environment variable that marks every process of this test run.
SESSION_MARK = "ESAP_TEST_SESSION"
#: Polls (of 0.25 s) a process is given to finish exiting after the last teardown.
GRACE_POLLS = 60

_BASETEMP = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """Mark this run: every process started from now on inherits the mark."""
    os.environ[SESSION_MARK] = secrets.token_hex(12)


@pytest.fixture(scope="session", autouse=True)
def _session_temp(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Remember the run's temporary directory (servers keep their files below it)."""
    request.config.stash[_BASETEMP] = str(tmp_path_factory.getbasetemp())


def _names(text: str, directory: str) -> bool:
    """Whether ``text`` holds ``directory`` or a path below it (not a sibling that begins alike)."""
    start = text.find(directory)
    while start != -1:
        end = start + len(directory)
        if end == len(text) or text[end] in (os.sep, " ", ":", "'", '"', "="):
            return True
        start = text.find(directory, end)
    return False


def belongs(process: psutil.Process, mark: str, directory: str | None) -> bool:
    """Whether ``process`` was started by the run marked ``mark`` (temporary dir ``directory``)."""
    try:
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        texts = [*process.cmdline()]
        with contextlib.suppress(psutil.AccessDenied):
            environment = process.environ()
            if environment.get(SESSION_MARK) == mark:
                return True
            texts += environment.values()
        with contextlib.suppress(psutil.AccessDenied):
            texts.append(process.cwd())
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False
    return directory is not None and any(_names(text, directory) for text in texts)


def survivors(mark: str, directory: str | None) -> list[psutil.Process]:
    """The processes of this run still running (this process and its parents aside)."""
    own = {os.getpid(), *(parent.pid for parent in psutil.Process().parents())}
    return [
        process
        for process in psutil.process_iter()
        if process.pid not in own and belongs(process, mark, directory)
    ]


def describe(process: psutil.Process) -> str:
    try:
        command = " ".join(process.cmdline())
        parent = process.ppid()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return f"{process.pid} (gone)"
    return f"{process.pid} (parent {parent}): {command[:200]}"


def stop(processes: list[psutil.Process]) -> None:
    """SIGTERM, then SIGKILL what is still there."""
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            process.terminate()
    _, alive = psutil.wait_procs(processes, timeout=10)
    for process in alive:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            process.kill()
    psutil.wait_procs(alive, timeout=10)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the session, listing them, when processes of the run outlive it."""
    mark = os.environ.get(SESSION_MARK, "")
    directory = session.config.stash.get(_BASETEMP, None)
    found = survivors(mark, directory)
    for _ in range(GRACE_POLLS):  # a process stopped at the last teardown may still be exiting
        if not found:
            return
        time.sleep(0.25)
        found = survivors(mark, directory)
    if not found:
        return
    lines = [
        f"{len(found)} process(es) of this test run outlived it (now stopped):",
        *(f"  {describe(process)}" for process in found),
    ]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_sep("=", "processes left running", red=True)
        for line in lines:
            reporter.write_line(line)
    else:
        print("\n".join(lines))
    stop(found)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


__all__ = ["SESSION_MARK", "belongs", "survivors"]
