"""The configuration reference, as MyST Markdown, from the config models' JSON Schema.

Every key of ``esap.yaml`` gets a heading (its full path, so a link lands on
it), its description, type, default, allowed values and an example; then
every built-in adapter type's ``options``. It all comes from
``esap.config.schema.json_schema()`` (the schema editors and the Helm chart
use) and, for the defaults a schema cannot carry (a ``default_factory``'s
value), from the pydantic models behind it: a key is described once, in its
``Field(description=...)``.

sphinx-jsonschema was considered: it renders a schema as nested tables, one
per definition, which reads well for a small schema but gives neither a key
path per setting nor an example per key. zero-to-jupyterhub generates its
reference from its schema with a script of its own for the same reason; so
does this module.

Each example is a whole ``esap.yaml`` (the key with the keys it cannot go
without) and is checked with ``esap.config.loads``, as ``esap config check``
would: the build fails on an example the hub would refuse. Its value is, in
this order: one given below (for keys whose type makes a poor example), the
default, what the shipped configs (``esap.yaml``, the chart's example) write
there, the schema's ``examples``, else one made from the type.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from esap import plugins
from esap.config import ConfigError, loads, models
from esap.config.options import HUB_ONLY, SECRET, option_schema, options_model
from esap.config.schema import json_schema

#: A list's entries in a key path: ``data_services[].url``.
ITEM = "[]"
#: A mapping's keys, chosen by the admin: ``dask.group_limits.<name>.max_cores``.
NAME = "<name>"
#: Values that show nothing in an example.
EMPTY: tuple[Any, ...] = (None, "", [], {})
#: The lists of adapter entries, by entry-point group.
ENTRY_LISTS = {
    plugins.DATA_SERVICES: "data_services",
    plugins.SOFTWARE_CATALOGUES: "software_catalogues",
    plugins.ARCHIVES: "archives",
}
#: Values of common forms, tried for a key whose made-up example the config refuses.
COMMON_VALUES: tuple[Any, ...] = ("4G", "https://example.org/", "example-name", 1, 0.5, True)
#: Mapping keys in examples, by the key path of the mapping.
MAPPING_KEYS = {
    "dask.group_limits": "students",
    "resolver.targets": "M31",
    "auth.oidc.audiences": "rucio",
}
#: Examples of keys whose type alone makes a poor one (each must name a key: checked).
EXAMPLES: dict[str, Any] = {
    "hub.admin_users": ["alice"],
    "hub.services[].name": "monitoring",
    "hub.services[].scopes": ["list:users", "read:metrics"],
    "auth.allowed_users": ["alice", "bob"],
    "auth.oidc.admin_groups": ["escape/admins"],
    "auth.oidc.audiences": {"rucio": "https://rucio.example.org"},
    "profiles[].image": "registry.example.org/esap/singleuser:0.1.0",
    "profiles[].groups": ["physics"],
    "profiles[].idle_timeout": 7200,
    "software_catalogues[].path": "software",
    "archives[].community": "escape2020",
    "workshop.material": "https://github.com/org/course.git",
    "workshop.target": "course",
    "resolver.targets": {"M31": [10.6847, 41.269]},
    "fetch.schemes": ["ftp"],
    "data_services[].options": {"table": "ivoa.obscore"},
    "archives[].options": {"timeout": 120},
    "data_services[].options.audience": "rucio",
    "data_services[].options.scope": "user.alice",
    "data_services[].options.vo": "def",
    "data_services[].options.rse": "LAB-DISK",
    "data_services[].options.mount": "/lake",
    "projects": [{"name": "lofar", "write_groups": ["lofar-team"], "size": "500G"}],
    "projects[].read_groups": ["lofar-friends"],
    "projects[].write_groups": ["lofar-team"],
    "projects[].size": "500G",
}
#: The keys beside one key in its example, by the key's path (an entry of a type it suits).
BESIDE: dict[str, dict[str, Any]] = {
    "data_services[].options": {"name": "gavo-dc", "type": "tap", "url": "https://dc.g-vo.org/tap"},
    "archives[].options": {"name": "zenodo", "type": "zenodo", "url": "https://zenodo.org/api"},
    "archives[].url": {"name": "zenodo", "type": "zenodo"},
    # a project names at least one group
    **{
        f"projects[].{key}": {"write_groups": ["lofar-team"]}
        for key in ("name", "title", "description", "read_groups", "size")
    },
}
#: What an example of one key needs elsewhere in the file, by the key's path (a cross-check's
#: other half).
CONTEXT: dict[str, dict[str, Any]] = {
    "data_services[].options.audience": {
        "auth": {
            "type": "oidc",
            "oidc": {
                "issuer": "https://iam.example.org/",
                "client_id": "esap-hub",
                "client_secret": "env:OIDC_CLIENT_SECRET",
                "audiences": {"rucio": "https://rucio.example.org"},
            },
        }
    },
}


@dataclass
class Key:
    """One key of the file: where it is, what it takes."""

    path: tuple[str, ...]
    node: dict[str, Any]
    required: bool
    default: Any = None
    has_default: bool = False
    children: list[Key] = field(default_factory=list)
    #: ``ITEM`` when its children are a list's entries, ``NAME`` a mapping's values
    container: str | None = None


def dotted(path: tuple[str, ...]) -> str:
    """``("data_services", "[]", "url")`` -> ``data_services[].url``."""
    text = ""
    for part in path:
        text += part if part == ITEM or not text else f".{part}"
    return text


def label(prefix: str, path: tuple[str, ...]) -> str:
    """The target name of a key's heading: lower-case letters, digits and dashes."""
    return prefix + re.sub(r"[^a-z0-9]+", "-", dotted(path).lower()).strip("-")


class Walker:
    """Turns a JSON Schema (with its ``$defs``) into a tree of keys."""

    def __init__(self, schema: dict[str, Any], model_of: dict[str, type[BaseModel]]) -> None:
        self.defs: dict[str, Any] = schema.get("$defs", {})
        self.model_of = model_of

    def resolve(self, node: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """``node`` with its ``$ref`` (and a nullable ``anyOf``) unfolded, and its model's name."""
        name = None
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            node = {**self.defs[name], **{k: v for k, v in node.items() if k != "$ref"}}
        branches = node.get("anyOf")
        if branches:
            real = [branch for branch in branches if branch.get("type") != "null"]
            if len(real) == 1:
                inner, inner_name = self.resolve(real[0])
                rest = {k: v for k, v in node.items() if k != "anyOf"}
                node = {**inner, **rest, "nullable": True}
                name = name or inner_name
        return node, name

    def keys(self, node: dict[str, Any], path: tuple[str, ...], model: str | None) -> list[Key]:
        """The keys of an object node (a model), in the model's order."""
        required = set(node.get("required", []))
        return [
            self.key(child, (*path, name), name in required, model)
            for name, child in node.get("properties", {}).items()
        ]

    def key(
        self, raw: dict[str, Any], path: tuple[str, ...], required: bool, parent: str | None
    ) -> Key:
        node, model = self.resolve(raw)
        key = Key(path=path, node=node, required=required)
        if "default" in node:
            key.default, key.has_default = node["default"], True
        elif not required and parent in self.model_of:
            info = self.model_of[parent].model_fields.get(path[-1])
            if info is not None and not info.is_required():
                value = info.get_default(call_default_factory=True)
                key.default, key.has_default = to_jsonable_python(value), True
        if node.get("properties"):
            key.children = self.keys(node, path, model)
            return key
        for container, inner in (
            (ITEM, node.get("items")),
            (NAME, node.get("additionalProperties")),
        ):
            if isinstance(inner, dict):
                inner, inner_model = self.resolve(inner)
                if inner.get("properties"):
                    key.container = container
                    key.children = self.keys(inner, (*path, container), inner_model)
        return key


def models_by_name() -> dict[str, type[BaseModel]]:
    """The config models by class name (the names of their ``$defs``)."""
    return {
        name: value
        for name, value in vars(models).items()
        if isinstance(value, type) and issubclass(value, BaseModel)
    }


# --- what a key takes, in words -----------------------------------------------------------------


def is_secret(node: dict[str, Any]) -> bool:
    """A secret reference: the SecretRef pattern, or an option marked secret."""
    return bool(node.get(SECRET)) or node.get("pattern") == models.SECRET_REF_PATTERN.pattern


def type_text(node: dict[str, Any], walker: Walker) -> str:
    """What kind of value a key takes, e.g. ``list of string`` or ``mapping of name to number``."""
    node, model = walker.resolve(node)
    if is_secret(node):
        text = "secret reference"
    elif model and node.get("properties") is not None:
        text = "mapping"
    elif "prefixItems" in node:
        text = "[" + ", ".join(type_text(item, walker) for item in node["prefixItems"]) + "]"
    elif node.get("type") == "array":
        text = "list of " + type_text(node.get("items", {}), walker)
    elif node.get("type") == "object":
        values = node.get("additionalProperties")
        text = "mapping"
        if isinstance(values, dict):
            text = "mapping of name to " + type_text(values, walker)
    elif node.get("format") in ("uri", "path"):
        text = {"uri": "URL", "path": "path"}[node["format"]]
    elif "anyOf" in node:
        text = " or ".join(type_text(branch, walker) for branch in node["anyOf"])
    else:
        text = str(node.get("type", "any value"))
    return f"{text} or null" if node.get("nullable") else text


def allowed_text(node: dict[str, Any]) -> str:
    """The values a key accepts beyond its type: choices, bounds, patterns."""
    if is_secret(node):
        return "`env:NAME` (an environment variable) or `file:/absolute/path` (a file)"
    parts = []
    if "enum" in node:
        parts.append("one of " + ", ".join(code(value) for value in node["enum"]))
    if "const" in node:
        parts.append("only " + code(node["const"]))
    items = node.get("items")
    if isinstance(items, dict) and "enum" in items:
        parts.append("each one of " + ", ".join(code(value) for value in items["enum"]))
    bounds = {
        "minimum": "at least {}",
        "exclusiveMinimum": "more than {}",
        "maximum": "at most {}",
        "exclusiveMaximum": "less than {}",
        "minItems": "at least {} items",
        "maxItems": "at most {} items",
    }
    parts += [words.format(node[name]) for name, words in bounds.items() if name in node]
    if node.get("format") == "uri":
        parts.append("an http(s) URL")
    elif node.get("minLength") == 1:
        parts.append("not empty")
    if "pattern" in node:
        parts.append(f"matches `{node['pattern']}`")
    return "; ".join(parts)


def code(value: Any) -> str:
    """A value as inline code, written as YAML writes it."""
    text = yaml.safe_dump(value, default_flow_style=True, width=1000).strip()
    text = text.removesuffix("...").strip()
    return f"`{text}`"


def prose(text: str) -> str:
    """A description as Markdown: code spans kept, the characters Markdown would eat escaped."""
    pieces = re.split(r"(`[^`]*`)", text)
    return "".join(
        piece if piece.startswith("`") else re.sub(r"([<>*\[\]\\|])", r"\\\1", piece)
        for piece in pieces
    )


# --- examples -----------------------------------------------------------------------------------


class Examples:
    """Example values of keys (see the module docstring for where each comes from)."""

    def __init__(self, shipped: list[dict[str, Any]], given: dict[str, Any]) -> None:
        self.shipped = shipped
        self.given = given

    def value(self, key: Key, walker: Walker) -> Any:
        """An example value of ``key``: a section or list as a whole, or a single value."""
        path = dotted(key.path)
        if path in self.given:
            return self.given[path]
        if key.children:
            shipped = self.from_shipped(key.path)
            if shipped is not None:
                return shipped[:1] if isinstance(shipped, list) else shipped
            entry = {
                child.path[-1]: self.value(child, walker)
                for child in key.children
                if child.required or key.container or worth_showing(child)
            }
            if key.container == ITEM:
                return [entry]
            if key.container == NAME:
                return {MAPPING_KEYS.get(path, "name"): entry}
            return entry
        if worth_showing(key):
            return key.default
        for found in (self.from_shipped(key.path), *key.node.get("examples", [])[:1]):
            if found is not None:
                return found
        made = synthesized(key.node, key.path, walker)
        if fits(made, key.node):
            return made
        # a pattern the made-up value misses: a namesake key of the shipped configs may fit
        for config in self.shipped:
            for value in _values_named(config, key.path[-1]):
                if fits(value, key.node):
                    return value
        return made

    def alternatives(self, key: Key) -> Iterator[Any]:
        """Other values to try for a key whose example the config refused.

        What the shipped configs give keys of the same name, then a few
        values of common forms (a memory size, a URL, a name).
        """
        for config in self.shipped:
            yield from _values_named(config, key.path[-1])
        kind = key.node.get("type")
        if kind == "array":
            for value in COMMON_VALUES:
                yield [value]
        else:
            yield from COMMON_VALUES

    def from_shipped(self, path: tuple[str, ...]) -> Any:
        """The first value the shipped configs give at ``path`` (any entry of a list)."""
        for config in self.shipped:
            for value in _values_at(config, path):
                if value not in EMPTY:
                    return value
        return None


def worth_showing(key: Key) -> bool:
    """A key whose default says something (not unset, not empty)."""
    return key.has_default and key.default not in EMPTY


def _values_at(config: Any, path: tuple[str, ...]) -> Iterator[Any]:
    """Every value at ``path`` in a loaded config (each entry of a list, each mapping value)."""
    if not path:
        yield config
        return
    head, rest = path[0], path[1:]
    if head == ITEM:
        for entry in config if isinstance(config, list) else []:
            yield from _values_at(entry, rest)
    elif head == NAME:
        for value in config.values() if isinstance(config, dict) else []:
            yield from _values_at(value, rest)
    elif isinstance(config, dict) and head in config:
        yield from _values_at(config[head], rest)


def _values_named(config: Any, name: str) -> Iterator[Any]:
    """Every value of a key called ``name``, anywhere in a loaded config."""
    if isinstance(config, dict):
        for key, value in config.items():
            if key == name and value not in EMPTY:
                yield value
            yield from _values_named(value, name)
    elif isinstance(config, list):
        for value in config:
            yield from _values_named(value, name)


def fits(value: Any, node: dict[str, Any]) -> bool:
    """Whether ``value`` matches the node's pattern (values of other nodes always fit)."""
    pattern = node.get("pattern")
    return not (pattern and isinstance(value, str) and not re.search(pattern, value))


def synthesized(node: dict[str, Any], path: tuple[str, ...], walker: Walker) -> Any:
    """A value of the node's type, for a key no config and no default shows."""
    node, _ = walker.resolve(node)
    kind = node.get("type")
    if is_secret(node):
        words = [part for part in path if part not in (ITEM, NAME)]
        return "env:" + re.sub(r"[^A-Z0-9]+", "_", "_".join(words[-2:]).upper())
    if "enum" in node:
        return node["enum"][0]
    if node.get("format") == "uri":
        return "https://example.org/"
    if "prefixItems" in node:
        return [synthesized(item, path, walker) for item in node["prefixItems"]]
    if kind == "array":
        return [synthesized(node.get("items", {}), path, walker)]
    if kind == "object":
        values = node.get("additionalProperties")
        inner = synthesized(values, path, walker) if isinstance(values, dict) else "value"
        return {MAPPING_KEYS.get(dotted(path), "name"): inner}
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        low = node.get("minimum", node.get("exclusiveMinimum", 0))
        return max(1, int(low) + (1 if "exclusiveMinimum" in node else 0))
    return "example"


def example_document(
    chain: list[Key], value: Any, examples: Examples, walker: Walker, beside: dict[str, Any]
) -> Any:
    """``value`` at the place of ``chain[-1]`` in a config, with what each level requires.

    ``chain`` runs from a top-level key down to the key shown; each level
    keeps its own order, with the keys it requires beside the one shown
    (``beside`` gives those of the shown key's own level).
    """
    tree = value
    for depth in range(len(chain) - 1, 0, -1):
        shown, parent = chain[depth], chain[depth - 1]
        level = {}
        for child in parent.children:
            name = child.path[-1]
            if child is shown:
                level[name] = tree
            elif depth == len(chain) - 1 and name in beside:
                level[name] = beside[name]
            elif child.required:
                level[name] = examples.value(child, walker)
        if parent.container == ITEM:
            tree = [level]
        elif parent.container == NAME:
            tree = {MAPPING_KEYS.get(dotted(parent.path), "name"): level}
        else:
            tree = level
    return {chain[0].path[-1]: tree}


def checked(document: dict[str, Any], where: str) -> str:
    """``document`` as YAML, after checking that a hub would accept it."""
    text = yaml.safe_dump(document, sort_keys=False, default_flow_style=False, width=88)
    try:
        loads(text, f"the example of {where}")
    except ConfigError as exc:
        raise ValueError(
            f"the configuration reference's example of {where} is refused: {exc}; give a "
            f"value that passes in EXAMPLES (docs/_ext/esap_docs/config_reference.py)"
        ) from exc
    return text.rstrip()


# --- the page -----------------------------------------------------------------------------------


class Page:
    """Writes the Markdown of the keys, one heading each."""

    def __init__(
        self, walker: Walker, examples: Examples, prefix: str = "config-", skip: int = 0
    ) -> None:
        self.walker = walker
        self.examples = examples
        self.prefix = prefix
        self.skip = skip  # the leading parts of a key's path its label leaves out
        self.context: dict[str, Any] = {}
        self.lines: list[str] = []

    def write(self, key: Key, level: int, chain: list[Key], title: str | None = None) -> None:
        """One key's section (``chain``: the keys it is in, from the top), then its children's."""
        path = dotted(key.path)
        self.lines += [
            f"({label(self.prefix, key.path[self.skip :])})=",
            f"{'#' * level} {title or f'`{path}`'}",
            "",
        ]
        if key.node.get("description"):
            self.lines += [prose(key.node["description"]), ""]
        self.lines.append(f":Type: {prose(type_text(key.node, self.walker))}")
        self.lines.append(f":Required: {'yes' if key.required else 'no'}")
        if key.has_default:
            self.lines.append(f":Default: {self.default_text(key)}")
        allowed = adapter_list(key.path) or prose(allowed_text(key.node))
        if allowed:
            self.lines.append(f":Allowed: {allowed}")
        if key.node.get(HUB_ONLY):
            self.lines.append(":Kept on the hub: yes (never sent to user servers)")
        if key.path[1:] == (ITEM, "options") and key.path[0] in ENTRY_LISTS.values():
            self.lines.append(":See: {ref}`the options of each type <config-adapter-options>`")
        self.lines += ["", "```yaml", self.example(key, chain), "```", ""]
        for child in key.children:
            self.write(child, max(level, 3), [*chain, key])

    def example(self, key: Key, chain: list[Key]) -> str:
        """The example of ``key``: a whole config the hub accepts.

        A made-up value the config refuses (a rule a validator holds that
        the schema cannot say) gives way to the first of a few common values
        of its type the config accepts; if none is, the build stops and says
        which key needs an example in ``EXAMPLES``.
        """
        path = dotted(key.path)

        def document(value: Any) -> dict[str, Any]:
            made = example_document(
                [*chain, key], value, self.examples, self.walker, BESIDE.get(path, {})
            )
            return {**self.context, **CONTEXT.get(path, {}), **made}

        candidates: Iterable[Any] = [self.examples.value(key, self.walker)]
        if not key.children and path not in self.examples.given:
            candidates = itertools.chain(candidates, self.examples.alternatives(key))
        refused: ValueError | None = None
        for value in candidates:
            try:
                return checked(document(value), path)
            except ValueError as exc:
                refused = refused or exc
        assert refused is not None  # there was at least one candidate
        raise refused

    def default_text(self, key: Key) -> str:
        if key.children and not key.container and key.default is not None:
            return "each of its keys' default (below)"
        if key.default is None:
            return "unset (`null`)"
        if key.default in ([], {}):
            return f"{code(key.default)} (empty)"
        return code(key.default)


def adapter_list(path: tuple[str, ...]) -> str:
    """For an entry's ``type``: the built-in adapter types, linked to their options."""
    groups = {entries: group for group, entries in ENTRY_LISTS.items()}
    if path[1:] != (ITEM, "type") or path[0] not in groups:
        return ""
    group = groups[path[0]]
    names = ", ".join(
        f"{{ref}}`{name} <{label('config-', (path[0], name))}>`" for name in plugins.BUILTIN[group]
    )
    return f"built in: {names}; or a type an installed package registers under `{group}`"


def shipped_configs(repo: Path) -> list[dict[str, Any]]:
    """The configs that ship with ESAP Hub, whose values make the most telling examples."""
    found = []
    for relative in ("esap.yaml", "helm/esap-hub/examples/esap.yaml"):
        loaded = yaml.safe_load((repo / relative).read_text())
        if isinstance(loaded, dict):
            found.append(loaded)
    return found


def config_reference(repo: Path) -> str:
    """The Markdown of every key of ``esap.yaml``, then of every built-in adapter's options."""
    schema = json_schema(builtin_only=True)
    walker = Walker(schema, models_by_name())
    examples = Examples(shipped_configs(repo), EXAMPLES)
    top = walker.keys(schema, (), "EsapConfig")
    page = Page(walker, examples)
    for key in top:
        page.write(key, 2, [])
    options, declared = adapter_options(top, shipped_configs(repo))
    every = {dotted(key.path) for key in _all(top)} | declared
    unknown = sorted(set(EXAMPLES) - every)
    if unknown:
        raise ValueError(f"EXAMPLES names keys the config does not have: {unknown}")
    return "\n".join(page.lines + options) + "\n"


def _all(keys: list[Key]) -> Iterator[Key]:
    for key in keys:
        yield key
        yield from _all(key.children)


def adapter_options(top: list[Key], shipped: list[dict[str, Any]]) -> tuple[list[str], set[str]]:
    """A section per built-in adapter type (what it accepts under ``options:``); their paths."""
    lines = [
        "(config-adapter-options)=",
        "## Adapter options",
        "",
        "What each built-in adapter type accepts under its entry's `options:`. An option it "
        "does not declare is an error (`esap config check` names it, with the nearest name). "
        "A *secret reference* is written `env:NAME` or `file:/path`: see "
        "{doc}`../explanation/security`.",
        "",
    ]
    entries = {key.path[0]: key for key in top}
    declared = set()
    for group, entries_key in ENTRY_LISTS.items():
        kind = plugins.KIND[group]
        for type_name in plugins.BUILTIN[group]:
            adapter = plugins.load(group, type_name)
            model = options_model(adapter)
            schema = option_schema(model)
            walker = Walker(schema, {model.__name__: model})
            anchor = label("config-", (entries_key, type_name))
            lines += [
                f"({anchor})=",
                f"### `{entries_key}`: `type: {type_name}`",
                "",
                prose(f"The {type_name} {kind} ({adapter.__module__}.{adapter.__qualname__}). ")
                + prose(schema.get("description", "")),
                "",
            ]
            path = (entries_key, ITEM, "options")
            options = walker.keys(schema, path, model.__name__)
            if not options:
                lines += ["It takes no options.", ""]
                continue
            holder = Key(path=path, node={}, required=False, children=options)
            entry = _typed_entry(entries[entries_key], holder)
            examples = Examples(
                shipped,
                {
                    **EXAMPLES,
                    f"{entries_key}[].name": f"my-{type_name}",
                    f"{entries_key}[].type": type_name,
                    f"{entries_key}[].url": f"https://{type_name}.example.org/",
                },
            )
            page = Page(walker, examples, prefix=f"{anchor}-", skip=3)
            for option in options:
                declared.add(dotted(option.path))
                page.write(option, 4, [entry, holder], f"`{type_name}`: `options.{option.path[3]}`")
            lines += page.lines
    return lines, declared


def _typed_entry(entries: Key, options: Key) -> Key:
    """The list ``entries`` with ``options`` (one type's) in place of its free ``options``."""
    children = [options if child.path[-1] == "options" else child for child in entries.children]
    return Key(
        path=entries.path, node=entries.node, required=False, children=children, container=ITEM
    )
