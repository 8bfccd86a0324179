"""Usage people can see: "My usage" in the lab, everyone's for admins, and the home quota.

Against a real hub with a small ``hub.home_quota`` and an admin (``ada``):
a user's ``GET usage`` answers their home (and sees it grow), their running
server and their running jobs; ``esap usage`` and the hub page
``/hub/esap-usage`` show every user to an admin and refuse anyone else; a
home past the quota refuses a basket download and a publication with a 507
that names the size, the quota and the fix, and the lab warns its user. The
Dask part runs on the session's Dask hub, with a real cluster. Pieces that
need no hub (the walk, the quota check, the limits rule, the chart's volume
size) are checked directly.
"""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from esap.config import ConfigError, loads
from esap.config.sizes import human_bytes, memory_bytes
from esap.core.home import home_size, measure
from esap.core.limits import effective_limits
from esap.core.quota import QuotaExceeded, ensure_room
from esap.helm.values import chart_values
from harness.browser import log_in
from harness.dask_hub import DaskHub
from harness.faults import Faults
from harness.hub import RunningHub, esap_env, hub_config, start_hub
from harness.kernel import Kernel

QUOTA = "30M"
ADMIN = "ada"
ADMIN_PASSWORD_ENV = "ESAP_TEST_ADMIN_PASSWORD"
ADMIN_PASSWORD = secrets.token_hex(16)
#: A user well inside the quota, one past it, and one whose server is stopped.
UMA, QUINN, STELLA = "uma", "quinn", "stella"
MB = 10**6
METADATA = {
    "title": "Crab nebula spectra",
    "creators": [{"name": "Doe, Jane", "affiliation": "CTAO", "orcid": "0000-0002-1825-0097"}],
    "description": "Spectra from a notebook.",
    "license": "CC-BY-4.0",
}


@pytest.fixture(scope="module")
def usage_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHub]:
    """A hub with a 30 MB home quota and an admin; uma's and quinn's servers running."""
    directory = tmp_path_factory.mktemp("usage-hub")
    config = hub_config(
        directory,
        {
            "hub": {"home_quota": QUOTA, "admin_users": [ADMIN]},
            # admins log in with a password of their own (shared-password mode)
            "auth": {"admin_password": f"env:{ADMIN_PASSWORD_ENV}"},
        },
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ADMIN_PASSWORD_ENV, ADMIN_PASSWORD)
        running = start_hub(directory, config)
    try:
        for user in (UMA, QUINN, STELLA):
            running.start_server(user)
        running.stop_server(STELLA)
        yield running
    finally:
        running.stop()


def home(hub: RunningHub, user: str) -> Path:
    return hub.data_dir / "homes" / user


def usage(hub: RunningHub, user: str, token: str, **params: str) -> dict[str, Any]:
    with hub.user_api(user, token) as api:
        answer = api.get("usage", params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


# --------------------------------------------------------------------------- My usage


@pytest.mark.hub
def test_my_usage_has_the_home_the_server_and_the_running_jobs(
    usage_hub: RunningHub, faults: Faults
) -> None:
    token = usage_hub.token_for(UMA)
    first = usage(usage_hub, UMA, token, fresh="true")
    assert first["user"] == UMA
    assert first["problems"] == []
    assert first["home"]["quota"] == memory_bytes(QUOTA)
    assert first["home"]["warn"] is False
    assert Path(first["home"]["path"]) == home(usage_hub, UMA).resolve()
    [server] = first["servers"]
    assert server["name"] == ""
    assert server["ready"] is True
    assert server["running_seconds"] >= 0
    assert first["dask"]["enabled"] is False

    # a file of known size: the home grows by at least that much (blocks on disk)
    (home(usage_hub, UMA) / "spectra.bin").write_bytes(os.urandom(5 * MB))
    grown = usage(usage_hub, UMA, token, fresh="true")
    assert grown["home"]["bytes"] - first["home"]["bytes"] >= 5 * MB
    assert grown["home"]["files"] > first["home"]["files"]

    with usage_hub.user_api(UMA, token) as api:
        bad = api.get("usage", params={"fresh": "yes"})
        assert bad.status_code == 400
        assert bad.json()["error"]["field"] == "fresh"
        # a download held by the archive: a running job, listed as running
        key = "usage-download"
        item = {"kind": "data", "service": "s", "access_url": faults.held(key) + "/m31.fits"}
        ids = api.post("basket", json={"items": [item]}).json()["ids"]
        job = api.post("jobs/download", json={"ids": ids, "folder": "held"})
        assert job.status_code == 202, job.text
        try:
            listed = usage(usage_hub, UMA, token)["jobs"]
            assert [(j["kind"], j["id"]) for j in listed] == [("download", job.json()["id"])]
            assert listed[0]["state"] in ("pending", "running")
            assert listed[0]["about"] == "held"
        finally:
            faults.release(key)
        deadline = time.monotonic() + 60
        while usage(usage_hub, UMA, token)["jobs"] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert usage(usage_hub, UMA, token)["jobs"] == []

        # a download whose declared size would carry the home past the quota is refused
        big = {
            "kind": "data",
            "service": "s",
            "access_url": f"{faults.error}/b.fits",
            "size": 40 * MB,
        }
        ids = api.post("basket", json={"items": [big]}).json()["ids"]
        refused = api.post("jobs/download", json={"ids": ids})
    assert refused.status_code == 507, refused.text
    error = refused.json()["error"]
    assert error["code"] == "quota_exceeded"
    assert "would add 40 MB" in error["message"]
    assert "quota of 30 MB" in error["message"]


@pytest.mark.hub
def test_my_usage_shows_dask_clusters_against_the_limits(
    dask_hub: DaskHub, kernel_of: Callable[[str], Kernel]
) -> None:
    user = "dora"
    kernel = kernel_of(user)
    name = kernel.json(
        "import json, esap.bulk\n"
        "cluster = esap.bulk.cluster(workers=2)\n"
        "cluster.get_client().wait_for_workers(2)\n"
        "print(json.dumps(cluster.name))"
    )
    try:
        dask = usage(dask_hub.hub, user, dask_hub.hub.token_for(user))["dask"]
    finally:
        kernel.run("cluster.shutdown()")
    assert dask["enabled"] is True
    [cluster] = dask["clusters"]
    assert (cluster["name"], cluster["status"], cluster["workers"]) == (name, "running", 2)
    # the scheduler's share (1 core, 1 GiB) beside two workers of 1 core and 1 GiB
    assert dask["in_use"] == {"clusters": 1, "cores": 3, "memory": 3 * 2**30}
    assert dask["limits"] == {
        "clusters": {"value": 2, "key": "dask.limits.max_clusters"},
        "cores": {"value": 4, "key": "dask.limits.max_cores"},
        "memory": {"value": 16 * 2**30, "key": "dask.limits.max_memory"},
    }


# --------------------------------------------------------------------------- the quota


def fill(hub: RunningHub, user: str) -> None:
    """Put quinn's home past the quota (31 MB of data)."""
    (home(hub, user) / "simulation.bin").write_bytes(os.urandom(31 * MB))


@pytest.mark.hub
def test_a_home_past_its_quota_refuses_downloads_and_publications(
    usage_hub: RunningHub,
) -> None:
    token = usage_hub.token_for(QUINN)
    fill(usage_hub, QUINN)
    (home(usage_hub, QUINN) / "analysis.ipynb").write_text('{"cells": [], "metadata": {}}')
    report = usage(usage_hub, QUINN, token, fresh="true")["home"]
    assert report["bytes"] >= 31 * MB
    assert report["share"] >= 1
    assert report["warn"] is True
    with usage_hub.user_api(QUINN, token) as api:
        item = {"kind": "data", "service": "s", "access_url": "http://127.0.0.1:9/m31.fits"}
        ids = api.post("basket", json={"items": [item]}).json()["ids"]
        download = api.post("jobs/download", json={"ids": ids})
        publication = api.post(
            "publish/publications",
            json={"files": ["analysis.ipynb"], "metadata": METADATA, "archive": "local"},
        )
        assert api.get("jobs/download").json()["jobs"] == []  # nothing was started
    for answer, action in ((download, "a basket download"), (publication, "a publication package")):
        assert answer.status_code == 507, answer.text
        error = answer.json()["error"]
        assert error["code"] == "quota_exceeded"
        assert re.match(rf"{action} is refused: your home holds [0-9.]+ MB, ", error["message"])
        assert error["message"].endswith("at or over its quota of 30 MB (hub.home_quota)")
        assert error["fix"].startswith("free space in your home")
        assert error["fix"].endswith("or ask the hub admin")


@pytest.mark.hub
@pytest.mark.browser
def test_the_lab_warns_a_user_whose_home_is_past_its_quota(
    page: Page, usage_hub: RunningHub
) -> None:
    fill(usage_hub, QUINN)
    log_in(page, usage_hub, QUINN)
    toast = page.locator(".Toastify__toast", has_text="at its 30 MB quota")
    expect(toast).to_be_visible(timeout=60_000)
    toast.get_by_role("button", name="My usage").click()
    meter = page.locator('.esap-UsageView [data-esap-part="home"] .esap-Usage-meter')
    expect(meter).to_have_attribute("data-esap-level", "over")
    expect(meter).to_contain_text("of 30 MB")


# --------------------------------------------------------------------------- admins


def esap_usage(
    hub: RunningHub, *args: str, token: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``esap usage`` on the hub's esap.yaml: its service token, or ``token`` in the env."""
    env = esap_env(ESAP_TEST_SERVICE_TOKEN=hub.service_token)
    env.pop("JUPYTERHUB_API_TOKEN", None)
    if token is not None:
        env["JUPYTERHUB_API_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "esap", "usage", "--config", str(hub.config_path), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.hub
def test_esap_usage_shows_every_user_and_group_to_an_admin(usage_hub: RunningHub) -> None:
    admin = usage_hub.token_for(ADMIN)
    with httpx.Client(
        base_url=f"{usage_hub.url}/hub/api/", headers={"Authorization": f"token {admin}"}
    ) as api:
        if api.get("groups/astro").status_code == 404:
            api.post("groups/astro").raise_for_status()
        api.post("groups/astro/users", json={"users": [UMA, STELLA]}).raise_for_status()
    (home(usage_hub, STELLA) / "notes.bin").write_bytes(os.urandom(2 * MB))

    done = esap_usage(usage_hub, "--json")
    assert done.returncode == 0, done.stderr
    rows = {row["name"]: row for row in json.loads(done.stdout)["users"]}
    assert {UMA, QUINN, STELLA} <= set(rows)
    assert json.loads(done.stdout)["quota"] == memory_bytes(QUOTA)
    # a running server reports its own usage; a stopped one's home is measured on disk
    assert rows[UMA]["home_from"] == "server"
    assert [s["name"] for s in rows[UMA]["servers"] if s["ready"]] == [""]
    assert rows[UMA]["jobs"] == 0
    assert rows[STELLA]["home_from"] == "disk"
    assert rows[STELLA]["home"] >= 2 * MB
    assert rows[STELLA]["servers"] == []
    [astro] = [g for g in json.loads(done.stdout)["groups"] if g["name"] == "astro"]
    assert astro["users"] == 2
    assert astro["servers"] == 1
    assert astro["home"] == rows[UMA]["home"] + rows[STELLA]["home"]

    table = esap_usage(usage_hub, "--group", "astro")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert "home quota: 30 MB" in lines[0]
    users = [line.split()[0] for line in lines if line.startswith((UMA, QUINN, STELLA))]
    assert users == [STELLA, UMA]
    assert any(line.startswith("astro") for line in lines)
    one = esap_usage(usage_hub, "--user", QUINN, "--json")
    assert [row["name"] for row in json.loads(one.stdout)["users"]] == [QUINN]


@pytest.mark.hub
def test_esap_usage_refuses_a_token_that_may_not_list_users(usage_hub: RunningHub) -> None:
    done = esap_usage(usage_hub, token=usage_hub.token_for(UMA))
    assert done.returncode != 0
    assert "refused the token (403)" in done.stderr
    assert "admin" in done.stderr


@pytest.mark.hub
def test_the_hub_page_shows_everyone_to_admins_only(usage_hub: RunningHub) -> None:
    def page(who: str, **params: str) -> httpx.Response:
        """The page as ``user``'s browser gets it: hub pages take the login cookie, not tokens."""
        with httpx.Client(base_url=usage_hub.url, timeout=60) as browser:
            browser.get("/hub/login")
            xsrf = next(c.value for c in browser.cookies.jar if c.name == "_xsrf")
            password = ADMIN_PASSWORD if who == ADMIN else usage_hub.password
            login = {"username": who, "password": password, "_xsrf": xsrf}
            assert browser.post("/hub/login", data=login).status_code == 302
            return browser.get("/hub/esap-usage", params=params)

    shown = page(ADMIN)
    assert shown.status_code == 200, shown.text
    for user in (UMA, QUINN, STELLA, ADMIN):
        assert f'data-esap-user="{user}"' in shown.text
    assert "Home quota (hub.home_quota): 30 MB" in shown.text
    narrowed = page(ADMIN, user=UMA)
    assert 'data-esap-user="uma"' in narrowed.text
    assert 'data-esap-user="quinn"' not in narrowed.text

    refused = page(UMA)
    assert refused.status_code == 403
    assert "Only the hub's admins see everyone's usage" in html.unescape(refused.text)
    assert 'data-esap-user="quinn"' not in refused.text


# --------------------------------------------------------------------------- no hub needed


def test_the_walk_counts_blocks_once_per_file_and_follows_no_link(tmp_path: Path) -> None:
    empty = measure(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.bin").write_bytes(os.urandom(3 * MB))
    os.link(data / "a.bin", data / "b.bin")  # a hard link is the same blocks
    (tmp_path / "elsewhere").symlink_to("/usr")  # a link is not followed
    grown = measure(tmp_path)
    assert 3 * MB <= grown.bytes - empty.bytes < 3 * MB + 64 * 1024
    assert grown.files == empty.files + 2  # the link itself and one of the two names
    # a measurement is reused for max_age seconds, and max_age=0 walks again
    first = home_size(tmp_path)
    (data / "c.bin").write_bytes(os.urandom(MB))
    assert home_size(tmp_path) == first
    assert home_size(tmp_path, max_age=0).bytes >= first.bytes + MB


def test_the_quota_check_names_the_size_the_quota_and_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESAP_PUBLIC_CONFIG", json.dumps({"home_quota": 2 * MB}))
    (tmp_path / "a.bin").write_bytes(os.urandom(MB))
    assert ensure_room("a basket download", home=tmp_path) is not None
    with pytest.raises(QuotaExceeded) as adding:
        ensure_room("a basket download", 3 * MB, home=tmp_path)
    assert adding.value.status == 507
    assert "would add 3 MB" in adding.value.message
    (tmp_path / "b.bin").write_bytes(os.urandom(MB))
    monkeypatch.setenv("ESAP_PUBLIC_CONFIG", json.dumps({"home_quota": MB}))
    with pytest.raises(QuotaExceeded) as full:
        ensure_room("a publication package", home=tmp_path)
    assert full.value.message.startswith("a publication package is refused: your home holds ")
    assert "quota of 1 MB (hub.home_quota)" in full.value.message
    assert full.value.fix == (
        "free space in your home (delete or move files you no longer need) or ask the hub admin"
    )
    monkeypatch.setenv("ESAP_PUBLIC_CONFIG", json.dumps({"home_quota": None}))
    assert ensure_room("a basket download", 10**12, home=tmp_path) is None


def test_home_quota_takes_the_memory_size_syntax() -> None:
    assert memory_bytes("10G") == 10 * 10**9
    assert human_bytes(31_500_000) == "31.5 MB"
    with pytest.raises(ConfigError) as bad:
        loads("hub: {home_quota: 10GB}")
    assert "hub.home_quota" in str(bad.value)
    assert "memory size" in str(bad.value)


def test_the_limits_rule_is_the_gateways() -> None:
    policy = {
        "limits": {"max_clusters": 1, "max_cores": 2, "max_memory": None},
        "group_limits": {"big": {"max_cores": 16}, "small": {"max_cores": 4}},
    }
    limits = effective_limits(policy, {"small", "big"})
    assert (limits["max_cores"].value, limits["max_cores"].key) == (
        16,
        "dask.group_limits.big.max_cores",
    )
    assert (limits["max_clusters"].value, limits["max_clusters"].key) == (
        1,
        "dask.limits.max_clusters",
    )


def test_the_chart_sizes_each_home_volume_to_the_quota() -> None:
    values = chart_values(loads("hub: {mode: kubernetes, home_quota: 20Gi}"))
    assert values["jupyterhub"]["singleuser"]["storage"] == {"capacity": "20Gi"}
    unset = chart_values(loads("hub: {mode: kubernetes}"))
    assert "storage" not in unset["jupyterhub"]["singleuser"]
