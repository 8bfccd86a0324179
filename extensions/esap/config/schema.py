"""The JSON Schema of ``esap.yaml``, generated from the models.

Editors (YAML language servers) and the Helm chart's ``values.schema.json``
use it; since it comes from the same models that validate the file, the
three can never disagree.

An entry's ``options`` depend on its ``type``: each adapter declares its own
model (``esap.config.options``). The schema says so with one ``if``/``then``
per registered type on the entry's definition (``if type is tap, then
options is TapOptions``), each options model under ``$defs`` by a name made
from its type. The adapters are imported to read their models, the way
``esap config check`` does; one that cannot be imported is left out (its
entries' options are then only "a mapping"), since a schema for the others
is still worth having.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from esap import plugins
from esap.config.models import EsapConfig
from esap.config.options import (
    FreeOptions,
    option_schema,
    options_model,
)

DIALECT = "https://json-schema.org/draft/2020-12/schema"
TITLE = "ESAP Hub configuration (esap.yaml)"

#: Entry-point group -> the definition of its entries in the schema, and what its kind is called.
ENTRIES: dict[str, tuple[str, str]] = {
    plugins.DATA_SERVICES: ("DataServiceEntry", "DataService"),
    plugins.SOFTWARE_CATALOGUES: ("SoftwareCatalogueEntry", "SoftwareCatalogue"),
    plugins.ARCHIVES: ("ArchiveEntry", "Archive"),
}

_REF = "#/$defs/"


def json_schema(*, builtin_only: bool = False) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``EsapConfig``, with every field's description.

    Each registered adapter type's options are included; with
    ``builtin_only``, only those of the adapters that ship with ESAP Hub, so
    the result does not depend on which other packages are installed where
    it is made (the chart's committed schema).
    """
    generated = EsapConfig.model_json_schema(mode="validation")
    generated.pop("title", None)
    definitions: dict[str, Any] = generated.setdefault("$defs", {})
    branches: dict[str, list[dict[str, Any]]] = {group: [] for group in ENTRIES}
    # built-ins first, in every kind: their definitions' names never depend on other packages
    for group, (_, kind) in ENTRIES.items():
        branches[group] += _branches(group, kind, plugins.BUILTIN[group], definitions)
    if not builtin_only:
        for group, (_, kind) in ENTRIES.items():
            installed = [
                name for name in plugins.targets(group) if name not in plugins.BUILTIN[group]
            ]
            branches[group] += _branches(group, kind, installed, definitions)
    for group, (entry_name, _) in ENTRIES.items():
        entry = definitions.get(entry_name)
        if isinstance(entry, dict) and branches[group]:
            entry["allOf"] = branches[group]
    return {"$schema": DIALECT, "title": TITLE, **generated}


def _branches(
    group: str, kind: str, types: Iterable[str], definitions: dict[str, Any]
) -> list[dict[str, Any]]:
    """One ``if type is T then options is T's`` per type whose adapter can be loaded."""
    found = []
    for type_name in types:
        try:
            model = options_model(plugins.load(group, type_name))
            schema = option_schema(model)
        except Exception:  # noqa: S112 - not installed or broken here: left out of the schema
            continue
        if model is FreeOptions:
            options = schema  # "any mapping": nothing worth a definition of its own
        else:
            own = _def_name(type_name)
            name = _free_name(definitions, own, f"{kind}{own}")
            definitions[name] = {}  # taken, before its own definitions are merged in
            definitions[name] = _merged(name, schema, definitions)
            options = {"$ref": _REF + name}
        found.append(
            {
                "if": {"properties": {"type": {"const": type_name}}, "required": ["type"]},
                "then": {"properties": {"options": options}},
            }
        )
    return found


def _def_name(type_name: str) -> str:
    """``invenio-rdm`` -> ``InvenioRdmOptions``: a stable name for a type's options."""
    words = [word for word in re.split(r"[^A-Za-z0-9]+", type_name) if word]
    return "".join(word[:1].upper() + word[1:] for word in words) + "Options"


def _free_name(definitions: dict[str, Any], *candidates: str) -> str:
    """The first candidate not yet defined, else the last one with a number."""
    for candidate in candidates:
        if candidate not in definitions:
            return candidate
    number = 2
    while f"{candidates[-1]}{number}" in definitions:
        number += 1
    return f"{candidates[-1]}{number}"


def _merged(name: str, schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with its own ``$defs`` moved into ``definitions`` (renamed where they clash).

    A nested definition identical to one already there is shared; a
    different one of the same name is kept under ``<name><its name>``, and
    the references to it are rewritten.
    """
    schema = dict(schema)
    nested: dict[str, Any] = schema.pop("$defs", None) or {}
    renamed: dict[str, str] = {}
    for key, value in nested.items():
        if key in definitions and definitions[key] != value:
            renamed[key] = _free_name(definitions, f"{name}{key}")
        else:
            renamed[key] = key
        definitions[renamed[key]] = value  # taken (rewritten below)
    for key, value in nested.items():
        definitions[renamed[key]] = _rewrite(value, renamed)
    rewritten: dict[str, Any] = _rewrite(schema, renamed)
    return rewritten


def _rewrite(node: Any, renamed: dict[str, str]) -> Any:
    """``node`` with each ``$ref`` to a renamed definition pointing at its new name."""
    if isinstance(node, dict):
        return {
            key: (
                _REF + renamed.get(value[len(_REF) :], value[len(_REF) :])
                if key == "$ref" and isinstance(value, str) and value.startswith(_REF)
                else _rewrite(value, renamed)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite(item, renamed) for item in node]
    return node


__all__ = ["json_schema"]
