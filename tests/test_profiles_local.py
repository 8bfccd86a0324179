"""The profile choice on a local hub: KubeSpawner's form, in Chromium, limits recorded."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from harness.hub import SERVICE_SCOPES, RunningHub, hub_config, start_hub

pytestmark = [pytest.mark.hub, pytest.mark.browser]

PROFILES = [
    {"name": "small", "description": "1 core, 4 GB", "cpu": 1, "memory": "4G", "default": True},
    {"name": "large", "description": "4 cores, 16 GiB", "cpu": 4, "memory": "16Gi"},
    {"name": "gpu", "description": "one GPU", "gpu": 1, "groups": ["gpu-users"]},
]


@pytest.fixture(scope="module")
def profile_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHub]:
    directory = tmp_path_factory.mktemp("profile-hub")
    config = hub_config(directory, {"profiles": PROFILES})
    config["hub"]["services"][0]["scopes"] = [*SERVICE_SCOPES, "admin:server_state", "admin:groups"]
    running = start_hub(directory, config)
    try:
        yield running
    finally:
        running.stop()


def test_user_picks_a_profile_and_the_server_records_it(
    profile_hub: RunningHub, page: Page
) -> None:
    page.goto(f"{profile_hub.url}/hub/login?next=/hub/spawn")
    page.fill("#username_input", "pat")
    page.fill("#password_input", profile_hub.password)
    page.click("#login_submit")
    page.wait_for_url("**/hub/spawn**")
    choices = page.locator("input[type=radio][name=profile]")
    expect(choices).to_have_count(2)  # gpu is for the gpu-users group only
    assert [choices.nth(i).get_attribute("value") for i in range(2)] == ["small", "large"]
    expect(page.locator("#profile-item-small")).to_be_checked()
    page.locator("label[for=profile-item-large]").click()
    page.get_by_role("button", name="Start").click()
    page.wait_for_url("**/user/pat/lab**", timeout=120_000)

    with profile_hub.api() as api:
        state = api.get("users/pat").json()["servers"][""]["state"]
        environ = Path(f"/proc/{state['pid']}/environ").read_bytes().decode()
        variables = dict(item.split("=", 1) for item in environ.split("\0") if "=" in item)
        assert variables["ESAP_PROFILE"] == "large"
        assert variables["MEM_LIMIT"] == str(16 * 2**30)
        assert variables["CPU_LIMIT"] == "4.0"

        # joining the group opens the gpu profile in the form
        api.post("groups/gpu-users").raise_for_status()
        api.post("groups/gpu-users/users", json={"users": ["pat"]}).raise_for_status()
    profile_hub.stop_server("pat")
    page.goto(f"{profile_hub.url}/hub/spawn")
    expect(page.locator("input[type=radio][name=profile]")).to_have_count(3)
