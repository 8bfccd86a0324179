"""The one reader of the public config: what this hub offers, never its secrets.

The hub passes every user server the public part of ``esap.yaml`` in
``$ESAP_PUBLIC_CONFIG`` (kernels and commands started by that server inherit
it; the user server never calls back into the hub for config). A lab, a
notebook or a command run by hand names an ``esap.yaml`` instead: as an
argument (``config=``, ``--config``) or in ``$ESAP_CONFIG``.

Every capability and face reads it here, so each of them finds the same
config and fails the same way, with an :class:`~esap.core.errors.EsapError`
each face answers as it does any other: no configuration at all is
:class:`NotConfigured` (503), ``$ESAP_PUBLIC_CONFIG`` that is not a JSON
object :class:`BadPublicConfig` (500), an ``esap.yaml`` with problems
:class:`BadConfig` (500, every problem listed). A capability with a sensible
default (publishing to a local archive) catches :class:`NotConfigured` and
nothing else.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from pathlib import Path
from typing import Any

from esap.config.public import PUBLIC_CONFIG_ENV
from esap.core.errors import EsapError, Unavailable

#: The path of an ``esap.yaml``, for a lab or a command run outside a hub.
CONFIG_ENV = "ESAP_CONFIG"

_RESTART = "restart the server from the hub; if it persists, report it to the hub admin"


class NotConfigured(Unavailable):
    """No ESAP configuration reaches this process: not started by a hub, none named."""

    code = "not_configured"


class BadPublicConfig(EsapError):
    """``$ESAP_PUBLIC_CONFIG`` is not the JSON object the hub writes."""

    status = 500
    code = "bad_public_config"
    fix = _RESTART


class BadConfig(EsapError):
    """The ``esap.yaml`` named here has problems (the message lists every one)."""

    status = 500
    code = "bad_config"


def public_config(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The public config: of the ``esap.yaml`` at ``path``, else the hub's, else ``$ESAP_CONFIG``'s.

    A fresh copy each call: callers may change what they get.
    """
    if path is not None:
        return _public_of(path)
    raw = os.environ.get(PUBLIC_CONFIG_ENV)
    if raw:
        return _parsed(raw)
    named = os.environ.get(CONFIG_ENV)
    if named:
        return _public_of(named)
    raise NotConfigured(
        "this process was not started by an ESAP hub, so it has no ESAP configuration",
        f"start it from an ESAP hub, or set {CONFIG_ENV} to the path of an esap.yaml",
    )


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


def _public_of(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The public part of the ``esap.yaml`` at ``path``; :class:`BadConfig` lists its problems."""
    from esap.config import ConfigError

    given = os.fspath(path)
    try:
        # a copy: callers may change what they get, the cached original stays
        return copy.deepcopy(_public_of_file(given, str(Path(given).absolute()), *_stamp(given)))
    except ConfigError as exc:
        raise BadConfig(str(exc), f"fix {given} (check it with `esap config check`)") from None


def _stamp(path: str) -> tuple[int, int]:
    """(mtime in ns, size) of ``path``, or (0, 0) when it cannot be read (load says why)."""
    try:
        info = Path(path).stat()
    except OSError:
        return 0, 0
    return info.st_mtime_ns, info.st_size


@functools.lru_cache(maxsize=4)
def _public_of_file(path: str, absolute: str, mtime_ns: int, size: int) -> dict[str, Any]:
    """The public part of the esap.yaml at ``path``, validated once per version of the file.

    Every data request asks for the config; validating the YAML each time
    cost milliseconds per request. An edited file (new mtime or size) is read
    again; a file with errors is not cached (``ConfigError`` propagates).
    ``absolute`` keeps a relative ``path`` read from two folders apart.
    """
    from esap.config import load, public

    del absolute, mtime_ns, size  # the cache key: a changed file is a new entry
    return public(load(path))


__all__ = [
    "CONFIG_ENV",
    "PUBLIC_CONFIG_ENV",
    "BadConfig",
    "BadPublicConfig",
    "NotConfigured",
    "public_config",
]
