"""The ``zenodo`` archive: Zenodo's deposition REST API (developers.zenodo.org).

Draft: ``POST /deposit/depositions`` with the metadata and the journal's
marker in ``notes`` (so a retry finds the draft with ``GET
/deposit/depositions?q=...&status=draft`` if the answer was lost); files:
``PUT <links.bucket>/<name>`` streamed, answered with the MD5 the engine
checks; metadata: ``PUT /deposit/depositions/:id`` (the marker goes); publish:
``POST .../actions/publish`` → DOI. A new version is ``POST
.../actions/newversion`` on the published record, whose new draft is
``links.latest_draft``; Zenodo documents that calling it again returns the
same draft, so it is safe to retry, and the new record keeps the concept DOI.

Zenodo takes no byte ranges on bucket uploads, so a dropped upload is sent
again from its first byte (streamed, constant memory); files already in the
draft with the right checksum are never sent twice.

``url`` in ``esap.yaml`` is the API base, e.g. ``https://zenodo.org/api`` or
``https://sandbox.zenodo.org/api``; each user stores their own personal token
(scopes ``deposit:write`` and ``deposit:actions``).
"""

from __future__ import annotations

import html
import re
from typing import Any, ClassVar
from urllib.parse import quote

from esap.config.options import AdapterOptions
from esap.core.ids import opaque_id
from esap.publish.base import (
    ArchiveError,
    Draft,
    DraftStatus,
    FileSource,
    PublishedRecord,
    Record,
    RemoteFile,
)
from esap.publish.metadata import Metadata
from esap.publish.remote import (
    HttpArchive,
    RemoteOptions,
    first_hit,
    md5_of_checksum,
    published_record,
)

#: A Zenodo DOI names its record: ``10.5281/zenodo.123`` (``10.5072/`` on the sandbox).
_RECORD_DOI = re.compile(r"^10\.\d{4,9}/zenodo\.(\d+)$", re.IGNORECASE)


def _relation(name: str) -> str:
    """DataCite ``IsSupplementTo`` -> Zenodo's ``isSupplementTo``."""
    return name[:1].lower() + name[1:]


def zenodo_metadata(metadata: Metadata, community: str | None) -> dict[str, Any]:
    """Map ESAP's metadata onto Zenodo's deposition metadata."""
    body: dict[str, Any] = {
        "upload_type": metadata.resource_type,
        "title": metadata.title,
        "creators": [
            {
                key: value
                for key, value in (
                    ("name", creator.name),
                    ("affiliation", creator.affiliation),
                    ("orcid", creator.orcid),
                )
                if value
            }
            for creator in metadata.creators
        ],
        # Zenodo renders the description as HTML: send the user's text as text
        "description": "<p>" + html.escape(metadata.description).replace("\n", "<br>") + "</p>",
        "access_right": "open",
        "license": metadata.license.lower(),
        "publication_date": metadata.publication_date,
    }
    if metadata.resource_type == "publication":
        body["publication_type"] = "other"
    if metadata.resource_type == "image":
        body["image_type"] = "other"
    if metadata.keywords:
        body["keywords"] = list(metadata.keywords)
    if metadata.related_identifiers:
        body["related_identifiers"] = [
            {"identifier": item.identifier, "relation": _relation(item.relation)}
            for item in metadata.related_identifiers
        ]
    chosen = metadata.community or community
    if chosen:
        body["communities"] = [{"identifier": chosen}]
    if metadata.version:
        body["version"] = metadata.version
    return body


class ZenodoOptions(RemoteOptions):
    """A Zenodo archive's options: only how long Zenodo may take (each user brings a token)."""


class ZenodoArchive(HttpArchive):
    """Publish to Zenodo (or its sandbox) with the user's personal token."""

    Options: ClassVar[type[AdapterOptions]] = ZenodoOptions
    needs_token: ClassVar[bool] = True
    label: ClassVar[str] = "Zenodo"

    def _draft(self, body: dict[str, Any]) -> Draft:
        links = {key: str(value) for key, value in (body.get("links") or {}).items()}
        return Draft(id=str(body["id"]), links=links)

    def _deposition(self, draft: Draft) -> str:
        return draft.links.get("self") or self.url("deposit", "depositions", draft.id)

    def create_draft(self, metadata: Metadata, marker: str) -> Draft:
        body = zenodo_metadata(metadata, self.settings.community)
        body["notes"] = marker
        return self._draft(
            self.json("POST", self.url("deposit", "depositions"), json={"metadata": body})
        )

    def find_draft(self, marker: str) -> Draft | None:
        page = 1
        while True:
            found = self.json(
                "GET",
                self.url("deposit", "depositions"),
                params={"q": f'"{marker}"', "status": "draft", "size": 100, "page": page},
            )
            if not found:
                return None
            for item in found:
                if marker in str((item.get("metadata") or {}).get("notes") or ""):
                    return self._draft(item)
            if len(found) < 100:
                return None
            page += 1

    def new_version(self, record_id: str, metadata: Metadata, marker: str) -> Draft:
        original = self.json(
            "POST", self.url("deposit", "depositions", record_id, "actions", "newversion")
        )
        latest = (original.get("links") or {}).get("latest_draft")
        if not latest:
            raise ArchiveError(f"Zenodo made no new version draft of record {record_id}")
        return self._draft(self.json("GET", latest))

    def _record(self, body: dict[str, Any]) -> Record:
        links = body.get("links") or {}
        doi = body.get("doi") or None
        url = (
            links.get("record_html")
            or links.get("latest_html")
            or links.get("html")
            or (f"https://doi.org/{doi}" if doi else "")
        )
        return Record(
            id=str(body.get("record_id") or body["id"]),
            url=str(url),
            doi=doi,
            concept_doi=body.get("conceptdoi") or None,
            concept_id=str(body.get("conceptrecid") or "") or None,
        )

    def status(self, draft: Draft) -> DraftStatus:
        body = self.json("GET", self._deposition(draft))
        if body.get("submitted") and body.get("state") == "done":
            return DraftStatus(published=True, files={}, record=self._record(body))
        bucket = (body.get("links") or {}).get("bucket") or draft.links.get("bucket")
        files: dict[str, RemoteFile] = {}
        if bucket:
            listing = self.json("GET", bucket)
            for item in listing.get("contents") or []:
                files[item["key"]] = RemoteFile(
                    name=item["key"], size=int(item["size"]), md5=md5_of_checksum(item["checksum"])
                )
        else:  # the older files API
            for item in body.get("files") or []:
                files[item["filename"]] = RemoteFile(
                    name=item["filename"], size=int(item["filesize"]), md5=item.get("checksum")
                )
        return DraftStatus(published=False, files=files)

    def _bucket(self, draft: Draft) -> str:
        bucket = draft.links.get("bucket")
        if not bucket:
            body = self.json("GET", self._deposition(draft))
            bucket = (body.get("links") or {}).get("bucket")
        if not bucket:
            raise ArchiveError(f"Zenodo gave no file bucket for draft {draft.id}")
        return str(bucket)

    def upload(self, draft: Draft, name: str, source: FileSource) -> RemoteFile:
        url = f"{self._bucket(draft)}/{quote(name, safe='/')}"
        body = self.stream("PUT", url, source).json()
        return RemoteFile(
            name=str(body.get("key", name)),
            size=int(body.get("size", -1)),
            md5=md5_of_checksum(body.get("checksum")),
        )

    def delete_file(self, draft: Draft, name: str) -> None:
        response = self.client.delete(f"{self._bucket(draft)}/{quote(name, safe='/')}")
        if response.status_code >= 400 and response.status_code != 404:
            raise self.error(response)

    def set_metadata(self, draft: Draft, metadata: Metadata) -> None:
        body = zenodo_metadata(metadata, self.settings.community)
        self.json("PUT", self._deposition(draft), json={"metadata": body})

    def publish(self, draft: Draft) -> Record:
        url = draft.links.get("publish") or f"{self._deposition(draft)}/actions/publish"
        return self._record(self.json("POST", url))

    def draft_url(self, draft: Draft) -> str | None:
        return draft.links.get("html")

    # -- reading records back (esap reproduce) ------------------------------
    def published(self, record_id: str) -> PublishedRecord:
        """``GET /records/:id``: a published record and its files (public, no token needed)."""
        record_id = opaque_id(record_id, "record")
        return published_record(self, record_id, self.json("GET", self.url("records", record_id)))

    def find_doi(self, doi: str) -> str | None:
        """The record of a DOI: named by a Zenodo DOI itself, else found by a records search."""
        own = _RECORD_DOI.match(doi)
        if own:
            return own.group(1)
        answer = self.json(
            "GET",
            self.url("records"),
            params={"q": f'doi:"{doi}" OR conceptdoi:"{doi}"', "sort": "mostrecent"},
        )
        return first_hit(answer, doi)


__all__ = ["ZenodoArchive", "ZenodoOptions", "zenodo_metadata"]
