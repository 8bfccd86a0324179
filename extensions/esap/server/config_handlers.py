"""``GET /esap/api/v1/config``: what this hub offers (never its secrets)."""

from __future__ import annotations

import copy
import functools
import json
import os
from pathlib import Path
from typing import Any

from tornado import web

from esap.config import ConfigError, load, public
from esap.server.base import ApiError, EsapHandler

PUBLIC_CONFIG_ENV = "ESAP_PUBLIC_CONFIG"
CONFIG_ENV = "ESAP_CONFIG"


def public_config() -> dict[str, Any]:
    """The public config this server was started with.

    The hub passes it in ``$ESAP_PUBLIC_CONFIG`` (the user server never calls
    back into the hub for config). A lab started by hand can name an
    ``esap.yaml`` in ``$ESAP_CONFIG`` instead.
    """
    raw = os.environ.get(PUBLIC_CONFIG_ENV)
    if raw:
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ApiError(
                500,
                "bad_public_config",
                f"${PUBLIC_CONFIG_ENV} is not valid JSON ({exc.msg} at {exc.pos})",
                "restart the server from the hub; if it persists, report it to the hub admin",
            ) from None
        if not isinstance(value, dict):
            raise ApiError(
                500,
                "bad_public_config",
                f"${PUBLIC_CONFIG_ENV} is not a JSON object",
                "restart the server from the hub; if it persists, report it to the hub admin",
            )
        return value
    path = os.environ.get(CONFIG_ENV)
    if path:
        try:
            # a copy: callers may change what they get, the cached original stays
            return copy.deepcopy(_public_of_file(path, *_stamp(path)))
        except ConfigError as exc:
            raise ApiError(
                500, "bad_config", str(exc), f"fix {path} (check it with `esap config check`)"
            ) from None
    raise ApiError(
        503,
        "not_configured",
        "this server was not started by an ESAP hub, so it has no ESAP configuration",
        f"start it from an ESAP hub, or set {CONFIG_ENV} to the path of an esap.yaml",
    )


def _stamp(path: str) -> tuple[int, int]:
    """(mtime in ns, size) of ``path``, or (0, 0) when it cannot be read (load says why)."""
    try:
        info = Path(path).stat()
    except OSError:
        return 0, 0
    return info.st_mtime_ns, info.st_size


@functools.lru_cache(maxsize=4)
def _public_of_file(path: str, mtime_ns: int, size: int) -> dict[str, Any]:
    """The public part of the esap.yaml at ``path``, validated once per version of the file.

    Every data request asks for the config; validating the YAML each time
    cost milliseconds per request. An edited file (new mtime or size) is read
    again; a file with errors is not cached (``ConfigError`` propagates).
    """
    del mtime_ns, size  # the cache key: a changed file is a new entry
    return public(load(path))


class ConfigHandler(EsapHandler):
    """The public part of the hub's config: services, catalogues, archives, profiles."""

    @web.authenticated
    def get(self) -> None:
        self.write_json(public_config())


default_handlers = [("config", ConfigHandler)]
