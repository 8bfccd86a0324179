"""The software catalogue interface, and the record every catalogue answers with.

What an adapter receives: one :class:`CatalogueEntry` (name, type, title,
url, path, description, enabled, the raw options) and the folder relative
paths are relative to; as ``self.options``, its options validated by its
own ``Options`` model (an :class:`~esap.config.options.AdapterOptions`;
any mapping when it declares none).

A catalogue adapter overrides two methods:

- ``search(query)``: the records matching a :class:`SoftwareQuery` (keyword,
  language, licence, runtime). Catalogues whose API filters only by keyword
  return candidates and let :func:`matches` apply the rest.
- ``get(identifier)``: one record with every detail (codemeta) it has.

Errors: raise :class:`CatalogueError` when the catalogue cannot answer (its
message says what and what to do) and ``LookupError`` from ``get`` when
there is no such record. A failed request (httpx's or requests' errors)
may go through as it is: it is named by its kind (a host that does not
resolve, a refused connection, a time-out, an HTTP error with the
catalogue's text...) by :func:`esap.core.failures.classify`, the one
classification every adapter's failures go through (the built-in adapters
raise its result themselves). Anything else an adapter raises is contained too:
a search reports it as that catalogue's error beside the other catalogues'
hits, and a record answers 502 naming the catalogue.

Records are built from codemeta (``from_codemeta``), the metadata standard
both the OSSR and curated catalogues use, so the details view reads the same
whichever catalogue a record came from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from esap.config.options import AdapterOptions, FreeOptions, options_for
from esap.core.errors import NotFound, UpstreamError
from esap.core.text import plain_text


class CatalogueError(UpstreamError):
    """A catalogue could not answer; the message names it and what to do."""

    code = "catalogue_error"
    fix = "retry later, or ask the hub admin"


class UnknownCatalogue(NotFound):
    """No software catalogue of that name is offered here."""

    fix = "name one of the catalogues the hub offers"

    def __init__(self, name: str) -> None:
        super().__init__(f"no software catalogue {name!r}")


class RecordNotFound(NotFound):
    """The catalogue holds no record of that identifier."""

    fix = "take the identifier of a hit of a software search"

    def __init__(self, catalogue: str, identifier: str) -> None:
        super().__init__(f"{catalogue}: no software {identifier!r}")


@dataclass(frozen=True)
class CatalogueEntry:
    """What ESAP knows about one configured catalogue (an entry of the public config)."""

    name: str
    type: str
    title: str = ""
    url: str | None = None
    path: str | None = None
    description: str = ""
    enabled: bool = True
    options: Mapping[str, Any] = field(default_factory=dict)
    #: Why the hub could not load this entry's adapter (then every call says so).
    error: str | None = None

    @classmethod
    def from_public(cls, entry: Mapping[str, Any]) -> CatalogueEntry:
        """Build from an entry of the public config."""
        return cls(
            name=str(entry["name"]),
            type=str(entry["type"]),
            title=str(entry.get("title") or entry["name"]),
            url=str(entry["url"]) if entry.get("url") else None,
            path=str(entry["path"]) if entry.get("path") else None,
            description=str(entry.get("description") or ""),
            enabled=entry.get("enabled", True) is not False,
            options=dict(entry.get("options") or {}),
            error=str(entry["error"]) if entry.get("error") else None,
        )


@dataclass(frozen=True)
class SoftwareQuery:
    """What a user searches for; every part optional, all must match."""

    text: str | None = None
    language: str | None = None
    licence: str | None = None
    runtime: str | None = None
    limit: int = 50


@dataclass
class SoftwareRecord:
    """A piece of software as a catalogue describes it (codemeta terms)."""

    catalogue: str
    identifier: str
    name: str
    description: str = ""
    version: str | None = None
    licence: str | None = None
    languages: list[str] = field(default_factory=list)
    runtimes: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    repository: str | None = None
    ref: str | None = None
    url: str | None = None
    doi: str | None = None
    publications: list[str] = field(default_factory=list)
    codemeta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # archives describe software in HTML; every face shows text (esap.core.text)
        self.description = plain_text(self.description)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (the REST answer)."""
        return asdict(self)

    def basket_item(self) -> dict[str, Any]:
        """The basket's software item for this record."""
        return {
            "kind": "software",
            "catalogue": self.catalogue,
            "identifier": self.identifier,
            "title": self.name,
            "repository": self.repository,
            "ref": self.ref,
            "url": self.url,
            "version": self.version,
            "licence": self.licence,
            "languages": self.languages,
            "description": self.description[:2000],
        }


def _texts(value: Any) -> list[str]:
    """A codemeta value that may be a string, a list, or objects with a name."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, dict):
        for key in ("name", "@id", "identifier", "url"):
            if isinstance(value.get(key), str):
                return [value[key]]
        return []
    if isinstance(value, list):
        return [text for entry in value for text in _texts(entry)]
    return [str(value)]


def _person(value: Any) -> str:
    if isinstance(value, dict):
        name = value.get("name") or " ".join(
            str(value[key]) for key in ("givenName", "familyName") if value.get(key)
        )
        return str(name)
    return str(value)


def _licence(value: Any) -> str | None:
    for text in _texts(value):
        # https://spdx.org/licenses/MIT or MIT
        return text.rstrip("/").rsplit("/", 1)[-1].removesuffix(".html")
    return None


def from_codemeta(
    catalogue: str, document: dict[str, Any], identifier: str | None = None
) -> SoftwareRecord:
    """A record from a codemeta.json document (codemeta 2.0 / 3.0 terms)."""
    authors = document.get("author") or []
    if not isinstance(authors, list):
        authors = [authors]
    repository = _texts(document.get("codeRepository"))
    ident = identifier or next(
        iter(_texts(document.get("identifier")) + _texts(document.get("@id"))), None
    )
    name = str(document.get("name") or ident or "unnamed software")
    doi = next((t for t in _texts(document.get("identifier")) if "10." in t), None)
    return SoftwareRecord(
        catalogue=catalogue,
        identifier=str(ident or name),
        name=name,
        description=str(document.get("description") or ""),
        version=str(document["version"]) if document.get("version") else None,
        licence=_licence(document.get("license")),
        languages=_texts(document.get("programmingLanguage")),
        runtimes=_texts(document.get("runtimePlatform")),
        keywords=_texts(document.get("keywords")),
        authors=[_person(author) for author in authors],
        repository=repository[0] if repository else None,
        ref=str(document.get("softwareVersion") or document.get("version") or "") or None,
        url=next(iter(_texts(document.get("url"))), None),
        doi=doi,
        publications=_texts(document.get("referencePublication")),
        codemeta=document,
    )


def _has(values: list[str], wanted: str) -> bool:
    wanted = wanted.lower()
    return any(wanted in value.lower() for value in values)


def matches(record: SoftwareRecord, query: SoftwareQuery) -> bool:
    """Whether a record meets every part of the query (case-insensitive, substring)."""
    if query.text:
        haystack = " ".join(
            [record.name, record.description, *record.keywords, *record.authors]
        ).lower()
        if not all(word in haystack for word in query.text.lower().split()):
            return False
    if query.language and not _has(record.languages, query.language):
        return False
    if query.licence and not (record.licence and query.licence.lower() in record.licence.lower()):
        return False
    return not (query.runtime and not _has(record.runtimes, query.runtime))


class SoftwareCatalogue:
    """Base of the software catalogue adapters (see the module docstring for what to override).

    ``entry`` is the catalogue's :class:`CatalogueEntry` (a mapping of the
    public config is accepted and converted); ``base`` is the folder
    relative paths are relative to.
    """

    #: The options the admin may give under ``options:`` (any mapping when not declared).
    Options: ClassVar[type[AdapterOptions]] = FreeOptions

    def __init__(self, entry: CatalogueEntry | Mapping[str, Any], base: Path | None = None) -> None:
        self.entry = (
            entry if isinstance(entry, CatalogueEntry) else CatalogueEntry.from_public(entry)
        )
        self.name = self.entry.name
        #: The entry's options, validated by the adapter's ``Options`` model.
        self.options: AdapterOptions = options_for(type(self), self.entry.options)
        self.base = base or Path.cwd()

    def search(self, query: SoftwareQuery) -> list[SoftwareRecord]:
        """The records matching ``query``."""
        raise NotImplementedError

    def get(self, identifier: str) -> SoftwareRecord:
        """One record with all its details; ``LookupError`` if there is none."""
        raise NotImplementedError


__all__ = [
    "CatalogueEntry",
    "CatalogueError",
    "SoftwareCatalogue",
    "SoftwareQuery",
    "SoftwareRecord",
    "from_codemeta",
    "matches",
]
