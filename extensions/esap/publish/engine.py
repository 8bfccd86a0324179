"""The publishing engine: drive one publication through draft → files → metadata → publish.

Every face (notebook API, REST job, command line) calls :class:`Publisher`.
``prepare`` checks everything that can be checked without the network —
metadata, paths, archive, token — and writes the journal entry; ``run``
walks the steps, writing the journal before each remote call (see
``esap.publish.journal``), and either ends in ``published`` or raises
:class:`PublishError` naming the step, the archive's answer and the draft,
with the publication kept for a retry. A retry (``run`` again, or
``prepare`` with the same content) resumes the same draft.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from esap import plugins
from esap.config.options import unusable
from esap.core.errors import EsapError, FieldError, FieldProblem, UpstreamError
from esap.core.failures import classify, recognise
from esap.core.ids import BadId, opaque_id
from esap.core.quota import ensure_room
from esap.core.state import state_dir as user_state_dir
from esap.core.tokens import TokenStore
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
from esap.publish.digest import digest_url
from esap.publish.journal import STATE_TEXT, Entry, Journal
from esap.publish.metadata import Metadata, parse_metadata
from esap.publish.package import (
    CRATE_NAME,
    ENVIRONMENT_NAME,
    CrateFile,
    basket_inputs,
    build_crate,
    environment_lock,
    notebook_inputs,
    notebook_runtime,
    parse_inputs,
)
from esap.publish.paths import PackageFile, PathError, resolve_files
from esap.publish.settings import ArchiveNotFoundError, configured_archives, find_archive


@dataclass(frozen=True)
class Progress:
    """Where a running publication is: the step, and bytes sent of the total."""

    publication: str
    step: str
    sent: int
    total: int
    file: str | None = None


ProgressCallback = Callable[[Progress], None]


class PublishError(UpstreamError):
    """A publication stopped before it was published; it is kept in the journal for a retry.

    ``message`` is what stopped it (often the archive's answer); the text of
    the exception adds the step and where the draft is kept.
    """

    code = "publish_failed"

    def __init__(self, entry: Entry, cause: EsapError, fix: str, draft_url: str | None) -> None:
        super().__init__(cause.message, fix)
        #: how it stopped (``name_not_resolved``, ``http_status``, ``archive_error``, ...)
        self.code = cause.code
        if cause.status >= 500:
            self.status = cause.status
        self.publication = entry.id
        self.step = STATE_TEXT.get(entry.state, entry.state)
        self.draft_url = draft_url

    def __str__(self) -> str:
        where = f"; its draft is kept at {self.draft_url}" if self.draft_url else ""
        return (
            f"publication {self.publication} stopped while {self.step}: "
            f"{self.message}{where} — {self.fix}"
        )


class PreparationError(FieldError):
    """Something the user gave cannot be published (named field or path); nothing was sent.

    A 422 with ``problems`` (its one field), as :class:`MetadataError`: a
    form marks every refused field the same way.
    """

    status = 422
    code = "invalid_publication"
    fix = "correct it; nothing was uploaded"

    def __init__(self, field: str, message: str, fix: str = "") -> None:
        super().__init__(field, message, fix)
        self.problems = (FieldProblem(field, message, fix),)


def describe(exc: BaseException, archive: str = "the archive") -> EsapError:
    """What went wrong in a step of a publication to ``archive``, and its fix, secret-free.

    An ESAP error (the archive's answer, a changed file) is its own; a
    failed request is named by its kind (:func:`esap.core.failures.classify`,
    as for every data service and catalogue); a file that cannot be read
    says which.
    """
    if isinstance(exc, EsapError):
        return exc
    known = recognise(exc, service=archive)
    if known is not None:
        return known
    if isinstance(exc, OSError):
        return EsapError(f"{exc.strerror or exc} ({exc.filename})", "check the file and retry")
    return classify(exc, service=archive)


def _content_key(
    archive: str,
    metadata: Metadata,
    files: Sequence[PackageFile],
    version_of: str | None,
    inputs: Sequence[dict[str, Any]],
) -> str:
    described = metadata.to_dict()
    described.pop("publication_date", None)
    payload = {
        "archive": archive,
        "metadata": described,
        "files": [(f.name, f.size, f.mtime_ns) for f in files if f.name != ENVIRONMENT_NAME],
        "version_of": version_of,
        "inputs": list(inputs),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


class Publisher:
    """Publications of one user: their journal, tokens and the archives offered to them."""

    def __init__(
        self,
        home: Path | None = None,
        *,
        archives: Sequence[ArchiveSettings] | None = None,
        state_dir: Path | None = None,
        upload_retries: int = 2,
    ) -> None:
        self.home = (home or Path.home()).resolve()
        # a home given is the state's home too; else $ESAP_STATE_DIR or ~/.esap
        self.state_dir = state_dir or user_state_dir(self.home if home else None)
        self.archives = list(archives) if archives is not None else configured_archives()
        self.journal = Journal(self.state_dir)
        self.tokens = TokenStore(self.state_dir)
        self.upload_retries = upload_retries

    # -- adapters -----------------------------------------------------------
    def archive_settings(self, name: str | None) -> ArchiveSettings:
        try:
            return find_archive(self.archives, name)
        except ArchiveNotFoundError as exc:
            raise PreparationError("archive", exc.message, exc.fix) from None

    def adapter_class(self, settings: ArchiveSettings) -> type[Archive]:
        """The archive's adapter class; anything that keeps it from loading is the archive's."""
        fix = "ask the hub admin to install or fix the adapter's package, or choose another archive"
        if settings.error:
            raise PreparationError("archive", f"{settings.name}: {settings.error}", fix)
        try:
            cls = plugins.load(plugins.ARCHIVES, settings.type)
        except (plugins.AdapterNotFoundError, plugins.AdapterImportError) as exc:
            raise PreparationError("archive", f"{settings.name}: {exc}", fix) from exc
        if not issubclass(cls, Archive):
            raise PreparationError("archive", f"{settings.type} is not an Archive adapter", fix)
        return cls

    def adapter(self, settings: ArchiveSettings) -> Archive:
        cls = self.adapter_class(settings)
        token = self.tokens.get(settings.name)
        if cls.needs_token and not token:
            raise PreparationError(
                "token",
                f"the archive {settings.name} needs your personal access token",
                f"store it once: in the Publish dialog, or `esap publish token {settings.name}`",
            )
        try:
            return cls(settings, token)
        except Exception as exc:  # the adapter's own failure (its options included), named
            raise PreparationError(
                "archive",
                f"{settings.name}: {unusable(settings.type, exc)}",
                "ask the hub admin to check this archive's entry (esap config check)",
            ) from exc

    def needs_token(self, settings: ArchiveSettings) -> bool:
        return self.adapter_class(settings).needs_token and not self.tokens.has(settings.name)

    # -- preparing ------------------------------------------------------------
    def _files(
        self, files: Sequence[str | os.PathLike[str]], base: Path | None, allow_absolute: bool
    ) -> list[PackageFile]:
        try:
            return resolve_files(files, self.home, base, allow_absolute=allow_absolute)
        except PathError as exc:
            raise PreparationError(exc.field or "files", exc.message, exc.fix) from None

    def check(
        self,
        files: Sequence[str | os.PathLike[str]],
        metadata: dict[str, Any] | Metadata,
        archive: str | None = None,
        *,
        inputs: Sequence[dict[str, Any]] | None = None,
        base: Path | None = None,
        allow_absolute: bool = True,
    ) -> tuple[Metadata, list[PackageFile], ArchiveSettings, list[dict[str, Any]]]:
        """Validate everything a publication needs; raise before anything is sent."""
        parsed = metadata if isinstance(metadata, Metadata) else parse_metadata(metadata)
        settings = self.archive_settings(archive)
        package = self._files(files, base, allow_absolute)
        reserved = {CRATE_NAME, ENVIRONMENT_NAME}
        clash = [f.name for f in package if f.name in reserved]
        if clash:
            raise PreparationError(
                "files", f"{clash[0]} is a name the package uses itself", "rename your file"
            )
        if inputs is None:
            gathered: list[dict[str, Any]] = []
            for item in package:
                if item.name.endswith(".ipynb"):
                    gathered.extend(notebook_inputs(item.path))
            inputs = gathered or basket_inputs(self.state_dir)
        checked = [dataset.to_dict() for dataset in parse_inputs(inputs)]
        return parsed, package, settings, checked

    def preview(
        self,
        files: Sequence[str | os.PathLike[str]],
        metadata: dict[str, Any] | Metadata,
        archive: str | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        """What would be published: files, sizes, archive, RO-Crate (checksums come later)."""
        parsed, package, settings, inputs = self.check(files, metadata, archive, **options)
        cls = self.adapter_class(settings)
        names = [f.name for f in package]
        notebook = next((name for name in names if name.endswith(".ipynb")), None)
        later = "computed while uploading" if "sha256" in cls.checksums else None
        crate = build_crate(
            parsed,
            [CrateFile(f.name, f.size, later) for f in package]
            + [CrateFile(ENVIRONMENT_NAME, 0, later)],
            inputs=parse_inputs(inputs),
            notebook=notebook,
        )
        return {
            "archive": settings.name,
            "needs_token": cls.needs_token and not self.tokens.has(settings.name),
            "files": [{"name": f.name, "size": f.size} for f in package],
            "total_size": sum(f.size for f in package),
            "package": [*names, ENVIRONMENT_NAME, CRATE_NAME],
            "inputs": inputs,
            "metadata": parsed.to_dict(),
            "crate": crate,
        }

    def prepare(
        self,
        files: Sequence[str | os.PathLike[str]],
        metadata: dict[str, Any] | Metadata,
        archive: str | None = None,
        *,
        inputs: Sequence[dict[str, Any]] | None = None,
        version_of: str | None = None,
        base: Path | None = None,
        allow_absolute: bool = True,
    ) -> Entry:
        """Check the publication and journal it; the same content again returns the same entry."""
        parsed, package, settings, checked = self.check(
            files, metadata, archive, inputs=inputs, base=base, allow_absolute=allow_absolute
        )
        # the package is staged in the home: none at the home quota (507 naming size and quota)
        ensure_room("a publication package", home=self.home)
        self.adapter(settings).close()  # the token is there (or not needed)
        record_id = self._version_target(version_of, settings) if version_of else None
        key = _content_key(settings.name, parsed, package, record_id, checked)
        existing = self.journal.find_by_key(key)
        if existing is not None:
            return existing
        notebook = next((f.name for f in package if f.name.endswith(".ipynb")), None)
        entry = self.journal.create(
            key=key,
            archive=settings.name,
            title=parsed.title,
            metadata=parsed.to_dict(),
            files=[f.to_dict() for f in package],
            inputs=checked,
            notebook=notebook,
            version_of=record_id,
        )
        lock = self.journal.staging_dir(entry.id) / ENVIRONMENT_NAME
        lock.write_text(environment_lock(), encoding="utf-8")
        stat = lock.stat()
        env = PackageFile(ENVIRONMENT_NAME, lock, stat.st_size, stat.st_mtime_ns)
        return self.journal.update(entry.id, files=[*entry.files, env.to_dict()])

    def _version_target(self, version_of: str, settings: ArchiveSettings) -> str:
        """A journal id (of a published entry) or an archive record id -> the record id.

        Either is an opaque id (``esap.core.ids``), never a path: adapters join
        record ids onto folders and URLs.
        """
        try:
            opaque_id(version_of, "version_of")
        except BadId as exc:
            raise PreparationError("version_of", exc.message, exc.fix) from None
        try:
            earlier = self.journal.get(version_of)
        except KeyError:
            return version_of
        if not earlier.published or earlier.record is None:
            raise PreparationError(
                "version_of", f"publication {version_of} is not published yet", "finish it first"
            )
        if earlier.archive != settings.name:
            raise PreparationError(
                "version_of",
                f"publication {version_of} is in the archive {earlier.archive}, "
                f"not {settings.name}",
                f"publish the new version to {earlier.archive}: a new version goes to the "
                "same archive",
            )
        return str(earlier.record["id"])

    # -- running --------------------------------------------------------------
    def run(self, publication: str, progress: ProgressCallback | None = None) -> Entry:
        """Drive ``publication`` to ``published`` from wherever its journal says it is."""
        entry = self.journal.get(publication)
        if entry.published:
            return entry
        with self.journal.running(publication):
            entry = self.journal.get(publication)
            if entry.published:
                return entry
            entry = self.journal.update(publication, attempts=entry.attempts + 1, error=None)
            settings = self.archive_settings(entry.archive)
            archive = self.adapter(settings)
            try:
                return self._steps(entry, archive, progress)
            except Exception as exc:
                cause = describe(exc, settings.name)
                entry = self.journal.update(publication, error=cause.message)
                draft = Draft.from_dict(entry.draft) if entry.draft else None
                draft_url = archive.draft_url(draft) if draft else None
                fix = f"{cause.fix} (retry: esap publish resume {publication})"
                raise PublishError(entry, cause, fix, draft_url) from exc
            finally:
                archive.close()

    def publish(
        self,
        files: Sequence[str | os.PathLike[str]],
        metadata: dict[str, Any] | Metadata,
        archive: str | None = None,
        *,
        progress: ProgressCallback | None = None,
        **options: Any,
    ) -> Entry:
        """``prepare`` then ``run``: the whole publication, resumed if it was started before."""
        entry = self.prepare(files, metadata, archive, **options)
        return self.run(entry.id, progress)

    def _steps(self, entry: Entry, archive: Archive, progress: ProgressCallback | None) -> Entry:
        journal = self.journal
        metadata = parse_metadata(entry.metadata)
        total = sum(int(f["size"]) for f in entry.files)

        def report(step: str, sent: int = 0, name: str | None = None) -> None:
            if progress is not None:
                # the RO-Crate is made and sent last, on top of the files' total
                progress(Progress(entry.id, step, min(sent, total), total, name))

        if entry.draft is None:
            report("draft")
            draft = None
            if entry.state == "draft_requested" and entry.version_of is None:
                # the archive may have made it before the answer was lost
                draft = archive.find_draft(entry.marker)
            if draft is None:
                journal.update(entry.id, state="draft_requested")
                if entry.version_of:
                    draft = archive.new_version(entry.version_of, metadata, entry.marker)
                else:
                    draft = archive.create_draft(metadata, entry.marker)
            entry = journal.update(entry.id, state="draft", draft=draft.to_dict())
        draft = Draft.from_dict(entry.draft or {})
        status = archive.status(draft)
        if status.published and status.record is not None:
            return self._done(entry, status.record, report, total)
        if entry.state == "draft":
            self._upload_all(entry, archive, draft, status, report)
            entry = journal.update(entry.id, state="uploaded")
        if entry.state == "uploaded":
            report("metadata", total)
            archive.set_metadata(draft, metadata)
            entry = journal.update(entry.id, state="metadata_set")
        report("publish", total)
        entry = journal.update(entry.id, state="publish_requested")
        record = archive.publish(draft)
        return self._done(entry, record, report, total)

    def _done(self, entry: Entry, record: Record, report: Callable[..., None], total: int) -> Entry:
        entry = self.journal.update(
            entry.id, state="published", record=record.to_dict(), error=None
        )
        report("published", total)
        return entry

    def _upload_all(
        self,
        entry: Entry,
        archive: Archive,
        draft: Draft,
        status: DraftStatus,
        report: Callable[..., None],
    ) -> None:
        journal = self.journal
        files = [PackageFile.from_dict(f) for f in entry.files]
        for item in files:
            try:
                stat = item.path.stat()
            except FileNotFoundError:
                raise PreparationError(
                    "files",
                    f"{item.name} is gone since the publication was started ({item.path})",
                    "put the file back, or publish again without it",
                ) from None
            if (stat.st_size, stat.st_mtime_ns) != (item.size, item.mtime_ns):
                raise PreparationError(
                    "files",
                    f"{item.name} changed since the publication was started",
                    "publish again to make a new publication with the new content",
                )
        remote = {archive.remote_name(f.name): f for f in files}
        crate_name = archive.remote_name(CRATE_NAME)
        # files a new version inherited, or left from an earlier attempt, that are not ours
        for name in status.files:
            if name not in remote and name != crate_name:
                archive.delete_file(draft, name)
        uploads = journal.uploads(entry.id)
        sent = 0
        for name, item in remote.items():
            done = uploads.get(name)
            have = status.files.get(name)
            journaled = (
                done is not None
                and done["state"] == "done"
                and have is not None
                and have.size == item.size
                and (have.md5 is None or have.md5 == done["md5"])
            )
            if journaled or (
                have is not None
                and self._already_there(entry, archive, name, item, have, sent, report)
            ):
                sent += item.size
                report("upload", sent, name)
                continue
            sent = self._upload_one(
                entry, archive, draft, name, item, have is not None, sent, report
            )
        self._upload_crate(entry, archive, draft, files, status, report, sent)

    def _already_there(
        self,
        entry: Entry,
        archive: Archive,
        name: str,
        item: PackageFile,
        have: RemoteFile,
        sent_before: int,
        report: Callable[..., None],
    ) -> bool:
        """Whether the draft already holds exactly this file, so it need not be sent.

        A new version's draft inherits the files of the version before, and
        an attempt cut off after an upload but before the journal heard of it
        leaves the file in the draft. When the archive's copy has the file's
        size and an MD5, the local file is hashed (on one core ~650 MB/s,
        where sending it to an archive over the internet is tens of MB/s)
        and, if the MD5 is the same, the upload is skipped and journaled as
        done. Otherwise the file is sent as usual.
        """
        if have.size != item.size or have.md5 is None:
            return False
        source = self._source(archive, name, item, "check", sent_before, report)
        for _ in source.chunks():
            pass
        if source.sent != item.size or source.md5 != have.md5:
            return False
        self.journal.mark_upload(entry.id, name, "done", source.md5, source.sha256)
        return True

    @staticmethod
    def _source(
        archive: Archive,
        name: str,
        item: PackageFile,
        step: str,
        sent_before: int,
        report: Callable[..., None],
    ) -> FileSource:
        """The file read in chunks for ``archive``, each chunk reported as ``step`` progress."""
        progress_box = [sent_before]

        def on_bytes(count: int, box: list[int] = progress_box) -> None:
            box[0] += count
            report(step, box[0], name)

        return FileSource(item.path, item.size, on_bytes, archive.checksums)

    def _upload_one(
        self,
        entry: Entry,
        archive: Archive,
        draft: Draft,
        name: str,
        item: PackageFile,
        present: bool,
        sent_before: int,
        report: Callable[..., None],
    ) -> int:
        attempt = 0
        while True:
            if present:
                archive.delete_file(draft, name)
            self.journal.mark_upload(entry.id, name, "sending")
            source = self._source(archive, name, item, "upload", sent_before, report)
            try:
                got = archive.upload(draft, name, source)
            except httpx.TransportError:
                # a dropped connection: no archive here takes byte ranges, so
                # the file is sent again from its start (in constant memory)
                attempt += 1
                if attempt > self.upload_retries:
                    raise
                present = True
                continue
            if (
                source.sent != item.size
                or got.size != item.size
                or (got.md5 is not None and got.md5 != source.md5)
            ):
                archive.delete_file(draft, name)
                raise ArchiveError(
                    f"{name}: the archive holds {got.size} bytes with MD5 {got.md5}, "
                    f"but {source.sent} bytes with MD5 {source.md5} were sent",
                    fix="retry; the file is sent again",
                )
            self.journal.mark_upload(entry.id, name, "done", source.md5, source.sha256)
            return sent_before + item.size

    def _upload_crate(
        self,
        entry: Entry,
        archive: Archive,
        draft: Draft,
        files: list[PackageFile],
        status: DraftStatus,
        report: Callable[..., None],
        sent: int,
    ) -> None:
        uploads = self.journal.uploads(entry.id)
        crate_path = self.journal.staging_dir(entry.id) / CRATE_NAME
        if entry.crate is None:
            entry = self._digest_inputs(entry, report, sent)
            notebook_file = next((f for f in files if f.name == entry.notebook), None)
            runtime = notebook_runtime(notebook_file.path) if notebook_file else {}
            crate_files = [
                CrateFile(
                    archive.remote_name(f.name),
                    f.size,
                    uploads[archive.remote_name(f.name)]["sha256"],
                    source=f.name,
                )
                for f in files
            ]
            document = build_crate(
                parse_metadata(entry.metadata),
                crate_files,
                inputs=parse_inputs(entry.inputs),
                notebook=archive.remote_name(entry.notebook) if entry.notebook else None,
                environment=archive.remote_name(ENVIRONMENT_NAME),
                runtime=runtime,
            )
            crate_path.write_text(json.dumps(document, indent=2), encoding="utf-8")
            self.journal.update(entry.id, crate=document)
        name = archive.remote_name(CRATE_NAME)
        size = crate_path.stat().st_size
        item = PackageFile(CRATE_NAME, crate_path, size, crate_path.stat().st_mtime_ns)
        done = uploads.get(name)
        have = status.files.get(name)
        if done and done["state"] == "done" and have is not None and have.md5 == done["md5"]:
            return
        self._upload_one(entry, archive, draft, name, item, have is not None, sent, report)

    def _digest_inputs(self, entry: Entry, report: Callable[..., None], sent: int) -> Entry:
        """Record what each input's URL serves now (SHA-256, size), once, in the journal.

        A reproduction fetches the inputs again and compares with these. An
        input that cannot be fetched (it needs a login, its service is down)
        does not stop the publication: the crate says why it has no checksum.
        """
        inputs = [dict(item) for item in entry.inputs]
        changed = False
        for index, item in enumerate(inputs):
            if item.get("sha256") or item.get("checksum_note"):
                continue
            dataset = parse_inputs([item])[0]
            report("inputs", sent, dataset.url)
            try:
                found = digest_url(dataset.url, home=self.home)
            except EsapError as exc:
                item["checksum_note"] = f"could not be fetched at publication: {exc.message}"
            else:
                if not found.found:
                    item["checksum_note"] = f"the URL answered HTTP {found.status} at publication"
                else:
                    if found.sha256:
                        item["sha256"] = found.sha256
                    if found.size is not None:
                        item["size"] = found.size
                    if found.note:
                        item["checksum_note"] = found.note
            inputs[index] = item
            changed = True
        return self.journal.update(entry.id, inputs=inputs) if changed else entry

    # -- listing ----------------------------------------------------------------
    def publications(self) -> list[Entry]:
        """Every publication of this user, newest first, finished or not."""
        return self.journal.entries()


__all__ = [
    "PreparationError",
    "Progress",
    "ProgressCallback",
    "PublishError",
    "Publisher",
    "describe",
]
