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
from esap.server.base import EsapHandler
from esap.server.data_common import catalog, in_thread


class ServiceTokenHandler(EsapHandler):
    """Whether a service takes and has the user's token; store or forget it."""

    def accepting(self, name: str) -> None:
        """404 for an unknown service, 400 for one that takes no token."""
        try:
            adapter = catalog().adapter(name)
        except KeyError:
            self.fail(404, "not_found", f"no data service named {name}", "see GET data/services")
            return
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
        self.write_json({"service": name, "accepts_token": True, "has_token": bool(has)})

    @web.authenticated
    async def put(self, name: str) -> None:
        self.accepting(name)
        body = self.get_json_body()
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str):
            raise FieldError("token", "must be text", 'send {"token": "..."}')
        assert isinstance(token, str)
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
