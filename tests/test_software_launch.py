"""Open in my lab: a local git repository whose requirements resolve offline from a local wheel."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from esap.software.launch import kernels_dir, launch

WHEEL_NAME = "esap_demo_pkg-1.0-py3-none-any.whl"


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


def make_repo(folder: Path, requirement: str = "esap-demo-pkg==1.0") -> str:
    """A git repository with a notebook, a wheel and requirements that need no index."""
    folder.mkdir(parents=True)
    build_wheel(folder / "wheels")
    (folder / "requirements.txt").write_text(f"--no-index\n--find-links wheels\n{requirement}\n")
    notebook = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (folder / "demo.ipynb").write_text(json.dumps(notebook))
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", ".")
    git(folder, "commit", "-q", "-m", "demo")
    return f"file://{folder}"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(home / ".local/share/jupyter"))
    return home


def test_launch_pulls_installs_and_makes_a_kernel(tmp_path: Path, home: Path) -> None:
    url = make_repo(tmp_path / "demo-repo")
    job = launch(url, "main")
    assert job.state == "done", job.as_dict()
    assert [step.state for step in job.steps] == ["done"] * 5
    assert job.kernel == "esap-demo-repo"
    assert job.notebook == "software/demo-repo/demo.ipynb"
    spec = json.loads((kernels_dir() / "esap-demo-repo" / "kernel.json").read_text())
    python = spec["argv"][0]
    assert python.startswith(str(home / ".esap" / "envs" / "demo-repo"))
    ran = subprocess.run(
        [python, "-c", "import esap_demo_pkg, ipykernel; print(esap_demo_pkg.VALUE)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert ran.stdout.strip() == "42"


def test_launch_of_something_not_git_fails_at_pull(tmp_path: Path, home: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    job = launch(f"file://{plain}", None)
    assert job.state == "error"
    assert job.step("pull").state == "error"
    assert "not a git repository" in (job.error or "")
    assert not (home / "software" / "plain").exists()
    bad = launch("not a url at all", None)
    assert "is not a git URL" in (bad.error or "")


def test_launch_of_a_missing_ref_names_it(tmp_path: Path, home: Path) -> None:
    url = make_repo(tmp_path / "reffed")
    job = launch(url, "no-such-branch")
    assert job.state == "error"
    assert job.step("pull").state == "error"
    assert "'no-such-branch' does not exist" in (job.error or "")


def test_failing_requirements_show_the_output_and_leave_no_kernel(
    tmp_path: Path, home: Path
) -> None:
    url = make_repo(tmp_path / "broken", requirement="esap-missing-pkg==9.9")
    job = launch(url, "main")
    assert job.state == "error"
    install = job.step("install")
    assert install.state == "error"
    assert "esap-missing-pkg" in install.output
    assert job.step("kernel").state == "pending"
    assert job.kernel is None
    assert not (kernels_dir() / "esap-broken").exists()
    assert not (home / ".esap" / "envs" / "broken").exists()
