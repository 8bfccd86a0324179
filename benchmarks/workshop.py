"""50 workshop participants logging in and spawning at once: time to a ready lab.

Two hubs run one after the other in the same invocation, on free loopback
ports, with the same spawner (JupyterHub's ``SimpleLocalProcessSpawner``
running ``jupyterhub-singleuser`` from this environment, one home per user)
and the same spawn limits: ``Spawner.start_timeout`` and ``http_timeout``
are read from ESAP's own spawner settings (``esap.hub.spawner``) and written
into the bare hub's config; neither hub changes JupyterHub's
``concurrent_spawn_limit`` (100) or ``active_server_limit`` (none):

``ours``
    ``esap workshop start --users N --material <a local git repository>``:
    roster login (scrypt), the trainer as admin, the workshop-ender service,
    and the course material pulled by nbgitpuller on the way to the lab.
``bare``
    ``jupyterhub`` with a ``jupyterhub_config.py`` of a dozen lines:
    ``SharedPasswordAuthenticator``, the same spawner, no services, the lab as
    landing page.

No browser: N concurrent HTTP clients (httpx) each do what Chromium does
on the wire, and the clock runs from the login form's POST to the lab page:

1. GET ``/hub/login``, POST the form (name, password, ``_xsrf``), which
   starts the spawn;
2. follow the spawn's progress event stream
   ``/hub/api/users/<name>/server/progress`` (what the spawn-pending page
   does) until it says ready, or failed, with the hub's reason;
3. ours only: the nbgitpuller page's event stream
   ``/user/<name>/git-pull/api?repo=…`` until the pull is done (what the
   page's script waits for before it redirects);
4. GET ``/user/<name>/lab`` until it answers 200 with the lab's HTML (this
   includes the hub's OAuth hand-shake for the user server).

The lab's JavaScript is not run (``benchmarks/lab_load.py`` measures that).
Each hub is stopped (its whole process group) before the next starts.

A participant who gets no lab (a spawn that failed or timed out, a login
refused) is reported with the reason, and counts as never ready: the
percentiles are over all N participants, so a p95 with more than 5 % failed
is infinite and the ratio is ``nan`` (the run is not a comparison then), and
the script exits with status 1.

The last line reads::

    workshop time to ready lab (p95, N at once): ours <x> s, bare JupyterHub <y> s,
    ratio <r> (goal <= 1.1)

(on one line).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import yaml
from traitlets.config import Config

from esap.config import loads
from esap.hub.spawner import configure_spawner
from esap.hub.state import HubState

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_course(directory: Path) -> str:
    repo = directory / "course"
    repo.mkdir()
    (repo / "welcome.ipynb").write_text(
        '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n'
    )
    git = ["git", "-c", "user.name=Trainer", "-c", "user.email=trainer@example.org"]
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "course"]):
        subprocess.run([*git, *args], cwd=repo, check=True)
    return f"file://{repo}"


BARE_CONFIG = """
c = get_config()  # noqa
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_port}"
c.ConfigurableHTTPProxy.command = ["{bin}/configurable-http-proxy"]
c.JupyterHub.db_url = "sqlite:///{dir}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{dir}/cookie_secret"
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = "{password}"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = "{dir}/homes/{{username}}"
c.Spawner.cmd = ["{bin}/jupyterhub-singleuser"]
c.Spawner.args = {args}
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = {start_timeout}
c.Spawner.http_timeout = {http_timeout}
c.JupyterHub.cleanup_servers = True
"""


class Hub:
    """A hub process group the benchmark started."""

    def __init__(self, argv: list[str], cwd: Path, url: str, env: dict[str, str]) -> None:
        self.url = url
        self.log = (cwd / "hub.log").open("wb")
        self.process = subprocess.Popen(
            argv, cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT, env=env,
            start_new_session=True,
        )  # fmt: skip

    def wait_up(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"hub exited: see {self.log.name}")
            try:
                if httpx.get(f"{self.url}/hub/api/", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise TimeoutError("hub did not start")

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass
        self.log.close()


async def participant(url: str, name: str, password: str, pull: str | None) -> float:
    """One participant: login → ready server → (pull) → lab page; seconds taken."""
    async with httpx.AsyncClient(base_url=url, timeout=600, follow_redirects=True) as client:
        await client.get("/hub/login")
        xsrf = client.cookies["_xsrf"]
        started = time.monotonic()
        response = await client.post(
            "/hub/login", data={"username": name, "password": password, "_xsrf": xsrf},
            follow_redirects=False,
        )  # fmt: skip
        if response.status_code != 302:
            raise RuntimeError(f"{name}: login answered {response.status_code}")
        # the redirects (to /hub/spawn, then the pending page) start the server
        await client.get(response.headers["location"])
        await spawned(client, name, xsrf)
        if pull:
            async with client.stream("GET", f"/user/{name}/git-pull/api?{pull}") as stream:
                async for line in stream.aiter_lines():
                    if '"phase": "finished"' in line or '"phase":"finished"' in line:
                        break
                    if '"phase": "error"' in line:
                        raise RuntimeError(f"{name}: pull failed: {line}")
        lab = await client.get(f"/user/{name}/lab")
        if lab.status_code == 200 and "jupyter-config-data" in lab.text:
            return time.monotonic() - started
        raise RuntimeError(f"{name}: the lab answered {lab.status_code}")


async def spawned(client: httpx.AsyncClient, name: str, xsrf: str) -> None:
    """Follow the spawn's progress events until ready; raise with the hub's reason if it fails."""
    async with client.stream(
        "GET", f"/hub/api/users/{name}/server/progress", headers={"X-XSRFToken": xsrf}
    ) as stream:
        if stream.status_code != 200:
            raise RuntimeError(f"spawn progress answered {stream.status_code}")
        async for line in stream.aiter_lines():
            if not line.startswith("data:"):
                continue
            event = json.loads(line.removeprefix("data:"))
            if event.get("ready"):
                return
            if event.get("failed"):
                raise RuntimeError(f"spawn failed: {event.get('message')}")
    raise RuntimeError("the spawn's progress stream ended with neither ready nor failed")


async def crowd(
    url: str, accounts: list[tuple[str, str]], pull: str | None
) -> tuple[list[float], list[str]]:
    """Everyone at once; the times of those who got a lab, and what failed for the others."""
    results = await asyncio.gather(
        *(participant(url, n, p, pull) for n, p in accounts), return_exceptions=True
    )
    times = [r for r in results if isinstance(r, float)]
    failures = [f"{type(r).__name__}: {r}" for r in results if isinstance(r, BaseException)]
    return times, failures


def percentile(values: list[float], failed: int, q: float) -> float:
    """The q-th percentile (nearest rank) over every participant; no lab counts as never ready."""
    everyone = sorted(values) + [math.inf] * failed
    if not everyone:
        return math.nan
    return everyone[max(1, math.ceil(q / 100 * len(everyone))) - 1]


def spawn_timeouts() -> dict[str, Any]:
    """ESAP's spawn timeouts, as its spawner configuration sets them on a local hub."""
    c = Config()
    with tempfile.TemporaryDirectory() as tmp:
        configure_spawner(c, loads("hub: {mode: local}\n"), HubState(Path(tmp)))
    return {"start_timeout": c.Spawner.start_timeout, "http_timeout": c.Spawner.http_timeout}


def run_ours(directory: Path, users: int, env: dict[str, str]) -> tuple[list[float], list[str]]:
    material = make_course(directory)
    port = free_port()
    config = {
        "hub": {
            "port": port, "internal_port": free_port(), "proxy_api_port": free_port(),
            "data_dir": str(directory / "data"), "cull_idle_after": 0,
        },
    }  # fmt: skip
    (directory / "esap.yaml").write_text(yaml.safe_dump(config))
    sheet = directory / "accounts.csv"
    hub = Hub(
        [str(BIN / "esap"), "workshop", "start", "--config", str(directory / "esap.yaml"),
         "--users", str(users), "--hours", "2", "--material", material, "--csv", str(sheet)],
        directory, f"http://127.0.0.1:{port}", env,
    )  # fmt: skip
    try:
        hub.wait_up()
        with sheet.open() as handle:
            rows = [r for r in csv.DictReader(handle) if r["role"] == "participant"]
        accounts = [(row["username"], row["password"]) for row in rows]
        pull = f"repo={material}&branch=main"
        return asyncio.run(crowd(hub.url, accounts, pull))
    finally:
        hub.stop()


def run_bare(directory: Path, users: int, env: dict[str, str]) -> tuple[list[float], list[str]]:
    port = free_port()
    password = secrets.token_urlsafe(12)
    (directory / "homes").mkdir()
    args = ["--allow-root"] if os.geteuid() == 0 else []
    (directory / "jupyterhub_config.py").write_text(
        BARE_CONFIG.format(
            port=port, hub_port=free_port(), proxy_port=free_port(), bin=BIN,
            dir=directory, password=password, args=args, **spawn_timeouts(),
        )
    )  # fmt: skip
    hub = Hub(
        [str(BIN / "jupyterhub"), "-f", str(directory / "jupyterhub_config.py")],
        directory, f"http://127.0.0.1:{port}", env,
    )  # fmt: skip
    try:
        hub.wait_up()
        accounts = [(f"participant-{i:02d}", password) for i in range(1, users + 1)]
        return asyncio.run(crowd(hub.url, accounts, None))
    finally:
        hub.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--logs", type=Path, help="copy both hubs' logs into this folder")
    args = parser.parse_args()
    env = dict(os.environ)
    env["PATH"] = f"{BIN}:{env.get('PATH', '')}"
    with tempfile.TemporaryDirectory(prefix="esap-workshop-bench-") as tmp:
        root = Path(tmp)
        (root / "ours").mkdir()
        (root / "bare").mkdir()
        ours = run_ours(root / "ours", args.users, env)
        bare = run_bare(root / "bare", args.users, env)
        if args.logs:
            args.logs.mkdir(parents=True, exist_ok=True)
            for label in ("ours", "bare"):
                shutil.copyfile(root / label / "hub.log", args.logs / f"{label}-hub.log")
    for label, (values, failures) in (("ours", ours), ("bare", bare)):
        slowest = f"{max(values):.1f} s" if values else "-"
        print(
            f"{label}: {len(values)} of {args.users} labs ready, "
            f"p50 {percentile(values, len(failures), 50):.1f} s, "
            f"p95 {percentile(values, len(failures), 95):.1f} s, "
            f"slowest ready {slowest}, {len(failures)} failed"
        )
        for failure, count in Counter(failures).most_common():
            print(f"  {label}: {count} x {failure}")
    ours95 = percentile(ours[0], len(ours[1]), 95)
    bare95 = percentile(bare[0], len(bare[1]), 95)
    failed = len(ours[1]) + len(bare[1])
    if failed:
        print(f"not a comparison: {failed} participants got no lab (see above)")
    ratio = ours95 / bare95 if math.isfinite(ours95) and math.isfinite(bare95) else math.nan
    print(
        f"workshop time to ready lab (p95, {args.users} at once): ours {ours95:.1f} s, "
        f"bare JupyterHub {bare95:.1f} s, ratio {ratio:.2f} (goal <= 1.1)"
    )
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
