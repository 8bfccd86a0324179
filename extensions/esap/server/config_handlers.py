"""``GET /esap/api/v1/config``: what this server offers (never its secrets), and from where.

The config is read by ``esap.core.public_config``, the reader every
capability uses; a broken named config (a 500) is answered like any other
error. The answer adds ``source`` (``hub``, ``file:<path>`` or ``default``),
so the panels say which configuration they run on, and ``warnings``: a user
file that was set aside for its problems, each with its key and fix, for the
panels to show while they run on the default.
"""

from __future__ import annotations

from tornado import web

from esap.core.public_config import config_in_use
from esap.server.answers import PublicConfigAnswer
from esap.server.base import EsapHandler


class ConfigHandler(EsapHandler):
    """The public part of the config: services, catalogues, archives, profiles; its source."""

    @web.authenticated
    def get(self) -> None:
        found = config_in_use()
        self.write_answer(
            PublicConfigAnswer,
            {**found.config, "source": found.source, "warnings": list(found.warnings)},
        )


default_handlers = [("config", ConfigHandler)]
