"""``basket/export`` and ``basket/import``: the basket as a file to share (JSON or VOTable).

Thin over :mod:`esap.basket.transfer`, which a notebook's
``esap.basket.export_file`` and ``import_file`` use too.
"""

from __future__ import annotations

import asyncio

from jupyter_server.base.handlers import APIHandler
from tornado import web

from esap.basket.transfer import export, import_data
from esap.server.answers import AddedAnswer
from esap.server.base import EsapHandler
from esap.server.basket_handlers import basket_changed, user_basket

MEDIA = {"json": "application/json", "votable": "application/x-votable+xml"}
SUFFIX = {"json": "json", "votable": "vot"}


class ExportHandler(EsapHandler):
    """The whole basket as a file (an attachment the browser saves)."""

    @web.authenticated
    def get(self) -> None:
        fmt = self.get_argument("format", "json")
        data = export(user_basket(), fmt)  # an unknown format: a 400 naming ``format``
        self.set_header("Content-Type", MEDIA[fmt])
        self.set_header("Content-Disposition", f'attachment; filename="esap-basket.{SUFFIX[fmt]}"')
        self.write(data)
        # APIHandler.finish would label the body application/json
        super(APIHandler, self).finish()


class ImportHandler(EsapHandler):
    """Add the items of a basket file sent as the body; all or nothing."""

    @web.authenticated
    async def post(self) -> None:
        data, name, basket = (
            self.request.body,
            self.get_argument("name", "basket file"),
            user_basket(),
        )
        # every refusal names the body and the file's line at fault
        ids = await asyncio.get_running_loop().run_in_executor(
            None, import_data, basket, data, name, "body"
        )
        self.set_status(201)
        self.write_answer(AddedAnswer, {"ids": ids, "total": basket_changed(basket)})


default_handlers = [("basket/export", ExportHandler), ("basket/import", ImportHandler)]
