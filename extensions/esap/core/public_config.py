"""The one reader of the public config: what this server offers, never its secrets.

Where it comes from, the first found wins (:func:`config_in_use` says which):

1. an ``esap.yaml`` named by the caller (``config=``, ``--config``);
2. ``$ESAP_PUBLIC_CONFIG``: the hub passes every user server the public part
   of its ``esap.yaml`` there (kernels and commands started by that server
   inherit it; the user server never calls back into the hub for config);
3. ``$ESAP_CONFIG``, the path of an ``esap.yaml`` (a lab, a notebook or a
   command run by hand, a JupyterHub that is not ESAP's);
4. the user file: ``esap.yaml`` in a Jupyter config folder (see
   :func:`user_config_file`), each section it writes replacing that of
   the default;
5. the default shipped in the package (``esap/config/default.yaml``): the
   public data services and software catalogues of the example ``esap.yaml``
   and a local archive in the home, so the panels work in any JupyterLab
   the package is installed into.

Every capability and face reads it here, so each of them finds the same
config and fails the same way, with an :class:`~esap.core.errors.EsapError`
each face answers as it does any other: ``$ESAP_PUBLIC_CONFIG`` that is not
a JSON object is :class:`BadPublicConfig` (500), a named ``esap.yaml`` with
problems :class:`BadConfig` (500, every problem listed). A user file with
problems is no error: the user did not name it for this process, and the
default is a safe config to run on, so the default is used and the problems
are carried as warnings (:attr:`ConfigInUse.warnings`), which the panels
show. :class:`NotConfigured` (503) is raised only when a caller asks for a
named config and nothing names one (``defaults=False``).
"""

from __future__ import annotations

import copy
import functools
import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from esap.config.public import PUBLIC_CONFIG_ENV
from esap.core.errors import EsapError, FieldProblem, Unavailable

if TYPE_CHECKING:
    from esap.config import ConfigError, EsapConfig

#: The path of an ``esap.yaml``, for a lab or a command run outside a hub.
CONFIG_ENV = "ESAP_CONFIG"
#: The name of the user file in a Jupyter config folder.
USER_FILE = "esap.yaml"
#: The configuration used when nothing else is given (shipped in the package).
DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "config" / "default.yaml"

#: What :attr:`ConfigInUse.source` says for the hub's config and for the default.
HUB = "hub"
DEFAULT = "default"

_RESTART = "restart the server from the hub; if it persists, report it to the hub admin"


class NotConfigured(Unavailable):
    """No ESAP configuration is named here: not started by a hub, no ``esap.yaml`` given."""

    code = "not_configured"


class BadPublicConfig(EsapError):
    """``$ESAP_PUBLIC_CONFIG`` is not the JSON object the hub writes."""

    status = 500
    code = "bad_public_config"
    fix = _RESTART


class BadConfig(EsapError):
    """The ``esap.yaml`` named here has problems (``problems`` lists every one)."""

    status = 500
    code = "bad_config"

    def __str__(self) -> str:
        """The file, then every problem with its own fix: what ``esap`` prints, in one line."""
        return f"{self.message}: " + "; ".join(str(problem) for problem in self.problems)


class UserConfigWarning(UserWarning):
    """The user file has problems, so the default configuration is used."""


@dataclass(frozen=True)
class ConfigInUse:
    """The public config this process runs on, where it came from, and what was set aside.

    ``source`` is ``"hub"`` (``$ESAP_PUBLIC_CONFIG``), ``"file:<path>"`` (an
    ``esap.yaml``: named, ``$ESAP_CONFIG`` or the user file) or
    ``"default"``. ``warnings`` lists, in the shape of an error body (code,
    message, fix, file, problems), a user file that was not used and why.
    """

    config: dict[str, Any]
    source: str
    warnings: tuple[dict[str, Any], ...] = field(default=())


def public_config(
    path: str | os.PathLike[str] | None = None, *, defaults: bool = True
) -> dict[str, Any]:
    """The public config this process runs on (see the module docstring for the order).

    A fresh copy each call: callers may change what they get. With
    ``defaults=False`` only a named config counts (the caller has its own
    fallback): :class:`NotConfigured` when there is none.
    """
    return config_in_use(path, defaults=defaults).config


def config_in_use(
    path: str | os.PathLike[str] | None = None, *, defaults: bool = True
) -> ConfigInUse:
    """The public config, where it came from and the warnings of a user file set aside."""
    if path is not None:
        return _named(path)
    raw = os.environ.get(PUBLIC_CONFIG_ENV)
    if raw:
        return ConfigInUse(_parsed(raw), HUB)
    named = os.environ.get(CONFIG_ENV)
    if named:
        return _named(named)
    if not defaults:
        raise NotConfigured(
            "this process was not started by an ESAP hub and no esap.yaml is named",
            f"start it from an ESAP hub, or set {CONFIG_ENV} to the path of an esap.yaml",
        )
    user = user_config_file()
    if user is None:
        return ConfigInUse(_fresh(_read(DEFAULT_CONFIG, over_default=False)), DEFAULT)
    from esap.config import ConfigError

    try:
        return ConfigInUse(_fresh(_read(user, over_default=True)), f"file:{user}")
    except ConfigError as exc:
        warning = _set_aside(user, exc)
        said = "; ".join(str(problem) for problem in _field_problems(exc))
        warnings.warn(f"{warning['message']}: {said}", UserConfigWarning, stacklevel=2)
    return ConfigInUse(_fresh(_read(DEFAULT_CONFIG, over_default=False)), DEFAULT, (warning,))


def user_config_folders() -> list[Path]:
    """The folders a user file is looked for in: Jupyter's config path, in its own order.

    Why there and not in ``~/.esap``: a person who runs JupyterLab keeps
    its settings in ``~/.jupyter`` (``jupyter --config-dir``), and Jupyter's
    config path (``jupyter --paths``) also has a folder per environment
    (``<sys.prefix>/etc/jupyter``) and system-wide ones (``/etc/jupyter``),
    so whoever builds an environment or an image for someone else's hub
    ships an ``esap.yaml`` the same way they ship the lab's own settings,
    with no variable to set; ``$JUPYTER_CONFIG_DIR``,
    ``$JUPYTER_CONFIG_PATH`` and ``$JUPYTER_PREFER_ENV_PATH`` move and
    order these folders for ESAP as for Jupyter. ``~/.esap`` holds ESAP's
    state instead (the basket, tokens, journals: owner-only, never
    published, out of reach of the lab's file routes), not settings a
    person edits.
    """
    from jupyter_core.paths import jupyter_config_path

    return [Path(folder) for folder in jupyter_config_path()]


def user_config_file() -> Path | None:
    """The ``esap.yaml`` of the first folder of :func:`user_config_folders` that has one."""
    for folder in user_config_folders():
        candidate = folder / USER_FILE
        if candidate.is_file():
            return candidate
    return None


def _parsed(raw: str) -> dict[str, Any]:
    """``$ESAP_PUBLIC_CONFIG`` read, or :class:`BadPublicConfig` saying what is wrong."""
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise BadPublicConfig(
            f"${PUBLIC_CONFIG_ENV} is not valid JSON ({exc.msg} at {exc.pos})"
        ) from None
    if not isinstance(value, dict):
        raise BadPublicConfig(f"${PUBLIC_CONFIG_ENV} is not a JSON object")
    return value


def _named(path: str | os.PathLike[str]) -> ConfigInUse:
    """The public part of the named ``esap.yaml``; :class:`BadConfig` lists its problems."""
    from esap.config import ConfigError

    given = os.fspath(path)
    try:
        found = _read(Path(given), over_default=False)
    except ConfigError as exc:
        raise BadConfig(
            f"{given} has {_count(exc)}",
            f"fix {given} (check it with `esap config check`)",
            problems=_field_problems(exc),
        ) from None
    return ConfigInUse(_fresh(found), f"file:{Path(given).absolute()}")


def _set_aside(user: Path, exc: ConfigError) -> dict[str, Any]:
    """The warning that the user file at ``user`` was not used: its problems, each with its fix."""
    return {
        "code": "bad_user_config",
        "file": str(user),
        "message": f"{user} has {_count(exc)}, so the default configuration is used",
        "fix": f"fix {user} as each problem says (check it with `esap config check {user}`), "
        "or remove it",
        "problems": [
            {"field": problem.field, "message": problem.message, "fix": problem.fix}
            for problem in _field_problems(exc)
        ],
    }


def _count(exc: ConfigError) -> str:
    return "1 problem" if len(exc.problems) == 1 else f"{len(exc.problems)} problems"


def _field_problems(exc: ConfigError) -> list[FieldProblem]:
    """A config's problems as the error model's field problems (key path, what, fix)."""
    return [
        FieldProblem(problem.path, f"{problem.value}: {problem.message}", problem.fix)
        for problem in exc.problems
    ]


def _fresh(found: dict[str, Any]) -> dict[str, Any]:
    """A copy: callers may change what they get, the cached original stays."""
    return copy.deepcopy(found)


def _read(path: Path, *, over_default: bool) -> dict[str, Any]:
    """The public part of the esap.yaml at ``path`` (``ConfigError`` lists its problems)."""
    return _public_of_file(
        str(path), str(path.absolute()), *_stamp(path), str(Path.home()), over_default
    )


def _stamp(path: Path) -> tuple[int, int]:
    """(mtime in ns, size) of ``path``, or (0, 0) when it cannot be read (load says why)."""
    try:
        info = path.stat()
    except OSError:
        return 0, 0
    return info.st_mtime_ns, info.st_size


@functools.lru_cache(maxsize=8)
def _public_of_file(
    path: str, absolute: str, mtime_ns: int, size: int, home: str, over_default: bool
) -> dict[str, Any]:
    """The public part of the esap.yaml at ``path``, validated once per version of the file.

    Every data request asks for the config; validating the YAML each time
    cost milliseconds per request. An edited file (new mtime or size) is read
    again; a file with errors is not cached (``ConfigError`` propagates).
    ``absolute`` keeps a relative ``path`` read from two folders apart, and
    ``home`` a file whose paths start with ``~`` (the default's archive) read
    for two homes apart. With ``over_default``, the sections the file leaves
    out are the default's.
    """
    from esap.config import load, public

    del absolute, mtime_ns, size, home  # the cache key: a changed file is a new entry
    config = load(path)
    if over_default:
        config = _over_default(config, Path(path))
    return public(config)


def _over_default(config: EsapConfig, path: Path) -> EsapConfig:
    """``config`` with every top-level section its file does not write taken from the default.

    A person writes only what they change: a user file with a
    ``data_services:`` section and nothing else keeps the default's
    catalogues, archive and sky view.
    """
    import yaml

    from esap.config import load

    written = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    default = load(DEFAULT_CONFIG)
    return config.model_copy(
        update={
            section: getattr(default, section)
            for section in type(config).model_fields
            if section not in written
        }
    )


__all__ = [
    "CONFIG_ENV",
    "DEFAULT",
    "DEFAULT_CONFIG",
    "HUB",
    "PUBLIC_CONFIG_ENV",
    "USER_FILE",
    "BadConfig",
    "BadPublicConfig",
    "ConfigInUse",
    "NotConfigured",
    "UserConfigWarning",
    "config_in_use",
    "public_config",
    "user_config_file",
    "user_config_folders",
]
