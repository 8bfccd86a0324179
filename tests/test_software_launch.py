"""Open in my lab: a local git repository whose requirements resolve offline from a local wheel."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from esap.software.launch import kernels_dir, launch, pull
from harness.software_hub import git, make_repo


def git_out(folder: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=folder, capture_output=True, text=True, check=True
    ).stdout.strip()


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


def test_launch_of_a_tag_or_a_commit_checks_it_out(tmp_path: Path, home: Path) -> None:
    url = make_repo(tmp_path / "tagged")
    repo = tmp_path / "tagged"
    git(repo, "tag", "v1.0")
    first = git_out(repo, "rev-parse", "HEAD")
    (repo / "later.txt").write_text("after the release\n")
    git(repo, "add", "later.txt")
    git(repo, "commit", "-q", "-m", "later")
    job = launch(url, "v1.0")
    assert job.state == "done", job.as_dict()
    assert [step.state for step in job.steps] == ["done"] * 5
    clone = home / "software" / "tagged"
    assert git_out(clone, "rev-parse", "HEAD") == first
    assert not (clone / "later.txt").exists()
    # the same folder moves to another commit, given by a short hash
    pull(url, git_out(repo, "rev-parse", "--short=10", "HEAD"), clone)
    assert (clone / "later.txt").exists()
    missing = launch(url, "deadbeef", name="elsewhere")
    assert missing.state == "error"
    assert missing.step("pull").state == "error"
    assert "'deadbeef' does not exist" in (missing.error or "")
    assert "branch, tag or commit" in (missing.error or "")
    assert not (home / "software" / "elsewhere").exists()


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
