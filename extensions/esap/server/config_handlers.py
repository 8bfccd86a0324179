"""``GET /esap/api/v1/config``: what this hub offers (never its secrets).

The config is read by ``esap.core.public_config``, the reader every
capability uses; its errors (not configured: 503, a broken config: 500)
are answered like any other.
"""

from __future__ import annotations

from tornado import web

from esap.core.public_config import public_config
from esap.server.base import EsapHandler


class ConfigHandler(EsapHandler):
    """The public part of the hub's config: services, catalogues, archives, profiles."""

    @web.authenticated
    def get(self) -> None:
        self.write_json(public_config())


default_handlers = [("config", ConfigHandler)]
