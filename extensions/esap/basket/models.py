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

``FIELDS`` checks the same fields with the same constraints but yields plain
dicts: building 100k pydantic models costs seconds, validating 100k
TypedDicts (pydantic's own TypedDict support) a fraction of that, so the
store adds a large batch through it. It is derived from the models, so the
two cannot drift apart.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from types import GenericAlias
from typing import Annotated, Any, Literal, NotRequired, Required

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter
from typing_extensions import TypedDict

from esap.core.clock import now
from esap.core.ids import new_id
from esap.core.urls import is_data_url

KINDS = ("data", "service", "software")

#: A value of a row's field: what JSON and VOTable cells can both hold.
Scalar = str | int | float | bool | None

CHECKSUM_ALGORITHMS = ("md5", "sha1", "sha256", "sha512")


def _utc(value: datetime) -> datetime:
    """Times without a zone are taken as UTC, so exports compare equal everywhere."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _http(value: str | None) -> str | None:
    if value is not None and not is_data_url(value):
        raise ValueError(
            "must be a URL such as https://archive.example.org/file.fits "
            "(scheme://..., not javascript: or data:)"
        )
    return value


def _checksum(value: str | None) -> str | None:
    if value is None:
        return None
    algorithm, _, digest = value.partition(":")
    if algorithm.lower() not in CHECKSUM_ALGORITHMS or not digest:
        raise ValueError(
            "must be <algorithm>:<hex digest> with algorithm one of "
            f"{', '.join(CHECKSUM_ALGORITHMS)}, e.g. md5:9e107d9d372bb6826bd81d3542a419d6"
        )
    return f"{algorithm.lower()}:{digest.lower()}"


def item_key(fields: Mapping[str, Any]) -> str:
    """An item's identity from its fields (a model's, or a checked dict without defaults)."""
    kind = fields["kind"]
    if kind == "data":
        if fields.get("access_url"):
            return f"data:{fields['service']}:{fields['access_url']}"
        row = json.dumps(fields.get("fields") or {}, sort_keys=True).encode()
        return f"data:{fields['service']}:fields:{hashlib.sha256(row).hexdigest()[:32]}"
    if kind == "service":
        return f"service:{fields['service']}:{fields.get('url') or ''}"
    return f"software:{fields['catalogue']}:{fields['identifier']}"


def item_label(fields: Mapping[str, Any]) -> str:
    """What the basket shows when the user gave no title (fields as for ``item_key``)."""
    if fields.get("title"):
        return str(fields["title"])
    kind = fields["kind"]
    if kind == "data":
        url = fields.get("access_url")
        if url:
            return str(url).rstrip("/").rsplit("/", 1)[-1] or str(url)
        return f"{fields['service']} record"
    if kind == "service":
        return str(fields["service"])
    return str(fields["identifier"])


class _Item(BaseModel):
    """The envelope every item shares."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=new_id, pattern=r"^[A-Za-z0-9_-]{1,64}$")
    title: str = Field(default="", max_length=1000)
    notes: str = Field(default="", max_length=100_000)
    group: str = Field(default="", max_length=200, description="User's group; '' = none.")
    added: Annotated[datetime, AfterValidator(_utc)] = Field(default_factory=now)

    def key(self) -> str:
        """The item's identity: the same record added twice is one item."""
        return item_key(self.__dict__)

    def label(self) -> str:
        """What the basket shows when the user gave no title."""
        return item_label(self.__dict__)


class DataItem(_Item):
    """A data record a service returned, with what is needed to fetch and cite it."""

    kind: Literal["data"] = "data"
    service: str = Field(min_length=1, max_length=200)
    access_url: Annotated[str | None, AfterValidator(_http)] = None
    format: str | None = None
    size: int | None = Field(default=None, ge=0)
    checksum: Annotated[str | None, AfterValidator(_checksum)] = None
    query: dict[str, Any] | str | None = None
    fields: dict[str, Scalar] = Field(default_factory=dict)

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


Item = Annotated[DataItem | ServiceItem | SoftwareItem, Field(discriminator="kind")]

#: Validates any item (a dict with ``kind``), naming the bad field's path on error.
ITEM: TypeAdapter[DataItem | ServiceItem | SoftwareItem] = TypeAdapter(Item)

AnyItem = DataItem | ServiceItem | SoftwareItem


def _fields_of(model: type[_Item]) -> Any:
    """A TypedDict with the model's fields and constraints (defaults are left to the caller)."""
    annotations: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        hint = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        required = info.is_required() or name == "kind"  # the union's tag must be given
        annotations[name] = Required[hint] if required else NotRequired[hint]
    make: Any = TypedDict  # built from the model at run time: no static form to check
    fields: Any = make(f"{model.__name__}Fields", annotations)
    fields.__pydantic_config__ = model.model_config
    return fields


_ONE: Any = Annotated[
    (
        _fields_of(DataItem) | _fields_of(ServiceItem) | _fields_of(SoftwareItem),
        Field(discriminator="kind"),
    )
]
_SHAPE: Any = GenericAlias(list, (_ONE,))
#: Checks a list of item dicts in one pass, yielding checked dicts (defaults not filled).
FIELDS: TypeAdapter[list[dict[str, Any]]] = TypeAdapter(_SHAPE)

#: Per kind, its own optional fields with their defaults (what a stored body may leave out).
DEFAULTS: dict[str, dict[str, Any]] = {
    model.model_fields["kind"].default: {
        name: info.get_default(call_default_factory=True)
        for name, info in model.model_fields.items()
        if not info.is_required() and name not in _Item.model_fields and name != "kind"
    }
    for model in (DataItem, ServiceItem, SoftwareItem)
}


def parse_item(raw: Any) -> AnyItem:
    """One item from a dict (REST body, imported file); ``pydantic.ValidationError`` if bad."""
    return ITEM.validate_python(raw)


def item_dict(item: AnyItem) -> dict[str, Any]:
    """The item as JSON-ready data (what REST answers and JSON exports hold)."""
    return item.model_dump(mode="json")


__all__ = [
    "CHECKSUM_ALGORITHMS",
    "DEFAULTS",
    "FIELDS",
    "ITEM",
    "KINDS",
    "AnyItem",
    "DataItem",
    "Item",
    "Scalar",
    "ServiceItem",
    "SoftwareItem",
    "item_dict",
    "item_key",
    "item_label",
    "parse_item",
]
