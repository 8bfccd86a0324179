"""``basket/export`` and ``basket/import``: the basket as a file to share (JSON or VOTable)."""

from __future__ import annotations

import asyncio
import sqlite3

from jupyter_server.base.handlers import APIHandler
from tornado import web

from esap.basket.transfer import ImportRejected, export, import_items, parse
from esap.core.errors import FieldError
from esap.server.base import EsapHandler
from esap.server.basket_handlers import basket_changed, taken_id, too_large, user_basket

MEDIA = {"json": "application/json", "votable": "application/x-votable+xml"}
SUFFIX = {"json": "json", "votable": "vot"}


class ExportHandler(EsapHandler):
    """The whole basket as a file (an attachment the browser saves)."""

    @web.authenticated
    def get(self) -> None:
        fmt = self.get_argument("format", "json")
        if fmt not in MEDIA:
            raise FieldError("format", f"{fmt!r}: unknown", "use format=json or votable")
        data = export(user_basket(), fmt)  # type: ignore[arg-type]
        self.set_header("Content-Type", MEDIA[fmt])
        self.set_header("Content-Disposition", f'attachment; filename="esap-basket.{SUFFIX[fmt]}"')
        self.write(data)
        # APIHandler.finish would label the body application/json
        super(APIHandler, self).finish()


class ImportHandler(EsapHandler):
    """Add the items of a basket file sent as the body; all or nothing."""

    @web.authenticated
    async def post(self) -> None:
        data = self.request.body
        if not data.strip():
            raise FieldError("body", "empty", "send a basket file (JSON or VOTable)")
        name = self.get_argument("name", "basket file")
        try:
            items = parse(data, name)
        except ImportRejected as exc:  # a 400 naming the file's lines at fault: the body's
            raise exc.at("body") from None
        basket = user_basket()
        try:
            ids = await asyncio.get_running_loop().run_in_executor(
                None, import_items, basket, items
            )
        except sqlite3.IntegrityError as exc:  # two items of the file share an id
            raise taken_id(exc, "body", name) from None
        except OverflowError:  # a size past SQLite's largest integer
            raise too_large("body", name) from None
        self.set_status(201)
        self.write_json({"ids": ids, "total": basket_changed(basket)})


default_handlers = [("basket/export", ExportHandler), ("basket/import", ImportHandler)]
