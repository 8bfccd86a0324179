"""Project folders at spawn: each member finds ``~/projects/<name>``, with the config's access.

At every spawn the hub reads the user's groups (from the identity provider's
claim, refreshed before the spawn, or the hub's admin page), works out the
user's projects (:func:`esap.core.projects.grants_for`) and tells the server
in ``$ESAP_PROJECTS``; a user who left a group loses the project then.

- Local mode: each project is a folder below the hub's data directory
  (``<data_dir>/projects/<name>``), linked into the member's home as
  ``~/projects/<name>``; a link to a project the user no longer belongs to is
  removed. Every server runs as the hub's Unix user
  (``SimpleLocalProcessSpawner``), so the file system cannot keep users
  apart: ESAP enforces what it serves itself (its REST API, the shared
  basket, the file browser through :mod:`esap.server.project_contents`),
  not what a notebook's code does.
- Kubernetes: each project is a volume (the chart's PersistentVolumeClaim
  ``esap-project-<name>``, ReadWriteMany) mounted at
  ``/home/jovyan/projects/<name>`` into members' pods only, read-only for
  readers: the kernel enforces it, for notebooks too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from esap.config import EsapConfig
from esap.config.crosschecks import project_group_warnings
from esap.core.projects import HOME_FOLDER, PROJECTS_ENV, ProjectGrant, encode, grants_for
from esap.hub.spawner import add_server_args
from esap.hub.state import HubState

LOG = logging.getLogger("esap.hub")

#: The contents manager that keeps readers from writing through the file browser.
CONTENTS_MANAGER = "esap.server.project_contents.ProjectContentsManager"
#: Where z2jh mounts a user's home (``singleuser.storage.homeMountPath``).
KUBE_HOME = "/home/jovyan"
#: The chart's claim of a project's volume.
CLAIM_PREFIX = "esap-project-"


def projects_root(state: HubState) -> Path:
    """Where the local hub keeps the project folders."""
    return state.root / "projects"


def claim_name(project: str) -> str:
    """The PersistentVolumeClaim the chart makes for ``project``."""
    return f"{CLAIM_PREFIX}{project}"


def user_groups(spawner: Any) -> list[str]:
    """The names of the groups the spawning user is in, as the hub knows them now."""
    return sorted(group.name for group in spawner.user.groups)


def link_projects(home: Path, grants: Sequence[ProjectGrant], root: Path) -> None:
    """Make ``home/projects/<name>`` a link to each granted folder; drop links to the others.

    Only links that lead into ``root`` (the hub's project folders) are
    removed: whatever else the user keeps in ``~/projects`` is theirs. A file
    of the user's own where a link belongs is left, with a warning.
    """
    folder = home / HOME_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {grant.name: Path(grant.root) for grant in grants}
    real_root = root.resolve()
    for entry in folder.iterdir():
        if not entry.is_symlink():
            continue
        target = entry.readlink()
        target = target if target.is_absolute() else entry.parent / target
        ours = real_root in target.resolve().parents
        if ours and wanted.get(entry.name) != target:
            entry.unlink()
    for name, target in wanted.items():
        link = folder / name
        if link.is_symlink():
            continue
        if link.exists():
            LOG.warning(
                "%s is the user's own; project %s stays reachable through ESAP only", link, name
            )
            continue
        link.symlink_to(target, target_is_directory=True)


class ProjectSpawnHook:
    """The spawner's ``pre_spawn_hook`` (both modes) and ``modify_pod_hook`` (Kubernetes)."""

    def __init__(self, config: EsapConfig, state: HubState) -> None:
        self.projects = list(config.projects)
        self.mode = config.hub.mode
        self.root = projects_root(state)

    def grants(self, spawner: Any) -> list[ProjectGrant]:
        """The spawning user's projects, with the folder their server sees."""
        if self.mode == "kubernetes":
            return grants_for(
                self.projects,
                user_groups(spawner),
                lambda name: f"{KUBE_HOME}/{HOME_FOLDER}/{name}",
            )
        return grants_for(self.projects, user_groups(spawner), lambda name: str(self.root / name))

    def pre_spawn(self, spawner: Any) -> None:
        """Tell the server its projects; locally, link them into the home."""
        grants = self.grants(spawner)
        spawner.environment = {**spawner.environment, PROJECTS_ENV: encode(grants)}
        if self.mode == "local":
            home = Path(spawner.home_dir)
            home.mkdir(parents=True, exist_ok=True)
            link_projects(home, grants, self.root)
        LOG.info(
            "%s: projects %s",
            spawner.user.name,
            ", ".join(f"{g.name} ({g.access})" for g in grants) or "none",
        )

    def modify_pod(self, spawner: Any, pod: Any) -> Any:
        """Mount each project's volume into the pod, read-only for readers."""
        from kubernetes_asyncio.client import (  # KubeSpawner's own client models
            V1PersistentVolumeClaimVolumeSource,
            V1Volume,
            V1VolumeMount,
        )

        container = pod.spec.containers[0]
        volumes = list(pod.spec.volumes or [])
        mounts = list(container.volume_mounts or [])
        for grant in self.grants(spawner):
            read_only = not grant.writable
            volume = f"esap-project-{grant.name}"
            volumes.append(
                V1Volume(
                    name=volume,
                    persistent_volume_claim=V1PersistentVolumeClaimVolumeSource(
                        claim_name=claim_name(grant.name), read_only=read_only
                    ),
                )
            )
            mounts.append(V1VolumeMount(name=volume, mount_path=grant.root, read_only=read_only))
        pod.spec.volumes = volumes
        container.volume_mounts = mounts
        return pod


def configure_projects(c: Any, config: EsapConfig, state: HubState) -> None:
    """Project folders, when ``projects:`` lists any."""
    if not config.projects:
        return
    for warning in project_group_warnings(config):
        LOG.warning("esap.yaml: %s", warning)
    hook = ProjectSpawnHook(config, state)
    if config.hub.mode == "local":
        for project in config.projects:
            (projects_root(state) / project.name).mkdir(parents=True, exist_ok=True)
    else:
        c.KubeSpawner.modify_pod_hook = hook.modify_pod
    c.Spawner.pre_spawn_hook = hook.pre_spawn
    add_server_args(c, f"--ServerApp.contents_manager_class={CONTENTS_MANAGER}")


__all__ = [
    "CLAIM_PREFIX",
    "CONTENTS_MANAGER",
    "KUBE_HOME",
    "ProjectSpawnHook",
    "claim_name",
    "configure_projects",
    "link_projects",
    "projects_root",
    "user_groups",
]
