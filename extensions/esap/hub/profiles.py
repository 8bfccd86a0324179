"""Server profiles: the ``profiles:`` list of ``esap.yaml`` as KubeSpawner's ``profile_list``.

One translation serves both modes. On Kubernetes the list, filtered by the
user's groups, is KubeSpawner's ``profile_list`` (KubeSpawner renders the
choice and applies the ``kubespawner_override`` of the chosen one). Locally
:class:`esap.hub.local_spawner.EsapLocalSpawner` renders the same list with
KubeSpawner's own form template, so the form a user sees is the same, and
records the limits without enforcing them. jupyterhub-fancy-profiles was
considered: it renders the same ``profile_list`` but needs KubeSpawner as the
spawner and a JavaScript build, so it cannot serve local mode.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from tornado import web

from esap.config import EsapConfig
from esap.config.models import Profile
from esap.config.sizes import memory_bytes

#: The variable that tells a user server which profile it runs.
PROFILE_ENV = "ESAP_PROFILE"

#: Extended resource name of NVIDIA GPUs (the device plugin's).
GPU_RESOURCE = "nvidia.com/gpu"


def visible_profiles(profiles: Iterable[Profile], groups: Iterable[str]) -> list[Profile]:
    """The profiles a member of ``groups`` may choose (a profile without groups is for all)."""
    mine = set(groups)
    return [profile for profile in profiles if not profile.groups or mine & set(profile.groups)]


def kubespawner_profile(profile: Profile) -> dict[str, Any]:
    """One ``profile_list`` entry as KubeSpawner documents it (slug, overrides, default)."""
    override: dict[str, Any] = {"environment": {PROFILE_ENV: profile.name}}
    if profile.image:
        override["image"] = profile.image
    if profile.cpu is not None:
        override["cpu_limit"] = profile.cpu
        override["cpu_guarantee"] = profile.cpu
    if profile.memory is not None:
        override["mem_limit"] = memory_bytes(profile.memory)
        override["mem_guarantee"] = memory_bytes(profile.memory)
    if profile.gpu:
        override["extra_resource_limits"] = {GPU_RESOURCE: str(profile.gpu)}
        override["extra_resource_guarantees"] = {GPU_RESOURCE: str(profile.gpu)}
    return {
        "slug": profile.name,
        "display_name": profile.display_name or profile.name,
        "description": profile.description,
        "default": profile.default,
        "kubespawner_override": override,
    }


def user_groups(spawner: Any) -> list[str]:
    """The JupyterHub groups of the spawner's user (from the provider's claim, if OIDC)."""
    user = getattr(spawner, "user", None)
    return [group.name for group in getattr(user, "groups", None) or []]


def no_profile_error(config: EsapConfig, groups: list[str]) -> web.HTTPError:
    """403 with an explanation, for a user none of whose groups opens a profile."""
    needed = sorted({group for profile in config.profiles for group in profile.groups})
    yours = ", ".join(sorted(groups)) or "none"
    return web.HTTPError(
        403,
        f"None of the server profiles of {config.hub.title} is open to your groups "
        f"({yours}). Membership of one of these groups opens one: {', '.join(needed)}. "
        "Ask your group manager, then sign in again.",
    )


def profile_list_for(config: EsapConfig) -> Callable[[Any], list[dict[str, Any]]]:
    """A ``KubeSpawner.profile_list`` callable: the user's profiles, or a 403 when none."""

    def profile_list(spawner: Any) -> list[dict[str, Any]]:
        groups = user_groups(spawner)
        mine = visible_profiles(config.profiles, groups)
        if config.profiles and not mine:
            raise no_profile_error(config, groups)
        entries = [kubespawner_profile(profile) for profile in mine]
        if entries and not any(entry["default"] for entry in entries):
            entries[0]["default"] = True
        return entries

    return profile_list
