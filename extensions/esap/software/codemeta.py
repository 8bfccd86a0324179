"""A curated catalogue: a folder (or URLs) of codemeta.json files named in ``esap.yaml``.

``path`` is a folder searched for ``*.json`` codemeta documents; ``url``
(and ``options.urls``) name codemeta.json documents, or JSON lists of them,
fetched with httpx (a failure named by :func:`esap.core.failures.classify`).
The catalogue is small and read once per instance.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import httpx
from pydantic import Field, HttpUrl

from esap.config.options import AdapterOptions
from esap.core.failures import classify
from esap.software import BinderOptions
from esap.software.base import (
    CatalogueEntry,
    CatalogueError,
    SoftwareCatalogue,
    SoftwareQuery,
    SoftwareRecord,
    from_codemeta,
    matches,
)


class CodemetaOptions(BinderOptions):
    """Where a curated catalogue's codemeta.json documents are, beside its path and url."""

    urls: list[HttpUrl] = Field(
        default_factory=list,
        description="More codemeta.json documents (or JSON lists of them) to read over "
        "HTTP(S), after the path's files and the url's document.",
        examples=[["https://example.org/gammapy/codemeta.json"]],
    )
    timeout: float = Field(
        default=30.0, gt=0, description="Seconds to wait for each document read over HTTP(S)."
    )


class CodemetaCatalogue(SoftwareCatalogue):
    """Software described by codemeta.json files an admin curates."""

    Options: ClassVar[type[AdapterOptions]] = CodemetaOptions
    options: CodemetaOptions

    def __init__(self, entry: CatalogueEntry | Mapping[str, Any], base: Path | None = None) -> None:
        super().__init__(entry, base)
        self._records: list[SoftwareRecord] | None = None

    def _documents(self) -> list[tuple[str, Any]]:
        found: list[tuple[str, Any]] = []
        path = self.entry.path
        if path:
            folder = Path(path) if Path(path).is_absolute() else self.base / path
            if not folder.is_dir():
                raise CatalogueError(
                    f"software_catalogues.{self.name}.path: {folder} is not a folder",
                    "name a folder of codemeta.json files",
                )
            for file in sorted(folder.rglob("*.json")):
                try:
                    found.append((file.name, json.loads(file.read_text(encoding="utf-8"))))
                except (OSError, ValueError) as exc:
                    raise CatalogueError(
                        f"{file}: not a readable codemeta JSON file ({exc})"
                    ) from None
        urls: list[str] = [self.entry.url] if self.entry.url else []
        urls += [str(url) for url in self.options.urls]
        timeout = self.options.timeout
        for url in urls:
            try:
                response = httpx.get(str(url), timeout=timeout, follow_redirects=True)
                response.raise_for_status()
                found.append((str(url), response.json()))
            except (httpx.HTTPError, ValueError) as exc:  # named by the one classification
                raise classify(
                    exc,
                    service=self.name,
                    url=str(url),
                    timeout=timeout,
                    timeout_setting=f"options.timeout of the catalogue {self.name} in esap.yaml",
                ) from exc
        return found

    def records(self) -> list[SoftwareRecord]:
        """Every record of the catalogue."""
        if self._records is None:
            records = []
            for source, document in self._documents():
                for entry in document if isinstance(document, list) else [document]:
                    if isinstance(entry, dict):
                        records.append(from_codemeta(self.name, entry))
                    else:
                        raise CatalogueError(f"{source}: expected a codemeta object")
            self._records = records
        return self._records

    def search(self, query: SoftwareQuery) -> list[SoftwareRecord]:
        return [r for r in self.records() if matches(r, query)][: query.limit]

    def get(self, identifier: str) -> SoftwareRecord:
        for record in self.records():
            if record.identifier == identifier:
                return record
        raise LookupError(f"{self.name}: no software {identifier!r}")


__all__ = ["CodemetaCatalogue", "CodemetaOptions"]
