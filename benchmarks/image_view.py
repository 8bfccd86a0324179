"""Looking at a 4k x 4k image and a 2 GB cube: the lab's viewer vs astropy + matplotlib in a kernel.

Two FITS files are generated into a temporary folder (deleted at the end):

* ``image.fits``: 4096 x 4096 float32 (64 MB): noise and a few hundred stars;
* ``cube.fits``: 128 planes of 2048 x 2048 float32 (2 GiB). Only the header
  and the first plane are written; the rest of the file is a hole
  (``truncate``), so it is made in a second and takes no disk. Plane 0, the
  one both sides show, holds noise and stars like the image.

ours
    A JupyterLab with the ESAP extensions (its own temporary config, data,
    runtime, workspaces and state), in headless Chromium. After one untimed
    warm-up open of each file, each timed run opens the file in the viewer
    (``docmanager:open`` with the ESAP FITS viewer, as a double-click in the
    file browser does) and times, in the page, from the command to the first
    tile drawn (``data-esap-first-pixels``): *time to first pixels*; and to
    every tile on screen drawn (``data-esap-ready``). Memory: the page's
    JavaScript heap after a garbage collection (Chrome DevTools Protocol
    ``Performance.getMetrics``, ``JSHeapUsedSize``) plus the peak RSS of the
    user's server (``VmHWM``, reset before the open) — the browser's and the
    server's share of looking at the file. The tiles' decoded bitmaps
    (``ImageBitmap``) live in the renderer outside the JavaScript heap; the
    viewer keeps at most 400 of them (256 x 256 pixels each).
peer
    What a scientist writes in a notebook: a fresh IPython kernel per run
    (``jupyter_client``), astropy and matplotlib imported untimed, then timed
    in the kernel: ``fits.open`` (memory-mapped, astropy's default), the
    image or the cube's first plane, ``ImageNormalize`` with
    ``ZScaleInterval`` (the viewer's default), ``imshow`` and ``savefig`` of
    an 8 x 8 inch PNG at 100 dpi (the size of the viewer's canvas): the time
    to a rendered PNG, and the kernel's peak RSS (``VmHWM``, reset after the
    imports).

Before every timed run, of both sides, the file's pages are dropped from the
page cache (``posix_fadvise(DONTNEED)``, this file only) and its modification
time is bumped, so the viewer's server opens it again and computes the
interval again: no side is timed on what an earlier run read. Runs alternate
(ours, peer); medians are reported. Figures are printed per file; the last
line is the cube's time to first pixels:

    time to first pixels, 2 GiB cube (128 planes of 2048x2048 float32): ours <x> ms,
    astropy + matplotlib in a kernel <y> ms, ratio <r> (goal <= 1)

(on one line; ``r = ours / peer``: lower is better for ours).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from _data_bench import median, reset_peak, status
from astropy.io import fits
from astropy.wcs import WCS
from playwright.sync_api import Page, sync_playwright

from harness.browser import CHROMIUM, CHROMIUM_ARGS
from harness.ports import free_port

FACTORY = "ESAP FITS viewer"
GOAL = 1.0
IMAGE_SIDE = 4096
CUBE_PLANES, CUBE_SIDE = 128, 2048

# ---------------------------------------------------------------- the files


def _header(nx: int, ny: int, planes: int | None = None) -> fits.Header:
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [202.4696, 47.1952]
    wcs.wcs.crpix = [nx / 2, ny / 2]
    wcs.wcs.cdelt = [-0.2 / 3600, 0.2 / 3600]
    header = fits.Header()
    header["SIMPLE"] = True
    header["BITPIX"] = -32
    header["NAXIS"] = 3 if planes else 2
    header["NAXIS1"] = nx
    header["NAXIS2"] = ny
    if planes:
        header["NAXIS3"] = planes
    header.update(wcs.to_header())
    if planes:
        header.update({"CTYPE3": "FREQ", "CUNIT3": "Hz", "CRVAL3": 1.4e9, "CRPIX3": 1.0,
                       "CDELT3": 1e5})  # fmt: skip
    header["BUNIT"] = "Jy/beam"
    return header


def _sky(side: int, seed: int) -> np.ndarray:
    """Noise and a few hundred stars (small Gaussians)."""
    rng = np.random.default_rng(seed)
    plane = rng.normal(100.0, 5.0, (side, side)).astype(np.float32)
    ys, xs = np.mgrid[-6:7, -6:7]
    star = np.exp(-(xs**2 + ys**2) / 4.0).astype(np.float32)
    for x, y, flux in zip(
        rng.integers(8, side - 8, 400), rng.integers(8, side - 8, 400),
        rng.uniform(50, 5000, 400), strict=True,
    ):  # fmt: skip
        plane[y - 6 : y + 7, x - 6 : x + 7] += star * np.float32(flux)
    return plane


def write_fits(path: Path, header: fits.Header, first_plane: np.ndarray, total_pixels: int) -> int:
    """The header, then the data: the first plane written, the rest a hole; its size in bytes."""
    block = 2880
    head = header.tostring().encode("ascii")
    data_bytes = total_pixels * 4
    size = len(head) + -(-data_bytes // block) * block
    with path.open("wb") as handle:
        handle.write(head)
        handle.truncate(size)
    mapped = np.memmap(path, dtype=">f4", mode="r+", offset=len(head), shape=first_plane.shape)
    mapped[:] = first_plane
    mapped.flush()
    del mapped
    return size


def make_files(folder: Path) -> dict[str, Path]:
    image = folder / "image.fits"
    write_fits(image, _header(IMAGE_SIDE, IMAGE_SIDE), _sky(IMAGE_SIDE, 1), IMAGE_SIDE**2)
    cube = folder / "cube.fits"
    write_fits(
        cube,
        _header(CUBE_SIDE, CUBE_SIDE, CUBE_PLANES),
        _sky(CUBE_SIDE, 2),
        CUBE_SIDE**2 * CUBE_PLANES,
    )
    for path in (image, cube):  # both sides read the file as astropy sees it
        with fits.open(path) as hdul:
            assert hdul[0].data.shape[-1] == hdul[0].header["NAXIS1"]
    return {"image": image, "cube": cube}


def cold(path: Path) -> None:
    """Drop the file's pages from the page cache and give it a new modification time."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)
    now = time.time_ns()
    os.utime(path, ns=(now, now))


# ---------------------------------------------------------------- ours: the lab


@dataclass
class Lab:
    """JupyterLab with ESAP on a free loopback port, in its own temporary folders."""

    base: Path
    root: Path
    port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        for name in ("config", "data", "runtime", "workspaces", "state"):
            (self.base / name).mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "JUPYTER_CONFIG_DIR": str(self.base / "config"),
            "JUPYTER_DATA_DIR": str(self.base / "data"),
            "JUPYTER_RUNTIME_DIR": str(self.base / "runtime"),
            "ESAP_STATE_DIR": str(self.base / "state"),
        }
        env.pop("ESAP_PUBLIC_CONFIG", None)
        args = [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={self.root}", f"--IdentityProvider.token={self.token}",
            "--LabApp.expose_app_in_browser=True",
            f"--LabApp.workspaces_dir={self.base / 'workspaces'}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--ServerApp.jpserver_extensions={'esap': True}",
        ]  # fmt: skip
        if os.geteuid() == 0:
            args.append("--allow-root")
        self.log = (self.base / "lab.log").open("wb")
        self.process = subprocess.Popen(
            args, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + 120
        headers = {"Authorization": f"token {self.token}"}
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                url = f"http://127.0.0.1:{self.port}/esap/api/v1/config"
                if httpx.get(url, headers=headers, timeout=5).status_code == 200:
                    return
            if self.process.poll() is not None:
                break
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"JupyterLab did not start; see {self.base / 'lab.log'}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/lab?token={self.token}"

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(20)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.log.close()


OPEN_SCRIPT = """
async ([path, factory]) => {
  const app = window.jupyterapp;
  const start = performance.now();
  const widget = await app.commands.execute('docmanager:open', {path, factory});
  window.__esapViewer = widget;
  return start;
}
"""
DRAWN_SCRIPT = """
() => {
  const widget = window.__esapViewer;
  const canvas = widget && widget.node.querySelector('.esap-ViewCanvas');
  const state = widget && widget.node.querySelector('.esap-Viewer');
  if (state && state.dataset.esapState === 'error') {
    return {error: widget.node.querySelector('.esap-ViewStatus-message').textContent};
  }
  if (!canvas || canvas.dataset.esapReady !== 'true') return null;
  return {first: Number(canvas.dataset.esapFirstPixels), ready: performance.now(),
          tiles: Number(canvas.dataset.esapTiles), level: Number(canvas.dataset.esapLevel)};
}
"""


def js_heap(page: Page, session: Any) -> float:
    """The page's JavaScript heap in use after a garbage collection, in MB."""
    session.send("HeapProfiler.collectGarbage")
    metrics = session.send("Performance.getMetrics")["metrics"]
    used = next(m["value"] for m in metrics if m["name"] == "JSHeapUsedSize")
    return float(used) / 2**20


def ours_once(page: Page, session: Any, lab: Lab, path: Path) -> dict[str, float]:
    """Open ``path`` in the viewer; times (ms) and memory (MB)."""
    assert lab.process is not None
    cold(path)
    heap_before = js_heap(page, session)
    rss_before = status(lab.process.pid)["VmRSS"] / 1024
    reset_peak(lab.process.pid)
    start = page.evaluate(OPEN_SCRIPT, [path.name, FACTORY])
    handle = page.wait_for_function(DRAWN_SCRIPT, timeout=600_000, polling=20)
    drawn = handle.json_value()
    if "error" in drawn:
        raise RuntimeError(f"the viewer failed on {path.name}: {drawn['error']}")
    server_peak = status(lab.process.pid)["VmHWM"] / 1024
    heap = js_heap(page, session)
    page.evaluate("() => window.__esapViewer.dispose()")
    return {
        "first": drawn["first"] - start,
        "ready": drawn["ready"] - start,
        "tiles": drawn["tiles"],
        "heap": heap,
        "heap_added": heap - heap_before,
        "server_peak": server_peak,
        "server_added": server_peak - rss_before,
        "memory": heap + server_peak,
    }


# ---------------------------------------------------------------- peer: a kernel

IMPORTS = """
import io, os, time
from astropy.io import fits
from astropy.visualization import ImageNormalize, ZScaleInterval
import matplotlib
matplotlib.use("agg")
import matplotlib.pyplot as plt
print(os.getpid())
"""
RENDER = """
start = time.perf_counter()
hdul = fits.open({path!r})
data = hdul[0].data
plane = data[0] if data.ndim == 3 else data
norm = ImageNormalize(plane, interval=ZScaleInterval())
fig = plt.figure(figsize=(8, 8), dpi=100)
plt.imshow(plane, origin="lower", cmap="gray", norm=norm)
png = io.BytesIO()
fig.savefig(png, format="png")
plt.close(fig)
print((time.perf_counter() - start) * 1000, len(png.getvalue()))
"""


def run_cell(client: Any, code: str) -> str:
    """Execute ``code`` in the kernel; its printed output (an error raises)."""
    out: list[str] = []

    def hook(message: dict[str, Any]) -> None:
        if message["msg_type"] == "stream":
            out.append(message["content"]["text"])
        elif message["msg_type"] == "error":
            out.append("\n".join(message["content"]["traceback"]))

    reply = client.execute_interactive(code, output_hook=hook, timeout=600)
    if reply["content"]["status"] != "ok":
        raise RuntimeError("".join(out))
    return "".join(out)


def peer_once(path: Path, env: dict[str, str]) -> dict[str, float]:
    """A fresh kernel: imports untimed, then open and render the plane as a PNG."""
    from jupyter_client.manager import KernelManager

    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env=env, stderr=subprocess.DEVNULL)  # its transport warning
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        pid = int(run_cell(client, IMPORTS).split()[-1])
        cold(path)
        rss_before = status(pid)["VmRSS"] / 1024
        reset_peak(pid)
        elapsed, size = run_cell(client, RENDER.format(path=str(path))).split()
        peak = status(pid)["VmHWM"] / 1024
        if int(size) < 1000:
            raise RuntimeError(f"the kernel's PNG of {path.name} is {size} bytes")
        return {"time": float(elapsed), "peak": peak, "added": peak - rss_before}
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


# ---------------------------------------------------------------- the run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per side and file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="esap-image-view-") as tmp:
        base = Path(tmp)
        root = base / "root"
        root.mkdir()
        started = time.perf_counter()
        files = make_files(root)
        sizes = {name: path.stat().st_size / 2**20 for name, path in files.items()}
        print(
            f"files made in {time.perf_counter() - started:.1f} s: image {sizes['image']:.0f} MB"
            f" ({IMAGE_SIDE}x{IMAGE_SIDE} float32), cube {sizes['cube']:.0f} MB "
            f"({CUBE_PLANES} planes of {CUBE_SIDE}x{CUBE_SIDE} float32, sparse)",
            flush=True,
        )
        kernel_env = {**os.environ, "MPLBACKEND": "agg"}
        lab = Lab(base / "lab", root)
        lab.start()
        ours: dict[str, list[dict[str, float]]] = {name: [] for name in files}
        peer: dict[str, list[dict[str, float]]] = {name: [] for name in files}
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
                try:
                    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
                    page.goto(lab.url, timeout=120_000)
                    page.wait_for_function(
                        "() => window.jupyterapp && window.jupyterapp.isPluginActivated"
                        "('esap-hub:view')",
                        timeout=120_000,
                    )
                    page.evaluate("() => window.jupyterapp.restored")
                    session = page.context.new_cdp_session(page)
                    session.send("Performance.enable")
                    for path in files.values():  # warm-up: imports, the page's code
                        ours_once(page, session, lab, path)
                    for run in range(1, args.runs + 1):
                        for name, path in files.items():
                            mine = ours_once(page, session, lab, path)
                            theirs = peer_once(path, kernel_env)
                            ours[name].append(mine)
                            peer[name].append(theirs)
                            print(
                                f"run {run}/{args.runs} {name}: ours first pixels "
                                f"{mine['first']:.0f} ms (all {mine['ready']:.0f} ms, "
                                f"{mine['tiles']:.0f} tiles), {mine['memory']:.0f} MB; peer "
                                f"{theirs['time']:.0f} ms, {theirs['peak']:.0f} MB",
                                flush=True,
                            )
                finally:
                    browser.close()
        finally:
            lab.stop()

    def mid(rows: list[dict[str, float]], key: str) -> float:
        return median([row[key] for row in rows])

    labels = {
        "image": f"{IMAGE_SIDE}x{IMAGE_SIDE} float32 image",
        "cube": f"2 GiB cube ({CUBE_PLANES} planes of {CUBE_SIDE}x{CUBE_SIDE} float32)",
    }
    print(f"{args.runs} runs per side and file, medians")
    for name in files:
        mine, theirs = ours[name], peer[name]
        print(
            f"{labels[name]}: ours first pixels {mid(mine, 'first'):.0f} ms, every tile on "
            f"screen {mid(mine, 'ready'):.0f} ms; astropy + matplotlib PNG "
            f"{mid(theirs, 'time'):.0f} ms"
        )
        print(
            f"{labels[name]}: memory, ours JS heap {mid(mine, 'heap'):.0f} MB "
            f"(+{mid(mine, 'heap_added'):.1f} MB for the viewer) + server peak RSS "
            f"{mid(mine, 'server_peak'):.0f} MB (+{mid(mine, 'server_added'):.0f} MB) = "
            f"{mid(mine, 'memory'):.0f} MB; kernel peak RSS {mid(theirs, 'peak'):.0f} MB "
            f"(+{mid(theirs, 'added'):.0f} MB for the file), ratio "
            f"{mid(mine, 'memory') / mid(theirs, 'peak'):.2f}"
        )
    image_ratio = mid(ours["image"], "first") / mid(peer["image"], "time")
    print(
        f"time to first pixels, {labels['image']}: ours {mid(ours['image'], 'first'):.0f} ms, "
        f"astropy + matplotlib in a kernel {mid(peer['image'], 'time'):.0f} ms, "
        f"ratio {image_ratio:.2f}"
    )
    ratio = mid(ours["cube"], "first") / mid(peer["cube"], "time")
    print(
        f"time to first pixels, {labels['cube']}: ours {mid(ours['cube'], 'first'):.0f} ms, "
        f"astropy + matplotlib in a kernel {mid(peer['cube'], 'time'):.0f} ms, "
        f"ratio {ratio:.2f} (goal <= {GOAL:g})"
    )


if __name__ == "__main__":
    main()
