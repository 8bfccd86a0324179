"""JupyterLab time-to-interactive with and without the ESAP extension.

Starts two JupyterLab servers from this Python environment on free loopback
ports, each with a token and its own temporary config, data, runtime, root
and workspaces directories:

``bare``
    JupyterLab as it comes: the ``esap`` server extension is disabled and the
    ``esap-hub`` labextension is neither served (the server's labextension
    path lists every installed labextension except it) nor enabled
    (``disabledExtensions`` in ``labconfig/page_config.json``). Only hiding it
    makes the page skip its code: JupyterLab still downloads a labextension
    that is merely disabled.
``ours``
    JupyterLab with both ESAP extensions enabled, the server extension
    answering ``GET /esap/api/v1/config`` from ``$ESAP_PUBLIC_CONFIG`` (set to
    a small sample, so the sidebar has entries).

Each run opens ``/lab`` in a fresh headless Chromium context (empty cache and
storage) after the server's workspace was wiped, so every run is a first visit
with the default layout. Runs alternate (bare, ours, bare, ours, ...) after
one untimed warm-up load per server. Each run checks that the variant is what
it claims: in ``bare`` no request reaches ``/lab/extensions/esap-hub/`` and
the ESAP sidebar is absent; in ``ours`` the ``esap-hub:sidebar`` plugin is
activated.

Time-to-interactive (TTI) is measured in the page, in milliseconds from
navigation start (``performance.timeOrigin``) to the first moment when both

* the application's ``restored`` promise has resolved (every plugin has been
  activated and the saved layout applied; the lab is exposed as
  ``window.jupyterapp`` with ``--LabApp.expose_app_in_browser``), and
* the Launcher is in the DOM and visible (not inside a hidden Lumino widget,
  non-zero size), checked on every DOM mutation after ``restored``.

The ESAP sidebar loads what the hub offers asynchronously the first time it
is shown, so it is not part of TTI. For ``ours`` the script also reports, as
an extra line, how long the sidebar takes from being opened (after TTI) to
showing its entries.

The last line reads::

    lab time-to-interactive: ours <x> ms, bare JupyterLab <y> ms, ratio <r> (goal <= 1.10)

with medians over ``--runs`` runs (default 7) and ``r = ours / bare``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, Request, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
LABEXTENSION = "esap-hub"
SIDEBAR_PLUGIN = "esap-hub:sidebar"
GOAL = 1.10

#: What the hub offers in the benchmark: a few entries of each kind.
SAMPLE_PUBLIC_CONFIG = {
    "title": "ESAP Hub (benchmark)",
    "version": "0.1.0",
    "data_services": [
        {
            "name": "astron_vo",
            "title": "ASTRON VO",
            "type": "tap",
            "description": "LOFAR and Apertif catalogues through TAP.",
            "enabled": True,
            "url": "https://vo.astron.nl/tap",
        },
        {
            "name": "registry",
            "title": None,
            "type": "registry",
            "description": "The IVOA registry of VO services.",
            "enabled": True,
            "url": "https://registry.example.org/tap",
        },
    ],
    "software_catalogues": [
        {
            "name": "ossr",
            "title": "ESCAPE OSSR",
            "type": "ossr",
            "description": "The Open-source Scientific Software and Service Repository.",
            "enabled": True,
        }
    ],
    "archives": [
        {
            "name": "local",
            "title": "Local archive",
            "type": "local",
            "description": "BagIt + RO-Crate packages in the shared volume.",
        }
    ],
    "profiles": [],
    "dask": {"enabled": False},
}

# Runs before any page script: records TTI as defined in the module docstring.
TTI_SCRIPT = """
(() => {
  const probe = { tti: null, error: null };
  window.__labLoad = probe;
  const launcherVisible = () => {
    const launcher = document.querySelector('.jp-Launcher');
    if (launcher === null || launcher.closest('.lm-mod-hidden') !== null) {
      return false;
    }
    const box = launcher.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  };
  const appeared = () =>
    new Promise(resolve => {
      const poll = () => (window.jupyterapp ? resolve() : setTimeout(poll, 5));
      poll();
    });
  const launcherShown = () =>
    new Promise(resolve => {
      if (launcherVisible()) {
        resolve();
        return;
      }
      const observer = new MutationObserver(() => {
        if (launcherVisible()) {
          observer.disconnect();
          resolve();
        }
      });
      observer.observe(document.documentElement, {
        subtree: true,
        childList: true,
        attributes: true
      });
    });
  appeared()
    .then(() => window.jupyterapp.restored)
    .then(launcherShown)
    .then(() => {
      probe.tti = performance.now();
    })
    .catch(reason => {
      probe.error = String(reason);
    });
})();
"""

# Opens the ESAP sidebar and resolves with [ms until entries show, ms since navigation].
OPEN_SIDEBAR_SCRIPT = """
() => new Promise((resolve, reject) => {
  const selector = '#esap-sidebar:not(.lm-mod-hidden) [data-esap-kind]';
  const start = performance.now();
  const done = () => {
    const now = performance.now();
    resolve([now - start, now]);
  };
  const observer = new MutationObserver(() => {
    if (document.querySelector(selector) !== null) {
      observer.disconnect();
      done();
    }
  });
  observer.observe(document.documentElement, {
    subtree: true,
    childList: true,
    attributes: true
  });
  window.jupyterapp.shell.activateById('esap-sidebar');
  if (document.querySelector(selector) !== null) {
    observer.disconnect();
    done();
  }
  setTimeout(() => reject(new Error('ESAP sidebar showed no entries')), 20000);
})
"""


def free_port() -> int:
    """A TCP port that is free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_status(port: int, path: str, token: str) -> int:
    """Status of a GET on the local server, authenticated with its token."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path, headers={"Authorization": f"token {token}"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def installed_labextensions() -> dict[str, Path]:
    """Every labextension of this environment, by name (first on the path wins).

    The user's own data directory is left out, as both servers run with a
    temporary one.
    """
    from jupyter_core.paths import jupyter_data_dir, jupyter_path

    user_dir = Path(jupyter_data_dir()) / "labextensions"
    found: dict[str, Path] = {}
    for base in map(Path, jupyter_path("labextensions")):
        if base == user_dir or not base.is_dir():
            continue
        for entry in sorted(base.iterdir()):
            folders = sorted(entry.iterdir()) if entry.name.startswith("@") else [entry]
            for folder in folders:
                if (folder / "package.json").is_file():
                    found.setdefault(folder.relative_to(base).as_posix(), folder)
    return found


@dataclass
class LabServer:
    """One JupyterLab server of the benchmark, in its own temporary directories."""

    name: str
    esap: bool
    base: Path
    port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/lab?token={self.token}"

    @property
    def workspaces(self) -> Path:
        return self.base / "workspaces"

    def prepare(self) -> None:
        """Write the config that makes this server ``bare`` or ``ours``."""
        config = self.base / "config"
        for folder in (config / "labconfig", self.base / "data", self.base / "runtime"):
            folder.mkdir(parents=True, exist_ok=True)
        (self.base / "root").mkdir(exist_ok=True)
        self.workspaces.mkdir(exist_ok=True)
        server_config: dict[str, dict[str, object]] = {
            "ServerApp": {"jpserver_extensions": {"esap": self.esap}},
        }
        if not self.esap:
            visible = self.base / "labextensions"
            for name, folder in installed_labextensions().items():
                if name == LABEXTENSION:
                    continue
                link = visible / name
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(folder, target_is_directory=True)
            visible.mkdir(exist_ok=True)
            server_config["LabApp"] = {"labextensions_path": [str(visible)]}
            page_config = {"disabledExtensions": {LABEXTENSION: True}}
            (config / "labconfig" / "page_config.json").write_text(json.dumps(page_config))
        (config / "jupyter_server_config.json").write_text(json.dumps(server_config))

    def start(self) -> None:
        self.prepare()
        env = dict(os.environ)
        env.update(
            JUPYTER_CONFIG_DIR=str(self.base / "config"),
            JUPYTER_DATA_DIR=str(self.base / "data"),
            JUPYTER_RUNTIME_DIR=str(self.base / "runtime"),
        )
        env.pop("ESAP_PUBLIC_CONFIG", None)
        env.pop("ESAP_CONFIG", None)
        if self.esap:
            env["ESAP_PUBLIC_CONFIG"] = json.dumps(SAMPLE_PUBLIC_CONFIG)
        command = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={self.base / 'root'}",
            f"--IdentityProvider.token={self.token}",
            "--LabApp.expose_app_in_browser=True",
            f"--LabApp.workspaces_dir={self.workspaces}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        self.log_path = self.base / "server.log"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.base / "root"
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} server exited:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                if http_status(self.port, "/api/status", self.token) == 200:
                    break
            time.sleep(0.2)
        else:
            raise RuntimeError(f"{self.name} server did not start in 60 s:\n{self.log_tail()}")
        self.check_server_extension()

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's log (the temporary directory goes away)."""
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def check_server_extension(self) -> None:
        status = http_status(self.port, "/esap/api/v1/config", self.token)
        if self.esap and status != 200:
            raise RuntimeError(f"ours: GET /esap/api/v1/config answered {status}, expected 200")
        if not self.esap and status != 404:
            raise RuntimeError(f"bare: GET /esap/api/v1/config answered {status}, expected 404")

    def wipe_workspaces(self) -> None:
        for path in self.workspaces.iterdir():
            if path.is_file():
                path.unlink()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class LoadResult:
    tti_ms: float
    sidebar_ms: float | None = None
    sidebar_since_navigation_ms: float | None = None


def load_once(browser: Browser, server: LabServer) -> LoadResult:
    """Open the lab once in a fresh context and measure it."""
    server.wipe_workspaces()
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        context.add_init_script(TTI_SCRIPT)
        page = context.new_page()
        esap_requests: list[str] = []

        def record(request: Request) -> None:
            if f"/lab/extensions/{LABEXTENSION}/" in request.url:
                esap_requests.append(request.url)

        page.on("request", record)
        page.goto(server.url, wait_until="commit", timeout=60_000)
        page.wait_for_function(
            "() => window.__labLoad.tti !== null || window.__labLoad.error !== null",
            timeout=60_000,
            polling=50,
        )
        probe = page.evaluate("() => window.__labLoad")
        if probe["error"] is not None:
            raise RuntimeError(f"{server.name}: the lab failed to start: {probe['error']}")
        result = LoadResult(tti_ms=float(probe["tti"]))
        activated = page.evaluate(
            f"() => window.jupyterapp.isPluginActivated({json.dumps(SIDEBAR_PLUGIN)})"
        )
        has_sidebar = page.locator("#esap-sidebar").count() > 0
        if server.esap:
            if not (activated and has_sidebar):
                raise RuntimeError("ours: the ESAP sidebar plugin is not active")
            since_open, since_navigation = page.evaluate(OPEN_SIDEBAR_SCRIPT)
            result.sidebar_ms = float(since_open)
            result.sidebar_since_navigation_ms = float(since_navigation)
        elif activated or has_sidebar or esap_requests:
            raise RuntimeError(f"bare: the ESAP labextension was loaded ({esap_requests})")
        return result
    finally:
        context.close()


def measure(browser: Browser, servers: list[LabServer], runs: int) -> dict[str, list[LoadResult]]:
    """One untimed warm-up load per server, then ``runs`` interleaved timed loads."""
    for server in servers:
        load_once(browser, server)
    timings: dict[str, list[LoadResult]] = {server.name: [] for server in servers}
    for run in range(1, runs + 1):
        for server in servers:
            result = load_once(browser, server)
            timings[server.name].append(result)
            line = f"run {run}/{runs} {server.name}: TTI {result.tti_ms:.0f} ms"
            if result.sidebar_ms is not None:
                line += f", sidebar entries {result.sidebar_ms:.0f} ms after opening"
            print(line, flush=True)
    return timings


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per variant (default 7)")
    parser.add_argument("--chromium", default=CHROMIUM, help=f"browser binary (default {CHROMIUM})")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if not Path(args.chromium).exists():
        parser.error(f"no browser at {args.chromium}")

    base = Path(tempfile.mkdtemp(prefix="esap-lab-load-"))
    servers = [
        LabServer("bare", esap=False, base=base / "bare"),
        LabServer("ours", esap=True, base=base / "ours"),
    ]
    try:
        for server in servers:
            server.base.mkdir(parents=True)
            server.start()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            try:
                timings = measure(browser, servers, args.runs)
            finally:
                browser.close()
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(base, ignore_errors=True)

    bare = median([result.tti_ms for result in timings["bare"]])
    ours = median([result.tti_ms for result in timings["ours"]])
    sidebar = median([r.sidebar_ms for r in timings["ours"] if r.sidebar_ms is not None])
    sidebar_abs = median(
        [
            r.sidebar_since_navigation_ms
            for r in timings["ours"]
            if r.sidebar_since_navigation_ms is not None
        ]
    )
    for name, label in (("bare", "bare JupyterLab"), ("ours", "ours")):
        values = [result.tti_ms for result in timings[name]]
        print(
            f"{label}: TTI median {median(values):.0f} ms, "
            f"min {min(values):.0f} ms, max {max(values):.0f} ms over {len(values)} runs"
        )
    print(
        f"ESAP sidebar entries shown: median {sidebar:.0f} ms after opening it "
        f"({sidebar_abs:.0f} ms after navigation start; not part of TTI)"
    )
    print(
        f"lab time-to-interactive: ours {ours:.0f} ms, bare JupyterLab {bare:.0f} ms, "
        f"ratio {ours / bare:.2f} (goal <= {GOAL:.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
