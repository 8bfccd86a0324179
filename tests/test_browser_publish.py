"""In Chromium: open a notebook, Publish, fill the form (a field error first), get the link."""

from __future__ import annotations

import json
import secrets

import pytest
from playwright.sync_api import Page, expect
from standins.fixtures import PublishHub

from harness.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.hub]

NOTEBOOK = {
    "cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# Light curve"]}],
    "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
    },
    "nbformat": 4,
    "nbformat_minor": 5,
}


def test_publish_a_notebook_from_its_toolbar(page: Page, publish_hub: PublishHub) -> None:
    hub = publish_hub.hub
    home = publish_hub.home
    (home / "lightcurve.ipynb").write_text(json.dumps(NOTEBOOK))
    # start from "no token stored", whatever ran before, so the dialog asks for one
    with hub.user_api(publish_hub.user, publish_hub.token) as api:
        api.delete("publish/tokens/zenodo-test").raise_for_status()
    token = secrets.token_urlsafe(12)
    publish_hub.zenodo.state.tokens[token] = "pia-browser"

    log_in(page, hub, publish_hub.user)
    page.goto(f"{hub.url}/user/{publish_hub.user}/lab/tree/lightcurve.ipynb")
    button = page.locator(".jp-NotebookPanel-toolbar .esap-Publish-button")
    expect(button).to_be_visible(timeout=60_000)
    button.click()

    dialog = page.locator(".jp-Dialog .esap-Publish")
    expect(dialog).to_be_visible()
    expect(dialog.locator('textarea[name="files"]')).to_have_value("lightcurve.ipynb")
    dialog.locator('input[name="title"]').fill("Light curve of SN 2026a")
    dialog.locator('input[name="creators[0].name"]').fill("Doe, Jane")
    dialog.locator('input[name="creators[0].affiliation"]').fill("ASTRON")
    dialog.locator('input[name="creators[0].orcid"]').fill("0000-0002-1825-0098")
    dialog.locator('textarea[name="description"]').fill("A <b>light</b> curve.")
    dialog.locator('select[name="archive"]').select_option("zenodo-test")
    dialog.locator('input[name="token"]').fill(token)

    # the typo in the ORCID is caught before anything is uploaded, on its field
    dialog.locator(".esap-Publish-preview").click()
    error = dialog.locator('.esap-Publish-error[data-field="creators[0].orcid"]')
    expect(error).to_contain_text("check digit")
    assert [
        d for d in publish_hub.zenodo.state.depositions.values() if d.owner == "pia-browser"
    ] == []

    dialog.locator('input[name="creators[0].orcid"]').fill("0000-0002-1825-0097")
    dialog.locator(".esap-Publish-preview").click()
    expect(dialog.locator(".esap-Publish-package")).to_contain_text("ro-crate-metadata.json")
    expect(error).to_have_count(0)

    dialog.locator(".esap-Publish-submit").click()
    expect(dialog.locator(".esap-Publish-status, .esap-Publish-result").first).to_be_visible()
    link = dialog.locator("a.esap-Publish-link")
    expect(link).to_be_visible(timeout=60_000)
    [deposition] = [
        d for d in publish_hub.zenodo.state.depositions.values() if d.owner == "pia-browser"
    ]
    assert deposition.submitted
    expect(dialog.locator(".esap-Publish-doi")).to_have_text(deposition.doi)
    assert link.get_attribute("href") == f"{publish_hub.zenodo.server.url}/records/{deposition.id}"
    # the token went to the server once and is not in the page any more
    assert token not in page.content()
