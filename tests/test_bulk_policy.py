"""The gateway's settings and limits as ESAP derives them from esap.yaml (no server needed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from traitlets.config import Config

from esap.config import ConfigError, loads
from esap.hub.gateway import (
    configure_gateway,
    gateway_settings,
    memory_bytes,
    policy_settings,
    render_config,
)
from esap.hub.gateway_policy import effective_limits
from esap.hub.state import HubState

YAML = """
hub: {port: 8000}
profiles:
  - {name: big, cpu: 2.5, memory: 8Gi, groups: [physics]}
dask:
  enabled: true
  worker_memory: 3G
  limits: {max_clusters: 1, max_cores: 4}
  group_limits:
    physics: {max_clusters: 3, max_memory: 64Gi}
    astro: {max_clusters: 5}
"""


def test_memory_sizes_read_as_kubernetes_does() -> None:
    assert memory_bytes("4G") == 4 * 10**9
    assert memory_bytes("512Mi") == 512 * 2**20
    assert memory_bytes("1.5Gi") == int(1.5 * 2**30)
    with pytest.raises(ValueError, match="4GB"):
        memory_bytes("4GB")


def test_the_most_generous_group_wins_and_unset_falls_back() -> None:
    policy = policy_settings(loads(YAML))
    limits = effective_limits(policy, {"physics", "astro"})
    assert limits["max_clusters"].value == 5
    assert limits["max_clusters"].key == "dask.group_limits.astro.max_clusters"
    assert limits["max_memory"].value == 64 * 2**30
    # neither group sets cores: everyone's limit applies, and says where it comes from
    assert limits["max_cores"].value == 4
    assert limits["max_cores"].key == "dask.limits.max_cores"
    assert effective_limits(policy, set())["max_clusters"].value == 1


def test_profiles_become_whole_cores_in_bytes() -> None:
    policy = policy_settings(loads(YAML))
    assert policy["profiles"]["big"] == {"cores": 3, "memory": 8 * 2**30, "groups": ["physics"]}
    assert policy["worker_memory"] == 3 * 10**9


def test_rendered_config_sets_the_gateway_application(tmp_path: Path) -> None:
    config = loads(YAML)
    text = render_config(gateway_settings(config, HubState(tmp_path)))
    assert "c.Gateway." not in text
    namespace = {"c": Config()}
    exec(compile(text, "dask_gateway_config.py", "exec"), namespace)  # noqa: S102 - our own file
    c = namespace["c"]
    assert c.DaskGateway.backend_class == "esap.hub.gateway_policy.LimitedLocalBackend"
    assert c.DaskGateway.authenticator_class.endswith("JupyterHubAuthenticator")
    assert c.ClusterConfig.worker_cmd[-1] == "worker"
    assert c.ClusterConfig.idle_timeout == 3600
    assert callable(c.Backend.cluster_options)


def test_gateway_ports_may_not_clash_with_the_hub(tmp_path: Path) -> None:
    config = loads("hub: {port: 8010}\ndask: {enabled: true}\n")
    with pytest.raises(ConfigError) as clash:
        configure_gateway(Config(), config, HubState(tmp_path))
    assert "dask.proxy_port" in str(clash.value)
    assert "hub.port" in str(clash.value)
