"""Reproducing the shipped tutorials' publications: ``esap reproduce`` vs the same steps by hand.

Starts what the tutorials need — the test archive (GAVO DaCHS), a hub with
Dask Gateway (tutorial 3), the Zenodo stand-in — in a temporary home, runs
each shipped tutorial once as a user does (a fresh lab state each) and
publishes it with its outputs to the Zenodo stand-in. Then, in the same
run, taking turns to go first, each publication is reproduced:

``ours``
    ``esap.publish.reproduce(doi)``: the record found from its DOI, its files
    fetched and each checksum checked, the environment rebuilt from the lock
    with uv (kept for the next record of the same lock, after checking it
    still holds exactly the locked packages), the inputs fetched again and
    hashed, the notebook re-run by the runner of ``esap run`` (a job, its
    own process), every cell and output file compared, the report written.
``by hand``
    what a scientist types: download the record's files from the records
    API (``GET /api/records/:id``, then each file), ``uv venv`` and ``uv pip
    install --no-deps -r environment.lock.txt`` into a new environment (the
    lines of packages installed from a local folder replaced by ``-e`` of
    that folder, as the lock says they are on no index), ``papermill`` with
    that environment's Python, and a diff of each code cell's outputs with
    the published ones. No checksum, no input, no report.

Both use the same uv cache (this machine's), which holds every locked
package after the first round, so neither waits for the package index.
Ours keeps compiled bytecode for its rebuilt environments apart
(``PYTHONPYCACHEPREFIX``) and reuses an environment built from the same
lock; by hand starts from a new environment for every record, as the steps
are written, and on a machine that sets ``PYTHONDONTWRITEBYTECODE`` (this one
may) every kernel compiles its imports again. The total over the tutorials
of the median of ``--rounds`` rounds is reported; the first round of each
side is a warm-up (it fills uv's cache and ours builds its environment).

The last line:

    reproduce the 4 tutorial publications end to end: ours <x> s, by hand
    (download, uv pip install -r, papermill, diff) <y> s, ratio <r> (goal <= 1.2)

(on one line).

    python benchmarks/reproduce.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
import papermill
import yaml
from _data_bench import running_dachs  # puts tests/ on the path for the harness too
from standins.server import running
from standins.zenodo import ZenodoState, make_app

from esap.publish.package import basket_inputs
from esap.tutorials import copy_tutorials, shipped_dir, shipped_files
from harness.dask_hub import dask_section
from harness.hub import SERVICE_NAME, SERVICE_SCOPES, hub_config, start_hub

TUTORIALS = sorted(p.name for p in shipped_files(shipped_dir()) if p.suffix == ".ipynb")
UV = str(Path(sys.executable).with_name("uv"))


def uv_cache() -> str:
    done = subprocess.run([UV, "cache", "dir"], capture_output=True, text=True, check=True)
    return os.environ.get("UV_CACHE_DIR") or done.stdout.strip()


def publish_tutorials(home: Path) -> dict[str, str]:
    """Run every tutorial as a user does, publish it to the Zenodo stand-in; DOIs by name."""
    from esap.publish.engine import Publisher

    copy_tutorials(home)
    publisher = Publisher(home)
    dois = {}
    for name in TUTORIALS:
        stem = Path(name).stem
        folder = home / "published" / stem
        folder.mkdir(parents=True)
        shutil.copyfile(home / "esap-tutorials" / name, folder / name)
        os.environ["ESAP_STATE_DIR"] = str(home / "lab-states" / stem)
        try:
            papermill.execute_notebook(
                str(folder / name),
                str(folder / name),
                kernel_name="python3",
                cwd=str(folder),
                progress_bar=False,
            )
        finally:
            del os.environ["ESAP_STATE_DIR"]
        files = [str(folder / name)]
        if (folder / "results").is_dir():
            files.append(str(folder / "results"))
        metadata_ = {
            "title": f"Tutorial {stem}",
            "creators": [{"name": "Doe, Jane"}],
            "description": "A tutorial, published to be reproduced.",
        }
        entry = publisher.publish(
            files,
            metadata_,
            "zenodo",
            inputs=basket_inputs(home / "lab-states" / stem),
            base=folder,
        )
        dois[name] = str((entry.record or {})["doi"])
    return dois


def ours(doi: str) -> tuple[float, str]:
    from esap.publish.reproduction import reproduce

    started = time.perf_counter()
    result = reproduce(doi, progress=False)
    return time.perf_counter() - started, result.verdict


def _local_requirement(line: str) -> str:
    """A lock line of a package installed from a local folder, as ``-e <that folder>``."""
    name = line.split("==")[0]
    direct = json.loads(metadata.distribution(name).read_text("direct_url.json") or "{}")
    path = str(direct.get("url", "")).removeprefix("file://")
    return f"-e {path}" if (direct.get("dir_info") or {}).get("editable") else path


def by_hand(api: str, doi: str, work: Path) -> tuple[float, int]:
    """The steps by hand; seconds, and how many code cells the diff shows as changed."""
    started = time.perf_counter()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    record_id = doi.rsplit(".", 1)[1]
    with httpx.Client(follow_redirects=True, timeout=60) as client:
        record = client.get(f"{api}/records/{record_id}").json()
        for item in record["files"]:
            target = work / item["key"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(client.get(item["links"]["self"]).content)
    lines = (work / "environment.lock.txt").read_text().splitlines()
    requirements = work / "requirements.txt"
    requirements.write_text(
        "\n".join(
            _local_requirement(line) if "# local" in line else line
            for line in lines
            if line.strip() and not line.startswith("#")
        )
        + "\n"
    )
    venv = work / "venv"
    subprocess.run(
        [UV, "venv", "--quiet", "--python", sys.version.split()[0], str(venv)], check=True
    )
    subprocess.run(
        [UV, "pip", "install", "--quiet", "--no-deps", "--python", str(venv / "bin" / "python"),
         "-r", str(requirements)],
        check=True,
    )  # fmt: skip
    notebook = next(work.glob("*.ipynb"))
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "papermill", "--no-progress-bar", "--cwd",
         str(work), str(notebook), str(work / "rerun.ipynb")],
        check=True,
        capture_output=True,
    )  # fmt: skip
    changed = _diff(notebook, work / "rerun.ipynb")
    return time.perf_counter() - started, changed


def _diff(published: Path, rerun: Path) -> int:
    """Code cells whose outputs differ (execution counts aside), as a plain diff sees them."""

    def outputs(path: Path) -> list[str]:
        cells = json.loads(path.read_text())["cells"]
        return [
            json.dumps(
                [{k: v for k, v in o.items() if k != "execution_count"} for o in c["outputs"]],
                sort_keys=True,
            )
            for c in cells
            if c["cell_type"] == "code"
        ]

    return sum(1 for a, b in zip(outputs(published), outputs(rerun), strict=False) if a != b)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3, help="rounds after the warm-up")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="esap-bench-reproduce-") as folder:
        base = Path(folder)
        home = base / "home"
        home.mkdir()
        token = secrets.token_urlsafe(16)
        state = ZenodoState({token: "bench"})
        hub_dir = base / "dask-hub"
        harness_service = {
            "name": SERVICE_NAME,
            "token": "env:ESAP_TEST_SERVICE_TOKEN",
            "scopes": [*SERVICE_SCOPES, "admin:groups"],
        }
        hub = start_hub(
            hub_dir,
            hub_config(hub_dir, {"hub": {"services": [harness_service]}, "dask": dask_section()}),
        )
        try:
            with (
                running_dachs(base / "dachs") as (_harness, dachs),
                running(make_app(state)) as zenodo,
            ):
                run(args, home, dachs, zenodo.url, token, hub)
        finally:
            hub.stop()
            state.cleanup()


def run(
    args: argparse.Namespace, home: Path, dachs: Any, zenodo: str, token: str, hub: Any
) -> None:
    from esap.config import load
    from esap.hub.gateway import user_environment

    config = home / "esap.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "data_services": [
                    {"name": "local-tap", "type": "tap", "url": dachs.tap_url, "timeout": 60},
                    {"name": "local-sia", "type": "sia2", "url": dachs.sia2_url, "timeout": 60},
                ],
                "resolver": {"type": "table", "targets": {"M31": [10.6847, 41.269]}},
                "archives": [
                    {"name": "local", "type": "local", "path": str(home / "archive")},
                    {"name": "zenodo", "type": "zenodo", "url": f"{zenodo}/api"},
                ],
            }
        )
    )
    os.environ.update(user_environment(load(hub.config_path)))
    os.environ["JUPYTERHUB_API_TOKEN"] = hub.token_for("bench")
    os.environ["UV_CACHE_DIR"] = uv_cache()
    os.environ["HOME"] = str(home)
    os.environ["ESAP_CONFIG"] = str(config)
    os.environ.pop("ESAP_PUBLIC_CONFIG", None)
    os.environ.pop("ESAP_STATE_DIR", None)
    from esap.publish.engine import Publisher

    Publisher(home).tokens.set("zenodo", token)
    dois = publish_tutorials(home)
    ours_times: dict[str, list[float]] = {name: [] for name in TUTORIALS}
    hand_times: dict[str, list[float]] = {name: [] for name in TUTORIALS}
    for round_ in range(args.rounds + 1):
        order = ["ours", "hand"] if round_ % 2 == 0 else ["hand", "ours"]
        for side in order:
            for name, doi in dois.items():
                if side == "ours":
                    seconds, verdict = ours(doi)
                    shown = verdict
                    if round_:
                        ours_times[name].append(seconds)
                else:
                    seconds, changed = by_hand(f"{zenodo}/api", doi, home / "by-hand" / name)
                    shown = f"{changed} cell(s) differ in the diff"
                    if round_:
                        hand_times[name].append(seconds)
                label = "warm-up" if round_ == 0 else f"round {round_}"
                print(f"{label} {side:>4} {name:<30} {seconds:6.1f} s  {shown}", flush=True)
    ours_total = sum(statistics.median(times) for times in ours_times.values())
    hand_total = sum(statistics.median(times) for times in hand_times.values())
    print(f"load average {os.getloadavg()[0]:.1f}; medians of {args.rounds} round(s) per record")
    print(
        f"reproduce the {len(TUTORIALS)} tutorial publications end to end: "
        f"ours {ours_total:.1f} s, by hand (download, uv pip install -r, papermill, diff) "
        f"{hand_total:.1f} s, ratio {ours_total / hand_total:.2f} (goal <= 1.2)"
    )


if __name__ == "__main__":
    main()
