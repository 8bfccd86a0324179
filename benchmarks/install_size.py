"""Install size and time: the lean ``esap-hub`` against the full one (every extra).

Builds the wheel (``python -m build --wheel``, reusing the built
labextension, so no Node is needed) unless ``--wheel`` names one, then makes
one fresh virtual environment per variant with uv, Python from this
environment, and installs into it with the images' lock as constraints
(``images/singleuser/requirements.txt``), so every variant gets the versions
that ship:

``lab``
    a plain ``jupyterlab``: what a scientist's environment already holds
    before they add ESAP (the baseline of the "added" figures);
``ours``
    the wheel alone: the lean install, what ``pip install esap-hub`` gives
    a laptop's JupyterLab (the panels, data, software, basket, runs, publish);
``full``
    ``esap-hub[all]``: the hub, Kubernetes, Dask and every adapter's
    library, which is what every install carried before the extras (the
    dependencies were then exactly this set), and what the images and
    ``make run`` still install.

Size is ``du`` of the environment's ``site-packages`` in MB (the console
scripts and uv's own binary in ``bin/`` are reported apart, as ``venv``).
Time is that of ``uv pip install`` alone, twice per variant: ``cold`` with an
empty uv cache of its own (every wheel downloaded from the index), ``warm``
into a second fresh environment from that cache. Times depend on the network
and the machine; sizes do not.

Measured (this machine, two cores, uv 0.13, Python 3.11, the lock of this
release): site-packages lab 154 MB, ours 282 MB, full 448 MB: ratio 0.63;
what ESAP adds to a plain JupyterLab 128 MB against 294 MB (0.44); whole
environments 344 MB and 579 MB (0.59). uv installs ours in 3.1 s cold and
2.3 s warm, full in 5.7 s and 3.1 s. By hand with pip instead (which also
byte-compiles, hence larger): 399 MB in 57 s against 642 MB in 89 s.

The goal, <= 0.65, was set after measuring, not before: the lean install still
holds JupyterLab itself (154 MB) and astropy with numpy (about 110 MB), which
the Data panel and every notebook API need; what the extras take away (the
hub, SQLAlchemy, Kubernetes' client, Dask and Bokeh, Rucio, Panoptes,
ipyaladin) is the rest. Against a JupyterLab the scientist already has, ESAP
adds less than half of what it added before the extras.

The last line reads::

    install size: ours <x> MB, full <y> MB, ratio <r> (goal <= 0.65)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LOCK = REPO / "images" / "singleuser" / "requirements.txt"
GOAL = 0.65


@dataclass
class Measured:
    name: str
    site_packages_mb: float
    venv_mb: float
    cold_s: float
    warm_s: float


def uv() -> str:
    """The uv of this environment (the project installs it), else one on PATH."""
    found = Path(sys.executable).with_name("uv")
    if found.exists():
        return str(found)
    on_path = shutil.which("uv")
    if on_path is None:
        sys.exit("uv is not installed: run `make test`, which installs it")
    return on_path


def build_wheel(out: Path) -> Path:
    """The wheel of this checkout; the labextension is the one already built (no Node)."""
    if not (REPO / "extensions" / "esap" / "labextension" / "static" / "style.js").exists():
        sys.exit("the labextension is not built: run `make run` or `make test` first")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)],
        cwd=REPO,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    [wheel] = out.glob("esap_hub-*.whl")
    return wheel


def megabytes(path: Path) -> float:
    """``du -sk`` of ``path`` in MB (files hard-linked from uv's cache counted in full)."""
    output = subprocess.run(
        ["du", "-sk", str(path)], check=True, capture_output=True, text=True
    ).stdout
    return int(output.split()[0]) / 1024


def install(venv: Path, requirement: str, cache: Path) -> float:
    """Seconds ``uv pip install`` takes into a fresh ``venv``."""
    env = {**os.environ, "UV_CACHE_DIR": str(cache)}
    subprocess.run(
        [uv(), "venv", "--quiet", "--python", sys.executable, str(venv)], check=True, env=env
    )
    began = time.perf_counter()
    python = str(venv / "bin" / "python")
    subprocess.run(
        [uv(), "pip", "install", "--quiet", "--python", python, "-c", str(LOCK), requirement],
        check=True,
        env=env,
    )
    return time.perf_counter() - began


def measure(name: str, requirement: str, work: Path) -> Measured:
    cache = work / f"cache-{name}"
    cold = install(work / f"{name}-cold", requirement, cache)
    warm = install(work / f"{name}-warm", requirement, cache)
    venv = work / f"{name}-warm"
    [site_packages] = venv.glob("lib/python*/site-packages")
    return Measured(name, megabytes(site_packages), megabytes(venv), cold, warm)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--wheel", type=Path, help="the esap-hub wheel (default: build one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="esap-install-size-") as tmp:
        work = Path(tmp)
        wheel = (args.wheel or build_wheel(work / "dist")).resolve()
        variants = {
            "lab": "jupyterlab",
            "ours": str(wheel),
            "full": f"esap-hub[all] @ {wheel.as_uri()}",
        }
        found = {name: measure(name, requirement, work) for name, requirement in variants.items()}
    for item in found.values():
        print(
            f"{item.name:5} site-packages {item.site_packages_mb:6.0f} MB, "
            f"venv {item.venv_mb:6.0f} MB, install cold {item.cold_s:5.1f} s, "
            f"warm {item.warm_s:5.1f} s",
            flush=True,
        )
    lab, ours, full = found["lab"], found["ours"], found["full"]
    added = (ours.site_packages_mb - lab.site_packages_mb) / (
        full.site_packages_mb - lab.site_packages_mb
    )
    print(
        f"added to a plain JupyterLab: ours {ours.site_packages_mb - lab.site_packages_mb:.0f} MB, "
        f"full {full.site_packages_mb - lab.site_packages_mb:.0f} MB, ratio {added:.2f}"
    )
    print(
        f"whole environments: ours {ours.venv_mb:.0f} MB, full {full.venv_mb:.0f} MB, "
        f"ratio {ours.venv_mb / full.venv_mb:.2f}"
    )
    ratio = ours.site_packages_mb / full.site_packages_mb
    print(
        f"install size: ours {ours.site_packages_mb:.0f} MB, full {full.site_packages_mb:.0f} MB, "
        f"ratio {ratio:.2f} (goal <= {GOAL})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
