"""A real JupyterHub + configurable-http-proxy, started by ``esap hub`` on loopback.

The hub is started exactly as an admin starts it (``esap hub --config``), in
its own process group, on free ports, with a service token that lets the
tests create users, start servers and mint user tokens through the hub's
REST API. Teardown signals the whole group, so the proxy, the culler and every
user server go with it even when a test fails.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from harness.ports import free_port

REPO = Path(__file__).resolve().parents[2]
SERVICE_NAME = "harness"
SERVICE_SCOPES = [
    "admin:users",
    "admin:servers",
    "tokens",
    "list:users",
    "read:users",
    "access:servers",
]

#: The services, catalogues and archives the test hub offers (not contacted by
#: the foundation tests; the sidebar and the config API list them).
TEST_OFFER: dict[str, Any] = {
    "data_services": [
        {
            "name": "local-tap",
            "type": "tap",
            "url": "http://127.0.0.1:9/tap",
            "title": "Loopback TAP",
            "description": "An ObsCore TAP service on this machine",
        },
        {
            "name": "local-sia",
            "type": "sia2",
            "url": "http://127.0.0.1:9/sia2",
            "description": "Images from the same archive",
        },
    ],
    "software_catalogues": [
        {
            "name": "ossr",
            "type": "ossr",
            "url": "https://zenodo.org/api",
            "title": "ESCAPE OSSR",
            "description": "The ESCAPE Open-source Scientific Software and Service Repository",
        }
    ],
    "archives": [
        {
            "name": "local",
            "type": "local",
            "path": "archive",
            "title": "Local archive",
            "description": "BagIt packages <b>kept</b> on this hub",
        }
    ],
}


@dataclass
class RunningHub:
    """A hub the tests started, and the means to drive it."""

    url: str
    config_path: Path
    data_dir: Path
    service_token: str
    password: str
    process: subprocess.Popen[bytes]
    log_path: Path
    config: dict[str, Any] = field(default_factory=dict)

    def api(self) -> httpx.Client:
        """A client of the hub's REST API, authenticated as the harness service."""
        return httpx.Client(
            base_url=f"{self.url}/hub/api/",
            headers={"Authorization": f"token {self.service_token}"},
            timeout=30,
        )

    def create_user(self, name: str) -> None:
        """Create ``name`` unless it exists."""
        with self.api() as api:
            if api.get(f"users/{name}").status_code == 404:
                api.post(f"users/{name}").raise_for_status()

    def token_for(self, name: str) -> str:
        """A new API token owned by ``name`` (with the user's own permissions)."""
        self.create_user(name)
        with self.api() as api:
            response = api.post(f"users/{name}/tokens", json={"note": "test"})
            response.raise_for_status()
            return str(response.json()["token"])

    def start_server(self, name: str, timeout: float = 120) -> None:
        """Spawn ``name``'s server and wait until the hub says it is ready."""
        self.create_user(name)
        with self.api() as api:
            response = api.post(f"users/{name}/server")
            if response.status_code not in (201, 202, 400):
                response.raise_for_status()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                server = api.get(f"users/{name}").json().get("servers", {}).get("")
                if server and server.get("ready"):
                    return
                self.check_alive()
                time.sleep(0.3)
        raise TimeoutError(f"{name}'s server not ready after {timeout}s\n{self.log_tail()}")

    def stop_server(self, name: str) -> None:
        """Stop ``name``'s server and wait until it is gone."""
        with self.api() as api:
            api.delete(f"users/{name}/server")
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if not api.get(f"users/{name}").json().get("servers"):
                    return
                time.sleep(0.3)
        raise TimeoutError(f"{name}'s server did not stop\n{self.log_tail()}")

    def user_api(self, owner: str, token: str | None) -> httpx.Client:
        """A client of ``owner``'s ESAP API through the proxy, sending ``token`` if given."""
        headers = {"Authorization": f"token {token}"} if token else {}
        return httpx.Client(
            base_url=f"{self.url}/user/{owner}/esap/api/v1/",
            headers=headers,
            timeout=30,
            follow_redirects=False,
        )

    def check_alive(self) -> None:
        """Fail with the hub's log if its process ended."""
        if self.process.poll() is not None:
            raise RuntimeError(f"the hub exited with {self.process.returncode}\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        """The end of the hub's log, for failure messages."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Stop the hub and everything it started (its whole process group)."""
        if self.process.poll() is None:
            stop_group(self.process)


def stop_group(process: subprocess.Popen[bytes], grace: float = 20) -> None:
    """SIGTERM a process group, SIGKILL it if it is still there after ``grace`` s."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    # anything the hub left behind in its group (a user server) goes too
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def hub_config(directory: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """An esap.yaml for a test hub on free ports with the harness service."""
    config: dict[str, Any] = {
        "hub": {
            "title": "ESAP Hub (tests)",
            "port": free_port(),
            "internal_port": free_port(),
            "proxy_api_port": free_port(),
            "data_dir": str(directory / "data"),
            "services": [
                {
                    "name": SERVICE_NAME,
                    "token": "env:ESAP_TEST_SERVICE_TOKEN",
                    "scopes": SERVICE_SCOPES,
                }
            ],
        },
        "auth": {"type": "shared-password", "password": "env:ESAP_TEST_USER_PASSWORD"},
        **TEST_OFFER,
    }
    for key, value in (overrides or {}).items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    return config


def esap_env(**extra: str) -> dict[str, str]:
    """The environment of an ``esap`` subprocess: this one, plus ``extra``."""
    env = dict(os.environ)
    env.update(extra)
    return env


def start_hub(
    directory: Path, config: dict[str, Any], timeout: float = 60, args: tuple[str, ...] = ()
) -> RunningHub:
    """Write ``config`` to ``directory/esap.yaml``, run ``esap hub`` on it (with ``args``), wait."""
    directory.mkdir(parents=True, exist_ok=True)
    config_path = directory / "esap.yaml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    token = secrets.token_hex(16)
    password = secrets.token_urlsafe(12)
    log_path = directory / "hub.log"
    env = esap_env(
        ESAP_TEST_SERVICE_TOKEN=token,
        ESAP_TEST_USER_PASSWORD=password,
    )
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "esap", "hub", "--config", str(config_path), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    hub_section = config["hub"]
    url = f"http://127.0.0.1:{hub_section['port']}"
    hub = RunningHub(
        url=url,
        config_path=config_path,
        data_dir=Path(hub_section.get("data_dir", directory / ".esap-hub")),
        service_token=token,
        password=password,
        process=process,
        log_path=log_path,
        config=config,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            hub.check_alive()
        except RuntimeError:
            hub.stop()
            raise
        try:
            if httpx.get(f"{url}/hub/api/", timeout=2).status_code == 200:
                return hub
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    hub.stop()
    raise TimeoutError(f"the hub did not answer on {url} within {timeout}s\n{hub.log_tail()}")


@pytest.fixture(scope="session")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHub]:
    """A real hub (JupyterHub + proxy + culler) shared by the session's tests."""
    directory = tmp_path_factory.mktemp("hub")
    running = start_hub(directory, hub_config(directory))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def alice(hub: RunningHub) -> str:
    """A user whose server is running; returns her API token."""
    hub.start_server("alice")
    return hub.token_for("alice")
