"""The ``profiles:`` list as KubeSpawner reads it, checked with KubeSpawner itself.

No cluster is reachable here: KubeSpawner is built exactly as the hub builds
it (from the traitlets config ``configure_spawner`` writes) with a kubeconfig
that points nowhere; rendering the form and applying a profile never call the
Kubernetes API.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from kubernetes_asyncio.config import kube_config
from kubespawner import KubeSpawner
from tornado import web
from traitlets.config import Config

from esap.config import loads
from esap.hub.local_spawner import EsapLocalSpawner
from esap.hub.spawner import configure_spawner
from esap.hub.state import HubState
from harness.aio import run

PROFILES = """
hub: {mode: MODE}
profiles:
  - {name: small, display_name: Small, description: "1 core, 4 GB", cpu: 1, memory: 4G,
     default: true}
  - {name: large, description: "4 cores, 16 GiB", cpu: 4, memory: 16Gi,
     image: "registry.example.org/esap/singleuser:large"}
  - {name: gpu, description: "<b>one</b> GPU", image: "registry.example.org/esap/gpu:1",
     cpu: 8, memory: 32G, gpu: 1, groups: [gpu-users]}
"""


@pytest.fixture
def kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A kubeconfig naming an API server that is never contacted."""
    path = tmp_path / "kubeconfig"
    cluster = {"name": "none", "cluster": {"server": "https://127.0.0.1:9"}}
    context = {"name": "none", "context": {"cluster": "none", "user": "none"}}
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [cluster],
                "contexts": [context],
                "users": [{"name": "none", "user": {"token": "unused"}}],
                "current-context": "none",
            }
        )
    )
    # read once at import by kubernetes_asyncio, so set where it is kept
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(path))


def hub_traitlets(mode: str, tmp_path: Path) -> Config:
    config = loads(PROFILES.replace("MODE", mode))
    c = Config()
    configure_spawner(c, config, HubState(tmp_path))
    return c


def user(*groups: str) -> Any:
    return SimpleNamespace(
        name="alice",
        id=1,
        url="/user/alice/",
        server=None,
        groups=[SimpleNamespace(name=group) for group in groups],
    )


def radios(form: str) -> list[str]:
    return re.findall(r'type="radio"\s+name="profile"\s+id="[^"]+"\s+value="([^"]+)"', form)


def kubespawner(c: Config, *groups: str) -> KubeSpawner:
    """KubeSpawner as the hub makes it (inside an event loop, which its client needs)."""
    assert c.JupyterHub.spawner_class == "kubespawner.KubeSpawner"
    return KubeSpawner(config=c, _mock=True, user=user(*groups))


async def options_form(c: Config, *groups: str) -> str:
    return str(await kubespawner(c, *groups).get_options_form())


async def loaded(c: Config, options: dict[str, str], *groups: str) -> KubeSpawner:
    spawner = kubespawner(c, *groups)
    spawner.user_options = options
    await spawner.load_user_options()
    return spawner


@pytest.mark.usefixtures("kubeconfig")
def test_profile_list_is_filtered_by_group_and_rendered_by_kubespawner(tmp_path: Path) -> None:
    c = hub_traitlets("kubernetes", tmp_path)
    plain = run(options_form(c, "esap-users"))
    assert radios(plain) == ["small", "large"]
    member = run(options_form(c, "gpu-users"))
    assert radios(member) == ["small", "large", "gpu"]


@pytest.mark.usefixtures("kubeconfig")
def test_chosen_profile_sets_kubespawner_traits(tmp_path: Path) -> None:
    c = hub_traitlets("kubernetes", tmp_path)
    spawner = run(loaded(c, {"profile": "gpu"}, "gpu-users"))
    assert spawner.image == "registry.example.org/esap/gpu:1"
    assert spawner.cpu_limit == 8
    assert spawner.cpu_guarantee == 8
    assert spawner.mem_limit == 32 * 10**9
    assert spawner.mem_guarantee == 32 * 10**9
    assert spawner.extra_resource_limits == {"nvidia.com/gpu": "1"}
    assert spawner.environment["ESAP_PROFILE"] == "gpu"
    assert "ESAP_PUBLIC_CONFIG" in spawner.environment

    default = run(loaded(c, {}, "esap-users"))
    assert default.mem_limit == 4 * 10**9
    assert default.environment["ESAP_PROFILE"] == "small"

    large = run(loaded(c, {"profile": "large"}))
    assert large.mem_limit == 16 * 2**30
    assert large.image == "registry.example.org/esap/singleuser:large"


@pytest.mark.usefixtures("kubeconfig")
def test_a_profile_outside_the_users_groups_is_refused(tmp_path: Path) -> None:
    c = hub_traitlets("kubernetes", tmp_path)
    with pytest.raises(ValueError, match="No such profile: gpu"):
        run(loaded(c, {"profile": "gpu"}, "esap-users"))


@pytest.mark.usefixtures("kubeconfig")
def test_no_open_profile_is_a_403_that_explains(tmp_path: Path) -> None:
    config = loads(
        "hub: {mode: kubernetes}\nprofiles:\n  - {name: gpu, gpu: 1, groups: [gpu-users]}\n"
    )
    c = Config()
    configure_spawner(c, config, HubState(tmp_path))
    with pytest.raises(web.HTTPError) as refused:
        run(options_form(c, "visitors"))
    assert refused.value.status_code == 403
    assert "(visitors)" in str(refused.value.log_message)
    assert "gpu-users" in str(refused.value.log_message)


def test_local_mode_renders_the_same_form_and_records_limits(tmp_path: Path) -> None:
    c = hub_traitlets("local", tmp_path)
    assert c.JupyterHub.spawner_class is EsapLocalSpawner
    spawner = EsapLocalSpawner(config=c, user=user("gpu-users"))
    form = run(spawner.get_options_form())
    assert radios(form) == ["small", "large", "gpu"]
    assert "&lt;b&gt;one&lt;/b&gt; GPU" in form  # descriptions are text, not HTML
    spawner.user_options = spawner.options_from_form({"profile": ["large"]})
    chosen = spawner.chosen_profile()
    assert chosen is not None
    assert chosen["slug"] == "large"
    assert chosen["kubespawner_override"]["mem_limit"] == 16 * 2**30

    outsider = EsapLocalSpawner(config=c, user=user())
    outsider.user_options = {"profile": "gpu"}
    with pytest.raises(ValueError, match="not open to alice"):
        outsider.chosen_profile()
