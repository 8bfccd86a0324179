"""The ESCAPE OSSR: software records of a Zenodo community, through Zenodo's public REST API.

Searches ``GET {url}/records?communities=<community>&q=...&type=software``
(Zenodo's documented records API; no token needed for public records) and
reads a record's details from ``GET {url}/records/{id}``, merging the
``codemeta.json`` the OSSR asks every record to carry. The ``eossr``
library wraps the same API but pulls in a large dependency tree for what
is two GET requests here, so httpx is used directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import httpx
from pydantic import Field

from esap import __version__
from esap.config.options import AdapterOptions
from esap.core.failures import classify
from esap.core.ids import url_segment
from esap.software import BinderOptions
from esap.software.base import (
    CatalogueEntry,
    SoftwareCatalogue,
    SoftwareQuery,
    SoftwareRecord,
    from_codemeta,
    matches,
)

DEFAULT_URL = "https://zenodo.org/api"


class OssrOptions(BinderOptions):
    """Which Zenodo community is the catalogue, and how long Zenodo may take to answer."""

    community: str = Field(
        default="escape2020",
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The Zenodo community whose software records are listed (its id, as in "
        "zenodo.org/communities/<id>); escape2020 is the OSSR.",
    )
    timeout: float = Field(
        default=30.0, gt=0, description="Seconds to wait for each answer from Zenodo."
    )


class OssrCatalogue(SoftwareCatalogue):
    """Software of a Zenodo community (``options.community``, default escape2020)."""

    Options: ClassVar[type[AdapterOptions]] = OssrOptions
    options: OssrOptions

    def __init__(self, entry: CatalogueEntry | Mapping[str, Any], base: Path | None = None) -> None:
        super().__init__(entry, base)
        self.url = str(self.entry.url or DEFAULT_URL).rstrip("/")
        self.community = self.options.community
        self.timeout = self.options.timeout

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        url = f"{self.url}/{path}"
        try:
            response = httpx.get(
                url,
                params=params,
                timeout=self.timeout,
                follow_redirects=True,
                headers={"Accept": "application/json", "User-Agent": f"esap-hub/{__version__}"},
            )
            if response.status_code == 404:
                raise LookupError(f"{self.name}: no record at {path}")
            response.raise_for_status()
            return response.json()
        except (httpx.HTTPError, ValueError) as exc:  # named by the one classification
            raise classify(
                exc,
                service=self.name,
                url=url,
                timeout=self.timeout,
                timeout_setting=f"options.timeout of the catalogue {self.name} in esap.yaml",
            ) from exc

    def record(self, hit: dict[str, Any]) -> SoftwareRecord:
        """A search hit or a record as a SoftwareRecord (Zenodo metadata terms)."""
        metadata = hit.get("metadata") or {}
        creators = [
            c.get("name", "") for c in metadata.get("creators") or [] if isinstance(c, dict)
        ]
        licence = metadata.get("license")
        licence_id = licence.get("id") if isinstance(licence, dict) else licence
        related = metadata.get("related_identifiers") or []
        repository = next(
            (
                r.get("identifier")
                for r in related
                if isinstance(r, dict)
                and r.get("relation") == "isSupplementTo"
                and str(r.get("identifier", "")).startswith("http")
            ),
            None,
        )
        publications = [
            str(r.get("identifier"))
            for r in related
            if isinstance(r, dict)
            and r.get("relation") in ("isCitedBy", "isDocumentedBy", "isReferencedBy")
        ]
        links = hit.get("links") or {}
        return SoftwareRecord(
            catalogue=self.name,
            identifier=str(hit.get("id") or hit.get("recid")),
            name=str(metadata.get("title") or hit.get("title") or hit.get("id")),
            description=str(metadata.get("description") or ""),
            version=metadata.get("version"),
            licence=str(licence_id) if licence_id else None,
            keywords=[str(k) for k in metadata.get("keywords") or []],
            authors=creators,
            repository=repository,
            ref=metadata.get("version"),
            url=links.get("self_html") or links.get("html"),
            doi=hit.get("doi") or metadata.get("doi"),
            publications=publications,
        )

    def search(self, query: SoftwareQuery) -> list[SoftwareRecord]:
        params: dict[str, Any] = {
            "communities": self.community,
            "type": "software",
            "size": min(max(query.limit, 1), 100),
            "sort": "bestmatch" if query.text else "mostrecent",
        }
        if query.text:
            params["q"] = query.text
        answer = self._get("records", params)
        hits = (answer.get("hits") or {}).get("hits") or []
        records = [self.record(hit) for hit in hits if isinstance(hit, dict)]
        # Zenodo filters by keyword only; the rest needs codemeta (language, runtime)
        rest = SoftwareQuery(None, query.language, query.licence, query.runtime)
        if query.language or query.runtime:
            records = [
                self._detailed(r.identifier, hit) for r, hit in zip(records, hits, strict=False)
            ]
        return [r for r in records if matches(r, rest)][: query.limit]

    def _detailed(self, identifier: str, hit: dict[str, Any]) -> SoftwareRecord:
        record = self.record(hit)
        for file in hit.get("files") or []:
            if isinstance(file, dict) and file.get("key") == "codemeta.json":
                link = (file.get("links") or {}).get("self")
                if not link:
                    continue
                try:
                    response = httpx.get(link, timeout=self.timeout, follow_redirects=True)
                    response.raise_for_status()
                    codemeta = response.json()
                except (httpx.HTTPError, ValueError):
                    return record  # the Zenodo metadata still describe it
                merged = from_codemeta(self.name, codemeta, identifier)
                for name in ("languages", "runtimes", "publications"):
                    if getattr(merged, name):
                        setattr(record, name, getattr(merged, name))
                record.repository = merged.repository or record.repository
                record.codemeta = codemeta
        return record

    def get(self, identifier: str) -> SoftwareRecord:
        """One record by its Zenodo id (digits): never a path on the catalogue's host."""
        if not identifier.isascii() or not identifier.isdigit():
            raise LookupError(f"{self.name}: {identifier[:80]!r} is not a Zenodo record id")
        return self._detailed(identifier, self._get(f"records/{url_segment(identifier)}"))


__all__ = ["OssrCatalogue", "OssrOptions"]
