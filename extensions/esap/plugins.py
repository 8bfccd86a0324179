"""The adapter registry: short names in ``esap.yaml`` -> adapter classes, by kind.

An admin picks an adapter by name (``type: tap``); a community adds one by
publishing a package with an entry point in one of the groups below, without
touching ESAP Hub. Like fsspec's registry, the built-in adapters are listed as
``"module:Class"`` strings and imported only when used, so checking a config
never imports pyvo, astropy or a third-party package, and a missing optional
dependency surfaces as "install X" at the moment the adapter is needed.

Built-in names win over entry points of the same name, so an installed
package cannot silently replace an adapter an admin already relies on.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import importlib.util
from importlib.metadata import entry_points
from typing import Final

DATA_SERVICES: Final = "esap.data_services"
SOFTWARE_CATALOGUES: Final = "esap.software_catalogues"
ARCHIVES: Final = "esap.archives"

#: The adapters that ship with ESAP Hub, as ``"module:attribute"`` targets.
BUILTIN: Final[dict[str, dict[str, str]]] = {
    DATA_SERVICES: {
        "tap": "esap.data.tap:TapService",
        "sia2": "esap.data.sia2:Sia2Service",
        "scs": "esap.data.scs:ConeSearchService",
        "ssa": "esap.data.ssa:SsaService",
        "registry": "esap.data.registry:RegistryService",
        "rucio": "esap.data.rucio:RucioService",
        "zooniverse": "esap.data.zooniverse:ZooniverseService",
    },
    SOFTWARE_CATALOGUES: {
        "codemeta": "esap.software.codemeta:CodemetaCatalogue",
        "ossr": "esap.software.ossr:OssrCatalogue",
    },
    ARCHIVES: {
        "local": "esap.publish.local:LocalArchive",
        "zenodo": "esap.publish.zenodo:ZenodoArchive",
        "invenio-rdm": "esap.publish.invenio_rdm:InvenioRdmArchive",
    },
}

#: What a person calls each kind, for messages.
KIND: Final[dict[str, str]] = {
    DATA_SERVICES: "data service",
    SOFTWARE_CATALOGUES: "software catalogue",
    ARCHIVES: "archive",
}

#: The libraries a built-in adapter imports only when it is used (so that its module,
#: and a config naming it, load without them), checked when it is loaded: a lean
#: install without its extra hears which one to install before a search fails.
NEEDS: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    (DATA_SERVICES, "rucio"): ("rucio", "jwt"),
    (DATA_SERVICES, "zooniverse"): ("panoptes_client",),
}

#: Import name -> distribution to install, where the two differ or the hint helps.
_INSTALL_HINTS: Final[dict[str, str]] = {
    "pyvo": "pyvo",
    "astropy": "astropy",
    "eossr": "eossr",
    "bagit": "bagit",
    "rocrate": "rocrate",
    "httpx": "httpx",
    "panoptes_client": "panoptes-client",
    "rucio": "rucio-clients",
    "jwt": "pyjwt",
    "ipyaladin": "ipyaladin",
    "dask_gateway": "dask-gateway",
    "dask_gateway_server": "dask-gateway-server",
    "distributed": "distributed",
    "jupyterhub": "jupyterhub",
    "oauthenticator": "oauthenticator",
    "kubespawner": "jupyterhub-kubespawner",
    "kubernetes_asyncio": "kubernetes-asyncio",
}

#: Import name -> the extra of esap-hub that installs it (pyproject.toml): a lean
#: install leaves out what only a hub or one adapter uses, and says which extra
#: brings it back, with the versions ESAP Hub is tested with.
EXTRAS: Final[dict[str, str]] = {
    "rucio": "rucio",
    "jwt": "rucio",
    "panoptes_client": "zooniverse",
    "ipyaladin": "sky",
    "dask": "dask",
    "dask_gateway": "dask",
    "dask_gateway_server": "dask",
    "distributed": "dask",
    "jupyterhub": "hub",
    "oauthenticator": "hub",
    "kubespawner": "hub",
    "jupyterhub_idle_culler": "hub",
    "kubernetes_asyncio": "kubernetes",
}


def install_command(module: str, extra: str | None = None) -> str:
    """The command that installs the library of the module ``module`` (dotted or not).

    ``pip install 'esap-hub[rucio]'`` for a library one of esap-hub's extras
    brings (at the versions it is tested with), or for any library of a
    feature whose ``extra`` the caller names (Dask's own dependencies, say),
    else ``pip install <its distribution>``.
    """
    top = module.partition(".")[0]
    extra = extra or EXTRAS.get(top)
    if extra is not None:
        return f"pip install 'esap-hub[{extra}]'"
    return f"pip install {_INSTALL_HINTS.get(top, top)}"


def not_installed(module: str, what: str = "it", extra: str | None = None) -> str:
    """``<what> needs X, which is not installed; install it with <command>``, for any face."""
    top = module.partition(".")[0]
    command = install_command(module, extra)
    return f"{what} needs {top}, which is not installed; install it with {command}"


def missing_library(
    exc: ModuleNotFoundError, what: str, extra: str | None = None
) -> ModuleNotFoundError:
    """``exc`` as a person fixes it: ``what`` needs the library, and the command installing it.

    For the lazy imports of a feature whose libraries an ``extra`` brings
    (the sky view's ipyaladin, Dask for ``esap.bulk.cluster``); a module of
    ESAP's own that is missing is a broken install, left as it was raised.
    """
    name = exc.name or ""
    if not name or name.partition(".")[0] == "esap":
        return exc
    return ModuleNotFoundError(not_installed(name, what, extra), name=name)


class AdapterNotFoundError(LookupError):
    """No adapter of that name is built in or installed in that group."""


class AdapterImportError(ImportError):
    """The adapter is known, but its module (or a dependency of it) cannot be imported."""


class AdapterBrokenError(AdapterImportError):
    """The adapter's module is there but raised while it was imported (a bug in its package)."""


def groups() -> tuple[str, ...]:
    """The entry-point groups ESAP Hub reads, one per adapter kind."""
    return tuple(BUILTIN)


def _check_group(group: str) -> None:
    if group not in BUILTIN:
        raise ValueError(f"unknown adapter group {group!r}; known groups: {', '.join(BUILTIN)}")


@functools.cache
def _distributions(group: str) -> dict[str, str]:
    """Entry-point name -> the distribution that registers it (for "reinstall X" hints)."""
    found = {}
    for ep in entry_points(group=group):
        dist = getattr(ep, "dist", None)
        if dist is not None:
            found[ep.name] = str(dist.metadata["Name"] or dist.name)
    return found


@functools.cache
def _installed(group: str) -> dict[str, str]:
    """Entry points of ``group`` as ``{name: "module:attr"}``, read once per process.

    Scanning installed distributions costs milliseconds per call and a config
    validates one entry per service, so the answer is cached; ``refresh()``
    forgets it (after installing a package into a running process, or in tests).
    """
    return {ep.name: ep.value for ep in entry_points(group=group)}


@functools.cache
def _importable(module: str) -> bool:
    """Whether ``module`` is installed here (found, not imported); cached like entry points."""
    return importlib.util.find_spec(module) is not None


def refresh() -> None:
    """Forget the cached entry points, so the next look-up rescans installed packages."""
    _installed.cache_clear()
    _distributions.cache_clear()
    _importable.cache_clear()


def targets(group: str) -> dict[str, str]:
    """Every known adapter of ``group`` as ``{name: "module:attr"}``, built-ins first."""
    _check_group(group)
    found = dict(BUILTIN[group])
    for name, target in _installed(group).items():
        found.setdefault(name, target)
    return found


def names(group: str) -> list[str]:
    """Names an admin may write as ``type:`` for this kind; nothing is imported."""
    return list(targets(group))


def suggest(group: str, name: str) -> str | None:
    """The known name closest to a misspelt ``name``, if one is close enough."""
    close = difflib.get_close_matches(name, names(group), n=1)
    return close[0] if close else None


def load(group: str, name: str) -> type:
    """Import and return the adapter class registered as ``name`` in ``group``.

    Raises ``AdapterNotFoundError`` for an unknown name (listing the known
    ones) and ``AdapterImportError`` saying what to install when the module or
    one of its dependencies is missing, or what it raised when importing it
    failed in any other way: a broken package is that adapter's error, never
    the caller's crash.
    """
    known = targets(group)
    if name not in known:
        close = suggest(group, name)
        hint = f"did you mean {close!r}? " if close else ""
        raise AdapterNotFoundError(
            f"no {KIND[group]} adapter named {name!r}; {hint}"
            f"known: {', '.join(known)} (third-party adapters register "
            f"under the entry-point group {group})"
        )
    target = known[name]
    module_name, _, attr = target.partition(":")
    if name in BUILTIN[group]:
        for library in NEEDS.get((group, name), ()):
            if not _importable(library):
                package = _INSTALL_HINTS.get(library, library)
                raise AdapterImportError(
                    f"cannot load the {KIND[group]} adapter {name!r} ({target}): it needs "
                    f"{library}, which is not installed; install {package} "
                    f"({install_command(library)})",
                    name=library,
                )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        missing = exc.name or module_name
        top = missing.partition(".")[0]
        if top == "esap" or missing == module_name:
            what = f"the module {missing} is not installed"
            dist = None if name in BUILTIN[group] else _distributions(group).get(name)
            fix = (
                f"reinstall {dist} (pip install --force-reinstall {dist})"
                if dist
                else "reinstall esap-hub"
                if name in BUILTIN[group]
                else "install the package that provides it"
            )
        else:
            package = _INSTALL_HINTS.get(top, top)
            what = f"it needs {missing}, which is not installed"
            fix = f"install {package} ({install_command(missing)})"
        raise AdapterImportError(
            f"cannot load the {KIND[group]} adapter {name!r} ({target}): {what}; {fix}",
            name=missing,
        ) from exc
    except Exception as exc:  # a third-party module that fails while importing
        raise AdapterBrokenError(
            f"cannot load the {KIND[group]} adapter {name!r} ({target}): importing "
            f"{module_name} raised {type(exc).__name__}: {exc}; fix or reinstall the package "
            f"that provides it, or remove the entry",
            name=module_name,
        ) from exc
    try:
        adapter = getattr(module, attr) if attr else module
    except AttributeError as exc:
        raise AdapterImportError(
            f"cannot load the {KIND[group]} adapter {name!r}: {module_name} has no {attr}",
            name=module_name,
        ) from exc
    if not isinstance(adapter, type):
        raise AdapterImportError(
            f"the {KIND[group]} adapter {name!r} ({target}) is not a class", name=module_name
        )
    return adapter


__all__ = [
    "ARCHIVES",
    "BUILTIN",
    "DATA_SERVICES",
    "EXTRAS",
    "KIND",
    "NEEDS",
    "SOFTWARE_CATALOGUES",
    "AdapterBrokenError",
    "AdapterImportError",
    "AdapterNotFoundError",
    "groups",
    "install_command",
    "load",
    "missing_library",
    "names",
    "not_installed",
    "refresh",
    "suggest",
    "targets",
]
