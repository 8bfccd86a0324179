"""``community-vault``: a community's file vault, one folder per project, no server.

Records are folders on a disk the community keeps (a shared volume mounted
in every user's server), under the entry's ``path``::

    <path>/<project>/drafts/<id>/draft.json    marker, metadata, each file's size and MD5
    <path>/<project>/drafts/<id>/files/...     the files as they arrive
    <path>/<project>/records/<id>/record.json  a published record, never changed again
    <path>/<project>/records/<id>/files/...

Publishing is one ``rename`` of the draft's folder into ``records/``, so a
record is either there whole or not at all. Ids are random; a draft is
found again by the marker it carries, the way a remote archive is searched.
A project may cap the files of a record (``max_files``): the vault refuses
the file past the cap, and the publication stops there, resumable once the
admin raises the cap.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

from esap.config.options import AdapterOptions
from esap.publish.base import (
    Archive,
    ArchiveError,
    ArchiveSettings,
    Draft,
    DraftStatus,
    FileSource,
    Record,
    RemoteFile,
)
from esap.publish.metadata import Metadata
from pydantic import Field


class VaultOptions(AdapterOptions):
    """What the admin writes under ``options:`` for a ``community-vault`` archive."""

    project: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="The project's folder under the archive's path (letters, digits, . _ -).",
    )
    max_files: int = Field(
        default=100,
        ge=1,
        description="Files per record at most, the RO-Crate and environment lock included.",
    )


def _read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _write(path: Path, data: dict[str, Any]) -> None:
    """Write JSON atomically: a reader sees the old file or the new one, never half."""
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    temp.replace(path)


class CommunityVault(Archive):
    """Publish into a project's folder of the community vault."""

    Options: ClassVar[type[AdapterOptions]] = VaultOptions
    options: VaultOptions
    needs_token: ClassVar[bool] = False

    def __init__(self, settings: ArchiveSettings, token: str | None = None) -> None:
        super().__init__(settings, token)
        if not settings.path:
            raise ArchiveError(
                f"the vault {settings.name} has no path",
                fix=f"give archives[{settings.name}] a path: the folder the vault keeps",
            )
        self.root = Path(settings.path).expanduser() / self.options.project

    # -- layout ------------------------------------------------------------
    def _draft_dir(self, draft_id: str) -> Path:
        return self.root / "drafts" / draft_id

    def _record_dir(self, record_id: str) -> Path:
        return self.root / "records" / record_id

    def _state(self, draft: Draft) -> dict[str, Any]:
        try:
            return _read(self._draft_dir(draft.id) / "draft.json")
        except FileNotFoundError:
            raise ArchiveError(f"no draft {draft.id} in {self.root}") from None

    def _save(self, draft: Draft, state: dict[str, Any]) -> None:
        _write(self._draft_dir(draft.id) / "draft.json", state)

    def _file(self, draft: Draft, name: str) -> Path:
        """Where a draft keeps the file ``name`` (a relative path inside the draft, or refused)."""
        parts = PurePosixPath(name).parts
        if not parts or name.startswith("/") or ".." in parts:
            raise ArchiveError(f"{name!r}: not a file name the vault can keep")
        return self._draft_dir(draft.id) / "files" / Path(*parts)

    def _record(self, record_id: str) -> Record:
        info = _read(self._record_dir(record_id) / "record.json")
        return Record(
            id=record_id, url=self._record_dir(record_id).as_uri(), concept_id=info["concept"]
        )

    def _new_draft(
        self, metadata: Metadata, marker: str, concept: str | None, version_of: str | None
    ) -> Draft:
        draft_id = secrets.token_hex(6)
        folder = self._draft_dir(draft_id)
        try:
            (folder / "files").mkdir(parents=True)
        except OSError as exc:
            raise ArchiveError(
                f"cannot write to the vault folder {self.root}: {exc.strerror}",
                fix="ask the hub admin to make the vault's path writable for user servers",
            ) from None
        state = {
            "marker": marker,
            "metadata": metadata.to_dict(),
            "files": {},
            "concept": concept or draft_id,
            "version_of": version_of,
        }
        _write(folder / "draft.json", state)
        return Draft(id=draft_id, links={"path": str(folder)})

    # -- the steps -----------------------------------------------------------
    def create_draft(self, metadata: Metadata, marker: str) -> Draft:
        return self._new_draft(metadata, marker, concept=None, version_of=None)

    def find_draft(self, marker: str) -> Draft | None:
        for state_file in sorted(self.root.glob("drafts/*/draft.json")):
            if _read(state_file).get("marker") == marker:
                return Draft(id=state_file.parent.name, links={"path": str(state_file.parent)})
        return None

    def new_version(self, record_id: str, metadata: Metadata, marker: str) -> Draft:
        existing = self.find_draft(marker)
        if existing is not None:  # asked again: the same draft
            return existing
        previous = self._record_dir(record_id)
        if not (previous / "record.json").is_file():
            raise ArchiveError(
                f"no published record {record_id} in the vault project {self.options.project}",
                fix="give the id of a published record of this vault",
            )
        info = _read(previous / "record.json")
        draft = self._new_draft(metadata, marker, concept=info["concept"], version_of=record_id)
        state = self._state(draft)
        shutil.copytree(previous / "files", self._draft_dir(draft.id) / "files", dirs_exist_ok=True)
        state["files"] = info["files"]
        self._save(draft, state)
        return draft

    def status(self, draft: Draft) -> DraftStatus:
        if (self._record_dir(draft.id) / "record.json").is_file():
            return DraftStatus(published=True, files={}, record=self._record(draft.id))
        files = {}
        for name, info in self._state(draft)["files"].items():
            on_disk = self._file(draft, name)
            if on_disk.is_file() and on_disk.stat().st_size == info["size"]:
                files[name] = RemoteFile(name=name, size=info["size"], md5=info["md5"])
        return DraftStatus(published=False, files=files)

    def upload(self, draft: Draft, name: str, source: FileSource) -> RemoteFile:
        state = self._state(draft)
        limit = self.options.max_files
        if name not in state["files"] and len(state["files"]) >= limit:
            raise ArchiveError(
                f"the vault project {self.options.project} keeps at most {limit} files per "
                f"record (options.max_files); {name} would be file {len(state['files']) + 1}",
                fix="publish fewer files (a folder zipped into one), or ask the hub admin to "
                "raise archives[].options.max_files, then retry",
            )
        target = self._file(draft, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.part")
        digest = hashlib.md5(usedforsecurity=False)  # what the vault itself holds
        size = 0
        with partial.open("wb") as out:
            for chunk in source.chunks():
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        partial.replace(target)
        state["files"][name] = {"size": size, "md5": digest.hexdigest()}
        self._save(draft, state)
        return RemoteFile(name=name, size=size, md5=digest.hexdigest())

    def delete_file(self, draft: Draft, name: str) -> None:
        self._file(draft, name).unlink(missing_ok=True)
        state = self._state(draft)
        state["files"].pop(name, None)
        self._save(draft, state)

    def set_metadata(self, draft: Draft, metadata: Metadata) -> None:
        state = self._state(draft)
        state["metadata"] = metadata.to_dict()
        state.pop("marker", None)  # the final metadata carries no marker
        self._save(draft, state)

    def publish(self, draft: Draft) -> Record:
        if (self._record_dir(draft.id) / "record.json").is_file():
            return self._record(draft.id)
        folder = self._draft_dir(draft.id)
        state = self._state(draft)
        for leftover in (folder / "files").rglob(".*.part"):
            leftover.unlink()
        _write(folder / "record.json", {**state, "id": draft.id})
        record = self._record_dir(draft.id)
        record.parent.mkdir(parents=True, exist_ok=True)
        folder.rename(record)  # the one step that publishes
        (record / "draft.json").unlink()
        return self._record(draft.id)

    def draft_url(self, draft: Draft) -> str | None:
        return self._draft_dir(draft.id).as_uri()


__all__ = ["CommunityVault", "VaultOptions"]
