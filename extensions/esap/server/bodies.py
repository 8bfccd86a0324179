"""The JSON request bodies of the REST API, as typed models, and how a refusal reads.

Each model is the shape ``openapi.yaml`` documents for one operation's body
(:data:`OPERATIONS`; ``tests/test_openapi_models.py`` holds the two
together): its property names, which are required, their JSON types, and
whether other properties are refused (``additionalProperties: false`` is a
:class:`ClosedBody`). A handler decodes its body with
``EsapHandler.body_as(Model)``; a body that does not fit is one 400 listing
every field at fault, each by its key path (``items[2]``, ``query``), with
what is wrong and how to fix it.

The rules about values (a service that must exist, a radius in range, a
path inside the home) are not here: they belong to the capability that a
notebook and the command line call too, and say the same thing there. A
model types; the capability decides.

Values come from JSON: a model is strict (``"3"`` is no number, ``true`` no
integer), an integer field takes ``3.0`` (JSON Schema's integer), and an
optional field the document does not make nullable refuses ``null``
(:data:`Omittable`): leaving it out is how a client asks for its default.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    ValidationError,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import ErrorDetails, PydanticCustomError, core_schema

from esap.core.errors import FieldError, FieldProblem

T = TypeVar("T")


def _not_null(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError("null_given", "null is not a value of this field")
    return value


class _NotNullInSchema:
    """Drop the ``null`` branch from a field's JSON Schema (``null`` is refused: see above)."""

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        found = handler(schema)
        branches = [b for b in found.pop("anyOf", []) if b != {"type": "null"}]
        if len(branches) == 1:
            found.update(branches[0])
        elif branches:
            found["anyOf"] = branches
        return found


#: An optional field that may be left out but not sent as ``null`` (``None`` when left out).
Omittable = Annotated[T | None, BeforeValidator(_not_null), _NotNullInSchema()]


def _whole(value: Any) -> Any:
    """``3.0`` as ``3``: JSON Schema counts a number without a fraction as an integer."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


#: An integer as JSON Schema has it (``3.0`` is one; ``true`` and ``"3"`` are not).
JsonInt = Annotated[int, BeforeValidator(_whole)]


class Body(BaseModel):
    """A request body whose other properties are ignored (the document does not refuse them)."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    def given(self) -> dict[str, Any]:
        """The fields the client sent, as JSON values (defaults left out)."""
        return self.model_dump(mode="json", exclude_unset=True)


class ClosedBody(Body):
    """A request body that refuses any other property (``additionalProperties: false``)."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


# ---------------------------------------------------------------- data


class NewServiceBody(ClosedBody):
    """``POST data/services``: one of the user's own services."""

    name: str
    type: str
    url: str
    title: Omittable[str] = None
    description: Omittable[str] = None


class TokenBody(Body):
    """``PUT data/services/{name}/token`` and ``PUT publish/tokens/{archive}``."""

    token: str


class AllVoBody(ClosedBody):
    """``SearchRequest.all_vo``: search every service of these types the registry lists."""

    types: list[str] | None = None
    keywords: str | None = None
    waveband: str | None = None


class SearchBody(ClosedBody):
    """``POST data/search``: a federated search (``esap.data.request`` checks the values)."""

    services: list[str] | None = None
    target: str | None = None
    ra: float | None = None
    dec: float | None = None
    radius: Omittable[float] = None
    band: list[float] | None = None
    time: list[str | float] | None = None
    collection: str | None = None
    text: str | None = None
    maxrec: JsonInt | None = None
    params: dict[str, dict[str, Any]] | None = None
    all_vo: AllVoBody | None = None


class AdqlBody(Body):
    """``POST data/adql`` and ``POST jobs/query``: ADQL for one TAP service."""

    service: str
    query: str
    maxrec: JsonInt | None = None


class CrossmatchBody(ClosedBody):
    """``POST data/crossmatch``: a user table matched by position against a TAP catalogue."""

    service: str
    catalogue: str
    #: Arcseconds.
    radius: float
    result_id: Omittable[str] = None
    basket_ids: Omittable[list[str]] = None
    path: Omittable[str] = None
    ra_column: Omittable[str] = None
    dec_column: Omittable[str] = None
    columns: Omittable[list[str]] = None
    method: Omittable[Literal["auto", "upload", "local"]] = None
    maxrec: Omittable[JsonInt] = None

    @model_validator(mode="after")
    def _one_table(self) -> CrossmatchBody:
        given = {"result_id", "basket_ids", "path"} & self.model_fields_set
        if len(given) != 1:
            raise PydanticCustomError(
                "one_table",
                "give exactly one of result_id, basket_ids and path (the table to match)",
                {
                    "fix": 'send e.g. {"result_id": "...", "service": ..., "catalogue": ..., '
                    '"radius": 2}'
                },
            )
        return self


class BringBody(ClosedBody):
    """``POST data/services/{name}/bring``: a data lake's DID into the lab."""

    did: str
    how: Omittable[Literal["rule", "download"]] = None
    folder: Omittable[str] = None


# ---------------------------------------------------------------- basket


class ItemsBody(Body):
    """``POST basket``: items to add (each checked by the basket's item model)."""

    items: list[dict[str, Any]]


class ItemChangesBody(ClosedBody):
    """``PATCH basket/items/{item_id}``: what the user may change of an item."""

    title: Omittable[str] = None
    notes: Omittable[str] = None
    group: Omittable[str] = None


class IdsBody(Body):
    """``POST basket/remove``: items by id."""

    ids: list[str]


class GroupBody(Body):
    """``POST basket/group``: items put in a group ('' for none)."""

    ids: list[str]
    group: str


class CellBody(Body):
    """``POST basket/cell``: the notebook cell that loads these items."""

    ids: list[str] = []
    kind: Omittable[Literal["data", "service", "software"]] = None


# ---------------------------------------------------------------- SAMP


class LinkBody(Body):
    """``POST samp/links``: a link to a stored result (or some of its rows), or to basket items."""

    result_id: Omittable[str] = None
    rows: Omittable[list[JsonInt]] = None
    query: Omittable[dict[str, Any]] = None
    basket_ids: Omittable[list[str]] = None
    name: Omittable[str] = None
    ttl: Omittable[float] = None

    @model_validator(mode="after")
    def _one_source(self) -> LinkBody:
        if ("result_id" in self.model_fields_set) == ("basket_ids" in self.model_fields_set):
            raise PydanticCustomError(
                "one_source",
                "give either result_id (a search result) or basket_ids (basket items)",
                {"fix": 'send {"result_id": "...", "rows": [0, 3]} or {"basket_ids": ["..."]}'},
            )
        return self


# ---------------------------------------------------------------- jobs


class DownloadBody(Body):
    """``POST jobs/download``: basket items' files into the home."""

    ids: list[str] | None = None
    folder: str | None = None


class LaunchBody(Body):
    """``POST jobs/launch``: a git repository opened in the lab."""

    repository: str
    ref: str | None = None
    name: str | None = None


class PublishRunBody(Body):
    """``POST jobs/publish``: an unfinished publication run again."""

    publication: str


class CutoutBody(Body):
    """``POST jobs/cutout``: part of a result row's (or basket item's) image or cube, as a file."""

    item: dict[str, Any]
    ra: float
    dec: float
    radius: Omittable[float] = None
    box: Omittable[list[float]] = None
    band: Omittable[list[float]] = None
    time: Omittable[list[float]] = None
    to: Omittable[str] = None
    basket: Omittable[bool] = None


class CutoutItemBody(Body):
    """``POST data/cutouts/options``: the row (or basket item) whose cutout service to describe."""

    item: dict[str, Any]


class ReproduceBody(Body):
    """``POST jobs/reproduce``: a published record re-run, its outputs compared."""

    source: str
    nearest: Omittable[bool] = None
    packages: Omittable[dict[str, str]] = None
    fresh: Omittable[bool] = None


class RunBody(Body):
    """``POST jobs/run``: a notebook run headless with parameters."""

    notebook: str
    parameters: Omittable[dict[str, Any]] = None


class ViewFetchBody(Body):
    """``POST jobs/view``: a remote product fetched into the viewer's cache."""

    access_url: str
    format: str | None = None
    size: JsonInt | None = None
    checksum: str | None = None
    title: str | None = None
    service: str | None = None


# ---------------------------------------------------------------- view


class ViewSourceBody(Body):
    """The file a viewer request names: ``path`` in the home or a fetched ``product``."""

    path: Omittable[str] = None
    product: Omittable[str] = None
    hdu: Omittable[JsonInt] = None


class ViewOverlayBody(ViewSourceBody):
    """``POST view/overlay``: a stored result's rows placed on the image."""

    result_id: str
    limit: Omittable[JsonInt] = None


class ViewRegionBody(ViewSourceBody):
    """``POST view/region``: a box or circle drawn on the image, in pixels."""

    shape: Literal["box", "circle"]
    x0: float
    y0: float
    x1: float
    y1: float
    plane: Omittable[JsonInt] = None


# ---------------------------------------------------------------- publish


class PublicationBody(Body):
    """``POST publish/validate``: whatever of a publication is filled in so far."""

    files: Omittable[list[str]] = None
    metadata: Omittable[dict[str, Any]] = None
    archive: str | None = None
    inputs: list[dict[str, Any]] | None = None
    version_of: str | None = None


class PublishBody(PublicationBody):
    """``POST publish/preview`` and ``publish/publications``: files and metadata required."""

    files: list[str]
    metadata: dict[str, Any]


# ---------------------------------------------------------------- projects, sharing


class ProjectPublishBody(ClosedBody):
    """``POST projects/{name}/basket``: items of the user's basket (default: all) published."""

    ids: Omittable[list[str]] = None
    replace: Omittable[bool] = None


class ProjectCopyBody(ClosedBody):
    """``POST projects/{name}/basket/copy``: items (default: all) copied into the user's basket."""

    ids: Omittable[list[str]] = None


class ShareBody(ClosedBody):
    """``POST shares``: share this lab with a user or a group, read-only or full, for a time."""

    kind: Literal["user", "group"]
    name: Annotated[str, Field(min_length=1, max_length=255)]
    access: Literal["read", "full"]
    expires_in: JsonInt


class ShareLinkBody(ClosedBody):
    """``POST shares/links``: a link to this lab anyone signed in may accept until it ends."""

    access: Literal["read", "full"]
    expires_in: JsonInt


#: Every operation of ``openapi.yaml`` with a JSON body, and the model of that body.
#: (``POST basket/import`` takes a basket file, JSON or VOTable, read by the basket.)
OPERATIONS: dict[str, type[Body]] = {
    "POST /data/services": NewServiceBody,
    "PUT /data/services/{name}/token": TokenBody,
    "POST /data/search": SearchBody,
    "POST /data/adql": AdqlBody,
    "POST /data/services/{name}/bring": BringBody,
    "POST /data/crossmatch": CrossmatchBody,
    "POST /basket": ItemsBody,
    "PATCH /basket/items/{item_id}": ItemChangesBody,
    "POST /basket/remove": IdsBody,
    "POST /basket/group": GroupBody,
    "POST /basket/cell": CellBody,
    "POST /samp/links": LinkBody,
    "POST /jobs/query": AdqlBody,
    "POST /jobs/download": DownloadBody,
    "POST /jobs/launch": LaunchBody,
    "POST /jobs/publish": PublishRunBody,
    "POST /jobs/reproduce": ReproduceBody,
    "POST /jobs/run": RunBody,
    "POST /jobs/cutout": CutoutBody,
    "POST /data/cutouts/options": CutoutItemBody,
    "POST /jobs/view": ViewFetchBody,
    "POST /view/overlay": ViewOverlayBody,
    "POST /view/region": ViewRegionBody,
    "POST /publish/validate": PublicationBody,
    "POST /publish/preview": PublishBody,
    "POST /publish/publications": PublishBody,
    "PUT /publish/tokens/{archive}": TokenBody,
    "POST /projects/{name}/basket": ProjectPublishBody,
    "POST /projects/{name}/basket/remove": IdsBody,
    "POST /projects/{name}/basket/copy": ProjectCopyBody,
    "POST /shares": ShareBody,
    "POST /shares/links": ShareLinkBody,
}

# ---------------------------------------------------------------- refusals

#: What a JSON value is, by the pydantic error that says it is not one.
_KINDS = {
    "string_type": "text (a JSON string)",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a JSON array",
    "dict_type": "a JSON object",
    "model_type": "a JSON object",
}


def _path(loc: tuple[int | str, ...]) -> str:
    """A pydantic location as a key path: ``items[2].access_url`` (the body itself: ``body``)."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def _problem(error: ErrorDetails, model: type[Body]) -> FieldProblem:
    """One pydantic error as the field at fault, what is wrong and what to send instead."""
    path = _path(error["loc"])
    kind = error["type"]
    if kind == "missing":
        return FieldProblem(path, "missing", f"add {path}")
    if kind == "extra_forbidden":
        fields = ", ".join(model.model_fields)
        return FieldProblem(path, "unknown field", f"leave it out; this request takes {fields}")
    if kind == "null_given":
        return FieldProblem(path, "null", f"leave {path} out for its default")
    if kind in _KINDS:
        return FieldProblem(path, f"not {_KINDS[kind]}", f"send {path} as {_KINDS[kind]}")
    if kind == "literal_error":
        expected = (error.get("ctx") or {}).get("expected", "")
        given = error["input"]
        shown = repr(given) if isinstance(given, str) else json.dumps(given)
        return FieldProblem(path, f"{shown[:60]}: unknown", f"use {expected}")
    message = error["msg"].removeprefix("Value error, ")
    fix = (error.get("ctx") or {}).get("fix") or "see this operation's body in the API description"
    return FieldProblem(path, message, str(fix))


def body_refusal(exc: ValidationError, model: type[Body]) -> FieldError:
    """A body that does not fit ``model``: one 400 naming every field at fault."""
    problems = [_problem(error, model) for error in exc.errors()]
    first = problems[0]
    refused = FieldError(first.field, first.message, first.fix)
    if len(problems) > 1:
        refused.problems = tuple(problems)
    return refused


def shape(model: type[Body]) -> str:
    """The required fields of ``model`` (else its first three) as a JSON object's outline."""
    fields = model.model_fields
    required = [name for name, field in fields.items() if field.is_required()]
    shown = ", ".join(f'"{name}": ...' for name in required or list(fields)[:3])
    return "{" + shown + "}"


__all__ = [
    "OPERATIONS",
    "AdqlBody",
    "AllVoBody",
    "Body",
    "BringBody",
    "CellBody",
    "ClosedBody",
    "CrossmatchBody",
    "CutoutBody",
    "CutoutItemBody",
    "DownloadBody",
    "GroupBody",
    "IdsBody",
    "ItemChangesBody",
    "ItemsBody",
    "JsonInt",
    "LaunchBody",
    "LinkBody",
    "NewServiceBody",
    "Omittable",
    "PublicationBody",
    "PublishBody",
    "PublishRunBody",
    "ReproduceBody",
    "RunBody",
    "SearchBody",
    "TokenBody",
    "ViewFetchBody",
    "ViewOverlayBody",
    "ViewRegionBody",
    "ViewSourceBody",
    "body_refusal",
    "shape",
]
