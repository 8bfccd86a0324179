"""``GET /esap/api/v1/config``: what this hub offers (never its secrets)."""

from __future__ import annotations

import json
import os
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
            return public(load(path))
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


class ConfigHandler(EsapHandler):
    """The public part of the hub's config: services, catalogues, archives, profiles."""

    @web.authenticated
    def get(self) -> None:
        self.write_json(public_config())


default_handlers = [("config", ConfigHandler)]
