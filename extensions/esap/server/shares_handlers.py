"""``shares``: share this running lab with a user or a group, read-only or full, for a time.

Thin over :mod:`esap.sharing.lab`, which goes through JupyterHub's own
sharing (``/hub/api/shares``, ``/hub/api/share-codes``) with this server's
token and records when each share ends with the hub's ``esap-sharing``
service. ``GET shares`` answers whether the hub allows sharing at all (the
lab hides its Share command when not), so it never fails for that reason;
every write on a hub without sharing is a 403 ``sharing_disabled``.
"""

from __future__ import annotations

import re

from tornado import web

from esap.core.errors import FieldError, NotFound
from esap.server.answers import ShareAnswer, ShareLinkAnswer, SharesAnswer
from esap.server.base import EsapHandler
from esap.server.bodies import ShareBody, ShareLinkBody
from esap.sharing import lab


class SharesHandler(EsapHandler):
    """What this lab shares and what is shared with its owner; share it."""

    @web.authenticated
    async def get(self) -> None:
        self.write_answer(SharesAnswer, await lab.overview())

    @web.authenticated
    async def post(self) -> None:
        body = self.body_as(ShareBody)
        made = await lab.share(body.kind, body.name, body.access, body.expires_in)
        self.set_status(201)
        self.write_answer(ShareAnswer, made)


class ShareHandler(EsapHandler):
    """One share of this lab: end it now."""

    @web.authenticated
    async def delete(self, kind: str, name: str) -> None:
        if kind == "links":  # shares/links/<id> whose id no link can have
            raise NotFound(f"no link {name[:40]!r}", "reload the list of links (GET shares)")
        if kind not in ("user", "group"):
            raise FieldError("kind", f"{kind[:40]!r}: not user or group", "use shares/user/<name>")
        await lab.revoke("group" if kind == "group" else "user", name)
        self.set_status(204)
        self.finish()


class LinksHandler(EsapHandler):
    """Links to this lab (JupyterHub share codes)."""

    @web.authenticated
    async def post(self) -> None:
        body = self.body_as(ShareLinkBody)
        made = await lab.make_link(body.access, body.expires_in)
        self.set_status(201)
        self.write_answer(ShareLinkAnswer, made)


class LinkHandler(EsapHandler):
    """One link: withdraw it."""

    @web.authenticated
    async def delete(self, link_id: str) -> None:
        if not LINK_ID.fullmatch(link_id):
            raise NotFound(f"no link {link_id[:40]!r}", "reload the list of links (GET shares)")
        await lab.revoke_link(link_id)
        self.set_status(204)
        self.finish()


#: A link's id as JupyterHub writes it (the route takes any id, to answer a clear 404).
LINK_ID = re.compile(r"sc_[0-9]{1,18}")

default_handlers = [
    ("shares", SharesHandler),
    ("shares/links", LinksHandler),
    (r"shares/links/(?P<link_id>[A-Za-z0-9_]{1,64})", LinkHandler),
    (r"shares/(?P<kind>[^/]{1,64})/(?P<name>[^/]{1,255})", ShareHandler),
]
