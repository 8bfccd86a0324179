"""Publish files from the lab to an archive record with a DOI — never twice.

From a notebook::

    import esap.publish
    pub = esap.publish(
        ["analysis.ipynb", "results/"],
        {"title": "M31 light curves", "creators": [{"name": "Doe, Jane",
         "affiliation": "ASTRON", "orcid": "0000-0002-1825-0097"}],
         "description": "Light curves of ...", "license": "CC-BY-4.0"},
        archive="zenodo",
    )
    pub.doi, pub.url
    esap.publish.publications()          # "My publications", finished or not
    esap.publish.resume(pub.id)          # after a failure: the same draft, not a new one
    esap.publish.reproduce("10.5281/zenodo.123")   # re-run a record, compare its outputs

The engine (``engine.Publisher``) does the work; the REST API and the
``esap publish`` command call the same code.
"""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from esap.publish.base import Archive, ArchiveError, ArchiveSettings
from esap.publish.engine import PreparationError, Progress, Publisher, PublishError
from esap.publish.journal import STATE_TEXT, Entry
from esap.publish.metadata import Metadata, MetadataError, licenses, parse_metadata
from esap.publish.paths import PathError

if TYPE_CHECKING:
    from esap.publish.reproduction import Reproduction


@dataclass(frozen=True)
class Publication:
    """A publication as a notebook shows it: what, where, and how far it got."""

    id: str
    title: str
    archive: str
    state: str
    url: str | None
    doi: str | None
    concept_doi: str | None
    record_id: str | None
    error: str | None
    files: tuple[str, ...]

    @classmethod
    def from_entry(cls, entry: Entry) -> Publication:
        record = entry.record or {}
        return cls(
            id=entry.id,
            title=entry.title,
            archive=entry.archive,
            state=entry.state if entry.published else f"unfinished: {STATE_TEXT[entry.state]}",
            url=record.get("url"),
            doi=record.get("doi"),
            concept_doi=record.get("concept_doi"),
            record_id=record.get("id"),
            error=entry.error,
            files=tuple(str(f["name"]) for f in entry.files),
        )

    def __repr__(self) -> str:
        lines = [f"{self.title!r} in {self.archive}: {self.state}"]
        if self.doi:
            lines.append(f"  DOI {self.doi}")
        if self.url:
            lines.append(f"  {self.url}")
        if self.error:
            lines.append(f"  stopped: {self.error} (esap.publish.resume({self.id!r}))")
        return "\n".join(lines)


def _publisher() -> Publisher:
    return Publisher()


def publish(
    files: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    metadata: dict[str, Any] | Metadata,
    archive: str | None = None,
    *,
    inputs: Sequence[dict[str, Any]] | None = None,
    version_of: str | None = None,
    progress: bool = True,
) -> Publication:
    """Publish ``files`` (files or folders in your home) with ``metadata`` to ``archive``.

    ``inputs`` lists the datasets the analysis read (``service``,
    ``access_url``, ``query``); without it, the notebooks' ``metadata.esap.inputs``
    are used. ``version_of`` (a publication id or record id) makes a new
    version of an earlier record, keeping its concept DOI. Calling it again
    with the same content resumes or returns the same publication.
    """
    paths = [files] if isinstance(files, str | os.PathLike) else list(files)
    publisher = _publisher()
    entry = publisher.prepare(
        paths, metadata, archive, inputs=inputs, version_of=version_of, base=Path.cwd()
    )
    entry = publisher.run(entry.id, _print_progress if progress else None)
    return Publication.from_entry(entry)


def resume(publication: str, *, progress: bool = True) -> Publication:
    """Carry on an unfinished publication from its journal: the same draft, never a new one."""
    entry = _publisher().run(publication, _print_progress if progress else None)
    return Publication.from_entry(entry)


def publications() -> list[Publication]:
    """My publications, newest first; unfinished ones say where they stopped."""
    return [Publication.from_entry(entry) for entry in _publisher().publications()]


def reproduce(
    source: str,
    *,
    nearest: bool = False,
    packages: Sequence[str] | dict[str, str] | None = None,
    fresh: bool = False,
    progress: bool = True,
) -> Reproduction:
    """Reproduce a publication: re-run its notebook from ``source`` and compare the outputs.

    ``source`` is a DOI, a record's URL or one of your publications' ids. The
    record's files are fetched (checksums checked), its environment rebuilt
    from its lock with uv, its inputs fetched again, its notebook re-run
    headless and its outputs compared, cell by cell and file by file; the
    report (``report.html``, ``report.json``) is in ``~/esap-reproductions/``.
    ``nearest=True`` runs in this lab's environment when the lock cannot be
    rebuilt; ``packages=["numpy==2.1.0"]`` changes pins on purpose; ``fresh=True``
    rebuilds the environment even when one built from the same lock is kept.
    """
    from esap.publish.reproduction import reproduce as run

    return run(
        source,
        nearest=nearest,
        packages=packages,
        fresh=fresh,
        progress=progress,
        publisher=_publisher(),
    )


def set_token(archive: str, token: str) -> None:
    """Keep your personal token for ``archive`` in ``~/.esap`` (owner-only); it is never shown."""
    publisher = _publisher()
    publisher.archive_settings(archive)
    publisher.tokens.set(archive, token)


def _print_progress(progress: Progress) -> None:
    if progress.step == "upload" and progress.total:
        share = progress.sent / progress.total
        print(f"\ruploading {share:6.1%} {progress.file or ''}"[:78].ljust(78), end="")
    elif progress.step == "published":
        print("\rpublished".ljust(78))


class _CallableModule(types.ModuleType):
    """Lets a notebook write ``esap.publish(...)`` as well as ``esap.publish.publications()``."""

    def __call__(self, *args: Any, **kwargs: Any) -> Publication:
        return publish(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

__all__ = [
    "Archive",
    "ArchiveError",
    "ArchiveSettings",
    "Metadata",
    "MetadataError",
    "PathError",
    "PreparationError",
    "Publication",
    "PublishError",
    "Publisher",
    "licenses",
    "parse_metadata",
    "publications",
    "publish",
    "reproduce",
    "resume",
    "set_token",
]
