"""Open in my lab: a git repository served over HTTP whose requirements resolve offline."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from esap.software.launch import kernels_dir, launch, pull
from harness.git_http import serve_repositories
from harness.software_hub import git, make_repo


def git_out(folder: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=folder, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """(a folder, the http:// URL it is served at by git's smart HTTP backend)."""
    root = tmp_path / "repos"
    root.mkdir()
    with serve_repositories(root) as base:
        yield root, base


def repo(served: tuple[Path, str], name: str, **kwargs: str) -> str:
    root, base = served
    return make_repo(root / name, base=base, **kwargs)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(home / ".local/share/jupyter"))
    return home


def test_launch_pulls_installs_and_makes_a_kernel(served: tuple[Path, str], home: Path) -> None:
    url = repo(served, "demo-repo")
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


def test_launch_of_something_not_git_fails_at_pull(
    tmp_path: Path, served: tuple[Path, str], home: Path
) -> None:
    plain = home / "plain"
    plain.mkdir()
    job = launch(f"file://{plain}", None)
    assert job.state == "error"
    assert job.step("pull").state == "error"
    assert "not a git repository" in (job.error or "")
    assert not (home / "software" / "plain").exists()
    nothing = launch(f"{served[1]}/nothing-served", None)
    assert "not a git repository" in (nothing.error or "")
    bad = launch("not a url at all", None)
    assert "is not a git URL" in (bad.error or "")


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("file:///etc", "is a repository outside your home"),
        ("/etc", "is a repository outside your home"),
        ("ext::sh -c touch% /tmp/esap-pwned", "is not a git URL"),
        ("file://otherhost/srv/repo.git", "names another host"),
        ("--upload-pack=touch /tmp/esap-pwned", "is not a git URL"),
    ],
)
def test_launch_refuses_repositories_outside_the_home(
    tmp_path: Path, home: Path, url: str, said: str
) -> None:
    """Another user's repository, git's command transport, an option: refused before git runs."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    git(outside, "init", "-q")
    for tried, expected in ((url, said), (f"file://{outside}", "outside your home")):
        job = launch(tried, None, name="refused")
        assert job.state == "error"
        assert job.step("pull").state == "error"
        assert expected in (job.error or ""), job.error
    assert not (home / "software" / "refused").exists()


def test_launch_of_a_missing_ref_names_it(served: tuple[Path, str], home: Path) -> None:
    url = repo(served, "reffed")
    job = launch(url, "no-such-branch")
    assert job.state == "error"
    assert job.step("pull").state == "error"
    assert "'no-such-branch' does not exist" in (job.error or "")


def test_launch_of_a_tag_or_a_commit_checks_it_out(served: tuple[Path, str], home: Path) -> None:
    url = repo(served, "tagged")
    folder = served[0] / "tagged"
    git(folder, "tag", "v1.0")
    first = git_out(folder, "rev-parse", "HEAD")
    (folder / "later.txt").write_text("after the release\n")
    git(folder, "add", "later.txt")
    git(folder, "commit", "-q", "-m", "later")
    job = launch(url, "v1.0")
    assert job.state == "done", job.as_dict()
    assert [step.state for step in job.steps] == ["done"] * 5
    clone = home / "software" / "tagged"
    assert git_out(clone, "rev-parse", "HEAD") == first
    assert not (clone / "later.txt").exists()
    # the same folder moves to another commit, given by a short hash
    pull(url, git_out(folder, "rev-parse", "--short=10", "HEAD"), clone)
    assert (clone / "later.txt").exists()
    missing = launch(url, "deadbeef", name="elsewhere")
    assert missing.state == "error"
    assert missing.step("pull").state == "error"
    assert "'deadbeef' does not exist" in (missing.error or "")
    assert "branch, tag or commit" in (missing.error or "")
    assert not (home / "software" / "elsewhere").exists()


def test_failing_requirements_show_the_output_and_leave_no_kernel(
    served: tuple[Path, str], home: Path
) -> None:
    url = repo(served, "broken", requirement="esap-missing-pkg==9.9")
    job = launch(url, "main")
    assert job.state == "error"
    install = job.step("install")
    assert install.state == "error"
    assert "esap-missing-pkg" in install.output
    assert job.step("kernel").state == "pending"
    assert job.kernel is None
    assert not (kernels_dir() / "esap-broken").exists()
    assert not (home / ".esap" / "envs" / "broken").exists()
