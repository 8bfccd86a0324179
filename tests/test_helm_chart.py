"""The Helm chart, checked without Kubernetes and without a chart repository.

- the chart's own templates are rendered by Helm itself (helm-python-sdk,
  Helm v4 as a library) with the values ``esap helm values`` writes, and
  every manifest is checked against the Kubernetes API schemas
  (kubernetes-validate);
- the values for the upstream charts (zero-to-jupyterhub, dask-gateway) are
  validated against those charts' own values schemas, kept beside the clone
  in ``../shared/upstream-schemas/``;
- the hub config the chart ships (``hub.extraConfig``) is run on the
  rendered ConfigMap, against a real OIDC provider;
- ``values.schema.json`` is the one generated from the config models.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import helm_python as helm
import jsonschema
import kubernetes_validate
import pytest
import yaml
from traitlets.config import Config

from esap.config import loads
from esap.helm.schema import SCHEMA_PATH, render_schema
from esap.hub.kubernetes import GATEWAY_TOKEN_ENV
from harness.oidc import OidcProvider

REPO = Path(__file__).resolve().parents[1]
CHART = REPO / "helm" / "esap-hub"
UPSTREAM = REPO.parent / "shared" / "upstream-schemas"
KUBE_VERSION = "1.30.0"

CONFIG = textwrap.dedent(
    """\
    hub:
      title: ESCAPE Science Platform
      data_dir: state
      cull_idle_after: 1800
      metrics: {enabled: true, token: env:METRICS_TOKEN}
      services:
        - name: monitor
          token: env:MONITOR_TOKEN
          scopes: [read:users]
    auth:
      type: oidc
      oidc:
        preset: indigo-iam
        issuer: ISSUER
        client_id: esap-hub
        client_secret: env:OIDC_CLIENT_SECRET
        auth_state_key: env:AUTH_STATE_KEY
        allowed_groups: [escape]
        admin_groups: [escape/admins]
        audiences: {rucio: https://rucio.example.org}
    profiles:
      - {name: standard, cpu: 1, memory: 4G, default: true}
      - {name: gpu, image: registry.example.org/esap/gpu:1, cpu: 8, memory: 32Gi, gpu: 1,
         groups: [escape/gpu]}
    data_services:
      - {name: astron-vo, type: tap, url: https://vo.astron.nl/__system__/tap/run/tap}
    archives:
      - {name: local, type: local, path: state/archive}
    dask:
      enabled: true
      worker_cores: 2
      worker_memory: 8G
      limits: {max_cores: 32, max_memory: 128G}
    """
)


def upstream_schema(name: str) -> dict[str, Any]:
    path = UPSTREAM / name
    if not path.exists():
        pytest.fail(
            f"{path} is missing: the upstream charts' values schemas are read from "
            "../shared/upstream-schemas/ beside the repository (see the README's Tests section)"
        )
    return dict(yaml.safe_load(path.read_text()))


def without_required(schema: Any) -> Any:
    """The schema minus ``required``: keys the upstream chart's own defaults supply."""
    if isinstance(schema, dict):
        return {k: without_required(v) for k, v in schema.items() if k != "required"}
    if isinstance(schema, list):
        return [without_required(item) for item in schema]
    return schema


def merged(base: Any, override: Any) -> Any:
    """Helm's coalescing of values: maps merge key by key, anything else is replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            out[key] = merged(base.get(key), value) if key in base else value
        return out
    return copy.deepcopy(override)


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory, oidc_provider: OidcProvider) -> Path:
    path = tmp_path_factory.mktemp("helm") / "esap.yaml"
    path.write_text(CONFIG.replace("ISSUER", oidc_provider.issuer))
    return path


@pytest.fixture(scope="module")
def values(config_file: Path) -> dict[str, Any]:
    """What `esap helm values esap.yaml` writes, as an admin runs it."""
    result = subprocess.run(
        [sys.executable, "-m", "esap", "helm", "values", str(config_file),
         "--hub-image", "registry.example.org/esap/hub:1.2.3",
         "--singleuser-image", "registry.example.org/esap/singleuser:1.2.3"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return dict(yaml.safe_load(result.stdout))


@pytest.fixture(scope="module")
def chart_defaults() -> dict[str, Any]:
    return dict(yaml.safe_load((CHART / "values.yaml").read_text()))


@pytest.fixture(scope="module")
def manifests(values: dict[str, Any]) -> dict[str, Any]:
    chart = helm.Chart.load(CHART)
    rendered = chart.render(values, name="esap", namespace="science", is_install=True)
    return {
        path: yaml.safe_load(text)
        for path, text in rendered.items()
        if path.endswith((".yaml", ".yml")) and text.strip()
    }


def test_committed_values_schema_is_the_generated_one() -> None:
    assert (REPO / SCHEMA_PATH).read_text() == render_schema(), (
        "helm/esap-hub/values.schema.json is stale: run "
        "`esap helm schema -o helm/esap-hub/values.schema.json`"
    )


def test_chart_declares_the_upstream_charts_by_repository() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    deps = {dep["name"]: dep for dep in chart["dependencies"]}
    assert deps["jupyterhub"]["repository"] == "https://hub.jupyter.org/helm-chart/"
    assert deps["dask-gateway"]["repository"] == "https://helm.dask.org/"
    assert deps["dask-gateway"]["condition"] == "dask-gateway.enabled"


def test_rendered_manifests_are_valid_kubernetes_objects(manifests: dict[str, Any]) -> None:
    kinds = sorted(manifest["kind"] for manifest in manifests.values())
    assert kinds == ["ConfigMap", "Secret"]
    for path, manifest in manifests.items():
        try:
            kubernetes_validate.validate(manifest, KUBE_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{path}: {exc.message}")


def test_configmap_holds_the_config_in_kubernetes_mode(
    manifests: dict[str, Any], values: dict[str, Any]
) -> None:
    configmap = next(m for m in manifests.values() if m["kind"] == "ConfigMap")
    assert configmap["metadata"]["name"] == values["esap"]["configMapName"]
    shipped = yaml.safe_load(configmap["data"]["esap.yaml"])
    assert shipped == values["esap"]["config"]
    config = loads(configmap["data"]["esap.yaml"])
    assert config.hub.mode == "kubernetes"
    assert str(config.hub.data_dir) == "/srv/jupyterhub/esap"
    assert str(config.archives[0].path) == "/srv/jupyterhub/esap/archive"
    assert "secret" not in configmap["data"]["esap.yaml"].replace("client_secret: env:", "")


def test_chart_schema_refuses_a_broken_config(values: dict[str, Any]) -> None:
    chart = helm.Chart.load(CHART)
    chart.validate_schema(values)
    broken = copy.deepcopy(values)
    broken["esap"]["config"]["profiles"][0]["memory"] = "lots"
    with pytest.raises(helm.HelmValuesError, match="memory"):
        chart.validate_schema(broken)


def test_values_fit_the_upstream_charts_schemas(
    values: dict[str, Any], chart_defaults: dict[str, Any]
) -> None:
    for key, schema_file in (
        ("jupyterhub", "z2jh-values.schema.yaml"),
        ("dask-gateway", "dask-gateway-values.schema.yaml"),
    ):
        schema = without_required(upstream_schema(schema_file))
        subchart_values = merged(chart_defaults[key], values[key])
        errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(subchart_values), key=str)
        assert not errors, f"{key}: " + "; ".join(
            f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in errors
        )


def test_upstream_schemas_catch_a_wrong_key(chart_defaults: dict[str, Any]) -> None:
    """The check above can fail: a misspelt z2jh key is refused by z2jh's schema."""
    schema = without_required(upstream_schema("z2jh-values.schema.yaml"))
    wrong = merged(chart_defaults["jupyterhub"], {"hub": {"extraConfigs": {}}})
    assert list(jsonschema.Draft7Validator(schema).iter_errors(wrong))


def test_shipped_hub_config_configures_kubespawner_oidc_and_the_gateway(
    manifests: dict[str, Any],
    chart_defaults: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Run the chart's hub.extraConfig as z2jh would, on the rendered ConfigMap."""
    configmap = next(m for m in manifests.values() if m["kind"] == "ConfigMap")
    shipped = yaml.safe_load(configmap["data"]["esap.yaml"])
    shipped["hub"]["data_dir"] = str(tmp_path / "srv")  # the hub's volume
    (tmp_path / "esap.yaml").write_text(yaml.safe_dump(shipped))
    hub = chart_defaults["jupyterhub"]["hub"]
    assert hub["extraEnv"]["ESAP_CONFIG"] == "/etc/esap/esap.yaml"
    monkeypatch.setenv("ESAP_CONFIG", str(tmp_path / "esap.yaml"))
    for name in ("OIDC_CLIENT_SECRET", "MONITOR_TOKEN", "METRICS_TOKEN", GATEWAY_TOKEN_ENV):
        monkeypatch.setenv(name, "not-a-real-" + name.lower())
    monkeypatch.setenv("AUTH_STATE_KEY", "ab" * 32)
    c = Config()
    exec(hub["extraConfig"]["esap"], {"c": c})  # noqa: S102 - the chart's own config code

    assert c.JupyterHub.spawner_class == "kubespawner.KubeSpawner"
    assert callable(c.KubeSpawner.profile_list)
    assert c.JupyterHub.authenticator_class.__name__ == "EsapOAuthenticator"
    assert c.EsapOAuthenticator.scope == ["openid", "profile", "email", "offline_access"]
    assert c.EsapOAuthenticator.admin_groups == {"escape/admins"}
    assert "hub_ip" not in c.JupyterHub  # z2jh's own settings are left alone
    services = {service["name"]: service for service in c.JupyterHub.services}
    assert services["dask-gateway"]["url"] == "http://traefik-esap-dask-gateway"
    assert set(services) == {"idle-culler", "monitor", "dask-gateway", "esap-metrics"}
    # the metrics service in the hub pod, reached by the proxy at the port the chart opens
    metrics = services["esap-metrics"]
    assert metrics["url"] == "http://hub:8090"
    assert metrics["environment"]["ESAP_METRICS_SERVERS_URL"] == "http://proxy-public"
    env = c.KubeSpawner.environment
    assert env["DASK_GATEWAY__ADDRESS"] == "http://proxy-public/services/dask-gateway"
    assert env["DASK_GATEWAY__AUTH__TYPE"] == "jupyterhub"
    # the gateway reads the user's groups (for ESAP's limits) with the user's own token
    assert "read:users:groups!user" in c.Spawner.server_token_scopes


def test_secrets_reach_the_hub_from_the_admins_secret(values: dict[str, Any]) -> None:
    env = values["jupyterhub"]["hub"]["extraEnv"]
    assert set(env) == {"MONITOR_TOKEN", "OIDC_CLIENT_SECRET", "AUTH_STATE_KEY", "METRICS_TOKEN"}
    assert values["jupyterhub"]["hub"]["service"]["extraPorts"] == [
        {"name": "esap-metrics", "port": 8090, "targetPort": 8090}
    ]
    assert values["jupyterhub"]["hub"]["networkPolicy"]["ingress"][0]["ports"] == [
        {"port": 8090, "protocol": "TCP"}
    ]
    assert env["OIDC_CLIENT_SECRET"]["valueFrom"]["secretKeyRef"] == {
        "name": values["esap"]["envSecretName"],
        "key": "OIDC_CLIENT_SECRET",
    }
    gateway = values["dask-gateway"]
    assert gateway["enabled"] is True
    assert gateway["gateway"]["backend"]["worker"]["memory"] == {"request": 8 * 10**9}
    # the gateway runs on the hub image, which installs esap for its extraConfig
    assert gateway["gateway"]["image"] == {"name": "registry.example.org/esap/hub", "tag": "1.2.3"}
    assert "LimitedKubeBackend" in gateway["gateway"]["extraConfig"]["esap-policy"]
    assert values["jupyterhub"]["singleuser"]["image"] == {
        "name": "registry.example.org/esap/singleuser",
        "tag": "1.2.3",
    }


# -- the probe: its service in the hub pod, its alert rules -----------------------------------

EXAMPLES = CHART / "examples"


@pytest.fixture(scope="module")
def example_values() -> dict[str, Any]:
    """The chart's example: `esap helm values examples/esap.yaml`, then examples/values.yaml."""
    result = subprocess.run(
        [sys.executable, "-m", "esap", "helm", "values", str(EXAMPLES / "esap.yaml")],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    site = yaml.safe_load((EXAMPLES / "values.yaml").read_text())
    return dict(merged(yaml.safe_load(result.stdout), site))


def rendered(values: dict[str, Any]) -> list[dict[str, Any]]:
    chart = helm.Chart.load(CHART)
    out = chart.render(values, name="esap", namespace="science", is_install=True)
    return [
        yaml.safe_load(text)
        for path, text in out.items()
        if path.endswith(".yaml") and text.strip()
    ]


def test_the_example_turns_the_probe_on_and_opens_its_port(
    example_values: dict[str, Any],
) -> None:
    helm.Chart.load(CHART).validate_schema(example_values)
    assert example_values["esap"]["config"]["probe"]["enabled"] is True
    hub = example_values["jupyterhub"]["hub"]
    assert hub["service"]["extraPorts"] == [
        {"name": "esap-metrics", "port": 8090, "targetPort": 8090},
        {"name": "esap-probe", "port": 8091, "targetPort": 8091},
    ]
    assert hub["networkPolicy"]["ingress"][0]["ports"] == [
        {"port": 8090, "protocol": "TCP"},
        {"port": 8091, "protocol": "TCP"},
    ]


def test_the_alert_rules_are_rendered_only_when_enabled(example_values: dict[str, Any]) -> None:
    from esap.probe.metrics import FAMILIES

    off = merged(example_values, {"esap": {"alerts": {"enabled": False}}})
    assert [m["kind"] for m in rendered(off)] == ["ConfigMap", "Secret"]
    rules = [m for m in rendered(example_values) if m["kind"] == "PrometheusRule"]
    assert len(rules) == 1
    rule = rules[0]
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["metadata"]["name"] == "esap-esap-probe"
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    alerts = {r["alert"]: r for group in rule["spec"]["groups"] for r in group["rules"]}
    assert set(alerts) == {"EsapProbeCheckFailing", "EsapProbeSpawnSlow", "EsapProbeNotRunning"}
    failing = alerts["EsapProbeCheckFailing"]
    assert failing["expr"] == "esap_probe_check_failures_consecutive >= 3"
    # Prometheus' own templates reach Prometheus untouched by Helm
    assert "{{ $labels.check }} of {{ $labels.service }}" in failing["annotations"]["summary"]
    slow = alerts["EsapProbeSpawnSlow"]
    assert slow["expr"] == 'esap_probe_check_duration_seconds{check="spawn"} > 180'
    assert slow["for"] == "10m"
    assert "1800" in alerts["EsapProbeNotRunning"]["expr"]
    for alert in alerts.values():
        assert alert["labels"] == {"severity": "warning"}
        assert set(re.findall(r"esap_probe_\w+", alert["expr"])) <= set(FAMILIES)


def test_the_chart_schema_refuses_a_wrong_alert_threshold(example_values: dict[str, Any]) -> None:
    broken = merged(example_values, {"esap": {"alerts": {"probe": {"failuresInARow": 0}}}})
    with pytest.raises(helm.HelmValuesError, match="failuresInARow"):
        helm.Chart.load(CHART).validate_schema(broken)


def test_the_hub_runs_the_probe_in_its_pod(
    example_values: dict[str, Any],
    chart_defaults: dict[str, Any],
    oidc_provider: OidcProvider,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The example's hub config, run as z2jh runs it: the esap-probe service and its role."""
    from esap.probe.service import PLAN_ENV, service_scopes

    configmap = next(m for m in rendered(example_values) if m["kind"] == "ConfigMap")
    shipped = yaml.safe_load(configmap["data"]["esap.yaml"])
    shipped["hub"]["data_dir"] = str(tmp_path / "srv")
    shipped["auth"]["oidc"]["issuer"] = oidc_provider.issuer
    (tmp_path / "esap.yaml").write_text(yaml.safe_dump(shipped))
    monkeypatch.setenv("ESAP_CONFIG", str(tmp_path / "esap.yaml"))
    for name in ("OIDC_CLIENT_SECRET", "ESAP_METRICS_TOKEN", GATEWAY_TOKEN_ENV):
        monkeypatch.setenv(name, "not-a-real-" + name.lower())
    monkeypatch.setenv("AUTH_STATE_KEY", "ab" * 32)
    c = Config()
    exec(chart_defaults["jupyterhub"]["hub"]["extraConfig"]["esap"], {"c": c})  # noqa: S102
    services = {service["name"]: service for service in c.JupyterHub.services}
    probe = services["esap-probe"]
    assert probe["url"] == "http://hub:8091"
    plan = json.loads(probe["environment"][PLAN_ENV])
    assert plan["hub_url"] == "http://proxy-public"
    assert plan["gateway_url"] == "http://proxy-public/services/dask-gateway"
    assert plan["homes"] is None  # KubeSpawner removes the bot's volume with its account
    assert plan["archive_path"] == "/srv/jupyterhub/esap/archives/local"
    assert plan["timeouts"]["spawn"] == 300
    roles = {role["name"]: role for role in c.JupyterHub.load_roles}
    assert roles["esap-probe"]["scopes"] == service_scopes("esap-probe-bot")
