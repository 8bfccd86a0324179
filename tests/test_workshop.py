"""A 20-account workshop: started by `esap workshop start`, two participants log in in
Chromium and find the course material, the trainer is admin, `esap workshop end`
removes the accounts and their servers."""

from __future__ import annotations

import csv
import secrets
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from playwright.sync_api import Browser, expect

from harness.hub import RunningHub, esap_env, hub_config

pytestmark = [pytest.mark.hub, pytest.mark.browser]

PARTICIPANTS = 20
NOTEBOOK = "welcome-to-the-course.ipynb"
METRICS_TOKEN = secrets.token_hex(16)


def make_course(directory: Path) -> str:
    """A git repository with one notebook: the course material, by file:// URL."""
    repo = directory / "course"
    repo.mkdir()
    (repo / NOTEBOOK).write_text(
        '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n'
    )
    git = ["git", "-c", "user.name=Trainer", "-c", "user.email=trainer@example.org"]
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "Course material"], cwd=repo, check=True)
    return f"file://{repo}"


def run_esap(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "esap", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )


@pytest.fixture(scope="module")
def workshop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningHub, Path, str]]:
    """A running workshop hub, its accounts CSV and the material's URL."""
    directory = tmp_path_factory.mktemp("workshop")
    material = make_course(directory)
    config = hub_config(directory, {"hub": {"cull_idle_after": 0}})
    # what a Prometheus operator adds: a service token that may read the hub's metrics
    config["hub"]["services"].append(
        {"name": "prometheus", "token": "env:ESAP_TEST_METRICS_TOKEN", "scopes": ["read:metrics"]}
    )
    config_path = directory / "esap.yaml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    accounts = directory / "trainer" / "accounts.csv"
    token = secrets.token_hex(16)
    env = esap_env(
        ESAP_TEST_SERVICE_TOKEN=token,
        ESAP_TEST_USER_PASSWORD="unused-password",
        ESAP_TEST_METRICS_TOKEN=METRICS_TOKEN,
    )
    log_path = directory / "hub.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "esap", "workshop", "start",
                "--config", str(config_path),
                "--users", str(PARTICIPANTS),
                "--hours", "2",
                "--material", material,
                "--csv", str(accounts),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )  # fmt: skip
    hub = RunningHub(
        url=f"http://127.0.0.1:{config['hub']['port']}",
        config_path=config_path,
        data_dir=Path(config["hub"]["data_dir"]),
        service_token=token,
        password="",
        process=process,
        log_path=log_path,
        config=config,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            hub.check_alive()
            try:
                if httpx.get(f"{hub.url}/hub/api/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"the workshop hub did not start\n{hub.log_tail()}")
            time.sleep(0.2)
        yield hub, accounts, material
    finally:
        hub.stop()


def read_accounts(path: Path) -> dict[str, dict[str, str]]:
    with path.open() as handle:
        return {row["username"]: row for row in csv.DictReader(handle)}


def form_login(hub: RunningHub, name: str, password: str) -> int:
    """Post the hub's login form as a browser does; the status of the answer."""
    with httpx.Client(base_url=hub.url, timeout=60) as client:
        client.get("/hub/login")
        response = client.post(
            "/hub/login",
            data={"username": name, "password": password, "_xsrf": client.cookies["_xsrf"]},
        )
        return response.status_code


def test_a_workshop_runs_from_start_to_end(
    workshop: tuple[RunningHub, Path, str], browser: Browser
) -> None:
    hub, accounts_csv, _ = workshop
    # the trainer's sheet: owner-only, one row per account, distinct passwords
    assert stat.S_IMODE(accounts_csv.stat().st_mode) == 0o600
    accounts = read_accounts(accounts_csv)
    participants = [name for name, row in accounts.items() if row["role"] == "participant"]
    assert len(participants) == PARTICIPANTS
    assert accounts["trainer"]["role"] == "trainer"
    assert len({row["password"] for row in accounts.values()}) == PARTICIPANTS + 1
    roster = (hub.data_dir / "workshop" / "roster.json").read_text()
    assert accounts[participants[0]]["password"] not in roster

    assert form_login(hub, participants[0], "not-the-password") == 403

    # two participants log in and land on the material, pulled into their homes
    for name in participants[:2]:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        try:
            page = context.new_page()
            page.goto(f"{hub.url}/hub/login")
            page.fill("#username_input", name)
            page.fill("#password_input", accounts[name]["password"])
            page.click("#login_submit")
            page.wait_for_url(f"**/user/{name}/lab/tree/course**", timeout=180_000)
            listing = page.locator(".jp-DirListing-content")
            expect(listing.get_by_text(NOTEBOOK)).to_be_visible(timeout=60_000)
        finally:
            context.close()
        assert (hub.data_dir / "homes" / name / "course" / NOTEBOOK).is_file()

    # the trainer is an admin who sees every participant's server
    with hub.api() as api:
        assert api.get("users/trainer").json()["admin"] is True
    trainer_token = hub.token_for("trainer")
    with httpx.Client(
        base_url=f"{hub.url}/hub/api/", headers={"Authorization": f"token {trainer_token}"}
    ) as trainer:
        users = {user["name"]: user for user in trainer.get("users").json()}
    for name in participants[:2]:
        assert users[name]["servers"][""]["ready"] is True

    # the end: accounts and servers gone, the trainer stays, no participant can log back in
    ended = run_esap("workshop", "end", "--config", str(hub.config_path), env=esap_env())
    assert ended.returncode == 0, ended.stderr + hub.log_tail()
    # only the two who logged in had an account on the hub
    assert "2 participant accounts and their servers removed" in ended.stdout
    with hub.api() as api:
        remaining = {user["name"] for user in api.get("users").json()}
    assert remaining == {"trainer"}
    assert form_login(hub, participants[0], accounts[participants[0]]["password"]) == 403
    assert form_login(hub, "trainer", accounts["trainer"]["password"]) == 302


def test_hub_metrics_need_a_read_metrics_token(workshop: tuple[RunningHub, Path, str]) -> None:
    hub, _, _ = workshop
    anonymous = httpx.get(f"{hub.url}/hub/metrics", timeout=30)
    assert anonymous.status_code == 403
    scraped = httpx.get(
        f"{hub.url}/hub/metrics",
        headers={"Authorization": f"token {METRICS_TOKEN}"},
        timeout=30,
    )
    assert scraped.status_code == 200
    assert "jupyterhub_total_users" in scraped.text
