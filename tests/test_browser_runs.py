"""The Jobs view in the lab: headless runs, their state, the executed notebook one click away."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect
from test_bulk_jobs import write_notebook

from harness.browser import log_in, open_side_panel
from harness.dask_hub import DaskHub

pytestmark = [pytest.mark.browser, pytest.mark.hub]

USER = "heidi"


def test_runs_are_listed_with_state_error_and_outputs(page: Page, dask_hub: DaskHub) -> None:
    hub = dask_hub.hub
    home = hub.data_dir / "homes" / USER
    write_notebook(home / "good.ipynb", "print('fine', x)", parameters="x = 1")
    write_notebook(home / "bad.ipynb", "raise RuntimeError('boom <b>here</b>')")
    hub.start_server(USER)
    dask_hub.started.add(USER)
    token = hub.token_for(USER)
    with hub.user_api(USER, token) as api:
        for name in ("good", "bad"):
            started = api.post(
                "jobs/run", json={"notebook": f"{name}.ipynb", "parameters": {"x": 2}}
            )
            assert started.status_code == 202, started.text
        deadline = time.monotonic() + 120
        while any(
            job["state"] in ("pending", "running") for job in api.get("jobs/run").json()["jobs"]
        ):
            assert time.monotonic() < deadline, "the runs did not finish"
            time.sleep(0.5)

    log_in(page, hub, USER)
    panel = page.locator(".esap-RunsPanel")
    open_side_panel(page, "esap-runs", panel)
    good = panel.locator('.esap-Run[data-esap-state="done"]')
    bad = panel.locator('.esap-Run[data-esap-state="error"]')
    expect(good).to_contain_text("good.ipynb")
    expect(good).to_contain_text("x=2")
    expect(bad).to_contain_text("RuntimeError: boom <b>here</b>")
    expect(bad.locator(".esap-Run-error b")).to_have_count(0)  # text, never HTML
    good.locator(".esap-Run-openNotebook").click()
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="good.ipynb")
    expect(tab).to_be_visible()
    expect(page.locator(".jp-OutputArea-output", has_text="fine 2")).to_be_visible()
