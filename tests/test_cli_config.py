"""``esap config`` as an admin runs it: a real process, real files, exact output.

Every ``tests/config_errors/NN-name.yaml`` is a broken config; its sibling
``NN-name.expected`` holds the exact lines ``esap config check`` must print
for it on stderr. Adding a case is adding two files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from esap.config import json_schema

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = Path(__file__).resolve().parent / "config_errors"
BROKEN = sorted(EXAMPLES.glob("*.yaml"))

#: Inline secrets written in the examples: none may ever be printed.
SECRETS_IN_EXAMPLES = [
    "9f86d081884c7d659a2feaa0c55ad015",
    "correct-horse-battery",
    "zenodo-personal-token-abc123",
    "s3cr3t-pw",
    "hunter2",
    "0123456789abcdef0123456789abcdef",
]

VALID = textwrap.dedent(
    """\
    hub:
      title: Test Hub
      data_dir: state
    auth:
      type: shared-password
      password: env:ESAP_TEST_PASSWORD
    data_services:
      - name: gavo
        type: tap
        url: https://dc.g-vo.org/tap
        options:
          table: ivoa.obscore
          text_columns: [obs_title]
      - name: cds
        type: sia2
        url: https://alasky.cds.unistra.fr/sia2
      - name: registry
        type: registry
        url: https://reg.g-vo.org/tap
    software_catalogues:
      - name: ossr
        type: ossr
        url: https://zenodo.org/api
    archives:
      - name: bags
        type: local
        path: bags
    """
)


def esap(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m esap ARGS`` with this source tree's package first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(REPO / "extensions"), *filter(None, [env.get("PYTHONPATH")])]
    )
    return subprocess.run(
        [sys.executable, "-m", "esap", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_there_are_enough_examples_and_each_has_its_expectation() -> None:
    assert len(BROKEN) >= 24
    for example in BROKEN:
        assert example.with_suffix(".expected").is_file(), example.name
    assert {p.stem for p in EXAMPLES.glob("*.expected")} == {p.stem for p in BROKEN}


@pytest.mark.parametrize("example", BROKEN, ids=lambda path: path.stem)
def test_broken_example(example: Path) -> None:
    expected = example.with_suffix(".expected").read_text(encoding="utf-8").splitlines()
    result = esap("config", "check", example.name, cwd=EXAMPLES)
    assert "Traceback" not in result.stderr
    assert result.returncode == 1, result.stdout
    assert result.stdout == ""
    assert result.stderr.splitlines() == expected
    for secret in SECRETS_IN_EXAMPLES:
        assert secret not in result.stderr


def test_valid_config(tmp_path: Path) -> None:
    (tmp_path / "esap.yaml").write_text(VALID, encoding="utf-8")
    result = esap("config", "check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == (
        "esap.yaml: OK — 3 data services, 1 software catalogue, 1 archive, "
        "auth shared-password, mode local\n"
    )


def test_empty_file_is_valid(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("", encoding="utf-8")
    result = esap("config", "check", "empty.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "empty.yaml: OK — 0 data services, 0 software catalogues, 0 archives, "
        "auth shared-password, mode local\n"
    )


def test_missing_file(tmp_path: Path) -> None:
    result = esap("config", "check", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        "esap.yaml: (file): 'esap.yaml': file not found — give the path of your esap.yaml "
        "(esap config check PATH), or create one in this directory\n"
    )


def test_directory_instead_of_file(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    result = esap("config", "check", "conf", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        "conf: (file): 'conf': is a directory — give the path of the esap.yaml in it\n"
    )


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "esap.yaml").write_bytes(b"hub:\n  title: \xff\xfe\n")
    result = esap("config", "check", cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "not UTF-8 text" in result.stderr


def test_schema(tmp_path: Path) -> None:
    result = esap("config", "schema", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == json_schema()


def test_show_prints_the_public_part_without_secrets(tmp_path: Path) -> None:
    (tmp_path / "esap.yaml").write_text(VALID, encoding="utf-8")
    result = esap("config", "show", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["title"] == "Test Hub"
    assert [s["name"] for s in shown["data_services"]] == ["gavo", "cds", "registry"]
    assert "env:" not in result.stdout


def test_show_of_a_broken_file(tmp_path: Path) -> None:
    result = esap("config", "show", str(EXAMPLES / "15-port-too-large.yaml"), cwd=tmp_path)
    assert result.returncode == 1
    assert "hub.port: 70000: out of range" in result.stderr
    assert result.stdout == ""


def test_config_without_action_prints_usage(tmp_path: Path) -> None:
    result = esap("config", cwd=tmp_path)
    assert result.returncode == 2
    assert "check" in result.stderr
    assert "schema" in result.stderr
