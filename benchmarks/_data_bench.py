"""Shared pieces of the data-discovery benchmarks: DaCHS, a jupyter-server with ESAP, timing.

Not a benchmark itself. The archive is the test suite's GAVO DaCHS
(``tests/harness/dachs.py``); the ESAP side is a bare ``jupyter server`` with
the ``esap`` extension, configured by an ``esap.yaml`` (``$ESAP_CONFIG``),
serving the same REST API a hub's user server does, with its state in a
temporary ``$ESAP_STATE_DIR``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from harness.dachs import DachsService, Harness  # noqa: E402
from harness.ports import free_port  # noqa: E402


@contextlib.contextmanager
def running_dachs(directory: Path) -> Iterator[tuple[Harness, DachsService]]:
    """The test archive, started (and stopped) like the test fixture does."""
    harness = Harness(directory)
    try:
        yield harness, harness.start()
    finally:
        harness.stop()


class EsapServer:
    """A jupyter server with the ESAP REST API, on a free loopback port."""

    def __init__(self, directory: Path, config: dict[str, Any]) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.config_path = directory / "esap.yaml"
        self.config_path.write_text(yaml.safe_dump(config))
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "ESAP_CONFIG": str(self.config_path),
            "ESAP_STATE_DIR": str(directory / "state"),
            "JUPYTER_CONFIG_DIR": str(directory / "config"),
            "JUPYTER_RUNTIME_DIR": str(directory / "runtime"),
            "JUPYTER_DATA_DIR": str(directory / "data"),
        }
        env.pop("ESAP_PUBLIC_CONFIG", None)
        args = [
            sys.executable, "-m", "jupyter_server", "--no-browser", f"--port={self.port}",
            "--ip=127.0.0.1", f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={directory}", "--ServerApp.jpserver_extensions={'esap': True}",
        ]  # fmt: skip
        if os.geteuid() == 0:
            args.append("--allow-root")
        self.log = (directory / "server.log").open("wb")
        self.process = subprocess.Popen(
            args, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.api = httpx.Client(
            base_url=f"{self.url}/esap/api/v1/",
            headers={"Authorization": f"token {self.token}"},
            timeout=600,
        )
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if self.api.get("data/services").status_code == 200:
                    return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the ESAP server did not start; see {directory / 'server.log'}")

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.api.close()
        self.log.close()


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in kB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def reset_peak(pid: int) -> None:
    """Reset the process's VmHWM to its current RSS (Linux clear_refs)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
