"""The project folders a user is a member of: which, with what access, where they are.

The hub decides membership at each spawn from the user's groups (``esap.yaml``
``projects:``, :func:`grants_for`, called by ``esap.hub.projects``) and hands
the user's server the result in ``$ESAP_PROJECTS``; the server never works
membership out itself, so a user who left a group loses the project at the
next spawn, and a user who joined gains it then. Every ESAP face that touches
a project (the shared basket, the contents manager of the file browser, the
REST API) asks this module: :func:`grant` for a project by name (a member's
or a 404), :func:`project_path` for a path inside one (``..`` and symlinks
out of the folder refused like the home's own rule in ``esap.core.paths``,
writes refused to read-only members).

What this enforces is what ESAP itself serves. Locally every user's server
runs as the hub's own Unix user, so the file system cannot tell users apart
and code in a notebook can reach any folder; on Kubernetes a project is a
volume mounted only into its members' pods, read-only for readers (see
``docs/how-to/collaborate.md``).
"""

from __future__ import annotations

import json
import os
import posixpath
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from esap.config.models import ProjectEntry
from esap.core.errors import Forbidden, NotFound
from esap.core.paths import UserPathError, check_text, is_inside

#: The variable the hub sets on each spawn: a JSON list of the user's grants.
PROJECTS_ENV = "ESAP_PROJECTS"
#: Where a member finds the projects in the home: ``~/projects/<name>``.
HOME_FOLDER = "projects"
#: Where a project keeps what ESAP writes in it (its shared basket).
STATE_FOLDER = ".esap"

Access = Literal["read", "write"]


class ProjectNotFound(NotFound):
    """No project of that name among the user's (it does not exist, or they are no member)."""

    code = "no_such_project"
    fix = (
        "pick one of your projects (GET projects, or ~/projects in the file browser); "
        "membership comes from your groups and changes at your next server start"
    )


class ProjectReadOnly(Forbidden):
    """A write to a project the user may only read."""

    code = "read_only_project"
    fix = "ask the project's admins to put you in one of its write groups, then restart your server"


@dataclass(frozen=True)
class ProjectGrant:
    """One project the user is a member of, as the hub granted it at spawn."""

    name: str
    title: str
    description: str
    access: Access
    #: The real folder (locally below the hub's data directory; on Kubernetes the mount).
    root: str
    #: Where the member sees it: ``~/projects/<name>``.
    path: str
    read_groups: tuple[str, ...]
    write_groups: tuple[str, ...]
    size: str | None

    @property
    def writable(self) -> bool:
        return self.access == "write"

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["read_groups"] = list(self.read_groups)
        data["write_groups"] = list(self.write_groups)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ProjectGrant:
        access = data.get("access")
        return cls(
            name=str(data["name"]),
            title=str(data.get("title") or data["name"]),
            description=str(data.get("description") or ""),
            access="write" if access == "write" else "read",
            root=str(data["root"]),
            path=str(data.get("path") or f"~/{HOME_FOLDER}/{data['name']}"),
            read_groups=tuple(str(g) for g in _strings(data.get("read_groups"))),
            write_groups=tuple(str(g) for g in _strings(data.get("write_groups"))),
            size=None if data.get("size") is None else str(data.get("size")),
        )


def _strings(value: object) -> Sequence[object]:
    return value if isinstance(value, list | tuple) else ()


def access_for(project: ProjectEntry, groups: Iterable[str]) -> Access | None:
    """What a user in ``groups`` may do in ``project``: write wins over read; ``None``: nothing."""
    mine = set(groups)
    if mine & set(project.write_groups):
        return "write"
    if mine & set(project.read_groups):
        return "read"
    return None


def grants_for(
    projects: Iterable[ProjectEntry], groups: Iterable[str], root: Callable[[str], str]
) -> list[ProjectGrant]:
    """The grants of a user in ``groups``; ``root(name)``: where a folder is for their server."""
    mine = list(groups)
    found = []
    for project in projects:
        access = access_for(project, mine)
        if access is None:
            continue
        found.append(
            ProjectGrant(
                name=project.name,
                title=project.title or project.name,
                description=project.description,
                access=access,
                root=root(project.name),
                path=f"~/{HOME_FOLDER}/{project.name}",
                read_groups=tuple(project.read_groups),
                write_groups=tuple(project.write_groups),
                size=project.size,
            )
        )
    return found


def encode(grants: Iterable[ProjectGrant]) -> str:
    """``grants`` as the value of ``$ESAP_PROJECTS``."""
    return json.dumps([grant.as_dict() for grant in grants], separators=(",", ":"))


def granted(environ: Mapping[str, str] | None = None) -> list[ProjectGrant]:
    """The user's projects, from ``$ESAP_PROJECTS`` (none outside a hub that declares any).

    A value that is not the hub's JSON counts as no project: the server
    then grants nothing rather than guess.
    """
    text = (environ if environ is not None else os.environ).get(PROJECTS_ENV, "")
    if not text.strip():
        return []
    try:
        data = json.loads(text)
        return [ProjectGrant.from_dict(item) for item in data if isinstance(item, dict)]
    except (ValueError, KeyError, TypeError):
        return []


def grant(name: object, environ: Mapping[str, str] | None = None) -> ProjectGrant:
    """The user's project ``name``, or :class:`ProjectNotFound` (the same for "none such" and
    "not yours": a project's existence is not told to non-members)."""
    for found in granted(environ):
        if found.name == name:
            return found
    shown = str(name)[:80]
    raise ProjectNotFound(f"no project {shown!r} among yours", field="project")


def require_write(found: ProjectGrant) -> ProjectGrant:
    """``found`` if the user may write it, else :class:`ProjectReadOnly`."""
    if not found.writable:
        groups = ", ".join(found.write_groups) or "none"
        raise ProjectReadOnly(
            f"you may only read project {found.name!r} (its write groups: {groups})"
        )
    return found


def real_root(found: ProjectGrant) -> Path:
    """The project's folder with symlinks resolved (what every path is checked against)."""
    return Path(found.root).resolve()


def project_path(found: ProjectGrant, raw: object, *, field: str, write: bool = False) -> Path:
    """The resolved path ``raw`` (relative to the project folder) names, checked.

    Refused: an absolute path, one that leaves the folder (``..``, or a
    symlink that leads out of it, followed before the check), and any write
    by a reader.
    """
    text = check_text(raw, field)
    if text.startswith("/") or text.startswith("~"):
        raise UserPathError(
            field, f"{text[:80]!r} is absolute", "give a path relative to the project folder"
        )
    if write:
        require_write(found)
    root = real_root(found)
    try:
        real = (root / posixpath.normpath(text)).resolve()
    except (OSError, RuntimeError) as exc:
        raise UserPathError(
            field, f"{text[:80]!r} cannot be resolved ({exc})", "check the path"
        ) from None
    if not is_inside(real, root):
        raise UserPathError(
            field,
            f"{text[:80]!r} leads outside project {found.name!r}",
            "give a path inside the project folder (links out of it are not followed)",
        )
    return real


def split_home_path(api_path: str) -> tuple[str, str] | None:
    """``projects/<name>/rest`` (a path relative to the home) -> ``(name, rest)``, else ``None``.

    ``..`` is resolved first, as the contents API does, so ``projects/a/../b``
    is project ``b``.
    """
    normal = posixpath.normpath(api_path.strip("/")) if api_path.strip("/") else ""
    parts = normal.split("/")
    if len(parts) < 2 or parts[0] != HOME_FOLDER:
        return None
    return parts[1], "/".join(parts[2:])


__all__ = [
    "HOME_FOLDER",
    "PROJECTS_ENV",
    "STATE_FOLDER",
    "Access",
    "ProjectGrant",
    "ProjectNotFound",
    "ProjectReadOnly",
    "access_for",
    "encode",
    "grant",
    "granted",
    "grants_for",
    "project_path",
    "real_root",
    "require_write",
    "split_home_path",
]
