"""``esap hub`` refuses to start on a broken config or a busy port, and says what to fix."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.hub import esap_env, hub_config

pytestmark = pytest.mark.hub

CONFIG_ERRORS = Path(__file__).parent / "config_errors"


def run_esap(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run the ``esap`` command as an admin would."""
    return subprocess.run(
        [sys.executable, "-m", "esap", *args],
        capture_output=True,
        text=True,
        env=esap_env(**env),
        timeout=120,
        check=False,
    )


def write_config(directory: Path, config: dict[str, object]) -> Path:
    path = directory / "esap.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.mark.parametrize(
    "example", sorted(CONFIG_ERRORS.glob("*.yaml")), ids=lambda path: path.stem
)
def test_hub_refuses_a_broken_config_with_the_check_messages(example: Path) -> None:
    check = run_esap("config", "check", str(example))
    hub = run_esap("hub", "--config", str(example))
    assert hub.returncode == 1
    assert "Traceback" not in hub.stderr
    problems = [line for line in check.stderr.splitlines() if line.strip()]
    assert problems
    for line in problems:
        assert line in hub.stderr, f"esap hub did not report: {line}"


def test_busy_port_is_named_with_the_way_out(tmp_path: Path) -> None:
    config = hub_config(tmp_path)
    path = write_config(tmp_path, config)
    port = config["hub"]["port"]
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        result = run_esap(
            "hub",
            "--config",
            str(path),
            ESAP_TEST_SERVICE_TOKEN="t" * 32,
            ESAP_TEST_USER_PASSWORD="p" * 12,
        )
    assert result.returncode == 1
    assert f"hub.port: {port}: the public port 127.0.0.1:{port} is already in use" in result.stderr
    assert f"esap hub --port {port + 1}" in result.stderr
    assert f"make run PORT={port + 1}" in result.stderr


def test_unset_secret_is_named(tmp_path: Path) -> None:
    path = write_config(tmp_path, hub_config(tmp_path))
    result = run_esap("hub", "--config", str(path), ESAP_TEST_SERVICE_TOKEN="t" * 32)
    assert result.returncode == 1
    assert (
        "auth.password: 'env:ESAP_TEST_USER_PASSWORD': environment variable "
        "ESAP_TEST_USER_PASSWORD is not set" in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_short_password_is_refused(tmp_path: Path) -> None:
    path = write_config(tmp_path, hub_config(tmp_path))
    result = run_esap(
        "hub",
        "--config",
        str(path),
        ESAP_TEST_SERVICE_TOKEN="t" * 32,
        ESAP_TEST_USER_PASSWORD="s3cr3t!",
    )
    assert result.returncode == 1
    assert "auth.password" in result.stderr
    assert "7 characters long, at least 8 are needed" in result.stderr
    assert "s3cr3t!" not in result.stderr
