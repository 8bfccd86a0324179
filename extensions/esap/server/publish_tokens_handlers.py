"""``publish/tokens``: the user's own archive tokens — write-only.

``PUT`` stores a token (in ``~/.esap``, owner-only), ``DELETE`` forgets it,
``GET`` says per archive whether one is needed and whether one is stored.
No answer ever contains a token, and none is logged.
"""

from __future__ import annotations

from tornado import web

from esap.server.answers import ArchiveTokensAnswer
from esap.server.bodies import TokenBody
from esap.server.publish_common import PublishBase, in_thread

ARCHIVE = r"(?P<archive>[a-z0-9][a-z0-9_-]{0,62})"


class TokensHandler(PublishBase):
    """Which archives need a token and which have one (never the token)."""

    @web.authenticated
    async def get(self) -> None:
        def listing() -> list[dict[str, object]]:
            found = []
            for settings in self.publisher.archives:
                try:
                    needs = self.publisher.adapter_class(settings).needs_token
                except Exception:  # an adapter that cannot load needs no token field
                    needs = False
                found.append(
                    {
                        "archive": settings.name,
                        "needs_token": needs,
                        "has_token": self.publisher.tokens.has(settings.name),
                    }
                )
            return found

        self.write_answer(ArchiveTokensAnswer, {"archives": await in_thread(listing)})


class TokenHandler(PublishBase):
    """Store or forget the token for one archive."""

    def known(self, archive: str) -> None:
        if archive not in {a.name for a in self.publisher.archives}:
            self.fail(
                404,
                "not_found",
                f"no archive named {archive} on this hub",
                "pick one of the archives the hub offers",
            )

    @web.authenticated
    async def put(self, archive: str) -> None:
        self.known(archive)
        token = self.body_as(TokenBody).token
        await in_thread(lambda: self.publisher.tokens.set(archive, token))  # a bad one: a 400
        self.set_status(204)
        self.finish()

    @web.authenticated
    async def delete(self, archive: str) -> None:
        self.known(archive)
        await in_thread(lambda: self.publisher.tokens.delete(archive))
        self.set_status(204)
        self.finish()


default_handlers = [
    ("publish/tokens", TokensHandler),
    (f"publish/tokens/{ARCHIVE}", TokenHandler),
]
