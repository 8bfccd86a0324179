"""The ``Archive`` base class: what an archive adapter overrides, and the shapes it returns.

A publication is driven by ``esap.publish.engine`` through the same steps on
every archive — draft, files, metadata, publish — and the engine writes its
journal before each one. An adapter only translates each step into its
archive's API; it never retries, never sleeps and keeps no state between
calls, so a retry after any failure can resume from the journal alone.

To add an archive, subclass :class:`Archive` and override:

``create_draft(metadata, marker)``
    Start a new, unpublished record carrying ``marker`` somewhere the archive
    lets you search for it (a notes field, a description) and return its
    :class:`Draft`.
``find_draft(marker)``
    Return the unpublished draft carrying ``marker``, or ``None``. This is what
    keeps a retry from making a second record when the answer to
    ``create_draft`` was lost (connection dropped after the archive acted).
``new_version(record_id, metadata, marker)``
    Return the draft of a new version of a published record. Archives make
    this idempotent (a second call returns the same draft); the engine relies
    on it.
``status(draft)``
    Whether the draft is published (and then its :class:`Record`), and the
    files it holds with their MD5 checksums.
``upload(draft, name, source)``
    Stream ``source.chunks()`` (constant memory) into the draft as ``name``;
    return the archive's :class:`RemoteFile`. The engine compares its checksum
    with the one computed while streaming.
``delete_file(draft, name)``
    Remove a file from the draft (a partial upload, or a file inherited by a
    new version that the user did not select).
``set_metadata(draft, metadata)``
    Replace the draft's metadata with the final metadata (the marker goes).
``publish(draft)``
    Publish, and return the :class:`Record` with its URL and DOI.

An adapter may also read published records back, which ``esap reproduce``
needs (:class:`RecordReader`, a typed protocol the built-in adapters
follow): ``published(record_id)`` lists a record's files with their
checksums and where to read each, ``read(file)`` streams one, and
``find_doi(doi)`` answers the id of the record carrying a DOI. An adapter
without them still publishes; reproducing from it says the archive cannot
be read back.

Set ``needs_token = True`` when the archive needs the user's own token, set
``checksums`` to what a file is hashed with while it streams (MD5 always;
SHA-256 only where the RO-Crate should carry it, as each hash costs upload
throughput), and override ``remote_name`` if the archive does not take ``/``
in file names.
Declare ``Options`` (an :class:`~esap.config.options.AdapterOptions`
model) for the settings the admin writes under ``options:``; the adapter
reads them validated as ``self.options``. What an adapter receives: its
:class:`ArchiveSettings` (name, type, title, url, path, community, the raw
options) and the user's token, if the archive needs one.

Raise :class:`ArchiveError` for answers the archive gives (with its message,
as text), and let transport errors (``httpx.TransportError``, ``OSError``)
through: the engine treats both as "stopped here, resume later". Anything
else an adapter raises, at any step or while it is built, is contained too:
the publication stops at that step with the adapter's message (type and
text), its journal keeps every step done, and a retry resumes it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from esap.config.options import AdapterOptions, FreeOptions, options_for
from esap.core.errors import UpstreamError
from esap.publish.metadata import Metadata

#: Bytes read from disk per step when streaming a file.
CHUNK_SIZE = 1 << 20


class ArchiveError(UpstreamError):
    """The archive answered with an error; ``message`` is its text (plain text, never HTML).

    ``status=`` is the archive's own HTTP status, kept as ``answered``
    (``status`` is the one ESAP answers with, 502, as for every remote failure).
    """

    code = "archive_error"
    fix = "check the archive's answer above, fix it, then retry the publication"

    def __init__(self, message: str, *, status: int | None = None, fix: str = "") -> None:
        super().__init__(message, fix)
        self.answered = status


class AuthError(ArchiveError):
    """The archive refused the token (missing, wrong or without the needed scope)."""

    code = "archive_refused_token"


@dataclass(frozen=True)
class ArchiveSettings:
    """One archive entry of the public config, as a user server or kernel sees it."""

    name: str
    type: str
    title: str = ""
    url: str | None = None
    path: str | None = None
    community: str | None = None
    #: The entry's options as the public config carries them (validated by the adapter).
    options: dict[str, Any] = field(default_factory=dict)
    #: Why the hub could not load this entry's adapter (then publishing to it says so).
    error: str | None = None


@dataclass(frozen=True)
class Draft:
    """An unpublished record: its id at the archive and the links the archive gave for it."""

    id: str
    links: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "links": dict(self.links)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Draft:
        return cls(id=str(data["id"]), links=dict(data.get("links") or {}))


@dataclass(frozen=True)
class Record:
    """A published record: where it lives and its persistent identifiers."""

    id: str
    url: str
    doi: str | None = None
    concept_doi: str | None = None
    concept_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "doi": self.doi,
            "concept_doi": self.concept_doi,
            "concept_id": self.concept_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        return cls(
            id=str(data["id"]),
            url=str(data["url"]),
            doi=data.get("doi"),
            concept_doi=data.get("concept_doi"),
            concept_id=data.get("concept_id"),
        )


@dataclass(frozen=True)
class RemoteFile:
    """A file as the archive holds it."""

    name: str
    size: int
    md5: str | None


@dataclass(frozen=True)
class DraftStatus:
    """What the archive says about a draft: published or not, and its files."""

    published: bool
    files: dict[str, RemoteFile]
    record: Record | None = None


@dataclass(frozen=True)
class PublishedFile:
    """A file of a published record as the archive lists it, and where to read it from."""

    name: str
    size: int | None
    md5: str | None
    #: Where the archive serves its bytes (``https://...``, or ``file://`` for a local archive).
    url: str
    #: The SHA-256 the archive keeps (a local archive's bag manifest), if it keeps one.
    sha256: str | None = None


@dataclass(frozen=True)
class PublishedRecord:
    """A published record read back: where it is, its identifiers and its files."""

    id: str
    url: str
    title: str
    doi: str | None
    files: tuple[PublishedFile, ...]


@runtime_checkable
class RecordReader(Protocol):
    """The optional ability to read published records back (what reproducing needs)."""

    def published(self, record_id: str) -> PublishedRecord:
        """The published record ``record_id`` and its files; :class:`ArchiveError` if none."""
        ...

    def find_doi(self, doi: str) -> str | None:
        """The id of the published record whose DOI is ``doi`` (a version's or the concept's)."""
        ...

    def read(self, file: PublishedFile) -> Iterator[bytes]:
        """The bytes of ``file`` in chunks of at most :data:`CHUNK_SIZE` (constant memory)."""
        ...


class FileSource:
    """A file streamed from disk in fixed-size chunks, hashed on the way.

    The archive gets ``chunks()``; after it has read them all, ``md5`` (and
    ``sha256`` when asked for in ``checksums``) are the checksums of exactly
    the bytes that were sent, and ``on_bytes`` was told of every chunk
    (progress bars, the REST job). MD5 is always computed: it is what the
    archives report, so it is what the engine verifies each upload with.

    Each chunk is hashed by the thread that sends it, just before it is
    handed over. Hashing threads fed through a queue were measured slower:
    on two cores with the archive on loopback, up to half the throughput
    under load (one more runnable thread than cores, and the sender waits
    whenever a hasher is descheduled), and one core's MD5 (~650 MB/s) is
    faster than the network to any archive.

    Chunks are ``bytes`` read straight from the file, not views of a reused
    buffer: httpx's HTTP/1.1 layer (h11) joins what it is given into
    ``bytes`` before the socket sees it, which copies a view but passes one
    ``bytes`` object through untouched. A profile of a 2 GiB upload to the
    archive stand-in on loopback put ~79% of the sender's CPU in MD5, ~16%
    in the kernel (page cache to user, user to socket, loopback TCP), ~3%
    in that copy, ~1% in Python (progress included); dropping the copy saves
    ~0.04 s of CPU per GiB. Memory stays constant: a chunk is read only when
    the consumer asks for the next one, after it has sent the previous one,
    which is then freed (and its memory reused for the next read).
    """

    def __init__(
        self,
        path: Path,
        size: int,
        on_bytes: Callable[[int], None] | None = None,
        checksums: Sequence[str] = ("md5", "sha256"),
    ) -> None:
        unknown = set(checksums) - {"md5", "sha256"}
        if unknown:
            raise ValueError(f"unknown checksum {sorted(unknown)[0]}; use md5 or sha256")
        self.path = path
        self.size = size
        self.on_bytes = on_bytes
        self.checksums = ("md5", *(name for name in checksums if name != "md5"))
        self.sent = 0
        self._digests: dict[str, str] = {}

    def chunks(self) -> Iterator[bytes]:
        """Yield the file's bytes; may be called again (a retry) and starts over."""
        self.sent = 0
        self._digests = {}
        hashes = [hashlib.new(name, usedforsecurity=False) for name in self.checksums]
        try:
            with self.path.open("rb", buffering=0) as handle:
                # tell the kernel we read front to back once
                if hasattr(os, "posix_fadvise"):
                    os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
                while chunk := handle.read(CHUNK_SIZE):
                    for digest in hashes:
                        digest.update(chunk)  # releases the GIL on large buffers
                    count = len(chunk)
                    self.sent += count
                    if self.on_bytes is not None:
                        self.on_bytes(count)
                    yield chunk
                    del chunk  # freed before the next read, not after it
        finally:
            self._digests = {h.name: h.hexdigest() for h in hashes}

    @property
    def md5(self) -> str:
        return self._digests.get("md5", "")

    @property
    def sha256(self) -> str | None:
        """The SHA-256 of what was sent, or ``None`` when it was not asked for."""
        return self._digests.get("sha256")


class Archive:
    """Base of every archive adapter; see the module docstring for what to override."""

    #: Whether a publication needs the user's own token for this archive.
    needs_token: ClassVar[bool] = False
    #: Checksums computed while a file streams, in the same pass. MD5 is what
    #: the archives report, so every upload is verified with it; SHA-256 is
    #: what the RO-Crate records per file (schema.org ``sha256``), asked for
    #: only where it is worth a second hash on the upload path.
    checksums: ClassVar[tuple[str, ...]] = ("md5", "sha256")

    #: The options the admin may give under ``options:`` (any mapping when not declared).
    Options: ClassVar[type[AdapterOptions]] = FreeOptions

    def __init__(self, settings: ArchiveSettings, token: str | None = None) -> None:
        self.settings = settings
        self.token = token
        #: The entry's options, validated by the adapter's ``Options`` model.
        self.options: AdapterOptions = options_for(type(self), settings.options)

    @property
    def name(self) -> str:
        return self.settings.name

    def remote_name(self, name: str) -> str:
        """The file name the archive stores for the package path ``name``."""
        return name

    def create_draft(self, metadata: Metadata, marker: str) -> Draft:
        raise NotImplementedError

    def find_draft(self, marker: str) -> Draft | None:
        raise NotImplementedError

    def new_version(self, record_id: str, metadata: Metadata, marker: str) -> Draft:
        raise NotImplementedError

    def status(self, draft: Draft) -> DraftStatus:
        raise NotImplementedError

    def upload(self, draft: Draft, name: str, source: FileSource) -> RemoteFile:
        raise NotImplementedError

    def delete_file(self, draft: Draft, name: str) -> None:
        raise NotImplementedError

    def set_metadata(self, draft: Draft, metadata: Metadata) -> None:
        raise NotImplementedError

    def publish(self, draft: Draft) -> Record:
        raise NotImplementedError

    def draft_url(self, draft: Draft) -> str | None:
        """Where the user can see (and finish or delete) the draft by hand, if anywhere."""
        return draft.links.get("html")

    def close(self) -> None:
        """Release connections; called once the engine is done with the adapter."""


__all__ = [
    "CHUNK_SIZE",
    "Archive",
    "ArchiveError",
    "ArchiveSettings",
    "AuthError",
    "Draft",
    "DraftStatus",
    "FileSource",
    "PublishedFile",
    "PublishedRecord",
    "Record",
    "RecordReader",
    "RemoteFile",
]
