"""The rules of projects and sharing, without a running hub (test_collaboration.py runs one).

Who is a member with what access, which paths a project lets through, how
the hub links projects into homes, when a share ends, who may do what in a
shared lab, what the hub configures for both modes, and what the Helm chart
renders for project volumes (no Kubernetes cluster here: the hook is called
on KubeSpawner's own pod model and the result checked against the
Kubernetes API schema).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import helm_python as helm
import kubernetes_validate
import pytest
import yaml
from jupyterhub.services.auth import HubAuth
from traitlets.config import Config

from esap.config import loads
from esap.core.paths import UserPathError
from esap.core.projects import (
    PROJECTS_ENV,
    ProjectGrant,
    ProjectReadOnly,
    access_for,
    encode,
    granted,
    grants_for,
    project_path,
    split_home_path,
)
from esap.hub import configure
from esap.hub.projects import link_projects
from esap.hub.sharing import AUTHORIZER, RTC_OFF, SERVER_SCOPES, USER_SCOPES
from esap.server.lab_access import access_of, shared_full
from esap.sharing.expiry import ExpiryStore, Record, Share, due, ends_at
from esap.sharing.scopes import FULL_SCOPE, READ_SCOPE, share_scopes
from harness import aio

REPO = Path(__file__).resolve().parents[1]
CHART = REPO / "helm" / "esap-hub"
KUBE_VERSION = "1.30.0"

PROJECTS = textwrap.dedent(
    """\
    projects:
      - {name: lofar, title: LOFAR surveys, write_groups: [lofar-team],
         read_groups: [lofar-friends, lofar-team], size: 500G}
      - {name: cta, read_groups: [cta]}
    """
)


def grant(tmp_path: Path, access: str = "write") -> ProjectGrant:
    root = tmp_path / "projects" / "lofar"
    root.mkdir(parents=True, exist_ok=True)
    return ProjectGrant(
        name="lofar",
        title="LOFAR",
        description="",
        access="write" if access == "write" else "read",
        root=str(root),
        path="~/projects/lofar",
        read_groups=("lofar-friends",),
        write_groups=("lofar-team",),
        size=None,
    )


# ------------------------------------------------------------------ membership and paths


def test_access_follows_the_groups_write_winning() -> None:
    config = loads(PROJECTS)
    lofar = config.projects[0]
    assert access_for(lofar, ["lofar-team"]) == "write"
    assert access_for(lofar, ["lofar-friends", "cta"]) == "read"
    assert access_for(lofar, ["cta"]) is None
    grants = grants_for(config.projects, ["lofar-friends", "cta"], lambda n: f"/p/{n}")
    assert [(g.name, g.access, g.root) for g in grants] == [
        ("lofar", "read", "/p/lofar"),
        ("cta", "read", "/p/cta"),
    ]
    # what the hub hands the server, and what the server reads back
    assert granted({PROJECTS_ENV: encode(grants)}) == grants
    assert granted({PROJECTS_ENV: "not json"}) == []
    assert granted({}) == []


def test_a_project_lets_no_path_out_and_no_reader_write(tmp_path: Path) -> None:
    found = grant(tmp_path)
    root = Path(found.root)
    (root / "data").mkdir()
    assert project_path(found, "data/x.fits", field="path", write=True) == root / "data/x.fits"
    (tmp_path / "secret").write_text("not the project's")
    (root / "out").symlink_to(tmp_path / "secret")
    for raw in ("../secret", "data/../../secret", "out", "/etc/passwd", "~/x", ""):
        with pytest.raises(UserPathError):
            project_path(found, raw, field="path")
    with pytest.raises(ProjectReadOnly, match="lofar-team"):
        project_path(grant(tmp_path, "read"), "data/x.fits", field="path", write=True)
    assert split_home_path("projects/lofar/a/b.txt") == ("lofar", "a/b.txt")
    assert split_home_path("projects/other/../lofar") == ("lofar", "")
    assert split_home_path("notebooks/x.ipynb") is None


def test_the_hub_links_projects_into_a_home_and_drops_the_ones_left(tmp_path: Path) -> None:
    root = tmp_path / "data" / "projects"
    home = tmp_path / "home"
    for name in ("lofar", "cta"):
        (root / name).mkdir(parents=True)
    config = loads(PROJECTS)
    mine = grants_for(config.projects, ["lofar-team", "cta"], lambda n: str(root / n))
    link_projects(home, mine, root)
    assert {p.name: p.resolve() for p in (home / "projects").iterdir()} == {
        "lofar": root / "lofar",
        "cta": root / "cta",
    }
    # the user's own things in ~/projects stay, a link elsewhere too
    (home / "projects" / "notes").mkdir()
    (home / "projects" / "scratch").symlink_to(tmp_path)
    left = grants_for(config.projects, ["cta"], lambda n: str(root / n))
    link_projects(home, left, root)
    assert sorted(p.name for p in (home / "projects").iterdir()) == ["cta", "notes", "scratch"]
    assert (root / "lofar").is_dir()  # the project's folder itself is never touched


def test_project_groups_are_warned_not_refused(tmp_path: Path) -> None:
    path = tmp_path / "esap.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            auth:
              type: oidc
              oidc:
                preset: indigo-iam-wlcg
                issuer: https://iam.example.org/
                client_id: esap-hub
                client_secret: env:OIDC_CLIENT_SECRET
                allowed_groups: [/escape]
            projects:
              - {name: lofar, write_groups: [/escape], read_groups: [escape/lofar, /escape/cta]}
            """
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "esap", "config", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if ": warning: " in line]
    assert len(warnings) == 2, result.stderr
    assert "projects[0].read_groups[0]: 'escape/lofar'" in warnings[0]
    assert "write /escape/lofar" in warnings[0]
    assert "projects[0].read_groups[1]: '/escape/cta'" in warnings[1]
    assert "named nowhere else" in warnings[1]


# ------------------------------------------------------------------ when a share ends


def test_a_share_ends_at_its_record_its_link_or_the_admins_longest() -> None:
    records = [
        Record("alice", "", "user", "bob", "read", 100.0, 500.0),
        Record("alice", "", "code", "sc_1", "read", 1000.0, 2000.0),
    ]
    direct = Share("alice", "", "user", "bob", 90.0)
    from_link = Share("alice", "", "user", "carol", 1500.0)
    by_api = Share("alice", "", "group", "team", 3000.0)
    other_server = Share("alice", "gpu", "user", "carol", 1500.0)
    assert ends_at(direct, records, 3600) == 500.0
    assert ends_at(from_link, records, 3600) == 2000.0
    assert ends_at(by_api, records, 3600) == 6600.0
    assert ends_at(other_server, records, 3600) == 5100.0
    shares = [direct, from_link, by_api, other_server]
    assert due(shares, records, now=1999.0, max_seconds=3600) == [direct]
    assert due(shares, records, now=6600.0, max_seconds=3600) == shares


def test_the_expiry_store_forgets_records_of_gone_shares(tmp_path: Path) -> None:
    store = ExpiryStore(tmp_path / "sharing.db")
    store.put(Record("alice", "", "user", "bob", "read", 10.0, 100.0))
    store.put(Record("alice", "", "group", "team", "full", 10.0, 100.0))
    store.put(Record("alice", "", "code", "sc_1", "read", 10.0, 20.0))
    store.put(Record("alice", "", "user", "dave", "read", 50.0, 100.0))  # newer than the list
    assert [r.name for r in store.given_to("bob", [])] == ["bob"]
    assert [r.name for r in store.given_to("carol", ["team"])] == ["team"]
    store.prune("alice", {("", "user", "bob")}, listed_at=40.0)
    assert sorted(r.name for r in store.of_owner("alice")) == ["bob", "dave", "sc_1"]
    store.prune("alice", {("", "user", "bob")}, listed_at=100_000.0)
    assert sorted(r.name for r in store.of_owner("alice")) == ["bob"]
    store.close()


# ------------------------------------------------------------------ who may do what in a lab


def test_in_a_shared_lab_only_the_full_scope_writes() -> None:
    auth = HubAuth(api_token="unused", api_url="http://127.0.0.1:9/hub/api")

    def visitor(*scopes: str, **model: Any) -> dict[str, Any]:
        return {"kind": "user", "name": "bob", "admin": False, "scopes": list(scopes), **model}

    read = share_scopes("alice", "", "read")
    full = share_scopes("alice", "", "full")
    assert read == ["access:servers!server=alice/", f"{READ_SCOPE}!server=alice/"]
    assert full[1] == f"{FULL_SCOPE}!server=alice/"

    def access(model: dict[str, Any]) -> str:
        return access_of(model, "alice", "", auth.check_scopes)

    assert access(visitor(*read)) == "read"
    assert access(visitor("access:servers!server=alice/")) == "read"  # JupyterHub's own share
    assert access(visitor(*full)) == "full"
    assert access(visitor(*share_scopes("alice", "gpu", "full"))) == "read"  # another server
    assert access(visitor(name="alice")) == "full"  # the owner
    assert access(visitor(admin=True)) == "full"
    assert access({"kind": "service", "name": "esap-metrics", "scopes": []}) == "full"
    # a browser's login holds only the access scope: the owner's shares say the rest
    shares = [
        {"user": {"name": "bob"}, "group": None, "scopes": full},
        {"user": None, "group": {"name": "team"}, "scopes": read},
    ]
    assert shared_full(shares, visitor(name="bob"))
    assert not shared_full(shares, visitor(name="carol", groups=["team"]))
    assert shared_full(
        [{"user": None, "group": {"name": "team"}, "scopes": full}],
        visitor(name="carol", groups=["team"]),
    )


# ------------------------------------------------------------------ what the hub configures


def hub_config_text(data_dir: Path, mode: str = "local", extra: str = "") -> str:
    return (
        f"hub: {{mode: {mode}, data_dir: {data_dir}}}\n"
        + PROJECTS
        + "sharing: {enabled: true, max_hours: 24, check_every: 5}\n"
        + extra
    )


def test_the_local_hub_is_set_up_for_projects_and_sharing(tmp_path: Path) -> None:
    c = Config()
    configure(c, loads(hub_config_text(tmp_path / "data")))
    assert (tmp_path / "data" / "projects" / "lofar").is_dir()
    assert (tmp_path / "data" / "projects" / "cta").is_dir()
    assert set(c.JupyterHub.custom_scopes) >= {READ_SCOPE, FULL_SCOPE}
    assert set(USER_SCOPES) <= c.JupyterHub.extra_user_scopes
    assert set(SERVER_SCOPES) <= set(c.Spawner.server_token_scopes)
    # the server role's own scopes are kept
    assert "access:servers!server" in c.Spawner.server_token_scopes
    assert f"{READ_SCOPE}!server" in c.Spawner.oauth_client_allowed_scopes
    args = c.Spawner.args
    assert f"--ServerApp.authorizer_class={AUTHORIZER}" in args
    assert any(a.startswith("--ServerApp.contents_manager_class=") for a in args)
    assert "--HubOAuth.cache_max_age=10" in args
    services = {s["name"]: s for s in c.JupyterHub.services}
    settings = json.loads(services["esap-sharing"]["environment"]["ESAP_SHARING_SETTINGS"])
    assert settings == {
        "store": str(tmp_path / "data" / "sharing.db"),
        "max_seconds": 86400.0,
        "check_every": 5,
    }
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert roles["esap-sharing"]["scopes"] == ["list:users", "read:shares", "shares"]
    env = c.Spawner.environment
    assert env["ESAP_SHARING_URL"] == "http://127.0.0.1:8000/services/esap-sharing/"
    assert env["ESAP_SHARING_MAX_SECONDS"] == "86400"
    # the spawn hook: what a member's server is told, where their home finds the project
    home = tmp_path / "homes" / "carol"
    spawner = SimpleNamespace(
        user=SimpleNamespace(name="carol", groups=[SimpleNamespace(name="lofar-friends")]),
        environment={"KEPT": "1"},
        home_dir=str(home),
    )
    c.Spawner.pre_spawn_hook(spawner)
    told = granted(spawner.environment)
    assert spawner.environment["KEPT"] == "1"
    assert [(g.name, g.access) for g in told] == [("lofar", "read")]
    assert (home / "projects" / "lofar").resolve() == (tmp_path / "data" / "projects" / "lofar")


def test_realtime_collaboration_is_the_admins_choice(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from esap.hub import sharing

    monkeypatch.setattr(sharing, "collaboration_installed", lambda: True)
    c = Config()
    configure(c, loads(hub_config_text(tmp_path / "a")))
    assert RTC_OFF in c.Spawner.args  # installed, not asked for: kept off
    monkeypatch.setattr(sharing, "collaboration_installed", lambda: False)
    c = Config()
    with caplog.at_level(logging.WARNING, logger="esap.hub"):
        configure(
            c,
            loads(
                hub_config_text(tmp_path / "b").replace(
                    "check_every: 5", "check_every: 5, realtime: true"
                )
            ),
        )
    assert RTC_OFF not in c.Spawner.args
    assert "pip install jupyter-collaboration" in caplog.text


def _pod() -> Any:
    from kubernetes_asyncio.client import V1Container, V1Pod, V1PodSpec, V1Volume, V1VolumeMount

    home = V1VolumeMount(name="volume-carol", mount_path="/home/jovyan")
    return V1Pod(
        api_version="v1",
        kind="Pod",
        metadata={"name": "jupyter-carol"},
        spec=V1PodSpec(
            containers=[
                V1Container(name="notebook", image="esap/singleuser:1", volume_mounts=[home])
            ],
            volumes=[V1Volume(name="volume-carol", empty_dir={})],
        ),
    )


async def serialized(pod: Any) -> dict[str, Any]:
    """The pod as KubeSpawner sends it to the API server (its client's own serialisation)."""
    from kubernetes_asyncio.client import ApiClient

    async with ApiClient() as client:
        manifest: dict[str, Any] = client.sanitize_for_serialization(pod)
    return manifest


def test_kubernetes_mounts_each_members_projects_read_only_for_readers(tmp_path: Path) -> None:
    c = Config()
    configure(c, loads(hub_config_text(tmp_path / "srv", mode="kubernetes")))
    assert c.KubeSpawner.environment["ESAP_SHARING_URL"] == (
        "http://proxy-public/services/esap-sharing/"
    )
    assert {s["name"]: s.get("url") for s in c.JupyterHub.services}["esap-sharing"] == (
        "http://hub:8092"
    )

    def spawn(name: str, *groups: str) -> dict[str, Any]:
        spawner = SimpleNamespace(
            user=SimpleNamespace(name=name, groups=[SimpleNamespace(name=g) for g in groups]),
            environment={},
        )
        c.Spawner.pre_spawn_hook(spawner)
        pod = c.KubeSpawner.modify_pod_hook(spawner, _pod())
        manifest: dict[str, Any] = aio.run(serialized(pod))  # a thread of its own
        kubernetes_validate.validate(manifest, KUBE_VERSION, strict=True)
        told = [(g.name, g.access, g.root) for g in granted(spawner.environment)]
        return {"manifest": manifest, "told": told}

    carol = spawn("carol", "lofar-friends", "cta")
    assert carol["told"] == [
        ("lofar", "read", "/home/jovyan/projects/lofar"),
        ("cta", "read", "/home/jovyan/projects/cta"),
    ]
    mounts = carol["manifest"]["spec"]["containers"][0]["volumeMounts"]
    assert mounts[1:] == [
        {
            "name": "esap-project-lofar",
            "mountPath": "/home/jovyan/projects/lofar",
            "readOnly": True,
        },
        {"name": "esap-project-cta", "mountPath": "/home/jovyan/projects/cta", "readOnly": True},
    ]
    volumes = carol["manifest"]["spec"]["volumes"]
    assert volumes[1]["persistentVolumeClaim"] == {
        "claimName": "esap-project-lofar",
        "readOnly": True,
    }
    alice = spawn("alice", "lofar-team")
    [mount] = alice["manifest"]["spec"]["containers"][0]["volumeMounts"][1:]
    assert (mount["name"], mount["readOnly"]) == ("esap-project-lofar", False)
    dave = spawn("dave")
    assert dave["told"] == []
    assert len(dave["manifest"]["spec"]["volumes"]) == 1


def test_the_chart_makes_one_volume_per_project(tmp_path: Path) -> None:
    path = tmp_path / "esap.yaml"
    path.write_text(hub_config_text(Path("state")))
    result = subprocess.run(
        [sys.executable, "-m", "esap", "helm", "values", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ},
    )
    assert result.returncode == 0, result.stderr
    values = yaml.safe_load(result.stdout)
    values["esap"]["projects"] = {
        "storageClass": "cephfs",
        "accessMode": "ReadWriteMany",
        "size": "50Gi",
    }
    chart = helm.Chart.load(CHART)
    chart.validate_schema(values)
    rendered = chart.render(values, name="esap", namespace="science", is_install=True)
    claims = [
        doc
        for name, text in rendered.items()
        if name.endswith(".yaml")
        for doc in yaml.safe_load_all(text)
        if isinstance(doc, dict) and doc["kind"] == "PersistentVolumeClaim"
    ]
    for claim in claims:
        kubernetes_validate.validate(claim, KUBE_VERSION, strict=True)
    sizes = {c["metadata"]["name"]: c["spec"]["resources"]["requests"]["storage"] for c in claims}
    assert sizes == {"esap-project-lofar": "500G", "esap-project-cta": "50Gi"}
    assert {c["spec"]["storageClassName"] for c in claims} == {"cephfs"}
    assert {c["metadata"]["annotations"]["helm.sh/resource-policy"] for c in claims} == {"keep"}
    # the proxy reaches the esap-sharing service in the hub pod
    hub = values["jupyterhub"]["hub"]
    assert {"name": "esap-sharing", "port": 8092, "targetPort": 8092} in hub["service"][
        "extraPorts"
    ]
    broken = {**values, "esap": {**values["esap"], "projects": {"size": "lots"}}}
    with pytest.raises(helm.HelmValuesError, match="size"):
        chart.validate_schema(broken)
