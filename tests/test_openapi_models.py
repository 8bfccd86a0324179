"""``openapi.yaml`` and the body and answer models agree: names, required, JSON types, closedness.

The document is written by hand (its prose, examples and bounds are for
people and for the fuzzing in ``test_api_schemathesis``); the models in
``esap.server.bodies`` are what the server decodes every JSON body with.
This test holds them together, operation by operation: for every operation
whose body is JSON, the model's JSON Schema (``model_json_schema()``) and the
document's schema list the same properties, require the same ones, give each
the same JSON types (``null`` included) down through arrays and objects, and
refuse other properties in the same places. The same holds for every JSON
answer (2xx; an NDJSON stream's lines) and its model in ``esap.server.answers``,
which every handler answers through, and for the error body.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from esap.server.answers import ANSWERS, ERROR
from esap.server.bodies import OPERATIONS
from esap.server.openapi_handlers import openapi_document

VERBS = ("get", "post", "put", "patch", "delete")

#: Operations whose body is a file, not a request: read by their capability, not by a model.
FILES = {"POST /basket/import": "a basket file (JSON or VOTable) that esap.basket.transfer reads"}

#: Objects the document details and a model takes whole (a free JSON object), because the
#: capability checks their inside for every face alike, with its own messages.
CHECKED_INSIDE = {
    "POST /samp/links query": "the view's sort, order and filter, checked by esap.samp.tables",
}

ANY = frozenset({"any"})


@dataclass
class Outline:
    """What this test compares of a schema."""

    types: frozenset[str] = ANY
    properties: dict[str, Outline] | None = None
    required: frozenset[str] = frozenset()
    closed: bool = False
    items: Outline | None = None
    values: Outline | None = None
    notes: list[str] = field(default_factory=list)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return {str: "string", list: "array", dict: "object"}[type(value)]


def outline(schema: Any, definitions: dict[str, Any]) -> Outline:
    """The outline of ``schema``, its ``$ref``s looked up in ``definitions`` (by last segment)."""
    if not isinstance(schema, dict):
        return Outline()
    if "$ref" in schema:
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        target = definitions[schema["$ref"].rsplit("/", 1)[-1]]
        return outline({**target, **rest}, definitions)
    found = Outline()
    if "type" in schema:
        kinds = schema["type"]
        found.types = frozenset([kinds] if isinstance(kinds, str) else kinds)
    elif "enum" in schema:
        found.types = frozenset(_json_type(v) for v in schema["enum"])
    elif "const" in schema:
        found.types = frozenset([_json_type(schema["const"])])
    if "properties" in schema:
        found.properties = {
            name: outline(sub, definitions) for name, sub in schema["properties"].items()
        }
    found.required = frozenset(schema.get("required", []))
    found.closed = schema.get("additionalProperties") is False
    if isinstance(schema.get("additionalProperties"), dict):
        found.values = outline(schema["additionalProperties"], definitions)
    if "items" in schema:
        found.items = outline(schema["items"], definitions)
    for merged in schema.get("allOf", []):
        part = outline(merged, definitions)
        if part.types != ANY:
            found.types = part.types if found.types == ANY else found.types & part.types
        if part.properties is not None:
            found.properties = {**(found.properties or {}), **part.properties}
        found.required |= part.required
        found.closed |= part.closed
    branches = [outline(b, definitions) for b in schema.get("oneOf", []) + schema.get("anyOf", [])]
    if branches:
        typed = [b.types for b in branches if b.types != ANY]
        if typed and len(typed) == len(branches):
            union = frozenset().union(*typed)
            found.types = union if found.types == ANY else found.types & union
        # a property required in every branch is required (``oneOf`` of ``required`` lists)
        found.required |= frozenset.intersection(*(b.required for b in branches))
        valued = [b for b in branches if b.types != frozenset({"null"})]
        if len(valued) == 1:  # ``X`` or null: X's shape is the shape
            only = valued[0]
            found.properties = found.properties if only.properties is None else only.properties
            found.items = found.items or only.items
            found.values = found.values or only.values
            found.required |= only.required
            found.closed |= only.closed
    return found


def differences(where: str, document: Outline, model: Outline) -> list[str]:
    """Where ``document`` and ``model`` disagree, each as one line naming the key path."""
    found = []
    if document.types != model.types:
        found.append(f"{where}: types {sorted(document.types)} != model {sorted(model.types)}")
    if document.properties is not None or model.properties is not None:
        if model.properties is None and CHECKED_INSIDE.get(where):
            return found
        ours, theirs = document.properties or {}, model.properties or {}
        if set(ours) != set(theirs):
            found.append(f"{where}: properties {sorted(ours)} != model {sorted(theirs)}")
        if document.required != model.required:
            found.append(
                f"{where}: required {sorted(document.required)} != model {sorted(model.required)}"
            )
        if document.closed != model.closed:
            found.append(f"{where}: additionalProperties false: {document.closed} != model")
        for name in sorted(set(ours) & set(theirs)):
            found += differences(f"{where} {name}".strip(), ours[name], theirs[name])
    if document.items is not None and model.items is not None:
        found += differences(f"{where}[]", document.items, model.items)
    elif (document.items is None) != (model.items is None) and "array" in document.types:
        found.append(f"{where}: items described on one side only")
    if document.values is not None and model.values is not None:
        found += differences(f"{where}{{}}", document.values, model.values)
    return found


def _json_bodies() -> dict[str, Any]:
    """Every documented operation with a JSON request body: its body's schema."""
    document = openapi_document()
    found = {}
    for path, item in document["paths"].items():
        for verb, operation in item.items():
            if verb not in VERBS:
                continue
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                found[f"{verb.upper()} {path}"] = content["application/json"]["schema"]
    return found


BODIES = _json_bodies()


def test_every_json_body_has_its_model_and_every_model_its_operation() -> None:
    documented = set(BODIES) - set(FILES)
    assert documented == set(OPERATIONS), (
        f"documented without a model: {sorted(documented - set(OPERATIONS))}; "
        f"a model for no documented operation: {sorted(set(OPERATIONS) - documented)}"
    )


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_the_model_and_the_document_agree(operation: str) -> None:
    schemas = openapi_document()["components"]["schemas"]
    document = outline(BODIES[operation], schemas)
    produced = OPERATIONS[operation].model_json_schema()
    model = outline(produced, produced.get("$defs", {}))
    found = differences(operation, document, model)
    assert not found, "\n".join(found)


def test_the_comparison_sees_a_difference() -> None:
    """The outline tells a nullable from a plain field and a closed from an open object."""
    plain = outline({"type": "object", "properties": {"a": {"type": "string"}}}, {})
    nullable = outline({"type": "object", "properties": {"a": {"type": ["string", "null"]}}}, {})
    closed = outline(
        {"type": "object", "additionalProperties": False, "properties": {"a": {"type": "string"}}},
        {},
    )
    required = outline({"type": "object", "required": ["a"], "properties": {"a": {}}}, {})
    said = differences("x", plain, nullable)
    assert said == ["x a: types ['string'] != model ['null', 'string']"]
    assert differences("x", plain, closed)
    assert differences("x", plain, required)
    assert not differences("x", plain, plain)


def _refused(model: type, body: object) -> dict[str, Any]:
    """What the API answers for ``body`` decoded as ``model`` (its ``error`` object)."""
    from pydantic import ValidationError

    from esap.server.base import error_body
    from esap.server.bodies import body_refusal

    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    answer: dict[str, Any] = error_body(body_refusal(caught.value, model))["error"]
    return answer


def test_a_refused_body_names_each_field_by_its_key_path() -> None:
    from esap.server.bodies import ItemsBody, LinkBody, SearchBody

    one = _refused(ItemsBody, {"items": [{"kind": "data"}, "text"]})
    assert (one["code"], one["field"], one["message"]) == (
        "bad_field",
        "items[1]",
        "not a JSON object",
    )
    assert one["fix"] == "send items[1] as a JSON object"
    assert "problems" not in one
    several = _refused(SearchBody, {"ra": "10", "radius": None, "nope": 1})
    assert [p["field"] for p in several["problems"]] == ["ra", "radius", "nope"]
    assert several["field"] == "ra"
    assert [p["message"] for p in several["problems"]] == [
        "not a number",
        "null",
        "unknown field",
    ]
    assert all(p["fix"] for p in several["problems"])
    neither = _refused(LinkBody, {"name": "x"})
    assert neither["field"] == "body"
    assert "result_id" in neither["message"]
    assert "basket_ids" in neither["fix"]


def test_a_json_integer_may_be_written_with_a_fraction_of_zero() -> None:
    from esap.server.bodies import LinkBody

    assert LinkBody.model_validate({"result_id": "r", "rows": [3.0, 1]}).rows == [3, 1]
    refused = _refused(LinkBody, {"result_id": "r", "rows": [True, 1.5]})
    assert [p["field"] for p in refused["problems"]] == ["rows[0]", "rows[1]"]


# ---------------------------------------------------------------- answers

#: The media types of a JSON answer: one document, or an NDJSON stream of them (a model a line).
JSON_MEDIA = ("application/json", "application/x-ndjson")


def _json_answers() -> dict[tuple[str, int], Any]:
    """Every documented 2xx JSON answer, by operation and status: its schema."""
    document = openapi_document()
    shared = document["components"]["responses"]
    found = {}
    for path, item in document["paths"].items():
        for verb, operation in item.items():
            if verb not in VERBS:
                continue
            for status, response in operation.get("responses", {}).items():
                if not status.startswith("2"):
                    continue
                if "$ref" in response:
                    response = shared[response["$ref"].rsplit("/", 1)[-1]]
                for media, content in response.get("content", {}).items():
                    if media in JSON_MEDIA:
                        found[(f"{verb.upper()} {path}", int(status))] = content["schema"]
    return found


ANSWER_SCHEMAS = _json_answers()


def listing(found: Outline) -> Outline:
    """``found`` with every object whose properties it lists closed.

    The document lists every property an answer has (``additionalProperties``
    stays open so the API may grow); the models refuse any other, so that a
    handler cannot answer a property the document does not list.
    """
    return replace(
        found,
        closed=found.closed or found.properties is not None,
        properties=None
        if found.properties is None
        else {name: listing(sub) for name, sub in found.properties.items()},
        items=None if found.items is None else listing(found.items),
        values=None if found.values is None else listing(found.values),
    )


def _agree(where: str, schema: Any, model: Any) -> list[str]:
    schemas = openapi_document()["components"]["schemas"]
    produced = model.model_json_schema()
    return differences(
        where, listing(outline(schema, schemas)), outline(produced, produced.get("$defs", {}))
    )


def test_every_json_answer_has_its_model_and_every_model_its_answer() -> None:
    documented = set(ANSWER_SCHEMAS)
    assert documented == set(ANSWERS), (
        f"documented without a model: {sorted(documented - set(ANSWERS))}; "
        f"a model for no documented answer: {sorted(set(ANSWERS) - documented)}"
    )


@pytest.mark.parametrize("answer", sorted(ANSWERS), ids=lambda key: f"{key[0]} {key[1]}")
def test_the_answer_model_and_the_document_agree(answer: tuple[str, int]) -> None:
    found = _agree(f"{answer[0]} {answer[1]}", ANSWER_SCHEMAS[answer], ANSWERS[answer])
    assert not found, "\n".join(found)


def test_the_error_model_and_the_document_agree() -> None:
    found = _agree("Error", {"$ref": "#/components/schemas/Error"}, ERROR)
    assert not found, "\n".join(found)


def test_every_error_body_fits_the_error_model() -> None:
    from esap.core.errors import EsapError, FieldError, FieldProblem
    from esap.server.base import error_body

    several = FieldError("title", "missing", "add a title")
    several.problems = (FieldProblem("title", "missing", "add a title"), FieldProblem("x", "y", ""))
    for error in (EsapError("it failed", ""), FieldError("ra", "not a number", "send ra"), several):
        ERROR.model_validate_json(json.dumps(error_body(error)))


def test_an_answer_the_document_does_not_describe_is_refused() -> None:
    """A property not listed, a required one missing, a wrong type or ``null``: each refused."""
    from pydantic import ValidationError

    from esap.server.answers import ResolvedAnswer, ServiceTokenAnswer, TutorialsAnswer

    good = {"target": "M31", "ra": 10.68, "dec": 41, "resolver": "sesame"}
    ResolvedAnswer.model_validate_json(json.dumps(good))
    for bad in (
        {**good, "extra": 1},
        {k: v for k, v in good.items() if k != "ra"},
        {**good, "ra": "10.68"},
        {**good, "resolver": None},
    ):
        with pytest.raises(ValidationError):
            ResolvedAnswer.model_validate_json(json.dumps(bad))
    with pytest.raises(ValidationError):  # true is no integer, nor a string
        ServiceTokenAnswer.model_validate_json(
            '{"service": true, "accepts_token": 1, "has_token": 0}'
        )
    TutorialsAnswer.model_validate_json('{"folder": "t", "copied": [], "kept": [], "first": null}')
    open_ = outline(
        {"type": "object", "properties": {"a": {"type": "object", "properties": {}}}}, {}
    )
    listed = listing(open_)
    assert listed.closed
    assert listed.properties is not None
    assert listed.properties["a"].closed
