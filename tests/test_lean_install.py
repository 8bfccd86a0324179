"""The panels in any JupyterLab: the wheel alone, in a fresh environment without Node.

``python -m build`` makes the sdist and, from it, the wheel, reusing the
labextension the build already made (no Node on ``PATH``: the build hook
must skip, not rebuild). uv installs that wheel alone, no extra, into a new
virtual environment (the images' lock as constraints, so the versions are
those that ship and the resolution is quick). A plain ``jupyter lab`` runs
there on loopback with a token, a temporary home and nothing of ESAP's in
its environment (no hub, no ``$ESAP_CONFIG``), and still without Node.

Checked: the wheel holds the prebuilt labextension and the server
extension's config; the environment has none of the extras' libraries and
says which extra brings each back; the lab lists the extension enabled and
its page loads it; the config answer is the packaged default
(``source: default``), a user file in ``~/.jupyter`` is read
(``file:<path>``), a broken one is set aside with its problems while the
default answers. In Chromium: the sidebar says which configuration it runs
on and shows a broken file's key and fix; the Data panel searches the test
archive (DaCHS) named in the user file; the Publish dialog publishes a
notebook to the local archive in the home. Chromium reaches loopback only.
Everything the lab started (its kernels too) is stopped at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import bagit
import httpx
import jsonschema
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from playwright.sync_api import Page, Route, expect

from esap import plugins
from harness.browser import open_esap_sidebar, open_side_panel
from harness.dachs import DachsService, csv_rows
from harness.data_hub import TARGETS
from harness.ports import free_port

REPO = Path(__file__).resolve().parents[1]
LOCK = REPO / "images" / "singleuser" / "requirements.txt"
LABEXTENSION = REPO / "extensions" / "esap" / "labextension"
OPENAPI = REPO / "extensions" / "esap" / "server" / "openapi.yaml"
#: What a wheel file is called; its data folder is ``<name>-<version>.data``.
WHEEL = re.compile(r"^esap_hub-(?P<version>[^-]+)-py3-none-any\.whl$")
M51 = tuple(TARGETS["M51"])
RADIUS = 0.5
#: How long a search or a publication may take to reach the browser (two busy cores).
SLOW = 90_000
NOTEBOOK = {
    "cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# Light curve"]}],
    "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


def no_node_path(*folders: Path) -> str:
    """A ``PATH`` of ``folders`` only, checked to hold no ``node`` (nor ``npm``, ``jlpm``'s)."""
    path = os.pathsep.join(str(folder) for folder in folders)
    for tool in ("node", "npm"):
        assert shutil.which(tool, path=path) is None, f"{tool} is on {path}"
    return path


def uv() -> str:
    """The project's uv (installed with the package), else one on ``PATH``."""
    found = Path(sys.executable).with_name("uv")
    if found.exists():
        return str(found)
    on_path = shutil.which("uv")
    if on_path is None:
        pytest.fail("uv is not installed: run `make test`, which installs the package's uv")
    return on_path


# ------------------------------------------------------------------ the sdist and the wheel


@dataclass(frozen=True)
class Built:
    sdist: Path
    wheel: Path
    version: str


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """``python -m build`` of this checkout: the sdist, then the wheel built from it."""
    if not (LABEXTENSION / "static" / "style.js").exists():
        pytest.fail(f"{LABEXTENSION} is not built: run `make test`, which builds it")
    out = tmp_path_factory.mktemp("dist")
    env = {
        "HOME": str(out),
        "LANG": "C.UTF-8",
        # the build hook would run jlpm (Node) if the labextension were missing
        "PATH": no_node_path(Path(sys.executable).parent),
    }
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"python -m build failed:\n{done.stdout[-3000:]}{done.stderr}"
    [sdist] = out.glob("esap_hub-*.tar.gz")
    [wheel] = out.glob("esap_hub-*.whl")
    match = WHEEL.match(wheel.name)
    assert match, wheel.name
    return Built(sdist, wheel, match["version"])


def test_the_wheel_holds_the_prebuilt_labextension_and_the_server_extension(built: Built) -> None:
    with zipfile.ZipFile(built.wheel) as wheel:
        names = set(wheel.namelist())
        data = f"esap_hub-{built.version}.data/data/"
        labextension = f"{data}share/jupyter/labextensions/esap-hub/"
        package = json.loads(wheel.read(f"{labextension}package.json"))
        assert (package["name"], package["version"]) == ("esap-hub", built.version)
        assert f"{labextension}{package['jupyterlab']['_build']['load']}" in names
        assert f"{labextension}static/style.js" in names
        assert f"{labextension}install.json" in names
        [server_config] = [n for n in names if n.startswith(f"{data}etc/jupyter/")]
        assert server_config == f"{data}etc/jupyter/jupyter_server_config.d/esap.json"
        enabled = json.loads(wheel.read(server_config))
        assert enabled["ServerApp"]["jpserver_extensions"] == {"esap": True}
        assert "esap/config/default.yaml" in names
        metadata = wheel.read(f"esap_hub-{built.version}.dist-info/METADATA").decode()
    # the lean install: no hub, Dask, Rucio... but as extras, each named
    required = re.findall(r"^Requires-Dist: ([A-Za-z0-9_.-]+)[^;\n]*$", metadata, re.MULTILINE)
    assert "jupyterlab" in required
    assert not {"jupyterhub", "dask-gateway", "rucio-clients", "panoptes-client"} & set(required)
    extras = set(re.findall(r"^Provides-Extra: (\S+)$", metadata, re.MULTILINE))
    assert {"hub", "kubernetes", "dask", "rucio", "zooniverse", "sky", "all"} <= extras
    # the sdist carries the built labextension (a wheel builds from it without Node)
    with tarfile.open(built.sdist) as sdist:
        members = {
            member.name.split("/", 1)[1] for member in sdist.getmembers() if "/" in member.name
        }
    assert "extensions/esap/labextension/static/style.js" in members
    assert not [name for name in members if name.startswith((".hypothesis", ".venv", ".git/"))]


def test_one_version_for_the_wheel_the_lab_extension_and_the_chart(built: Built) -> None:
    """The version scheme of CHANGELOG.md: package.json is the one source, all else agrees."""
    package = json.loads((REPO / "extensions" / "labextension" / "package.json").read_text())
    chart = yaml.safe_load((REPO / "helm" / "esap-hub" / "Chart.yaml").read_text())
    assert built.version == package["version"] == chart["appVersion"]
    changelog = (REPO / "CHANGELOG.md").read_text()
    assert re.search(rf"^## \[(Unreleased|{re.escape(built.version)})\]", changelog, re.M)


def _brings(requirements: list[str], project: dict[str, Any]) -> set[str]:
    """Every distribution ``requirements`` install here, through their own dependencies."""
    found: set[str] = set()
    todo = [Requirement(text) for text in requirements]
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if name == canonicalize_name(project["name"]):
            for extra in requirement.extras:
                todo.extend(Requirement(t) for t in project["optional-dependencies"][extra])
            continue
        if name in found:
            continue
        found.add(name)
        for text in metadata.requires(name) or []:
            needed = Requirement(text)
            if needed.marker is None or needed.marker.evaluate({"extra": ""}):
                todo.append(needed)
    return found


def test_each_library_an_extra_brings_is_named_with_that_extra() -> None:
    """The extra a missing library's message names is one that installs that library."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    owners = metadata.packages_distributions()
    for module, extra in plugins.EXTRAS.items():
        brought = _brings(project["optional-dependencies"][extra], project)
        [distribution, *_] = owners[module]
        assert canonicalize_name(distribution) in brought, (module, extra)
        assert plugins.install_command(f"{module}.sub") == f"pip install 'esap-hub[{extra}]'"
    assert plugins.install_command("leftpad") == "pip install leftpad"


# ------------------------------------------------------------------ the lean environment


@pytest.fixture(scope="session")
def lean_env(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel alone (no extra) installed by uv."""
    venv = tmp_path_factory.mktemp("lean") / "venv"
    subprocess.run(
        [uv(), "venv", "--quiet", "--python", sys.executable, str(venv)], check=True, timeout=120
    )
    began = time.monotonic()
    python = str(venv / "bin" / "python")
    done = subprocess.run(
        [uv(), "pip", "install", "--python", python, "-c", str(LOCK), str(built.wheel)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"uv pip install failed:\n{done.stderr[-3000:]}"
    print(f"lean install: {time.monotonic() - began:.1f} s")  # reported, never asserted
    return venv


def lean_run(venv: Path, *args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """Run ``args`` in the lean environment, with ``home`` and nothing else of ours around."""
    env = {"HOME": str(home), "LANG": "C.UTF-8", "PATH": no_node_path(venv / "bin")}
    return subprocess.run(
        list(args), env=env, cwd=home, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_lean_environment_has_no_extras_library_and_names_each_extra(
    lean_env: Path, tmp_path: Path
) -> None:
    script = (
        "import importlib.util, json\n"
        "from esap import plugins\n"
        "print(json.dumps(sorted(m for m in plugins.EXTRAS if importlib.util.find_spec(m))))\n"
    )
    done = lean_run(lean_env, "python", "-c", script, home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
    # the notebook API of a feature an extra brings says which one
    for statement, extra in (
        ("import esap.bulk; esap.bulk.cluster", "dask"),
        ("from esap.data.sky import sky_view; sky_view(None)", "sky"),
    ):
        done = lean_run(lean_env, "python", "-c", statement, home=tmp_path)
        assert done.returncode == 1
        assert f"install it with pip install 'esap-hub[{extra}]'" in done.stderr, done.stderr
    # an adapter whose library is missing is named by `esap config check`, with its extra
    config = tmp_path / "esap.yaml"
    config.write_text("data_services:\n  - {name: lake, type: rucio, url: 'http://127.0.0.1:9'}\n")
    done = lean_run(lean_env, "esap", "config", "check", str(config), home=tmp_path)
    assert done.returncode != 0
    assert "data_services[0].type: 'rucio'" in done.stdout + done.stderr
    assert "install rucio-clients (pip install 'esap-hub[rucio]')" in done.stdout + done.stderr
    # and the hub, which the lean install leaves out, says how to have it
    done = lean_run(
        lean_env, "esap", "hub", "--config", str(config), "--port", str(free_port()), home=tmp_path
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "install it with pip install 'esap-hub[hub]'" in done.stderr


# ------------------------------------------------------------------ a plain jupyter lab


def documented(body: dict[str, object]) -> None:
    """``body`` is a ``GET config`` answer as ``openapi.yaml`` describes it."""
    schema = {
        "$ref": "#/components/schemas/PublicConfig",
        "components": yaml.safe_load(OPENAPI.read_text())["components"],
    }
    jsonschema.Draft202012Validator(schema).validate(body)


@dataclass
class Lab:
    venv: Path
    home: Path
    url: str
    token: str
    process: subprocess.Popen[bytes]

    @property
    def user_file(self) -> Path:
        return self.home / ".jupyter" / "esap.yaml"

    def api(self) -> httpx.Client:
        return httpx.Client(
            base_url=f"{self.url}/esap/api/v1/",
            headers={"Authorization": f"token {self.token}"},
            timeout=60,
        )

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return lean_run(self.venv, *args, home=self.home)


def _ours(venv: Path) -> list[int]:
    """Processes running a program of the lean environment (the lab, its kernels)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            command = (entry / "cmdline").read_bytes().split(b"\0")
            if any(part.startswith(str(venv).encode()) for part in command[:2]):
                found.append(int(entry.name))
    return found


def _stop(lab: Lab) -> None:
    """Shut the lab's kernels down through its API, stop the lab, end anything left of it."""
    with contextlib.suppress(httpx.HTTPError), httpx.Client(timeout=30) as client:
        headers = {"Authorization": f"token {lab.token}"}
        for kernel in client.get(f"{lab.url}/api/kernels", headers=headers).json():
            client.delete(f"{lab.url}/api/kernels/{kernel['id']}", headers=headers)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(lab.process.pid, signal.SIGTERM)
    try:
        lab.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(lab.process.pid, signal.SIGKILL)
        lab.process.wait(timeout=10)
    left = _ours(lab.venv)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert left == [], f"the lab left processes running: {left}"


@pytest.fixture(scope="module")
def lab(lean_env: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """``jupyter lab`` of the lean environment on loopback, a token, a home of its own."""
    home = tmp_path_factory.mktemp("lean-home")
    token = secrets.token_hex(16)
    port = free_port()
    env = {"HOME": str(home), "LANG": "C.UTF-8", "PATH": no_node_path(lean_env / "bin")}
    log = (home.parent / "lab.log").open("wb")
    # --allow-root: the tests may run as root (CI does); a person's lab needs no flag
    command = [str(lean_env / "bin" / "jupyter"), "lab", "--no-browser", "--allow-root"]
    process = subprocess.Popen(
        [
            *command,
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={home}",
        ],
        env=env,
        cwd=home,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    running = Lab(lean_env, home, f"http://127.0.0.1:{port}", token, process)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(f"jupyter lab exited: {(home.parent / 'lab.log').read_text()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                answer = httpx.get(
                    f"{running.url}/api/status", headers={"Authorization": f"token {token}"}
                )
                if answer.status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail("jupyter lab did not answer within 120 s")
            time.sleep(0.5)
        yield running
    finally:
        _stop(running)
        log.close()


def _plain(done: subprocess.CompletedProcess[str]) -> str:
    """What a command printed, without its colours."""
    return re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)


def test_a_plain_lab_lists_and_loads_the_extension(lab: Lab) -> None:
    listed = _plain(lab.run("jupyter", "labextension", "list"))
    assert re.search(r"esap-hub v\S+ enabled\s+OK", listed), listed
    listed = _plain(lab.run("jupyter", "server", "extension", "list"))
    assert re.search(r"esap enabled", listed), listed
    assert re.search(r"esap \S* ?OK", listed), listed
    page = httpx.get(f"{lab.url}/lab", headers={"Authorization": f"token {lab.token}"})
    assert page.status_code == 200
    found = re.search(
        r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
        page.text,
        re.DOTALL,
    )
    assert found, "the lab page has no page config"
    page_config = json.loads(found.group(1))
    [ours] = [e for e in page_config["federated_extensions"] if e["name"] == "esap-hub"]
    assert "esap-hub" not in page_config.get("disabledExtensions", [])
    entry = httpx.get(
        f"{lab.url}/lab/extensions/esap-hub/{ours['load']}",
        headers={"Authorization": f"token {lab.token}"},
    )
    assert entry.status_code == 200


def test_the_panels_run_on_the_default_without_a_hub(lab: Lab) -> None:
    default = yaml.safe_load((REPO / "extensions/esap/config/default.yaml").read_text())
    with lab.api() as api:
        answer = api.get("config")
        services = api.get("data/services")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    documented(body)
    assert (body["source"], body["warnings"]) == ("default", [])
    names = [entry["name"] for entry in default["data_services"]]
    assert [entry["name"] for entry in body["data_services"]] == names
    assert all("error" not in entry for entry in body["data_services"])
    [archive] = body["archives"]
    assert (archive["name"], archive["path"]) == ("local", str(lab.home / ".esap" / "archive"))
    assert services.status_code == 200, services.text
    assert [entry["name"] for entry in services.json()["services"]][: len(names)] == names


def test_a_user_file_is_read_and_a_broken_one_set_aside(lab: Lab) -> None:
    lab.user_file.parent.mkdir(exist_ok=True)
    try:
        lab.user_file.write_text(
            "hub: {title: My ESAP}\n"
            "data_services:\n  - {name: mine, type: scs, url: 'http://127.0.0.1:9/scs'}\n"
        )
        with lab.api() as api:
            body = api.get("config").json()
        documented(body)
        assert (body["source"], body["warnings"]) == (f"file:{lab.user_file}", [])
        assert body["title"] == "My ESAP"
        assert [entry["name"] for entry in body["data_services"]] == ["mine"]
        assert [entry["name"] for entry in body["archives"]] == ["local"]  # the default's

        lab.user_file.write_text(
            "data_services:\n  - {name: mine, type: scs}\n"
            "  - {name: lake, type: rucio, url: 'http://127.0.0.1:9'}\n"
        )
        with lab.api() as api:
            answer = api.get("config")
            services = api.get("data/services")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        documented(body)
        assert body["source"] == "default"
        [warning] = body["warnings"]
        assert warning["file"] == str(lab.user_file)
        problems = {problem["field"]: problem for problem in warning["problems"]}
        assert set(problems) == {"data_services[0].url", "data_services[1].type"}
        assert problems["data_services[0].url"]["fix"].startswith("add url")
        assert "pip install 'esap-hub[rucio]'" in problems["data_services[1].type"]["fix"]
        # the panels keep working, on the default
        assert services.status_code == 200, services.text
        assert "mine" not in [entry["name"] for entry in services.json()["services"]]
    finally:
        lab.user_file.unlink(missing_ok=True)


# ------------------------------------------------------------------ in Chromium


def _user_file_for(dachs: DachsService) -> str:
    """A user file naming only the test archive: nothing beyond loopback is searched."""
    return yaml.safe_dump(
        {
            "data_services": [
                {"name": "local-tap", "type": "tap", "url": dachs.tap_url, "timeout": 60}
            ],
            "resolver": {"type": "table", "targets": TARGETS},
            "sky_view": {"enabled": False},
        }
    )


@pytest.mark.browser
@pytest.mark.dachs
def test_search_the_test_archive_and_publish_from_a_plain_lab(
    page: Page, lab: Lab, dachs: DachsService
) -> None:
    blocked: list[str] = []

    def loopback_only(route: Route) -> None:
        if route.request.url.startswith("http://127.0.0.1:"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", loopback_only)
    lab.user_file.parent.mkdir(exist_ok=True)
    lab.user_file.write_text("data_services:\n  - {name: local-tap, type: tap}\n")
    (lab.home / "lightcurve.ipynb").write_text(json.dumps(NOTEBOOK))
    try:
        page.goto(f"{lab.url}/lab?token={lab.token}")
        expect(page.locator("#jupyterlab-splash")).to_have_count(0, timeout=90_000)

        # a broken user file: the sidebar says the default runs, and shows the key and the fix
        open_esap_sidebar(page)
        source = page.locator(".esap-Sidebar .esap-ConfigSource")
        expect(source).to_have_attribute("data-esap-source", "default")
        expect(source).to_contain_text("Configuration: the default")
        warning = source.locator(f'.esap-ConfigSource-warning[data-esap-file="{lab.user_file}"]')
        expect(warning).to_contain_text(str(lab.user_file))
        expect(warning.locator('[data-esap-field="data_services[0].url"]')).to_contain_text(
            "add url"
        )

        # fixed, it is what the panels run on once the sidebar reloads
        lab.user_file.write_text(_user_file_for(dachs))
        page.locator('#esap-sidebar [data-command="esap:refresh-sidebar"]').click()
        expect(source).to_have_attribute("data-esap-source", f"file:{lab.user_file}")
        expect(source).to_contain_text(str(lab.user_file))
        expect(warning).to_have_count(0)
        expect(
            page.locator(
                '.esap-Sidebar [data-esap-kind="data_service"][data-esap-name="local-tap"]'
            )
        ).to_be_visible()

        # the Data panel searches the test archive
        from test_dachs import inside  # pyvo: imported here, not while tests are collected

        images = csv_rows(dachs.images_csv)
        expected = inside(images, "s_ra", "s_dec", M51, RADIUS)
        panel = page.locator("#esap-data")
        open_side_panel(page, "esap-data", panel.locator('[data-esap-service="local-tap"]'))
        panel.locator('[data-esap-mode="coords"]').click()
        panel.locator("#esap-data-ra").fill(str(M51[0]))
        panel.locator("#esap-data-dec").fill(str(M51[1]))
        panel.locator("#esap-data-radius").fill(str(RADIUS))
        panel.locator(".esap-SearchButton").click()
        status = panel.locator('[data-esap-service-status="local-tap"]')
        expect(status).to_have_attribute("data-esap-state", "rows", timeout=SLOW)
        expect(status).to_contain_text(f"{len(expected)} rows", timeout=SLOW)

        # the Publish dialog publishes the notebook to the local archive in the home
        page.goto(f"{lab.url}/lab/tree/lightcurve.ipynb")
        button = page.locator(".jp-NotebookPanel-toolbar .esap-Publish-button")
        expect(button).to_be_visible(timeout=SLOW)
        button.click()
        dialog = page.locator(".jp-Dialog .esap-Publish")
        expect(dialog).to_be_visible()
        expect(dialog.locator('textarea[name="files"]')).to_have_value("lightcurve.ipynb")
        expect(dialog.locator('select[name="archive"]')).to_have_value("local")
        dialog.locator('input[name="title"]').fill("Light curve from a plain lab")
        dialog.locator('input[name="creators[0].name"]').fill("Doe, Jane")
        dialog.locator('input[name="creators[0].affiliation"]').fill("ASTRON")
        dialog.locator('textarea[name="description"]').fill("Published without a hub.")
        dialog.locator(".esap-Publish-preview").click()
        expect(dialog.locator(".esap-Publish-package")).to_contain_text("ro-crate-metadata.json")
        dialog.locator(".esap-Publish-submit").click()
        expect(dialog.locator(".esap-Publish-result")).to_be_visible(timeout=SLOW)
        archive = lab.home / ".esap" / "archive"
        link = dialog.locator(".esap-Publish-link")
        expect(link).to_contain_text(archive.as_uri())
        [bag] = [folder for folder in archive.iterdir() if not folder.name.startswith(".")]
        assert (link.text_content() or "").strip() == bag.as_uri()
        bagit.Bag(str(bag)).validate(fast=False)
        assert (bag / "data" / "lightcurve.ipynb").is_file()
        assert blocked == [], "the lab reached beyond loopback"
    finally:
        lab.user_file.unlink(missing_ok=True)
