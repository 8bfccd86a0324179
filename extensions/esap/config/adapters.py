"""Checks of each adapter entry against its adapter: can it be loaded, are its options valid.

The models check an entry's shape (name, url, ``type`` among the registered
names); whether that adapter's package imports, and whether the entry's
``options`` are what the adapter declares (its ``Options`` model, see
``esap.config.options``), needs the adapter class, so it is checked here, on
the raw entries of the file, beside the models' own problems and in the same
words (``data_services[3].options.projcet: 'x': unknown option — did you mean
'project'?``).

Two modes, because the same file is read in two places:

* ``strict`` (``esap config check``, the CLI, a user server reading a file):
  an adapter that cannot be found or imported is a problem like any other.
* ``lenient`` (hub start): an adapter that is registered (its package's
  entry point is there) but cannot be imported is a warning. A broken
  third-party package must not stop the hub; that entry reaches user
  servers marked with the reason and the fix, and the others work. A
  ``type`` that nothing registers (a typo, a package not installed at all)
  is an error in both modes, reported by the models with "did you mean";
  and options of an adapter that *can* be loaded are still checked: a
  wrong option is the admin's to fix.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from esap import plugins
from esap.config.errors import Loc, Problem, render_path, render_value
from esap.config.options import options_model

#: The config sections whose entries name an adapter, and their entry-point groups.
SECTIONS: dict[str, str] = {
    "data_services": plugins.DATA_SERVICES,
    "software_catalogues": plugins.SOFTWARE_CATALOGUES,
    "archives": plugins.ARCHIVES,
}

#: Key path of an entry's ``options`` -> the options model in force there, so the
#: messages module can walk into it as into any section of the config.
_models: contextvars.ContextVar[dict[Loc, type[BaseModel]] | None] = contextvars.ContextVar(
    "esap_options_models", default=None
)


def model_at(loc: Loc) -> type[BaseModel] | None:
    """The options model in force at ``loc`` (an entry's ``options``), if one is known."""
    return (_models.get() or {}).get(tuple(loc))


@contextlib.contextmanager
def options_models(models: Mapping[Loc, type[BaseModel]]) -> Iterator[None]:
    """Within the block, ``model_at`` knows these options models."""
    token = _models.set({**(_models.get() or {}), **models})
    try:
        yield
    finally:
        _models.reset(token)


def adapter_class(section: str, type_name: str) -> type:
    """The adapter class of a section's ``type`` (``plugins`` errors propagate)."""
    return plugins.load(SECTIONS[section], type_name)


def _load_problem(loc: Loc, type_name: str, exc: Exception) -> Problem:
    group = SECTIONS[str(loc[0])]
    kind = plugins.KIND[group]
    if isinstance(exc, plugins.AdapterImportError):
        message, _, fix = str(exc).rpartition("; ")
        return Problem(render_path(loc), render_value(type_name), message or str(exc), fix)
    return Problem(
        render_path(loc),
        render_value(type_name),
        f"the {kind} adapter cannot be used: {type(exc).__name__}: {exc}",
        "fix or reinstall the package that provides it, or remove the entry",
    )


def check_entries(
    data: Mapping[str, Any], *, lenient: bool = False
) -> tuple[list[tuple[Loc, Problem]], list[tuple[Loc, Problem]]]:
    """(problems, warnings) of every adapter entry in the raw config ``data``.

    Entries that are not mappings, or whose ``type`` is not text or not a
    registered name, are left to the models (which report them).
    """
    from esap.config.messages import problem_from_error

    problems: list[tuple[Loc, Problem]] = []
    warnings: list[tuple[Loc, Problem]] = []
    for section in SECTIONS:
        entries = data.get(section)
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
                continue
            type_name = entry["type"]
            loc: Loc = (section, index, "type")
            if type_name not in plugins.names(SECTIONS[section]):
                continue  # the models report an unknown type, with "did you mean"
            try:
                model = options_model(adapter_class(section, type_name))
            except Exception as exc:  # an adapter's import is the adapter's problem
                (warnings if lenient else problems).append(
                    (loc, _load_problem(loc, type_name, exc))
                )
                continue
            options = entry.get("options")
            if options is None:
                options = {}
            if not isinstance(options, dict):
                continue  # the model reports a non-mapping
            where: Loc = (section, index, "options")
            try:
                model.model_validate(options)
            except ValidationError as exc:
                with options_models({where: model}):
                    for detail in exc.errors(include_url=False):
                        detail["loc"] = (*where, *detail["loc"])
                        problem = problem_from_error(detail)
                        problems.append(((*where, *detail["loc"][len(where) :]), problem))
    return problems, warnings


__all__ = [
    "SECTIONS",
    "adapter_class",
    "check_entries",
    "model_at",
    "options_models",
]
