"""The basket's items: what a user collected, typed by kind.

Three kinds share one envelope (``id``, ``kind``, ``title``, ``notes``,
``group``, ``added``) and add their own fields:

- ``data``: one record a data service returned: the ``service`` that holds
  it, its ``access_url``, ``format`` (a MIME type), ``size`` in bytes,
  ``checksum`` (``"md5:<hex>"`` or ``"sha256:<hex>"``) when the archive
  gives one, the ``query`` that found it (the search request object or the
  ADQL text) and the row's ``fields`` (column -> JSON scalar).
- ``service``: a data service (``service`` name, ``type`` such as tap, ``url``).
- ``software``: an entry of a software catalogue (``catalogue``,
  ``identifier``, ``repository``, ``ref``, ``url``, ``licence``,
  ``languages``, ``version``, ``description``).

The models are pydantic, so an imported basket file and a REST body are
checked by the same code and a bad field is named with its path. ``key``
gives an item's identity: adding the same record twice keeps one item.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

KINDS = ("data", "service", "software")

#: A value of a row's field: what JSON and VOTable cells can both hold.
Scalar = str | int | float | bool | None

CHECKSUM_ALGORITHMS = ("md5", "sha1", "sha256", "sha512")


def new_id() -> str:
    """A fresh item id: 32 hex digits, unguessable, stable across export/import."""
    return os.urandom(16).hex()


def now() -> datetime:
    """The current time in UTC, to the second (what the panel and exports show)."""
    return datetime.now(UTC).replace(microsecond=0)


class _Item(BaseModel):
    """The envelope every item shares."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=new_id, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    title: str = Field(default="", max_length=1000)
    notes: str = Field(default="", max_length=100_000)
    group: str = Field(default="", max_length=200, description="User's group; '' = none.")
    added: datetime = Field(default_factory=now)

    @field_validator("added")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        """Times without a zone are taken as UTC, so exports compare equal everywhere."""
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    def key(self) -> str:  # pragma: no cover - every kind overrides it
        raise NotImplementedError

    def label(self) -> str:
        """What the basket shows when the user gave no title."""
        return self.title or self.id


class DataItem(_Item):
    """A data record a service returned, with what is needed to fetch and cite it."""

    kind: Literal["data"] = "data"
    service: str = Field(min_length=1, max_length=200)
    access_url: str | None = None
    format: str | None = None
    size: int | None = Field(default=None, ge=0)
    checksum: str | None = None
    query: dict[str, Any] | str | None = None
    fields: dict[str, Scalar] = Field(default_factory=dict)

    @field_validator("access_url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://", "file://")):
            raise ValueError("must be an http(s) URL, e.g. https://archive.example.org/file.fits")
        return value

    @field_validator("checksum")
    @classmethod
    def _checksum(cls, value: str | None) -> str | None:
        if value is None:
            return None
        algorithm, _, digest = value.partition(":")
        if algorithm.lower() not in CHECKSUM_ALGORITHMS or not digest:
            raise ValueError(
                "must be <algorithm>:<hex digest> with algorithm one of "
                f"{', '.join(CHECKSUM_ALGORITHMS)}, e.g. md5:9e107d9d372bb6826bd81d3542a419d6"
            )
        return f"{algorithm.lower()}:{digest.lower()}"

    def key(self) -> str:
        if self.access_url:
            return f"data:{self.service}:{self.access_url}"
        digest = hashlib.sha256(json.dumps(self.fields, sort_keys=True).encode()).hexdigest()
        return f"data:{self.service}:fields:{digest[:32]}"

    def label(self) -> str:
        if self.title:
            return self.title
        if self.access_url:
            return self.access_url.rstrip("/").rsplit("/", 1)[-1] or self.access_url
        return f"{self.service} record"

    def query_text(self) -> str | None:
        """The query as one string: ADQL as is, a search request as JSON."""
        if self.query is None or isinstance(self.query, str):
            return self.query
        return json.dumps(self.query, sort_keys=True)

    def as_input(self) -> dict[str, Any]:
        """The input-dataset record a publication's provenance takes."""
        return {
            "service": self.service,
            "access_url": self.access_url,
            "query": self.query_text(),
            "title": self.label(),
        }


class ServiceItem(_Item):
    """A data service the user wants to come back to."""

    kind: Literal["service"] = "service"
    service: str = Field(min_length=1, max_length=200)
    type: str = Field(default="", max_length=100, description="Adapter name, e.g. tap.")
    url: str | None = None
    description: str = ""

    def key(self) -> str:
        return f"service:{self.service}:{self.url or ''}"

    def label(self) -> str:
        return self.title or self.service


class SoftwareItem(_Item):
    """An entry of a software catalogue (codemeta, the OSSR)."""

    kind: Literal["software"] = "software"
    catalogue: str = Field(min_length=1, max_length=200)
    identifier: str = Field(min_length=1, max_length=500)
    repository: str | None = None
    ref: str | None = None
    url: str | None = None
    version: str | None = None
    licence: str | None = None
    languages: list[str] = Field(default_factory=list)
    description: str = ""

    def key(self) -> str:
        return f"software:{self.catalogue}:{self.identifier}"

    def label(self) -> str:
        return self.title or self.identifier


Item = Annotated[DataItem | ServiceItem | SoftwareItem, Field(discriminator="kind")]

#: Validates any item (a dict with ``kind``), naming the bad field's path on error.
ITEM: TypeAdapter[DataItem | ServiceItem | SoftwareItem] = TypeAdapter(Item)

AnyItem = DataItem | ServiceItem | SoftwareItem


def parse_item(raw: Any) -> AnyItem:
    """One item from a dict (REST body, imported file); ``pydantic.ValidationError`` if bad."""
    return ITEM.validate_python(raw)


def item_dict(item: AnyItem) -> dict[str, Any]:
    """The item as JSON-ready data (what REST answers and JSON exports hold)."""
    return item.model_dump(mode="json")


__all__ = [
    "CHECKSUM_ALGORITHMS",
    "ITEM",
    "KINDS",
    "AnyItem",
    "DataItem",
    "Item",
    "Scalar",
    "ServiceItem",
    "SoftwareItem",
    "item_dict",
    "new_id",
    "now",
    "parse_item",
]
