"""The file browser's view of ``~/projects``: readers cannot write, no one leaves a project.

jupyter-server's contents manager serves the file browser and the editors
(``/api/contents``). This one is jupyter-server's own (``AsyncLargeFileManager``)
with ESAP's project rule in front of it, for a path below
``~/projects/<name>`` of one of the user's projects (``$ESAP_PROJECTS``):

- a member who may only read gets a 403 for every change (save, new file or
  folder, rename, delete, copy into it, checkpoints), naming the project's
  write groups;
- a path that resolves outside the project (``..``, or a symlink someone
  put in the project that leads out of it) is refused, reading included;
- the project's own link (``~/projects/<name>``) cannot be renamed or
  deleted: the hub makes it at each spawn.

Locally this is what keeps a reader from writing through the lab, not the
file system (every server runs as one Unix user; see
``docs/how-to/collaborate.md``). On Kubernetes the mount is read-only as
well, and this gives the reader a clear message instead of an I/O error.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from tornado import web

from esap.core.paths import UserPathError
from esap.core.projects import HOME_FOLDER, ProjectGrant, granted, project_path


class ProjectContentsManager(AsyncLargeFileManager):
    """jupyter-server's large-file contents manager, with the project rule (see module)."""

    def _project(self, path: str) -> tuple[ProjectGrant, str] | None:
        """The user's project ``path`` lies in, and the rest of it; ``None`` outside projects."""
        # absolute, symlinks kept: ~/projects/<name> is itself a link (locally)
        raw = self._get_os_path(path.strip("/"))  # type: ignore[no-untyped-call]
        os_path = Path(os.path.abspath(raw))  # noqa: PTH100
        try:
            inside = os_path.relative_to(Path("~").expanduser() / HOME_FOLDER)
        except ValueError:
            return None
        if not inside.parts:
            return None
        mine = {found.name: found for found in granted()}
        found = mine.get(inside.parts[0])
        if found is None:
            return None
        return found, "/".join(inside.parts[1:])

    def _check(self, path: str, *, write: bool, folder_too: bool = False) -> None:
        """Refuse ``path`` (a 403 that says why) when the project rule says no."""
        located = self._project(path)
        if located is None:
            return
        found, rest = located
        where = f"~/{HOME_FOLDER}/{found.name}"
        if write and not found.writable:
            groups = ", ".join(found.write_groups) or "none"
            raise web.HTTPError(
                403,
                f"project {found.name!r} is read-only for you (its write groups: {groups}); "
                "ask its admins to add you to one, or copy the file into your home to change it",
            )
        if write and not rest and folder_too:
            raise web.HTTPError(
                403,
                f"{where} is project {found.name!r}'s folder, which the hub links into your home "
                "at each start; change what is inside it instead",
            )
        if rest:
            try:
                project_path(found, rest, field="path", write=write)
            except UserPathError as exc:
                raise web.HTTPError(403, f"{exc.message}: {exc.fix}") from None

    async def get(
        self,
        path: str,
        content: bool = True,
        type: str | None = None,
        format: str | None = None,
        require_hash: bool = False,
    ) -> Any:
        self._check(path, write=False)
        return await super().get(  # type: ignore[no-untyped-call]
            path, content=content, type=type, format=format, require_hash=require_hash
        )

    async def save(self, model: dict[str, Any], path: str = "") -> Any:
        self._check(path, write=True, folder_too=True)
        return await super().save(model, path)  # type: ignore[no-untyped-call]

    async def delete_file(self, path: str) -> None:
        self._check(path, write=True, folder_too=True)
        await super().delete_file(path)  # type: ignore[no-untyped-call]

    async def rename_file(self, old_path: str, new_path: str) -> None:
        self._check(old_path, write=True, folder_too=True)
        self._check(new_path, write=True, folder_too=True)
        await super().rename_file(old_path, new_path)  # type: ignore[no-untyped-call]

    async def copy(self, from_path: str, to_path: str | None = None) -> Any:
        self._check(from_path, write=False)
        target = to_path if to_path is not None else from_path.strip("/").rpartition("/")[0]
        self._check(target, write=True)
        return await super().copy(from_path, to_path)  # type: ignore[no-untyped-call]

    async def create_checkpoint(self, path: str) -> Any:
        self._check(path, write=True)
        return await super().create_checkpoint(path)  # type: ignore[no-untyped-call]

    async def restore_checkpoint(self, checkpoint_id: str, path: str) -> None:
        self._check(path, write=True)
        await super().restore_checkpoint(checkpoint_id, path)  # type: ignore[no-untyped-call]

    async def delete_checkpoint(self, checkpoint_id: str, path: str) -> None:
        self._check(path, write=True)
        await super().delete_checkpoint(checkpoint_id, path)  # type: ignore[no-untyped-call]


__all__ = ["ProjectContentsManager"]
