"""What a local hub started, found again by its mark: nothing of a hub is left running.

Every process a local hub starts carries :data:`MARKER` (the hub's data
directory) in its environment: the hub sets it in its own (the proxy
inherits it) and in its services' and user servers' (their kernels and
children inherit it). Processes are found by that mark, never by their
names, so two hubs on one machine never touch each other's.

Three moments use it:

* a hub that exits, whichever way it is asked to (Ctrl-C, SIGTERM, SIGHUP,
  an error while starting), stops what its own clean-up missed on the way
  out (:func:`guard`): JupyterHub installs its graceful handlers only once
  it has started, so a signal during start-up used to leave the proxy and
  the services it had started; a service that ignores its signal, or the
  kernels of a server that had to be killed, went the same way;
* ``esap hub`` starting on a data directory whose hub was killed (``kill
  -9``, a crash, the OOM killer) stops what that hub left (:func:`clean`):
  its proxy (whose port the new proxy needs), its services (a second culler
  or metrics service would run beside the new one), and user servers its
  database does not know; the servers it knows keep running, and JupyterHub
  adopts them (``LocalProcessSpawner.poll`` finds each by the process id
  it stored), so nobody loses a running kernel to a hub restart;
* the same ``esap hub`` refuses to start while a hub still runs on that
  directory (:func:`running_hub`), instead of stopping that hub's servers.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import json
import os
import signal
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from esap.hub.state import HubState

if TYPE_CHECKING:
    import psutil

#: The environment variable that marks a process as one of a hub's: its data directory.
MARKER = "ESAP_HUB_DATA_DIR"
#: Seconds a process is given to stop after SIGTERM before it is killed.
GRACE = 10.0


def mark(c: Any, state: HubState) -> None:
    """Mark the services and user servers the hub will start as its own.

    ``c`` is the hub's traitlets config, after every service and the
    spawner's environment are set. (The hub's own mark, which its proxy
    inherits, is set by :func:`guard` in the hub's process.)
    """
    marker = {MARKER: str(state.root)}
    services = c.JupyterHub.services
    if isinstance(services, list):
        for service in services:
            if isinstance(service, dict) and service.get("command"):
                service["environment"] = {**(service.get("environment") or {}), **marker}
    environment = c.Spawner.environment
    c.Spawner.environment = {**(environment if isinstance(environment, dict) else {}), **marker}


def _marked(root: Path) -> list[psutil.Process]:
    """The live processes marked with ``root``, but this one and those it runs under."""
    import psutil

    own = {os.getpid(), *(parent.pid for parent in psutil.Process().parents())}
    found = []
    for process in psutil.process_iter():
        if process.pid in own:
            continue
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                continue
            if process.environ().get(MARKER) == str(root):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def _command(process: psutil.Process) -> list[str]:
    import psutil

    try:
        return [str(part) for part in process.cmdline()]
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return []


def _is_hub(command: list[str]) -> bool:
    """Whether a command line is JupyterHub's own (``python -m jupyterhub``, ``jupyterhub``)."""
    return any(a == "-m" and b == "jupyterhub" for a, b in itertools.pairwise(command)) or (
        bool(command) and Path(command[0]).name == "jupyterhub"
    )


def running_hub(state: HubState) -> int | None:
    """The process id of a hub that runs on ``state``'s data directory, if one does."""
    for process in _marked(state.root):
        if _is_hub(_command(process)):
            return int(process.pid)
    return None


def known_servers(state: HubState) -> set[int]:
    """Process ids of the user servers the hub's database records (the ones it adopts).

    Read from JupyterHub's table of spawners (each one's ``state`` holds the
    ``pid`` the local spawner stored); an unreadable database knows none.
    """
    if not state.database_file.is_file():
        return set()
    try:
        with contextlib.closing(
            sqlite3.connect(f"file:{state.database_file}?mode=ro", uri=True, timeout=5)
        ) as database:
            rows = database.execute("SELECT state FROM spawners").fetchall()
    except sqlite3.Error:
        return set()
    pids = set()
    for (raw,) in rows:
        with contextlib.suppress(TypeError, ValueError, AttributeError):
            pid = (json.loads(raw) if isinstance(raw, str | bytes) else raw or {}).get("pid")
            if isinstance(pid, int) and pid > 0:
                pids.add(pid)
    return pids


def describe(process: psutil.Process) -> str:
    """A process as a person reads it in a message: its id and command."""
    command = " ".join(_command(process)) or "?"
    return f"{process.pid} ({command[:120]})"


def stop(processes: Iterable[psutil.Process], grace: float = GRACE) -> None:
    """SIGTERM each process, then SIGKILL those still running after ``grace`` seconds."""
    import psutil

    chosen = list(processes)
    for process in chosen:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            process.terminate()
    _, alive = psutil.wait_procs(chosen, timeout=grace)
    for process in alive:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            process.kill()
    psutil.wait_procs(alive, timeout=grace)


def clean(state: HubState) -> list[str]:
    """Stop what a dead hub on ``state``'s data directory left; keep the servers it adopts.

    Call it only when :func:`running_hub` found no hub. Returns a line per
    process stopped, for the admin.
    """
    import psutil

    known = known_servers(state)
    marked = _marked(state.root)
    kept: set[int] = set()
    for process in marked:
        if process.pid in known:  # an adopted server keeps its kernels and terminals
            kept.add(process.pid)
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                kept.update(child.pid for child in process.children(recursive=True))
    stale = [process for process in marked if process.pid not in kept]
    lines = [describe(process) for process in stale]
    stop(stale)
    return lines


def _stop_everything(root: Path) -> None:
    """Stop every process of this hub still running (what its clean-up missed)."""
    stop(_marked(root))


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def guard(state: HubState) -> None:
    """In the hub's own process: leave nothing running when it exits, however it is asked to.

    SIGTERM and SIGHUP end the process through ``SystemExit`` (as Ctrl-C's
    ``KeyboardInterrupt`` does) until JupyterHub installs its own graceful
    handlers for SIGTERM and SIGINT once started; at exit, whatever is
    still marked as this hub's is stopped.
    """
    os.environ[MARKER] = str(state.root)  # the hub's own mark; its proxy inherits it
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _exit_on_signal)
    atexit.register(_stop_everything, state.root)


__all__ = [
    "GRACE",
    "MARKER",
    "clean",
    "describe",
    "guard",
    "known_servers",
    "mark",
    "running_hub",
    "stop",
]
