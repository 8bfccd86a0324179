"""The ``local`` archive: BagIt bags with RO-Crate metadata in a folder the hub keeps.

The embedded default: it needs no account and no network, so every hub can
publish out of the box. A record is a BagIt bag (made and checked with the
Library of Congress ``bagit`` library) whose payload ``data/`` is an RO-Crate
root, as the RO-Crate specification describes for BagIt packaging.

Layout under the configured ``path``::

    .drafts/<id>/payload/...    a draft: files as they arrive, then the bag
    .drafts/<id>/draft.json     its metadata and the checksum of each file
    <id>/                       a published record (bag), never changed again

The record id is the publication's journal id, so it is stable: a retry, a
second process or a crash between any two steps all land on the same folder,
and publishing is one ``rename`` — either the record is there or it is not.
Records have no DOI; the identifier is ``esap-local:<id>``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

from esap.config.options import AdapterOptions
from esap.core.ids import opaque_id
from esap.publish.base import (
    CHUNK_SIZE,
    Archive,
    ArchiveError,
    ArchiveSettings,
    Draft,
    DraftStatus,
    FileSource,
    PublishedFile,
    PublishedRecord,
    Record,
    RemoteFile,
)
from esap.publish.metadata import Metadata

DEFAULT_PATH = Path("~/.esap/archive")


def _record_id(marker: str) -> str:
    return marker.rpartition(":")[2]


class LocalOptions(AdapterOptions):
    """A local archive takes no options: leave options out (path says where it writes)."""


class LocalArchive(Archive):
    """Publish into a local folder as BagIt bags with RO-Crate metadata."""

    Options: ClassVar[type[AdapterOptions]] = LocalOptions
    needs_token: ClassVar[bool] = False

    def __init__(self, settings: ArchiveSettings, token: str | None = None) -> None:
        super().__init__(settings, token)
        self.root = Path(settings.path or DEFAULT_PATH).expanduser()

    # -- layout -----------------------------------------------------------
    def _draft_dir(self, record_id: str) -> Path:
        return self.root / ".drafts" / record_id

    def _record_dir(self, record_id: str) -> Path:
        return self.root / record_id

    def _state(self, record_id: str) -> dict[str, Any]:
        path = self._draft_dir(record_id) / "draft.json"
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ArchiveError(f"draft {record_id} does not exist in {self.root}") from None
        return data

    def _save_state(self, record_id: str, state: dict[str, Any]) -> None:
        path = self._draft_dir(record_id) / "draft.json"
        temp = path.with_suffix(".tmp")
        temp.write_text(json.dumps(state), encoding="utf-8")
        temp.replace(path)

    def _draft(self, record_id: str) -> Draft:
        return Draft(id=record_id, links={"path": str(self._draft_dir(record_id))})

    def _record(self, record_id: str) -> Record:
        path = self._record_dir(record_id)
        info = _bag_info(path)
        return Record(
            id=record_id,
            url=path.as_uri(),
            doi=None,
            concept_id=info.get("ESAP-Concept-Id", record_id),
        )

    # -- the steps ----------------------------------------------------------
    def create_draft(self, metadata: Metadata, marker: str) -> Draft:
        return self._start(_record_id(marker), metadata, concept_id=None, version_of=None)

    def _start(
        self, record_id: str, metadata: Metadata, concept_id: str | None, version_of: str | None
    ) -> Draft:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            folder = self._draft_dir(record_id)
            (folder / "payload").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ArchiveError(
                f"cannot write to the archive folder {self.root}: {exc.strerror}",
                fix="ask the hub admin to make archives[].path writable for user servers",
            ) from None
        if not (folder / "draft.json").exists():
            self._save_state(
                record_id,
                {
                    "metadata": metadata.to_dict(),
                    "files": {},
                    "concept_id": concept_id or record_id,
                    "version_of": version_of,
                },
            )
        return self._draft(record_id)

    def find_draft(self, marker: str) -> Draft | None:
        record_id = _record_id(marker)
        if (self._draft_dir(record_id) / "draft.json").exists():
            return self._draft(record_id)
        if self._record_dir(record_id).exists():
            return self._draft(record_id)
        return None

    def new_version(self, record_id: str, metadata: Metadata, marker: str) -> Draft:
        previous = self._record_dir(record_id)
        if not (previous / "bagit.txt").exists():
            raise ArchiveError(
                f"no published record {record_id} in {self.root}",
                fix="give the id of a published record of this archive",
            )
        concept = _bag_info(previous).get("ESAP-Concept-Id", record_id)
        return self._start(_record_id(marker), metadata, concept_id=concept, version_of=record_id)

    def status(self, draft: Draft) -> DraftStatus:
        if (self._record_dir(draft.id) / "bagit.txt").exists():
            return DraftStatus(published=True, files={}, record=self._record(draft.id))
        state = self._state(draft.id)
        payload = self._draft_dir(draft.id) / "payload"
        files = {}
        for name, info in state["files"].items():
            on_disk = payload / name
            if on_disk.is_file() and on_disk.stat().st_size == info["size"]:
                files[name] = RemoteFile(name=name, size=info["size"], md5=info["md5"])
        return DraftStatus(published=False, files=files)

    def upload(self, draft: Draft, name: str, source: FileSource) -> RemoteFile:
        target = self._draft_dir(draft.id) / "payload" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.part")
        with partial.open("wb") as out:
            for chunk in source.chunks():
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        partial.replace(target)
        state = self._state(draft.id)
        state["files"][name] = {"size": source.sent, "md5": source.md5}
        self._save_state(draft.id, state)
        return RemoteFile(name=name, size=source.sent, md5=source.md5)

    def delete_file(self, draft: Draft, name: str) -> None:
        (self._draft_dir(draft.id) / "payload" / name).unlink(missing_ok=True)
        state = self._state(draft.id)
        state["files"].pop(name, None)
        self._save_state(draft.id, state)

    def set_metadata(self, draft: Draft, metadata: Metadata) -> None:
        state = self._state(draft.id)
        state["metadata"] = metadata.to_dict()
        self._save_state(draft.id, state)

    def publish(self, draft: Draft) -> Record:
        import bagit

        if (self._record_dir(draft.id) / "bagit.txt").exists():
            return self._record(draft.id)
        state = self._state(draft.id)
        payload = self._draft_dir(draft.id) / "payload"
        for name in list(payload.rglob(".*.part")):
            name.unlink()
        metadata = state["metadata"]
        creators = metadata.get("creators") or [{}]
        info = {
            "External-Identifier": f"esap-local:{draft.id}",
            "External-Description": metadata.get("title", ""),
            "Contact-Name": creators[0].get("name", ""),
            "Bagging-Date": dt.date.today().isoformat(),
            "ESAP-Concept-Id": state["concept_id"],
            "ESAP-License": metadata.get("license", ""),
        }
        if creators[0].get("affiliation"):
            info["Source-Organization"] = creators[0]["affiliation"]
        if state.get("version_of"):
            info["ESAP-Version-Of"] = state["version_of"]
        try:
            if not (payload / "bagit.txt").exists():
                bagit.make_bag(str(payload), info, checksums=["sha256", "sha512"])
            bag = bagit.Bag(str(payload))
            bag.validate(fast=False)
        except (bagit.BagError, OSError) as exc:
            raise ArchiveError(f"could not make a valid bag of draft {draft.id}: {exc}") from None
        payload.rename(self._record_dir(draft.id))
        shutil.rmtree(self._draft_dir(draft.id), ignore_errors=True)
        return self._record(draft.id)

    def draft_url(self, draft: Draft) -> str | None:
        return self._draft_dir(draft.id).as_uri()

    # -- reading records back (esap reproduce) ------------------------------
    def published(self, record_id: str) -> PublishedRecord:
        """The bag ``record_id``: its payload files with the SHA-256 its manifest holds.

        The manifest is the bag's own (read with ``bagit``), written when it
        was published; a file changed since then no longer has that hash,
        which the reader's check then reports.
        """
        import bagit

        folder = self._record_dir(opaque_id(record_id, "record"))
        missing = ArchiveError(
            f"no published record {record_id} in the archive {self.name} ({self.root})",
            fix="give the id of a published record (see `esap publish list`)",
        )
        if not (folder / "bagit.txt").is_file():
            raise missing
        try:
            entries = bagit.Bag(str(folder)).payload_entries()
        except bagit.BagError as exc:
            raise ArchiveError(f"record {record_id} is not a readable bag: {exc}") from None
        files = []
        for name, digests in entries.items():
            path = folder / name
            files.append(
                PublishedFile(
                    name=name.removeprefix("data/"),
                    size=path.stat().st_size if path.is_file() else None,
                    md5=None,
                    url=path.as_uri(),
                    sha256=digests.get("sha256"),
                )
            )
        info = _bag_info(folder)
        return PublishedRecord(
            id=record_id,
            url=folder.as_uri(),
            title=info.get("External-Description", ""),
            doi=None,
            files=tuple(sorted(files, key=lambda item: item.name)),
        )

    def find_doi(self, doi: str) -> str | None:
        """A local archive mints no DOIs: none is ever found here."""
        return None

    def read(self, file: PublishedFile) -> Iterator[bytes]:
        path = Path(unquote(urlsplit(file.url).path))
        if not path.resolve().is_relative_to(self.root.resolve()):
            raise ArchiveError(f"{file.name} is not a file of the archive {self.name}")
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK_SIZE):
                yield chunk


def _bag_info(path: Path) -> dict[str, str]:
    """``bag-info.txt`` as a mapping (first value of each label)."""
    info: dict[str, str] = {}
    try:
        text = (path / "bag-info.txt").read_text(encoding="utf-8")
    except FileNotFoundError:
        return info
    for line in text.splitlines():
        label, sep, value = line.partition(":")
        if sep and not line.startswith((" ", "\t")):
            info.setdefault(label.strip(), value.strip())
    return info


__all__ = ["DEFAULT_PATH", "LocalArchive", "LocalOptions"]
