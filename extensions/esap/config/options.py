"""Adapter options: what an adapter declares it accepts under ``options:`` in ``esap.yaml``.

Every adapter class (a data service, a software catalogue, an archive) may
declare an ``Options`` class attribute: a subclass of :class:`AdapterOptions`,
a pydantic model whose fields are the options it reads, each with a type, a
default and a description. ``esap config check`` validates each entry's
``options`` against it (``data_services[3].options.projcet: unknown option —
did you mean 'project'?``), ``esap config schema`` and the chart's values
schema include it, and the adapter receives the validated model as
``self.options``. An adapter that declares nothing gets :class:`FreeOptions`,
which accepts any mapping, as before.

What reaches a user's server: an adapter runs in the user's own server (the
Data, Software and Publish panels, the user's kernels), so every option it
needs goes there, and the user can read it. A field typed
:class:`~esap.config.models.SecretRef` is a *secret option*: the admin writes
``env:NAME`` or ``file:/path``, the config and the public view carry only
the reference, and the hub puts the value in the server's environment at
spawn (``ESAP_SECRET_<KIND>_<ENTRY>_<OPTION>``), where the adapter resolves
it when it needs it (``self.options.api_key.resolve()``). A field marked
:func:`hub_only` never leaves the hub (a setting only the hub's own checks
read). The same rules hold for a free mapping, key by key: a value written
as ``env:NAME`` or ``file:/path`` is passed as a secret, anything else as is.

pydantic is the model language here for the same reason as for ``esap.yaml``
itself (one source for validation, messages and the JSON Schema); a plain
JSON Schema on the class was considered and left out, since it gives neither
typed attributes to the adapter nor the config's own error messages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from esap.config.models import SECRET_REF_PATTERN, SecretRef

#: The JSON Schema key that marks an option kept on the hub.
HUB_ONLY = "x-esap-hub-only"
#: The JSON Schema key that marks a secret option (a reference, passed by environment).
SECRET = "x-esap-secret"  # noqa: S105 - a schema key, not a secret

#: Environment variables a hub sets on user servers for secret options start so.
SECRET_ENV_PREFIX = "ESAP_SECRET_"  # noqa: S105 - a variable prefix, not a secret


class AdapterOptions(BaseModel):
    """Base of an adapter's ``Options`` model: unknown keys are errors, values are typed.

    Subclass it with one field per option, each with a ``description`` (it is
    what ``esap config schema`` and the admin's editor show)::

        class Options(AdapterOptions):
            project: str = Field(description="The project whose records are listed.")
            max_files: int = Field(default=100, ge=1, description="Files per record at most.")
            api_key: SecretRef | None = Field(default=None, description="The archive's key.")

    ``get(key, default)`` reads an option by name, for code written against
    the free mapping of adapters that declare nothing.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    def get(self, key: str, default: Any = None) -> Any:
        """The option ``key`` (a field, or a key of a free mapping), or ``default`` when unset."""
        if key in type(self).model_fields:
            value = getattr(self, key)
            return default if value is None else value
        extra = self.model_extra or {}
        value = extra.get(key)
        return default if value is None else value


class FreeOptions(AdapterOptions):
    """The options of an adapter that declares none: any mapping, read with ``get``."""

    model_config = ConfigDict(extra="allow", frozen=True)


def hub_only(default: Any = None, **kwargs: Any) -> Any:
    """A field that stays on the hub: never in the public config nor on a user server."""
    extra = dict(kwargs.pop("json_schema_extra", None) or {})
    extra[HUB_ONLY] = True
    return Field(default, json_schema_extra=extra, **kwargs)


def options_model(adapter: type) -> type[AdapterOptions]:
    """The options model an adapter class declares (``FreeOptions`` when it declares none)."""
    model = getattr(adapter, "Options", None)
    if model is None:
        return FreeOptions
    if not (isinstance(model, type) and issubclass(model, AdapterOptions)):
        raise TypeError(
            f"{adapter.__module__}.{adapter.__qualname__}.Options must be a subclass of "
            "esap.config.options.AdapterOptions"
        )
    return model


def options_for(adapter: type, options: Mapping[str, Any]) -> AdapterOptions:
    """``options`` validated by ``adapter``'s model: each base class's ``self.options``."""
    return options_model(adapter).model_validate(dict(options))


def unusable(type_name: str, exc: Exception) -> str:
    """Why an adapter could not be built from its entry, for every face to show as is.

    Options the adapter refused are named one by one; anything else its
    constructor raised is given with its type.
    """
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        details = "; ".join(
            f"options.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        return f"the {type_name} adapter refused its options ({details}); check esap.yaml"
    return f"the {type_name} adapter could not start: {type(exc).__name__}: {exc}"


def _is_secret_annotation(annotation: Any) -> bool:
    import types
    import typing

    if annotation is SecretRef:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _is_secret_annotation(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return any(_is_secret_annotation(arg) for arg in typing.get_args(annotation))
    return False


def secret_fields(model: type[AdapterOptions]) -> frozenset[str]:
    """The fields of ``model`` that hold secret references."""
    return frozenset(
        name
        for name, field in model.model_fields.items()
        if _is_secret_annotation(field.annotation)
    )


def hub_only_fields(model: type[AdapterOptions]) -> frozenset[str]:
    """The fields of ``model`` that never leave the hub."""
    found = set()
    for name, field in model.model_fields.items():
        extra = field.json_schema_extra
        if isinstance(extra, dict) and extra.get(HUB_ONLY):
            found.add(name)
    return frozenset(found)


def secret_variable(kind: str, entry: str, option: str) -> str:
    """The environment variable that carries one secret option to user servers."""
    text = f"{SECRET_ENV_PREFIX}{kind}_{entry}_{option}".upper()
    return re.sub(r"[^A-Z0-9_]", "_", text)


def looks_like_reference(value: Any) -> bool:
    """Whether a free option's value is written as a secret reference (env:NAME, file:/path)."""
    return isinstance(value, str) and bool(SECRET_REF_PATTERN.match(value))


def split_options(
    model: type[AdapterOptions], options: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, SecretRef]]:
    """``options`` (already valid) as (plain public options, secret options by key).

    Hub-only options are in neither. For a free mapping, a value written as a
    reference is a secret; everything else is public.
    """
    secrets = secret_fields(model)
    private = hub_only_fields(model)
    free = model is FreeOptions or model.model_config.get("extra") == "allow"
    public: dict[str, Any] = {}
    hidden: dict[str, SecretRef] = {}
    for key, value in options.items():
        if key in private:
            continue
        if value is not None and (
            key in secrets
            or (free and key not in model.model_fields and looks_like_reference(value))
        ):
            hidden[key] = SecretRef(str(value))
        else:
            public[key] = value
    return public, hidden


def option_schema(model: type[AdapterOptions]) -> dict[str, Any]:
    """The JSON Schema of an options model, for ``esap config schema`` and the chart."""
    if model is FreeOptions:
        return {"type": "object", "description": "Adapter-specific settings (not declared)."}
    schema = model.model_json_schema(mode="validation")
    schema.setdefault("additionalProperties", False)
    # secret fields say so (hub-only ones carry their mark from hub_only())
    properties = schema.get("properties")
    if isinstance(properties, dict):
        for name in secret_fields(model):
            found = properties.get(model.model_fields[name].alias or name)
            if isinstance(found, dict):
                found[SECRET] = True
    return schema


__all__ = [
    "HUB_ONLY",
    "SECRET",
    "SECRET_ENV_PREFIX",
    "AdapterOptions",
    "FreeOptions",
    "hub_only",
    "hub_only_fields",
    "looks_like_reference",
    "option_schema",
    "options_for",
    "options_model",
    "secret_fields",
    "secret_variable",
    "split_options",
    "unusable",
]
