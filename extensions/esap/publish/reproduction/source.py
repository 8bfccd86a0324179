"""Step ``record``: which archive holds the record a user names, and its id there.

A reproduction starts from what a reader of a paper has: a DOI
(``10.5281/zenodo.123``, ``doi:...``, ``https://doi.org/...``), the record's
page (``https://zenodo.org/records/123``, an InvenioRDM site's
``/records/abcde-12345``, a local archive's ``file://`` folder) or, for a
publication of one's own, its id in "My publications". In that order:

* an id of "My publications" is the record it published;
* a DOI is looked up in "My publications" (a version's DOI or the concept
  DOI), then at each archive of the hub that can read records back
  (:class:`~esap.publish.base.RecordReader`: a Zenodo DOI names its
  record; InvenioRDM is searched), then at ``doi.org``, whose answer is
  the record's page;
* a page is matched to a configured archive by its origin (or, for a
  ``file://`` folder, by the local archive holding it). A page of a Zenodo
  or InvenioRDM site the hub does not configure is read through that
  site's public records API (``<origin>/api/records/:id``), which both
  serve without a token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast
from urllib.parse import unquote, urlsplit

import httpx

from esap.core.errors import EsapError
from esap.core.failures import classify
from esap.core.ids import BadId, opaque_id
from esap.publish.base import ArchiveSettings, RecordReader
from esap.publish.engine import PreparationError, Publisher
from esap.publish.reproduction.steps import StepFailed

_DOI = re.compile(r"^(?:doi:|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)$", re.IGNORECASE)
_JOURNAL_ID = re.compile(r"^[0-9a-f]{32}$")
#: Where a record's id is in the path of its page or API URL, on Zenodo and InvenioRDM.
_RECORD_PATH = re.compile(r"/(?:api/)?(?:records?|deposit|uploads)/([^/?#]+)")
#: What the resolver at doi.org may take.
DOI_RESOLVER = "https://doi.org"


@dataclass(frozen=True)
class Source:
    """A record to reproduce: the archive (as configured, or met through its page) and its id."""

    given: str
    archive: ArchiveSettings
    record_id: str
    #: The id in "My publications" when the record is one of the user's own.
    publication: str | None = None
    doi: str | None = None


def _not_found(given: str, why: str, fix: str) -> StepFailed:
    return StepFailed("record", "record_not_found", f"{given}: {why}", fix, status=404)


class ReadableArchive(RecordReader, Protocol):
    """An archive adapter that reads records back: what a reproduction fetches from."""

    @property
    def name(self) -> str: ...

    def close(self) -> None: ...


def reader(publisher: Publisher, settings: ArchiveSettings) -> ReadableArchive:
    """The archive's adapter for reading records back (the user's token, if any, not required)."""
    try:
        cls = publisher.adapter_class(settings)
        adapter = cls(settings, publisher.tokens.get(settings.name))
    except PreparationError as exc:
        raise StepFailed("record", "archive_unusable", exc.message, exc.fix) from exc
    except Exception as exc:  # the adapter's own failure to start (its options)
        raise StepFailed(
            "record",
            "archive_unusable",
            f"the archive {settings.name} cannot be used: {exc}",
            "ask the hub admin to check this archive's entry (esap config check)",
        ) from exc
    if not isinstance(adapter, RecordReader):
        adapter.close()
        raise StepFailed(
            "record",
            "archive_unreadable",
            f"the archive {settings.name} ({settings.type}) cannot read records back",
            "download the record's files from its page and run the notebook with `esap run`",
        )
    return cast("ReadableArchive", adapter)


def unavailable(step: str, archive: str, exc: BaseException) -> StepFailed:
    """An archive that did not answer (down, unreachable, failing) as the step's failure."""
    cause = classify(exc, service=archive)
    return StepFailed(
        step,
        "archive_unavailable",
        f"the archive {archive} did not answer: {cause.message}",
        "try again later (nothing was changed); if it persists, ask its operators",
        status=502,
    )


def resolve(given: str, publisher: Publisher) -> Source:
    """The archive and record ``given`` names; :class:`StepFailed` saying why not."""
    text = given.strip()
    if not text:
        raise StepFailed(
            "record",
            "no_source",
            "no record named",
            "give a DOI, a record's URL or the id of one of your publications",
            status=400,
        )
    if _JOURNAL_ID.match(text):
        return _own(text, given, publisher)
    doi = _DOI.match(text)
    if doi:
        return _by_doi(doi.group(1), given, publisher)
    if text.startswith("esap-local:"):
        return _local_record(text.removeprefix("esap-local:"), given, publisher)
    if re.match(r"^(https?|file)://", text, re.IGNORECASE):
        return _by_url(text, given, publisher)
    raise StepFailed(
        "record",
        "no_source",
        f"{given!r} is neither a DOI, a record's URL nor the id of one of your publications",
        "give a DOI (10.5281/zenodo.123), a record's page (https://.../records/123) "
        "or an id from `esap publish list`",
        status=400,
    )


def _own(publication: str, given: str, publisher: Publisher) -> Source:
    try:
        entry = publisher.journal.get(publication)
    except KeyError:
        raise _not_found(
            given, "none of your publications has this id", "see `esap publish list`"
        ) from None
    if not entry.published or not entry.record:
        raise _not_found(
            given,
            "this publication is not published yet, so there is no record to reproduce",
            f"finish it first: esap publish resume {publication}",
        )
    try:
        settings = publisher.archive_settings(entry.archive)
    except PreparationError as exc:
        raise StepFailed("record", "archive_unusable", exc.message, exc.fix) from exc
    record = entry.record
    return Source(
        given, settings, str(record["id"]), publication=entry.id, doi=record.get("doi") or None
    )


def _by_doi(doi: str, given: str, publisher: Publisher) -> Source:
    lowered = doi.lower()
    for entry in publisher.publications():  # newest first: a concept DOI finds the latest
        record = entry.record or {}
        if entry.published and lowered in {
            str(record.get("doi") or "").lower(),
            str(record.get("concept_doi") or "").lower(),
        }:
            return _own(entry.id, given, publisher)
    problems: list[str] = []
    for settings in publisher.archives:
        if settings.error or settings.type == "local":
            continue
        try:
            adapter = reader(publisher, settings)
        except StepFailed:
            continue
        try:
            found = adapter.find_doi(doi)
        except EsapError as exc:
            problems.append(f"{settings.name}: {exc.message}")
            continue
        except (httpx.HTTPError, OSError) as exc:
            problems.append(f"{settings.name}: {classify(exc, service=settings.name).message}")
            continue
        finally:
            adapter.close()
        if found:
            return Source(given, settings, opaque_id(str(found), "record"), doi=doi)
    page = _resolve_doi(doi)
    if page is not None:
        source = _by_url(page, given, publisher)
        return Source(source.given, source.archive, source.record_id, source.publication, doi)
    asked = "; ".join(problems)
    raise _not_found(
        given,
        "no archive of this hub knows this DOI, and doi.org could not be asked"
        + (f" ({asked})" if asked else ""),
        "give the record's page (its URL) instead, or ask the hub admin to add its archive",
    )


def _resolve_doi(doi: str) -> str | None:
    """Where doi.org sends ``doi`` (the record's page), or ``None`` when it cannot be asked."""
    try:
        response = httpx.get(
            f"{DOI_RESOLVER}/{doi}", follow_redirects=False, timeout=httpx.Timeout(10.0)
        )
    except httpx.HTTPError:
        return None
    location = response.headers.get("Location")
    return location if response.is_redirect and location else None


def _local_record(record_id: str, given: str, publisher: Publisher) -> Source:
    locals_ = [a for a in publisher.archives if a.type == "local" and not a.error]
    if not locals_:
        raise _not_found(given, "this hub has no local archive", "give the record's URL")
    try:
        record_id = opaque_id(record_id, "record")
    except BadId as exc:
        raise _not_found(given, exc.message, exc.fix) from None
    for settings in locals_:
        root = Path(settings.path or "~/.esap/archive").expanduser()
        if (root / record_id / "bagit.txt").is_file():
            return Source(given, settings, record_id)
    raise _not_found(
        given, "no local archive of this hub holds this record", "check the id or the URL"
    )


def _by_url(url: str, given: str, publisher: Publisher) -> Source:
    parts = urlsplit(url)
    if parts.scheme.lower() == "file":
        path = Path(unquote(parts.path)).resolve()
        for settings in publisher.archives:
            if settings.type != "local" or settings.error:
                continue
            root = Path(settings.path or "~/.esap/archive").expanduser().resolve()
            if root in path.parents:
                record_id = path.relative_to(root).parts[0]
                return _local_record(record_id, given, publisher)
        raise _not_found(
            given, "this folder is in no local archive of this hub", "check the record's URL"
        )
    found = _RECORD_PATH.search(parts.path)
    if not found:
        raise _not_found(
            given,
            "this URL names no record (a record's page looks like https://host/records/123)",
            "open the record in a browser and copy its address",
        )
    try:
        record_id = opaque_id(unquote(found.group(1)), "record")
    except BadId as exc:
        raise _not_found(given, exc.message, exc.fix) from None
    origin = (parts.scheme.lower(), parts.netloc.lower())
    for settings in publisher.archives:
        if not settings.url or settings.error:
            continue
        own = urlsplit(settings.url)
        if (own.scheme.lower(), own.netloc.lower()) == origin:
            return Source(given, settings, record_id)
    # a site the hub does not configure: its public records API, read without a token
    kind = "zenodo" if "zenodo" in parts.netloc.lower() else "invenio-rdm"
    base = f"{parts.scheme}://{parts.netloc}/api"
    settings = ArchiveSettings(name=parts.netloc, type=kind, title=parts.netloc, url=base)
    return Source(given, settings, record_id)


__all__ = ["DOI_RESOLVER", "ReadableArchive", "Source", "reader", "resolve", "unavailable"]
