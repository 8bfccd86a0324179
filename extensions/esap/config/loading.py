"""Read ``esap.yaml`` into an :class:`EsapConfig`, or fail with every problem at once.

An admin fixing a config should not have to run the check once per mistake,
so YAML, duplicate keys and model validation are all reported together, in
the order they appear in the file. Nothing here raises anything but
``ConfigError`` for a bad file: the ``esap`` command prints it without a
traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from esap.config.adapters import check_entries
from esap.config.crosschecks import cross_problems
from esap.config.errors import FILE, ConfigError, Loc, Problem, render_path, render_value
from esap.config.messages import is_secret, problems_from_validation
from esap.config.models import EsapConfig

_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"

Model = TypeVar("Model", bound=BaseModel)


def load(path: str | os.PathLike[str], *, lenient_adapters: bool = False) -> EsapConfig:
    """Read and validate the config file at ``path``.

    Relative paths in it (``hub.data_dir``, ``archives[].path``,
    ``software_catalogues[].path``) are made absolute against the file's own
    directory, so the same file means the same thing from any working
    directory. Raises ``ConfigError`` listing every problem.

    With ``lenient_adapters`` (hub start), an adapter whose package is
    registered but fails to import (a dependency missing, a bug) is not a
    problem but a warning, kept in ``config.adapter_warnings`` for the
    caller to log; see ``esap.config.adapters``. A ``type`` nothing
    registers stays an error in both modes.
    """
    source = os.fspath(path)
    file = Path(source)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [
                Problem(
                    FILE,
                    repr(source),
                    "file not found",
                    "give the path of your esap.yaml (esap config check PATH), "
                    "or create one in this directory",
                )
            ],
            source,
        ) from None
    except IsADirectoryError:
        raise ConfigError(
            [Problem(FILE, repr(source), "is a directory", "give the path of the esap.yaml in it")],
            source,
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            [
                Problem(
                    FILE,
                    f"byte {exc.start}",
                    "not UTF-8 text",
                    "save the file as UTF-8 (it may not be a YAML file at all)",
                )
            ],
            source,
        ) from None
    except OSError as exc:
        raise ConfigError(
            [
                Problem(
                    FILE,
                    repr(source),
                    f"cannot be read: {(exc.strerror or str(exc)).lower()}",
                    "check the path and its permissions",
                )
            ],
            source,
        ) from None
    return loads(text, source, base_dir=file.resolve().parent, lenient_adapters=lenient_adapters)


def loads(
    text: str,
    source: str = "<string>",
    *,
    base_dir: str | os.PathLike[str] | None = None,
    lenient_adapters: bool = False,
) -> EsapConfig:
    """Validate a config given as YAML text; ``source`` names it in messages.

    With ``base_dir``, relative path fields are made absolute against it (what
    ``load()`` does with the file's directory); without, they stay relative.
    An empty document is a valid config: every setting has a default.
    """
    data, lines, raw, found = _parse(text, source)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        sections = ", ".join(EsapConfig.model_fields)
        raise ConfigError(
            [
                Problem(
                    FILE,
                    render_value(data),
                    f"the top level must be a mapping of sections, got {_article(data)}",
                    f"start lines with a section name and a colon, e.g. hub:, "
                    f"with its keys indented below (sections: {sections})",
                )
            ],
            source,
        )
    # "dask:" with every key commented out is an empty section, not an error.
    data = {k: v for k, v in data.items() if not (v is None and k in EsapConfig.model_fields)}
    config: EsapConfig | None = None
    try:
        config = EsapConfig.model_validate(data)
    except ValidationError as exc:
        found.extend(problems_from_validation(exc, raw))
    else:
        found.extend(cross_problems(config))
    adapter_problems, adapter_warnings = check_entries(data, lenient=lenient_adapters)
    found.extend(adapter_problems)
    if found or config is None:
        found.sort(key=lambda item: _line_of(item[0], lines))
        raise ConfigError([problem for _, problem in found], source)
    if base_dir is not None:
        config = resolve_paths(config, Path(base_dir))
    config._adapter_warnings = [problem for _, problem in adapter_warnings]
    return config


def resolve_paths(model: Model, base: Path) -> Model:
    """A copy of ``model`` with every relative ``Path`` field joined onto ``base``.

    Done here and not in the models, because only the loader knows which file
    the paths were written in.
    """
    updates: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        resolved = _resolve(value, base)
        if resolved is not value:
            updates[name] = resolved
    return model.model_copy(update=updates) if updates else model


def _resolve(value: Any, base: Path) -> Any:
    if isinstance(value, Path):
        path = value.expanduser()
        return path if path.is_absolute() else base / path
    if isinstance(value, BaseModel):
        return resolve_paths(value, base)
    if isinstance(value, list):
        items = [_resolve(item, base) for item in value]
        changed = any(new is not old for new, old in zip(items, value, strict=True))
        return items if changed else value
    return value


def _article(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a single string"
    return f"a single value ({type(value).__name__})"


def _line_of(loc: Loc, lines: dict[Loc, int]) -> int:
    """The line a key path is written on, or that of its nearest written parent."""
    while loc:
        # pydantic reports a non-text key (``1:``) as the number; the walk saw its text
        for key in (loc, (*loc[:-1], str(loc[-1]))):
            if key in lines:
                return lines[key]
        loc = loc[:-1]
    return 0


def _parse(
    text: str, source: str
) -> tuple[Any, dict[Loc, int], dict[Loc, str], list[tuple[Loc, Problem]]]:
    """YAML text -> (data, line of each key path, scalar text as written, duplicate keys)."""
    loader = yaml.SafeLoader(text)
    lines: dict[Loc, int] = {}
    raw: dict[Loc, str] = {}
    duplicates: list[tuple[Loc, Problem]] = []
    try:
        node = loader.get_single_node()
        if node is not None:
            _walk(node, (), _Positions(lines, raw, duplicates), set())
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise ConfigError([_syntax_problem(exc)], source) from None
    finally:
        loader.dispose()
    return data, lines, raw, duplicates


@dataclass
class _Positions:
    """What ``_walk`` learns about the file while looking at its nodes."""

    lines: dict[Loc, int]
    raw: dict[Loc, str]
    duplicates: list[tuple[Loc, Problem]]


def _walk(node: yaml.Node, loc: Loc, found: _Positions, active: set[int]) -> None:
    """Record where each key is written and find keys written twice in one mapping.

    PyYAML silently keeps the last of two equal keys, which hides a mistake
    (two ``port:`` lines, the first one being the one the admin edits).
    """
    if id(node) in active:  # a recursive alias
        return
    active.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
                continue
            key = str(key_node.value)
            line = key_node.start_mark.line + 1
            here = (*loc, key)
            if key in seen:
                found.duplicates.append(
                    (
                        here,
                        Problem(
                            render_path(here),
                            _node_value(value_node, secret=is_secret(here)),
                            f"the key is written twice (lines {seen[key]} and {line}); "
                            "only the last one would count",
                            "remove one of them",
                        ),
                    )
                )
                continue
            seen[key] = line
            found.lines[here] = line
            _walk(value_node, here, found, active)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found.lines[(*loc, index)] = item.start_mark.line + 1
            _walk(item, (*loc, index), found, active)
    elif isinstance(node, yaml.ScalarNode):
        found.raw[loc] = str(node.value)
    active.discard(id(node))


def _node_value(node: yaml.Node, *, secret: bool) -> str:
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _STR_TAG:
            return render_value(str(node.value), secret=secret)
        return "'***'" if secret else str(node.value)
    if isinstance(node, yaml.MappingNode):
        return render_value({str(k.value): None for k, _ in node.value})
    return f"[... {len(node.value)} items]"


def _syntax_problem(exc: yaml.YAMLError) -> Problem:
    """A YAML error with its line and column, and the usual cause as the fix."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "(unknown)"
    context = getattr(exc, "context", None)
    opened = getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None)
    what = ", ".join(part for part in (context, problem) if part) or str(exc)
    if "expected a single document" in what:
        fix = "an esap.yaml holds one document: remove the --- line and what follows it"
    elif "scanning a quoted scalar" in what and opened is not None:
        fix = f"close the quote opened on line {opened.line + 1}"
    elif "parsing a flow" in what and opened is not None:
        fix = f"close the {{ or [ opened on line {opened.line + 1}"
    elif "'\\t'" in what:
        fix = "indent with spaces: YAML does not allow tabs"
    elif "could not determine a constructor" in what:
        fix = "remove the !tag: esap.yaml holds plain values only"
    else:
        fix = (
            "check the indentation on and just above that line, and put values that "
            "contain ': ' or ' #' in quotes"
        )
    return Problem(FILE, where, f"YAML syntax error: {what}", fix)


__all__ = ["load", "loads", "resolve_paths"]
