"""The public part of a config: what the hub hands every user server.

A user server runs the user's own code, so whatever it is given the user can
read. It therefore gets an explicit allow-list of fields, built here field by
field, never a dump of the models minus a deny-list: a setting added later
stays private unless someone adds it here on purpose. An adapter's
``options`` go as its own ``Options`` model says (``esap.config.options``):
all but hub-only fields, secret options as references only.
"""

from __future__ import annotations

import json
from typing import Any

from esap import __version__, plugins
from esap.config.adapters import adapter_class
from esap.config.models import (
    ArchiveEntry,
    DaskLimits,
    DataServiceEntry,
    EsapConfig,
    SecretRef,
    SoftwareCatalogueEntry,
)
from esap.config.options import options_model, secret_variable, split_options
from esap.config.sizes import memory_bytes


def _text(value: object | None) -> str | None:
    """A URL or path as JSON text (``None`` stays ``None``)."""
    return None if value is None else str(value)


#: What a kind is called in the names of the environment variables of secret options.
_KINDS = {"data_services": "data", "software_catalogues": "software", "archives": "archive"}

AnyEntry = DataServiceEntry | SoftwareCatalogueEntry | ArchiveEntry


def _options(
    section: str, entry: AnyEntry, secrets: dict[str, SecretRef] | None
) -> tuple[dict[str, Any], str | None]:
    """(the options a user server gets, or the reason the adapter is unusable).

    The adapter's own ``Options`` model says what goes: everything but its
    hub-only fields, with secret options as references. With ``secrets`` (the
    hub building a spawn), each secret's reference becomes
    ``env:ESAP_SECRET_...`` and ``secrets`` maps that variable to the admin's
    reference, for the hub to resolve into the server's environment; without,
    the admin's own reference is kept (a process that reads ``esap.yaml``
    itself resolves it where it runs).
    """
    try:
        model = options_model(adapter_class(section, entry.type))
        options = model.model_validate(entry.options)
    except Exception as exc:  # not installed here, or broken: the lab shows why
        return {}, _reason(exc)
    given = {
        key: value for key, value in options.model_dump(mode="json").items() if value is not None
    }
    shown, hidden = split_options(model, given)
    for key, reference in hidden.items():
        if secrets is None:
            shown[key] = str(reference)
        else:
            variable = secret_variable(_KINDS[section], entry.name, key)
            secrets[variable] = reference
            shown[key] = f"env:{variable}"
    return shown, None


def _reason(exc: Exception) -> str:
    """Why the hub cannot load an adapter, for the lab to show beside its entry."""
    if isinstance(exc, plugins.AdapterBrokenError):
        return f"{exc} (where the hub runs)"
    if isinstance(exc, LookupError | ImportError):
        return f"{exc} (where the hub runs; install it in the hub's environment too)"
    return f"the adapter cannot be used: {type(exc).__name__}: {exc}"


def dask_limits(limits: DaskLimits) -> dict[str, Any]:
    """A ``dask.limits`` entry as data, memory in bytes: what the gateway enforces."""
    return {
        "max_clusters": limits.max_clusters,
        "max_cores": limits.max_cores,
        "max_memory": None if limits.max_memory is None else memory_bytes(limits.max_memory),
    }


def _adapter(entry: DataServiceEntry | SoftwareCatalogueEntry | ArchiveEntry) -> dict[str, Any]:
    """The fields every adapter entry shows: its name, title, type, description, URL."""
    return {
        "name": entry.name,
        "title": entry.title or entry.name,
        "type": entry.type,
        "description": entry.description,
        "url": _text(entry.url),
    }


def public(config: EsapConfig, *, secrets: dict[str, SecretRef] | None = None) -> dict[str, Any]:
    """The JSON-serialisable, secret-free view of ``config`` for user servers and the lab.

    With ``secrets`` (a dict the caller gives), secret options are carried as
    references to environment variables the hub sets on user servers, listed
    in ``secrets``; see :func:`secret_environment`.
    """

    def adapter(section: str, entry: AnyEntry) -> dict[str, Any]:
        options, error = _options(section, entry, secrets)
        found = {**_adapter(entry), "options": options}
        if error is not None:
            found["error"] = error
        return found

    return {
        "title": config.hub.title,
        "version": __version__,
        "data_services": [
            {
                **adapter("data_services", entry),
                "enabled": entry.enabled,
                "timeout": entry.timeout,
            }
            for entry in config.data_services
        ],
        "software_catalogues": [
            {
                **adapter("software_catalogues", entry),
                "enabled": entry.enabled,
                "path": _text(entry.path),
            }
            for entry in config.software_catalogues
        ],
        "archives": [
            {
                **adapter("archives", entry),
                # where a local archive writes (a mounted volume on Kubernetes)
                "path": _text(entry.path),
                "community": entry.community,
            }
            for entry in config.archives
        ],
        "profiles": [
            {
                "name": profile.name,
                "display_name": profile.display_name or profile.name,
                "description": profile.description,
                "default": profile.default,
            }
            for profile in config.profiles
        ],
        # a user's server shows its Dask use against the limits (esap.core.limits reads them)
        "dask": {
            "enabled": config.dask.enabled,
            "limits": dask_limits(config.dask.limits),
            "group_limits": {
                group: dask_limits(limits) for group, limits in config.dask.group_limits.items()
            },
        },
        # bytes, or null: the lab warns near it, downloads and publications stop at it
        "home_quota": None
        if config.hub.home_quota is None
        else memory_bytes(config.hub.home_quota),
        "resolver": config.resolver.model_dump(mode="json"),
        "sky_view": config.sky_view.model_dump(mode="json"),
        "fetch": config.fetch.model_dump(mode="json"),
        "all_vo": config.all_vo.model_dump(mode="json"),
    }


#: Environment variable carrying the public part of the config to user servers.
PUBLIC_CONFIG_ENV = "ESAP_PUBLIC_CONFIG"


def server_environment(config: EsapConfig) -> tuple[dict[str, str], list[str]]:
    """(the environment a user server starts with, problems for the hub's log).

    The public config in ``$ESAP_PUBLIC_CONFIG``, and each secret option's
    value under the variable that config names: the reference is resolved
    here, on the hub, when it configures the spawner. A reference that
    cannot be resolved is left out and named in the problems (the adapter
    then says that variable is not set), so one missing secret never stops
    the hub nor the other adapters.
    """
    secrets: dict[str, SecretRef] = {}
    environment = {PUBLIC_CONFIG_ENV: json.dumps(public(config, secrets=secrets))}
    problems: list[str] = []
    for variable, reference in secrets.items():
        try:
            environment[variable] = reference.resolve()
        except LookupError as exc:
            problems.append(
                f"secret option {variable} ({reference}) is not set on user servers: {exc}"
            )
    return environment, problems


__all__ = ["PUBLIC_CONFIG_ENV", "dask_limits", "public", "server_environment"]
