"""One probe round against a local hub: ESAP Hub's probe vs the same round by hand with httpx.

A real hub (``esap hub`` on loopback, as the tests start it) whose data
services are the test archive's TAP, SIAv2 and SCS endpoints (GAVO DaCHS),
with a curated software catalogue and a local archive. One round, both ways:

* ours: :func:`esap.probe.runner.run_round`, the round the ``esap-probe``
  service and ``esap probe --once`` run (spawn through the hub's progress
  events, one search per data service, the catalogue, the basket round
  trip, a publication, then the clean-up), every step bounded by its time-out;
* peer: the same calls written out as a plain script would write them with
  httpx: create the bot, a token, start its server and poll until ready,
  the same searches, basket calls and publication, stop, remove the bot
  and its files.

Measured for each: the round's wall time, and the CPU the hub's processes
(JupyterHub, the proxy, the bot's lab: the hub's process tree, psutil) spent
during it beyond what they spend idle over the same time. Rounds alternate
after one warm-up each; medians are reported. The last line:

    probe round: ours <x> s, plain HTTP <y> s, ratio <r> (goal <= 1.5)

Usage: .venv/bin/python benchmarks/probe.py [--rounds N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psutil
from _data_bench import median, running_dachs

from harness.hub import RunningHub, hub_config, start_hub

REPO = Path(__file__).resolve().parents[1]
BOT = "bench-probe-bot"
IDLE = 5.0
API = "esap/api/v1/"


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process tree: the living processes and the children they reaped."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def idle_rate(pid: int) -> float:
    """The hub's CPU per second when nobody uses it."""
    start = tree_cpu(pid)
    time.sleep(IDLE)
    return (tree_cpu(pid) - start) / IDLE


def measured(pid: int, run: Callable[[], None]) -> tuple[float, float]:
    """(wall seconds, the hub's CPU seconds beyond idle) of ``run``."""
    rate = idle_rate(pid)
    cpu = tree_cpu(pid)
    began = time.perf_counter()
    run()
    seconds = time.perf_counter() - began
    return seconds, max(0.0, tree_cpu(pid) - cpu - rate * seconds)


def ours(hub: RunningHub, token: str) -> None:
    from esap.config import load
    from esap.probe.plan import Plan
    from esap.probe.runner import run_round

    plan = Plan.from_config(load(hub.config_path), hub.url)
    done = asyncio.run(run_round(plan, token))
    if not done.ok:
        raise RuntimeError("our round failed:\n" + "\n".join(map(str, done.failed)))


def plain(hub: RunningHub, token: str, archive: Path) -> None:
    """The same round, as a script with httpx writes it."""
    headers = {"Authorization": f"token {token}"}
    with httpx.Client(base_url=f"{hub.url}/hub/api/", headers=headers, timeout=120) as api:
        api.post(f"users/{BOT}").raise_for_status()
        bot = api.post(f"users/{BOT}/tokens", json={"expires_in": 3600}).json()["token"]
        api.post(f"users/{BOT}/server").raise_for_status()
        while not (api.get(f"users/{BOT}").json()["servers"].get("") or {}).get("ready"):
            time.sleep(0.25)
        record = None
        with httpx.Client(
            base_url=f"{hub.url}/user/{BOT}/",
            headers={"Authorization": f"token {bot}"},
            timeout=120,
        ) as lab:
            services = lab.get(f"{API}data/services").json()["services"]
            for service in services:
                if service["source"] != "admin" or not service["enabled"]:
                    continue
                body = {"services": [service["name"]], "ra": 10.6847, "dec": 41.269}
                body.update(radius=0.1, maxrec=10)
                with lab.stream("POST", f"{API}data/search", json=body) as stream:
                    for line in stream.iter_lines():
                        if line and json.loads(line)["event"] in ("rows", "error"):
                            break
            for catalogue in lab.get(f"{API}software/catalogues").json()["catalogues"]:
                params = {"catalogues": catalogue["name"], "limit": 1}
                lab.get(f"{API}software/search", params=params).raise_for_status()
            item = {"kind": "data", "service": "bench", "title": "plain round"}
            added = lab.post(f"{API}basket", json={"items": [item]}).json()["ids"][0]
            lab.get(f"{API}basket/items/{added}").raise_for_status()
            lab.delete(f"{API}basket/items/{added}").raise_for_status()
            assert lab.get(f"{API}basket/items/{added}").status_code == 404
            lab.put(
                "api/contents/plain.txt",
                json={"type": "file", "format": "text", "content": "a plain round\n"},
            ).raise_for_status()
            metadata = {
                "title": "plain round",
                "creators": [{"name": "Round, Plain"}],
                "description": "benchmark",
                "license": "CC-BY-4.0",
            }
            request = {"files": ["plain.txt"], "metadata": metadata, "archive": "local"}
            record = lab.post(f"{API}publish/publications", json=request).json()["id"]
            while not lab.get(f"{API}publish/publications/{record}").json()["published"]:
                time.sleep(0.25)
        api.delete(f"users/{BOT}/server")
        while api.get(f"users/{BOT}").json()["servers"]:
            time.sleep(0.25)
        api.delete(f"users/{BOT}").raise_for_status()
    shutil.rmtree(hub.data_dir / "homes" / BOT, ignore_errors=True)
    shutil.rmtree(archive / str(record), ignore_errors=True)


def config(directory: Path, dachs: Any) -> dict[str, Any]:
    token_file = directory / "probe-token"
    token_file.write_text(secrets.token_hex(16))
    return hub_config(
        directory,
        {
            "data_services": [
                {"name": "local-tap", "type": "tap", "url": dachs.tap_url, "timeout": 60},
                {"name": "local-sia", "type": "sia2", "url": dachs.sia2_url, "timeout": 60},
                {"name": "local-scs", "type": "scs", "url": dachs.scs_url, "timeout": 60},
            ],
            "software_catalogues": [
                {"name": "curated", "type": "codemeta", "path": str(REPO / "tests/data/software")}
            ],
            "archives": [{"name": "local", "type": "local", "path": str(directory / "archive")}],
            "probe": {"user": BOT, "token": f"file:{token_file}"},
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds each (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_dachs(Path(tmp) / "dachs") as (_, dachs):
        directory = Path(tmp) / "hub"
        directory.mkdir()
        hub = start_hub(directory, config(directory, dachs))
        try:
            token = (directory / "probe-token").read_text()
            sides: dict[str, Callable[[], None]] = {
                "ours": lambda: ours(hub, token),
                "plain HTTP": lambda: plain(hub, token, directory / "archive"),
            }
            for run in sides.values():  # warm-up: imports, the first spawn, connections
                run()
            figures: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
            for _ in range(args.rounds):
                for name, run in sides.items():
                    figures[name].append(measured(hub.process.pid, run))
        finally:
            hub.stop()
    wall = {name: median([s for s, _ in runs]) for name, runs in figures.items()}
    cpu = {name: median([c for _, c in runs]) for name, runs in figures.items()}
    print(
        f"hub CPU above idle during a round: ours {cpu['ours']:.2f} s, "
        f"plain HTTP {cpu['plain HTTP']:.2f} s"
    )
    print(
        f"probe round: ours {wall['ours']:.2f} s, plain HTTP {wall['plain HTTP']:.2f} s, "
        f"ratio {wall['ours'] / wall['plain HTTP']:.2f} (goal <= 1.5)"
    )


if __name__ == "__main__":
    sys.exit(main())
