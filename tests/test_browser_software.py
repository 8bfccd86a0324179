"""The Software panel end to end: search a codemeta catalogue, read details, Open in my lab."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from harness.browser import log_in, open_side_panel
from harness.software_hub import BINDERHUB, EVIL, SoftwareHub

pytestmark = [pytest.mark.browser, pytest.mark.hub]

USER = "sigrid"


def test_search_details_and_open_in_my_lab(page: Page, software_hub: SoftwareHub) -> None:
    hub = software_hub.hub
    log_in(page, hub, USER)
    panel = page.locator(".esap-SoftwarePanel")
    open_side_panel(page, "esap-software", panel)
    # the panel's content scrolls under its header: details and build log outgrow the sidebar
    content = panel.locator(":scope > .jp-SidePanel-content")
    assert content.evaluate("node => getComputedStyle(node).overflowY") == "auto"
    panel.get_by_label("Keyword").fill("demo")
    panel.get_by_label("Language").fill("python")
    panel.get_by_role("button", name="Search").click()

    expect(panel.locator('.esap-Software-catalogueError[data-catalogue="down"]')).to_be_visible()
    expect(panel.locator(".esap-Software-count")).to_have_text("1 hit")
    panel.locator('[data-identifier="esap-demo"] .esap-Software-hitName').click()

    details = panel.locator(".esap-Software-details")
    expect(details.locator("h3")).to_have_text("esap-demo")
    expect(details).to_contain_text("Ada Demo")
    expect(details).to_contain_text("MIT")
    expect(details).to_contain_text("Python 3, Linux")
    expect(details).to_contain_text("https://doi.org/10.0000/esap-demo")
    # a repository on loopback is nothing a remote BinderHub can build: no link
    expect(details.get_by_role("link", name="Launch on BinderHub")).to_have_count(0)

    details.get_by_role("button", name="Add to basket").click()
    with hub.user_api(USER, hub.token_for(USER)) as api:
        for _ in range(200):
            software = api.get("basket", params={"kind": "software"}).json()["items"]
            if software:
                break
            page.wait_for_timeout(100)
    assert [item["label"] for item in software] == ["esap-demo"]

    details.get_by_role("button", name="Open in my lab").click()
    launch = panel.locator(".esap-Software-launch")
    expect(launch).to_have_attribute("data-state", "done", timeout=300_000)
    expect(launch.locator('[data-step="install"]')).to_have_attribute("data-state", "done")

    notebook = page.locator(".jp-NotebookPanel").filter(has_text="esap_demo_pkg")
    expect(notebook.locator(".jp-Toolbar-kernelName")).to_have_text(
        "esap-demo (ESAP)", timeout=120_000
    )
    # run once the kernel has started (the status bar says so)
    expect(page.get_by_role("button", name="esap-demo (ESAP) | Idle")).to_be_visible(
        timeout=120_000
    )
    notebook.locator(".jp-Cell .cm-content").first.click()
    page.keyboard.press("Shift+Enter")
    expect(notebook.locator(".jp-OutputArea-output").first).to_have_text("42", timeout=120_000)

    panel.get_by_role("button", name="Back").click()
    panel.get_by_label("Keyword").fill("broken")
    panel.get_by_role("button", name="Search").click()
    panel.locator('[data-identifier="esap-broken"] .esap-Software-hitName').click()
    # the markup is gone (descriptions are plain text, esap.core.text), the text stays
    description = details.locator(".esap-Software-description")
    expect(description).to_have_text("Declares a requirement that cannot be installed")
    assert EVIL not in description.inner_text()
    assert panel.locator("img").count() == 0
    assert page.evaluate("window.__esapPwned") is None
    details.get_by_role("button", name="Open in my lab").click()
    expect(launch).to_have_attribute("data-state", "error", timeout=300_000)
    expect(launch.locator('[data-step="install"]')).to_have_attribute("data-state", "error")
    expect(launch.locator(".esap-Software-output")).to_contain_text("esap-missing-pkg")
    with hub.user_api(USER, hub.token_for(USER)) as api:
        specs = api.get(f"{hub.url}/user/{USER}/api/kernelspecs").raise_for_status().json()
    assert "esap-esap-broken" not in specs["kernelspecs"]
    assert "esap-esap-demo" in specs["kernelspecs"]

    panel.get_by_role("button", name="Back").click()
    panel.get_by_label("Keyword").fill("gamma-ray")
    panel.get_by_label("Language").fill("")
    panel.get_by_role("button", name="Search").click()
    panel.locator('[data-identifier="gammapy"] .esap-Software-hitName').click()
    with hub.user_api(USER, hub.token_for(USER)) as api:
        gammapy = api.get("software/records/curated/gammapy").raise_for_status().json()
    assert gammapy["binder_url"].startswith(f"{BINDERHUB}/v2/gh/gammapy/gammapy/")
    binder = details.get_by_role("link", name="Launch on BinderHub")
    expect(binder).to_have_attribute("href", gammapy["binder_url"])
