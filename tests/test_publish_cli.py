"""``esap publish`` as a user runs it: a progress bar, problems before upload, tokens from stdin."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import bagit


def _esap(
    home: Path, archive: Path, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("ESAP_STATE_DIR", None)
    env["HOME"] = str(home)
    env["ESAP_PUBLIC_CONFIG"] = json.dumps(
        {
            "archives": [
                {"name": "local", "type": "local", "path": str(archive)},
                {"name": "zenodo", "type": "zenodo", "url": "http://127.0.0.1:9/api"},
            ]
        }
    )
    return subprocess.run(
        [sys.executable, "-m", "esap", "publish", *args],
        cwd=home,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_publishes_with_a_progress_bar_and_lists_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "table.csv").write_text("a,b\n1,2\n")
    archive = tmp_path / "archive"
    done = _esap(
        home,
        archive,
        "create",
        "table.csv",
        "--title",
        "A table",
        "--creator",
        "Doe, Jane;ASTRON;0000-0002-1825-0097",
        "--description",
        "One table.",
        "--keyword",
        "tables",
    )
    assert done.returncode == 0, done.stderr
    assert "published: A table" in done.stdout
    assert "100%" in done.stderr  # the progress bar reached the end
    url = next(line.split(": ", 1)[1] for line in done.stdout.splitlines() if "url:" in line)
    bagit.Bag(url.removeprefix("file://")).validate(fast=False)
    listing = _esap(home, archive, "list")
    assert "A table" in listing.stdout


def test_cli_reports_every_problem_before_uploading(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "a.txt").write_text("a")
    archive = tmp_path / "archive"
    bad = _esap(
        home,
        archive,
        "create",
        "a.txt",
        "--creator",
        "X;;0000-0002-1825-0098",
        "--license",
        "GPL-9",
    )
    assert bad.returncode == 2
    for field in ("title:", "description:", "creators[0].orcid:", "license:"):
        assert f"esap publish: {field}" in bad.stderr
    assert "nothing was uploaded" in bad.stderr
    outside = _esap(
        home, archive, "create", "../x", "--title", "t", "--creator", "x", "--description", "d"
    )
    assert outside.returncode == 2
    assert "'..' is refused" in outside.stderr
    assert not archive.exists()


def test_cli_token_is_read_from_stdin_and_never_printed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    stored = _esap(home, tmp_path / "archive", "token", "zenodo", stdin="tok-123456\n")
    assert stored.returncode == 0, stored.stderr
    assert "tok-123456" not in stored.stdout + stored.stderr
    path = home / ".esap" / "archive-tokens.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {"zenodo": "tok-123456"}
