"""``data/services/<name>/token``: the user's own login for a data service — write-only.

For services whose adapter takes a personal token (``accepts_token``, e.g.
``zooniverse`` for private projects). ``PUT`` stores it owner-only in
``~/.esap`` (``esap.data.base.user_tokens``, where the adapter reads it),
``DELETE`` forgets it, ``GET`` says whether the service takes one and whether
one is stored. No answer ever contains a token, and none is logged.
"""

from __future__ import annotations

from tornado import web

from esap.core.errors import FieldError
from esap.data.base import TakesUserToken, user_tokens
from esap.server.answers import ServiceTokenAnswer
from esap.server.base import EsapHandler
from esap.server.bodies import TokenBody
from esap.server.data_common import catalog, in_thread


class ServiceTokenHandler(EsapHandler):
    """Whether a service takes and has the user's token; store or forget it."""

    def accepting(self, name: str) -> None:
        """404 for an unknown service (the catalog's), 400 for one that takes no token."""
        adapter = catalog().adapter(name)
        if not isinstance(adapter, TakesUserToken):
            raise FieldError(
                "service",
                f"{name} takes no personal token",
                "store tokens only for services that ask for one (e.g. zooniverse)",
            )

    @web.authenticated
    async def get(self, name: str) -> None:
        self.accepting(name)
        has = await in_thread(lambda: user_tokens().has(name))
        self.write_answer(
            ServiceTokenAnswer, {"service": name, "accepts_token": True, "has_token": bool(has)}
        )

    @web.authenticated
    async def put(self, name: str) -> None:
        self.accepting(name)
        token = self.body_as(TokenBody).token
        await in_thread(lambda: user_tokens().set(name, token))  # a bad token: a 400 naming it
        self.set_status(204)
        self.finish()

    @web.authenticated
    async def delete(self, name: str) -> None:
        self.accepting(name)
        await in_thread(lambda: user_tokens().delete(name))
        self.set_status(204)
        self.finish()


default_handlers = [
    (r"data/services/(?P<name>[^/]+)/token", ServiceTokenHandler),
]
