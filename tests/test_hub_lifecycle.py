"""Nothing of a hub is left running: Ctrl-C, SIGTERM, a ``kill -9`` and a restart, the test run.

The hub is started as ``make run`` starts it (``esap hub --config ... --port
...``), in a process group of its own as a terminal's foreground job is, on
free ports, with its data directory in the test's folder: JupyterHub, its
proxy, the idle culler, the metrics service, Dask Gateway (and its proxy),
a user server and a kernel in it. Every process of it is found by the test
folder in its command line, environment or working directory.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import yaml

from harness.dask_hub import dask_section
from harness.hub import RunningHub, hub_config, start_hub
from harness.survivors import SESSION_MARK

pytestmark = pytest.mark.hub

#: What each process of a hub is, by a word of its command line (the first that matches).
KINDS = {
    "configurable-http-proxy": "proxy",
    "jupyterhub_idle_culler": "culler",
    "esap.hub.metrics_service": "metrics",
    "dask-gateway-proxy": "gateway proxy",
    "dask_gateway_server": "gateway",
    "jupyterhub-singleuser": "server",
    "ipykernel_launcher": "kernel",
}
#: Polls (of 0.2 s) the processes of a stopped hub are given to exit.
POLLS = 300


def kind(process: psutil.Process) -> str:
    """What a process of the hub is: ``hub``, ``proxy``, ``server``... or its command."""
    try:
        command = process.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return "gone"
    for word, name in KINDS.items():
        if any(word in part for part in command):
            return name
    if "jupyterhub" in command and "-m" in command:
        return "hub"
    return " ".join(command)[:100]


def processes_of(directory: Path) -> list[psutil.Process]:
    """Every live process that names ``directory`` (command line, environment, working dir)."""
    own = {os.getpid(), *(parent.pid for parent in psutil.Process().parents())}
    found = []
    for process in psutil.process_iter():
        if process.pid in own:
            continue
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                continue
            texts = [*process.cmdline(), process.cwd(), *process.environ().values()]
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        if any(str(directory) in text for text in texts):
            found.append(process)
    return found


def inventory(directory: Path) -> Counter[str]:
    return Counter(kind(process) for process in processes_of(directory))


def wait_until_gone(directory: Path) -> list[str]:
    """What is still running of the hub after its processes were given time to exit."""
    for _ in range(POLLS):
        left = processes_of(directory)
        if not left:
            return []
        time.sleep(0.2)
    return [f"{p.pid} {kind(p)}" for p in processes_of(directory)]


def kill_what_is_left(directory: Path) -> None:
    """A failed test still stops everything it started."""
    left = processes_of(directory)
    for process in left:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(left, timeout=10)


def config_for(directory: Path) -> dict[str, Any]:
    return hub_config(directory, {"hub": {"metrics": {"enabled": True}}, "dask": dask_section()})


def start(directory: Path, config: dict[str, Any]) -> RunningHub:
    """``esap hub`` as ``make run`` runs it: the config and the port on its command line."""
    return start_hub(directory, config, args=("--port", str(config["hub"]["port"])))


def start_kernel(hub: RunningHub, user: str, token: str) -> str:
    answer = httpx.post(
        f"{hub.url}/user/{user}/api/kernels",
        headers={"Authorization": f"token {token}"},
        json={"name": "python3"},
        timeout=60,
    )
    assert answer.status_code == 201, answer.text
    kernel = str(answer.json()["id"])
    for _ in range(POLLS):  # the kernel's process appears once it is launched
        if inventory(hub.data_dir)["kernel"]:
            return kernel
        time.sleep(0.2)
    raise AssertionError(f"no kernel process: {inventory(hub.data_dir)}")


@pytest.fixture
def directory(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    kill_what_is_left(tmp_path)


@pytest.mark.parametrize(
    "how", ["ctrl-c to the group", "sigterm to the hub"], ids=["ctrl-c", "sigterm"]
)
def test_a_stopped_hub_leaves_nothing_running(directory: Path, how: str) -> None:
    hub = start(directory, config_for(directory))
    hub.start_server("alice")
    start_kernel(hub, "alice", hub.token_for("alice"))
    running = inventory(directory)
    for name in ("hub", "proxy", "culler", "metrics", "gateway", "gateway proxy", "server"):
        assert running[name] == 1, running
    assert running["kernel"] == 1, running
    if how == "ctrl-c to the group":
        os.killpg(hub.process.pid, signal.SIGINT)  # what a terminal sends its foreground job
    else:
        os.kill(hub.process.pid, signal.SIGTERM)
    hub.process.wait(timeout=120)
    assert wait_until_gone(directory) == []


def test_ctrl_c_while_the_hub_starts_leaves_nothing_running(directory: Path) -> None:
    config = config_for(directory)
    config_path = directory / "esap.yaml"
    config_path.write_text(yaml.safe_dump(config))
    with (directory / "hub.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "esap", "hub", "--config", str(config_path)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "ESAP_TEST_SERVICE_TOKEN": "t" * 32,
                 "ESAP_TEST_USER_PASSWORD": "p" * 16},
            start_new_session=True,
        )  # fmt: skip
    for _ in range(POLLS):  # the proxy runs: the hub is part way through starting
        if inventory(directory)["proxy"]:
            break
        assert process.poll() is None, (directory / "hub.log").read_text()
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)
    process.wait(timeout=120)
    assert wait_until_gone(directory) == [], (directory / "hub.log").read_text()[-3000:]


def test_a_killed_hub_is_cleaned_up_and_its_servers_adopted(directory: Path) -> None:
    config = config_for(directory)
    first = start(directory, config)
    first.start_server("alice")
    token = first.token_for("alice")
    kernel = start_kernel(first, "alice", token)
    before = {kind(p): p.pid for p in processes_of(directory)}

    os.kill(first.process.pid, signal.SIGKILL)  # the hub alone; all it started runs on
    first.process.wait(timeout=30)
    orphans = inventory(directory)
    assert orphans["hub"] == 0
    assert orphans["proxy"] == orphans["server"] == orphans["culler"] == 1, orphans

    second = start(directory, config)
    try:
        after = {kind(p): p.pid for p in processes_of(directory)}
        counted = inventory(directory)
        for name in ("hub", "proxy", "culler", "metrics", "gateway", "gateway proxy", "server"):
            assert counted[name] == 1, counted  # nothing twice
        assert counted["kernel"] == 1, counted
        # the proxy and the services are the new hub's; the user's server and kernel were adopted
        for name in ("proxy", "culler", "metrics", "gateway", "gateway proxy"):
            assert after[name] != before[name], (name, before, after)
            assert not psutil.pid_exists(before[name]), name
        assert (after["server"], after["kernel"]) == (before["server"], before["kernel"])
        with second.api() as api:
            server = api.get("users/alice").json()["servers"][""]
        assert server["ready"] is True
        assert server["state"]["pid"] == before["server"]
        through_new_proxy = httpx.get(
            f"{second.url}/user/alice/api/kernels/{kernel}",
            headers={"Authorization": f"token {token}"},
            timeout=30,
        )
        assert through_new_proxy.status_code == 200, through_new_proxy.text
        log = second.log_path.read_text(errors="replace")
        assert "stopped what the last hub on this data directory left running" in log
    finally:
        second.stop()
    assert wait_until_gone(directory) == []


def test_a_second_hub_on_the_same_data_directory_is_refused(directory: Path) -> None:
    config = config_for(directory)
    first = start(directory, config)
    try:
        running = inventory(directory)
        other = {**config, "hub": {**config["hub"], "port": config["hub"]["port"] + 1}}
        (directory / "other.yaml").write_text(yaml.safe_dump(other))
        refused = subprocess.run(
            [sys.executable, "-m", "esap", "hub", "--config", str(directory / "other.yaml")],
            capture_output=True,
            text=True,
            env={**os.environ, "ESAP_TEST_SERVICE_TOKEN": "t" * 32,
                 "ESAP_TEST_USER_PASSWORD": "p" * 16},
            timeout=120,
            check=False,
        )  # fmt: skip
        assert refused.returncode == 1, refused.stderr
        assert f"a hub (process {first.process.pid}) already runs on it" in refused.stderr
        assert inventory(directory) == running  # none of its processes was touched
    finally:
        first.stop()
    assert wait_until_gone(directory) == []


# ---------------------------------------------------------------- the end check

LEAKING_TEST = textwrap.dedent(
    """
    import subprocess, sys

    def test_leaks(tmp_path):
        # a child that inherits the run's mark, and a detached one with a clean
        # environment that names the run's folder: both outlive the session
        subprocess.Popen(["sleep", "600"], start_new_session=True)
        script = "import sys, time; time.sleep(600)"
        subprocess.Popen(
            ["sh", "-c", f'{sys.executable} -c "{script}" {tmp_path} &'],
            env={"PATH": "/usr/bin:/bin"},
            start_new_session=True,
        ).wait()
    """
)


def test_the_end_check_lists_and_fails_a_run_that_leaves_processes(tmp_path: Path) -> None:
    (tmp_path / "test_leak.py").write_text(LEAKING_TEST)
    env = {k: v for k, v in os.environ.items() if k != SESSION_MARK}
    env["PYTHONPATH"] = str(Path(__file__).parent)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "harness.survivors", "-p", "no:cacheprovider",
         "-q", "--basetemp", str(tmp_path / "run"), "--rootdir", str(tmp_path),
         str(tmp_path / "test_leak.py")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
        check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "1 passed" in output, output
    assert "2 process(es) of this test run outlived it (now stopped):" in output, output
    listed = re.findall(r"^  (\d+) \(parent \d+\): (.*)$", output, re.MULTILINE)
    assert sorted(command.split()[0] for _, command in listed) == sorted(
        ["sleep", sys.executable]
    ), output
    assert not [pid for pid, _ in listed if psutil.pid_exists(int(pid))]  # the check stopped them
