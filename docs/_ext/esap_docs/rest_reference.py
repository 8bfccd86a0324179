"""The REST API reference, as MyST Markdown, from ``extensions/esap/server/openapi.yaml``.

Every operation gets a heading (method and path), its summary and
description, a table of its parameters, its request body field by field, and
every status it answers with its body; every schema of ``components`` gets a
section of its own, which the operations link to. The OpenAPI document is
the one the server serves and the tests check every route against, so this
page lists what the server does.

sphinxcontrib-openapi was tried first: its default renderer lists statuses
and parameters but no bodies, and its newer renderer, which does list
bodies, stops on OpenAPI 3.1 schemas it does not expect (an array whose
items are not given, ``type: [string, "null"]``). Rendering the document
here takes a page of code and covers all of it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

METHODS = ("get", "put", "post", "patch", "delete")
_REF = re.compile(r"^#/components/(schemas|responses|parameters)/(.+)$")


def anchor(*parts: str) -> str:
    """A target name: ``api-`` and the parts in lower case, dashes between words."""
    text = "-".join(parts).lower()
    return "api-" + re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def cell(text: Any) -> str:
    """Text for one table cell: one line, pipes escaped, angle brackets kept as text."""
    return markdown(" ".join(str(text).split())).replace("|", "\\|")


def markdown(text: str) -> str:
    """An OpenAPI description (CommonMark) for this page: ``<name>`` outside code stays text."""
    pieces = re.split(r"(`[^`]*`)", text)
    return "".join(
        piece if piece.startswith("`") else piece.replace("<", "\\<").replace(">", "\\>")
        for piece in pieces
    )


class Document:
    """An OpenAPI document and the Markdown of its reference."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.components: dict[str, Any] = spec.get("components", {})

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        """A parameter or response with its ``$ref`` followed (schemas are linked instead)."""
        while "$ref" in node:
            match = _REF.match(node["$ref"])
            if not match:
                raise ValueError(f"openapi.yaml: a $ref this page cannot follow: {node['$ref']}")
            node = self.components[match.group(1)][match.group(2)]
        return node

    # --- schemas in words ---------------------------------------------------------------------

    def type_text(self, schema: dict[str, Any]) -> str:
        """What a schema holds, in a few words, with links to the named schemas."""
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return f"[{name}](#{anchor('schema', name)})"
        if "const" in schema:
            return f"`{literal(schema['const'])}`"
        for word in ("oneOf", "anyOf"):
            if word in schema and all(_is_schema(part) for part in schema[word]):
                return " or ".join(self.type_text(part) for part in schema[word])
        if "allOf" in schema:
            return " and ".join(
                self.type_text(part) for part in schema["allOf"] if _is_schema(part)
            )
        kinds = schema.get("type", "object" if "properties" in schema else "any")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        words = []
        for kind in kinds:
            if kind == "array":
                items = schema.get("items")
                words.append(f"array of {self.type_text(items)}" if items else "array")
            elif kind == "object" and isinstance(schema.get("additionalProperties"), dict):
                words.append(f"mapping to {self.type_text(schema['additionalProperties'])}")
            else:
                words.append(str(kind))
        return " or ".join(words)

    def rules(self, schema: dict[str, Any]) -> str:
        """The values a schema allows beyond its type: choices, bounds, pattern, default."""
        found = []
        if "enum" in schema:
            found.append("one of " + ", ".join(f"`{value}`" for value in schema["enum"]))
        for key, words in (
            ("minimum", "at least"),
            ("exclusiveMinimum", "more than"),
            ("maximum", "at most"),
            ("exclusiveMaximum", "less than"),
            ("minLength", "length at least"),
            ("maxLength", "length at most"),
            ("minItems", "items at least"),
            ("maxItems", "items at most"),
        ):
            if key in schema:
                found.append(f"{words} {schema[key]}")
        if "pattern" in schema:
            found.append(f"matches `{schema['pattern']}`")
        if "format" in schema:
            found.append(f"format {schema['format']}")
        if "default" in schema:
            found.append(f"default `{literal(schema['default'])}`")
        if schema.get("writeOnly"):
            found.append("write-only (never answered)")
        return "; ".join(found)

    def fields(
        self, schema: dict[str, Any], prefix: str = "", required: bool = True
    ) -> list[tuple[str, str, bool, str]]:
        """An object schema's fields (nested ones by dotted name): name, type, required, text."""
        found: list[tuple[str, str, bool, str]] = []
        for part in schema.get("allOf", []):
            if "$ref" not in part:
                found += self.fields(part, prefix, required)
        needed = set(schema.get("required", []))
        for name, child in schema.get("properties", {}).items():
            path = f"{prefix}{name}"
            text = explained(child.get("description", ""), self.rules(child))
            found.append((path, self.type_text(child), name in needed, text))
            if "$ref" in child:
                continue
            if child.get("properties"):
                found += self.fields(child, f"{path}.", name in needed)
            items = child.get("items")
            if isinstance(items, dict) and items.get("properties"):
                found += self.fields(items, f"{path}[].", name in needed)
        return found

    def notes(self, schema: dict[str, Any]) -> list[str]:
        """What a table of fields cannot say: the schemas merged in, which keys to give."""
        said = []
        merged = [part for part in schema.get("allOf", []) if "$ref" in part]
        if merged:
            said.append(
                "Every field of " + ", ".join(self.type_text(part) for part in merged) + ", and:"
            )
        for word in ("oneOf", "anyOf"):
            choices = schema.get(word, [])
            if choices and all(set(part) == {"required"} for part in choices):
                keys = " or ".join(
                    " and ".join(f"`{key}`" for key in part["required"]) for part in choices
                )
                said.append(f"Give {keys}.")
        return said

    def body(self, schema: dict[str, Any], level: str) -> list[str]:
        """The Markdown of a body's schema: a link, a table of fields, or its variants."""
        lines: list[str] = []
        if "$ref" in schema or not (
            schema.get("properties") or schema.get("allOf") or schema.get("oneOf")
        ):
            if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
                items = schema["items"]
                if items.get("properties"):
                    lines += ["An array; each item:", ""]
                    return lines + self.body(items, level)
            return [f"{sentence(self.type_text(schema))}.", ""] if schema else []
        if schema.get("description"):
            lines += [markdown(schema["description"]), ""]
        for note in self.notes(schema):
            lines += [note, ""]
        variants = [
            part
            for part in schema.get("oneOf", [])
            if set(part) != {"required"} and _is_schema(part)
        ]
        table = self.fields(schema)
        if table:
            lines += self.table(table)
        if variants:
            lines += ["One of:", ""]
            for number, variant in enumerate(variants, 1):
                title = variant.get("title") or _event(variant) or f"variant {number}"
                if "$ref" in variant:
                    lines += [f"- {self.type_text(variant)}"]
                    continue
                lines += [
                    f"- **{title}**"
                    + (f": {cell(variant['description'])}" if variant.get("description") else ""),
                    "",
                ]
                inner = [line for note in self.notes(variant) for line in (note, "")]
                rows = self.fields(variant)
                lines += ["  " + line if line else "" for line in [*inner, *self.table(rows)]]
            lines.append("")
        return lines

    def table(self, rows: list[tuple[str, str, bool, str]]) -> list[str]:
        if not rows:
            return []
        lines = ["| field | type | required | description |", "| --- | --- | --- | --- |"]
        lines += [
            f"| `{name}` | {cell(kind)} | {'yes' if needed else 'no'} | {cell(text)} |"
            for name, kind, needed, text in rows
        ]
        return [*lines, ""]

    # --- operations -----------------------------------------------------------------------------

    def operation(self, path: str, method: str, op: dict[str, Any]) -> list[str]:
        lines = [
            f"({anchor(method, path)})=",
            f"### `{method.upper()} {path}`",
            "",
            f"**{markdown(op.get('summary', '').rstrip('.'))}.**",
            "",
        ]
        if op.get("description"):
            lines += [markdown(op["description"].strip()), ""]
        if op.get("security") == []:
            lines += ["No sign-in: anyone holding the URL may call it.", ""]
        parameters = [self.resolve(p) for p in op.get("parameters", [])]
        if parameters:
            lines += [
                "Parameters:",
                "",
                "| name | in | type | required | description |",
                "| --- | --- | --- | --- | --- |",
            ]
            for parameter in parameters:
                schema = parameter.get("schema", {})
                text = explained(parameter.get("description", ""), self.rules(schema))
                lines.append(
                    f"| `{parameter['name']}` | {parameter['in']} | {cell(self.type_text(schema))} "
                    f"| {'yes' if parameter.get('required') else 'no'} | {cell(text)} |"
                )
            lines.append("")
        request = op.get("requestBody")
        if request:
            request = self.resolve(request)
            for media, content in request.get("content", {}).items():
                needed = "required" if request.get("required") else "optional"
                lines += [f"Request body (`{media}`, {needed}):", ""]
                lines += self.body(content.get("schema", {}), "request")
        lines += ["Responses:", "", "| status | meaning | body |", "| --- | --- | --- |"]
        bodies = []
        for status, answer in op.get("responses", {}).items():
            answer = self.resolve(answer)
            content = answer.get("content", {})
            kinds = ", ".join(
                f"`{media}`: {self.type_text(body.get('schema', {}))}"
                for media, body in content.items()
            )
            lines.append(
                f"| {status} | {cell(answer.get('description', ''))} | {cell(kinds) or '—'} |"
            )
            for media, body in content.items():
                schema = body.get("schema", {})
                if "$ref" not in schema and (schema.get("properties") or schema.get("allOf")):
                    bodies.append((status, media, schema))
        lines.append("")
        for status, media, schema in bodies:
            lines += [f"The {status} answer (`{media}`):", "", *self.body(schema, "response")]
        return lines

    def markdown_page(self) -> str:
        lines: list[str] = []
        group = None
        for path, item in self.spec.get("paths", {}).items():
            first = path.strip("/").split("/")[0]
            if first != group:
                group = first
                lines += [f"## `{first}`", ""]
            for method in METHODS:
                if method in item:
                    lines += self.operation(path, method, item[method])
        lines += ["(api-schemas)=", "## Schemas", ""]
        for name, schema in self.components.get("schemas", {}).items():
            lines += [f"({anchor('schema', name)})=", f"### `{name}`", ""]
            lines += (
                self.body(schema, "schema")
                if (schema.get("properties") or schema.get("allOf") or schema.get("oneOf"))
                else [
                    markdown(schema.get("description", "")),
                    "",
                    f"{sentence(self.type_text(schema))}.",
                    "",
                ]
            )
        return "\n".join(lines) + "\n"


def literal(value: Any) -> str:
    """A value as YAML writes it on one line (``rows``, ``null``, ``[a, b]``)."""
    text = yaml.safe_dump(value, default_flow_style=True, width=1000).strip()
    return text.removesuffix("...").strip()


def explained(description: str, rules: str) -> str:
    """A field's description, then the values it allows as a sentence of their own."""
    return " ".join(
        piece for piece in (description, sentence(rules) + "." if rules else "") if piece
    )


def sentence(text: str) -> str:
    """``text`` with a capital first letter (the rest, links included, untouched)."""
    return text[:1].upper() + text[1:]


def _is_schema(part: Any) -> bool:
    return isinstance(part, dict) and set(part) != {"required"}


def _event(variant: dict[str, Any]) -> str | None:
    """A stream event's name (``event: {const: rows}``), to title its variant."""
    parts = [variant, *variant.get("allOf", [])]
    for part in parts:
        const = part.get("properties", {}).get("event", {}).get("const")
        if const:
            return f"event `{const}`"
    return None


def rest_reference(repo: Path) -> str:
    """The Markdown of every operation and schema of the server's OpenAPI document."""
    spec = yaml.safe_load((repo / "extensions" / "esap" / "server" / "openapi.yaml").read_text())
    return Document(spec).markdown_page()
