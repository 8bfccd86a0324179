"""``community-list``: the software a community recommends, one JSON list of codemeta documents.

A community keeps its list in one file, on a web server (``url``) or on the
hub's disk (``path``; relative to ``esap.yaml``). ``topics`` narrows it to
records with one of those keywords, so several entries can show one list by
topic ("imaging software", "calibration software").
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import httpx
from esap.config.options import AdapterOptions
from esap.software.base import (
    CatalogueEntry,
    CatalogueError,
    SoftwareCatalogue,
    SoftwareQuery,
    SoftwareRecord,
    from_codemeta,
    matches,
)
from pydantic import Field


class CommunityListOptions(AdapterOptions):
    """What the admin writes under ``options:`` for a ``community-list`` catalogue."""

    topics: list[str] = Field(
        default_factory=list,
        description="Keep only records with one of these keywords (any case); empty: all.",
    )
    max_records: int = Field(
        default=500, ge=1, description="Records read from the list at most (after topics)."
    )


class CommunityList(SoftwareCatalogue):
    """A JSON list of codemeta documents, read once per instance."""

    Options: ClassVar[type[AdapterOptions]] = CommunityListOptions
    options: CommunityListOptions

    def __init__(self, entry: CatalogueEntry | Mapping[str, Any], base: Path | None = None) -> None:
        super().__init__(entry, base)
        self._records: list[SoftwareRecord] | None = None

    def _document(self) -> Any:
        """The list as JSON, from ``url`` or ``path``."""
        entry = self.entry
        if entry.url:
            try:
                answer = httpx.get(entry.url, timeout=30, follow_redirects=True)
                answer.raise_for_status()
                return answer.json()
            except (httpx.HTTPError, ValueError) as exc:
                raise CatalogueError(f"{self.name}: cannot read {entry.url} ({exc})") from None
        if entry.path:
            path = Path(entry.path) if Path(entry.path).is_absolute() else self.base / entry.path
            try:
                return json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CatalogueError(f"{self.name}: cannot read {path} ({exc})") from None
        raise CatalogueError(
            f"{self.name}: no list to read — give the entry a url: or a path: of a JSON list "
            "of codemeta documents"
        )

    def records(self) -> list[SoftwareRecord]:
        """The list's records on the entry's topics, at most ``max_records``."""
        if self._records is None:
            document = self._document()
            if not isinstance(document, list) or not all(isinstance(d, dict) for d in document):
                raise CatalogueError(f"{self.name}: expected a JSON list of codemeta objects")
            topics = {topic.lower() for topic in self.options.topics}
            records = [from_codemeta(self.name, item) for item in document]
            if topics:
                records = [r for r in records if topics & {k.lower() for k in r.keywords}]
            self._records = records[: self.options.max_records]
        return self._records

    def search(self, query: SoftwareQuery) -> list[SoftwareRecord]:
        return [r for r in self.records() if matches(r, query)][: query.limit]

    def get(self, identifier: str) -> SoftwareRecord:
        for record in self.records():
            if record.identifier == identifier:
                return record
        raise LookupError(f"{self.name}: no software {identifier!r}")


__all__ = ["CommunityList", "CommunityListOptions"]
