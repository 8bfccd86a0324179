"""Config problems as an admin reads them: key path, value, what is wrong, how to fix it.

A ``Problem`` is one line of ``esap config check``; a ``ConfigError`` carries
every problem of a file, so an admin fixes them all in one go. Values are
rendered short and on one line, and secrets are never rendered at all.
``esap.config.messages`` writes the problems for pydantic's errors.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from esap.config.models import SECRET_REF_PATTERN

#: The path shown for a problem with the file as a whole.
FILE = "(file)"
#: The value shown for a key that is absent.
MISSING = "(missing)"
#: What a secret is shown as, wherever it would otherwise be echoed.
MASK = "'***'"

Loc = tuple[int | str, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a config, rendered as ``path: value: message — fix``."""

    path: str
    value: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.path}: {self.value}: {self.message} — {self.fix}"


class ConfigError(ValueError):
    """A config that cannot be used, with every problem found in it (not only the first)."""

    def __init__(self, problems: Iterable[Problem], source: str | None = None) -> None:
        self.problems: list[Problem] = list(problems)
        self.source = source
        super().__init__(str(self))

    def __str__(self) -> str:
        prefix = f"{self.source}: " if self.source else ""
        return "\n".join(f"{prefix}{problem}" for problem in self.problems)


# --------------------------------------------------------------------------- paths


def render_path(loc: Sequence[int | str]) -> str:
    """``("data_services", 2, "url")`` -> ``data_services[2].url``; ``()`` -> ``(file)``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", part):
            out += f".{part}" if out else part
        else:
            out += f"[{part!r}]"
    return out or FILE


def parse_path(path: str) -> Loc:
    """The inverse of ``render_path`` (for the paths it writes): ``a[2].b`` -> ``("a", 2, "b")``."""
    if path == FILE:
        return ()
    loc: list[int | str] = []
    for name, index, quoted in re.findall(
        r"([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\['([^']*)'\]", path
    ):
        loc.append(int(index) if index else name or quoted)
    return tuple(loc)


# --------------------------------------------------------------------------- values


def kind_of(value: Any) -> str:
    """What a YAML value is, in the words of someone who wrote the YAML."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, datetime.date):
        return "a date"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def render_value(value: Any, *, secret: bool = False) -> str:
    """A short, one-line rendering of a YAML value; secrets become ``'***'``.

    Mappings show their keys only and lists only scalars, so a secret nested
    under an unexpected key is never echoed either.
    """
    if secret and not (isinstance(value, str) and SECRET_REF_PATTERN.match(value)):
        return MASK if value is not None else "null"
    if isinstance(value, Mapping):
        keys = [str(key) for key in value]
        shown = ", ".join(f"{key}: ..." for key in keys[:4])
        return "{" + shown + (", ..." if len(keys) > 4 else "") + "}"
    if isinstance(value, list | tuple):
        if all(not isinstance(item, Mapping | list | tuple) for item in value) and len(value) <= 4:
            text = "[" + ", ".join(_scalar(item) for item in value) + "]"
            if len(text) <= 60:
                return text
        return f"[... {len(value)} items]"
    return _scalar(value)


def mask_url(value: Any) -> str:
    """Show a URL with its password replaced, so the admin sees which URL is meant."""
    if not isinstance(value, str):
        return MASK
    return repr(re.sub(r"(://[^/@:]*:)[^/@]*@", r"\1***@", value))


__all__ = [
    "FILE",
    "MASK",
    "MISSING",
    "ConfigError",
    "Loc",
    "Problem",
    "kind_of",
    "mask_url",
    "parse_path",
    "render_path",
    "render_value",
]
