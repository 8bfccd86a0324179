"""One hub for the software tests: a curated codemeta catalogue, a broken one, a demo repository.

The curated catalogue is a folder of codemeta.json files: the shipped
gammapy record and ``esap-demo``, whose ``codeRepository`` is a git
repository served over smart HTTP on loopback (``git http-backend``) with a
notebook and requirements that install offline from a wheel built here, so
"Open in my lab" runs end to end without the internet. The curated
catalogue names a BinderHub (the link form is all that can be checked
here). ``down`` is a codemeta URL nothing answers, so every search reports
one catalogue error.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from harness.git_http import serve_repositories
from harness.hub import RunningHub, hub_config, start_hub

DATA = Path(__file__).parent.parent / "data"
USER = "sofia"
WHEEL_NAME = "esap_demo_pkg-1.0-py3-none-any.whl"
BINDERHUB = "https://binder.example.org"
#: Markup in a catalogue's text: the panel must show it as text.
EVIL = '<img src=x onerror="window.__esapPwned=1">'


def build_wheel(folder: Path) -> Path:
    """A minimal pure-Python wheel (PEP 427), written with zipfile."""
    files = {
        "esap_demo_pkg/__init__.py": b"VALUE = 42\n",
        "esap_demo_pkg-1.0.dist-info/METADATA": (
            b"Metadata-Version: 2.1\nName: esap-demo-pkg\nVersion: 1.0\n"
        ),
        "esap_demo_pkg-1.0.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: esap-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append("esap_demo_pkg-1.0.dist-info/RECORD,,")
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / WHEEL_NAME
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
        archive.writestr("esap_demo_pkg-1.0.dist-info/RECORD", "\n".join(record) + "\n")
    return wheel


def git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


def make_repo(
    folder: Path, requirement: str = "esap-demo-pkg==1.0", base: str | None = None
) -> str:
    """A git repository with a notebook, a wheel and requirements that need no index.

    Its URL: ``<base>/<folder name>`` when ``base`` serves ``folder``'s parent
    over HTTP (``harness.git_http``), else a ``file://`` URL.
    """
    folder.mkdir(parents=True)
    build_wheel(folder / "wheels")
    (folder / "requirements.txt").write_text(f"--no-index\n--find-links wheels\n{requirement}\n")
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "id": "demo",
        "metadata": {},
        "outputs": [],
        "source": "import esap_demo_pkg\nesap_demo_pkg.VALUE",
    }
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (folder / "demo.ipynb").write_text(json.dumps(notebook))
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", ".")
    git(folder, "commit", "-q", "-m", "demo")
    return f"{base}/{folder.name}" if base else f"file://{folder}"


def curated_folder(folder: Path, repository: str, broken_repository: str) -> Path:
    """The curated codemeta folder: gammapy, esap-demo and esap-broken (uninstallable)."""
    folder.mkdir(parents=True)
    demo = (DATA / "software" / "esap-demo.codemeta.json").read_text()
    (folder / "esap-demo.json").write_text(demo.replace("{repository}", repository))
    broken = json.loads(demo.replace("{repository}", broken_repository))
    broken.update(
        identifier="esap-broken",
        name="esap-broken",
        description=f"Declares a requirement that cannot be installed {EVIL}",
        license="https://spdx.org/licenses/Apache-2.0",
        runtimePlatform=["Python 3"],
        author=[{"@type": "Person", "givenName": "Bo", "familyName": "Broken"}],
        keywords=["broken"],
    )
    (folder / "esap-broken.json").write_text(json.dumps(broken))
    gammapy = (DATA / "zenodo" / "codemeta-gammapy.json").read_text()
    (folder / "gammapy.json").write_text(gammapy)
    return folder


@dataclass
class SoftwareHub:
    """The software hub, its user, a token and the demo repository's URL."""

    hub: RunningHub
    user: str
    token: str
    repository: str

    @property
    def home(self) -> Path:
        return self.hub.data_dir / "homes" / self.user

    def client(self, timeout: float = 120) -> httpx.Client:
        client = self.hub.user_api(self.user, self.token)
        client.timeout = httpx.Timeout(timeout)
        return client


@pytest.fixture(scope="session")
def software_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoftwareHub]:
    """A hub whose Software panel searches the curated folder (and one broken catalogue)."""
    directory = tmp_path_factory.mktemp("software-hub")
    repos = directory / "repos"
    repos.mkdir()
    with serve_repositories(repos) as base:
        yield from _software_hub(directory, base)


def _software_hub(directory: Path, base: str) -> Iterator[SoftwareHub]:
    repos = directory / "repos"
    repository = make_repo(repos / "esap-demo", base=base)
    broken = make_repo(repos / "esap-broken", requirement="esap-missing-pkg==9.9", base=base)
    catalogues = [
        {
            "name": "curated",
            "type": "codemeta",
            "path": str(curated_folder(directory / "curated", repository, broken)),
            "title": "Curated software",
            "description": "codemeta.json files the admin keeps",
            "options": {"binderhub_url": BINDERHUB},
        },
        {
            "name": "down",
            "type": "codemeta",
            "url": "http://127.0.0.1:9/codemeta.json",
            "description": "nothing answers here",
        },
    ]
    running = start_hub(directory, hub_config(directory, {"software_catalogues": catalogues}))
    try:
        running.start_server(USER)
        yield SoftwareHub(running, USER, running.token_for(USER), repository)
    finally:
        running.stop()
