"""The probe: a bot that uses a real hub as a scientist does, and reports what failed.

Two real hubs (``esap hub`` on loopback, the test archive in GAVO DaCHS):

- a healthy one, where the ``esap-probe`` service runs its first round as the
  hub starts: every check passes (spawn, a search of each data service, the
  software catalogue, the basket, a publication to the local archive, a Dask
  cluster), its metrics carry each check and service, and ``esap probe
  --once`` at a terminal reports the same checks and exits 0;
- one whose data services include one nothing answers and one that never
  answers: the report names each of them, says why, exits 1, and the other
  checks still pass; with ``probe.notebooks`` the tutorials run in the bot's
  lab, and the one that publishes leaves no record behind.

After every round the bot has no account, no server and no files left.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from traitlets.config import Config

from esap.config import ConfigError, loads
from esap.hub.services import configure_services
from esap.probe import CheckResult, Plan, Round
from esap.probe.metrics import FAMILIES, ProbeMetrics
from esap.probe.report import render
from esap.probe.service import PLAN_ENV, SERVICE_NAME, service_scopes
from harness.dachs import DachsService
from harness.dask_hub import dask_section
from harness.faults import Faults
from harness.hub import SERVICE_NAME as HARNESS
from harness.hub import SERVICE_SCOPES, RunningHub, esap_env, hub_config, start_hub
from harness.ports import free_port
from harness.scrape import Key, key, samples, scrape

REPO = Path(__file__).resolve().parents[1]
BOT = "esap-probe-bot"
CURATED = REPO / "tests" / "data" / "software"
DASHBOARD = REPO / "helm" / "esap-hub" / "dashboards" / "esap-hub.json"
#: A row of the report: check, service, ok/FAIL, seconds, message.
ROW = re.compile(r"^(\S+)\s+(\S+)\s+(ok|FAIL)\s+(\d+\.\d\d)\s+(.*)$")


@dataclass
class ProbeHub:
    """A hub the probe runs against, and what the tests need to look at it."""

    hub: RunningHub
    directory: Path
    #: The bearer token of ``hub.metrics.token``, and a hub token with ``read:metrics``.
    scrape_tokens: dict[str, str]

    @property
    def metrics_url(self) -> str:
        return f"{self.hub.url}/services/{SERVICE_NAME}/metrics"

    @property
    def archive(self) -> Path:
        return self.directory / "archive"


def probe_hub_config(
    directory: Path, data_services: list[dict[str, Any]], probe: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    """A test hub whose probe token and scrape tokens are files in ``directory``."""
    tokens = {name: secrets.token_hex(16) for name in ("probe", "configured", "read:metrics")}
    for name, value in tokens.items():
        (directory / f"{name.replace(':', '-')}-token").write_text(value)
    services = [
        {"name": HARNESS, "token": "env:ESAP_TEST_SERVICE_TOKEN", "scopes": SERVICE_SCOPES},
        {
            "name": "prometheus",
            "token": f"file:{directory / 'read-metrics-token'}",
            "scopes": ["read:metrics"],
        },
    ]
    return hub_config(
        directory,
        {
            "hub": {
                "services": services,
                "metrics": {"token": f"file:{directory / 'configured-token'}"},
            },
            "data_services": data_services,
            "software_catalogues": [{"name": "curated", "type": "codemeta", "path": str(CURATED)}],
            "archives": [{"name": "local", "type": "local", "path": str(directory / "archive")}],
            "probe": {"token": f"file:{directory / 'probe-token'}", **probe},
            **extra,
        },
    )


def start(directory: Path, config: dict[str, Any]) -> ProbeHub:
    directory.mkdir(parents=True, exist_ok=True)
    hub = start_hub(directory, config)
    tokens = {
        name: (directory / f"{name.replace(':', '-')}-token").read_text()
        for name in ("configured", "read:metrics")
    }
    return ProbeHub(hub, directory, tokens)


def archive_services(dachs: DachsService) -> list[dict[str, Any]]:
    return [
        {"name": "local-tap", "type": "tap", "url": dachs.tap_url, "timeout": 60},
        {"name": "local-sia", "type": "sia2", "url": dachs.sia2_url, "timeout": 60},
        {"name": "local-scs", "type": "scs", "url": dachs.scs_url, "timeout": 60},
    ]


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory, dachs: DachsService) -> Iterator[ProbeHub]:
    """A healthy hub whose esap-probe service runs a round as it starts (then hourly)."""
    directory = tmp_path_factory.mktemp("probe-healthy")
    config = probe_hub_config(
        directory,
        archive_services(dachs),
        {"enabled": True, "interval": 3600},
        dask=dask_section(),
    )
    running = start(directory, config)
    try:
        yield running
    finally:
        running.hub.stop()


@pytest.fixture(scope="module")
def service_round(healthy: ProbeHub) -> dict[Key, float]:
    """The service's first round, as its metrics show it once it ended."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        response = scrape(healthy.metrics_url, healthy.scrape_tokens["configured"], "Bearer")
        if response.status_code == 200 and "esap_probe_round_timestamp_seconds" in response.text:
            return samples(response.text, prefix="esap_probe_")
        healthy.hub.check_alive()
        time.sleep(1)
    raise TimeoutError(f"no probe round ended\n{healthy.hub.log_tail()}")


@pytest.fixture(scope="module")
def broken(
    tmp_path_factory: pytest.TempPathFactory, dachs: DachsService, faults: Faults
) -> Iterator[ProbeHub]:
    """A hub with a data service nothing answers and one that never answers; no schedule."""
    directory = tmp_path_factory.mktemp("probe-broken")
    services = [
        archive_services(dachs)[0],
        {"name": "down", "type": "tap", "url": f"http://127.0.0.1:{free_port()}/tap"},
        {"name": "hanging", "type": "tap", "url": faults.hang, "timeout": 60},
    ]
    probe = {"checks": ["data", "software", "basket", "publish"], "timeouts": {"data": 10}}
    running = start(directory, probe_hub_config(directory, services, probe))
    try:
        yield running
    finally:
        running.hub.stop()


def probe_once(probe_hub: ProbeHub, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``esap probe --once`` on the hub's own esap.yaml (or ``config``), as an admin runs it."""
    config_path = str(config or probe_hub.hub.config_path)
    return subprocess.run(
        [sys.executable, "-m", "esap", "probe", "--once", "--config", config_path],
        capture_output=True,
        text=True,
        timeout=900,
        env=esap_env(),
        check=False,
    )


def report_rows(stdout: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(check, service) -> (ok/FAIL, message) of every row of a report."""
    lines = stdout.splitlines()
    assert lines[0].split() == ["check", "service", "result", "seconds", "message"], stdout
    rows = {}
    for line in lines[1:-1]:
        match = ROW.match(line)
        assert match, f"not a report row: {line!r}"
        check, service, result, _, message = match.groups()
        rows[(check, service)] = (result, message)
    # aligned: every row's result column starts where the header's does
    column = lines[0].index("result")
    assert all(line[column : column + 2] in ("ok", "FA") for line in lines[1:-1]), stdout
    return rows


def assert_no_trace_of_the_bot(probe_hub: ProbeHub) -> None:
    """No account, no server (the hub says), no home, nothing in the local archive."""
    with probe_hub.hub.api() as api:
        assert api.get(f"users/{BOT}").status_code == 404
        running = api.get("users", params={"state": "active"}).json()
        assert BOT not in [user["name"] for user in running]
    assert not (probe_hub.hub.data_dir / "homes" / BOT).exists()
    left = sorted(p.relative_to(probe_hub.archive) for p in probe_hub.archive.rglob("*"))
    assert left in ([], [Path(".drafts")]), left


# -- the healthy hub ------------------------------------------------------------------------

EVERY_CHECK = {
    ("spawn", "hub"),
    ("data", "local-tap"),
    ("data", "local-sia"),
    ("data", "local-scs"),
    ("software", "curated"),
    ("basket", "basket"),
    ("publish", "local"),
    ("dask", "dask-gateway"),
    ("cleanup", "hub"),
}


@pytest.mark.hub
@pytest.mark.dachs
def test_the_service_round_passes_every_check_and_exports_it(
    service_round: dict[Key, float],
) -> None:
    checked = {
        (dict(labels)["check"], dict(labels)["service"])
        for name, labels in service_round
        if name == "esap_probe_check_success"
    }
    assert checked == EVERY_CHECK
    for check, service in EVERY_CHECK:
        assert service_round[key("esap_probe_check_success", check=check, service=service)] == 1
        assert (
            service_round[
                key("esap_probe_check_failures_consecutive", check=check, service=service)
            ]
            == 0
        )
        assert key("esap_probe_check_duration_seconds", check=check, service=service) in (
            service_round
        )
    assert service_round[key("esap_probe_round_timestamp_seconds")] > 0


@pytest.mark.hub
@pytest.mark.dachs
def test_the_service_metrics_need_a_token_that_may_read_metrics(
    healthy: ProbeHub, service_round: dict[Key, float]
) -> None:
    assert scrape(healthy.metrics_url, None).status_code == 401
    assert scrape(healthy.metrics_url, "not-a-token", "Bearer").status_code == 403
    # the bot's own kind of token (a user's, without read:metrics) is refused too
    assert scrape(healthy.metrics_url, healthy.hub.token_for("someone")).status_code == 403
    hub_token = scrape(healthy.metrics_url, healthy.scrape_tokens["read:metrics"])
    assert hub_token.status_code == 200
    assert samples(hub_token.text, prefix="esap_probe_") == service_round


@pytest.mark.hub
@pytest.mark.dachs
def test_the_service_round_leaves_nothing_behind(
    healthy: ProbeHub, service_round: dict[Key, float]
) -> None:
    assert_no_trace_of_the_bot(healthy)


@pytest.mark.hub
@pytest.mark.dachs
def test_probe_once_reports_every_check_and_exits_0(
    healthy: ProbeHub, service_round: dict[Key, float]
) -> None:
    done = probe_once(healthy)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = report_rows(done.stdout)
    assert set(rows) == EVERY_CHECK
    assert {result for result, _ in rows.values()} == {"ok"}
    assert "rows" in rows[("data", "local-tap")][1]
    assert done.stdout.splitlines()[-1].startswith(f"{len(EVERY_CHECK)} checks passed in ")
    assert_no_trace_of_the_bot(healthy)


# -- the hub with broken services -------------------------------------------------------------


@pytest.mark.hub
@pytest.mark.dachs
def test_probe_once_names_the_failing_services_and_the_rest_pass(broken: ProbeHub) -> None:
    done = probe_once(broken)
    assert done.returncode == 1, done.stdout + done.stderr
    rows = report_rows(done.stdout)
    assert rows[("data", "down")][0] == "FAIL"
    assert "connect" in rows[("data", "down")][1]
    assert rows[("data", "hanging")] == (
        "FAIL",
        "no answer within 10 s (probe.timeouts.data in esap.yaml)",
    )
    passed = {row for row, (result, _) in rows.items() if result == "ok"}
    assert passed == {
        ("spawn", "hub"),
        ("data", "local-tap"),
        ("software", "curated"),
        ("basket", "basket"),
        ("publish", "local"),
        ("cleanup", "hub"),
    }
    summary = done.stdout.splitlines()[-1]
    assert summary.startswith("2 of 8 checks failed (data down, data hanging) in ")
    assert_no_trace_of_the_bot(broken)


@pytest.mark.hub
@pytest.mark.dachs
def test_the_tutorials_run_in_the_bot_lab_and_their_record_is_removed(
    broken: ProbeHub, tmp_path: Path
) -> None:
    """probe.notebooks: every shipped tutorial runs headless; 04 publishes, 03 needs Dask."""
    config = yaml.safe_load(broken.hub.config_path.read_text())
    config["probe"].update(checks=[], notebooks=True, timeouts={"notebooks": 300})
    (tmp_path / "esap.yaml").write_text(yaml.safe_dump(config))
    done = probe_once(broken, tmp_path / "esap.yaml")
    rows = report_rows(done.stdout)
    notebooks = sorted(service for check, service in rows if check == "notebooks")
    assert [Path(name).name for name in notebooks] == sorted(
        path.name for path in (REPO / "notebooks").glob("*.ipynb")
    )
    assert rows[("notebooks", "esap-tutorials/04-publish.ipynb")][0] == "ok"
    dask = rows[("notebooks", "esap-tutorials/03-scale-out-on-dask.ipynb")]
    assert dask[0] == "FAIL"
    assert "Dask Gateway" in dask[1]
    assert done.returncode == 1
    assert rows[("cleanup", "hub")][0] == "ok"
    assert_no_trace_of_the_bot(broken)


# -- without a hub: the plan, the metrics, the report, the registration, the command --------


def test_failures_in_a_row_count_up_per_check_and_reset_when_it_passes() -> None:
    metrics = ProbeMetrics()
    assert samples(metrics.exposition().decode()) == {}  # nothing before the first round
    for outcome in (False, False, False, True):
        done = Round(started=100.0, finished=130.0)
        done.results = [
            CheckResult("spawn", "hub", True, 4.0, "lab ready"),
            CheckResult("data", "gavo", outcome, 1.5, "rows" if outcome else "bad_response"),
        ]
        metrics.record(done)
        found = samples(metrics.exposition().decode())
        if not outcome:
            assert found[key("esap_probe_check_success", check="data", service="gavo")] == 0
    failures = "esap_probe_check_failures_consecutive"
    assert found[key(failures, check="data", service="gavo")] == 0
    assert found[key(failures, check="spawn", service="hub")] == 0
    assert found[key("esap_probe_round_timestamp_seconds")] == 130.0
    assert {name for name, _ in found} == set(FAMILIES)
    metrics.record(done)
    third = Round(
        started=200.0, finished=210.0, results=[CheckResult("data", "gavo", False, 1, "x")]
    )
    for _ in range(3):
        metrics.record(third)
    found = samples(metrics.exposition().decode())
    assert found[key(failures, check="data", service="gavo")] == 3
    # a check that is gone from the round is gone from the metrics
    assert key(failures, check="spawn", service="hub") not in found


def test_the_report_aligns_its_columns_and_keeps_each_message_on_one_line() -> None:
    done = Round(started=0.0, finished=12.5)
    done.results = [
        CheckResult("spawn", "hub", True, 9.25, "lab ready at /user/bot/"),
        CheckResult("data", "a-long-service-name", False, 120.0, "timed out\n  twice"),
    ]
    text = render(done)
    lines = text.splitlines()
    column = lines[0].index("result")
    assert lines[1][column:].startswith("ok")
    assert lines[2][column:].startswith("FAIL")
    assert lines[2].endswith("timed out twice")
    assert lines[1].index("9.25") + 4 == lines[2].index("120.00") + 6  # seconds right-aligned
    assert lines[-1] == "1 of 2 checks failed (data a-long-service-name) in 12.5 s"


def test_the_plan_runs_only_what_the_hub_has() -> None:
    config = loads(
        textwrap.dedent(
            """\
            hub: {port: 8123, data_dir: /srv/hub}
            archives: [{name: zenodo, type: zenodo, url: https://zenodo.org/api}]
            probe: {user: bot, checks: [data, publish, dask], timeouts: {data: 5}}
            """
        )
    )
    plan = Plan.from_config(config, "http://127.0.0.1:8123/")
    # no local archive, no Dask: nothing to publish to, no gateway to start a cluster on
    assert plan.checks == ("data",)
    assert plan.gateway_url is None
    assert plan.api_url == "http://127.0.0.1:8123/hub/api"
    assert plan.homes == "/srv/hub/homes"
    assert plan.timeout("data") == 5
    assert Plan.from_json(plan.to_json()) == plan
    with_all = loads(
        "archives: [{name: bags, type: local, path: /srv/bags}]\ndask: {enabled: true}\n"
    )
    plan = Plan.from_config(with_all, "http://hub")
    assert plan.checks == ("data", "software", "basket", "publish", "dask")
    assert (plan.archive, plan.archive_path) == ("bags", "/srv/bags")
    assert plan.gateway_url == "http://hub/services/dask-gateway"
    assert plan.user == BOT


def test_the_bot_cannot_be_named_as_the_service() -> None:
    with pytest.raises(ConfigError) as refused:
        loads("probe: {user: esap-probe}")
    assert "probe.user" in str(refused.value)
    assert "own name" in str(refused.value)


def test_the_service_may_manage_only_the_bot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROBE_TOKEN", "a-probe-token")
    c = Config()
    configure_services(c, loads("probe: {enabled: true, user: robot, token: env:PROBE_TOKEN}"))
    service = next(s for s in c.JupyterHub.services if s["name"] == SERVICE_NAME)
    assert service["api_token"] == "a-probe-token"
    assert json.loads(service["environment"][PLAN_ENV])["user"] == "robot"
    role = next(r for r in c.JupyterHub.load_roles if r["name"] == SERVICE_NAME)
    assert role["scopes"] == service_scopes("robot")
    assert all(scope.endswith("!user=robot") for scope in role["scopes"])
    # the token alone (no schedule): a service the hub knows, that runs nothing
    c = Config()
    configure_services(c, loads("probe: {token: env:PROBE_TOKEN}"))
    service = next(s for s in c.JupyterHub.services if s["name"] == SERVICE_NAME)
    assert "command" not in service
    c = Config()
    configure_services(c, loads(""))
    assert SERVICE_NAME not in [s["name"] for s in c.JupyterHub.services]


def test_the_dashboard_shows_the_probe_with_the_families_it_exports() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    used = {
        name
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
        for name in re.findall(r"esap_probe_\w+", target["expr"])
    }
    assert used
    assert used <= set(FAMILIES)
    assert "esap_probe_check_success" in used


def cli(tmp_path: Path, config: str, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "esap.yaml").write_text(config)
    env = {k: v for k, v in esap_env().items() if k != "JUPYTERHUB_API_TOKEN"}
    return subprocess.run(
        [sys.executable, "-m", "esap", "probe", *args, "--config", str(tmp_path / "esap.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def test_the_command_says_what_it_needs(tmp_path: Path) -> None:
    done = cli(tmp_path, "probe: {}\n")
    assert done.returncode == 2
    assert "give --once" in done.stderr
    done = cli(tmp_path, "probe: {}\n", "--once")
    assert done.returncode == 2
    assert "probe.token" in done.stderr
    assert "JUPYTERHUB_API_TOKEN" in done.stderr
    done = cli(tmp_path, "hub: {mode: kubernetes}\n", "--once")
    assert done.returncode == 2
    assert "--hub-url" in done.stderr
    done = cli(tmp_path, "probe: {interval: 1}\n", "--once")
    assert done.returncode == 2
    assert "probe.interval" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_hub_that_does_not_answer_fails_the_spawn_and_the_cleanup(tmp_path: Path) -> None:
    """Nothing at --hub-url (it wins over the config's local address): both steps say where."""
    port = free_port()
    (tmp_path / "token").write_text("t")
    done = cli(
        tmp_path,
        f"probe: {{token: 'file:{tmp_path / 'token'}'}}\n",
        "--once",
        "--hub-url",
        f"http://127.0.0.1:{port}",
    )
    assert done.returncode == 1, done.stderr
    rows = report_rows(done.stdout)
    assert set(rows) == {("spawn", "hub"), ("cleanup", "hub")}
    for result, message in rows.values():
        assert result == "FAIL"
        assert f"http://127.0.0.1:{port}/hub/api/users/{BOT}" in message
        assert "ConnectError" in message
